/* dirgate init --type TYPE [--out FILE]: a commented starting profile.  Each
 * provider brings one template per directory type it serves (compiled in);
 * their "//" keys are comments the profile loader skips. */
#include "cli.h"

#include "../core/provider.h"
#include "../core/suggest.h"

#include <getopt.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate init --type active-directory|ldap|microsoft-365|google-workspace\n"
	"                    [--out FILE] [--format raw|json]\n"
	"\n"
	"Writes a starting profile for a directory of TYPE (active-directory, ldap,\n"
	"microsoft-365 or google-workspace).  Each field is preceded by a \"//\" key,\n"
	"a comment dirgate ignores, that names the field in MailStore's Directory\n"
	"Services dialog.  The fields to fill in are \"\": until they are,\n"
	"'dirgate check --offline FILE' names each of them (PROF007).\n"
	"\n"
	"options:\n"
	"  --type TYPE          active-directory, ldap, microsoft-365 or google-workspace\n"
	"  --out FILE           write the profile there (never replacing a file);\n"
	"                       default: standard output\n"
	"  --format raw|json    raw (default): the profile itself; json: a document on\n"
	"                       standard output with the profile's text in \"profile\"\n"
	"                       (and --out FILE written too)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   written\n"
	"  1   could not write FILE (e.g. it exists)\n"
	"  64  usage error\n";

/* Every directory type a provider has a template for, in registry order. */
static void list_types(dg_strlist *types)
{
	for (const dg_provider *const *pp = dg_providers; *pp; pp++)
		for (const dg_provider_dir *d = (*pp)->dirs; d->type; d++)
			dg_strlist_push(types, d->type);
}

/* "a, b, c or d" */
static void add_type_choice(dg_strbuf *sb, const dg_strlist *types)
{
	for (size_t i = 0; i < types->nr; i++) {
		if (i)
			dg_strbuf_adds(sb, i + 1 < types->nr ? ", " : " or ");
		dg_strbuf_adds(sb, types->items[i]);
	}
}

/* The usage error for a missing or unknown --type (`type` NULL: missing). */
static int type_usage_error(const char *type)
{
	dg_strlist types = { 0 };
	dg_strbuf choice = DG_STRBUF_INIT;
	const char *best = NULL;
	int rc;

	list_types(&types);
	add_type_choice(&choice, &types);
	if (type)
		best = dg_suggest_closest(type, (const char *const *)types.items, types.nr);
	if (!type)
		rc = dg_cli_usage_error("init", "--type is required (%s)", choice.buf);
	else if (best)
		rc = dg_cli_usage_error("init", "unknown type '%s'; did you mean '%s'?", type, best);
	else
		rc = dg_cli_usage_error("init", "unknown type '%s' (use %s)", type, choice.buf);
	dg_strbuf_release(&choice);
	dg_strlist_clear(&types);
	return rc;
}

/* The template with its "$schema" pointing at the installed JSON Schema. */
static void render(dg_strbuf *out, const char *text)
{
	static const char mark[] = "@SCHEMA@";
	const char *at = strstr(text, mark);
	if (!at) {
		dg_strbuf_adds(out, text);
		return;
	}
	dg_strbuf_add(out, text, (size_t)(at - text));
	dg_strbuf_adds(out, DG_SCHEMA_PATH);
	dg_strbuf_adds(out, at + sizeof(mark) - 1);
}

/* --format json (docs/output.md "init"). */
static int write_json(const char *type, const char *out_path, const dg_strbuf *profile)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	dg_strbuf_adds(&sb, "{" DG_JSON_FORMAT_VERSION_FIELD "\"command\":\"init\",\"type\":");
	dg_strbuf_add_json_str(&sb, type);
	dg_strbuf_adds(&sb, ",\"output\":");
	if (out_path)
		dg_strbuf_add_json_str(&sb, out_path);
	else
		dg_strbuf_adds(&sb, "null");
	dg_strbuf_adds(&sb, ",\"profile\":");
	dg_strbuf_add_json_str(&sb, profile->buf);
	dg_strbuf_adds(&sb, "}\n");
	rc = dg_cli_write(NULL, &sb);
	dg_strbuf_release(&sb);
	return rc;
}

int dg_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "raw", "json", NULL };
	const char *type = NULL, *out_path = NULL;
	const dg_provider_dir *t;
	dg_strbuf out = DG_STRBUF_INIT;
	int fmt = DG_FMT_RAW, c, rc;

	while ((c = dg_cli_getopt("init", argc, argv, "", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 't': type = optarg; break;
		case 'o': out_path = optarg; break;
		case 'f':
			if ((fmt = dg_cli_parse_format("init", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	if (optind < argc)
		return dg_cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
	if (!type || !(t = dg_provider_dir_find(type, NULL)))
		return type_usage_error(type);
	render(&out, t->init_profile);
	rc = fmt != DG_FMT_JSON || out_path
	     ? dg_cli_write_file(out_path, &out, DG_OUTFILE_EXCLUSIVE) : 0;
	if (!rc && fmt == DG_FMT_JSON)
		rc = write_json(type, out_path, &out);
	dg_strbuf_release(&out);
	if (!rc && out_path)
		fprintf(stderr, "dirgate init: wrote %s; fill in the \"\" fields, then run "
			"'dirgate check --offline %s'\n", out_path, out_path);
	return rc;
}

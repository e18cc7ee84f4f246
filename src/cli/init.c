/* dirgate init --type TYPE [--out FILE]: a commented starting profile.  Each
 * provider brings one template per directory type it serves (compiled in);
 * their "//" keys are comments the profile loader skips. */
#include "cli.h"

#include "../core/provider.h"
#include "../core/suggest.h"

#include <getopt.h>
#include <string.h>

static const char usage_tail[] =
	"\n"
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

/* The help, with the types the registry has templates for; built once, it
 * lives as long as the program. */
static const char *usage(void)
{
	static dg_strbuf sb = DG_STRBUF_INIT;
	dg_strlist types = DG_STRLIST_INIT;
	dg_strbuf para = DG_STRBUF_INIT;

	if (sb.len)
		return sb.buf;
	list_types(&types);
	dg_strbuf_adds(&sb, "usage: dirgate init --type ");
	for (size_t i = 0; i < types.nr; i++)
		dg_strbuf_addf(&sb, "%s%s", i ? "|" : "", types.items[i]);
	dg_strbuf_adds(&sb, "\n"
		       "                    [--out FILE] [--format raw|json]\n"
		       "\n");
	dg_strbuf_adds(&para, "Writes a starting profile for a directory of TYPE (");
	dg_cli_add_choice(&para, &types, "or");
	dg_strbuf_adds(&para, ").  Each field is preceded by a \"//\" key, a comment dirgate "
		       "ignores, that names the field in MailStore's Directory Services dialog.  "
		       "The fields to fill in are \"\": until they are, 'dirgate check "
		       "--offline FILE' names each of them (PROF007).");
	dg_cli_add_filled(&sb, para.buf, 0);
	dg_strbuf_adds(&sb, "\n"
		       "options:\n"
		       "  --type TYPE          ");
	dg_cli_add_choice(&sb, &types, "or");
	dg_strbuf_adds(&sb, usage_tail);
	dg_strbuf_release(&para);
	dg_strlist_clear(&types);
	return sb.buf;
}

/* The usage error for a missing or unknown --type (`type` NULL: missing). */
static int type_usage_error(const char *type)
{
	dg_strlist types = { 0 };
	dg_strbuf choice = DG_STRBUF_INIT;
	const char *best = NULL;
	int rc;

	list_types(&types);
	dg_cli_add_choice(&choice, &types, "or");
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

	while ((c = dg_cli_getopt("init", argc, argv, "", opts, usage(), &rc)) != -1) {
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

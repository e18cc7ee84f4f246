/* dirgate filter 'FILTER' [--format text|json]: lint one LDAP search filter
 * and show where it goes wrong, the way a compiler points at a column. */
#include "cli.h"

#include "../core/filter.h"
#include "../core/quality.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate filter 'LDAP FILTER' [--format text|json]\n"
	"\n"
	"Checks one LDAP search filter (RFC 4515) the way the profile checks do:\n"
	"prints the normalised filter when it is valid, otherwise the error with\n"
	"its column and a caret under the filter.  Warnings point at filters that\n"
	"are valid but probably not what was meant.\n"
	"\n"
	"options:\n"
	"  --format text|json   output format (default: text)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   valid (warnings allowed)\n"
	"  3   the filter has errors\n"
	"  64  usage error\n";

/* A JSON string of text that may not be valid UTF-8 (argv is bytes): bad
 * bytes become U+FFFD so the output always parses. */
static void add_json_text(dg_strbuf *out, const char *s)
{
	char *fixed = dg_quality_utf8_fixed(s);
	dg_strbuf_add_json_str(out, fixed ? fixed : s);
	free(fixed);
}

static void add_attr(const char *attr, void *ctx)
{
	dg_strlist *l = ctx;
	if (!dg_strlist_contains_ci(l, attr))
		dg_strlist_push(l, attr);
}

static void render_json(dg_strbuf *out, const char *text, const dg_filter *f,
			const dg_findings *fs)
{
	dg_strbuf norm = DG_STRBUF_INIT;
	dg_strlist attrs = DG_STRLIST_INIT;
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD "\"filter\":");
	add_json_text(out, text);
	dg_strbuf_addf(out, ",\"valid\":%s,\"normalized\":", f ? "true" : "false");
	if (f) {
		dg_filter_print(f, &norm);
		dg_strbuf_add_json_str(out, norm.buf);
		dg_filter_walk_attrs(f, add_attr, &attrs);
	} else {
		dg_strbuf_adds(out, "null");
	}
	dg_strbuf_adds(out, ",\"attributes\":[");
	for (size_t i = 0; i < attrs.nr; i++) {
		if (i)
			dg_strbuf_adds(out, ",");
		dg_strbuf_add_json_str(out, attrs.items[i]);
	}
	dg_strbuf_adds(out, "],\"findings\":");
	dg_output_findings_json_array(out, fs);
	dg_strbuf_adds(out, "}\n");
	dg_strbuf_release(&norm);
	dg_strlist_clear(&attrs);
}

/* "error FILTER002: message", the filter with a caret, "hint: advice".
 * The lint's hints are the advice line followed by the caret lines. */
static void render_finding(dg_strbuf *out, const dg_finding *fd)
{
	const char *hint = fd->hint ? fd->hint : "";
	const char *nl = strchr(hint, '\n');
	dg_strbuf_addf(out, "%s %s: %s\n", dg_severity_name(fd->severity), fd->code, fd->message);
	if (nl)
		dg_strbuf_addf(out, "%s\n", nl + 1);
	if (nl != hint && *hint)
		dg_strbuf_addf(out, "hint: %.*s\n", nl ? (int)(nl - hint) : (int)strlen(hint), hint);
}

static void render_text(dg_strbuf *out, const dg_filter *f, const dg_findings *fs)
{
	if (f) {
		dg_strbuf_adds(out, "valid: ");
		dg_filter_print(f, out);
		dg_strbuf_addch(out, '\n');
	}
	for (size_t i = 0; i < fs->nr; i++)
		render_finding(out, &fs->items[i]);
}

int dg_cmd_filter(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	int fmt = DG_FMT_TEXT, c, rc;
	dg_findings fs = DG_FINDINGS_INIT;
	dg_strbuf out = DG_STRBUF_INIT;
	dg_filter *f;
	const char *text;

	while ((c = dg_cli_getopt("filter", argc, argv, "", longopts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'f':
			if ((fmt = dg_cli_parse_format("filter", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	if (optind >= argc)
		return dg_cli_usage_error("filter", "missing the filter to check");
	if (argc - optind > 1)
		return dg_cli_usage_error("filter", "expected one filter, got %d arguments "
					  "(quote the filter for the shell)", argc - optind);
	text = argv[optind];

	dg_filter_lint(text, "", &fs);
	f = dg_filter_parse(text, NULL);
	if (fmt == DG_FMT_JSON)
		render_json(&out, text, f, &fs);
	else
		render_text(&out, f, &fs);
	rc = dg_cli_write(NULL, &out);
	if (!rc && dg_findings_count(&fs, DG_SEV_ERROR))
		rc = DG_EXIT_FINDINGS;
	dg_filter_free(f);
	dg_findings_clear(&fs);
	dg_strbuf_release(&out);
	return rc;
}

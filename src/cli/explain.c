/* dirgate explain CODE: a finding's explanation and fix, from the findings
 * reference (docs/findings.md), which is compiled in so an installed program
 * needs no file. */
#include "cli.h"

#include "../core/findings.h"
#include "../core/suggest.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

extern const char dg_findings_md[];

static const char usage_text[] =
	"usage: dirgate explain CODE [--format text|json]\n"
	"\n"
	"Prints what the finding CODE (e.g. PROF002, from 'dirgate check') means and\n"
	"how to fix it: its section of the findings reference (docs/findings.md).\n"
	"The code's letters may be given in any case.\n"
	"\n"
	"options:\n"
	"  --format text|json   output format (default: text)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   explained\n"
	"  64  usage error, or no such code\n";

/* The section "### CODE — title" of the reference up to the next heading;
 * NULL when there is none.  *len is its length. */
static const char *find_section(const char *md, const char *code, size_t *len)
{
	size_t cl = strlen(code);
	for (const char *p = md; (p = strstr(p, "\n### ")); p++) {
		const char *h = p + 5, *end;
		if (strncmp(h, code, cl) || h[cl] != ' ')
			continue;
		for (end = h; (end = strchr(end, '\n')); end++)
			if (!strncmp(end, "\n## ", 4) || !strncmp(end, "\n### ", 5))
				break;
		if (!end)
			end = h + strlen(h);
		*len = (size_t)(end - h);
		return h;
	}
	return NULL;
}

/* One line of prose: bold markers dropped, a link "[text](target)" as its
 * text; backquoted commands and paths as written. */
static void add_prose(dg_strbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		const char *close, *paren;
		if (s[i] == '*' && i + 1 < len && s[i + 1] == '*') {
			i++;
			continue;
		}
		if (s[i] == '[' && (close = memchr(s + i, ']', len - i)) && close + 1 < s + len &&
		    close[1] == '(' && (paren = memchr(close, ')', (size_t)(s + len - close)))) {
			add_prose(out, s + i + 1, (size_t)(close - s - i - 1));
			i = (size_t)(paren - s);
			continue;
		}
		dg_strbuf_addch(out, s[i]);
	}
}

/* The section as plain text for a terminal: prose through add_prose, code
 * blocks indented by four spaces without their ``` fences. */
static void add_plain(dg_strbuf *out, const char *s, size_t len)
{
	const char *end = s + len;
	int code = 0;
	for (const char *line = s; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t ll = (size_t)((nl ? nl : end) - line);
		if (ll >= 3 && !strncmp(line, "```", 3)) {
			code = !code;
		} else if (code) {
			dg_strbuf_adds(out, "    ");
			dg_strbuf_add(out, line, ll);
			dg_strbuf_addch(out, '\n');
		} else {
			add_prose(out, line, ll);
			dg_strbuf_addch(out, '\n');
		}
		line += ll + 1;
	}
	while (out->len > 1 && out->buf[out->len - 1] == '\n' && out->buf[out->len - 2] == '\n')
		dg_strbuf_setlen(out, out->len - 1);
}

/* --format json (docs/output.md "explain"): the heading without its
 * markup as "title", the rest as the plain text the terminal gets. */
static void explain_json(dg_strbuf *out, const dg_code_info *info, const char *section,
			 size_t head, size_t len)
{
	dg_strbuf title = DG_STRBUF_INIT, text = DG_STRBUF_INIT;
	size_t skip = strspn(section, "# ");
	add_prose(&title, section + skip, head > skip ? head - skip : 0);
	while (head < len && section[head] == '\n')
		head++;
	add_plain(&text, section + head, len - head);
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD "\"code\":");
	dg_strbuf_add_json_str(out, info->code);
	dg_strbuf_addf(out, ",\"severity\":\"%s\",\"title\":", dg_severity_name(info->severity));
	dg_strbuf_add_json_str(out, title.buf ? title.buf : "");
	dg_strbuf_adds(out, ",\"text\":");
	dg_strbuf_add_json_str(out, text.buf ? text.buf : "");
	dg_strbuf_adds(out, "}\n");
	dg_strbuf_release(&title);
	dg_strbuf_release(&text);
}

static int unknown_code(const char *code)
{
	size_t n;
	const dg_code_info *table = dg_code_table(&n);
	const char **cands = dg_xcalloc(n ? n : 1, sizeof(*cands));
	const char *best;
	for (size_t i = 0; i < n; i++)
		cands[i] = table[i].code;
	best = dg_suggest_closest(code, cands, n);
	if (best)
		dg_cli_usage_error("explain", "no finding has the code '%s'; did you mean %s?",
				   code, best);
	else
		dg_cli_usage_error("explain", "no finding has the code '%s' (codes look like "
				   "PROF002: 'dirgate check' prints them)", code);
	free(cands);
	return DG_EXIT_USAGE;
}

int dg_cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const dg_code_info *info;
	const char *section;
	char code[16];
	size_t len, head, i;
	int c, rc;
	dg_strbuf out = DG_STRBUF_INIT;

	static const char *const formats[] = { "text", "json", NULL };
	int fmt = DG_FMT_TEXT;

	while ((c = dg_cli_getopt("explain", argc, argv, "", opts, usage_text, &rc)) != -1) {
		if (c == DG_CLI_OPT_EXIT)
			return rc;
		if (c == 'f' && (fmt = dg_cli_parse_format("explain", optarg, formats)) < 0)
			return DG_EXIT_USAGE;
	}
	if ((rc = dg_cli_one_operand("explain", argc, argv, "CODE")))
		return rc;
	for (i = 0; argv[optind][i] && i < sizeof(code) - 1; i++)
		code[i] = (char)toupper((unsigned char)argv[optind][i]);
	code[i] = '\0';
	info = argv[optind][i] ? NULL : dg_code_lookup(code);
	if (!info)
		return unknown_code(argv[optind]);
	section = find_section(dg_findings_md, info->code, &len);
	if (!section)
		return dg_cli_fail("%s is a code, but the findings reference has no section "
				   "for it (a defect: please report it)", info->code);
	head = strcspn(section, "\n");
	if (fmt == DG_FMT_JSON) {
		explain_json(&out, info, section, head, len);
	} else {
		dg_strbuf_add(&out, section, head);
		while (head < len && section[head] == '\n')
			head++;
		dg_strbuf_addf(&out, "\nseverity: %s\n\n", dg_severity_name(info->severity));
		add_plain(&out, section + head, len - head);
	}
	rc = dg_cli_write(NULL, &out);
	dg_strbuf_release(&out);
	return rc;
}

/* dirgate show PLAN: a saved plan ('dirgate plan --out') as 'dirgate plan'
 * shows it, for review before 'dirgate push PLAN' - no server is asked. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate show PLAN [--format text|json|html] [--out FILE]\n"
	"\n"
	"Renders a plan saved by 'dirgate plan --out' as 'dirgate plan' shows it:\n"
	"the users to create, update, rename or delete (updates as a diff), the\n"
	"directory's conflicts, the configuration keys a push changes and the\n"
	"findings.  Reads only the file: no directory or server is asked.\n"
	"\n"
	"options:\n"
	"  --format FORMAT      text (default), json (the saved plan) or html\n"
	"  -o, --out FILE       write the output to FILE instead of standard output\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   plan shown\n"
	"  1   the plan could not be read (not a plan, invalid JSON, missing members)\n"
	"  3   the plan has error findings (a guard refuses it)\n"
	"  64  usage error\n";

static void render(dg_strbuf *out, const cJSON *root, int fmt, int color)
{
	if (fmt == DG_FMT_HTML) {
		dg_plan_doc_html(out, root);
	} else if (fmt == DG_FMT_JSON) {
		/* the saved plan as written, numbers as read; a plan saved before
		 * the format had a version still gets formatVersion first */
		char *s = dg_json_print_exact(root, 0);
		if (s && *s == '{' && !cJSON_HasObjectItem(root, "formatVersion"))
			dg_strbuf_addf(out, "{" DG_JSON_FORMAT_VERSION_FIELD "%s", s + 1);
		else
			dg_strbuf_adds(out, s ? s : "null");
		dg_strbuf_addch(out, '\n');
		cJSON_free(s);
	} else {
		dg_plan_doc_text(out, root, color);
	}
}

/* An error finding in the plan makes push refuse it: never an OK. */
static int has_errors(const cJSON *root)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(root, "findings")) {
		const cJSON *sev = cJSON_GetObjectItemCaseSensitive(f, "severity");
		if (cJSON_IsString(sev) && !strcmp(sev->valuestring, "error"))
			return 1;
	}
	return 0;
}

int dg_cmd_show(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", "html", NULL };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int fmt = DG_FMT_TEXT, c, rc;
	dg_error err = { 0 };
	dg_saved_plan sp;
	dg_strbuf sb = DG_STRBUF_INIT;

	while ((c = dg_cli_getopt("show", argc, argv, "o:", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'f':
			if ((fmt = dg_cli_parse_format("show", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		case 'o': out = optarg; break;
		}
	}
	if ((rc = dg_cli_one_operand("show", argc, argv, "PLAN")))
		return rc;
	if (dg_saved_plan_load(argv[optind], &sp, &err)) {
		rc = dg_cli_fail("%s", err.message);
	} else {
		render(&sb, sp.root, fmt, !out && dg_cli_color(stdout));
		rc = dg_cli_write(out, &sb);
		if (!rc && has_errors(sp.root))
			rc = DG_EXIT_FINDINGS;
	}
	dg_strbuf_release(&sb);
	dg_saved_plan_release(&sp);
	return rc;
}

/* dirgate plan PROFILE: what synchronisation and a push would change on the
 * live MailStore server (src/mailstore/plan.h). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate plan PROFILE [--format text|json|html] [--out PLAN] [--renames FILE]\n"
	"                    [--detailed-exitcode] [--parallel N]\n"
	"\n"
	"Compares the directory (as 'dirgate preview' sees it) with the users and the\n"
	"directory-services configuration of the profile's MailStore server: users to\n"
	"create, update, rename or delete, and the configuration keys a push changes.\n"
	"\n"
	"options:\n"
	"  --format FORMAT      text (default), json or html (one page to hand on)\n"
	"  -o, --out PLAN       save the plan; 'dirgate push PLAN' applies exactly it\n"
	"  --renames FILE       write the renames as old=new lines for 'dirgate migrate'\n"
	"  --detailed-exitcode  exit 0 when nothing would change, 2 when changes are\n"
	"                       pending (3, always, when there is an error)\n"
	"  --parallel N         GetUserInfo requests in flight (default 8, at most 64)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   plan made (with --detailed-exitcode: nothing would change)\n"
	"  1   the directory or the server could not be read\n"
	"  2   with --detailed-exitcode: changes are pending\n"
	"  3   the profile has errors, a guard refuses or a user has a data-quality\n"
	"      error\n"
	"  64  usage error\n";

static int save_plan(const char *path, dg_plan_run *r, dg_ms_session *s)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_error err = { 0 };
	int rc;

	if (dg_plan_run_saved_text(r, s->profile, &sb, &err))
		rc = dg_cli_fail("%s", err.message);
	else
		rc = dg_cli_write(path, &sb);
	dg_strbuf_release(&sb);
	return rc;
}

static int write_outputs(dg_plan_run *r, dg_ms_session *s, int fmt, const char *out,
			 const char *renames)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	if (fmt == DG_FMT_JSON)
		dg_plan_json(&sb, &r->plan, s->profile, &r->state, NULL);
	else if (fmt == DG_FMT_HTML)
		dg_plan_html(&sb, &r->plan, s->profile);
	else
		dg_plan_text(&sb, &r->plan, s->profile, dg_cli_color(stdout));
	rc = dg_cli_write(NULL, &sb);
	dg_strbuf_release(&sb);
	if (!rc && out && !(rc = save_plan(out, r, s)))
		fprintf(stderr, "dirgate plan: saved the plan to %s; apply it with "
			"'dirgate push %s --yes'\n", out, out);
	if (!rc && renames) {
		dg_plan_renames(&sb, &r->plan);
		if (!(rc = dg_cli_write(renames, &sb)))
			fprintf(stderr, "dirgate plan: wrote %zu rename%s to %s\n",
				r->plan.counts[DG_ACT_RENAME],
				r->plan.counts[DG_ACT_RENAME] == 1 ? "" : "s", renames);
		dg_strbuf_release(&sb);
	}
	return rc;
}

int dg_cmd_plan(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", "html", NULL };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "renames", required_argument, NULL, 'r' },
		{ "detailed-exitcode", no_argument, NULL, 'd' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *renames = NULL;
	int fmt = DG_FMT_TEXT, detailed = 0, parallel = 8, c, rc;
	dg_error err = { 0 };
	dg_ms_session s;
	dg_plan_run r;
	char *end;

	while ((c = dg_cli_getopt("plan", argc, argv, "o:", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'f':
			if ((fmt = dg_cli_parse_format("plan", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		case 'o': out = optarg; break;
		case 'r': renames = optarg; break;
		case 'd': detailed = 1; break;
		case 'p':
			parallel = (int)strtol(optarg, &end, 10);
			if (*end || parallel < 1 || parallel > 64)
				return dg_cli_usage_error("plan", "--parallel takes 1 to 64, not '%s'",
							  optarg);
			break;
		}
	}
	if ((rc = dg_cli_one_operand("plan", argc, argv, "PROFILE")))
		return rc;
	if ((rc = dg_cli_ms_open("plan", argv[optind], NULL, &s)))
		return rc;
	if (dg_plan_run_profile(&s, 0, parallel, &r, &err)) {
		dg_cli_print_findings(&r.preview.findings);
		rc = dg_cli_fail("%s", err.message);
	} else {
		rc = write_outputs(&r, &s, fmt, out, renames);
		/* an error finding (a guard that trips) or a data-quality error
		 * (which preview exits 3 for) is never an OK */
		if (!rc && (dg_findings_count(&r.plan.findings, DG_SEV_ERROR) ||
			    dg_quality_count(&r.preview.quality, DG_SEV_ERROR)))
			rc = DG_EXIT_FINDINGS;
		else if (!rc && detailed && dg_plan_has_changes(&r.plan))
			rc = DG_EXIT_CHANGES;
	}
	dg_plan_run_release(&r);
	dg_ms_session_close(&s);
	return rc;
}

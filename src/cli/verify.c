/* dirgate verify PROFILE: after a synchronisation, the server's users
 * against the preview (src/mailstore/verify.h); 'sync --yes' runs it at
 * the end. */
#include "cli.h"

#include "../mailstore/verify.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate verify PROFILE [--format text|json] [--parallel N]\n"
	"\n"
	"After a synchronisation: compares the MailStore server's users (GetUsers,\n"
	"GetUserInfo) with the preview of the profile's directory.  Users the preview\n"
	"expected that MailStore does not have, directory-services users it did not\n"
	"predict, other names, full names, e-mail addresses or DNs are findings, each\n"
	"with its likely cause (a target-map key the server ignored, or one marked\n"
	"\"assumed\").\n"
	"\n"
	"options:\n"
	"  --format text|json   output format (default: text)\n"
	"  --parallel N         GetUserInfo requests in flight (default 8, at most 64)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   the server's users are what the preview predicted (warnings aside)\n"
	"  1   the directory or the server could not be read\n"
	"  3   a difference is an error, or the profile has errors\n"
	"  64  usage error\n";

int dg_cli_verify(dg_ms_session *s, int fmt, int parallel, const char *json_prefix)
{
	dg_error err = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_plan_run r;
	dg_verify v;
	int rc;

	if (dg_plan_run_profile(s, 0, parallel, &r, &err)) {
		dg_cli_print_findings(&r.preview.findings);
		dg_plan_run_release(&r);
		return dg_cli_fail("verify: %s", err.message);
	}
	dg_verify_build(s->profile, &r.map, r.profile_json, &r.plan, &r.state, &v);
	if (fmt == DG_FMT_JSON) {
		dg_strbuf_adds(&sb, json_prefix ? json_prefix : "");
		dg_verify_json(&sb, &v, s->profile);
	} else {
		dg_verify_text(&sb, &v, s->profile, dg_cli_color(stdout));
	}
	rc = dg_cli_write(NULL, &sb);
	if (!rc && dg_findings_count(&v.findings, DG_SEV_ERROR))
		rc = DG_EXIT_FINDINGS;
	dg_strbuf_release(&sb);
	dg_verify_release(&v);
	dg_plan_run_release(&r);
	return rc;
}

int dg_cmd_verify(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int fmt = DG_FMT_TEXT, parallel = 8, c, rc;
	dg_ms_session s;
	char *end;

	while ((c = dg_cli_getopt("verify", argc, argv, "", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'f':
			if ((fmt = dg_cli_parse_format("verify", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		case 'p':
			parallel = (int)strtol(optarg, &end, 10);
			if (*end || parallel < 1 || parallel > 64)
				return dg_cli_usage_error("verify", "--parallel takes 1 to 64, not "
							  "'%s'", optarg);
			break;
		}
	}
	if ((rc = dg_cli_one_operand("verify", argc, argv, "PROFILE")))
		return rc;
	if ((rc = dg_cli_ms_open("verify", argv[optind], NULL, &s)))
		return rc;
	rc = dg_cli_verify(&s, fmt, parallel, NULL);
	dg_ms_session_close(&s);
	return rc;
}

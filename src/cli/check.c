/* dirgate check PROFILE [--offline] [--format text|json] */
#include "cli.h"

#include "../connectors/live_check.h"
#include "../core/error.h"
#include "../core/profile.h"
#include "../mailstore/rules.h"

#include <getopt.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate check PROFILE [--offline] [--test-user NAME] [--format text|json]\n"
	"\n"
	"Checks a profile: the file itself (syntax, keys, types), then every rule\n"
	"that needs no network (redirect URIs, LDAP filters, DNs, identifiers, key\n"
	"files, certificates, option combinations).  Each finding has a stable code,\n"
	"the profile path it is about, what is wrong and how to fix it\n"
	"('dirgate explain CODE').  Without --offline, ldap and active-directory\n"
	"profiles are also probed live (connect and bind, RootDSE, base DN, what the\n"
	"user filter selects); google-workspace profiles: a token by domain-wide\n"
	"delegation, the Directory API, the selected groups; microsoft-365 profiles:\n"
	"an Entra ID token with the certificate, Graph, each selected group found\n"
	"exactly once; with authentication method adfs: the AD FS discovery\n"
	"document, issuer, endpoints, keys and scopes.\n"
	"\n"
	"A live probe that cannot run (a secret that cannot be read, no terminal to\n"
	"prompt on) is an error (LDAP037), and a count from a search the server cut\n"
	"short is given as \"at least N\", never as the number of entries.\n"
	"\n"
	"options:\n"
	"  --offline            only the rules that need no network\n"
	"  --test-user NAME     also log this user on (live), as MailStore's \"Test\n"
	"                       authentication\" does; the password comes from\n"
	"                       /authentication/testPassword or is prompted for\n"
	"                       (default: /authentication/testUser)\n"
	"  --format text|json   output format (default: text)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   no errors (warnings allowed)\n"
	"  1   the profile could not be read\n"
	"  3   errors found\n"
	"  64  usage error\n";

static void run_live_probes(const dg_profile *p, const char *test_user, dg_findings *findings)
{
	dg_strbuf note = DG_STRBUF_INIT;

	dg_check_live(p, test_user, findings, &note);
	if (note.len)
		fprintf(stderr, "dirgate check: %s\n", note.buf);
	dg_strbuf_release(&note);
}

int dg_cmd_check(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	static const struct option opts[] = {
		{ "offline", no_argument, NULL, 'o' },
		{ "test-user", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int fmt = DG_FMT_TEXT, offline = 0, c, rc;
	const char *test_user = NULL;
	dg_findings findings = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	dg_strbuf out = DG_STRBUF_INIT;
	dg_profile *p;

	while ((c = dg_cli_getopt("check", argc, argv, "", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'o': offline = 1; break;
		case 'u': test_user = optarg; break;
		case 'f':
			if ((fmt = dg_cli_parse_format("check", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	if ((rc = dg_cli_one_operand("check", argc, argv, "PROFILE")))
		return rc;
	p = dg_profile_load(argv[optind], &findings, &err);
	if (!p)
		return dg_cli_fail("%s", err.message);
	dg_check_offline(p, &findings);
	if (!offline)
		run_live_probes(p, test_user, &findings);
	if (fmt == DG_FMT_JSON)
		dg_output_check_json(&out, p->name, &findings);
	else
		dg_output_findings_text(&out, &findings, dg_cli_color(stdout));
	rc = dg_cli_write(NULL, &out);
	if (!rc)
		rc = dg_findings_count(&findings, DG_SEV_ERROR) ? DG_EXIT_FINDINGS : DG_EXIT_OK;
	dg_strbuf_release(&out);
	dg_findings_clear(&findings);
	dg_profile_free(p);
	return rc;
}

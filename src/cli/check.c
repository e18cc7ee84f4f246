/* dirgate check PROFILE [--offline] [--format text|json] */
#include "cli.h"

#include "../connectors/live_check.h"
#include "../core/error.h"
#include "../core/profile.h"
#include "../core/provider.h"
#include "../mailstore/rules.h"

#include <getopt.h>
#include <string.h>

static const char usage_head[] =
	"usage: dirgate check PROFILE [--offline] [--test-user NAME] [--format text|json]\n"
	"\n";

static const char usage_tail[] =
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

/* "active-directory and ldap profiles: connect and bind, ...; ...", what
 * each provider's live probes look at; a provider serving no directory
 * is probed for its login methods. */
static void add_probes(dg_strbuf *sb)
{
	int n = 0;

	for (const dg_provider *const *pp = dg_providers; *pp; pp++) {
		const dg_provider *pv = *pp;
		dg_strlist methods = DG_STRLIST_INIT;

		if (!pv->probes_about)
			continue;
		if (n++)
			dg_strbuf_adds(sb, "; ");
		if (pv->dirs[0].type) {
			dg_cli_add_dir_types(sb, pv, "and");
			dg_strbuf_adds(sb, " profiles");
		} else {
			for (const dg_provider_login *l = pv->logins; l->method; l++)
				dg_strlist_push(&methods, l->method);
			dg_strbuf_adds(sb, "with authentication method ");
			dg_cli_add_choice(sb, &methods, "or");
			dg_strlist_clear(&methods);
		}
		dg_strbuf_addf(sb, ": %s", pv->probes_about);
	}
}

/* The help, with what the registry's providers probe; built once, it lives
 * as long as the program. */
static const char *usage(void)
{
	static dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf para = DG_STRBUF_INIT, probes = DG_STRBUF_INIT;

	if (sb.len)
		return sb.buf;
	dg_strbuf_adds(&sb, usage_head);
	dg_strbuf_adds(&para, "Checks a profile: the file itself (syntax, keys, types), then "
		       "every rule that needs no network (redirect URIs, LDAP filters, DNs, "
		       "identifiers, key files, certificates, option combinations).  Each "
		       "finding has a stable code, the profile path it is about, what is wrong "
		       "and how to fix it ('dirgate explain CODE').");
	add_probes(&probes);
	if (probes.len)
		dg_strbuf_addf(&para, "  Without --offline, the profile's directory and login "
			       "service are also probed live (%s).", probes.buf);
	dg_cli_add_filled(&sb, para.buf, 0);
	dg_strbuf_adds(&sb, usage_tail);
	dg_strbuf_release(&probes);
	dg_strbuf_release(&para);
	return sb.buf;
}

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

	while ((c = dg_cli_getopt("check", argc, argv, "", opts, usage(), &rc)) != -1) {
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

/* dirgate cutover PROFILE: who keeps, loses or changes their login when the
 * MailStore server switches to the profile (src/mailstore/cutover.h). */
#include "cli.h"

#include "../core/provider.h"
#include "../mailstore/cutover.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate cutover PROFILE [--format text|json|html] [--output FILE]\n"
	"                       [--users USERS [--config PULL]] [--renames FILE]\n"
	"                       [--claim-rule] [--parallel N]\n"
	"\n"
	"For every existing MailStore user, what switching to the profile's directory,\n"
	"user-name format and login method does to their login: keeps-login, renamed\n"
	"(a new, empty archive unless renamed first), loses-login, mailstore-local or\n"
	"admin (an error when the switch locks an administrator or API user out);\n"
	"then the directory users who are new, and the caveats of the switch.\n"
	"\n"
	"options:\n"
	"  --format text|json|html  output format (default: text)\n"
	"  -o, --output FILE        write the report there instead of standard output\n"
	"  --users USERS            offline: the MailStore users from a users export\n"
	"                           ('dirgate pull PROFILE --users USERS'), not the server\n"
	"  --config PULL            offline: the configuration from 'dirgate pull PROFILE'\n"
	"  --renames FILE           write the renames that keep the archives as old=new\n"
	"                           lines for 'dirgate migrate'\n"
	"  --claim-rule             the login service's claim rule that sends the\n"
	"                           user-name attribute is in place (dirgate cannot\n"
	"                           read claim rules)\n"
	"  --parallel N             GetUserInfo requests in flight (default 8, at most 64)\n"
	"  -h, --help               show this help\n"
	"\n"
	"exit status:\n"
	"  0   nobody loses their login and no administrator is at risk\n"
	"  1   the directory, the server or a file could not be read or written\n"
	"  3   someone loses their login, an administrator is at risk, or the profile\n"
	"      has errors\n"
	"  64  usage error\n";

struct cut_args {
	int fmt, parallel;
	const char *output, *users, *config, *renames;
	dg_cut_opts opts;
};

static int write_report(const dg_cutover *c, const dg_profile *p, const struct cut_args *a)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	if (a->fmt == DG_FMT_JSON)
		dg_cutover_json(&sb, c, p);
	else if (a->fmt == DG_FMT_HTML)
		dg_cutover_html(&sb, c, p);
	else
		dg_cutover_text(&sb, c, p, !a->output && dg_cli_color(stdout));
	rc = dg_cli_write(a->output, &sb);
	dg_strbuf_release(&sb);
	return rc;
}

static int write_renames(const dg_cutover *c, const char *path)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	size_t n = c->counts[DG_CUT_RENAMED];
	int rc;

	dg_cutover_renames(&sb, c);
	if (!(rc = dg_cli_write(path, &sb)))
		fprintf(stderr, "dirgate cutover: wrote %zu rename%s to %s; apply them with "
			"'dirgate migrate %s' before the first synchronisation\n",
			n, n == 1 ? "" : "s", path, path);
	dg_strbuf_release(&sb);
	return rc;
}

/* The report from a plan that was made; the exit code. */
static int report(dg_plan_run *r, const dg_profile *p, const struct cut_args *a)
{
	dg_cutover c;
	int rc = 0;

	dg_cutover_build(p, &r->plan, &r->state, &a->opts, &c);
	if (a->renames)
		rc = write_renames(&c, a->renames);
	if (!rc)
		rc = write_report(&c, p, a);
	if (!rc && dg_findings_count(&c.findings, DG_SEV_ERROR))
		rc = DG_EXIT_FINDINGS;
	dg_cutover_release(&c);
	return rc;
}

static int run_live(const char *profile, const struct cut_args *a)
{
	dg_error err = { 0 };
	dg_ms_session s;
	dg_plan_run r;
	int rc;

	if ((rc = dg_cli_ms_open("cutover", profile, NULL, &s)))
		return rc;
	if (dg_plan_run_profile(&s, 0, a->parallel, &r, &err)) {
		dg_cli_print_findings(&r.preview.findings);
		rc = dg_cli_fail("%s", err.message);
	} else {
		rc = report(&r, s.profile, a);
	}
	dg_plan_run_release(&r);
	dg_ms_session_close(&s);
	return rc;
}

static int run_offline(const char *profile, const struct cut_args *a)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	dg_profile *p = dg_profile_load(profile, &f, &err);
	dg_plan_run r;
	int rc;

	dg_cli_print_findings(&f);
	if (!p) {
		dg_findings_clear(&f);
		return dg_cli_fail("%s", err.message);
	}
	if (dg_findings_count(&f, DG_SEV_ERROR)) {
		fprintf(stderr, "dirgate cutover: profile %s has errors; 'dirgate check %s' "
			"lists them\n", profile, profile);
		rc = DG_EXIT_FINDINGS;
	} else if (dg_plan_run_offline(p, a->users, a->config, &r, &err)) {
		dg_cli_print_findings(&r.preview.findings);
		rc = dg_cli_fail("%s", err.message);
		dg_plan_run_release(&r);
	} else {
		rc = report(&r, p, a);
		dg_plan_run_release(&r);
	}
	dg_findings_clear(&f);
	dg_profile_free(p);
	return rc;
}

/* The option table: cutover's own options, then the older spellings of
 * --claim-rule that login providers still accept from existing scripts
 * (claim_rule_alias, core/provider.h).  The help does not describe those,
 * so they are neither completed nor suggested.  Built once, it lives as
 * long as the program. */
static const struct option *option_table(void)
{
	static const struct option own[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "users", required_argument, NULL, 'u' },
		{ "config", required_argument, NULL, 'c' },
		{ "renames", required_argument, NULL, 'r' },
		{ "claim-rule", no_argument, NULL, 'a' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
	};
	static struct option *all;
	size_t n = sizeof(own) / sizeof(*own), i = n;

	if (all)
		return all;
	for (const dg_provider *const *pp = dg_providers; *pp; pp++)
		n += (*pp)->claim_rule_alias != NULL;
	all = dg_xcalloc(n + 1, sizeof(*all)); /* ends with { NULL } */
	memcpy(all, own, sizeof(own));
	for (const dg_provider *const *pp = dg_providers; *pp; pp++)
		if ((*pp)->claim_rule_alias)
			all[i++] = (struct option){ (*pp)->claim_rule_alias, no_argument,
						    NULL, 'a' };
	return all;
}

int dg_cmd_cutover(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", "html", NULL };
	const struct option *opts = option_table();
	struct cut_args a = { DG_FMT_TEXT, 8, NULL, NULL, NULL, NULL, { 0 } };
	char *end;
	int c, rc;

	while ((c = dg_cli_getopt("cutover", argc, argv, "o:", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'f':
			if ((a.fmt = dg_cli_parse_format("cutover", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		case 'o': a.output = optarg; break;
		case 'u': a.users = optarg; break;
		case 'c': a.config = optarg; break;
		case 'r': a.renames = optarg; break;
		case 'a': a.opts.claim_rule = 1; break;
		case 'p':
			a.parallel = (int)strtol(optarg, &end, 10);
			if (*end || a.parallel < 1 || a.parallel > 64)
				return dg_cli_usage_error("cutover", "--parallel takes 1 to 64, not "
							  "'%s'", optarg);
			break;
		}
	}
	if ((rc = dg_cli_one_operand("cutover", argc, argv, "PROFILE")))
		return rc;
	if (a.config && !a.users)
		return dg_cli_usage_error("cutover", "--config needs --users (both describe the "
					  "server offline)");
	return a.users ? run_offline(argv[optind], &a) : run_live(argv[optind], &a);
}

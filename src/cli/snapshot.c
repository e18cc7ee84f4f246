/* dirgate snapshot PROFILE --output FILE */
#include "cli.h"

#include "../connectors/google.h"
#include "../connectors/ldap_live.h"
#include "../connectors/m365_conn.h"
#include "../core/error.h"
#include "../core/profile.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate snapshot PROFILE --output FILE\n"
	"\n"
	"Reads the profile's ldap or active-directory directory live and writes the\n"
	"entries synchronisation looks at (users, and the groups a group selection\n"
	"needs, with the attributes MailStore reads) as an LDIF snapshot; for a\n"
	"microsoft-365 directory, the Microsoft Graph pages as JSON; for\n"
	"google-workspace, the Admin SDK pages as read (JSON Lines).  Set\n"
	"/directory/snapshot to it to preview offline: the result is exactly the\n"
	"live one.  For support cases and for previews without network access.\n"
	"\n"
	"  -o, --output FILE  where to write the LDIF (required; '-' for stdout)\n"
	"  -h, --help         show this help\n"
	"\n"
	"Exit status: 0 written, 3 the profile has errors or the directory refused\n"
	"(findings on stderr), 1 could not write or connect, 64 usage error.\n";

static int report(const dg_findings *f)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	if (!f->nr)
		return 0;
	dg_output_findings_text(&sb, f, dg_cli_color(stderr));
	fputs(sb.buf, stderr);
	dg_strbuf_release(&sb);
	return dg_findings_count(f, DG_SEV_ERROR) ? 1 : 0;
}

static int take_snapshot(const dg_profile *p, const char *output)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	char *base = NULL, *uri = NULL;
	size_t count = 0;
	int to_stdout = !strcmp(output, "-"), rc;
	FILE *fp = to_stdout ? stdout : fopen(output, "w");
	dg_cli_progress pr;
	dg_code code;

	if (!fp)
		return dg_cli_fail("cannot write %s: %s", output, strerror(errno));
	if (p->directory.type == DG_DIR_M365)
		code = dg_m365_snapshot(p, fp,
					dg_cli_progress_start(&pr, "reading the directory"),
					&count, &f, &err);
	else if (p->directory.type == DG_DIR_GOOGLE)
		code = dg_google_live_snapshot(p, fp,
					       dg_cli_progress_start(&pr, "reading the directory"),
					       &count, &uri, &f, &err);
	else
		code = dg_ldap_live_snapshot(p, fp,
					     dg_cli_progress_start(&pr, "reading the directory"),
					     &count, &base, &uri, &f, &err);
	if (!to_stdout && fclose(fp) && code == DG_OK)
		code = dg_error_set(&err, DG_E_IO, "cannot write %s: %s", output, strerror(errno));
	rc = report(&f) ? DG_EXIT_FINDINGS : DG_EXIT_OK;
	if (code != DG_OK) {
		if (!to_stdout)
			remove(output); /* never leave a partial snapshot behind */
		if (rc == DG_EXIT_OK)
			rc = dg_cli_fail("%s", err.message);
		else
			fprintf(stderr, "dirgate snapshot: %s\n", err.message);
	} else if (p->directory.type == DG_DIR_M365) {
		fprintf(stderr, "dirgate snapshot: %zu users from Microsoft Graph (tenant %s) "
			"written to %s\n", count, p->directory.m365.tenant_id,
			to_stdout ? "standard output" : output);
	} else if (!base) { /* google-workspace: users, from the API */
		fprintf(stderr, "dirgate snapshot: %zu users from %s written to %s\n", count, uri,
			to_stdout ? "standard output" : output);
	} else {
		fprintf(stderr, "dirgate snapshot: %zu entries from %s (base %s) written to %s\n",
			count, uri, base, to_stdout ? "standard output" : output);
	}
	free(base);
	free(uri);
	dg_findings_clear(&f);
	return rc;
}

int dg_cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	dg_findings findings = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	dg_profile *p;
	int c, rc;

	while ((c = dg_cli_getopt("snapshot", argc, argv, "o:", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'o': output = optarg; break;
		}
	}
	if ((rc = dg_cli_one_operand("snapshot", argc, argv, "PROFILE")))
		return rc;
	if (!output)
		return dg_cli_usage_error("snapshot", "--output FILE is required");
	p = dg_profile_load(argv[optind], &findings, &err);
	if (!p)
		return dg_cli_fail("%s", err.message);
	if (dg_findings_count(&findings, DG_SEV_ERROR)) {
		report(&findings);
		fputs("dirgate snapshot: the profile has errors; fix them first (see 'dirgate "
		      "check')\n", stderr);
		rc = DG_EXIT_FINDINGS;
	} else if (p->directory.type != DG_DIR_LDAP &&
		   p->directory.type != DG_DIR_ACTIVE_DIRECTORY &&
		   p->directory.type != DG_DIR_M365 &&
		   p->directory.type != DG_DIR_GOOGLE) {
		rc = dg_cli_fail("snapshots of %s directories are not available in this version",
				 dg_dir_type_name(p->directory.type));
	} else {
		rc = take_snapshot(p, output);
	}
	dg_findings_clear(&findings);
	dg_profile_free(p);
	return rc;
}

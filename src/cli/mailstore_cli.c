/* What pull, plan, push, sync and migrate share: opening the session with
 * its messages, progress on stderr, Ctrl-C, writing JSON files. */
#include "cli.h"

#include "../mailstore/backup.h"
#include "../mailstore/targetmap.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t dg_cli_interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	dg_cli_interrupted = 1;
}

void dg_cli_catch_sigint(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking wait returns and the loop sees the flag */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int dg_cli_ms_open(const char *cmd, const char *profile, volatile sig_atomic_t *cancel,
		   dg_ms_session *s)
{
	dg_error err = { 0 };
	dg_code rc = dg_ms_session_open(s, profile, cancel, &err);
	/* a profile with errors is "the check found errors"; anything else
	 * (no target, network, credentials) is "could not do the job" */
	int bad_profile = dg_findings_count(&s->findings, DG_SEV_ERROR) != 0;

	dg_cli_print_findings(&s->findings);
	dg_findings_clear(&s->findings);
	if (!rc)
		return 0;
	dg_cli_error(cmd, "%s", err.message);
	dg_ms_session_close(s);
	return bad_profile ? DG_EXIT_FINDINGS : DG_EXIT_FAILURE;
}

void dg_cli_ms_progress(void *ctx, int percent, const char *text)
{
	const char *what = ctx;

	if (!isatty(fileno(stderr)) || percent < 0)
		return;
	fprintf(stderr, "\r%s: %3d%%%s%s", what, percent, text ? " " : "", text ? text : "");
	if (percent >= 100)
		fputc('\n', stderr);
	fflush(stderr);
}

int dg_cli_write_json(const char *path, const cJSON *obj, unsigned flags)
{
	char *text = dg_json_print_exact(obj, 1);
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	dg_strbuf_adds(&sb, text ? text : "null");
	dg_strbuf_addch(&sb, '\n');
	cJSON_free(text);
	rc = dg_cli_write_file(path, &sb, flags);
	dg_strbuf_release(&sb);
	return rc;
}

int dg_cli_write_backup(const char *given, const char *profile_name, const char *what,
			const cJSON *obj, char **path_out)
{
	char *stem = dg_xasprintf("%s-%s", profile_name ? profile_name : "dirgate", what);
	dg_error err = { 0 };
	dg_code rc = dg_backup_write(given, stem, obj, path_out, &err);

	free(stem);
	return rc ? dg_cli_fail("%s", err.message) : 0;
}

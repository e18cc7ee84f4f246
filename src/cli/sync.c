/* dirgate sync PROFILE: SyncUsersWithDirectoryServices, a dry run first
 * (result and log shown), the guards measured on its result, then for real
 * with --yes when they pass (or --force); progress on stderr; Ctrl-C
 * cancels the server job; --schedule creates a MailStore job. */
#include "cli.h"

#include "../mailstore/sync.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate sync PROFILE [--yes] [--force] [--dry-run] [--format text|json]\n"
	"       dirgate sync PROFILE --schedule SPEC [--time-zone ID] [--yes]\n"
	"\n"
	"Runs MailStore's directory synchronisation: always a dry run first\n"
	"(dryRun=true: what would change, nothing stored), then - with --yes and\n"
	"without --dry-run - the real one.  Ctrl-C cancels the job on the server.\n"
	"The guards (minUsers, maxDeletes, maxDropPercent) are measured on the dry\n"
	"run's result; when one trips or cannot be measured the real run is refused\n"
	"(exit 3).  After the real run, 'dirgate verify' compares the server's\n"
	"users with the preview (exit 3 when a difference is an error).\n"
	"\n"
	"options:\n"
	"  -y, --yes            run for real after the dry run\n"
	"  --force              run for real although a guard refuses\n"
	"  -n, --dry-run        only the dry run, even with --yes\n"
	"  --format text|json   output format (default: text)\n"
	"  --schedule SPEC      create a MailStore job that runs the synchronisation:\n"
	"                       every:MINUTES (5,10,15,20,30,60,120,180,240,360,720),\n"
	"                       daily@HH:MM or weekly:DAY@HH:MM (DAY: Monday..Sunday);\n"
	"                       the job runs on the server without dirgate's guards: a\n"
	"                       systemd timer or cron job running 'dirgate sync PROFILE\n"
	"                       --yes' is the guarded alternative (examples/systemd/)\n"
	"  --time-zone ID       time zone of the job (GetTimeZones IDs; default UTC)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   synchronised (without --yes: the dry run shown)\n"
	"  1   the job failed, was cancelled or could not be started\n"
	"  3   the profile has errors, a guard refuses or cannot be measured, or\n"
	"      verify after the real run finds a difference that is an error\n"
	"  64  usage error\n";

struct sync_opts {
	int yes, dry, force, fmt;
	int first;                  /* JSON: no member printed yet */
};

static void show(const char *what, const dg_ms_envelope *env, int fmt, int *first)
{
	char *res = env->result ? dg_json_print_exact(env->result, 0) : NULL;

	if (fmt == DG_FMT_JSON) {
		printf("%s\"%s\":{\"status\":", *first ? "{" DG_JSON_FORMAT_VERSION_FIELD : ",",
		       strcmp(what, "dry run") ? "sync" : "dryRun");
		dg_strbuf sb = DG_STRBUF_INIT;
		dg_strbuf_add_json_str(&sb, env->status_code ? env->status_code : "");
		dg_strbuf_adds(&sb, ",\"log\":");
		if (env->log_output)
			dg_strbuf_add_json_str(&sb, env->log_output);
		else
			dg_strbuf_adds(&sb, "null");
		fputs(sb.buf, stdout);
		dg_strbuf_release(&sb);
		printf(",\"result\":%s}", res ? res : "null");
	} else {
		printf("== %s: %s\n", what, env->status_code ? env->status_code : "?");
		if (env->log_output)
			printf("%s%s", env->log_output,
			       env->log_output[strlen(env->log_output) - 1] == '\n' ? "" : "\n");
		if (res)
			printf("result: %s\n", res);
	}
	*first = 0;
	cJSON_free(res);
}

/* Ends the JSON document; a failure after it was begun is its "failure"
 * member, since the error document is only for a command with no document. */
static void close_json(int rc)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	const char *msg = dg_cli_error_message();

	if (rc) {
		dg_strbuf_adds(&sb, ",\"failure\":{\"message\":");
		if (msg)
			dg_strbuf_add_json_str(&sb, msg);
		else
			dg_strbuf_adds(&sb, "null");
		dg_strbuf_addf(&sb, ",\"exitCode\":%d}", rc);
	}
	dg_strbuf_adds(&sb, "}\n");
	fputs(sb.buf, stdout);
	dg_strbuf_release(&sb);
}

/* One run; a dry run's result goes to *result (for the guards). */
static int run_sync(dg_ms_session *s, int dry, struct sync_opts *so, cJSON **result)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_error err = { 0 };
	const char *what = dry ? "dry run" : "synchronisation";
	int rc = 0;

	if (dg_sync_run(s->client, dry, &env, &err)) {
		if (env.status_code)
			show(what, &env, so->fmt, &so->first);
		if (dg_ms_cancelled(s->client))
			fprintf(stderr, "dirgate sync: interrupted; asked the server to cancel "
				"the job (token %s)\n", dg_ms_last_token(s->client));
		rc = dg_cli_fail("%s", err.message);
		if (env.error_details)
			fprintf(stderr, "  details: %.400s\n", env.error_details);
	} else {
		show(what, &env, so->fmt, &so->first);
		if (result) {
			*result = env.result;
			env.result = NULL;
		}
	}
	dg_ms_envelope_release(&env);
	return rc;
}

/* What a pass was measured on, so it can be checked. */
static void guards_held(const dg_sync_opts *g, const dg_guard_counts *c)
{
	printf("guards hold on the dry run: %zu user%s after it (minUsers %d)",
	       c->directory_users, c->directory_users == 1 ? "" : "s",
	       g->min_users >= 0 ? g->min_users : 1);
	if (g->max_deletes >= 0)
		printf(", %zu to delete (maxDeletes %d)", c->deletes, g->max_deletes);
	if (g->max_drop_percent >= 0)
		printf(", %zu from directory services before it (maxDropPercent %g%%)",
		       c->server_users, g->max_drop_percent);
	putchar('\n');
}

/* The guards on the dry run's result: shown in the output's format;
 * DG_EXIT_FINDINGS when they refuse the real run. */
static int sync_guards(const dg_ms_session *s, const cJSON *result, struct sync_opts *so)
{
	dg_findings found = DG_FINDINGS_INIT, shown = DG_FINDINGS_INIT;
	dg_guard_counts counts;
	size_t hits;

	dg_sync_guards(&s->profile->sync, result, &counts, &found);
	hits = dg_guards_verdict(&found, so->force, &shown);
	if (so->fmt == DG_FMT_JSON) {
		dg_strbuf sb = DG_STRBUF_INIT;
		dg_strbuf_adds(&sb, so->first ? "{" DG_JSON_FORMAT_VERSION_FIELD "\"findings\":"
					      : ",\"findings\":");
		dg_output_findings_json_array(&sb, &shown);
		fputs(sb.buf, stdout);
		dg_strbuf_release(&sb);
		so->first = 0;
	}
	dg_cli_print_findings(&shown);
	dg_findings_clear(&found);
	dg_findings_clear(&shown);
	if (!hits && so->fmt != DG_FMT_JSON)
		guards_held(&s->profile->sync, &counts);
	if (!hits || so->force)
		return 0;
	if (so->yes && !so->dry)
		fputs("dirgate sync: refused by the guards above; the real synchronisation "
		      "was not run (--force overrides)\n", stderr);
	else
		fputs("dirgate sync: the guards above would refuse the real synchronisation "
		      "(--force overrides)\n", stderr);
	return DG_EXIT_FINDINGS;
}

/* The job calls SyncUsersWithDirectoryServices itself: no dry run, no
 * guard, every time it runs. */
static void unguarded_warning(const dg_ms_session *s)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_finding *fd = dg_findings_add(
		&f, DGF_GUARD009, "/sync/guards",
		"the MailStore job runs the real synchronisation on the server, without a "
		"dry run and without dirgate's guards (minUsers, maxDeletes, "
		"maxDropPercent), every time it runs");
	dg_finding_hint(fd, "for a guarded schedule, run 'dirgate sync %s --yes' from a "
			"systemd timer or cron instead (examples/systemd/dirgate-sync.timer)",
			s->profile->file);
	dg_cli_print_findings(&f);
	dg_findings_clear(&f);
}

/* sync --schedule --format json (docs/output.md "sync"); `id` is the
 * server's answer as JSON, NULL before --yes. */
static int schedule_json(const char *name, const char *spec, const char *tz, const char *id)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	dg_strbuf_adds(&sb, "{" DG_JSON_FORMAT_VERSION_FIELD "\"schedule\":{\"job\":");
	dg_strbuf_add_json_str(&sb, name);
	dg_strbuf_adds(&sb, ",\"when\":");
	dg_strbuf_add_json_str(&sb, spec);
	dg_strbuf_adds(&sb, ",\"timeZone\":");
	dg_strbuf_add_json_str(&sb, tz);
	dg_strbuf_addf(&sb, ",\"created\":%s,\"result\":%s}}\n", id ? "true" : "false",
		       id ? id : "null");
	rc = dg_cli_write(NULL, &sb);
	dg_strbuf_release(&sb);
	return rc;
}

static int schedule(dg_ms_session *s, const char *spec, const char *tz, int yes, int fmt)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_error err = { 0 };
	dg_ms_arg args[DG_SYNC_JOB_MAX_ARGS];
	size_t n = 0;
	char when[32], *name = dg_sync_job_name(s->profile);
	int rc = 0;

	if (dg_sync_job_args(s->profile, name, spec, tz, args, &n, when, sizeof(when))) {
		free(name);
		return dg_cli_usage_error("sync", "--schedule '%s' is not every:MINUTES (5, 10, 15, "
					  "20, 30, 60, 120, 180, 240, 360 or 720), daily@HH:MM or "
					  "weekly:DAY@HH:MM", spec);
	}
	unguarded_warning(s);
	if (!yes && fmt == DG_FMT_JSON) {
		rc = schedule_json(name, spec, tz, NULL);
		free(name);
		return rc;
	}
	if (!yes) {
		printf("would create MailStore job '%s' (%s, time zone %s)\n"
		       "nothing was changed: run again with --yes\n", name, spec, tz);
		free(name);
		return 0;
	}
	if (dg_ms_call(s->client, "CreateJob", args, n, 0, &env, &err)) {
		rc = dg_cli_fail("%s", err.message);
	} else {
		char *id = dg_json_print_exact(env.result, 0);
		if (fmt == DG_FMT_JSON)
			rc = schedule_json(name, spec, tz, id ? id : "null");
		else
			printf("created MailStore job '%s' (id %s): %s, time zone %s\n", name,
			       id ? id : "?", spec, tz);
		cJSON_free(id);
	}
	dg_ms_envelope_release(&env);
	free(name);
	return rc;
}

static int sync_dry_then_real(dg_ms_session *s, struct sync_opts *so)
{
	cJSON *result = NULL;
	int rc = run_sync(s, 1, so, &result);

	if (!rc && !dg_cli_interrupted)
		rc = sync_guards(s, result, so);
	cJSON_Delete(result);
	if (!rc && so->yes && !so->dry && dg_cli_interrupted)
		rc = dg_cli_fail("interrupted after the dry run: the real synchronisation "
				 "was not started");
	else if (!rc && so->yes && !so->dry)
		rc = run_sync(s, 0, so, NULL);
	return rc;
}

int dg_cmd_sync(int argc, char **argv)
{
	static const char *const formats[] = { "text", "json", NULL };
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "force", no_argument, NULL, 'F' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "schedule", required_argument, NULL, 's' },
		{ "time-zone", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = NULL, *tz = "UTC";
	struct sync_opts so = { 0, 0, 0, DG_FMT_TEXT, 1 };
	int c, rc;
	dg_ms_session s;

	while ((c = dg_cli_getopt("sync", argc, argv, "yn", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'y': so.yes = 1; break;
		case 'F': so.force = 1; break;
		case 'n': so.dry = 1; break;
		case 'f':
			if ((so.fmt = dg_cli_parse_format("sync", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		case 's': spec = optarg; break;
		case 'z': tz = optarg; break;
		}
	}
	if ((rc = dg_cli_one_operand("sync", argc, argv, "PROFILE")))
		return rc;
	dg_cli_catch_sigint();
	if ((rc = dg_cli_ms_open("sync", argv[optind], &dg_cli_interrupted, &s)))
		return rc;
	dg_ms_set_progress(s.client, dg_cli_ms_progress, (void *)"sync");
	if (spec) {
		rc = schedule(&s, spec, tz, so.yes, so.fmt);
		dg_ms_session_close(&s);
		return rc;
	}
	rc = sync_dry_then_real(&s, &so);
	/* the proof: what the real run made, against the preview */
	if (!rc && so.yes && !so.dry)
		rc = dg_cli_verify(&s, so.fmt, 8, so.first ? "{" DG_JSON_FORMAT_VERSION_FIELD
							     "\"verify\":" : ",\"verify\":");
	if (so.fmt == DG_FMT_JSON && !so.first)
		close_json(rc);
	if (!rc && !so.yes && !so.dry && so.fmt != DG_FMT_JSON)
		printf("that was a dry run: nothing was stored; run again with --yes to "
		       "synchronise for real\n");
	dg_ms_session_close(&s);
	return rc;
}

/* dirgate onboard MANIFEST: many tenants from one manifest (src/onboard/). */
#include "cli.h"

#include "../core/profile.h"
#include "../core/readfile.h"
#include "../net/http.h"
#include "../onboard/run.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: dirgate onboard MANIFEST [--yes] [--jobs N] [--per-endpoint N]\n"
	"                       [--state FILE] [--report FILE] [--html FILE]\n"
	"                       [--artifacts DIR] [--only IDS] [--stop-after STEP]\n"
	"                       [--shard K/N]\n"
	"       dirgate onboard MANIFEST --render DIR [--only IDS] [--shard K/N]\n"
	"       dirgate onboard --merge REPORT... [--report FILE] [--html FILE]\n"
	"\n"
	"Onboards every tenant of MANIFEST (docs/onboard.md): render its profile and\n"
	"check it offline; SPE: the instance exists and runs (created and started when\n"
	"the manifest says so); Microsoft 365 with certificate.generate: a new app\n"
	"certificate and the manual steps for the customer; live check; plan (saved).\n"
	"With --yes also: push the saved plan (backup first), synchronisation dry run\n"
	"compared with the plan, the real synchronisation, GetUsers compared with the\n"
	"plan, and the schedule job (only when none of its name exists).  A tenant\n"
	"stops at its first failure; the others go on.  Running the same command again\n"
	"resumes: finished tenants are skipped.\n"
	"\n"
	"options:\n"
	"  -y, --yes             change the servers (without it: up to the plan)\n"
	"  -j, --jobs N          tenants at once (default 4, at most 64)\n"
	"  --per-endpoint N      tenants talking to one MailStore URL at once (default 4)\n"
	"  --state FILE          resume state (default ARTIFACTS/state.json; one a shard)\n"
	"  --report FILE         the JSON report (default ARTIFACTS/report.json)\n"
	"  --html FILE           the report as an HTML page as well\n"
	"  --artifacts DIR       per-tenant files: rendered profile, preview, plan, backup\n"
	"                        (default: MANIFEST without .json, plus .onboard)\n"
	"  --only IDS            only these tenants (comma-separated ids)\n"
	"  --stop-after STEP     render, check, instance, certificate, live-check, plan,\n"
	"                        push, sync, verify or schedule\n"
	"  --shard K/N           only the K-th of N stable shares of the tenants\n"
	"  --render DIR          write each tenant's profile to DIR/ID.json and check it\n"
	"                        offline; nothing else\n"
	"  --merge               the operands are shard reports: combine them into one\n"
	"  --format text|json    standard output: a line per tenant (default), or the\n"
	"                        report itself as one JSON document (not with --render)\n"
	"  -h, --help            show this help\n"
	"\n"
	"exit status:\n"
	"  0   every tenant reached its goal\n"
	"  1   the run could not proceed, or was interrupted\n"
	"  3   some tenant has errors (the others are done)\n"
	"  64  usage error\n";

struct onboard_args {
	dg_fleet_opts o;
	const char *report, *html, *render, *state, *artifacts;
	int fmt;
	int merge;
	dg_strlist only;
};

static int parse_int(const char *opt, const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || end == s || v < lo || v > hi)
		return dg_cli_usage_error("onboard", "%s takes %d to %d, not '%s'", opt, lo, hi, s);
	*out = (int)v;
	return 0;
}

static int parse_shard(const char *s, dg_fleet_opts *o)
{
	if (sscanf(s, "%d/%d", &o->shard_k, &o->shard_n) != 2 || o->shard_n < 1 ||
	    o->shard_n > 10000 || o->shard_k < 1 || o->shard_k > o->shard_n)
		return dg_cli_usage_error("onboard", "--shard takes K/N with 1 <= K <= N, not "
					  "'%s'", s);
	return 0;
}

static void split_ids(const char *s, dg_strlist *out)
{
	char *copy = dg_xstrdup(s), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (*tok)
			dg_strlist_push(out, tok);
	free(copy);
}

/* parse_args: --help was shown, the command ends with exit status 0. */
#define HELP_SHOWN (-1)

static int parse_args(int argc, char **argv, struct onboard_args *a)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "per-endpoint", required_argument, NULL, 'e' },
		{ "state", required_argument, NULL, 's' },
		{ "report", required_argument, NULL, 'r' },
		{ "html", required_argument, NULL, 'H' },
		{ "artifacts", required_argument, NULL, 'a' },
		{ "only", required_argument, NULL, 'o' },
		{ "stop-after", required_argument, NULL, 'S' },
		{ "shard", required_argument, NULL, 'k' },
		{ "render", required_argument, NULL, 'R' },
		{ "merge", no_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	int c, rc;

	while ((c = dg_cli_getopt("onboard", argc, argv, "yj:", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc ? rc : HELP_SHOWN;
		case 'y': a->o.yes = 1; break;
		case 'j': if ((rc = parse_int("--jobs", optarg, 1, 64, &a->o.jobs))) return rc; break;
		case 'e':
			if ((rc = parse_int("--per-endpoint", optarg, 1, 64, &a->o.per_endpoint)))
				return rc;
			break;
		case 's': a->state = optarg; break;
		case 'f':
			if ((a->fmt = dg_cli_parse_format("onboard", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		case 'r': a->report = optarg; break;
		case 'H': a->html = optarg; break;
		case 'a': a->artifacts = optarg; break;
		case 'o': split_ids(optarg, &a->only); a->o.only = &a->only; break;
		case 'S':
			if ((a->o.stop_after = dg_step_parse(optarg)) == DG_STEP_NONE ||
			    a->o.stop_after == DG_STEP_DONE)
				return dg_cli_usage_error("onboard", "--stop-after: '%s' is not a "
							  "step (see --help)", optarg);
			break;
		case 'k': if ((rc = parse_shard(optarg, &a->o))) return rc; break;
		case 'R': a->render = optarg; break;
		case 'm': a->merge = 1; break;
		}
	}
	if (a->merge)
		return optind < argc ? 0 : dg_cli_usage_error("onboard", "--merge needs the "
							      "shard reports");
	if (a->render && a->fmt == DG_FMT_JSON)
		return dg_cli_usage_error("onboard", "--render writes profile files; --format json "
					  "goes with a run or --merge");
	return dg_cli_one_operand("onboard", argc, argv, "MANIFEST");
}

/* ---- --render ---- */

static int render_one(const dg_manifest *m, const dg_tenant *t, const char *dir,
		      dg_findings *all)
{
	dg_findings found = DG_FINDINGS_INIT;
	dg_rendered rd;
	char *path = dg_xasprintf("%s/%s.json", dir, t->id);
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p;
	int rc = 0;

	dg_strbuf_adds(&sb, "");
	if (!dg_manifest_render(m, t, &rd, &found)) {
		dg_strbuf_adds(&sb, rd.text);
		if (!(rc = dg_cli_write(path, &sb))) {
			p = dg_profile_parse(rd.text, strlen(rd.text), path, &found);
			dg_onboard_check_offline(p, rd.onboard, &found);
			dg_profile_free(p);
			dg_manifest_relocate(m, t, &rd, &found);
		}
	}
	fprintf(stderr, "tenant %s: %s\n", t->id, rc ? "not written" : path);
	dg_cli_print_findings(&found);
	dg_findings_move(all, &found);
	dg_rendered_release(&rd);
	explicit_bzero(sb.buf, sb.len);
	dg_strbuf_release(&sb);
	free(path);
	return rc;
}

/* The first error among findings that hold one: the code a tenant that
 * cannot be rendered is marked with, an error whatever came before it. */
static const dg_finding *first_error(const dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		if (f->items[i].severity == DG_SEV_ERROR)
			return &f->items[i];
	return &f->items[0];
}

static int render_all(const dg_manifest *m, const struct onboard_args *a)
{
	dg_findings all = DG_FINDINGS_INIT;
	int rc = 0;

	if (mkdir(a->render, 0700) && errno != EEXIST)
		return dg_cli_fail("cannot create %s: %s", a->render, strerror(errno));
	for (size_t i = 0; i < m->nr && !rc; i++) {
		const dg_tenant *t = &m->tenants[i];
		if (a->o.shard_n && dg_fleet_shard_of(t->id, a->o.shard_n) != a->o.shard_k)
			continue;
		if (a->o.only && !dg_strlist_contains_ci(a->o.only, t->id))
			continue;
		dg_cli_print_findings(&t->findings);
		if (!dg_findings_count(&t->findings, DG_SEV_ERROR))
			rc = render_one(m, t, a->render, &all);
		else   /* its entry is wrong: not rendered, the exit status says so */
			dg_findings_add(&all, first_error(&t->findings)->id, "", "tenant %s",
					t->id);
	}
	if (!rc && dg_findings_count(&all, DG_SEV_ERROR))
		rc = DG_EXIT_FINDINGS;
	dg_findings_clear(&all);
	return rc;
}

/* ---- progress: one line per running tenant, then the counts ---- */

struct progress {
	int lines;   /* printed last time, to move back over */
};

static void show_progress(void *ctx, const dg_fleet *f)
{
	struct progress *pr = ctx;
	size_t done = 0, failed = 0, running = 0;

	for (int i = 0; i < pr->lines; i++)
		fputs("\033[A\033[K", stderr);
	pr->lines = 0;
	for (size_t i = 0; i < f->nr; i++) {
		const dg_tenant_run *r = &f->runs[i];
		if (r->status == DG_TS_RUNNING) {
			fprintf(stderr, "  %-24s %s\n", r->tenant->id, dg_step_name(r->current));
			running++;
			pr->lines++;
		}
		done += r->status == DG_TS_DONE || r->status == DG_TS_RESUMED;
		failed += r->status == DG_TS_FAILED || r->status == DG_TS_INTERRUPTED;
	}
	fprintf(stderr, "onboard: %zu done, %zu failed, %zu left\n", done, failed,
		f->nr - done - failed);
	pr->lines++;
	fflush(stderr);
}

/* ---- the run ---- */

static void on_signal(int sig)
{
	(void)sig;
	dg_cancel_raise(&dg_cli_interrupted);
}

/* SIGINT/SIGTERM raise the cancel flag that the tenants' threads poll
 * (atomically: dg_cli_catch_sigint's plain store would race with them). */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a blocking wait returns and the loop sees the flag */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static char *default_artifacts(const char *manifest)
{
	size_t n = strlen(manifest);

	if (n > 5 && !strcmp(manifest + n - 5, ".json"))
		n -= 5;
	return dg_xasprintf("%.*s.onboard", (int)n, manifest);
}

/* The JSON report to json_path (standard output for NULL, unless `json_out`:
 * then the --format json document carries it there instead). */
static int write_reports(const cJSON *report, const char *json_path, const char *html_path,
			 int json_out)
{
	int rc = json_path || !json_out ? dg_cli_write_json(json_path, report, DG_OUTFILE_REPLACE)
				       : 0;

	if (!rc && html_path) {
		dg_strbuf sb = DG_STRBUF_INIT;
		dg_fleet_report_html(&sb, report);
		rc = dg_cli_write(html_path, &sb);
		dg_strbuf_release(&sb);
	}
	return rc;
}

/* --format json: the report as the command's document (docs/output.md). */
static int print_report_json(const cJSON *report, const char *report_path)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	char *text = dg_json_print_exact(report, 0);
	int rc;

	dg_strbuf_adds(&sb, "{" DG_JSON_FORMAT_VERSION_FIELD "\"command\":\"onboard\",\"reportFile\":");
	if (report_path)
		dg_strbuf_add_json_str(&sb, report_path);
	else
		dg_strbuf_adds(&sb, "null");
	dg_strbuf_addf(&sb, ",\"report\":%s}\n", text ? text : "null");
	cJSON_free(text);
	rc = dg_cli_write(NULL, &sb);
	dg_strbuf_release(&sb);
	return rc;
}

static void print_summary(const dg_fleet *f, const char *report_path)
{
	for (size_t i = 0; i < f->nr; i++) {
		const dg_tenant_run *r = &f->runs[i];
		printf("%-24s %-11s %s%s%s\n", r->tenant->id, dg_tenant_status_name(r->status),
		       dg_step_name(r->reached), r->failed_step ? ", failed at " : "",
		       r->failed_step ? dg_step_name(r->failed_step) : "");
		if (r->status == DG_TS_FAILED)
			dg_cli_print_findings(&r->findings);
	}
	printf("report: %s\n", report_path);
}

static int run_fleet(const dg_manifest *m, struct onboard_args *a)
{
	char *artifacts = a->artifacts ? dg_xstrdup(a->artifacts) : default_artifacts(m->file);
	char *suffix = a->o.shard_n ? dg_xasprintf("-%d-of-%d", a->o.shard_k, a->o.shard_n)
				    : dg_xstrdup("");
	char *state = a->state ? dg_xstrdup(a->state)
			       : dg_xasprintf("%s/state%s.json", artifacts, suffix);
	char *report_path = a->report ? dg_xstrdup(a->report)
				      : dg_xasprintf("%s/report%s.json", artifacts, suffix);
	struct progress pr = { 0 };
	dg_error err = { 0 };
	dg_fleet f;
	cJSON *report;
	int rc, inited = 0;

	a->o.artifacts = artifacts;
	a->o.state_path = state;
	a->o.cancel = &dg_cli_interrupted;
	if (isatty(fileno(stderr))) {
		a->o.progress = show_progress;
		a->o.progress_ctx = &pr;
	}
	if (mkdir(artifacts, 0700) && errno != EEXIST)
		rc = dg_cli_fail("cannot create %s: %s", artifacts, strerror(errno));
	else if ((inited = 1) && dg_fleet_init(&f, m, &a->o, &err))
		rc = dg_cli_fail("%s", err.message);
	else {
		catch_signals();
		dg_fleet_run(&f);
		report = dg_fleet_report(&f);
		rc = write_reports(report, report_path, a->html, 0);
		if (a->fmt == DG_FMT_JSON)
			rc = rc ? rc : print_report_json(report, report_path);
		else
			print_summary(&f, report_path);
		if (!rc)
			rc = dg_cancel_raised(&dg_cli_interrupted) ? DG_EXIT_FAILURE
			     : dg_fleet_report_ok(report) ? DG_EXIT_OK : DG_EXIT_FINDINGS;
		cJSON_Delete(report);
	}
	if (inited)
		dg_fleet_release(&f);
	free(artifacts);
	free(suffix);
	free(state);
	free(report_path);
	return rc;
}

/* ---- --merge ---- */

static cJSON *read_report(const char *path)
{
	dg_error err = { 0 };
	cJSON *j = dg_json_read_file(path, 0, NULL, &err);
	if (!j)
		dg_cli_fail("%s", err.message);
	return j;
}

static int merge(int argc, char **argv, const struct onboard_args *a)
{
	size_t n = (size_t)(argc - optind);
	cJSON **reports = dg_xcalloc(n, sizeof(*reports)), *merged = NULL;
	dg_error err = { 0 };
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		if (!(reports[i] = read_report(argv[optind + (int)i])))
			rc = DG_EXIT_FAILURE;
	if (!rc && !(merged = dg_fleet_report_merge(reports, n, &err)))
		rc = dg_cli_fail("%s", err.message);
	if (!rc)
		rc = write_reports(merged, a->report, a->html, a->fmt == DG_FMT_JSON);
	if (!rc && a->fmt == DG_FMT_JSON)
		rc = print_report_json(merged, a->report);
	if (!rc)
		rc = dg_fleet_report_ok(merged) ? DG_EXIT_OK : DG_EXIT_FINDINGS;
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(reports[i]);
	free(reports);
	cJSON_Delete(merged);
	return rc;
}

int dg_cmd_onboard(int argc, char **argv)
{
	struct onboard_args a = { 0 };
	dg_findings found = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	dg_manifest *m;
	int rc;

	if ((rc = parse_args(argc, argv, &a))) {
		if (rc == HELP_SHOWN)
			rc = DG_EXIT_OK;
		goto out;
	}
	if (a.merge) {
		rc = merge(argc, argv, &a);
		goto out;
	}
	if (!(m = dg_manifest_load(argv[optind], &found, &err))) {
		rc = dg_cli_fail("%s", err.message);
		goto out;
	}
	dg_cli_print_findings(&found);
	if (dg_findings_count(&found, DG_SEV_ERROR))
		rc = DG_EXIT_FINDINGS;
	else
		rc = a.render ? render_all(m, &a) : run_fleet(m, &a);
	dg_manifest_free(m);
out:
	dg_findings_clear(&found);
	dg_strlist_clear(&a.only);
	return rc;
}

/* The fleet run (dirgate onboard): each selected tenant of a manifest
 * through render, check, SPE instance, certificate, live check, plan and -
 * with `yes` - push, synchronisation, verification and schedule, stopping a
 * tenant at its first failure and going on with the others.  `jobs`
 * tenants at once; calls to one MailStore endpoint bounded by
 * `per_endpoint`; a state file (locked, written atomically) so that a
 * re-run resumes.  No printing: the caller gets the results and a progress
 * callback. */
#ifndef DG_ONBOARD_RUN_H
#define DG_ONBOARD_RUN_H

#include "manifest.h"
#include "../core/strbuf.h"
#include "../mailstore/plan.h"

#include <pthread.h>
#include <signal.h>

typedef enum dg_step {
	DG_STEP_NONE, DG_STEP_RENDER, DG_STEP_CHECK, DG_STEP_INSTANCE, DG_STEP_CERT,
	DG_STEP_LIVE, DG_STEP_PLAN, DG_STEP_PUSH, DG_STEP_SYNC, DG_STEP_VERIFY,
	DG_STEP_SCHEDULE, DG_STEP_DONE, DG_STEP_COUNT
} dg_step;
const char *dg_step_name(dg_step s);      /* "render", "live-check", ... */
dg_step dg_step_parse(const char *name);   /* DG_STEP_NONE when unknown */

typedef enum dg_tenant_status {
	DG_TS_PENDING,      /* not started (yet) */
	DG_TS_RUNNING,
	DG_TS_DONE,         /* reached the run's goal */
	DG_TS_RESUMED,      /* had reached it in an earlier run: skipped */
	DG_TS_FAILED,
	DG_TS_INTERRUPTED,  /* Ctrl-C: cancelled, or never started */
} dg_tenant_status;
const char *dg_tenant_status_name(dg_tenant_status s);

/* Counts are -1 when not known (the step was not reached). */
typedef struct dg_tenant_run {
	const dg_tenant *tenant;
	dg_tenant_status status;
	dg_step reached;            /* last step finished */
	dg_step failed_step;        /* DG_STEP_NONE unless failed/interrupted */
	dg_findings findings;
	dg_strlist manual_steps;
	long counts[DG_ACT_COUNT];  /* the plan's create/update/rename/delete/unchanged */
	long directory_users;       /* the preview */
	long server_users_after;    /* GetUsers after the synchronisation */
	char *dir;                  /* artefacts directory */
	char *profile, *preview, *plan, *backup, *sync_log, *cert_dir;
	char fingerprint[65];
	double seconds;
	dg_step current;            /* while running, for progress */
} dg_tenant_run;

typedef struct dg_fleet dg_fleet;
typedef void (*dg_fleet_progress_fn)(void *ctx, const dg_fleet *f);

typedef struct dg_fleet_opts {
	int jobs;                   /* tenants at once (default 4) */
	int per_endpoint;           /* MailStore calls in flight per target URL (default 4) */
	int yes;
	dg_step stop_after;         /* DG_STEP_NONE: the goal (plan, or done with yes) */
	const char *state_path;     /* NULL: no state */
	const char *artifacts;      /* the artefacts directory */
	const dg_strlist *only;     /* NULL: every tenant */
	int shard_k, shard_n;       /* 1-based; n 0: no sharding */
	volatile sig_atomic_t *cancel;
	dg_fleet_progress_fn progress;
	void *progress_ctx;
} dg_fleet_opts;

struct dg_fleet {
	const dg_manifest *m;
	const dg_fleet_opts *o;
	dg_step goal;
	int jobs, per_endpoint;     /* the options with their defaults */
	dg_tenant_run *runs;        /* the selected tenants, in manifest order */
	size_t nr;
	size_t next;                /* next run to start */
	pthread_mutex_t lock;       /* runs' status/current, next, state file */
	cJSON *state;               /* the state document */
	int lock_fd;
	struct dg_endpoint *endpoints;
	size_t nendpoints;
	pthread_cond_t endpoint_free;
	char *started_at;
};

/* Selects the tenants (only, shard), takes the state file's lock and reads
 * it.  DG_E_IO when the state is locked by another run or unreadable. */
dg_code dg_fleet_init(dg_fleet *f, const dg_manifest *m, const dg_fleet_opts *o,
		      dg_error *err);
/* Runs every selected tenant; returns when all have ended or, after the
 * cancel flag rose, the running ones have stopped. */
void dg_fleet_run(dg_fleet *f);
void dg_fleet_release(dg_fleet *f);

/* The check step's rules for a rendered profile: `dirgate check --offline`,
 * less the certificate files certificate.generate will make, plus what a
 * fleet run cannot use (secrets to prompt for, no target).  Also --render's. */
void dg_onboard_check_offline(const dg_profile *p, const cJSON *onboard, dg_findings *out);

/* Which share a tenant belongs to: a hash of its id, so adding a tenant
 * never moves the others between shards.  1-based. */
int dg_fleet_shard_of(const char *id, int n);

/* The report (schemas/onboard-report.schema.json). */
cJSON *dg_fleet_report(const dg_fleet *f);
/* Several shards' reports into one (tenants by manifest position). */
cJSON *dg_fleet_report_merge(cJSON *const *reports, size_t n, dg_error *err);
/* Whether every tenant in the report reached its goal. */
int dg_fleet_report_ok(const cJSON *report);
/* The same report as an HTML page (failures first, sortable table). */
void dg_fleet_report_html(dg_strbuf *out, const cJSON *report);

#endif

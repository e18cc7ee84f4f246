/* Directory synchronisation pieces that sync and onboard share: the guards
 * on a dry run's result, and the MailStore job that schedules it.  No
 * printing. */
#ifndef DG_MS_SYNC_H
#define DG_MS_SYNC_H

#include "session.h"

/* SyncUsersWithDirectoryServices (dryRun true or false), polled to its
 * end; the final envelope in *env whenever one arrived. */
dg_code dg_sync_run(dg_ms_client *c, int dry, dg_ms_envelope *env, dg_error *err);

/* The guards measured on a dry run's result into `found` (dg_guards_check),
 * the counts they were measured on into *counts. */
void dg_sync_guards(const dg_sync_opts *so, const cJSON *result, dg_guard_counts *counts,
		    dg_findings *found);

/* CreateJob's arguments for a schedule SPEC (every:MINUTES, daily@HH:MM,
 * weekly:DAY@HH:MM): args[] borrows `name`, the profile's target user, `tz`
 * and `buf` (scratch of `len` bytes).  -1 when SPEC is none of those. */
#define DG_SYNC_JOB_MAX_ARGS 8
int dg_sync_job_args(const dg_profile *p, const char *name, const char *spec, const char *tz,
		     dg_ms_arg *args, size_t *n, char *buf, size_t len);
/* The job's name, "dirgate sync NAME": how a re-run finds it (caller frees). */
char *dg_sync_job_name(const dg_profile *p);
/* Whether GetJobs lists a job called `name` (*id its id, or -1). */
dg_code dg_sync_find_job(dg_ms_client *c, const char *name, long *id, dg_error *err);

#endif

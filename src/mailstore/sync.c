/* Synchronisation pieces shared by sync and onboard: sync.h. */
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

dg_code dg_sync_run(dg_ms_client *c, int dry, dg_ms_envelope *env, dg_error *err)
{
	dg_ms_arg arg = { "dryRun", dry ? "true" : "false" };

	return dg_ms_call(c, "SyncUsersWithDirectoryServices", &arg, 1, 0, env, err);
}

void dg_sync_guards(const dg_sync_opts *so, const cJSON *result, dg_guard_counts *counts,
		    dg_findings *found)
{
	dg_sync_result_counts(result, counts);
	dg_guards_check(so, counts, "the dry run", found);
}

/* every:N / daily@HH:MM / weekly:DAY@HH:MM into CreateJob arguments. */
static int parse_schedule(const char *spec, dg_ms_arg *args, size_t *n, char *buf, size_t len)
{
	static const char *const days[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
					    "Friday", "Saturday", "Sunday" };
	const char *at = strchr(spec, '@');
	int hh, mm;
	char tail;

	if (!strncmp(spec, "every:", 6)) {
		/* The intervals MailStore's job scheduler offers; CreateJob
		 * refuses any other. */
		static const char *const minutes[] = { "5", "10", "15", "20", "30", "60",
						       "120", "180", "240", "360", "720" };
		for (size_t i = 0; i < sizeof(minutes) / sizeof(minutes[0]); i++)
			if (!strcmp(spec + 6, minutes[i])) {
				args[(*n)++] = (dg_ms_arg){ "interval", minutes[i] };
				return 0;
			}
		return -1;
	}
	if (!at || sscanf(at + 1, "%2d:%2d%c", &hh, &mm, &tail) != 2 || hh > 23 || mm > 59 ||
	    hh < 0 || mm < 0)
		return -1;
	snprintf(buf, len, "%02d:%02d", hh, mm);
	args[(*n)++] = (dg_ms_arg){ "time", buf };
	if (!strncmp(spec, "daily@", 6))
		return 0;
	if (strncmp(spec, "weekly:", 7))
		return -1;
	for (size_t i = 0; i < 7; i++)
		if (!strncasecmp(spec + 7, days[i], strlen(days[i])) &&
		    spec + 7 + strlen(days[i]) == at) {
			args[(*n)++] = (dg_ms_arg){ "dayOfWeek", days[i] };
			return 0;
		}
	return -1;
}

int dg_sync_job_args(const dg_profile *p, const char *name, const char *spec, const char *tz,
		     dg_ms_arg *args, size_t *n, char *buf, size_t len)
{
	*n = 0;
	args[(*n)++] = (dg_ms_arg){ "name", name };
	/* A job's action is a Management API command line, not a function
	 * call: the function's name, then its arguments. */
	args[(*n)++] = (dg_ms_arg){ "action", "SyncUsersWithDirectoryServices" };
	args[(*n)++] = (dg_ms_arg){ "owner", p->target.user };
	args[(*n)++] = (dg_ms_arg){ "timeZoneId", tz };
	return parse_schedule(spec, args, n, buf, len);
}

char *dg_sync_job_name(const dg_profile *p)
{
	return dg_xasprintf("dirgate sync %s", p->name ? p->name : "");
}

dg_code dg_sync_find_job(dg_ms_client *c, const char *name, long *id, dg_error *err)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	const cJSON *job, *list;
	dg_code rc = dg_ms_call(c, "GetJobs", NULL, 0, DG_MS_READ, &env, err);

	*id = -1;
	if (!rc && !cJSON_IsArray(env.result))
		rc = dg_error_set(err, DG_E_PROTOCOL, "GetJobs answered something that is not "
				  "a list of jobs");
	list = rc ? NULL : env.result;
	cJSON_ArrayForEach(job, list) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(job, "name");
		const cJSON *i = cJSON_GetObjectItemCaseSensitive(job, "id");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) {
			*id = cJSON_IsNumber(i) ? (long)i->valuedouble : 0;
			break;
		}
	}
	dg_ms_envelope_release(&env);
	return rc;
}

/* The fleet run: run.h.  One tenant's steps are in tenant.c. */
#include "run.h"

#include "tenant.h"

#include "../core/jsonexact.h"
#include "../core/outfile.h"
#include "../net/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_JOBS 4
#define DEFAULT_PER_ENDPOINT 4

static const char *const step_names[DG_STEP_COUNT] = {
	"none", "render", "check", "instance", "certificate", "live-check", "plan",
	"push", "sync", "verify", "schedule", "done",
};

const char *dg_step_name(dg_step s)
{
	return s < DG_STEP_COUNT ? step_names[s] : "?";
}

dg_step dg_step_parse(const char *name)
{
	for (int i = 1; i < DG_STEP_COUNT; i++)
		if (!strcmp(step_names[i], name))
			return (dg_step)i;
	return DG_STEP_NONE;
}

const char *dg_tenant_status_name(dg_tenant_status s)
{
	static const char *const names[] = { "pending", "running", "done", "resumed",
					     "failed", "interrupted" };
	return names[s];
}

/* FNV-1a: stable across runs, machines and versions. */
int dg_fleet_shard_of(const char *id, int n)
{
	unsigned long h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = ((h ^ *p) * 16777619u) & 0xffffffffu;
	return (int)(h % (unsigned long)n) + 1;
}

static int selected(const dg_tenant *t, const dg_fleet_opts *o)
{
	if (o->shard_n && dg_fleet_shard_of(t->id, o->shard_n) != o->shard_k)
		return 0;
	if (!o->only)
		return 1;
	for (size_t i = 0; i < o->only->nr; i++)
		if (!strcasecmp(o->only->items[i], t->id))
			return 1;
	return 0;
}

static char *now_text(void)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return dg_xstrdup(stamp);
}

/* ---- the state file ---- */

static dg_code state_lock(dg_fleet *f, dg_error *err)
{
	char *path = dg_xasprintf("%s.lock", f->o->state_path);

	f->lock_fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f->lock_fd < 0) {
		dg_error_set(err, DG_E_IO, "cannot open the state lock %s: %s", path,
			     strerror(errno));
		free(path);
		return DG_E_IO;
	}
	if (flock(f->lock_fd, LOCK_EX | LOCK_NB)) {
		dg_error_set(err, DG_E_IO, "another 'dirgate onboard' run uses the state %s "
			     "(its lock %s is held); wait for it to end", f->o->state_path, path);
		close(f->lock_fd);
		f->lock_fd = -1;
		free(path);
		return DG_E_IO;
	}
	free(path);
	return DG_OK;
}

static dg_code state_read(dg_fleet *f, dg_error *err)
{
	FILE *fp = fopen(f->o->state_path, "rb");
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[8192];
	size_t n;

	if (!fp && errno == ENOENT) {
		f->state = cJSON_CreateObject();
		cJSON_AddNumberToObject(f->state, "dirgateOnboardState", 1);
		cJSON_AddStringToObject(f->state, "manifest", f->m->file);
		cJSON_AddItemToObject(f->state, "tenants", cJSON_CreateObject());
		return DG_OK;
	}
	if (!fp)
		return dg_error_set(err, DG_E_IO, "cannot read the state %s: %s",
				    f->o->state_path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		dg_strbuf_add(&sb, buf, n);
	fclose(fp);
	f->state = dg_json_parse_exact(sb.buf ? sb.buf : "", sb.len, NULL);
	dg_strbuf_release(&sb);
	if (!cJSON_IsObject(f->state) ||
	    !cJSON_GetObjectItemCaseSensitive(f->state, "dirgateOnboardState") ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(f->state, "tenants"))) {
		cJSON_Delete(f->state);
		f->state = NULL;
		return dg_error_set(err, DG_E_INVALID, "%s is not a dirgate onboard state file; "
				    "give another --state or remove it", f->o->state_path);
	}
	return DG_OK;
}

const cJSON *dg_fleet_state_of(const dg_fleet *f, const char *id)
{
	return f->state ? cJSON_GetObjectItemCaseSensitive(
				  cJSON_GetObjectItemCaseSensitive(f->state, "tenants"), id)
			: NULL;
}

static void set_str(cJSON *obj, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (value)
		cJSON_AddStringToObject(obj, key, value);
}

/* Records the run's last finished step; the whole file is replaced at once
 * (core/outfile.h), so a crash leaves the previous version. */
void dg_fleet_state_record(dg_fleet *f, const dg_tenant_run *r)
{
	cJSON *tenants, *t;
	char *text, *stamp;
	dg_error err = { 0 };

	if (!f->o->state_path)
		return;
	pthread_mutex_lock(&f->lock);
	tenants = cJSON_GetObjectItemCaseSensitive(f->state, "tenants");
	if (!(t = cJSON_GetObjectItemCaseSensitive(tenants, r->tenant->id))) {
		t = cJSON_CreateObject();
		cJSON_AddItemToObject(tenants, r->tenant->id, t);
	}
	stamp = now_text();
	set_str(t, "step", dg_step_name(r->reached));
	set_str(t, "time", stamp);
	if (r->fingerprint[0])
		set_str(t, "fingerprint", r->fingerprint);
	if (r->plan)
		set_str(t, "plan", r->plan);
	if (r->backup)
		set_str(t, "backup", r->backup);
	free(stamp);
	text = dg_json_print_exact(f->state, 1);
	/* A state that cannot be written makes resuming redo work, never skip
	 * it: the tenant is reported with the finding, the run goes on. */
	if (dg_outfile_write(f->o->state_path, text, strlen(text), DG_OUTFILE_REPLACE, &err))
		dg_findings_add((dg_findings *)&r->findings, DGF_FLEET013, "",
				"the state file could not be written: %s", err.message);
	cJSON_free(text);
	pthread_mutex_unlock(&f->lock);
}

/* ---- per-endpoint limit ---- */

struct dg_endpoint {
	char *url;
	int in_use;
};

struct dg_endpoint *dg_fleet_endpoint_acquire(dg_fleet *f, const char *url)
{
	struct dg_endpoint *ep = NULL;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nendpoints && !ep; i++)
		if (!strcasecmp(f->endpoints[i].url, url))
			ep = &f->endpoints[i];
	if (!ep) {
		/* at most one per tenant: allocated for all at init */
		ep = &f->endpoints[f->nendpoints++];
		ep->url = dg_xstrdup(url);
	}
	while (ep->in_use >= f->per_endpoint)
		pthread_cond_wait(&f->endpoint_free, &f->lock);
	ep->in_use++;
	pthread_mutex_unlock(&f->lock);
	return ep;
}

void dg_fleet_endpoint_release(dg_fleet *f, struct dg_endpoint *ep)
{
	if (!ep)
		return;
	pthread_mutex_lock(&f->lock);
	ep->in_use--;
	pthread_cond_broadcast(&f->endpoint_free);
	pthread_mutex_unlock(&f->lock);
}

void dg_fleet_progress(dg_fleet *f)
{
	if (!f->o->progress)
		return;
	pthread_mutex_lock(&f->lock);
	f->o->progress(f->o->progress_ctx, f);
	pthread_mutex_unlock(&f->lock);
}

/* ---- the run ---- */

dg_code dg_fleet_init(dg_fleet *f, const dg_manifest *m, const dg_fleet_opts *o,
		      dg_error *err)
{
	memset(f, 0, sizeof(*f));
	f->m = m;
	f->o = o;
	f->lock_fd = -1;
	f->goal = o->yes ? DG_STEP_DONE : DG_STEP_PLAN;
	f->jobs = o->jobs > 0 ? o->jobs : DEFAULT_JOBS;
	f->per_endpoint = o->per_endpoint > 0 ? o->per_endpoint : DEFAULT_PER_ENDPOINT;
	if (o->stop_after != DG_STEP_NONE && o->stop_after < f->goal)
		f->goal = o->stop_after;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->endpoint_free, NULL);
	f->runs = dg_xcalloc(m->nr ? m->nr : 1, sizeof(*f->runs));
	f->endpoints = dg_xcalloc(m->nr ? m->nr : 1, sizeof(*f->endpoints));
	for (size_t i = 0; i < m->nr; i++)
		if (selected(&m->tenants[i], o))
			dg_tenant_run_init(&f->runs[f->nr++], &m->tenants[i]);
	f->started_at = now_text();
	if (!o->state_path)
		return DG_OK;
	if (state_lock(f, err))
		return err->code;
	return state_read(f, err);
}

static void *worker(void *arg)
{
	dg_fleet *f = arg;

	for (;;) {
		dg_tenant_run *r = NULL;
		pthread_mutex_lock(&f->lock);
		/* Ctrl-C: no new tenant starts */
		if (f->next < f->nr && !dg_cancel_raised(f->o->cancel)) {
			r = &f->runs[f->next++];
			r->status = DG_TS_RUNNING;
		}
		pthread_mutex_unlock(&f->lock);
		if (!r)
			return NULL;
		dg_tenant_run_steps(f, r);
		dg_fleet_progress(f);
	}
}

void dg_fleet_run(dg_fleet *f)
{
	int jobs = f->jobs;
	pthread_t *threads = dg_xcalloc((size_t)jobs, sizeof(*threads));
	int started = 0;

	for (int i = 0; i < jobs && (size_t)i < f->nr; i++)
		if (!pthread_create(&threads[i], NULL, worker, f))
			started++;
	if (!started)
		worker(f);   /* no thread could start: run them here, one by one */
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	for (size_t i = 0; i < f->nr; i++)
		if (f->runs[i].status == DG_TS_PENDING)
			dg_tenant_run_not_started(f, &f->runs[i]);
}

void dg_fleet_release(dg_fleet *f)
{
	for (size_t i = 0; i < f->nr; i++)
		dg_tenant_run_release(&f->runs[i]);
	free(f->runs);
	for (size_t i = 0; i < f->nendpoints; i++)
		free(f->endpoints[i].url);
	free(f->endpoints);
	cJSON_Delete(f->state);
	if (f->lock_fd >= 0)
		close(f->lock_fd);   /* releases the flock */
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->endpoint_free);
	free(f->started_at);
	memset(f, 0, sizeof(*f));
}

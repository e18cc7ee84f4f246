/* One tenant's run: tenant.h. */
#include "tenant.h"

#include "../connectors/connector.h"
#include "../connectors/live_check.h"
#include "../core/cert.h"
#include "../core/clock.h"
#include "../core/jsonexact.h"
#include "../core/outfile.h"
#include "../core/output.h"
#include "../core/profile.h"
#include "../core/provider.h"
#include "../mailstore/backup.h"
#include "../mailstore/push.h"
#include "../mailstore/rules.h"
#include "../mailstore/sync.h"
#include "../net/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* SPE: how long a started instance may take to report "running". */
#define DEFAULT_START_TIMEOUT_S 120
#define START_POLL_MS 250
#define DEFAULT_CERT_DAYS 730

struct tctx {
	dg_fleet *f;
	dg_tenant_run *r;
	const dg_tenant *t;
	dg_rendered rd;
	dg_profile *p;              /* the rendered profile, loaded */
	dg_ms_session s;
	int have_session;
	struct dg_endpoint *ep;
	dg_plan_run pr;
	int have_plan;
	dg_strlist dir_users;       /* the preview's user names, for verify */
	dg_step prev_step;          /* from the state file */
	char prev_fingerprint[65];  /* "" when none */
};

static int cancelled(const struct tctx *x)
{
	return dg_cancel_raised(x->f->o->cancel);
}

void dg_tenant_run_init(dg_tenant_run *r, const dg_tenant *t)
{
	memset(r, 0, sizeof(*r));
	r->tenant = t;
	r->directory_users = r->server_users_after = -1;
	for (int i = 0; i < DG_ACT_COUNT; i++)
		r->counts[i] = -1;
}

void dg_tenant_run_release(dg_tenant_run *r)
{
	char **const strings[] = { &r->dir, &r->profile, &r->preview, &r->plan, &r->backup,
				   &r->sync_log, &r->cert_dir };

	dg_findings_clear(&r->findings);
	dg_strlist_clear(&r->manual_steps);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
}

/* The step failed: an error finding saying which and why. */
static int fail(struct tctx *x, dg_step step, dg_finding_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct tctx *x, dg_step step, dg_finding_code code, const char *fmt, ...)
{
	dg_strbuf msg = DG_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	dg_strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	dg_findings_add(&x->r->findings, code, "", "%s: %s", dg_step_name(step),
			msg.buf);
	dg_strbuf_release(&msg);
	x->r->failed_step = step;
	return -1;
}

static int errors_in(const dg_findings *f)
{
	return dg_findings_count(f, DG_SEV_ERROR) != 0;
}

/* Findings of src not yet in r->findings (same code and path): a profile
 * is loaded more than once, its warnings are reported once. */
static void add_new_findings(dg_tenant_run *r, dg_findings *src)
{
	dg_findings keep = DG_FINDINGS_INIT;

	for (size_t i = 0; i < src->nr; i++) {
		const dg_finding *fd = &src->items[i];
		size_t j;
		for (j = 0; j < r->findings.nr; j++)
			if (!strcmp(r->findings.items[j].code, fd->code) &&
			    !strcmp(r->findings.items[j].path, fd->path))
				break;
		if (j == r->findings.nr)
			dg_findings_add_copy(&keep, fd);
	}
	dg_findings_move(&r->findings, &keep);
	dg_findings_clear(src);
}

static int write_artifact(struct tctx *x, dg_step step, const char *name, const char *text,
			  size_t len, char **path_out)
{
	dg_error err = { 0 };
	char *path = dg_xasprintf("%s/%s", x->r->dir, name);

	if (dg_outfile_write(path, text, len, DG_OUTFILE_REPLACE, &err)) {
		free(path);
		return fail(x, step, DGF_FLEET013, "%s", err.message);
	}
	free(*path_out);
	*path_out = path;
	return 0;
}

static int mkdir_p(const char *path)
{
	char *copy = dg_xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1; *p && !rc; p++)
		if (*p == '/') {
			*p = '\0';
			rc = mkdir(copy, 0700) && errno != EEXIST;
			*p = '/';
		}
	if (!rc)
		rc = mkdir(copy, 0700) && errno != EEXIST;
	free(copy);
	return rc ? -1 : 0;
}

/* ---- render and check ---- */

static int step_render(struct tctx *x)
{
	dg_findings found = DG_FINDINGS_INIT;
	int rc;

	x->r->dir = dg_xasprintf("%s/%s", x->f->o->artifacts, x->t->id);
	if (errors_in(&x->t->findings)) {
		for (size_t i = 0; i < x->t->findings.nr; i++)
			dg_findings_add_copy(&found, &x->t->findings.items[i]);
		dg_findings_move(&x->r->findings, &found);
		x->r->failed_step = DG_STEP_RENDER;
		return -1;
	}
	rc = dg_manifest_render(x->f->m, x->t, &x->rd, &found);
	dg_findings_move(&x->r->findings, &found);
	if (rc) {
		x->r->failed_step = DG_STEP_RENDER;
		return -1;
	}
	if (mkdir_p(x->r->dir))
		return fail(x, DG_STEP_RENDER, DGF_FLEET013, "cannot create the artefacts "
			    "directory %s: %s", x->r->dir, strerror(errno));
	return write_artifact(x, DG_STEP_RENDER, "profile.json", x->rd.text, strlen(x->rd.text),
			      &x->r->profile);
}

/* Prompting on a terminal cannot work for many tenants at once. */
static void refuse_prompts(const dg_profile *p, dg_findings *out)
{
	const dg_secret_ref *refs[16];
	size_t n = dg_profile_secrets(p, refs, 16);

	for (size_t i = 0; i < n && i < 16; i++)
		if (refs[i]->kind == DG_SECRET_PROMPT)
			dg_finding_hint(dg_findings_add(out, DGF_FLEET013, refs[i]->path,
							"check: a secret to be prompted for cannot be "
							"used when onboarding many tenants"),
					"use {\"env\": NAME} or {\"file\": PATH}");
}

/* certificate.generate, for a directory read by an app registration with
 * a certificate: *c says which (release it). */
static int generates_cert(const dg_profile *p, const cJSON *onboard, dg_app_certificate *c)
{
	const dg_provider *dir = dg_provider_of(p);

	if (!dir || !dir->app_certificate ||
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(onboard, "certificate"), "generate")))
		return 0;
	dir->app_certificate(p, c);
	return 1;
}

static void app_certificate_release(dg_app_certificate *c)
{
	free(c->upload_to);
	*c = (dg_app_certificate){ 0 };
}

/* With certificate.generate, the certificate step makes the files the
 * offline rules cannot find yet: that is not an error of the profile. */
static void drop_files_to_generate(const dg_app_certificate *c, dg_findings *f)
{
	size_t k = 0;

	for (size_t i = 0; i < f->nr; i++) {
		dg_finding *fd = &f->items[i];
		int drop = fd->id == DGF_PROF009 && strstr(fd->path, "/certificate/") &&
			   access(strstr(fd->path, "keyFile") ? c->key_file : c->cert_file, F_OK);
		if (drop) {
			free(fd->path);
			free(fd->message);
			free(fd->hint);
			free(fd->file);
		} else {
			f->items[k++] = *fd;
		}
	}
	f->nr = k;
}

void dg_onboard_check_offline(const dg_profile *p, const cJSON *onboard, dg_findings *out)
{
	dg_app_certificate cert = { 0 };

	dg_check_offline(p, out);
	if (generates_cert(p, onboard, &cert))
		drop_files_to_generate(&cert, out);
	app_certificate_release(&cert);
	refuse_prompts(p, out);
	if (!p->target.present)
		dg_finding_hint(dg_findings_add(out, DGF_FLEET013, "/target",
						"check: the tenant's profile has no MailStore target"),
				"give /target in the manifest's defaults or the tenant's profile");
}

static int step_check(struct tctx *x)
{
	dg_findings found = DG_FINDINGS_INIT;
	dg_error err = { 0 };

	x->p = dg_profile_load(x->r->profile, &found, &err);
	if (!x->p)
		return fail(x, DG_STEP_CHECK, DGF_FLEET013, "%s", err.message);
	dg_onboard_check_offline(x->p, x->rd.onboard, &found);
	add_new_findings(x->r, &found);
	if (errors_in(&x->r->findings)) {
		x->r->failed_step = DG_STEP_CHECK;
		return -1;
	}
	return 0;
}

/* ---- SPE instance ---- */

static const cJSON *onboard_opt(const struct tctx *x, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x->rd.onboard, a);

	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static int spa_refused(const char *message)
{
	return message && strcasestr(message, "service provider access");
}

static int wait_running(struct tctx *x)
{
	const cJSON *t = onboard_opt(x, "instance", "startTimeoutSeconds");
	double limit = dg_now_s() + (cJSON_IsNumber(t) ? t->valuedouble : DEFAULT_START_TIMEOUT_S);
	dg_error err = { 0 };
	char *status = NULL;

	for (;;) {
		if (dg_ms_instance_status(x->s.client, &status, &err))
			return fail(x, DG_STEP_INSTANCE, DGF_FLEET008, "%s", err.message);
		if (status && !strcmp(status, "running"))
			break;
		if (dg_now_s() > limit || cancelled(x)) {
			fail(x, DG_STEP_INSTANCE, DGF_FLEET008, "instance '%s' is %s, not running, "
			     "after StartInstances", x->p->target.instance_id,
			     status ? status : "gone");
			free(status);
			return -1;
		}
		free(status);
		status = NULL;
		usleep(START_POLL_MS * 1000);
	}
	free(status);
	return 0;
}

static int call_instance_fn(struct tctx *x, const char *fn, const char *arg, const char *value)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_ms_arg a = { arg, value };
	dg_error err = { 0 };
	dg_code rc = dg_ms_call(x->s.client, fn, &a, 1, 0, &env, &err);

	dg_ms_envelope_release(&env);
	if (rc)
		return fail(x, DG_STEP_INSTANCE,
			    spa_refused(err.message) ? DGF_FLEET007 : DGF_FLEET008, "%s: %s", fn,
			    err.message);
	return 0;
}

/* CreateInstance from the manifest's raw configuration (MailStore's own
 * fields), with its instanceID set to the profile's. */
static int create_instance(struct tctx *x, const cJSON *cfg)
{
	cJSON *c = cJSON_Duplicate(cfg, 1);
	char *text;
	int rc;

	cJSON_DeleteItemFromObjectCaseSensitive(c, "instanceID");
	cJSON_AddStringToObject(c, "instanceID", x->p->target.instance_id);
	text = dg_json_print_exact(c, 0);
	rc = call_instance_fn(x, "CreateInstance", "config", text);
	cJSON_free(text);
	cJSON_Delete(c);
	return rc;
}

static int step_instance(struct tctx *x)
{
	const cJSON *create = onboard_opt(x, "instance", "create");
	const cJSON *start = onboard_opt(x, "instance", "start");
	dg_error err = { 0 };
	char *status = NULL;
	int rc = 0;

	if (dg_ms_session_open_client(&x->s, x->r->profile, x->f->o->cancel, &err) ||
	    dg_ms_load_metadata(x->s.client, &err))
		return fail(x, DG_STEP_INSTANCE, DGF_FLEET013, "%s", err.message);
	add_new_findings(x->r, &x->s.findings);
	if (x->p->target.product != DG_PRODUCT_SPE)
		return 0;
	if (dg_ms_instance_status(x->s.client, &status, &err))
		return fail(x, DG_STEP_INSTANCE, DGF_FLEET013, "GetInstances: %s", err.message);
	if (!status && cJSON_IsObject(create))
		rc = create_instance(x, create);
	else if (!status)
		return fail(x, DG_STEP_INSTANCE, DGF_FLEET006, "SPE instance '%s' does not exist "
			    "(GetInstances); create it, or give onboard.instance.create",
			    x->p->target.instance_id);
	if (!rc && (!status || strcmp(status, "running"))) {
		if (status && !cJSON_IsTrue(start) && !cJSON_IsObject(create))
			rc = fail(x, DG_STEP_INSTANCE, DGF_FLEET006, "SPE instance '%s' is %s, not "
				  "running; start it, or give \"onboard\": {\"instance\": "
				  "{\"start\": true}}", x->p->target.instance_id, status);
		else
			rc = call_instance_fn(x, "StartInstances", "instanceFilter",
					      x->p->target.instance_id);
		if (!rc)
			rc = wait_running(x);
	}
	free(status);
	return rc;
}

/* ---- the app registration's certificate ---- */

static void manual_step(struct tctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void manual_step(struct tctx *x, const char *fmt, ...)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	dg_findings_add(&x->r->findings, DGF_FLEET009, "", "%s", sb.buf);
	dg_strlist_push_owned(&x->r->manual_steps, dg_strbuf_detach(&sb));
}

/* The OpenID Connect redirect URI MailStore shows for the instance. */
static char *redirect_uri(const dg_profile *p)
{
	const char *u = p->target.url, *host = strstr(u, "://");
	size_t n;

	if (p->auth.redirect_uri)
		return dg_xstrdup(p->auth.redirect_uri);
	host = host ? host + 3 : u;
	n = strcspn(host, ":/");
	if (p->target.product == DG_PRODUCT_SPE && p->target.instance_id)
		return dg_xasprintf("https://%.*s/%s/oidc/signin", (int)n, host,
				    p->target.instance_id);
	return dg_xasprintf("https://%.*s/oidc/signin", (int)n, host);
}

/* Makes the certificate and its key beside `cert_file` unless it exists
 * (an existing one is kept: it may be registered already).  0, or the
 * step's failure. */
static int make_certificate(struct tctx *x, const char *cert_file)
{
	const cJSON *days = onboard_opt(x, "certificate", "days");
	dg_cert_new_opts o = { 0 };
	dg_cert_new_result res = { 0 };
	dg_error err = { 0 };
	char *subject, *dir;

	if (!cert_file || strcmp(strrchr(cert_file, '/') ? strrchr(cert_file, '/') + 1
							  : cert_file, DG_CERT_FILE))
		return fail(x, DG_STEP_CERT, DGF_FLEET013, "with certificate.generate, "
			    "/directory/certFile must name a file called " DG_CERT_FILE
			    " (the key goes beside it as " DG_CERT_KEY_FILE ")");
	dir = dg_xstrndup(cert_file, (size_t)(strrchr(cert_file, '/') - cert_file));
	if (access(cert_file, F_OK)) {
		subject = dg_xasprintf("dirgate %s", x->t->id);
		o.subject = subject;
		o.days = cJSON_IsNumber(days) ? (int)days->valuedouble : DEFAULT_CERT_DAYS;
		o.out_dir = dir;
		if (mkdir_p(dir) || dg_cert_new(&o, &res, &err)) {
			free(subject);
			free(dir);
			return fail(x, DG_STEP_CERT, DGF_FLEET013, "cert new: %s",
				    err.message[0] ? err.message : strerror(errno));
		}
		free(subject);
		dg_cert_new_result_release(&res);
	}
	x->r->cert_dir = dir;
	return 0;
}

static int step_cert(struct tctx *x)
{
	dg_app_certificate c = { 0 };
	dg_cert_prints prints;
	char *uri, why[256];
	int rc;

	if (!generates_cert(x->p, x->rd.onboard, &c))
		return 0;
	rc = make_certificate(x, c.cert_file);
	if (!rc && dg_cert_prints_file(c.cert_file, &prints, why, sizeof(why)))
		rc = fail(x, DG_STEP_CERT, DGF_FLEET013, "%s: %s", c.cert_file, why);
	if (!rc) {
		manual_step(x, "upload %s (thumbprint %s, valid until %s) to %s", c.cert_file,
			    prints.sha1_hex, prints.not_after, c.upload_to);
		uri = redirect_uri(x->p);
		manual_step(x, "add the redirect URI %s to that app registration "
			    "(Authentication, Web)", uri);
		free(uri);
	}
	app_certificate_release(&c);
	return rc;
}

/* ---- live check and plan ---- */

static int step_live(struct tctx *x)
{
	dg_findings found = DG_FINDINGS_INIT;
	dg_strbuf note = DG_STRBUF_INIT;

	dg_check_live(x->p, NULL, &found, &note);
	if (note.len)
		dg_findings_add(&found, DGF_FLEET016, "", "live-check: %s", note.buf);
	dg_strbuf_release(&note);
	add_new_findings(x->r, &found);
	if (errors_in(&x->r->findings)) {
		x->r->failed_step = DG_STEP_LIVE;
		return -1;
	}
	return 0;
}

static int save_plan_artifacts(struct tctx *x)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_error err = { 0 };
	int rc;

	dg_output_preview_json(&sb, &x->pr.preview);
	rc = write_artifact(x, DG_STEP_PLAN, "preview.json", sb.buf, sb.len, &x->r->preview);
	dg_strbuf_reset(&sb);
	if (!rc && dg_plan_run_saved_text(&x->pr, x->s.profile, &sb, &err))
		rc = fail(x, DG_STEP_PLAN, DGF_FLEET013, "%s", err.message);
	else if (!rc)
		rc = write_artifact(x, DG_STEP_PLAN, "plan.json", sb.buf, sb.len, &x->r->plan);
	dg_strbuf_release(&sb);
	return rc;
}

static void note_plan(struct tctx *x)
{
	const dg_plan *pl = &x->pr.plan;

	for (int i = 0; i < DG_ACT_COUNT; i++)
		x->r->counts[i] = (long)pl->counts[i];
	x->r->directory_users = (long)pl->preview_users;
	memcpy(x->r->fingerprint, x->pr.state.fingerprint, sizeof(x->r->fingerprint));
	for (size_t i = 0; i < x->pr.preview.nusers; i++)
		dg_strlist_push(&x->dir_users, x->pr.preview.users[i].user_name);
	if (x->prev_fingerprint[0] && strcmp(x->prev_fingerprint, x->r->fingerprint))
		dg_findings_add(&x->r->findings, DGF_FLEET014, "",
				"plan: the server changed since the plan of an earlier run "
				"(configuration or users); this plan was made again before "
				"anything was pushed");
}

/* GetUserInfo requests one tenant's plan keeps in flight: the endpoint's
 * tenants share PLAN_CALLS_PER_ENDPOINT, so an endpoint never sees more
 * than that many calls at once, or per_endpoint when that is larger. */
#define PLAN_CALLS_PER_ENDPOINT 8
static int plan_parallel(const struct tctx *x)
{
	int n = PLAN_CALLS_PER_ENDPOINT / x->f->per_endpoint;

	return n > 0 ? n : 1;
}

static int step_plan(struct tctx *x)
{
	dg_error err = { 0 };
	dg_findings found = DG_FINDINGS_INIT;

	if (dg_plan_run_profile(&x->s, 0, plan_parallel(x), &x->pr, &err)) {
		dg_findings_move(&found, &x->pr.preview.findings);
		add_new_findings(x->r, &found);
		dg_plan_run_release(&x->pr);   /* what the failed run filled in */
		if (dg_ms_cancelled(x->s.client))
			return -1;
		return fail(x, DG_STEP_PLAN, spa_refused(err.message) ? DGF_FLEET007 : DGF_FLEET013,
			    "%s", err.message);
	}
	x->have_plan = 1;
	note_plan(x);
	dg_findings_move(&found, &x->pr.plan.findings);
	add_new_findings(x->r, &found);
	if (save_plan_artifacts(x))
		return -1;
	if (errors_in(&x->r->findings)) {   /* a guard trips: nothing is pushed */
		x->r->failed_step = DG_STEP_PLAN;
		return -1;
	}
	return 0;
}

/* ---- push ---- */

static int write_backup(struct tctx *x)
{
	cJSON *b = dg_push_backup_json(x->s.profile, &x->pr.map, x->pr.state.config, 0);
	char *stem = dg_xasprintf("%s/dsconfig-backup", x->r->dir), *path = NULL;
	dg_error err = { 0 };
	int rc = 0;

	/* never replaced, also not by a re-run in the same second */
	if (dg_backup_write(NULL, stem, b, &path, &err)) {
		rc = fail(x, DG_STEP_PUSH, DGF_FLEET013, "backup: %s", err.message);
	} else {
		free(x->r->backup);
		x->r->backup = path;
	}
	free(stem);
	dg_json_wipe_delete(b);
	return rc;
}

static int push_outcome(struct tctx *x, const dg_push_result *res, const dg_error *err)
{
	switch (res->outcome) {
	case DG_PUSH_KEPT:
		return 0;
	case DG_PUSH_LOST:
		return fail(x, DG_STEP_PUSH, DGF_API014, "the answer to "
			    "SetDirectoryServicesConfiguration was lost (%s); %s; the previous "
			    "configuration is in %s", err->message, res->lost_state, x->r->backup);
	case DG_PUSH_NOT_KEPT:
		return fail(x, DG_STEP_PUSH, DGF_API010, "the server did not keep what was sent "
			    "(keys: %s); the previous configuration is in %s", res->keys.buf,
			    x->r->backup);
	case DG_PUSH_READBACK_FAILED:
		return fail(x, DG_STEP_PUSH, DGF_FLEET013, "the configuration was sent, but "
			    "reading it back failed: %s", err->message);
	case DG_PUSH_REFUSED:
		break;
	}
	return fail(x, DG_STEP_PUSH, spa_refused(err->message) ? DGF_FLEET007 : DGF_FLEET013, "%s",
		    err->message);
}

/* Pushes the plan file saved by the plan step, as 'dirgate push PLAN':
 * unedited (digest), secrets only where the target map puts them. */
static int step_push(struct tctx *x)
{
	dg_saved_plan sp;
	dg_push_result res = { 0 };
	dg_error err = { 0 };
	cJSON *cfg = NULL;
	int rc = 0;

	if (dg_saved_plan_load(x->r->plan, &sp, &err) ||
	    dg_saved_plan_verify(&sp, x->r->plan, &err)) {
		dg_saved_plan_release(&sp);
		return fail(x, DG_STEP_PUSH, DGF_FLEET013, "%s", err.message);
	}
	if (strcmp(sp.fingerprint, x->pr.state.fingerprint))
		rc = fail(x, DG_STEP_PUSH, DGF_API011, "the server changed since the plan %s "
			  "was made", x->r->plan);
	else if (sp.config_changes) {
		cfg = cJSON_Duplicate(sp.config_after, 1);
		if (dg_plan_fill_secrets(cfg, &x->pr.map, x->s.profile, &err))
			rc = fail(x, DG_STEP_PUSH, DGF_FLEET013, "%s", err.message);
		else if (!(rc = write_backup(x))) {
			dg_tmap_unmask(cfg, x->pr.state.config);
			dg_push_set(x->s.client, &x->pr.map, x->pr.state.config, cfg, &res, &err);
			rc = push_outcome(x, &res, &err);
			dg_push_result_release(&res);
		}
	}
	dg_json_wipe_delete(cfg);
	dg_saved_plan_release(&sp);
	return rc;
}

/* ---- synchronisation, verification, schedule ---- */

static int sync_call(struct tctx *x, int dry, dg_ms_envelope *env)
{
	dg_error err = { 0 };

	if (!dg_sync_run(x->s.client, dry, env, &err))
		return 0;
	if (dg_ms_cancelled(x->s.client))
		return -1;   /* reported as interrupted */
	return fail(x, DG_STEP_SYNC, spa_refused(err.message) ? DGF_FLEET007 : DGF_FLEET013,
		    "%s: %s%s%.400s", dry ? "dry run" : "synchronisation", err.message,
		    env->error_details ? "; details: " : "",
		    env->error_details ? env->error_details : "");
}

/* The dry run must do what the plan said: as many creates (a rename is a
 * create for synchronisation, which knows users by name only) and deletes. */
static int dry_run_agrees(struct tctx *x, const dg_guard_counts *c, const cJSON *result)
{
	long creates = x->r->counts[DG_ACT_CREATE] + x->r->counts[DG_ACT_RENAME];
	const cJSON *created = cJSON_GetObjectItemCaseSensitive(result, "created");
	long dry_creates = cJSON_IsArray(created) ? cJSON_GetArraySize(created)
			 : cJSON_IsNumber(created) ? (long)created->valuedouble : -1;

	if (dry_creates >= 0 && dry_creates != creates)
		return fail(x, DG_STEP_SYNC, DGF_FLEET010, "the dry run would create %ld users, "
			    "the plan %ld", dry_creates, creates);
	if (c->deletes != DG_GUARD_UNKNOWN && (long)c->deletes != x->r->counts[DG_ACT_DELETE])
		return fail(x, DG_STEP_SYNC, DGF_FLEET010, "the dry run would delete %zu users, "
			    "the plan %ld", c->deletes, x->r->counts[DG_ACT_DELETE]);
	return 0;
}

static int step_sync(struct tctx *x)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_findings found = DG_FINDINGS_INIT;
	dg_guard_counts counts;
	int rc;

	if ((rc = sync_call(x, 1, &env)))
		goto out;
	dg_sync_guards(&x->s.profile->sync, env.result, &counts, &found);
	add_new_findings(x->r, &found);
	if (errors_in(&x->r->findings)) {
		x->r->failed_step = DG_STEP_SYNC;
		rc = -1;
	} else {
		rc = dry_run_agrees(x, &counts, env.result);
	}
	dg_ms_envelope_release(&env);
	if (rc || cancelled(x))
		return -1;
	if (!(rc = sync_call(x, 0, &env)) && env.log_output)
		rc = write_artifact(x, DG_STEP_SYNC, "sync-log.txt", env.log_output,
				    strlen(env.log_output), &x->r->sync_log);
out:
	dg_ms_envelope_release(&env);
	return rc;
}

static int step_verify(struct tctx *x)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_error err = { 0 };
	dg_strlist have = DG_STRLIST_INIT;
	const cJSON *u;
	size_t missing = 0;
	const char *first = NULL;

	if (dg_ms_call(x->s.client, "GetUsers", NULL, 0, DG_MS_READ, &env, &err)) {
		dg_ms_envelope_release(&env);
		return fail(x, DG_STEP_VERIFY, DGF_FLEET013, "GetUsers: %s", err.message);
	}
	cJSON_ArrayForEach(u, env.result) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(u, "userName");
		if (cJSON_IsString(n))
			dg_strlist_push(&have, n->valuestring);
	}
	x->r->server_users_after = (long)have.nr;
	for (size_t i = 0; i < x->dir_users.nr; i++)
		if (!dg_strlist_contains_ci(&have, x->dir_users.items[i]) && !missing++)
			first = x->dir_users.items[i];
	dg_ms_envelope_release(&env);
	if (missing)
		fail(x, DG_STEP_VERIFY, DGF_FLEET011, "%zu of the plan's %zu directory users are "
		     "not on the server after the synchronisation (first: %s)", missing,
		     x->dir_users.nr, first);
	dg_strlist_clear(&have);
	return missing ? -1 : 0;
}

static int step_schedule(struct tctx *x)
{
	const cJSON *spec = onboard_opt(x, "schedule", NULL), *tz = onboard_opt(x, "timeZone", NULL);
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_ms_arg args[DG_SYNC_JOB_MAX_ARGS];
	dg_error err = { 0 };
	char when[32], *name;
	size_t n;
	long id;
	int rc = 0;

	if (!cJSON_IsString(spec))
		return 0;
	name = dg_sync_job_name(x->s.profile);
	if (dg_sync_job_args(x->s.profile, name, spec->valuestring,
			     cJSON_IsString(tz) ? tz->valuestring : "UTC", args, &n, when,
			     sizeof(when)))
		rc = fail(x, DG_STEP_SCHEDULE, DGF_FLEET001, "onboard.schedule '%s' is not "
			  "every:MINUTES, daily@HH:MM or weekly:DAY@HH:MM", spec->valuestring);
	else if (dg_sync_find_job(x->s.client, name, &id, &err))
		rc = fail(x, DG_STEP_SCHEDULE, DGF_FLEET013, "GetJobs: %s", err.message);
	else if (id >= 0)
		dg_findings_add(&x->r->findings, DGF_FLEET015, "/onboard/schedule",
				"schedule: job '%s' exists already (id %ld): not created again",
				name, id);
	else if (dg_ms_call(x->s.client, "CreateJob", args, n, 0, &env, &err))
		rc = fail(x, DG_STEP_SCHEDULE, DGF_FLEET013, "CreateJob: %s", err.message);
	else
		dg_findings_add(&x->r->findings, DGF_GUARD009, "/onboard/schedule",
				"schedule: created job '%s'; it runs the real synchronisation on "
				"the server without a dry run and without dirgate's guards", name);
	dg_ms_envelope_release(&env);
	free(name);
	return rc;
}

/* ---- the sequence ---- */

typedef int (*step_fn)(struct tctx *x);

static const struct {
	dg_step step;
	step_fn fn;
	int server;         /* needs the endpoint slot */
} steps[] = {
	{ DG_STEP_RENDER, step_render, 0 },
	{ DG_STEP_CHECK, step_check, 0 },
	{ DG_STEP_INSTANCE, step_instance, 1 },
	{ DG_STEP_CERT, step_cert, 0 },
	{ DG_STEP_LIVE, step_live, 0 },
	{ DG_STEP_PLAN, step_plan, 1 },
	{ DG_STEP_PUSH, step_push, 1 },
	{ DG_STEP_SYNC, step_sync, 1 },
	{ DG_STEP_VERIFY, step_verify, 1 },
	{ DG_STEP_SCHEDULE, step_schedule, 1 },
};


static void set_current(struct tctx *x, dg_step s)
{
	pthread_mutex_lock(&x->f->lock);
	x->r->current = s;
	pthread_mutex_unlock(&x->f->lock);
	dg_fleet_progress(x->f);
}

/* Under the lock: other tenants' threads add their entries meanwhile. */
static void read_previous(struct tctx *x)
{
	const cJSON *st, *step, *fp;

	pthread_mutex_lock(&x->f->lock);
	st = dg_fleet_state_of(x->f, x->t->id);
	step = cJSON_GetObjectItemCaseSensitive(st, "step");
	fp = cJSON_GetObjectItemCaseSensitive(st, "fingerprint");
	x->prev_step = cJSON_IsString(step) ? dg_step_parse(step->valuestring) : DG_STEP_NONE;
	snprintf(x->prev_fingerprint, sizeof(x->prev_fingerprint), "%s",
		 cJSON_IsString(fp) ? fp->valuestring : "");
	pthread_mutex_unlock(&x->f->lock);
}

/* A step an earlier run finished and that must not be done twice: the
 * synchronisation (the schedule checks GetJobs itself, push compares). */
static int done_before(const struct tctx *x, dg_step s)
{
	return s == DG_STEP_SYNC && x->prev_step >= DG_STEP_SYNC;
}

/* Status and current step are what the progress lines read from another
 * thread: they change under the fleet's lock. */
static void set_status(dg_fleet *f, dg_tenant_run *r, dg_tenant_status st)
{
	pthread_mutex_lock(&f->lock);
	r->status = st;
	r->current = DG_STEP_NONE;
	pthread_mutex_unlock(&f->lock);
}

static void finish(struct tctx *x, int rc)
{
	dg_tenant_run *r = x->r;
	dg_tenant_status st;

	if (!rc) {
		st = DG_TS_DONE;
	} else if (cancelled(x) && (!r->failed_step || r->failed_step == r->current)) {
		st = DG_TS_INTERRUPTED;
		r->failed_step = r->current;
		dg_findings_add(&r->findings, DGF_FLEET012, "", "interrupted "
				"during %s: the same command resumes the tenant",
				dg_step_name(r->current));
	} else {
		st = DG_TS_FAILED;
		if (!r->failed_step)
			r->failed_step = r->current;
	}
	dg_manifest_relocate(x->f->m, x->t, &x->rd, &r->findings);
	set_status(x->f, r, st);
}

static int run_steps(struct tctx *x)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		dg_step s = steps[i].step;
		if (s > x->f->goal)
			break;
		if (cancelled(x))
			return -1;
		set_current(x, s);
		if (steps[i].server && !x->ep)
			x->ep = dg_fleet_endpoint_acquire(x->f, x->p->target.url);
		if (!done_before(x, s) && steps[i].fn(x))
			return -1;
		x->r->reached = s;
		if (s == DG_STEP_PUSH && x->have_plan) {   /* the preview is not needed after */
			dg_plan_run_release(&x->pr);
			x->have_plan = 0;
		}
		if (s >= DG_STEP_PLAN || s == x->f->goal)
			dg_fleet_state_record(x->f, x->r);
	}
	if (x->f->goal == DG_STEP_DONE) {
		x->r->reached = DG_STEP_DONE;
		dg_fleet_state_record(x->f, x->r);
	}
	return 0;
}

void dg_tenant_run_steps(dg_fleet *f, dg_tenant_run *r)
{
	struct tctx x = { 0 };
	double t0 = dg_now_s();
	int rc;

	x.f = f;
	x.r = r;
	x.t = r->tenant;
	read_previous(&x);
	if (x.prev_step >= f->goal) {
		r->reached = x.prev_step;
		set_status(f, r, DG_TS_RESUMED);
		return;
	}
	rc = run_steps(&x);
	finish(&x, rc);
	if (x.have_plan)
		dg_plan_run_release(&x.pr);
	if (x.s.client || x.s.profile)
		dg_ms_session_close(&x.s);
	dg_fleet_endpoint_release(f, x.ep);
	dg_profile_free(x.p);
	dg_rendered_release(&x.rd);
	dg_strlist_clear(&x.dir_users);
	r->seconds = dg_now_s() - t0;
}

void dg_tenant_run_not_started(dg_fleet *f, dg_tenant_run *r)
{
	set_status(f, r, DG_TS_INTERRUPTED);
	dg_findings_add(&r->findings, DGF_FLEET012, "", "interrupted before "
			"the tenant started: the same command resumes it");
}

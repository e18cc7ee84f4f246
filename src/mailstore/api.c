/* MailStore Administration API client: see api.h. */
#include "api.h"

#include "../core/clock.h"
#include "../core/jsonexact.h"
#include "../core/secret.h"
#include "../core/strbuf.h"
#include "../net/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CANCEL_GRACE_MS 30000L  /* how long a cancelled job may take to end */

struct dg_ms_client {
	dg_ms_opts o;
	char *base;              /* url without trailing '/' */
	dg_http *http;           /* aborts when the cancel flag is raised */
	dg_http *http_nc;        /* ignores it: cancel-async and the polls after it */
	dg_ms_metadata md;
	int have_metadata;
	int cancelled;
	char cancel_failure[sizeof(((dg_error *)0)->message)]; /* why cancel-async failed, or "" */
	char *last_token;
};

/* ---- envelope ------------------------------------------------------------- */

static char *dup_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? dg_xstrdup(v->valuestring) : NULL;
}

/* Every answer is JSON behind an optional UTF-8 byte order mark.  Its
 * numbers keep their text: the configuration object goes back as read. */
static cJSON *parse_body(const char *body, size_t len, dg_error *err)
{
	const char *end = NULL;
	size_t skip = len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3) ? 3 : 0;
	cJSON *root = dg_json_parse_exact(body + skip, len - skip, &end);

	if (!root) {
		size_t at = end ? (size_t)(end - body) : skip;
		dg_error_set(err, DG_E_PARSE, "the answer is not JSON (byte %zu of %zu)", at, len);
	}
	return root;
}

static int is_envelope(const cJSON *root)
{
	return cJSON_IsObject(root) &&
	       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "statusCode"));
}

/* Takes the fields of a parsed envelope; root keeps what is not taken. */
static void take_envelope(cJSON *root, dg_ms_envelope *env)
{
	const cJSON *v, *e;

	env->status_code = dup_str(root, "statusCode");
	env->token = dup_str(root, "token");
	env->status_text = dup_str(root, "statusText");
	env->log_output = dup_str(root, "logOutput");
	v = cJSON_GetObjectItemCaseSensitive(root, "statusVersion");
	env->status_version = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(root, "percentProgress");
	env->percent = cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 100
		       ? (int)v->valuedouble : -1;
	e = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsObject(e)) {
		env->error_message = dup_str(e, "message");
		env->error_details = dup_str(e, "details");
		if (!env->error_message)
			env->error_message = dg_xstrdup("(no message)");
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (v && !cJSON_IsNull(v))
		env->result = cJSON_DetachItemViaPointer(root, (cJSON *)v);
}

dg_code dg_ms_envelope_parse(const char *body, size_t len, dg_ms_envelope *env,
			     dg_error *err)
{
	cJSON *root = parse_body(body, len, err);

	if (!root)
		return DG_E_PARSE;
	if (!is_envelope(root)) {
		cJSON_Delete(root);
		return dg_error_set(err, DG_E_PROTOCOL,
				    "the answer is not a MailStore status envelope "
				    "(no statusCode)");
	}
	take_envelope(root, env);
	cJSON_Delete(root);
	return DG_OK;
}

void dg_ms_envelope_release(dg_ms_envelope *env)
{
	free(env->status_code);
	free(env->token);
	free(env->status_text);
	free(env->log_output);
	free(env->error_message);
	free(env->error_details);
	cJSON_Delete(env->result);
	*env = (dg_ms_envelope)DG_MS_ENVELOPE_INIT;
}

/* ---- client ----------------------------------------------------------------- */

dg_ms_client *dg_ms_open(const dg_ms_opts *o, dg_error *err)
{
	dg_ms_client *c;
	dg_http_opts ho = { 0 };
	size_t n;

	if (!o->url || strncasecmp(o->url, "https://", 8)) {
		dg_error_set(err, DG_E_INVALID, "target URL must start with https:// (/target/url)");
		return NULL;
	}
	if (o->spe && (!o->instance_id || !*o->instance_id)) {
		dg_error_set(err, DG_E_INVALID, "SPE target needs /target/instanceId");
		return NULL;
	}
	c = dg_xcalloc(1, sizeof(*c));
	c->o = *o;
	c->base = dg_xstrdup(o->url);
	n = strlen(c->base);
	while (n > 8 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	ho.ca_file = o->ca_file;
	ho.pin_sha256 = o->pin_sha256;
	ho.insecure = o->insecure;
	ho.timeout_ms = o->timeout_ms;
	ho.max_retries = o->max_retries < 0 ? 0 : o->max_retries ? o->max_retries : 2;
	ho.max_retry_wait_ms = 10000;
	c->http_nc = dg_http_new(&ho);
	ho.cancel = o->cancel;
	c->http = dg_http_new(&ho);
	if (!c->http || !c->http_nc) {
		dg_error_set(err, DG_E_INTERNAL, "cannot set up the HTTP client");
		dg_ms_close(c);
		return NULL;
	}
	return c;
}

void dg_ms_close(dg_ms_client *c)
{
	if (!c)
		return;
	dg_ms_metadata_release(&c->md);
	if (c->http)
		dg_http_free(c->http);
	if (c->http_nc)
		dg_http_free(c->http_nc);
	free(c->base);
	free(c->last_token);
	free(c);
}

void dg_ms_set_progress(dg_ms_client *c, dg_ms_progress_fn fn, void *ctx)
{
	c->o.progress = fn;
	c->o.progress_ctx = ctx;
}

int dg_ms_cancelled(const dg_ms_client *c)
{
	return c->cancelled;
}

const char *dg_ms_last_token(const dg_ms_client *c)
{
	return c->last_token;
}

static const dg_ms_func *find_func(const dg_ms_client *c, const char *fn)
{
	for (size_t i = 0; i < c->md.nr; i++)
		if (!strcmp(c->md.funcs[i].name, fn))
			return &c->md.funcs[i];
	return NULL;
}

int dg_ms_has_function(const dg_ms_client *c, const char *fn)
{
	return !c->have_metadata || find_func(c, fn) != NULL;
}

int dg_ms_has_arg(const dg_ms_client *c, const char *fn, const char *arg)
{
	const dg_ms_func *f;

	if (!c->have_metadata)
		return 1;
	f = find_func(c, fn);
	if (!f)
		return 0;
	for (size_t i = 0; i < f->args.nr; i++)
		if (!strcmp(f->args.items[i], arg))
			return 1;
	return 0;
}

/* ---- one request ------------------------------------------------------------ */

/* Form bodies can carry a resolved secret (the config of
 * SetDirectoryServicesConfiguration): wipe them before they are freed. */
static void form_release(dg_strbuf *form)
{
	if (form->len)
		explicit_bzero(form->buf, form->len);
	dg_strbuf_release(form);
}

static const char *const form_headers[] = {
	"Content-Type: application/x-www-form-urlencoded", NULL
};

static void build_request(dg_ms_client *c, dg_http_request *rq, dg_strbuf *url,
			  const char *path, const dg_strbuf *form, int safe)
{
	memset(rq, 0, sizeof(*rq));
	dg_strbuf_addf(url, "%s/api/%s", c->base, path);
	rq->method = "POST";
	rq->url = url->buf;
	rq->headers = form->len ? form_headers : NULL;
	rq->body = form->len ? form->buf : NULL;
	rq->body_len = form->len;
	rq->basic_user = c->o.user;
	rq->basic_password = c->o.password;
	rq->retry_safe = safe;
}

/* The first line of a text body, printable ASCII only, at most 160 bytes. */
static void add_text_excerpt(dg_strbuf *sb, const dg_strbuf *body)
{
	size_t i, start = 0;

	if (body->len >= 3 && !memcmp(body->buf, "\xEF\xBB\xBF", 3))
		start = 3;
	for (i = start; i < body->len && i < start + 160; i++) {
		unsigned char ch = (unsigned char)body->buf[i];
		if (ch == '\n' || ch == '\r')
			break;
		dg_strbuf_addch(sb, ch >= 0x20 && ch < 0x7f ? ch : '?');
	}
}

/* An HTTP status other than 200 as an error naming what went wrong. */
static dg_code check_status(dg_ms_client *c, const char *what, const dg_http_response *res,
			    dg_error *err)
{
	dg_strbuf msg = DG_STRBUF_INIT;
	dg_code rc;

	if (res->status == 200)
		return DG_OK;
	if (res->status == 401) {
		return dg_error_set(err, DG_E_PROTOCOL,
				    "%s: MailStore refused the credentials of '%s' (HTTP 401); "
				    "check /target/user and /target/password (the account must be "
				    "a MailStore administrator with the 'api' login privilege)",
				    what, c->o.user ? c->o.user : "");
	}
	if (res->status == 403)
		return dg_error_set(err, DG_E_PROTOCOL,
				    "%s: HTTP 403: '%s' is not allowed to use the API "
				    "(not an administrator?)", what, c->o.user ? c->o.user : "");
	add_text_excerpt(&msg, &res->body);
	rc = dg_error_set(err, DG_E_PROTOCOL, "%s: HTTP %ld from MailStore%s%s", what,
			  res->status, msg.len ? ": " : "", msg.buf);
	dg_strbuf_release(&msg);
	return rc;
}

/* Turns an HTTP answer into an envelope, or an error naming what went wrong. */
static dg_code read_answer(dg_ms_client *c, const char *what, dg_http_response *res,
			   dg_ms_envelope *out, dg_error *err)
{
	dg_code rc = check_status(c, what, res, err);

	if (rc)
		return rc;
	rc = dg_ms_envelope_parse(res->body.buf, res->body.len, out, err);
	if (rc)
		dg_error_set(err, rc, "%s: %s", what, err->message);
	return rc;
}

static dg_code send(dg_ms_client *c, dg_http *h, const char *path, const dg_strbuf *form,
		    int safe, dg_http_response *res, dg_error *err)
{
	dg_strbuf url = DG_STRBUF_INIT;
	dg_http_request rq;
	dg_code rc;

	build_request(c, &rq, &url, path, form, safe);
	rc = dg_http_send(h, &rq, res, err);
	dg_strbuf_release(&url);
	return rc;
}

static dg_code post(dg_ms_client *c, dg_http *h, const char *path, const dg_strbuf *form,
		    int safe, const char *what, dg_http_response *res,
		    dg_ms_envelope *out, dg_error *err)
{
	dg_code rc = send(c, h, path, form, safe, res, err);

	return rc ? rc : read_answer(c, what, res, out, err);
}

/* ---- metadata ----------------------------------------------------------------- */

static void add_function(dg_ms_metadata *md, const cJSON *f)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name"), *a;
	dg_ms_func *mf;

	if (!cJSON_IsString(name))
		return;   /* a descriptor we cannot use names no function */
	DG_ALLOC_GROW(md->funcs, md->nr + 1, md->alloc);
	mf = &md->funcs[md->nr++];
	mf->name = dg_xstrdup(name->valuestring);
	mf->args = (dg_strlist)DG_STRLIST_INIT;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(f, "args")) {
		const cJSON *an = cJSON_GetObjectItemCaseSensitive(a, "name");
		if (cJSON_IsString(an))
			dg_strlist_push(&mf->args, an->valuestring);
	}
}

/* The function list inside a parsed answer: the bare array MailStore
 * answers, or an envelope's result, the form every other function answers
 * in: read both. */
static const cJSON *function_list(const cJSON *root, dg_error *err)
{
	const cJSON *v;

	if (cJSON_IsArray(root))
		return root;
	if (!is_envelope(root)) {
		dg_error_set(err, DG_E_PROTOCOL, "get-metadata: expected a JSON array of "
			     "function descriptors, got %s", cJSON_IsObject(root)
			     ? "an object without statusCode" : "a single value");
		return NULL;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "statusCode");
	if (strcmp(v->valuestring, "succeeded")) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
		dg_error_set(err, DG_E_PROTOCOL, "get-metadata: MailStore answered status "
			     "'%s'%s%s", v->valuestring, cJSON_IsString(m) ? ": " : "",
			     cJSON_IsString(m) ? m->valuestring : "");
		return NULL;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (!cJSON_IsArray(v)) {
		dg_error_set(err, DG_E_PROTOCOL, "get-metadata: the envelope's result is "
			     "not a list of functions");
		return NULL;
	}
	return v;
}

dg_code dg_ms_metadata_parse(const char *body, size_t len, dg_ms_metadata *md,
			     dg_error *err)
{
	cJSON *root = parse_body(body, len, err);
	const cJSON *list, *f;
	dg_code rc = DG_OK;

	*md = (dg_ms_metadata)DG_MS_METADATA_INIT;
	if (!root)
		return dg_error_set(err, DG_E_PARSE, "get-metadata: %s", err->message);
	list = function_list(root, err);
	if (!list)
		rc = DG_E_PROTOCOL;
	cJSON_ArrayForEach(f, list)
		add_function(md, f);
	if (list && !md->nr)
		rc = dg_error_set(err, DG_E_PROTOCOL, "get-metadata: the server lists no "
				  "functions it can call");
	cJSON_Delete(root);
	if (rc)
		dg_ms_metadata_release(md);
	return rc;
}

void dg_ms_metadata_release(dg_ms_metadata *md)
{
	for (size_t i = 0; i < md->nr; i++) {
		free(md->funcs[i].name);
		dg_strlist_clear(&md->funcs[i].args);
	}
	free(md->funcs);
	*md = (dg_ms_metadata)DG_MS_METADATA_INIT;
}

static dg_code load_metadata(dg_ms_client *c, dg_error *err)
{
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	dg_strbuf form = DG_STRBUF_INIT;
	dg_code rc;

	rc = send(c, c->http, "get-metadata", &form, 1, &res, err);
	if (!rc)
		rc = check_status(c, "get-metadata", &res, err);
	if (!rc)
		rc = dg_ms_metadata_parse(res.body.buf, res.body.len, &c->md, err);
	dg_http_response_release(&res);
	c->have_metadata = rc == DG_OK;
	return rc;
}

dg_code dg_ms_instance_status(dg_ms_client *c, char **status, dg_error *err)
{
	dg_ms_arg arg = { "instanceFilter", c->o.instance_id };
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	const cJSON *inst, *list;
	dg_code rc;

	*status = NULL;
	rc = dg_ms_call(c, "GetInstances", &arg, 1, DG_MS_READ, &env, err);
	list = rc ? NULL : env.result;
	cJSON_ArrayForEach(inst, list) {
		char *id = dup_str(inst, "instanceID"), *st = dup_str(inst, "status");
		if (id && !*status && !strcasecmp(id, c->o.instance_id))
			*status = st ? st : dg_xstrdup("running");
		else
			free(st);
		free(id);
	}
	dg_ms_envelope_release(&env);
	return rc;
}

/* SPE: the instance must exist and run, or every instance call fails. */
static dg_code check_instance(dg_ms_client *c, dg_error *err)
{
	char *status = NULL;
	dg_code rc = dg_ms_instance_status(c, &status, err);

	if (rc)
		return rc;
	if (!status)
		rc = dg_error_set(err, DG_E_INVALID,
				  "SPE instance '%s' does not exist on %s; check /target/instanceId "
				  "(GetInstances lists the instances)", c->o.instance_id, c->base);
	else if (strcmp(status, "running"))
		rc = dg_error_set(err, DG_E_INVALID,
				  "SPE instance '%s' is %s, not running; start it "
				  "in the SPE management console first",
				  c->o.instance_id, status);
	free(status);
	return rc;
}

dg_code dg_ms_load_metadata(dg_ms_client *c, dg_error *err)
{
	return load_metadata(c, err);
}

dg_code dg_ms_connect(dg_ms_client *c, dg_error *err)
{
	dg_code rc = load_metadata(c, err);

	if (rc || !c->o.spe)
		return rc;
	return check_instance(c, err);
}

/* ---- invoking ------------------------------------------------------------------ */

static dg_code build_form(dg_ms_client *c, const char *fn, const dg_ms_arg *args,
			  size_t nargs, dg_strbuf *form, dg_error *err)
{
	if (!dg_ms_has_function(c, fn))
		return dg_error_set(err, DG_E_UNSUPPORTED,
				    "this MailStore version does not support %s "
				    "(get-metadata does not list it)", fn);
	if (c->o.spe && c->have_metadata && dg_ms_has_arg(c, fn, "instanceID"))
		dg_http_form_add(form, "instanceID", c->o.instance_id);
	for (size_t i = 0; i < nargs; i++) {
		if (!args[i].value)
			continue;   /* optional arguments are omitted, never sent empty */
		if (!dg_ms_has_arg(c, fn, args[i].name))
			return dg_error_set(err, DG_E_UNSUPPORTED,
					    "this MailStore version does not support argument "
					    "'%s' of %s (get-metadata does not list it)",
					    args[i].name, fn);
		dg_http_form_add(form, args[i].name, args[i].value);
	}
	return DG_OK;
}

static void send_cancel(dg_ms_client *c, const char *token)
{
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_strbuf form = DG_STRBUF_INIT;
	dg_error e = { 0 };

	dg_http_form_add(&form, "token", token);
	/* The polls that follow show whether the job ended; what the request
	 * itself met is kept for the message if it did not. */
	if (post(c, c->http_nc, "cancel-async", &form, 0, "cancel-async", &res, &env, &e))
		memcpy(c->cancel_failure, e.message, sizeof(c->cancel_failure));
	dg_http_response_release(&res);
	dg_ms_envelope_release(&env);
	form_release(&form);
	c->cancelled = 1;
}

/* Polls a running call until it ends (env is replaced by each new status). */
static dg_code wait_job(dg_ms_client *c, const char *fn, dg_ms_envelope *env, dg_error *err)
{
	long deadline = 0;
	char *token = dg_xstrdup(env->token);
	dg_code rc = DG_OK;

	while (!strcmp(env->status_code, "running")) {
		dg_http_response res = DG_HTTP_RESPONSE_INIT;
		dg_strbuf form = DG_STRBUF_INIT;
		long last = env->status_version;
		char num[32];

		if (c->o.progress)
			c->o.progress(c->o.progress_ctx, env->percent, env->status_text);
		if (dg_cancel_raised(c->o.cancel) && !c->cancelled) {
			send_cancel(c, token);
			deadline = dg_now_ms() + CANCEL_GRACE_MS;
		}
		if (deadline && dg_now_ms() > deadline) {
			rc = dg_error_set(err, DG_E_NETWORK,
					  "%s: the server did not end the job within %ld s of "
					  "the cancel request", fn, CANCEL_GRACE_MS / 1000);
			break;
		}
		dg_http_form_add(&form, "token", token);
		snprintf(num, sizeof(num), "%ld", last);
		dg_http_form_add(&form, "lastKnownStatusVersion", num);
		snprintf(num, sizeof(num), "%ld", c->o.poll_ms > 0 ? c->o.poll_ms : 2000L);
		dg_http_form_add(&form, "millisecondsTimeout", num);
		dg_ms_envelope_release(env);
		rc = post(c, c->cancelled ? c->http_nc : c->http, "get-status", &form, 1,
			  fn, &res, env, err);
		if (rc && res.failure == DG_HTTP_CANCELLED) {
			/* Ctrl-C arrived during the long-poll: cancel and go on. */
			env->status_code = dg_xstrdup("running");
			env->status_version = last;
			rc = DG_OK;
		} else if (rc && res.status == 404) {
			rc = dg_error_set(err, DG_E_PROTOCOL,
					  "%s: the server no longer knows job token %s (HTTP 404 "
					  "from get-status: expired, or the service restarted)",
					  fn, token);
		}
		dg_http_response_release(&res);
		form_release(&form);
		if (rc)
			break;
	}
	free(token);
	return rc;
}

/* A job asked to cancel that still succeeded did its work: the caller must
 * not take the cancel for granted (the server decides whether it stops). */
static dg_code cancel_not_honoured(dg_ms_client *c, const char *fn, dg_error *err)
{
	return dg_error_set(err, DG_E_PROTOCOL,
			    "%s was asked to stop (cancel-async%s%s) but the server ran the "
			    "job to its end: its result above is what the server did", fn,
			    c->cancel_failure[0] ? " failed: " : "", c->cancel_failure);
}

static dg_code finish(dg_ms_client *c, const char *fn, dg_ms_envelope *env, dg_error *err)
{
	if (!strcmp(env->status_code, "succeeded"))
		return c->cancelled ? cancel_not_honoured(c, fn, err) : DG_OK;
	if (c->cancelled)
		return dg_error_set(err, DG_E_PROTOCOL,
				    "%s cancelled: the server job was asked to stop "
				    "(cancel-async) and ended with status '%s'%s%s", fn,
				    env->status_code, env->error_message ? ": " : "",
				    env->error_message ? env->error_message : "");
	if (!strcmp(env->status_code, "failed"))
		return dg_error_set(err, DG_E_PROTOCOL, "MailStore: %s failed: %s", fn,
				    env->error_message ? env->error_message : "(no message)");
	return dg_error_set(err, DG_E_PROTOCOL, "MailStore: %s ended with unknown status '%s'",
			    fn, env->status_code);
}

dg_code dg_ms_call(dg_ms_client *c, const char *fn, const dg_ms_arg *args,
		   size_t nargs, unsigned flags, dg_ms_envelope *out, dg_error *err)
{
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	dg_strbuf form = DG_STRBUF_INIT, path = DG_STRBUF_INIT;
	dg_code rc;

	c->cancelled = 0;
	c->cancel_failure[0] = '\0';
	/* A write is not retry-safe, so net/http also sends it over a fresh
	 * connection: it can never be sent twice. */
	rc = build_form(c, fn, args, nargs, &form, err);
	if (!rc) {
		dg_strbuf_addf(&path, "invoke/%s", fn);
		rc = post(c, c->http, path.buf, &form, (flags & DG_MS_READ) != 0, fn, &res, out,
			  err);
	}
	dg_http_response_release(&res);
	form_release(&form);
	dg_strbuf_release(&path);
	if (rc)
		return rc;
	if (!strcmp(out->status_code, "running") && out->token) {
		free(c->last_token);
		c->last_token = dg_xstrdup(out->token);
		rc = wait_job(c, fn, out, err);
		if (rc)
			return rc;
	}
	if (c->o.progress && out->percent >= 0)
		c->o.progress(c->o.progress_ctx, out->percent, out->status_text);
	return finish(c, fn, out, err);
}

dg_code dg_ms_call_many(dg_ms_client *c, const char *fn, const char *arg,
			const char *const *values, size_t n, int parallel,
			dg_ms_envelope *out, dg_code *codes, dg_error *errs, dg_error *err)
{
	dg_http_request *rq = dg_xcalloc(n ? n : 1, sizeof(*rq));
	dg_http_response *res = dg_xcalloc(n ? n : 1, sizeof(*res));
	dg_strbuf *forms = dg_xcalloc(n ? n : 1, sizeof(*forms));
	dg_strbuf url = DG_STRBUF_INIT;
	dg_code first = DG_OK;
	dg_error one;
	size_t i;

	dg_strbuf_addf(&url, "invoke/%s", fn);
	for (i = 0; i < n; i++) {
		forms[i] = (dg_strbuf)DG_STRBUF_INIT;
		res[i] = (dg_http_response)DG_HTTP_RESPONSE_INIT;
	}
	for (i = 0; i < n; i++) {
		dg_ms_arg a = { arg, values[i] };
		dg_strbuf u = DG_STRBUF_INIT;
		if (build_form(c, fn, &a, 1, &forms[i], err)) {
			first = err->code;
			goto out;
		}
		build_request(c, &rq[i], &u, url.buf, &forms[i], 1);
		rq[i].url = dg_strbuf_detach(&u);
	}
	dg_http_send_many(c->http, rq, res, n, parallel, &one);
	for (i = 0; i < n; i++) {
		codes[i] = res[i].failure == DG_HTTP_OK
			   ? read_answer(c, fn, &res[i], &out[i], &one)
			   : dg_error_set(&one, DG_E_NETWORK, "%s for %s: %s", fn, values[i],
					  dg_http_failure_str(res[i].failure));
		if (!codes[i] && !strcmp(out[i].status_code, "running") && out[i].token)
			codes[i] = wait_job(c, fn, &out[i], &one);
		if (!codes[i])
			codes[i] = finish(c, fn, &out[i], &one);
		if (codes[i] && errs)
			errs[i] = one;
		if (codes[i] && !first) {
			first = codes[i];
			*err = one;
		}
	}
out:
	for (i = 0; i < n; i++) {
		free((char *)rq[i].url);
		form_release(&forms[i]);
		dg_http_response_release(&res[i]);
	}
	free(rq);
	free(res);
	free(forms);
	dg_strbuf_release(&url);
	return first;
}

/* ---- from a profile --------------------------------------------------------------- */

dg_ms_client *dg_ms_open_profile(const dg_profile *p, dg_ms_opts *o, char **password,
				 dg_findings *warn, dg_error *err)
{
	const dg_target *t = &p->target;
	dg_ms_client *c;

	*password = NULL;
	if (!t->present) {
		dg_error_set(err, DG_E_INVALID,
			     "profile %s has no \"target\" block: add the MailStore API URL, "
			     "user and password (see docs/profile-keys.md)", p->file);
		return NULL;
	}
	if (dg_secret_resolve(&t->password, password, err))
		return NULL;
	o->url = t->url;
	o->user = t->user;
	o->password = *password;
	o->spe = t->product == DG_PRODUCT_SPE;
	o->instance_id = t->instance_id;
	o->ca_file = t->ca_file;
	o->pin_sha256 = t->pin_sha256;
	o->insecure = t->insecure == 1;
	if (o->insecure && warn) {
		dg_finding *fd = dg_findings_add(warn, DGF_TLS008, "/target/tls/insecure",
						 "certificate verification is turned off for %s: "
						 "anyone on the path can read the API password", t->url);
		dg_finding_hint(fd, "pin MailStore's certificate with \"pinSha256\" "
				"instead, or give its CA in \"caFile\"");
	}
	c = dg_ms_open(o, err);
	if (!c) {
		dg_secret_free(*password);
		*password = NULL;
	}
	return c;
}

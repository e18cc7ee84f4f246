/* Setting the directory-services configuration: push.h. */
#include "push.h"

#include "../core/jsonexact.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

cJSON *dg_push_masked(const dg_tmap *map, const cJSON *cfg)
{
	cJSON *m = cJSON_Duplicate(cfg, 1);

	dg_tmap_redact(map, NULL, m, DG_TMAP_MASK);
	return m;
}

/* "/key" to the message `out` and, unless NULL, to the list `keys`. */
static void add_key(dg_strbuf *out, dg_strlist *keys, const char *key)
{
	dg_strbuf_addf(out, "%s/%s", out->len ? ", " : "", key);
	if (keys)
		dg_strlist_push_owned(keys, dg_xasprintf("/%s", key));
}

void dg_push_differing_keys(const dg_tmap *map, const cJSON *a, const cJSON *b,
			    dg_strbuf *out, dg_strlist *keys)
{
	cJSON *ma = dg_push_masked(map, a), *mb = dg_push_masked(map, b);
	const cJSON *k;

	cJSON_ArrayForEach(k, ma) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(mb, k->string);
		if (!o || !cJSON_Compare(k, o, 1))
			add_key(out, keys, k->string);
	}
	cJSON_ArrayForEach(k, mb)
		if (!cJSON_GetObjectItemCaseSensitive(ma, k->string))
			add_key(out, keys, k->string);
	cJSON_Delete(ma);
	cJSON_Delete(mb);
}

cJSON *dg_push_backup_json(const dg_profile *p, const dg_tmap *map, const cJSON *current,
			   int include_secrets)
{
	cJSON *b = cJSON_CreateObject(), *cfg = cJSON_Duplicate(current, 1);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!include_secrets)
		dg_tmap_redact(map, NULL, cfg, DG_TMAP_MASK);
	cJSON_AddNumberToObject(b, "dirgateBackup", 1);
	cJSON_AddStringToObject(b, "profile", p->name ? p->name : "");
	cJSON_AddStringToObject(b, "target", p->target.url);
	if (p->target.instance_id)
		cJSON_AddStringToObject(b, "instanceId", p->target.instance_id);
	cJSON_AddStringToObject(b, "time", stamp);
	cJSON_AddBoolToObject(b, "secretsMasked", !include_secrets);
	cJSON_AddItemToObject(b, "config", cfg);
	return b;
}

/* Whether the server holds `cfg` (secrets masked on both sides). */
static int server_has(const dg_tmap *map, const cJSON *server, const cJSON *cfg)
{
	cJSON *want = dg_push_masked(map, cfg), *got = dg_push_masked(map, server);
	int same = cJSON_Compare(want, got, 1);

	cJSON_Delete(want);
	cJSON_Delete(got);
	return same;
}

/* The Set's answer never came (connection lost, HTTP error): the server
 * may or may not have applied it, so read it back and say which. */
static const char *lost_answer_state(dg_ms_client *c, const dg_tmap *map, const cJSON *before,
				     const cJSON *cfg)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_error err = { 0 };
	const char *state;

	if (dg_ms_call(c, "GetDirectoryServicesConfiguration", NULL, 0, DG_MS_READ, &env,
		       &err) || !env.result)
		state = "whether it was applied is unknown: reading the configuration back "
			"failed too";
	else if (server_has(map, env.result, cfg))
		state = "reading the configuration back shows it WAS applied";
	else if (server_has(map, env.result, before))
		state = "reading the configuration back shows it was NOT applied: the server "
			"has the configuration it had before";
	else
		state = "reading the configuration back shows neither what was sent nor what "
			"was there before: the server changed in another way";
	dg_ms_envelope_release(&env);
	return state;
}

static dg_code read_back(dg_ms_client *c, const dg_tmap *map, const cJSON *cfg,
			 dg_push_result *res, dg_error *err)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	cJSON *want, *got;
	dg_code rc = DG_OK;

	if (dg_ms_call(c, "GetDirectoryServicesConfiguration", NULL, 0, DG_MS_READ, &env,
		       err)) {
		res->outcome = DG_PUSH_READBACK_FAILED;
		dg_ms_envelope_release(&env);
		return err->code;
	}
	want = dg_push_masked(map, cfg);
	got = env.result ? dg_push_masked(map, env.result) : cJSON_CreateObject();
	if (!cJSON_Compare(want, got, 1)) {
		dg_push_differing_keys(map, cfg, env.result ? env.result : got, &res->keys, NULL);
		res->outcome = DG_PUSH_NOT_KEPT;
		dg_code_record(DGF_API010);
		rc = dg_error_set(err, DG_E_PROTOCOL, "API010: the server did not keep what "
				  "was sent (keys: %s)", res->keys.buf);
	}
	cJSON_Delete(want);
	cJSON_Delete(got);
	dg_ms_envelope_release(&env);
	return rc;
}

dg_code dg_push_set(dg_ms_client *c, const dg_tmap *map, const cJSON *current,
		    const cJSON *cfg, dg_push_result *res, dg_error *err)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	char *text = dg_json_print_exact(cfg, 0);
	dg_ms_arg arg = { "config", text };
	dg_code rc;

	memset(res, 0, sizeof(*res));
	rc = dg_ms_call(c, "SetDirectoryServicesConfiguration", &arg, 1, 0, &env, err);
	/* the text holds resolved secrets: wipe before freeing */
	explicit_bzero(text, strlen(text));
	cJSON_free(text);
	/* A "failed" envelope is the server's own answer, and DG_E_UNSUPPORTED
	 * is refused before sending: nothing was applied.  Otherwise the
	 * answer was lost on the way (or is one nobody understands). */
	if (rc && rc != DG_E_UNSUPPORTED &&
	    !(env.status_code && !strcmp(env.status_code, "failed"))) {
		res->outcome = DG_PUSH_LOST;
		res->lost_state = lost_answer_state(c, map, current, cfg);
		dg_ms_envelope_release(&env);
		return rc;
	}
	dg_ms_envelope_release(&env);
	if (rc) {
		res->outcome = DG_PUSH_REFUSED;
		return rc;
	}
	res->outcome = DG_PUSH_KEPT;
	return read_back(c, map, cfg, res, err);
}

void dg_push_result_release(dg_push_result *res)
{
	dg_strbuf_release(&res->keys);
}

/* The plan: see plan.h. */
#include "plan.h"

#include "../core/jsonexact.h"
#include "../core/jsonstr.h"
#include "../core/output.h"
#include "../core/readfile.h"
#include "../core/secret.h"

#include <errno.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INFO_BATCH 512    /* GetUserInfo answers held at once */

/* ---- case-insensitive lookups --------------------------------------------------- */

/* A sorted (key, user index) table for case-insensitive lookups: names, DNs
 * and e-mail addresses of server users. */
typedef struct ix_ent {
	const char *key;
	size_t idx;
} ix_ent;

typedef struct ix {
	ix_ent *e;
	size_t nr, alloc;
} ix;

static int ix_cmp(const void *a, const void *b)
{
	const ix_ent *x = a, *y = b;
	int c = strcasecmp(x->key, y->key);
	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static void ix_add(ix *t, const char *key, size_t idx)
{
	if (!key || !*key)
		return;
	DG_ALLOC_GROW(t->e, t->nr + 1, t->alloc);
	t->e[t->nr].key = key;
	t->e[t->nr++].idx = idx;
}

/* An empty table has no array, and qsort(NULL, 0, ...) is undefined. */
static void ix_sort(ix *t)
{
	if (t->nr)
		qsort(t->e, t->nr, sizeof(ix_ent), ix_cmp);
}

/* The first entry with this key, or NULL. */
static const ix_ent *ix_find(const ix *t, const char *key)
{
	size_t lo = 0, hi = t->nr;

	if (!key || !*key)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcasecmp(t->e[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nr && !strcasecmp(t->e[lo].key, key) ? &t->e[lo] : NULL;
}

/* ---- server state ------------------------------------------------------------ */

static void fingerprint(dg_srv_state *st, const cJSON *users)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	char *cfg = dg_json_print_exact(st->config, 0);
	char *u = cJSON_PrintUnformatted(users);

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, cfg ? cfg : "null", cfg ? strlen(cfg) : 4);
	EVP_DigestUpdate(md, "\n", 1);
	EVP_DigestUpdate(md, u ? u : "null", u ? strlen(u) : 4);
	EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	for (unsigned int i = 0; i < hl && i < 32; i++)
		snprintf(st->fingerprint + 2 * i, 3, "%02x", h[i]);
	cJSON_free(cfg);
	cJSON_free(u);
}

/* The strings of a list member (MailStore gives arrays; a comma-separated
 * string, the form its arguments take, is read too). */
static void take_list(dg_strlist *out, const cJSON *v)
{
	const cJSON *e;

	if (cJSON_IsString(v)) {
		char *copy = dg_xstrdup(v->valuestring), *save = NULL;
		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (*tok)
				dg_strlist_push(out, tok);
		free(copy);
		return;
	}
	cJSON_ArrayForEach(e, v)
		if (cJSON_IsString(e) && *e->valuestring)
			dg_strlist_push(out, e->valuestring);
}

static void take_info(dg_srv_user *u, const cJSON *info)
{
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(info, "authentication");
	const cJSON *login = cJSON_GetObjectItemCaseSensitive(info, "loginPrivileges");

	u->directory = cJSON_IsString(auth) && !strcmp(auth->valuestring, "directoryServices");
	take_list(&u->emails, cJSON_GetObjectItemCaseSensitive(info, "emailAddresses"));
	take_list(&u->privileges, cJSON_GetObjectItemCaseSensitive(info, "privileges"));
	u->login_listed = login && !cJSON_IsNull(login);
	take_list(&u->login_privileges, login);
	u->info = 1;
}

static void srv_user_release(dg_srv_user *u)
{
	free(u->user_name);
	free(u->full_name);
	free(u->dn);
	dg_strlist_clear(&u->emails);
	dg_strlist_clear(&u->privileges);
	dg_strlist_clear(&u->login_privileges);
}

/* GetUserInfo answers of one batch, reused for the next. */
typedef struct info_bufs {
	const char **names;
	dg_ms_envelope *env;
	dg_code *codes;
	dg_error *errs;
} info_bufs;

/* Users whose GetUserInfo the server answered "failed". */
typedef struct suspects {
	size_t *idx;                /* in st->users, ascending */
	dg_error *errs;             /* each one's failure */
	size_t nr, alloc, alloc_errs;
} suspects;

/* The server answered for this user, and the answer is "failed": the
 * Administration API counts an unknown user among these API-level errors,
 * with no documented message text to tell it from the others.  Transport and HTTP failures never arrive as an envelope. */
static int answered_failed(dg_code code, const dg_ms_envelope *env)
{
	return code && env->status_code && !strcmp(env->status_code, "failed");
}

static void suspect_add(suspects *sus, size_t idx, const dg_error *e)
{
	DG_ALLOC_GROW(sus->idx, sus->nr + 1, sus->alloc);
	DG_ALLOC_GROW(sus->errs, sus->nr + 1, sus->alloc_errs);
	sus->idx[sus->nr] = idx;
	sus->errs[sus->nr++] = *e;
}

/* GetUserInfo for users [at, at + n): the answers go into the users, a
 * "failed" answer makes the user a suspect, any other failure ends the
 * fetch with its own message. */
static dg_code info_batch(dg_ms_client *c, int parallel, dg_srv_state *st, size_t at,
			  size_t n, info_bufs *b, suspects *sus, dg_error *err)
{
	dg_code first, rc = DG_OK;
	size_t failures = 0;

	for (size_t i = 0; i < n; i++) {
		b->names[i] = st->users[at + i].user_name;
		b->env[i] = (dg_ms_envelope)DG_MS_ENVELOPE_INIT;
		b->codes[i] = DG_OK;
	}
	first = dg_ms_call_many(c, "GetUserInfo", "userName", b->names, n, parallel, b->env,
				b->codes, b->errs, err);
	for (size_t i = 0; i < n; i++) {
		failures += b->codes[i] != DG_OK;
		if (!b->codes[i])
			take_info(&st->users[at + i], b->env[i].result);
		else if (answered_failed(b->codes[i], &b->env[i]))
			suspect_add(sus, at + i, &b->errs[i]);
		else if (!rc) {
			rc = b->codes[i];
			*err = b->errs[i];
		}
		dg_ms_envelope_release(&b->env[i]);
	}
	/* Refused before anything was sent (err says why). */
	return first && !failures ? first : rc;
}

/* GetUsers: DG_OK when env->result is the list. */
static dg_code get_users(dg_ms_client *c, dg_ms_envelope *env, dg_error *err)
{
	dg_code rc = dg_ms_call(c, "GetUsers", NULL, 0, DG_MS_READ, env, err);

	if (!rc && !cJSON_IsArray(env->result))
		rc = dg_error_set(err, DG_E_PROTOCOL, "GetUsers returned no list");
	return rc;
}

/* A "failed" GetUserInfo means the user was deleted after GetUsers only
 * when a fresh GetUsers no longer lists it; otherwise it is a real error. */
static dg_code confirm_vanished(dg_ms_client *c, dg_srv_state *st, const suspects *sus,
				dg_error *err)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_code rc = get_users(c, &env, err);
	size_t k;

	if (!rc) {
		k = dg_srv_drop_vanished(st, sus->idx, sus->nr, env.result);
		if (k < sus->nr)
			rc = dg_error_set(err, sus->errs[k].code, "%s (user '%s', which "
					  "GetUsers still lists)", sus->errs[k].message,
					  st->users[sus->idx[k]].user_name);
	}
	dg_ms_envelope_release(&env);
	return rc;
}

static dg_code fetch_info(dg_ms_client *c, int parallel, dg_srv_state *st, dg_error *err)
{
	info_bufs b = {
		dg_xcalloc(INFO_BATCH, sizeof(*b.names)),
		dg_xcalloc(INFO_BATCH, sizeof(*b.env)),
		dg_xcalloc(INFO_BATCH, sizeof(*b.codes)),
		dg_xcalloc(INFO_BATCH, sizeof(*b.errs)),
	};
	suspects sus = { 0 };
	dg_code rc = DG_OK;

	for (size_t at = 0; at < st->nusers && !rc; at += INFO_BATCH) {
		size_t n = st->nusers - at < INFO_BATCH ? st->nusers - at : INFO_BATCH;
		rc = info_batch(c, parallel, st, at, n, &b, &sus, err);
	}
	free(b.names);
	free(b.env);
	free(b.codes);
	free(b.errs);
	if (!rc && sus.nr)
		rc = confirm_vanished(c, st, &sus, err);
	free(sus.idx);
	free(sus.errs);
	return rc;
}

static int same_opt(const char *have, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;

	return have && s ? !strcmp(have, s) : have == s;
}

/* Whether `now` lists exactly st's users, in order, with the same full
 * names and DNs (the entries dg_srv_fetch takes, by the same rule). */
static int lists_exactly(const cJSON *now, const dg_srv_state *st)
{
	const cJSON *u;
	size_t j = 0;

	cJSON_ArrayForEach(u, now) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(u, "userName");
		const dg_srv_user *su;
		if (!cJSON_IsString(name))
			continue;
		if (j == st->nusers)
			return 0;
		su = &st->users[j++];
		if (strcmp(su->user_name, name->valuestring) ||
		    !same_opt(su->full_name, u, "fullName") ||
		    !same_opt(su->dn, u, "distinguishedName"))
			return 0;
	}
	return j == st->nusers;
}

/* Moves the users at idx[0..n) from st->users to st->vanished. */
static void drop_users(dg_srv_state *st, const size_t *idx, size_t n)
{
	unsigned char *gone = dg_xcalloc(st->nusers ? st->nusers : 1, 1);
	size_t w = 0;

	for (size_t k = 0; k < n; k++)
		gone[idx[k]] = 1;
	for (size_t i = 0; i < st->nusers; i++) {
		dg_srv_user *u = &st->users[i];
		if (!gone[i]) {
			st->users[w++] = *u;
			continue;
		}
		dg_strlist_push_owned(&st->vanished, u->user_name);
		u->user_name = NULL;
		srv_user_release(u);
	}
	st->nusers = w;
	free(gone);
}

size_t dg_srv_drop_vanished(dg_srv_state *st, const size_t *idx, size_t n, const cJSON *now)
{
	ix names = { 0 };
	const cJSON *u;
	size_t k = 0;

	cJSON_ArrayForEach(u, now)
		ix_add(&names, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "userName")),
		       0);
	ix_sort(&names);
	while (k < n && !ix_find(&names, st->users[idx[k]].user_name))
		k++;
	free(names.e);
	if (k < n)
		return k;
	drop_users(st, idx, n);
	/* The plan describes the first GetUsers minus these users.  When `now`
	 * is exactly that, a saved plan may be pushed while the server stays
	 * so; otherwise it describes no state the server was in, and the
	 * fingerprint of no user list makes push refuse it (API011). */
	fingerprint(st, lists_exactly(now, st) ? now : NULL);
	return n;
}

/* A user as GetUsers (or GetUserInfo) lists it; NULL for one without a
 * name, which dg_srv_fetch has always passed over. */
static dg_srv_user *add_listed(dg_srv_state *st, const cJSON *u)
{
	dg_srv_user *su;
	char *name = dg_json_strdup(u, "userName");

	if (!name)
		return NULL;
	DG_ALLOC_GROW(st->users, st->nusers + 1, st->alloc);
	su = &st->users[st->nusers++];
	memset(su, 0, sizeof(*su));
	su->user_name = name;
	su->full_name = dg_json_strdup(u, "fullName");
	su->dn = dg_json_strdup(u, "distinguishedName");
	return su;
}

dg_code dg_srv_fetch(dg_ms_client *c, int with_info, int parallel, dg_srv_state *st,
		     dg_error *err)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	const cJSON *u;
	dg_code rc;

	memset(st, 0, sizeof(*st));
	rc = dg_ms_call(c, "GetDirectoryServicesConfiguration", NULL, 0, DG_MS_READ, &env, err);
	if (rc) {
		dg_ms_envelope_release(&env);   /* a "failed" answer has its message */
		return rc;
	}
	st->config = env.result ? env.result : cJSON_CreateObject();
	env.result = NULL;
	dg_ms_envelope_release(&env);
	if (!cJSON_IsObject(st->config))
		return dg_error_set(err, DG_E_PROTOCOL, "GetDirectoryServicesConfiguration "
				    "returned no JSON object");
	rc = get_users(c, &env, err);
	if (rc) {
		dg_ms_envelope_release(&env);
		return rc;
	}
	cJSON_ArrayForEach(u, env.result)
		add_listed(st, u);
	fingerprint(st, env.result);
	dg_ms_envelope_release(&env);
	/* Hand the tree's many small blocks back: what comes next (the
	 * preview's arena) is mmapped and would not reuse them.  Tuning only.
	 * Not under AddressSanitizer: its heap is not glibc's, and glibc's
	 * malloc_trim there corrupts the arena count of threads that exit
	 * (onboard's tenant threads aborted in __malloc_arena_thread_freeres). */
#ifndef __SANITIZE_ADDRESS__
	malloc_trim(0);
#endif
	return with_info ? fetch_info(c, parallel > 0 ? parallel : 8, st, err) : DG_OK;
}

void dg_srv_state_release(dg_srv_state *st)
{
	for (size_t i = 0; i < st->nusers; i++)
		srv_user_release(&st->users[i]);
	free(st->users);
	dg_strlist_clear(&st->vanished);
	cJSON_Delete(st->config);
	memset(st, 0, sizeof(*st));
}

dg_code dg_srv_state_from_json(const cJSON *config, const cJSON *users, const char *name,
			       dg_srv_state *st, dg_error *err)
{
	cJSON *listed = cJSON_CreateArray();
	const cJSON *u;
	int i = 0;

	memset(st, 0, sizeof(*st));
	st->config = config ? cJSON_Duplicate(config, 1) : cJSON_CreateObject();
	if (!cJSON_IsObject(st->config)) {
		cJSON_Delete(listed);
		return dg_error_set(err, DG_E_INVALID, "%s: the directory-services configuration "
				    "is not a JSON object (write it with 'dirgate pull')", name);
	}
	if (!cJSON_IsArray(users)) {
		cJSON_Delete(listed);
		return dg_error_set(err, DG_E_INVALID, "%s: /users is not an array (write the "
				    "file with 'dirgate pull PROFILE --users FILE')", name);
	}
	cJSON_ArrayForEach(u, users) {
		const cJSON *auth = cJSON_GetObjectItemCaseSensitive(u, "authentication");
		dg_srv_user *su = cJSON_IsString(auth) ? add_listed(st, u) : NULL;
		if (!su) {
			cJSON_Delete(listed);
			return dg_error_set(err, DG_E_INVALID, "%s: /users/%d has no userName "
					    "or no authentication (GetUserInfo gives both)", name, i);
		}
		take_info(su, u);
		cJSON_AddItemToArray(listed, cJSON_Duplicate(u, 1));
		i++;
	}
	fingerprint(st, listed);
	cJSON_Delete(listed);
	return DG_OK;
}

static void add_strlist(cJSON *obj, const char *key, const dg_strlist *l)
{
	cJSON *a = cJSON_AddArrayToObject(obj, key);

	for (size_t i = 0; i < l->nr; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->items[i]));
}

cJSON *dg_srv_users_json(const dg_srv_state *st)
{
	cJSON *root = cJSON_CreateObject(), *users;

	cJSON_AddNumberToObject(root, "dirgateUsers", 1);
	cJSON_AddStringToObject(root, "fingerprint", st->fingerprint);
	users = cJSON_AddArrayToObject(root, "users");
	for (size_t i = 0; i < st->nusers; i++) {
		const dg_srv_user *su = &st->users[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "userName", su->user_name);
		cJSON_AddItemToObject(o, "fullName", su->full_name ? cJSON_CreateString(su->full_name)
								  : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "distinguishedName",
				      su->dn ? cJSON_CreateString(su->dn) : cJSON_CreateNull());
		cJSON_AddStringToObject(o, "authentication",
					su->directory ? "directoryServices" : "integrated");
		add_strlist(o, "emailAddresses", &su->emails);
		add_strlist(o, "privileges", &su->privileges);
		if (su->login_listed)
			add_strlist(o, "loginPrivileges", &su->login_privileges);
		cJSON_AddItemToArray(users, o);
	}
	return root;
}

/* ---- the user diff -------------------------------------------------------------- */

const char *dg_action_name(dg_action a)
{
	static const char *const names[] = { "create", "update", "rename", "delete", "unchanged" };
	return a < DG_ACT_COUNT ? names[a] : "?";
}

static int same_str(const char *a, const char *b)
{
	return !strcasecmp(a ? a : "", b ? b : "");
}

static int same_emails(const dg_strlist *a, const dg_strlist *b)
{
	if (a->nr != b->nr)
		return 0;
	for (size_t i = 0; i < a->nr; i++)
		if (strcasecmp(a->items[i], b->items[i]))
			return 0;
	return 1;
}

static dg_plan_item *add_item(dg_plan *plan, dg_action a, const dg_ms_user *d,
			      const dg_srv_user *s)
{
	dg_plan_item *it;

	DG_ALLOC_GROW(plan->items, plan->nr + 1, plan->alloc);
	it = &plan->items[plan->nr++];
	memset(it, 0, sizeof(*it));
	it->action = a;
	it->dir = d;
	it->srv = s;
	plan->counts[a]++;
	return it;
}

typedef struct tables {
	ix names, dns, mails;
	unsigned char *taken;   /* server user matched by name or rename */
} tables;

static void build_tables(const dg_srv_state *st, tables *t)
{
	memset(t, 0, sizeof(*t));
	t->taken = dg_xcalloc(st->nusers ? st->nusers : 1, 1);
	for (size_t i = 0; i < st->nusers; i++) {
		const dg_srv_user *u = &st->users[i];
		ix_add(&t->names, u->user_name, i);
		ix_add(&t->dns, u->dn, i);
		for (size_t k = 0; k < u->emails.nr; k++)
			ix_add(&t->mails, u->emails.items[k], i);
	}
	ix_sort(&t->names);
	ix_sort(&t->dns);
	ix_sort(&t->mails);
}

static void free_tables(tables *t)
{
	free(t->names.e);
	free(t->dns.e);
	free(t->mails.e);
	free(t->taken);
}

/* A server user the directory user matches by DN or e-mail although the
 * names differ, that no preview user claims by name. */
static const ix_ent *rename_source(const tables *t, const dg_ms_user *d,
				   const dg_preview *pv, const char **how)
{
	const ix_ent *e = ix_find(&t->dns, d->dn);

	*how = "distinguishedName";
	for (; e && e < t->dns.e + t->dns.nr && !strcasecmp(e->key, d->dn); e++)
		if (!t->taken[e->idx])
			return e;
	*how = "emailAddress";
	for (size_t k = 0; k < d->emails.nr; k++) {
		e = ix_find(&t->mails, d->emails.items[k]);
		for (; e && e < t->mails.e + t->mails.nr &&
		       !strcasecmp(e->key, d->emails.items[k]); e++)
			if (!t->taken[e->idx])
				return e;
	}
	(void)pv;
	return NULL;
}

static void rename_finding(dg_plan *plan, const dg_plan_item *it)
{
	dg_finding *fd = dg_findings_add(
		&plan->findings, DGF_API009, "/directory",
		"directory user '%s' matches existing MailStore user '%s' by %s but gets "
		"another name: synchronisation would create a second user '%s' with an "
		"empty archive, and '%s' keeps the old archive", it->dir->user_name,
		it->srv->user_name, it->match, it->dir->user_name, it->srv->user_name);
	dg_finding_hint(fd, "rename the MailStore user before synchronising: "
			"'dirgate plan --renames FILE' lists the renames, "
			"'dirgate migrate FILE' applies them");
}

static void diff_users(const dg_preview *pv, const dg_srv_state *st, int delete_users,
		       dg_plan *plan)
{
	tables t;
	size_t i;

	build_tables(st, &t);
	/* Names first, so a rename never takes a user another entry keeps. */
	for (i = 0; i < pv->nusers; i++) {
		const ix_ent *e = ix_find(&t.names, pv->users[i].user_name);
		if (e)
			t.taken[e->idx] = 1;
	}
	for (i = 0; i < pv->nusers; i++) {
		const dg_ms_user *d = &pv->users[i];
		const ix_ent *e = ix_find(&t.names, d->user_name);
		const char *how;
		dg_plan_item *it;
		if (e) {
			const dg_srv_user *s = &st->users[e->idx];
			unsigned ch = (same_str(d->full_name, s->full_name) ? 0 : DG_CHG_FULLNAME) |
				      (same_emails(&d->emails, &s->emails) ? 0 : DG_CHG_EMAILS) |
				      (same_str(d->dn, s->dn) ? 0 : DG_CHG_DN);
			it = add_item(plan, ch ? DG_ACT_UPDATE : DG_ACT_UNCHANGED, d, s);
			it->changed = ch;
			continue;
		}
		e = rename_source(&t, d, pv, &how);
		if (!e) {
			add_item(plan, DG_ACT_CREATE, d, NULL);
			continue;
		}
		t.taken[e->idx] = 1;
		it = add_item(plan, DG_ACT_RENAME, d, &st->users[e->idx]);
		it->match = how;
		rename_finding(plan, it);
	}
	for (i = 0; i < st->nusers; i++) {
		if (t.taken[i])
			continue;
		if (delete_users == 1 && st->users[i].directory)
			add_item(plan, DG_ACT_DELETE, NULL, &st->users[i]);
		else
			plan->not_in_directory++;
	}
	free_tables(&t);
}

/* The plan treats them as no longer on the server: right for them, but the
 * server was changing while it was read. */
static void vanished_findings(dg_plan *plan, const dg_srv_state *st)
{
	for (size_t i = 0; i < st->vanished.nr; i++) {
		dg_finding *fd = dg_findings_add(
			&plan->findings, DGF_API013, "/target",
			"MailStore user '%s' disappeared while the plan was being made: "
			"GetUsers listed it, then GetUserInfo failed and GetUsers no longer "
			"lists it; the plan treats it as no longer on the server",
			st->vanished.items[i]);
		dg_finding_hint(fd, "an administrator or a running synchronisation deleted "
				"it; run 'dirgate plan' again before pushing");
	}
}

/* ---- guards ------------------------------------------------------------------------ */

/* A guard that is set but cannot be measured: refused like a tripped one,
 * since passing it would be a guess. */
static void not_evaluated(dg_findings *out, const char *guard, const char *count,
			  const char *source)
{
	dg_finding *fd = dg_findings_add(out, DGF_GUARD008, "/sync/guards",
					 "guard %s not evaluated: %s gave no count of %s that "
					 "dirgate understands (it reads lists or numbers named "
					 "created, modified, deleted and unchanged)",
					 guard, source, count);
	dg_finding_hint(fd, "read the server's log shown above; if the changes are intended, "
			"--force runs without this guard");
}

static void min_users(const dg_sync_opts *so, const dg_guard_counts *c, const char *source,
		      dg_findings *out)
{
	int min = so->min_users >= 0 ? so->min_users : 1;
	size_t p = c->directory_users;
	dg_finding *fd;

	if (p == DG_GUARD_UNKNOWN) {
		not_evaluated(out, "minUsers", "the users the directory gives", source);
		return;
	}
	if (p >= (size_t)min)
		return;
	fd = dg_findings_add(out, DGF_GUARD004, "/sync/guards/minUsers",
			     "%s: the directory gives %zu user%s, fewer than minUsers (%d): "
			     "a wrong filter or group would leave MailStore without users",
			     source, p, p == 1 ? "" : "s", min);
	dg_finding_hint(fd, "check the filters and groups with 'dirgate preview'; "
			"--force overrides");
}

static void max_drop(const dg_sync_opts *so, const dg_guard_counts *c, const char *source,
		     dg_findings *out)
{
	size_t s = c->server_users, p = c->directory_users;
	double drop;
	dg_finding *fd;

	if (so->max_drop_percent < 0)
		return;
	if (s == DG_GUARD_UNKNOWN || p == DG_GUARD_UNKNOWN) {
		not_evaluated(out, "maxDropPercent", "the users MailStore has and the "
			      "directory gives", source);
		return;
	}
	if (s == 0 || p >= s)
		return;
	drop = (double)(s - p) * 100.0 / (double)s;
	if (drop <= so->max_drop_percent)
		return;
	fd = dg_findings_add(out, DGF_GUARD005, "/sync/guards/maxDropPercent",
			     "%s: the directory gives %zu user%s where MailStore has %zu from "
			     "directory services: a drop of %.1f%%, more than maxDropPercent "
			     "(%g%%)", source, p, p == 1 ? "" : "s", s, drop,
			     so->max_drop_percent);
	dg_finding_hint(fd, "check the filters and groups; raise maxDropPercent or use "
			"--force if the drop is intended");
}

static void max_deletes(const dg_sync_opts *so, const dg_guard_counts *c, const char *source,
			dg_findings *out)
{
	dg_finding *fd;

	if (so->max_deletes < 0)
		return;
	if (c->deletes == DG_GUARD_UNKNOWN) {
		not_evaluated(out, "maxDeletes", "the users it would delete", source);
		return;
	}
	if (c->deletes <= (size_t)so->max_deletes)
		return;
	fd = dg_findings_add(out, DGF_GUARD006, "/sync/guards/maxDeletes",
			     "%s: synchronisation would delete %zu user%s, more than "
			     "maxDeletes (%d)", source, c->deletes, c->deletes == 1 ? "" : "s",
			     so->max_deletes);
	dg_finding_hint(fd, "review the deletes in 'dirgate plan'; raise maxDeletes or use "
			"--force if they are intended");
}

void dg_guards_check(const dg_sync_opts *so, const dg_guard_counts *c, const char *source,
		     dg_findings *out)
{
	min_users(so, c, source, out);
	max_drop(so, c, source, out);
	max_deletes(so, c, source, out);
}

/* A JSON number that is a whole count, read without undefined behaviour:
 * negative, fractional or huge values (from a server or an edited file)
 * are no count. */
static int json_count(const cJSON *v, size_t *out)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble < 1e15) ||
	    v->valuedouble != (double)(size_t)v->valuedouble)
		return 0;
	*out = (size_t)v->valuedouble;
	return 1;
}

/* A member named like one of `names`: a list's length, a whole number,
 * or DG_GUARD_UNKNOWN. */
static size_t result_count(const cJSON *res, const char *const *names)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, res) {
		size_t k = 0;
		while (names[k] && (!m->string || strcasecmp(m->string, names[k])))
			k++;
		if (!names[k])
			continue;
		if (cJSON_IsArray(m))
			return (size_t)cJSON_GetArraySize(m);
		return json_count(m, &k) ? k : DG_GUARD_UNKNOWN;
	}
	return DG_GUARD_UNKNOWN;
}

static size_t sum3(size_t a, size_t b, size_t c)
{
	if (a == DG_GUARD_UNKNOWN || b == DG_GUARD_UNKNOWN || c == DG_GUARD_UNKNOWN)
		return DG_GUARD_UNKNOWN;
	return a + b + c;
}

int dg_sync_result_counts(const cJSON *result, dg_guard_counts *c)
{
	static const char *const created[] = { "created", "added", NULL };
	static const char *const modified[] = { "modified", "updated", "changed", NULL };
	static const char *const deleted[] = { "deleted", "removed", NULL };
	static const char *const unchanged[] = { "unchanged", NULL };
	size_t cr, mo, un;

	*c = (dg_guard_counts){ DG_GUARD_UNKNOWN, DG_GUARD_UNKNOWN, DG_GUARD_UNKNOWN };
	if (!cJSON_IsObject(result))
		return 0;
	cr = result_count(result, created);
	mo = result_count(result, modified);
	un = result_count(result, unchanged);
	c->deletes = result_count(result, deleted);
	/* After the run the directory's users are those created, modified or
	 * left unchanged; before it, MailStore had those modified, unchanged
	 * or deleted. */
	c->directory_users = sum3(cr, mo, un);
	c->server_users = sum3(mo, un, c->deletes);
	return c->deletes != DG_GUARD_UNKNOWN;
}

size_t dg_guards_verdict(const dg_findings *in, int force, dg_findings *shown)
{
	size_t hits = 0;

	for (size_t i = 0; i < in->nr; i++) {
		const dg_finding *g = &in->items[i];
		dg_finding *fd;
		if (strncmp(g->code, "GUARD", 5) || g->severity != DG_SEV_ERROR)
			continue;
		hits++;
		fd = dg_findings_add(shown, force ? DGF_GUARD007 : g->id, g->path, "%s%s",
				     force ? "overridden with --force: " : "", g->message);
		if (g->hint && !force)
			dg_finding_hint(fd, "%s", g->hint);
	}
	return hits;
}

dg_code dg_plan_build(const dg_profile *p, const dg_tmap *map, const cJSON *profile_json,
		      const dg_preview *pv, const dg_srv_state *st, int resolve,
		      dg_plan *plan, cJSON **cfg_after, dg_error *err)
{
	memset(plan, 0, sizeof(*plan));
	plan->preview = pv;
	plan->server_users = st->nusers;
	plan->preview_users = pv->nusers;
	for (size_t i = 0; i < st->nusers; i++)
		plan->server_directory_users += st->users[i].directory != 0;
	diff_users(pv, st, p->sync.delete_users, plan);
	vanished_findings(plan, st);
	dg_guards_check(&p->sync, &(dg_guard_counts){ plan->preview_users,
						      plan->server_directory_users,
						      plan->counts[DG_ACT_DELETE] },
			"the plan", &plan->findings);
	return dg_tmap_apply(map, p, profile_json, st->config, resolve, cfg_after,
			     &plan->config, err);
}

void dg_plan_release(dg_plan *plan)
{
	free(plan->items);
	dg_cfg_diff_release(&plan->config);
	dg_findings_clear(&plan->findings);
	memset(plan, 0, sizeof(*plan));
}

int dg_plan_has_changes(const dg_plan *plan)
{
	return plan->counts[DG_ACT_CREATE] || plan->counts[DG_ACT_UPDATE] ||
	       plan->counts[DG_ACT_RENAME] || plan->counts[DG_ACT_DELETE] ||
	       dg_cfg_diff_count(&plan->config);
}

/* ---- output --------------------------------------------------------------------------- */

static void json_opt(dg_strbuf *out, const char *s)
{
	if (s)
		dg_strbuf_add_json_str(out, s);
	else
		dg_strbuf_adds(out, "null");
}

static void json_change(dg_strbuf *out, int *first, const char *field, const char *from,
			const char *to)
{
	dg_strbuf_addf(out, "%s\"%s\":{\"from\":", *first ? "" : ",", field);
	json_opt(out, from);
	dg_strbuf_adds(out, ",\"to\":");
	json_opt(out, to);
	dg_strbuf_addch(out, '}');
	*first = 0;
}

static void json_changes(dg_strbuf *out, const dg_plan_item *it)
{
	int first = 1;

	dg_strbuf_adds(out, ",\"changes\":{");
	if (it->changed & DG_CHG_FULLNAME)
		json_change(out, &first, "fullName", it->srv->full_name, it->dir->full_name);
	if (it->changed & DG_CHG_DN)
		json_change(out, &first, "distinguishedName", it->srv->dn, it->dir->dn);
	if (it->changed & DG_CHG_EMAILS) {
		dg_strbuf_addf(out, "%s\"emailAddresses\":{\"from\":", first ? "" : ",");
		dg_strbuf_add_json_strlist(out, &it->srv->emails);
		dg_strbuf_adds(out, ",\"to\":");
		dg_strbuf_add_json_strlist(out, &it->dir->emails);
		dg_strbuf_addch(out, '}');
	}
	dg_strbuf_addch(out, '}');
}

static void json_user(dg_strbuf *out, const dg_plan_item *it)
{
	dg_strbuf_adds(out, "{\"userName\":");
	if (it->dir) {
		dg_strbuf_add_json_str(out, it->dir->user_name);
		dg_strbuf_adds(out, ",\"fullName\":");
		dg_strbuf_add_json_str(out, it->dir->full_name ? it->dir->full_name : "");
		dg_strbuf_adds(out, ",\"emailAddresses\":");
		dg_strbuf_add_json_strlist(out, &it->dir->emails);
		dg_strbuf_adds(out, ",\"distinguishedName\":");
		json_opt(out, it->dir->dn);
		dg_strbuf_adds(out, ",\"groups\":");
		dg_strbuf_add_json_strlist(out, &it->dir->groups);
	} else {
		dg_strbuf_add_json_str(out, it->srv->user_name);
		dg_strbuf_adds(out, ",\"fullName\":");
		dg_strbuf_add_json_str(out, it->srv->full_name ? it->srv->full_name : "");
		dg_strbuf_adds(out, ",\"emailAddresses\":");
		dg_strbuf_add_json_strlist(out, &it->srv->emails);
		dg_strbuf_adds(out, ",\"distinguishedName\":");
		json_opt(out, it->srv->dn);
	}
	dg_strbuf_addf(out, ",\"action\":\"%s\"", dg_action_name(it->action));
	if (it->action == DG_ACT_RENAME) {
		dg_strbuf_adds(out, ",\"from\":");
		dg_strbuf_add_json_str(out, it->srv->user_name);
		dg_strbuf_addf(out, ",\"match\":\"%s\"", it->match);
	}
	if (it->action == DG_ACT_UPDATE)
		json_changes(out, it);
	dg_strbuf_addch(out, '}');
}

static int item_cmp(const void *a, const void *b)
{
	const dg_plan_item *x = a, *y = b;
	const char *nx = x->dir ? x->dir->user_name : x->srv->user_name;
	const char *ny = y->dir ? y->dir->user_name : y->srv->user_name;
	return strcmp(nx, ny);
}

/* A value for output: secrets masked, JSON text otherwise. */
static void json_value(dg_strbuf *out, const cJSON *v, int secret)
{
	char *s;

	if (!v) {
		dg_strbuf_adds(out, "null");
		return;
	}
	if (secret) {
		dg_strbuf_add_json_str(out, DG_TMAP_MASK_TEXT);
		return;
	}
	s = cJSON_PrintUnformatted(v);
	dg_strbuf_adds(out, s ? s : "null");
	cJSON_free(s);
}

static void json_config(dg_strbuf *out, const dg_cfg_diff *d)
{
	dg_strbuf_addch(out, '[');
	for (size_t i = 0; i < d->nr; i++) {
		const dg_cfg_change *c = &d->items[i];
		dg_strbuf_adds(out, i ? ",{\"key\":" : "{\"key\":");
		dg_strbuf_add_json_str(out, c->config);
		dg_strbuf_adds(out, ",\"profile\":");
		dg_strbuf_add_json_str(out, c->profile);
		dg_strbuf_addf(out, ",\"status\":\"%s\",\"secret\":%s,\"from\":", c->status,
			       c->secret ? "true" : "false");
		json_value(out, c->before, c->secret);
		dg_strbuf_adds(out, ",\"to\":");
		if (c->secret && !c->compared)
			dg_strbuf_adds(out, "\"(resolved at push)\"");
		else
			json_value(out, c->after, c->secret);
		dg_strbuf_addch(out, '}');
	}
	dg_strbuf_addch(out, ']');
}

/* When and from what the plan was made, for the reports. */
static void json_origin(dg_strbuf *out, const dg_preview *pv)
{
	char date[32];
	dg_output_timestamp(date);
	dg_strbuf_addf(out, "\"createdAt\":\"%s\",\"dirgateVersion\":", date);
	dg_strbuf_add_json_str(out, DG_VERSION);
	dg_strbuf_adds(out, ",\"source\":{\"type\":");
	json_opt(out, pv ? pv->source_type : NULL);
	dg_strbuf_adds(out, ",\"detail\":");
	json_opt(out, pv ? pv->source_detail : NULL);
	dg_strbuf_addch(out, '}');
}

/* The preview's skipped entries by reason and its conflicts: what the
 * plan leaves out, which an administrator must see beside the changes. */
/* The data-quality issues by code: counts, the fix and one example.  A
 * plan is about changes and a directory can have an issue per user
 * (176,842 on the 88,421-user benchmark), which the plan file would carry
 * to push; 'dirgate preview' lists each. */
static void json_quality_codes(dg_strbuf *out, const dg_quality_list *q)
{
	size_t first[16], count[16], n = 0;
	for (size_t i = 0; i < q->nr; i++) {
		size_t k = 0;
		while (k < n && strcmp(q->items[first[k]].code, q->items[i].code))
			k++;
		if (k == n && n == 16)
			continue;   /* there are 9 MAP codes */
		if (k == n) {
			first[n] = i;
			count[n++] = 0;
		}
		count[k]++;
	}
	dg_strbuf_addf(out, "{\"errors\":%zu,\"warnings\":%zu,\"codes\":[",
		       dg_quality_count(q, DG_SEV_ERROR), dg_quality_count(q, DG_SEV_WARNING));
	for (size_t k = 0; k < n; k++) {
		const dg_quality_issue *x = &q->items[first[k]];
		dg_strbuf_addf(out, "%s{\"code\":\"%s\",\"severity\":\"%s\",\"count\":%zu,"
			       "\"fix\":", k ? "," : "", x->code, dg_severity_name(x->severity),
			       count[k]);
		dg_strbuf_add_json_str(out, x->fix);
		dg_strbuf_adds(out, ",\"example\":{\"userName\":");
		dg_strbuf_add_json_str(out, x->user_name);
		dg_strbuf_adds(out, ",\"message\":");
		dg_strbuf_add_json_str(out, x->message);
		dg_strbuf_adds(out, "}}");
	}
	dg_strbuf_adds(out, "]}");
}

static void json_preview_parts(dg_strbuf *out, const dg_preview *pv)
{
	size_t nskipped = pv ? pv->nskipped : 0, n;
	const char **labels = dg_xcalloc(nskipped ? nskipped : 1, sizeof(*labels));
	size_t *counts = dg_xcalloc(nskipped ? nskipped : 1, sizeof(*counts));

	n = pv ? dg_output_skip_reasons(pv, labels, counts) : 0;
	dg_strbuf_adds(out, ",\"skipped\":[");
	for (size_t i = 0; i < n; i++) {
		dg_strbuf_adds(out, i ? ",{\"reason\":" : "{\"reason\":");
		dg_strbuf_add_json_str(out, labels[i]);
		dg_strbuf_addf(out, ",\"count\":%zu}", counts[i]);
	}
	dg_strbuf_adds(out, "],\"conflicts\":[");
	for (size_t i = 0; pv && i < pv->nconflicts; i++) {
		const dg_conflict *c = &pv->conflicts[i];
		dg_strbuf_adds(out, i ? ",{\"reason\":" : "{\"reason\":");
		dg_strbuf_add_json_str(out, c->reason);
		dg_strbuf_adds(out, ",\"userName\":");
		dg_strbuf_add_json_str(out, c->user_name);
		dg_strbuf_adds(out, ",\"entries\":");
		dg_strbuf_add_json_strlist(out, &c->entries);
		dg_strbuf_addch(out, '}');
	}
	dg_strbuf_addch(out, ']');
	dg_strbuf_adds(out, ",\"quality\":");
	json_quality_codes(out, pv ? &pv->quality : &(dg_quality_list)DG_QUALITY_LIST_INIT);
	free(labels);
	free(counts);
}

static dg_plan_item *sorted_items(const dg_plan *plan)
{
	dg_plan_item *sorted = dg_xmalloc((plan->nr ? plan->nr : 1) * sizeof(*sorted));
	memcpy(sorted, plan->items, plan->nr * sizeof(*sorted));
	qsort(sorted, plan->nr, sizeof(*sorted), item_cmp);
	return sorted;
}

/* `sorted` NULL: the head only, for the reports (no users: they are
 * rendered from the plan itself, one at a time). */
static void plan_json(dg_strbuf *out, const dg_plan *plan, const dg_profile *p,
		      const dg_srv_state *st, const dg_plan_file_info *saved,
		      const dg_plan_item *sorted)
{
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD);
	if (saved)
		dg_strbuf_adds(out, "\"dirgatePlan\":1,");
	dg_strbuf_adds(out, "\"profile\":");
	dg_strbuf_add_json_str(out, p->name ? p->name : "");
	dg_strbuf_adds(out, ",\"target\":{\"url\":");
	json_opt(out, p->target.url);
	dg_strbuf_addf(out, ",\"product\":\"%s\",\"instanceId\":",
		       p->target.product == DG_PRODUCT_SPE ? "spe" : "server");
	json_opt(out, p->target.instance_id);
	dg_strbuf_addf(out, "},\"fingerprint\":\"%s\",", st->fingerprint);
	json_origin(out, plan->preview);
	dg_strbuf_adds(out, ",\"summary\":{");
	for (int a = 0; a < DG_ACT_COUNT; a++)
		dg_strbuf_addf(out, "\"%s\":%zu,", dg_action_name(a), plan->counts[a]);
	dg_strbuf_addf(out, "\"notInDirectory\":%zu,\"serverUsers\":%zu,"
		       "\"configChanges\":%zu,\"changesPending\":%s},\"users\":[",
		       plan->not_in_directory, plan->server_users,
		       dg_cfg_diff_count(&plan->config),
		       dg_plan_has_changes(plan) ? "true" : "false");
	for (size_t i = 0; sorted && i < plan->nr; i++) {
		if (i)
			dg_strbuf_addch(out, ',');
		json_user(out, &sorted[i]);
	}
	dg_strbuf_adds(out, "],\"config\":");
	json_config(out, &plan->config);
	json_preview_parts(out, plan->preview);
	dg_strbuf_adds(out, ",\"findings\":");
	dg_output_findings_json_array(out, &plan->findings);
	if (saved) {
		char *cfg = dg_json_print_exact(saved->config_after, 0);
		dg_strbuf_adds(out, ",\"profileFile\":");
		dg_strbuf_add_json_str(out, saved->profile_path);
		dg_strbuf_adds(out, ",\"configAfter\":");
		dg_strbuf_adds(out, cfg ? cfg : "null");
		cJSON_free(cfg);
	}
	dg_strbuf_adds(out, "}\n");
}

void dg_plan_json(dg_strbuf *out, const dg_plan *plan, const dg_profile *p,
		  const dg_srv_state *st, const dg_plan_file_info *saved)
{
	dg_plan_item *sorted = sorted_items(plan);
	plan_json(out, plan, p, st, saved, sorted);
	free(sorted);
}

/* ---- reports from the plan's JSON (plan and show PLAN alike) ---- */

static const char *doc_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A string for text: "?" when the member is missing or not a string. */
static const char *doc_s(const cJSON *obj, const char *key)
{
	const char *s = doc_str(obj, key);
	return s ? s : "?";
}

static size_t doc_count(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (size_t)v->valuedouble : 0;
}

static const cJSON *doc_get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* The findings array back into findings, for the shared renderers. */
static void doc_findings(const cJSON *doc, dg_findings *f)
{
	const cJSON *fd;
	cJSON_ArrayForEach(fd, doc_get(doc, "findings")) {
		const char *sev = doc_str(fd, "severity"), *hint = doc_str(fd, "hint");
		dg_severity level = DG_SEV_INFO;
		dg_finding *x;
		if (sev && !strcmp(sev, "error"))
			level = DG_SEV_ERROR;
		else if (sev && !strcmp(sev, "warning"))
			level = DG_SEV_WARNING;
		x = dg_findings_restore(f, doc_str(fd, "code"), level, doc_str(fd, "path"),
					doc_str(fd, "message"));
		if (hint)
			dg_finding_hint(x, "%s", hint);
		if (doc_str(fd, "file"))
			dg_finding_locate(x, doc_str(fd, "file"), (int)doc_count(fd, "line"),
					  (int)doc_count(fd, "column"));
	}
}

static int in_list(const cJSON *list, const char *s)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, list)
		if (cJSON_IsString(v) && !strcasecmp(v->valuestring, s))
			return 1;
	return 0;
}

static void plural(dg_strbuf *out, size_t n, const char *one, const char *many)
{
	dg_strbuf_addf(out, "%zu %s", n, n == 1 ? one : many);
}

/* "1 to create, ... 1 rename ...; 1 MailStore user not in the directory is kept" */
static void doc_summary(dg_strbuf *out, const cJSON *sum)
{
	size_t kept = doc_count(sum, "notInDirectory");
	dg_strbuf_addf(out, "%zu to create, %zu to update, ", doc_count(sum, "create"),
		       doc_count(sum, "update"));
	plural(out, doc_count(sum, "rename"), "rename", "renames");
	dg_strbuf_addf(out, ", %zu to delete, %zu unchanged; ", doc_count(sum, "delete"),
		       doc_count(sum, "unchanged"));
	plural(out, kept, "MailStore user", "MailStore users");
	dg_strbuf_adds(out, kept == 1 ? " not in the directory is kept"
				      : " not in the directory are kept");
}

static void quoted(dg_strbuf *out, const char *s)
{
	if (s)
		dg_strbuf_addf(out, "\"%s\"", s);
	else
		dg_strbuf_adds(out, "(none)");
}

/* An update as a diff: `indent` before each line, `sep` after it. */
static void doc_changes(dg_strbuf *out, const cJSON *changes, const char *indent,
			const char *sep)
{
	static const char *const fields[][2] = { { "fullName", "full name" },
						  { "distinguishedName", "distinguished name" } };
	const cJSON *mails = doc_get(changes, "emailAddresses"), *v;
	int moved = 1;
	for (size_t k = 0; k < 2; k++) {
		const cJSON *c = doc_get(changes, fields[k][0]);
		if (!c)
			continue;
		dg_strbuf_addf(out, "%s%s: ", indent, fields[k][1]);
		quoted(out, doc_str(c, "from"));
		dg_strbuf_adds(out, " \u2192 ");
		quoted(out, doc_str(c, "to"));
		dg_strbuf_adds(out, sep);
	}
	if (!mails)
		return;
	cJSON_ArrayForEach(v, doc_get(mails, "to"))
		if (cJSON_IsString(v) && !in_list(doc_get(mails, "from"), v->valuestring)) {
			dg_strbuf_addf(out, "%s+ e-mail address %s%s", indent, v->valuestring, sep);
			moved = 0;
		}
	cJSON_ArrayForEach(v, doc_get(mails, "from"))
		if (cJSON_IsString(v) && !in_list(doc_get(mails, "to"), v->valuestring)) {
			dg_strbuf_addf(out, "%s- e-mail address %s%s", indent, v->valuestring, sep);
			moved = 0;
		}
	if (moved)
		dg_strbuf_addf(out, "%se-mail addresses: the same, in another order "
			       "(the first is the primary address)%s", indent, sep);
}

static const char *doc_user_name(const cJSON *u)
{
	return doc_str(u, "userName") ? doc_str(u, "userName") : "?";
}

/* The users a report lists: a saved plan's array, or - for a plan just
 * made - its items as JSON one at a time, so a 100,000-user plan is never
 * held as a JSON tree. */
typedef struct plan_users {
	const cJSON *next;            /* saved plan: the next user */
	const dg_plan_item *items;    /* plan: sorted items */
	size_t i, n;
	cJSON *cur;
	dg_strbuf sb;
} plan_users;

static const cJSON *users_next(plan_users *u)
{
	const cJSON *v = u->next;
	if (!u->items) {
		u->next = v ? v->next : NULL;
		return v;
	}
	cJSON_Delete(u->cur);
	u->cur = NULL;
	if (u->i == u->n)
		return NULL;
	dg_strbuf_reset(&u->sb);
	json_user(&u->sb, &u->items[u->i++]);
	u->cur = cJSON_ParseWithLength(u->sb.buf, u->sb.len);
	return u->cur;
}

static void users_release(plan_users *u)
{
	cJSON_Delete(u->cur);
	dg_strbuf_release(&u->sb);
}

/* A user's action; DG_ACT_COUNT for one this dirgate does not know (a
 * plan edited by hand): shown as "unknown", never skipped. */
static dg_action doc_action(const cJSON *u)
{
	const char *action = doc_str(u, "action");
	int a = 0;
	while (a < DG_ACT_COUNT && (!action || strcmp(action, dg_action_name(a))))
		a++;
	return a;
}

static void doc_text_user(dg_strbuf *out, const cJSON *u)
{
	static const char signs[] = "+~>- ?";
	dg_action a = doc_action(u);
	if (a == DG_ACT_UNCHANGED)
		return;
	dg_strbuf_addf(out, "  %c %-9s %s", signs[a], a == DG_ACT_COUNT ? "unknown"
			: dg_action_name(a), doc_user_name(u));
	if (a == DG_ACT_RENAME)
		dg_strbuf_addf(out, " (now '%s', matched by %s: would become a second "
			       "user with an empty archive)", doc_s(u, "from"), doc_s(u, "match"));
	dg_strbuf_addch(out, '\n');
	if (a == DG_ACT_UPDATE)
		doc_changes(out, doc_get(u, "changes"), "      ", "\n");
}

static void doc_text_conflicts(dg_strbuf *out, const cJSON *conflicts)
{
	const cJSON *c, *e;
	if (!cJSON_GetArraySize(conflicts))
		return;
	dg_strbuf_addf(out, "\nconflicts in the directory (%d; see 'dirgate preview'):\n",
		       cJSON_GetArraySize(conflicts));
	cJSON_ArrayForEach(c, conflicts) {
		dg_strbuf_addf(out, "  %s  %s\n", doc_s(c, "reason"), doc_user_name(c));
		cJSON_ArrayForEach(e, doc_get(c, "entries"))
			if (cJSON_IsString(e))
				dg_strbuf_addf(out, "    %s\n", e->valuestring);
	}
}

/* "Data quality (0 errors, 2 warnings; ...)" and per code: the count,
 * an example, the fix. */
static void doc_quality_title(dg_strbuf *out, const cJSON *q)
{
	dg_strbuf_adds(out, "Data quality (");
	plural(out, doc_count(q, "errors"), "error", "errors");
	dg_strbuf_adds(out, ", ");
	plural(out, doc_count(q, "warnings"), "warning", "warnings");
	dg_strbuf_adds(out, "; 'dirgate preview' lists each)");
}

static void doc_quality_code(dg_strbuf *out, const cJSON *c)
{
	const cJSON *ex = doc_get(c, "example");
	char *name = dg_quality_visible(doc_s(ex, "userName"));
	dg_strbuf_addf(out, "%s %s (", doc_s(c, "severity"), doc_s(c, "code"));
	plural(out, doc_count(c, "count"), "issue", "issues");
	dg_strbuf_addf(out, "), e.g. %s: %s\n  fix: %s\n", name, doc_s(ex, "message"),
		       doc_s(c, "fix"));
	free(name);
}

static void doc_text_quality(dg_strbuf *out, const cJSON *q)
{
	const cJSON *c;
	if (!doc_count(q, "errors") && !doc_count(q, "warnings"))
		return;
	dg_strbuf_addch(out, '\n');
	doc_quality_title(out, q);
	dg_strbuf_addch(out, '\n');
	cJSON_ArrayForEach(c, doc_get(q, "codes"))
		doc_quality_code(out, c);
}

static void doc_value(dg_strbuf *out, const cJSON *v)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;
	dg_strbuf_adds(out, s ? s : "null");
	cJSON_free(s);
}

static void doc_text_config(dg_strbuf *out, const cJSON *config)
{
	const cJSON *c;
	size_t n = 0;
	dg_strbuf_adds(out, "\ndirectory-services configuration:\n");
	cJSON_ArrayForEach(c, config) {
		const cJSON *to = doc_get(c, "to");
		dg_strbuf_addf(out, "  ~ %s (%s, %s): ", doc_s(c, "key"), doc_s(c, "profile"),
			       doc_s(c, "status"));
		doc_value(out, doc_get(c, "from"));
		dg_strbuf_adds(out, " -> ");
		if (cJSON_IsTrue(doc_get(c, "secret")) && cJSON_IsString(to) &&
		    !strcmp(to->valuestring, "(resolved at push)"))
			dg_strbuf_adds(out, "(secret, resolved at push)");
		else
			doc_value(out, to);
		dg_strbuf_addch(out, '\n');
		n++;
	}
	dg_strbuf_adds(out, "  ");
	plural(out, n, "key", "keys");
	dg_strbuf_adds(out, " to change\n");
}

static void report_text(dg_strbuf *out, const cJSON *doc, plan_users *users, int color)
{
	const cJSON *u;
	dg_findings f = DG_FINDINGS_INIT;
	dg_strbuf_addf(out, "plan for %s against %s\n\nusers (what synchronisation would do):\n",
		       doc_str(doc, "profile") ? doc_str(doc, "profile") : "?",
		       doc_str(doc_get(doc, "target"), "url") ? doc_str(doc_get(doc, "target"), "url")
							      : "?");
	while ((u = users_next(users)))
		doc_text_user(out, u);
	dg_strbuf_adds(out, "  ");
	doc_summary(out, doc_get(doc, "summary"));
	dg_strbuf_addch(out, '\n');
	doc_text_conflicts(out, doc_get(doc, "conflicts"));
	doc_text_quality(out, doc_get(doc, "quality"));
	doc_text_config(out, doc_get(doc, "config"));
	doc_findings(doc, &f);
	if (f.nr) {
		dg_strbuf_addch(out, '\n');
		dg_output_findings_text(out, &f, color);
	}
	dg_findings_clear(&f);
}

static void doc_html_facts(dg_strbuf *out, const cJSON *doc)
{
	static const char *const labels[] = { "Date", "dirgate version", "Profile",
					      "MailStore server", "Directory source" };
	const cJSON *src = doc_get(doc, "source");
	dg_strbuf source = DG_STRBUF_INIT;
	const char *type = doc_str(src, "type");
	dg_strbuf_addf(&source, "%s %s", type && !strcmp(type, "snapshot") ? "snapshot"
									  : "live directory",
		       doc_str(src, "detail") ? doc_str(src, "detail") : "");
	const char *values[] = { doc_str(doc, "createdAt"), doc_str(doc, "dirgateVersion"),
				 doc_str(doc, "profile"), doc_str(doc_get(doc, "target"), "url"),
				 source.buf };
	dg_output_html_facts(out, labels, values, 5);
	dg_strbuf_release(&source);
}

static void doc_html_skipped(dg_strbuf *out, const cJSON *skipped)
{
	size_t n = (size_t)cJSON_GetArraySize(skipped), i = 0;
	const char **labels;
	size_t *counts;
	const cJSON *s;
	if (!n)
		return;
	labels = dg_xcalloc(n, sizeof(*labels));
	counts = dg_xcalloc(n, sizeof(*counts));
	cJSON_ArrayForEach(s, skipped) {
		labels[i] = doc_str(s, "reason") ? doc_str(s, "reason") : "?";
		counts[i++] = doc_count(s, "count");
	}
	dg_strbuf_adds(out, "<h2>Skipped directory entries by reason</h2>\n");
	dg_output_html_bars(out, "skipped-chart", labels, counts, n);
	free(labels);
	free(counts);
}

static void doc_html_conflicts(dg_strbuf *out, const cJSON *conflicts)
{
	const cJSON *c, *e;
	if (!cJSON_GetArraySize(conflicts))
		return;
	dg_strbuf_adds(out, "<h2>Conflicts in the directory</h2><ul id=\"conflicts\">\n");
	cJSON_ArrayForEach(c, conflicts) {
		dg_strbuf_adds(out, "<li>");
		dg_output_html_text(out, doc_str(c, "reason"));
		dg_strbuf_adds(out, ": ");
		dg_output_html_text(out, doc_user_name(c));
		const char *sep = " — ";
		cJSON_ArrayForEach(e, doc_get(c, "entries")) {
			dg_strbuf_adds(out, sep);
			dg_output_html_text(out, cJSON_IsString(e) ? e->valuestring : "");
			sep = "; ";
		}
		dg_strbuf_adds(out, "</li>\n");
	}
	dg_strbuf_adds(out, "</ul>\n");
}

/* The conflicts a plan user is in, by name or by one of its addresses. */
static void doc_user_conflicts(dg_strbuf *out, const cJSON *u, const cJSON *conflicts)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, conflicts) {
		const char *name = doc_str(c, "userName");
		if (!name || (strcasecmp(name, doc_user_name(u)) &&
			      !in_list(doc_get(u, "emailAddresses"), name)))
			continue;
		dg_strbuf_adds(out, "<span class=\"badge\">conflict: ");
		dg_output_html_text(out, doc_str(c, "reason"));
		dg_strbuf_adds(out, "</span> ");
	}
}

static void doc_html_users(dg_strbuf *out, const cJSON *doc, plan_users *users)
{
	static const char *const head[] = { "User name", "Action", "Changes", "Notes" };
	const cJSON *u, *conflicts = doc_get(doc, "conflicts");
	dg_strbuf cell = DG_STRBUF_INIT, notes = DG_STRBUF_INIT;
	dg_strbuf_adds(out, "<h2>Users</h2><table id=\"users\" class=\"dg-sortable\"><thead>\n");
	dg_output_html_row(out, head, 4, "th");
	dg_strbuf_adds(out, "</thead><tbody>\n");
	while ((u = users_next(users))) {
		dg_action a = doc_action(u);
		const char *action = a == DG_ACT_COUNT ? "unknown" : dg_action_name(a);
		dg_strbuf_reset(&cell);
		dg_strbuf_reset(&notes);
		if (a == DG_ACT_RENAME)
			dg_strbuf_addf(&cell, "now '%s', matched by %s: would become a second user "
				       "with an empty archive", doc_s(u, "from"), doc_s(u, "match"));
		else if (a == DG_ACT_UPDATE)
			doc_changes(&cell, doc_get(u, "changes"), "", "\n");
		doc_user_conflicts(&notes, u, conflicts);
		dg_strbuf_addf(out, "<tr class=\"%s%s\"><td>", action, notes.len ? " conflict" : "");
		dg_output_html_text(out, doc_user_name(u));
		dg_strbuf_adds(out, "</td><td>");
		dg_output_html_text(out, action);
		dg_strbuf_adds(out, "</td><td><pre>");
		dg_output_html_text(out, cell.buf);
		dg_strbuf_addf(out, "</pre></td><td>%s</td></tr>\n", notes.len ? notes.buf : "");
	}
	dg_strbuf_adds(out, "</tbody></table>\n");
	dg_strbuf_release(&cell);
	dg_strbuf_release(&notes);
}

static void doc_html_config(dg_strbuf *out, const cJSON *config)
{
	static const char *const head[] = { "Key", "Profile", "Status", "Now", "After push" };
	const cJSON *c;
	dg_strbuf from = DG_STRBUF_INIT, to = DG_STRBUF_INIT;
	dg_strbuf_adds(out, "<h2>Directory-services configuration</h2>"
			    "<table id=\"config\" class=\"dg-sortable\"><thead>\n");
	dg_output_html_row(out, head, 5, "th");
	dg_strbuf_adds(out, "</thead><tbody>\n");
	cJSON_ArrayForEach(c, config) {
		dg_strbuf_reset(&from);
		dg_strbuf_reset(&to);
		doc_value(&from, doc_get(c, "from"));
		doc_value(&to, doc_get(c, "to"));
		const char *cells[] = { doc_str(c, "key"), doc_str(c, "profile"),
					doc_str(c, "status"), from.buf, to.buf };
		for (int k = 0; k < 5; k++)
			cells[k] = cells[k] ? cells[k] : "";
		dg_output_html_row(out, cells, 5, "td");
	}
	dg_strbuf_adds(out, "</tbody></table>\n");
	dg_strbuf_release(&from);
	dg_strbuf_release(&to);
}

static void doc_html_quality(dg_strbuf *out, const cJSON *q)
{
	const cJSON *c;
	dg_strbuf sb = DG_STRBUF_INIT;
	if (!doc_count(q, "errors") && !doc_count(q, "warnings"))
		return;
	doc_quality_title(&sb, q);
	dg_strbuf_adds(out, "<h2>");
	dg_output_html_text(out, sb.buf);
	dg_strbuf_adds(out, "</h2><ul id=\"quality\">\n");
	cJSON_ArrayForEach(c, doc_get(q, "codes")) {
		dg_strbuf_reset(&sb);
		doc_quality_code(&sb, c);
		dg_strbuf_adds(out, "<li><pre>");
		dg_output_html_text(out, sb.buf);
		dg_strbuf_adds(out, "</pre></li>\n");
	}
	dg_strbuf_adds(out, "</ul>\n");
	dg_strbuf_release(&sb);
}

static void report_html(dg_strbuf *out, const cJSON *doc, plan_users *users)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_strbuf sum = DG_STRBUF_INIT;
	doc_findings(doc, &f);
	doc_summary(&sum, doc_get(doc, "summary"));
	dg_output_html_begin(out, "plan", "Plan for",
			     doc_str(doc, "profile") ? doc_str(doc, "profile") : "?");
	dg_output_html_incomplete(out, &f);
	doc_html_facts(out, doc);
	dg_strbuf_adds(out, "<p id=\"summary\">");
	dg_output_html_text(out, sum.buf);
	dg_strbuf_adds(out, ".</p>\n");
	doc_html_skipped(out, doc_get(doc, "skipped"));
	dg_output_html_findings(out, &f);
	doc_html_quality(out, doc_get(doc, "quality"));
	doc_html_conflicts(out, doc_get(doc, "conflicts"));
	doc_html_users(out, doc, users);
	doc_html_config(out, doc_get(doc, "config"));
	dg_strbuf_adds(out, "</body></html>\n");
	dg_findings_clear(&f);
	dg_strbuf_release(&sum);
}

/* A saved plan: everything from its JSON. */
static void doc_report(dg_strbuf *out, const cJSON *doc, int html, int color)
{
	plan_users users = { .next = doc_get(doc, "users") ? doc_get(doc, "users")->child : NULL,
			     .sb = DG_STRBUF_INIT };
	if (html)
		report_html(out, doc, &users);
	else
		report_text(out, doc, &users, color);
	users_release(&users);
}

void dg_plan_doc_text(dg_strbuf *out, const cJSON *doc, int color)
{
	doc_report(out, doc, 0, color);
}

void dg_plan_doc_html(dg_strbuf *out, const cJSON *doc)
{
	doc_report(out, doc, 1, 0);
}

/* A plan just made: the head as JSON, the users one at a time. */
static void plan_report(dg_strbuf *out, const dg_plan *plan, const dg_profile *p,
			const dg_srv_state *st, int html, int color)
{
	dg_plan_item *sorted = sorted_items(plan);
	plan_users users = { .items = sorted, .n = plan->nr, .sb = DG_STRBUF_INIT };
	dg_strbuf json = DG_STRBUF_INIT;
	cJSON *head;
	plan_json(&json, plan, p, st, NULL, NULL);
	head = cJSON_ParseWithLength(json.buf, json.len);
	dg_strbuf_release(&json);
	if (html)
		report_html(out, head, &users);
	else
		report_text(out, head, &users, color);
	users_release(&users);
	cJSON_Delete(head);
	free(sorted);
}

void dg_plan_text(dg_strbuf *out, const dg_plan *plan, const dg_profile *p, int color)
{
	plan_report(out, plan, p, &(dg_srv_state){ .fingerprint = "" }, 0, color);
}

void dg_plan_html(dg_strbuf *out, const dg_plan *plan, const dg_profile *p)
{
	plan_report(out, plan, p, &(dg_srv_state){ .fingerprint = "" }, 1, 0);
}

void dg_plan_renames(dg_strbuf *out, const dg_plan *plan)
{
	dg_strbuf_adds(out, "# MailStore user renames: old=new, one per line.\n"
		       "# Written by 'dirgate plan --renames'; edit, then apply with "
		       "'dirgate migrate FILE'.\n");
	for (size_t i = 0; i < plan->nr; i++)
		if (plan->items[i].action == DG_ACT_RENAME)
			dg_strbuf_addf(out, "%s=%s\n", plan->items[i].srv->user_name,
				       plan->items[i].dir->user_name);
}

/* ---- saved plans ------------------------------------------------------------------------ */

int dg_is_plan_file(const char *path)
{
	dg_error err;
	size_t len;
	char *text = dg_read_file(path, 0, NULL, &len, &err);
	cJSON *root = text ? cJSON_ParseWithLength(text, len) : NULL;
	int is = cJSON_GetObjectItemCaseSensitive(root, "dirgatePlan") != NULL;

	cJSON_Delete(root);
	free(text);
	return is;
}

dg_code dg_saved_plan_load(const char *path, dg_saved_plan *sp, dg_error *err)
{
	size_t len;
	char *text = dg_read_file(path, 0, NULL, &len, err);
	const cJSON *v;

	memset(sp, 0, sizeof(*sp));
	if (!text)
		return err->code;
	sp->root = dg_json_parse_exact(text, len, NULL);
	free(text);
	if (!sp->root)
		return dg_error_set(err, DG_E_PARSE, "%s is not valid JSON", path);
	v = cJSON_GetObjectItemCaseSensitive(sp->root, "dirgatePlan");
	if (!cJSON_IsNumber(v) || v->valueint != 1)
		return dg_error_set(err, DG_E_INVALID, "%s: not a dirgate plan (no "
				    "\"dirgatePlan\": 1); write one with 'dirgate plan --out'", path);
	v = cJSON_GetObjectItemCaseSensitive(sp->root, "profileFile");
	if (!cJSON_IsString(v))
		return dg_error_set(err, DG_E_INVALID, "%s: /profileFile is missing", path);
	sp->profile_path = dg_xstrdup(v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(sp->root, "fingerprint");
	if (!cJSON_IsString(v) || strlen(v->valuestring) != 64)
		return dg_error_set(err, DG_E_INVALID, "%s: /fingerprint is missing", path);
	sp->fingerprint = dg_xstrdup(v->valuestring);
	sp->config_after = cJSON_GetObjectItemCaseSensitive(sp->root, "configAfter");
	if (!cJSON_IsObject(sp->config_after))
		return dg_error_set(err, DG_E_INVALID, "%s: /configAfter is not an object", path);
	v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(sp->root, "summary"), "configChanges");
	sp->config_changes = 1;   /* not said: count it as a change */
	if (v && !json_count(v, &sp->config_changes))
		return dg_error_set(err, DG_E_INVALID, "%s: /summary/configChanges is not a count",
				    path);
	return DG_OK;
}

void dg_saved_plan_release(dg_saved_plan *sp)
{
	free(sp->profile_path);
	free(sp->fingerprint);
	cJSON_Delete(sp->root);
	memset(sp, 0, sizeof(*sp));
}

/* The profile's secret at `ptr`, resolved into place of *slot's value. */
static dg_code fill_one(cJSON *cfg, const char *config_ptr, const char *ptr,
			const dg_profile *p, dg_error *err)
{
	const dg_secret_ref *ref = dg_profile_secret_at(p, ptr);
	char *secret = NULL;

	if (!ref)
		return dg_error_set(err, DG_E_INVALID, "the plan needs secret %s but the "
				    "profile has none there", ptr);
	if (dg_secret_resolve(ref, &secret, err))
		return err->code;
	dg_json_pointer_set(cfg, config_ptr, cJSON_CreateString(secret));
	dg_secret_free(secret);
	return DG_OK;
}

/* The pointer (into out) of the first placeholder left in node, or 0. */
static int find_placeholder(const cJSON *node, dg_strbuf *out)
{
	const cJSON *child;
	size_t len = out->len;
	int i = 0;

	if (cJSON_IsObject(node) && cJSON_GetObjectItemCaseSensitive(node, "$secret"))
		return 1;
	cJSON_ArrayForEach(child, node) {
		dg_strbuf_addch(out, '/');
		if (child->string) {
			for (const char *c = child->string; *c; c++)
				dg_strbuf_adds(out, *c == '~' ? "~0" : *c == '/' ? "~1"
							: (char[2]){ *c, 0 });
		} else {
			dg_strbuf_addf(out, "%d", i);
		}
		if (find_placeholder(child, out))
			return 1;
		dg_strbuf_setlen(out, len);
		i++;
	}
	return 0;
}

dg_code dg_plan_fill_secrets(cJSON *cfg, const dg_tmap *map, const dg_profile *p,
			     dg_error *err)
{
	dg_strbuf where = DG_STRBUF_INIT;
	dg_code rc = DG_OK;

	for (size_t i = 0; i < map->nr && !rc; i++) {
		const dg_tmap_entry *e = &map->items[i];
		const cJSON *ph = cJSON_GetObjectItemCaseSensitive(
			dg_json_pointer_get(cfg, e->config), "$secret");
		if (e->secret && cJSON_IsString(ph) && !strcmp(ph->valuestring, e->profile))
			rc = fill_one(cfg, e->config, e->profile, p, err);
	}
	if (!rc && find_placeholder(cfg, &where)) {
		dg_code_record(DGF_API016);
		rc = dg_error_set(err, DG_E_INVALID, "API016: the plan puts a secret "
				  "placeholder at %s, where the target map puts no such "
				  "secret; nothing was changed: make a new plan with "
				  "'dirgate plan --out'", where.len ? where.buf : "/");
	}
	dg_strbuf_release(&where);
	return rc;
}

/* ---- plan digests ------------------------------------------------------------------------ */

#define DIGEST_PREFIX "hmac-sha256:"

/* HMAC-SHA-256 (key: the profile file) over root without "digest", hex. */
static dg_code plan_digest(const cJSON *root, const char *profile_file, char hex[65],
			   dg_error *err)
{
	cJSON *copy = cJSON_Duplicate(root, 1);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t klen = 0;
	char *key = dg_read_file(profile_file, 0, NULL, &klen, err), *text;

	if (!key) {
		cJSON_Delete(copy);
		return err->code;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "digest");
	text = dg_json_print_exact(copy, 0);
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)text, strlen(text), mac,
	     &maclen);
	for (unsigned int i = 0; i < maclen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	explicit_bzero(key, klen);   /* the profile may hold literal secrets */
	free(key);
	cJSON_free(text);
	cJSON_Delete(copy);
	return DG_OK;
}

dg_code dg_plan_seal(dg_strbuf *sb, const char *profile_file, dg_error *err)
{
	cJSON *root = dg_json_parse_exact(sb->buf, sb->len, NULL);
	char hex[65] = "", *text;

	if (!root)
		return dg_error_set(err, DG_E_INTERNAL, "the plan is not valid JSON");
	if (plan_digest(root, profile_file, hex, err)) {
		cJSON_Delete(root);
		return err->code;
	}
	text = dg_xasprintf(DIGEST_PREFIX "%s", hex);
	cJSON_AddItemToObject(root, "digest", cJSON_CreateString(text));
	free(text);
	text = dg_json_print_exact(root, 1);
	dg_strbuf_reset(sb);
	dg_strbuf_adds(sb, text);
	dg_strbuf_addch(sb, '\n');
	cJSON_free(text);
	cJSON_Delete(root);
	return DG_OK;
}

dg_code dg_saved_plan_verify(const dg_saved_plan *sp, const char *path, dg_error *err)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(sp->root, "digest");
	char hex[65] = "";

	if (!cJSON_IsString(d) || strncmp(d->valuestring, DIGEST_PREFIX, strlen(DIGEST_PREFIX))) {
		dg_code_record(DGF_API015);
		return dg_error_set(err, DG_E_INVALID, "API015: %s has no digest (an older "
				    "dirgate or an edit removed it); nothing was changed: make "
				    "a new plan with 'dirgate plan %s --out %s'", path,
				    sp->profile_path, path);
	}
	if (plan_digest(sp->root, sp->profile_path, hex, err))
		return err->code;
	if (strlen(d->valuestring) != strlen(DIGEST_PREFIX) + 64 ||
	    CRYPTO_memcmp(hex, d->valuestring + strlen(DIGEST_PREFIX), 64)) {
		dg_code_record(DGF_API015);
		return dg_error_set(err, DG_E_INVALID, "API015: %s does not match its digest: "
				    "the plan was edited, or its profile %s changed since the "
				    "plan was made; nothing was changed: make a new plan with "
				    "'dirgate plan %s --out %s'", path, sp->profile_path,
				    sp->profile_path, path);
	}
	return DG_OK;
}

/* ---- rename files -------------------------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

dg_code dg_renames_load(const char *path, dg_rename_list *out, dg_error *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *eq, *s;
	size_t cap = 0;
	int lineno = 0;
	dg_code rc = DG_OK;

	memset(out, 0, sizeof(*out));
	if (!fp)
		return dg_error_set(err, DG_E_IO, "cannot read %s: %s", path, strerror(errno));
	while (!rc && getline(&line, &cap, fp) >= 0) {
		dg_rename *r;
		lineno++;
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq || eq == s || !*trim(eq + 1)) {
			rc = dg_error_set(err, DG_E_PARSE, "%s:%d: expected old=new, got '%.80s'",
					  path, lineno, s);
			break;
		}
		*eq = '\0';
		if (!*trim(s)) {   /* "\r=x": nothing but blanks before the '=' */
			rc = dg_error_set(err, DG_E_PARSE, "%s:%d: expected old=new, the old "
					  "name is empty", path, lineno);
			break;
		}
		DG_ALLOC_GROW(out->items, out->nr + 1, out->alloc);
		r = &out->items[out->nr++];
		r->from = dg_xstrdup(trim(s));
		r->to = dg_xstrdup(trim(eq + 1));
		r->line = lineno;
		for (size_t i = 0; i + 1 < out->nr; i++)
			if (!strcasecmp(out->items[i].from, r->from) ||
			    !strcasecmp(out->items[i].to, r->to))
				rc = dg_error_set(err, DG_E_INVALID, "%s:%d: '%s' already appears "
						  "on line %d", path, lineno,
						  !strcasecmp(out->items[i].from, r->from) ? r->from
											   : r->to,
						  out->items[i].line);
	}
	free(line);
	fclose(fp);
	if (rc)
		dg_renames_release(out);
	return rc;
}

void dg_renames_release(dg_rename_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		free(l->items[i].from);
		free(l->items[i].to);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

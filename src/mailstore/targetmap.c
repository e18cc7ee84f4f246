/* The target map: see targetmap.h. */
#include "targetmap.h"

#include "../core/secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* targetmap_data.c, generated from schemas/mailstore/directory-services.json */
extern const char dg_targetmap_json[];
extern const size_t dg_targetmap_json_len;

/* ---- JSON pointers -------------------------------------------------------- */

/* The next reference token of `*ptr` (after its '/'), unescaped. */
static char *next_token(const char **ptr)
{
	const char *p = *ptr + 1, *end = strchr(p, '/');
	dg_strbuf sb = DG_STRBUF_INIT;
	size_t n = end ? (size_t)(end - p) : strlen(p);

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
			dg_strbuf_addch(&sb, p[i + 1] == '0' ? '~' : '/');
			i++;
		} else {
			dg_strbuf_addch(&sb, p[i]);
		}
	}
	*ptr = p + n;
	return dg_strbuf_detach(&sb);
}

cJSON *dg_json_pointer_get(const cJSON *root, const char *ptr)
{
	const cJSON *cur = root;

	while (cur && *ptr == '/') {
		char *tok = next_token(&ptr);
		if (cJSON_IsArray(cur)) {
			char *end;
			long i = strtol(tok, &end, 10);
			cur = *tok && !*end && i >= 0 ? cJSON_GetArrayItem(cur, (int)i) : NULL;
		} else {
			cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, tok) : NULL;
		}
		free(tok);
	}
	return *ptr ? NULL : (cJSON *)cur;
}

int dg_json_pointer_set(cJSON *root, const char *ptr, cJSON *value)
{
	cJSON *cur = root;

	while (*ptr == '/') {
		char *tok = next_token(&ptr);
		cJSON *next;
		if (!cJSON_IsObject(cur)) {
			free(tok);
			cJSON_Delete(value);
			return -1;
		}
		next = cJSON_GetObjectItemCaseSensitive(cur, tok);
		if (!*ptr) {
			if (next)
				cJSON_ReplaceItemInObjectCaseSensitive(cur, tok, value);
			else
				cJSON_AddItemToObject(cur, tok, value);
			free(tok);
			return 0;
		}
		if (!next)
			next = cJSON_AddObjectToObject(cur, tok);
		free(tok);
		cur = next;
	}
	cJSON_Delete(value);
	return -1;
}

/* ---- loading ------------------------------------------------------------------ */

static dg_code entry_from_json(dg_tmap_entry *e, const cJSON *j, size_t i, const char *name,
			       dg_error *err)
{
	const cJSON *prof = cJSON_GetObjectItemCaseSensitive(j, "profile");
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
	const cJSON *t;

	memset(e, 0, sizeof(*e));
	if (!cJSON_IsString(prof) || prof->valuestring[0] != '/' || !cJSON_IsString(cfg) ||
	    cfg->valuestring[0] != '/')
		return dg_error_set(err, DG_E_INVALID, "%s: /keys/%zu needs \"profile\" and "
				    "\"config\" JSON pointers starting with '/'", name, i);
	if (!cJSON_IsString(st) || (strcmp(st->valuestring, "documented") &&
				    strcmp(st->valuestring, "assumed")))
		return dg_error_set(err, DG_E_INVALID, "%s: /keys/%zu/status must be "
				    "\"documented\" or \"assumed\"", name, i);
	e->profile = dg_xstrdup(prof->valuestring);
	e->config = dg_xstrdup(cfg->valuestring);
	e->status = dg_xstrdup(st->valuestring);
	e->secret = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "secret"));
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(j, "types"))
		if (cJSON_IsString(t))
			dg_strlist_push(&e->types, t->valuestring);
	t = cJSON_GetObjectItemCaseSensitive(j, "values");
	if (cJSON_IsObject(t))
		e->values = cJSON_Duplicate(t, 1);
	return DG_OK;
}

dg_code dg_tmap_parse(dg_tmap *map, const char *text, size_t len, const char *name,
		      dg_error *err)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *keys, *k;
	size_t i = 0;
	dg_code rc = DG_OK;

	memset(map, 0, sizeof(*map));
	if (!root)
		return dg_error_set(err, DG_E_PARSE, "%s is not valid JSON", name);
	keys = cJSON_GetObjectItemCaseSensitive(root, "keys");
	if (!cJSON_IsArray(keys))
		rc = dg_error_set(err, DG_E_INVALID, "%s: \"keys\" must be an array", name);
	cJSON_ArrayForEach(k, keys) {
		if (rc)
			break;
		DG_ALLOC_GROW(map->items, map->nr + 1, map->alloc);
		rc = entry_from_json(&map->items[map->nr], k, i++, name, err);
		map->nr++;
	}
	cJSON_Delete(root);
	if (rc)
		dg_tmap_release(map);
	return rc;
}

dg_code dg_tmap_load_default(dg_tmap *map, dg_error *err)
{
	return dg_tmap_parse(map, dg_targetmap_json, dg_targetmap_json_len,
			     "the built-in target map", err);
}

void dg_tmap_release(dg_tmap *map)
{
	for (size_t i = 0; i < map->nr; i++) {
		dg_tmap_entry *e = &map->items[i];
		free(e->profile);
		free(e->config);
		free(e->status);
		dg_strlist_clear(&e->types);
		cJSON_Delete(e->values);
	}
	free(map->items);
	memset(map, 0, sizeof(*map));
}

/* ---- applying ------------------------------------------------------------------- */

void dg_cfg_diff_release(dg_cfg_diff *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		free(d->items[i].config);
		free(d->items[i].profile);
		cJSON_Delete(d->items[i].before);
		dg_json_wipe_delete(d->items[i].after);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

size_t dg_cfg_diff_count(const dg_cfg_diff *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nr; i++)
		n += !d->items[i].secret || d->items[i].compared;
	return n;
}

static int applies(const dg_tmap_entry *e, const dg_profile *p)
{
	const char *type = dg_profile_dir_type(p);

	if (!e->types.nr)
		return 1;
	for (size_t i = 0; i < e->types.nr; i++)
		if (!strcmp(e->types.items[i], type))
			return 1;
	return 0;
}

/* The profile's value for an entry, canonical (aliases resolved) where the
 * loader knows the enum, translated through "values".  NULL: not given. */
static dg_code profile_value(const dg_tmap_entry *e, const dg_profile *p,
			     const cJSON *pj, cJSON **out, dg_error *err)
{
	const cJSON *raw = dg_json_pointer_get(pj, e->profile);
	const cJSON *tr;
	cJSON *v;

	*out = NULL;
	if (!strcmp(e->profile, "/directory/type"))
		v = cJSON_CreateString(dg_profile_dir_type(p));
	else if (!strcmp(e->profile, "/authentication/method") && p->auth.method)
		v = cJSON_CreateString(dg_profile_method(p));
	else if (!raw || cJSON_IsNull(raw))
		return DG_OK;
	else
		v = cJSON_Duplicate(raw, 1);
	if (!e->values)
		return (*out = v), DG_OK;
	tr = cJSON_IsString(v) ? cJSON_GetObjectItemCaseSensitive(e->values, v->valuestring) : NULL;
	if (!tr) {
		dg_code rc = dg_error_set(err, DG_E_UNSUPPORTED,
					  "%s: value %s has no MailStore equivalent in the target "
					  "map (schemas/mailstore/directory-services.json, key %s)",
					  e->profile, cJSON_IsString(v) ? v->valuestring : "?",
					  e->config);
		cJSON_Delete(v);
		return rc;
	}
	cJSON_Delete(v);
	*out = cJSON_Duplicate(tr, 1);
	return DG_OK;
}

/* A secret's value: resolved and compared, or (not resolvable without
 * `resolve`) left for push to fill in. */
static dg_code secret_value(const dg_tmap_entry *e, const dg_profile *p, int resolve,
			    cJSON **out, int *compared, dg_error *err)
{
	const dg_secret_ref *ref = dg_profile_secret_at(p, e->profile);
	char *secret = NULL;
	dg_error e2;

	*out = NULL;
	*compared = 0;
	if (!ref)
		return DG_OK;
	if (dg_secret_resolve(ref, &secret, resolve ? err : &e2))
		return resolve ? err->code : DG_OK;
	*out = cJSON_CreateString(secret);
	*compared = 1;
	dg_secret_free(secret);
	return DG_OK;
}

static void add_change(dg_cfg_diff *diff, const dg_tmap_entry *e, const cJSON *before,
		       const cJSON *after, int compared)
{
	dg_cfg_change *ch;

	DG_ALLOC_GROW(diff->items, diff->nr + 1, diff->alloc);
	ch = &diff->items[diff->nr++];
	ch->config = dg_xstrdup(e->config);
	ch->profile = dg_xstrdup(e->profile);
	ch->status = e->status;
	ch->before = before ? cJSON_Duplicate(before, 1) : NULL;
	ch->after = after ? cJSON_Duplicate(after, 1) : NULL;
	ch->secret = e->secret;
	ch->compared = compared;
}

dg_code dg_tmap_apply(const dg_tmap *map, const dg_profile *p, const cJSON *profile_json,
		      const cJSON *server_cfg, int resolve, cJSON **out, dg_cfg_diff *diff,
		      dg_error *err)
{
	cJSON *cfg = cJSON_IsObject(server_cfg) ? cJSON_Duplicate(server_cfg, 1)
						: cJSON_CreateObject();
	dg_code rc = DG_OK;

	for (size_t i = 0; i < map->nr && !rc; i++) {
		const dg_tmap_entry *e = &map->items[i];
		const cJSON *before;
		cJSON *v = NULL;
		int compared = 1;
		if (!applies(e, p))
			continue;
		rc = e->secret ? secret_value(e, p, resolve, &v, &compared, err)
			       : profile_value(e, p, profile_json, &v, err);
		if (rc || (!v && !e->secret) || (e->secret && !dg_profile_secret_at(p, e->profile)))
			continue;
		before = dg_json_pointer_get(cfg, e->config);
		if (v && before && cJSON_Compare(before, v, 1)) {
			cJSON_Delete(v);
			continue;
		}
		add_change(diff, e, before, v, compared);
		if (v && dg_json_pointer_set(cfg, e->config, v))
			rc = dg_error_set(err, DG_E_PROTOCOL,
					  "the server's configuration has no object at %s "
					  "(target map key for %s)", e->config, e->profile);
	}
	if (rc) {
		dg_json_wipe_delete(cfg);
		return rc;
	}
	*out = cfg;
	return DG_OK;
}

/* ---- secrets ----------------------------------------------------------------------- */

/* The object's key names are not documented, so a secret is recognised by
 * its name (compared without case, '-' and '_') ... */
static int secret_name(const char *key)
{
	static const char *const words[] = {
		"password", "passwd", "pwd", "secret", "privatekey", "apikey", "accesskey",
		"accountkey", "token", "credential", "passphrase", "pfx", "pkcs12",
	};
	char norm[128];
	size_t n = 0;

	if (!key || !strcmp(key, "$secret"))
		return 0;
	for (; *key && n < sizeof(norm) - 1; key++)
		if (*key != '-' && *key != '_')
			norm[n++] = *key;
	norm[n] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(norm, words[i]))
			return 1;
	return 0;
}

static int only_chars(const char *s, const char *set, size_t *len)
{
	*len = strspn(s, set);
	return s[*len] == '\0';
}

/* ... or by its value: a PEM block, a JWT, or a long unbroken run of base64
 * or hex that carries digits and letters alike (keys, tokens, hashes). */
static int secret_shape(const char *v)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789+/=_-";
	size_t len;

	if (strstr(v, "-----BEGIN ") || strstr(v, "PRIVATE KEY"))
		return 1;
	if (!strncmp(v, "eyJ", 3) && strchr(v, '.') && strchr(strchr(v, '.') + 1, '.'))
		return 1;
	if (only_chars(v, "0123456789abcdefABCDEF", &len) && len >= 32)
		return strpbrk(v, "0123456789") && strpbrk(v, "abcdefABCDEF");
	if (only_chars(v, b64, &len) && len >= 40)
		return strpbrk(v, "0123456789") && strpbrk(v, "abcdefghijklmnopqrstuvwxyz") &&
		       strpbrk(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	return 0;
}

/* A key the map knows as no secret keeps its value whatever its shape: a
 * masked value there would be restored from the server by a push and so
 * undo the change it was meant to make. */
static int known_plain(const dg_tmap *map, const char *pointer)
{
	for (size_t i = 0; i < map->nr; i++)
		if (!map->items[i].secret && !strcmp(map->items[i].config, pointer))
			return 1;
	return 0;
}

static void pointer_push(dg_strbuf *ptr, const cJSON *child, size_t index)
{
	dg_strbuf_addch(ptr, '/');
	if (!child->string) {
		dg_strbuf_addf(ptr, "%zu", index);
		return;
	}
	for (const char *k = child->string; *k; k++) {
		if (*k == '~')
			dg_strbuf_adds(ptr, "~0");
		else if (*k == '/')
			dg_strbuf_adds(ptr, "~1");
		else
			dg_strbuf_addch(ptr, *k);
	}
}

/* Masks every string under a secret name, and every secret-shaped string
 * anywhere except under the map's plain keys. */
static void mask_walk(const dg_tmap *map, cJSON *node, int under_secret, dg_strbuf *ptr)
{
	size_t at = ptr->len, i = 0;
	cJSON *child;

	cJSON_ArrayForEach(child, node) {
		int secret = under_secret || secret_name(child->string);
		if (child->string && !strcmp(child->string, "$secret"))
			continue;   /* a placeholder push resolves again */
		pointer_push(ptr, child, i++);
		if (cJSON_IsString(child) && *child->valuestring &&
		    (secret || (secret_shape(child->valuestring) && !known_plain(map, ptr->buf))))
			cJSON_SetValuestring(child, DG_TMAP_MASK_TEXT);
		else if (cJSON_IsObject(child) || cJSON_IsArray(child))
			mask_walk(map, child, secret, ptr);
		dg_strbuf_setlen(ptr, at);
	}
}

void dg_tmap_redact(const dg_tmap *map, const dg_profile *p, cJSON *cfg, int mode)
{
	for (size_t i = 0; i < map->nr; i++) {
		const dg_tmap_entry *e = &map->items[i];
		cJSON *v = dg_json_pointer_get(cfg, e->config);
		if (!e->secret)
			continue;
		if (mode == DG_TMAP_PLACEHOLDER && p && applies(e, p) && dg_profile_secret_at(p, e->profile)) {
			cJSON *ph = cJSON_CreateObject();
			cJSON_AddStringToObject(ph, "$secret", e->profile);
			dg_json_pointer_set(cfg, e->config, ph);
		} else if (cJSON_IsString(v) && *v->valuestring) {
			dg_json_pointer_set(cfg, e->config, cJSON_CreateString(DG_TMAP_MASK_TEXT));
		}
	}
	{
		dg_strbuf ptr = DG_STRBUF_INIT;
		mask_walk(map, cfg, 0, &ptr);
		dg_strbuf_release(&ptr);
	}
}

int dg_tmap_has_mask(const cJSON *cfg)
{
	const cJSON *child;

	if (cJSON_IsString(cfg))
		return !strcmp(cfg->valuestring, DG_TMAP_MASK_TEXT);
	cJSON_ArrayForEach(child, cfg)
		if (dg_tmap_has_mask(child))
			return 1;
	return 0;
}

/* The value at the same place in `current`: by key in objects, by index in
 * arrays. */
static const cJSON *same_place(const cJSON *current, const cJSON *child, int index)
{
	const cJSON *c;
	int nth = 0;

	if (!child->string)
		return cJSON_IsArray(current) ? cJSON_GetArrayItem(current, index) : NULL;
	if (!cJSON_IsObject(current))
		return NULL;
	/* A key written twice (JSON allows it) pairs with its own occurrence:
	 * the n-th member of that name here is the n-th one there. */
	for (c = child->prev; c && c->next; c = c->prev)
		nth += c->string && !strcmp(c->string, child->string);
	cJSON_ArrayForEach(c, current)
		if (c->string && !strcmp(c->string, child->string) && !nth--)
			return c;
	return NULL;
}

void dg_tmap_unmask(cJSON *cfg, const cJSON *current)
{
	cJSON *child, *next;
	int index = 0;

	for (child = cfg ? cfg->child : NULL; child; child = next, index++) {
		const cJSON *cur = same_place(current, child, index);

		next = child->next;
		if (cJSON_IsString(child) && !strcmp(child->valuestring, DG_TMAP_MASK_TEXT)) {
			if (cur)
				cJSON_ReplaceItemViaPointer(cfg, child, cJSON_Duplicate(cur, 1));
		} else if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
			dg_tmap_unmask(child, cur);
		}
	}
}

static void wipe(cJSON *node)
{
	cJSON *child;

	if (cJSON_IsString(node) && node->valuestring)
		explicit_bzero(node->valuestring, strlen(node->valuestring));
	cJSON_ArrayForEach(child, node)
		wipe(child);
}

void dg_json_wipe_delete(cJSON *node)
{
	if (!node)
		return;
	wipe(node);
	cJSON_Delete(node);
}

/* ---- the profile's JSON ---------------------------------------------------------------- */

cJSON *dg_profile_json(const dg_profile *p, dg_error *err)
{
	FILE *fp = fopen(p->file, "rb");
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[8192];
	size_t n, skip = 0;
	cJSON *root;

	if (!fp) {
		dg_error_set(err, DG_E_IO, "cannot read profile %s: %s", p->file, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		dg_strbuf_add(&sb, buf, n);
	fclose(fp);
	if (sb.len >= 3 && !memcmp(sb.buf, "\xEF\xBB\xBF", 3))
		skip = 3;
	root = cJSON_ParseWithLength(sb.buf + skip, sb.len - skip);
	dg_strbuf_release(&sb);
	if (!root)
		dg_error_set(err, DG_E_PARSE, "profile %s is not valid JSON", p->file);
	return root;
}

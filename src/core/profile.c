/* The profile loader: cJSON for the tree, jsonpos for where things are,
 * and one table of fields per object (profile_fields.h) that drives a
 * single validating walk.  /directory and /authentication take, besides
 * their common keys, the keys of their type's and their method's
 * provider, from the registry.  The tables are the code's copy of
 * docs/profile-keys.md; schemas/profile.schema.json is the editors' copy
 * and tests/cli/test_schema.py keeps the two in agreement. */
#include "profile.h"
#include "profile_fields.h"
#include "provider.h"

#include "error.h"
#include "jsonpos.h"
#include "readfile.h"
#include "suggest.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Profiles are a few kilobytes; this only stops a wrong file argument
 * (a disk image, /dev/zero) from being read into memory. */
#define MAX_PROFILE_BYTES (16u << 20)

/* ---- the tables -------------------------------------------------------- */

typedef dg_profile_walker walker;

#define COUNT_RANGE .min = 0, .max = INT_MAX

static const dg_enumval product_vals[] = {
	{ "server", DG_PRODUCT_SERVER, NULL },
	{ "spe", DG_PRODUCT_SPE, NULL },
};
static const dg_enumalias product_aliases[] = {
	{ "mailstore-server", "server", NULL },
	{ "service-provider-edition", "spe", NULL },
	{ "mailstore-spe", "spe", NULL },
};
static const dg_enumspec product_enum = DG_ENUM(product_vals, product_aliases);

static const dg_enumval privilege_vals[] = {
	{ "none", 0, NULL },
	{ "admin", 0, NULL },
	{ "login", 0, NULL },
	{ "changePassword", 0, NULL },
	{ "archive", 0, NULL },
	{ "modifyArchiveProfiles", 0, NULL },
	{ "export", 0, NULL },
	{ "modifyExportProfiles", 0, NULL },
	{ "delete", 0, NULL },
};
/* The Administration API's privilege names (SetUserPrivileges); the
 * aliases catch the UI's wording. */
static const dg_enumalias privilege_aliases[] = {
	{ "archiveE-mail", "archive", NULL },
	{ "archiveEmail", "archive", NULL },
	{ "exportE-mail", "export", NULL },
	{ "exportEmail", "export", NULL },
	{ "administrator", "admin", NULL },
	{ "logon", "login", NULL },
};
static const dg_enumspec privilege_enum = DG_ENUM(privilege_vals, privilege_aliases);

static const dg_field tls_fields[] = { /* base: dg_tls_opts */
	{ .key = "caFile", .kind = DG_K_PATH, .flags = DG_F_NULL | DG_F_NONEMPTY,
	  .off = offsetof(dg_tls_opts, ca_file) },
	{ .key = "acceptAllCertificates", .kind = DG_K_BOOL,
	  .off = offsetof(dg_tls_opts, accept_all_certificates) },
};
const dg_objspec dg_tls_spec = DG_SPEC(tls_fields, NULL);

static const dg_field https_tls_fields[] = { /* base: dg_tls_opts */
	{ .key = "caFile", .kind = DG_K_PATH, .flags = DG_F_NULL | DG_F_NONEMPTY,
	  .off = offsetof(dg_tls_opts, ca_file) },
};
const dg_objspec dg_https_tls_spec = DG_SPEC(https_tls_fields, NULL);

/* -- directory (base: dg_directory); the type's own keys are its provider's -- */
static const dg_field dir_fields[] = {
	{ .key = "type", .kind = DG_K_DIR_TYPE, .flags = DG_F_REQ,
	  .off = offsetof(dg_directory, kind), .example = "\"type\": \"ldap\"" },
	{ .key = "snapshot", .kind = DG_K_PATH, .flags = DG_F_NULL | DG_F_NONEMPTY,
	  .off = offsetof(dg_directory, snapshot) },
};
static const dg_objspec dir_spec = DG_SPEC(dir_fields, NULL);

/* -- authentication (base: dg_authentication); a method's own keys are its
 * provider's -- */
#define AU(m) offsetof(dg_authentication, m)
static const dg_field auth_fields[] = {
	{ .key = "method", .kind = DG_K_METHOD, .flags = DG_F_REQ, .off = AU(method),
	  .example = "\"method\": \"standard\"" },
	{ .key = "testUser", .kind = DG_K_STRING, .flags = DG_F_NULL, .off = AU(test_user) },
	{ .key = "testPassword", .kind = DG_K_SECRET, .off = AU(test_password) },
};
static const dg_objspec auth_spec = DG_SPEC(auth_fields, NULL);

/* -- sync (base: dg_sync_opts) -- */
#define SY(m) offsetof(dg_sync_opts, m)
static const dg_field guard_fields[] = {
	{ .key = "minUsers", .kind = DG_K_INT, .off = SY(min_users), COUNT_RANGE },
	{ .key = "maxDeletes", .kind = DG_K_INT, .off = SY(max_deletes), COUNT_RANGE },
	{ .key = "maxDropPercent", .kind = DG_K_NUMBER, .off = SY(max_drop_percent), .min = 0, .max = 100 },
};
static const dg_objspec guard_spec = DG_SPEC(guard_fields, NULL);

static const dg_field sync_fields[] = {
	{ .key = "deleteUsers", .kind = DG_K_BOOL, .off = SY(delete_users) },
	{ .key = "defaultPrivileges", .kind = DG_K_ENUMARR, .off = SY(default_privileges),
	  .en = &privilege_enum },
	{ .key = "guards", .kind = DG_K_OBJECT, .sub = &guard_spec },
};
static const dg_objspec sync_spec = DG_SPEC(sync_fields, NULL);

/* -- target (base: dg_target) -- */
#define TG(m) offsetof(dg_target, m)
static const dg_field target_tls_fields[] = {
	{ .key = "caFile", .kind = DG_K_PATH, .flags = DG_F_NULL | DG_F_NONEMPTY, .off = TG(ca_file) },
	{ .key = "pinSha256", .kind = DG_K_STRING, .flags = DG_F_NULL, .off = TG(pin_sha256) },
	{ .key = "insecure", .kind = DG_K_BOOL, .off = TG(insecure) },
};
static const dg_objspec target_tls_spec = DG_SPEC(target_tls_fields, NULL);

static void target_rules(walker *w, const cJSON *obj, void *base);
static const dg_field target_fields[] = {
	{ .key = "url", .kind = DG_K_STRING, .flags = DG_F_REQ | DG_F_NONEMPTY, .off = TG(url),
	  .example = "\"url\": \"https://archive.example.com:8463\"" },
	{ .key = "product", .kind = DG_K_ENUM, .off = TG(product), .en = &product_enum },
	{ .key = "instanceId", .kind = DG_K_STRING, .flags = DG_F_NULL | DG_F_NONEMPTY, .off = TG(instance_id) },
	{ .key = "user", .kind = DG_K_STRING, .flags = DG_F_REQ | DG_F_NONEMPTY, .off = TG(user),
	  .example = "\"user\": \"admin\"" },
	{ .key = "password", .kind = DG_K_SECRET, .flags = DG_F_REQ, .off = TG(password),
	  .example = "\"password\": {\"env\": \"MAILSTORE_API_PASSWORD\"}" },
	{ .key = "tls", .kind = DG_K_OBJECT, .sub = &target_tls_spec },
};
static const dg_objspec target_spec = DG_SPEC(target_fields, target_rules);

/* -- top level (base: dg_profile) -- */
static const dg_field top_fields[] = {
	{ .key = "$schema", .kind = DG_K_IGNORED },
	{ .key = "name", .kind = DG_K_STRING, .flags = DG_F_REQ | DG_F_NONEMPTY,
	  .off = offsetof(dg_profile, name), .example = "\"name\": \"contoso\"" },
	{ .key = "directory", .kind = DG_K_DIRECTORY, .flags = DG_F_REQ,
	  .off = offsetof(dg_profile, directory),
	  .example = "\"directory\": {\"type\": \"active-directory\", ...}" },
	{ .key = "authentication", .kind = DG_K_AUTH, .off = offsetof(dg_profile, auth) },
	{ .key = "sync", .kind = DG_K_OBJECT, .off = offsetof(dg_profile, sync), .sub = &sync_spec },
	{ .key = "target", .kind = DG_K_OBJECT, .off = offsetof(dg_profile, target), .sub = &target_spec },
};
static const dg_objspec top_spec = DG_SPEC(top_fields, NULL);

/* The keys of a secret reference object. */
static const char *const secret_keys[] = { "env", "file", "prompt" };

/* ---- the walk ------------------------------------------------------------ */

#define MAX_REL 8

/* The directory types and login methods the registry offers, as the
 * enums "type" and "method" take; an enum value is the index here. */
struct registry_enum {
	dg_enumval *vals;
	size_t nr, alloc;
	dg_enumalias *aliases;
	size_t nalias, alias_alloc;
	dg_enumspec spec;
};

struct dg_profile_walker {
	const char *file;
	const dg_jsonpos *pos;
	dg_findings *out;
	dg_profile *p;
	dg_strbuf path;          /* JSON pointer of the value being walked */
	const dg_provider_dir **dirs;        /* every directory kind, in registry order */
	const dg_provider_login **logins;    /* every login method, in registry order */
	struct registry_enum dir_enum, method_enum;
	const dg_provider_dir *kind;         /* NULL while unknown or invalid */
	const dg_provider_login *login;      /* NULL while unknown or invalid */
	int has_snapshot;
	int in_dir;              /* inside /directory: other types' keys are PROF006 */
	int in_auth;             /* directly in /authentication: other methods' keys are PROF010 */
	const char *rel[MAX_REL]; /* keys from /directory down to the current object */
	int nrel;
	size_t nfindings;
};

/* Past this many findings a file is garbage, not a profile with typos:
 * did-you-mean searches stop so that such a file still loads quickly. */
#define MAX_SUGGESTING_FINDINGS 500

#define AT(base, off, T) ((T *)(void *)((char *)(base) + (off)))

static dg_finding *vfinding(walker *w, dg_finding_code code, const char *path,
			    const char *fmt, va_list ap)
{
	dg_strbuf msg = DG_STRBUF_INIT;
	dg_finding *fd;
	int line, col;
	dg_strbuf_vaddf(&msg, fmt, ap);
	w->nfindings++;
	fd = dg_findings_add(w->out, code, path, "%s",
			     msg.buf ? msg.buf : "");
	dg_strbuf_release(&msg);
	dg_jsonpos_locate(w->pos, path, &line, &col);
	dg_finding_locate(fd, w->file, line, col);
	return fd;
}

/* A finding about the value at w->path. */
static dg_finding *finding(walker *w, dg_finding_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static dg_finding *finding(walker *w, dg_finding_code code, const char *fmt, ...)
{
	va_list ap;
	dg_finding *fd;
	va_start(ap, fmt);
	fd = vfinding(w, code, w->path.buf ? w->path.buf : "", fmt, ap);
	va_end(ap);
	return fd;
}

/* Runs fn on w->path extended by `key` (or by `index` when key is NULL). */
static size_t path_push(walker *w, const char *key, size_t index)
{
	size_t mark = w->path.len;
	if (key)
		dg_json_pointer_add(&w->path, key);
	else
		dg_json_pointer_add_index(&w->path, index);
	return mark;
}

static void path_pop(walker *w, size_t mark)
{
	dg_strbuf_setlen(&w->path, mark);
}

/* ---- did-you-mean ---------------------------------------------------------- */

/* ---- helpers about the tables ------------------------------------------- */

static const dg_field *find_field(const dg_objspec *spec, const char *key)
{
	for (size_t i = 0; i < spec->nr; i++)
		if (!strcmp(spec->fields[i].key, key))
			return &spec->fields[i];
	return NULL;
}

/* The object spec of directory kind dirs[t] at the current relative path,
 * or NULL. */
static const dg_objspec *dir_spec_at(const walker *w, size_t t)
{
	const dg_objspec *spec = w->dirs[t]->spec;
	for (int i = 0; i < w->nrel && spec; i++) {
		const dg_field *f = find_field(spec, w->rel[i]);
		spec = f && f->kind == DG_K_OBJECT ? f->sub : NULL;
	}
	return spec;
}

/* Directory kinds other than the current one that have `key` here, a bit
 * per index into w->dirs. */
static unsigned other_types_with(const walker *w, const char *key)
{
	unsigned mask = 0;
	for (size_t t = 0; t < w->dir_enum.nr; t++) {
		const dg_objspec *spec;
		if (w->dirs[t] == w->kind)
			continue;
		spec = dir_spec_at(w, t);
		if (spec && find_field(spec, key))
			mask |= 1u << t;
	}
	return mask;
}

static void add_type_list(dg_strbuf *sb, const walker *w, unsigned mask, const char *sep_last)
{
	int n = 0, total = 0;
	for (size_t t = 0; t < w->dir_enum.nr; t++)
		total += !!(mask & (1u << t));
	for (size_t t = 0; t < w->dir_enum.nr; t++) {
		if (!(mask & (1u << t)))
			continue;
		if (n)
			dg_strbuf_adds(sb, n == total - 1 ? sep_last : ", ");
		dg_strbuf_adds(sb, w->dirs[t]->type);
		n++;
	}
}

/* The login methods other than the current one that take `key`. */
static void add_methods_with(dg_strbuf *sb, const walker *w, const char *key)
{
	for (size_t m = 0; m < w->method_enum.nr; m++)
		if (w->logins[m]->spec && find_field(w->logins[m]->spec, key))
			dg_strbuf_addf(sb, "%s%s", sb->len ? ", " : "", w->logins[m]->method);
}

/* An object whose keys come from several tables, each filling its own
 * base: /directory is the common keys and its type's, /authentication
 * the common keys and its method's. */
struct layer {
	const dg_objspec *spec;
	void *base;
};

#define MAX_LAYERS 32

static const dg_field *find_in_layers(const struct layer *ls, size_t n, const char *key,
				      size_t *which)
{
	for (size_t i = 0; i < n; i++) {
		const dg_field *f = find_field(ls[i].spec, key);
		if (f) {
			*which = i;
			return f;
		}
	}
	return NULL;
}

static void add_key_list(dg_strbuf *sb, const struct layer *ls, size_t n)
{
	int listed = 0;
	for (size_t l = 0; l < n; l++)
		for (size_t i = 0; i < ls[l].spec->nr; i++) {
			size_t first = 0;
			const char *key = ls[l].spec->fields[i].key;
			find_in_layers(ls, n, key, &first);
			if (first == l)
				dg_strbuf_addf(sb, "%s%s", listed++ ? ", " : "", key);
		}
}

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

static const char *expected_name(const dg_field *f)
{
	int null = f->flags & DG_F_NULL;
	switch (f->kind) {
	case DG_K_BOOL: return "true or false";
	case DG_K_INT: return null ? "an integer or null" : "an integer";
	case DG_K_NUMBER: return "a number";
	case DG_K_STRARR: case DG_K_ENUMARR: return "an array of strings";
	case DG_K_OBJECT: case DG_K_DIRECTORY: return "an object";
	case DG_K_SECRET:
		return "a secret reference ({\"env\": NAME}, {\"file\": PATH} or {\"prompt\": true})";
	default: return null ? "a string or null" : "a string";
	}
}

/* ---- unknown keys ----------------------------------------------------------- */

static void report_other_type(walker *w, const char *key, unsigned mask)
{
	dg_strbuf types = DG_STRBUF_INIT, alt = DG_STRBUF_INIT;
	dg_finding *fd;
	add_type_list(&types, w, mask, " and ");
	add_type_list(&alt, w, mask, " or ");
	fd = finding(w, DGF_PROF006, "\"%s\" is a key of %s directories, not of %s", key,
		     types.buf, w->kind->type);
	dg_finding_hint(fd, "remove it, or change /directory/type if this profile is for %s",
			alt.buf);
	dg_strbuf_release(&types);
	dg_strbuf_release(&alt);
}

static void report_other_method(walker *w, const char *key, const dg_strbuf *methods)
{
	dg_finding *fd = finding(w, DGF_PROF010,
				 "\"%s\" does not apply to authentication method \"%s\" (only to %s)",
				 key, w->login->method, methods->buf);
	dg_finding_hint(fd, "remove it, or change /authentication/method");
}

/* Candidates for a did-you-mean: this spot's keys first, then the keys
 * other directory types (or login methods) have here. */
static const char *suggest_key(const walker *w, const struct layer *ls, size_t nl,
			       const char *key, int *other_type)
{
	const char *cands[64];
	size_t n = 0;
	const char *s;
	*other_type = 0;
	if (w->nfindings > MAX_SUGGESTING_FINDINGS)
		return NULL;
	for (size_t l = 0; l < nl; l++)
		for (size_t i = 0; i < ls[l].spec->nr && n < DG_NELEM(cands); i++)
			cands[n++] = ls[l].spec->fields[i].key;
	if ((s = dg_suggest_closest(key, cands, n)))
		return s;
	n = 0;
	if (w->in_auth) {
		for (size_t m = 0; m < w->method_enum.nr; m++) {
			const dg_objspec *o = w->logins[m]->spec;
			for (size_t i = 0; o && i < o->nr && n < DG_NELEM(cands); i++)
				cands[n++] = o->fields[i].key;
		}
		return dg_suggest_closest(key, cands, n);
	}
	if (!w->in_dir)
		return NULL;
	for (size_t t = 0; t < w->dir_enum.nr; t++) {
		const dg_objspec *o = dir_spec_at(w, t);
		for (size_t i = 0; o && i < o->nr && n < DG_NELEM(cands); i++)
			cands[n++] = o->fields[i].key;
	}
	*other_type = 1;
	return dg_suggest_closest(key, cands, n);
}

/* A key some other type or method has; returns 1 when it was reported
 * (or cannot be judged while the type is unknown). */
static int key_of_another(walker *w, const char *key)
{
	if (w->in_dir) {
		unsigned mask = other_types_with(w, key);
		if (mask && w->kind)
			report_other_type(w, key, mask);
		return mask != 0; /* with the type unknown nobody can tell */
	}
	if (w->in_auth && w->login) {
		dg_strbuf methods = DG_STRBUF_INIT;
		int found;
		add_methods_with(&methods, w, key);
		found = methods.len != 0;
		if (found)
			report_other_method(w, key, &methods);
		dg_strbuf_release(&methods);
		return found;
	}
	return 0;
}

static void unknown_key(walker *w, const struct layer *ls, size_t nl, const char *key)
{
	int other = 0;
	const char *sugg;
	size_t which;
	dg_finding *fd;
	dg_strbuf hint = DG_STRBUF_INIT;
	if (key_of_another(w, key))
		return;
	sugg = suggest_key(w, ls, nl, key, &other);
	if (sugg && other && !find_in_layers(ls, nl, sugg, &which)) {
		unsigned mask = other_types_with(w, sugg);
		dg_strbuf types = DG_STRBUF_INIT;
		add_type_list(&types, w, mask, " or ");
		fd = finding(w, DGF_PROF002, "unknown key \"%s\" (did you mean \"%s\"? "
			     "it is a key of %s directories)", key, sugg, types.buf);
		dg_strbuf_release(&types);
	} else if (sugg) {
		fd = finding(w, DGF_PROF002, "unknown key \"%s\"; did you mean \"%s\"?", key, sugg);
	} else {
		fd = finding(w, DGF_PROF002, "unknown key \"%s\"", key);
	}
	dg_strbuf_adds(&hint, "keys allowed here: ");
	add_key_list(&hint, ls, nl);
	dg_finding_hint(fd, "%s", hint.buf);
	dg_strbuf_release(&hint);
}

/* ---- values ------------------------------------------------------------------ */

static void wrong_type(walker *w, const dg_field *f, const cJSON *v, const char *what)
{
	dg_finding *fd = finding(w, DGF_PROF003, "%s must be %s, found %s", what, expected_name(f),
				 json_type_name(v));
	if (cJSON_IsString(v) && f->kind == DG_K_BOOL &&
	    (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false")))
		dg_finding_hint(fd, "write %s without quotes", v->valuestring);
	else if (cJSON_IsString(v) && (f->kind == DG_K_INT || f->kind == DG_K_NUMBER))
		dg_finding_hint(fd, "write the number without quotes");
	else if (f->kind == DG_K_STRARR || f->kind == DG_K_ENUMARR)
		dg_finding_hint(fd, "write a list, e.g. [\"MailStore Users\"]; [] for none");
}

static char *path_clean(const char *s)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n && !(n == 1 && p[0] == '.')) {
			dg_strbuf_addch(&sb, '/');
			dg_strbuf_add(&sb, p, n);
		}
		p += n;
		if (*p)
			p++;
	}
	if (!sb.len)
		dg_strbuf_addch(&sb, '/');
	return dg_strbuf_detach(&sb);
}

/* Shortens an absolute path to one relative to the working directory when
 * it lies below it: still usable for open(), and what every message shows,
 * so an administrator sees "examples/keys/ca.pem", not a machine's layout. */
static char *relative_to_cwd(char *abs)
{
	char cwd[4096];
	size_t n;
	char *rel;
	if (!getcwd(cwd, sizeof(cwd)))
		return abs;
	n = strlen(cwd);
	if (n == 1 || strncmp(abs, cwd, n) || abs[n] != '/' || !abs[n + 1])
		return abs;
	rel = dg_xstrdup(abs + n + 1);
	free(abs);
	return rel;
}

/* Path for a profile-relative one (see relative_to_cwd). */
static char *resolve_path(const dg_profile *p, const char *s)
{
	char *joined, *res;
	if (s[0] == '/')
		return path_clean(s);
	joined = dg_xasprintf("%s/%s", p->dir, s);
	res = path_clean(joined);
	free(joined);
	return relative_to_cwd(res);
}

/* resolve_path for the value at w->path, noting the pointer so a tool that
 * moves the profile (onboard --render) can make exactly these absolute. */
static char *walker_resolve(walker *w, const char *s)
{
	dg_strarr *a = &w->p->path_fields;
	a->items = dg_xrealloc(a->items, (a->nr + 1) * sizeof(*a->items));
	a->items[a->nr++] = dg_xstrdup(w->path.buf ? w->path.buf : "");
	return resolve_path(w->p, s);
}

static const dg_enumval *enum_lookup(const dg_enumspec *en, const char *s)
{
	for (size_t i = 0; i < en->nr; i++)
		if (!strcmp(en->vals[i].name, s))
			return &en->vals[i];
	return NULL;
}

static int allowed_for_kind(const walker *w, const char *types)
{
	return !types || !w->kind || dg_types_listed(types, w->kind->type);
}

static int enum_allowed(const walker *w, const dg_enumval *ev)
{
	return allowed_for_kind(w, ev->types);
}

/* The values a field takes: its own enum, or the registry's types and
 * methods. */
static const dg_enumspec *field_enum(const walker *w, const dg_field *f)
{
	if (f->kind == DG_K_DIR_TYPE)
		return &w->dir_enum.spec;
	if (f->kind == DG_K_METHOD)
		return &w->method_enum.spec;
	return f->en;
}

/* Did-you-mean for an enum value: a case slip, then a known alias, then
 * the closest allowed spelling. */
static const char *suggest_enum(const walker *w, const dg_enumspec *en, const char *s)
{
	const char *cands[32];
	size_t n = 0;
	for (size_t i = 0; i < en->nr; i++)
		if (enum_allowed(w, &en->vals[i]) && !strcasecmp(en->vals[i].name, s))
			return en->vals[i].name;
	for (size_t i = 0; i < en->nalias; i++) {
		const dg_enumalias *a = &en->aliases[i];
		if (!strcasecmp(a->alias, s) && allowed_for_kind(w, a->types))
			return a->to;
	}
	for (size_t i = 0; i < en->nr && n < DG_NELEM(cands); i++)
		if (enum_allowed(w, &en->vals[i]))
			cands[n++] = en->vals[i].name;
	return dg_suggest_closest(s, cands, n);
}

static void bad_enum(walker *w, const dg_field *f, const char *what, const char *s,
		     const dg_enumval *other)
{
	dg_strbuf msg = DG_STRBUF_INIT, allowed = DG_STRBUF_INIT;
	const dg_enumspec *en = field_enum(w, f);
	const char *sugg = suggest_enum(w, en, s);
	dg_finding *fd;
	for (size_t i = 0; i < en->nr; i++) {
		if (!enum_allowed(w, &en->vals[i]))
			continue;
		dg_strbuf_addf(&allowed, "%s%s", allowed.len ? ", " : "", en->vals[i].name);
	}
	dg_strbuf_addf(&msg, "%s \"%s\" is not allowed", what, s);
	if (other)
		dg_strbuf_addf(&msg, " for %s directories", w->kind->type);
	dg_strbuf_addf(&msg, " (allowed: %s)", allowed.buf);
	if (sugg)
		dg_strbuf_addf(&msg, "; did you mean \"%s\"?", sugg);
	fd = finding(w, DGF_PROF004, "%s", msg.buf);
	if (sugg && other && en->spelled_per_type)
		dg_finding_hint(fd, "%s calls this %s \"%s\"", w->kind->type, f->key, sugg);
	else if (sugg && !strcasecmp(sugg, s))
		dg_finding_hint(fd, "write \"%s\" (values are case-sensitive)", sugg);
	else if (sugg)
		dg_finding_hint(fd, "write \"%s\"", sugg);
	dg_strbuf_release(&msg);
	dg_strbuf_release(&allowed);
}

/* Validates an enum string; returns its entry when allowed here. */
static const dg_enumval *check_enum(walker *w, const dg_field *f, const char *what,
					const char *s)
{
	const dg_enumval *ev = enum_lookup(field_enum(w, f), s);
	if (ev && enum_allowed(w, ev))
		return ev;
	bad_enum(w, f, what, s, ev);
	return NULL;
}

static int check_string(walker *w, const dg_field *f, const char *what, const char *s)
{
	if ((f->flags & DG_F_NONEMPTY) && !*s) {
		dg_finding *fd = finding(w, DGF_PROF007, "%s must not be empty", what);
		if (f->flags & DG_F_NULL)
			dg_finding_hint(fd, "use null, or leave the key out, when there is no value");
		return -1;
	}
	if (f->must_contain && !strstr(s, f->must_contain)) {
		dg_finding *fd = finding(w, DGF_PROF004, "%s must contain the placeholder %s", what,
					 f->must_contain);
		dg_finding_hint(fd, "MailStore puts each value of the members attribute where %s is, "
				"e.g. (&(objectClass=posixAccount)(uid=%s)); use null when members are DNs",
				f->must_contain, f->must_contain);
		return -1;
	}
	return 0;
}

static void walk_string(walker *w, const dg_field *f, cJSON *v, void *base)
{
	char **dst = AT(base, f->off, char *);
	if (cJSON_IsNull(v) && (f->flags & DG_F_NULL))
		return;
	if (!cJSON_IsString(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	if (check_string(w, f, f->key, v->valuestring) < 0 || f->kind == DG_K_IGNORED)
		return;
	free(*dst);
	*dst = f->kind == DG_K_PATH ? walker_resolve(w, v->valuestring) : dg_xstrdup(v->valuestring);
}

static void walk_bool(walker *w, const dg_field *f, cJSON *v, void *base)
{
	if (!cJSON_IsBool(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	*AT(base, f->off, int) = cJSON_IsTrue(v);
}

static int in_range(walker *w, const dg_field *f, double d)
{
	dg_finding *fd;
	if (f->min >= f->max || (d >= f->min && d <= f->max))
		return 1;
	if (f->max >= INT_MAX)
		fd = finding(w, DGF_PROF007,
			     "%s %g is out of range: it must be %g or more", f->key, d,
			     f->min);
	else
		fd = finding(w, DGF_PROF007,
			     "%s %g is out of range: it must be from %g to %g", f->key,
			     d, f->min, f->max);
	if (!strcmp(f->key, "port"))
		dg_finding_hint(fd, "leave port out (or null) for the protocol's default: 389, or 636 for LDAPS");
	return 0;
}

static void walk_number(walker *w, const dg_field *f, cJSON *v, void *base)
{
	double d;
	if (cJSON_IsNull(v) && (f->flags & DG_F_NULL))
		return;
	if (!cJSON_IsNumber(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	d = v->valuedouble;
	if (!isfinite(d)) {
		finding(w, DGF_PROF007, "%s is out of range: the number is too large", f->key);
		return;
	}
	if (f->kind == DG_K_INT && d != floor(d)) {
		finding(w, DGF_PROF003, "%s must be an integer, found %g", f->key, d);
		return;
	}
	if (!in_range(w, f, d))
		return;
	if (f->kind == DG_K_INT)
		*AT(base, f->off, int) = (int)d;
	else
		*AT(base, f->off, double) = d;
}

static void walk_enum(walker *w, const dg_field *f, cJSON *v, void *base)
{
	const dg_enumval *ev;
	if (!cJSON_IsString(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	if (!(ev = check_enum(w, f, f->key, v->valuestring)))
		return;
	switch (f->kind) {
	case DG_K_ENUM_NAME:
		free(*AT(base, f->off, char *));
		*AT(base, f->off, char *) = dg_xstrdup(ev->name);
		break;
	case DG_K_DIR_TYPE:
		*AT(base, f->off, const dg_provider_dir *) = w->dirs[ev->value];
		break;
	case DG_K_METHOD:
		*AT(base, f->off, const dg_provider_login *) = w->logins[ev->value];
		break;
	default:
		*AT(base, f->off, int) = ev->value;
	}
}

static void walk_array(walker *w, const dg_field *f, cJSON *v, void *base)
{
	dg_strarr *arr = AT(base, f->off, dg_strarr);
	int n;
	size_t i = 0;
	cJSON *item;
	if (!cJSON_IsArray(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	n = cJSON_GetArraySize(v);
	arr->items = dg_xcalloc((size_t)n + 1, sizeof(char *));
	arr->nr = 0;
	cJSON_ArrayForEach(item, v) {
		size_t mark = path_push(w, NULL, i);
		char what[64], vwhat[64];
		snprintf(what, sizeof(what), "item %zu of %s", i, f->key);
		snprintf(vwhat, sizeof(vwhat), "%s value", f->key);
		if (!cJSON_IsString(item)) {
			finding(w, DGF_PROF003,
				"%s must be a string, found %s", what, json_type_name(item));
		} else if ((f->kind == DG_K_ENUMARR && check_enum(w, f, vwhat, item->valuestring)) ||
			   (f->kind == DG_K_STRARR && check_string(w, f, what, item->valuestring) == 0)) {
			arr->items[arr->nr++] = dg_xstrdup(item->valuestring);
		}
		path_pop(w, mark);
		i++;
	}
}

/* ---- secrets ----------------------------------------------------------------- */

/* Wipes a literal secret out of the parse tree once it has been copied. */
static void wipe_string(cJSON *v)
{
	if (cJSON_IsString(v) && v->valuestring)
		explicit_bzero(v->valuestring, strlen(v->valuestring));
}

static void secret_literal(walker *w, cJSON *v, dg_secret_ref *ref)
{
	dg_finding *fd;
	if (!*v->valuestring) {
		fd = finding(w, DGF_PROF007, "the secret must not be empty");
		dg_finding_hint(fd, "use {\"env\": \"NAME\"}, {\"file\": \"PATH\"} or {\"prompt\": true}");
		return;
	}
	ref->kind = DG_SECRET_LITERAL;
	ref->ref = dg_xstrdup(v->valuestring);
	wipe_string(v);
	/* The message names the field, never the value. */
	fd = finding(w, DGF_SECRET001, "the secret is written in the profile itself");
	dg_finding_hint(fd, "anyone who can read the profile can read it; use {\"env\": \"NAME\"}, "
			"{\"file\": \"PATH\"} (mode 600) or {\"prompt\": true}");
}

/* One member of a secret object; returns 1 when it is a usable form. */
static int secret_member(walker *w, cJSON *m, dg_secret_ref *ref)
{
	static const dg_field envf = { .key = "env", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY };
	static const dg_field filef = { .key = "file", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY };
	static const dg_field promptf = { .key = "prompt", .kind = DG_K_BOOL };
	const char *k = m->string;
	const dg_field *f = !strcmp(k, "env") ? &envf : !strcmp(k, "file") ? &filef : &promptf;
	if (f->kind == DG_K_BOOL) {
		if (!cJSON_IsBool(m)) {
			wrong_type(w, f, m, k);
			return 0;
		}
		if (!cJSON_IsTrue(m)) {
			dg_finding *fd = finding(w, DGF_PROF004, "prompt must be true");
			dg_finding_hint(fd, "{\"prompt\": true} asks on the terminal; "
					"leave the secret out when there is none");
			return 0;
		}
		ref->kind = DG_SECRET_PROMPT;
		return 1;
	}
	if (!cJSON_IsString(m)) {
		wrong_type(w, f, m, k);
		return 0;
	}
	if (check_string(w, f, k, m->valuestring) < 0)
		return 0;
	free(ref->ref);
	if (f == &envf) {
		ref->kind = DG_SECRET_ENV;
		ref->ref = dg_xstrdup(m->valuestring);
	} else {
		ref->kind = DG_SECRET_FILE;
		ref->ref = walker_resolve(w, m->valuestring);
	}
	return 1;
}

static void secret_object(walker *w, cJSON *v, dg_secret_ref *ref)
{
	static const dg_field secf[] = { { .key = "env" }, { .key = "file" }, { .key = "prompt" } };
	static const dg_objspec secspec = DG_SPEC(secf, NULL);
	int forms = 0, usable = 0, unknown = 0, in_dir = w->in_dir, in_auth = w->in_auth;
	unsigned seen = 0;
	cJSON *m;
	dg_finding *fd;
	w->in_dir = w->in_auth = 0; /* env/file/prompt are the same for every type */
	cJSON_ArrayForEach(m, v) {
		size_t k, mark;
		for (k = 0; k < DG_NELEM(secret_keys) && strcmp(secret_keys[k], m->string); k++)
			;
		mark = path_push(w, m->string, 0);
		if (k == DG_NELEM(secret_keys)) {
			struct layer l = { &secspec, NULL };
			unknown_key(w, &l, 1, m->string);
			unknown++;
		} else if (!(seen & (1u << k))) {
			seen |= 1u << k;
			forms++;
			usable += secret_member(w, m, ref);
		}
		path_pop(w, mark);
	}
	w->in_dir = in_dir;
	w->in_auth = in_auth;
	if (forms > 1) {
		fd = finding(w, DGF_PROF004, "a secret reference takes exactly one of env, file "
			     "and prompt; found %d", forms);
		dg_finding_hint(fd, "keep the one that should be used");
	} else if (!forms && !unknown) {
		fd = finding(w, DGF_PROF005,
			     "the secret reference is empty: it needs env, file or prompt");
		dg_finding_hint(fd, "e.g. {\"env\": \"LDAP_PASSWORD\"}");
	}
	if (forms != 1 || !usable) {
		free(ref->ref);
		ref->ref = NULL;
		ref->kind = DG_SECRET_NONE;
	}
}

static void walk_secret(walker *w, const dg_field *f, cJSON *v, void *base)
{
	dg_secret_ref *ref = AT(base, f->off, dg_secret_ref);
	free(ref->path);
	ref->path = dg_xstrdup(w->path.buf);
	if (cJSON_IsString(v))
		secret_literal(w, v, ref);
	else if (cJSON_IsObject(v))
		secret_object(w, v, ref);
	else
		wrong_type(w, f, v, f->key);
	if (ref->kind == DG_SECRET_NONE) {
		free(ref->path);
		ref->path = NULL;
	}
}

/* ---- objects ------------------------------------------------------------------ */

static void walk_layers(walker *w, cJSON *obj, const struct layer *ls, size_t nl);

static void walk_object(walker *w, cJSON *obj, const dg_objspec *spec, void *base)
{
	struct layer l = { spec, base };
	walk_layers(w, obj, &l, 1);
}

/* /directory: the common keys, then its type's into the type's struct. */
static void walk_directory(walker *w, cJSON *obj, dg_directory *dir)
{
	struct layer ls[2] = { { &dir_spec, dir }, { NULL, NULL } };
	size_t nl = 1;
	if (w->kind && w->kind->spec)
		ls[nl++] = (struct layer){ w->kind->spec, dir->opts };
	w->in_dir = 1;
	w->nrel = 0;
	walk_layers(w, obj, ls, nl);
	w->in_dir = 0;
}

/* /authentication: the common keys, then its method's; while the method
 * is unknown, any method's. */
static void walk_auth(walker *w, cJSON *obj, dg_authentication *auth)
{
	struct layer ls[MAX_LAYERS] = { { &auth_spec, auth } };
	size_t nl = 1;
	for (size_t m = 0; m < w->method_enum.nr && nl < MAX_LAYERS; m++) {
		const dg_provider_login *l = w->logins[m];
		if (l->spec && (!w->login || l == w->login))
			ls[nl++] = (struct layer){ l->spec, auth };
	}
	w->in_auth = 1;
	walk_layers(w, obj, ls, nl);
	w->in_auth = 0;
}

static void walk_sub(walker *w, const dg_field *f, cJSON *v, void *base)
{
	int pushed = 0, in_auth = w->in_auth;
	if (!cJSON_IsObject(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	if (f->kind == DG_K_DIRECTORY) {
		walk_directory(w, v, AT(base, f->off, dg_directory));
		return;
	}
	if (f->kind == DG_K_AUTH) {
		walk_auth(w, v, AT(base, f->off, dg_authentication));
		return;
	}
	if (w->in_dir && w->nrel < MAX_REL) {
		w->rel[w->nrel++] = f->key;
		pushed = 1;
	}
	w->in_auth = 0;
	walk_object(w, v, f->sub, AT(base, f->off, char));
	w->in_auth = in_auth;
	if (pushed)
		w->nrel--;
}

static void walk_field(walker *w, const dg_field *f, cJSON *v, void *base)
{
	switch (f->kind) {
	case DG_K_STRING: case DG_K_PATH: case DG_K_IGNORED: walk_string(w, f, v, base); break;
	case DG_K_BOOL: walk_bool(w, f, v, base); break;
	case DG_K_INT: case DG_K_NUMBER: walk_number(w, f, v, base); break;
	case DG_K_ENUM: case DG_K_ENUM_NAME: case DG_K_DIR_TYPE: case DG_K_METHOD:
		walk_enum(w, f, v, base);
		break;
	case DG_K_STRARR: case DG_K_ENUMARR: walk_array(w, f, v, base); break;
	case DG_K_SECRET: walk_secret(w, f, v, base); break;
	case DG_K_OBJECT: case DG_K_DIRECTORY: case DG_K_AUTH: walk_sub(w, f, v, base); break;
	}
}

static void missing(walker *w, const dg_field *f)
{
	size_t mark = path_push(w, f->key, 0);
	dg_finding *fd = finding(w, DGF_PROF005, "required field \"%s\" is missing", f->key);
	if (f->flags & DG_F_REQ_NOSNAP)
		dg_finding_hint(fd, "add %s (it may only be left out when directory.snapshot is set)",
				f->example ? f->example : f->key);
	else if (f->example)
		dg_finding_hint(fd, "add %s", f->example);
	path_pop(w, mark);
}

/* JSON has no comments: a key starting with "//" is one, in any object (its
 * value a string), so a profile can say what a field is (dirgate init). */
static const dg_field comment_field = { .key = "a \"//\" comment", .kind = DG_K_IGNORED };

static void walk_layers(walker *w, cJSON *obj, const struct layer *ls, size_t nl)
{
	unsigned long long seen[MAX_LAYERS] = { 0 };
	cJSON *m;
	cJSON_ArrayForEach(m, obj) {
		size_t l = 0;
		const dg_field *f = find_in_layers(ls, nl, m->string, &l);
		size_t mark = path_push(w, m->string, 0);
		unsigned long long bit = f ? 1ull << (f - ls[l].spec->fields) : 0;
		if (!strncmp(m->string, "//", 2)) {
			walk_field(w, &comment_field, m, ls[0].base);
		} else if (!f) {
			unknown_key(w, ls, nl, m->string);
		} else if (!(seen[l] & bit)) {
			/* a repeated key is PROF008 (from jsonpos); the first one counts */
			seen[l] |= bit;
			walk_field(w, f, m, ls[l].base);
		}
		path_pop(w, mark);
	}
	for (size_t l = 0; l < nl; l++)
		for (size_t i = 0; i < ls[l].spec->nr; i++) {
			unsigned fl = ls[l].spec->fields[i].flags;
			if (!(seen[l] & (1ull << i)) &&
			    ((fl & DG_F_REQ) || ((fl & DG_F_REQ_NOSNAP) && !w->has_snapshot)))
				missing(w, &ls[l].spec->fields[i]);
		}
	for (size_t l = 0; l < nl; l++)
		if (ls[l].spec->rules)
			ls[l].spec->rules(w, obj, ls[l].base);
}

static int given(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return v && !cJSON_IsNull(v);
}

int dg_profile_walker_has_snapshot(const dg_profile_walker *w)
{
	return w->has_snapshot;
}

dg_finding *dg_profile_walker_finding(dg_profile_walker *w, const char *key,
				      dg_finding_code code, const char *fmt, ...)
{
	size_t mark = path_push(w, key, 0);
	dg_finding *fd;
	va_list ap;
	va_start(ap, fmt);
	fd = vfinding(w, code, w->path.buf, fmt, ap);
	va_end(ap);
	path_pop(w, mark);
	return fd;
}

/* MailStore SPE addresses every directory call to one instance. */
static void target_rules(walker *w, const cJSON *obj, void *base)
{
	dg_target *t = base;
	dg_finding *fd;
	size_t mark;
	t->present = 1;
	if (t->product != DG_PRODUCT_SPE || given(obj, "instanceId"))
		return;
	mark = path_push(w, "instanceId", 0);
	fd = finding(w, DGF_PROF005, "required field \"instanceId\" is missing: "
		     "product \"spe\" needs the instance ID");
	dg_finding_hint(fd, "add \"instanceId\": "
			"\"<the instance ID shown in the SPE management console>\"");
	path_pop(w, mark);
}

/* ---- entry points ------------------------------------------------------------- */

static void profile_init(dg_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->sync.delete_users = -1;
	p->sync.min_users = -1;
	p->sync.max_deletes = -1;
	p->sync.max_drop_percent = -1;
	p->target.insecure = -1;
}

static void *opts_new(const dg_provider_dir *kind)
{
	void *opts = dg_xmalloc(kind->opts_size ? kind->opts_size : 1);
	memcpy(opts, kind->defaults, kind->opts_size);
	return opts;
}

/* ---- the registry's types and methods as enums ---------------------------------- */

static void enum_add(struct registry_enum *e, const char *name, const char *types,
		     const char *const *aliases)
{
	DG_ALLOC_GROW(e->vals, e->nr + 1, e->alloc);
	e->vals[e->nr] = (dg_enumval){ name, (int)e->nr, types };
	e->nr++;
	for (const char *const *a = aliases; a && *a; a++) {
		DG_ALLOC_GROW(e->aliases, e->nalias + 1, e->alias_alloc);
		e->aliases[e->nalias++] = (dg_enumalias){ *a, name, types };
	}
}

static void enum_finish(struct registry_enum *e)
{
	e->spec = (dg_enumspec){ e->vals, e->nr, e->aliases, e->nalias, 0 };
}

static void enum_release(struct registry_enum *e)
{
	free(e->vals);
	free(e->aliases);
}

static void walker_load_registry(walker *w)
{
	size_t nd = 0, nm = 0;
	for (const dg_provider *const *pp = dg_providers; *pp; pp++) {
		for (const dg_provider_dir *d = (*pp)->dirs; d->type; d++) {
			w->dirs = dg_xrealloc(w->dirs, (nd + 1) * sizeof(*w->dirs));
			w->dirs[nd++] = d;
			enum_add(&w->dir_enum, d->type, NULL, d->aliases);
		}
		for (const dg_provider_login *l = (*pp)->logins; l->method; l++) {
			w->logins = dg_xrealloc(w->logins, (nm + 1) * sizeof(*w->logins));
			w->logins[nm++] = l;
			enum_add(&w->method_enum, l->method, l->dir_types, l->aliases);
		}
	}
	enum_finish(&w->dir_enum);
	enum_finish(&w->method_enum);
}

static void walker_release(walker *w)
{
	free(w->dirs);
	free(w->logins);
	enum_release(&w->dir_enum);
	enum_release(&w->method_enum);
	dg_strbuf_release(&w->path);
}

/* The directory of `file`, absolute, for resolving relative paths. */
static char *profile_dir(const char *file)
{
	const char *slash = file ? strrchr(file, '/') : NULL;
	char *dir, *res, cwd[4096];
	if (!slash)
		dir = dg_xstrdup(".");
	else if (slash == file)
		dir = dg_xstrdup("/");
	else
		dir = dg_xstrndup(file, (size_t)(slash - file));
	if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		res = path_clean(dir);
	else {
		char *joined = dg_xasprintf("%s/%s", cwd, dir);
		res = path_clean(joined);
		free(joined);
	}
	free(dir);
	return res;
}

static void syntax_error(walker *w, const dg_jsonpos *ix)
{
	dg_finding *fd = dg_findings_add(w->out, DGF_PROF001, "", "%s", ix->err_message);
	dg_finding_locate(fd, w->file, ix->err_line, ix->err_column);
	dg_finding_hint(fd, "fix the JSON at line %d, column %d; JSON allows no comments, "
			"no trailing commas and only double-quoted strings",
			ix->err_line, ix->err_column);
}

static void report_dups(walker *w, const dg_jsonpos *ix)
{
	for (size_t i = 0; i < ix->ndups; i++) {
		const dg_jsonpos_dup *d = &ix->dups[i];
		const char *key = strrchr(d->pointer, '/');
		dg_finding *fd = dg_findings_add(w->out, DGF_PROF008, d->pointer,
						 "duplicate key \"%s\" (first at line %d, column %d)",
						 key ? key + 1 : d->pointer, d->first_line,
						 d->first_column);
		dg_finding_locate(fd, w->file, d->line, d->column);
		dg_finding_hint(fd, "remove one of them: JSON readers differ on which one wins");
	}
}

/* Type, method and snapshot decide what the rest may contain, so they are
 * read before the walk. */
static void prescan(walker *w, const cJSON *root)
{
	const cJSON *dir = cJSON_GetObjectItemCaseSensitive(root, "directory");
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(root, "authentication");
	const cJSON *v;
	const dg_enumval *ev;
	if (cJSON_IsObject(dir)) {
		v = cJSON_GetObjectItemCaseSensitive(dir, "type");
		if (cJSON_IsString(v) && (ev = enum_lookup(&w->dir_enum.spec, v->valuestring))) {
			w->kind = w->dirs[ev->value];
			w->p->directory.opts = opts_new(w->kind);
		}
		w->has_snapshot = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(dir, "snapshot"));
	}
	if (cJSON_IsObject(auth)) {
		v = cJSON_GetObjectItemCaseSensitive(auth, "method");
		if (cJSON_IsString(v) && (ev = enum_lookup(&w->method_enum.spec, v->valuestring)))
			w->login = w->logins[ev->value];
	}
}

static void walk_document(walker *w, cJSON *root)
{
	if (!cJSON_IsObject(root)) {
		dg_finding *fd = finding(w, DGF_PROF003,
					 "the profile must be a JSON object, found %s",
					 json_type_name(root));
		dg_finding_hint(fd, "start from one of the files in examples/");
		return;
	}
	prescan(w, root);
	walk_object(w, root, &top_spec, w->p);
}

dg_profile *dg_profile_parse(const char *text, size_t len, const char *file, dg_findings *out)
{
	dg_profile *p = dg_xmalloc(sizeof(*p));
	dg_jsonpos ix;
	walker w = { 0 };
	cJSON *root = NULL;
	profile_init(p);
	p->file = dg_xstrdup(file ? file : "<profile>");
	p->dir = profile_dir(file);
	w.file = p->file;
	w.pos = &ix;
	w.out = out;
	w.p = p;
	dg_strbuf_init(&w.path);
	walker_load_registry(&w);
	if (dg_jsonpos_index(&ix, text, len) < 0) {
		syntax_error(&w, &ix);
	} else if (!(root = cJSON_ParseWithLength(text + ix.bom, len - ix.bom))) {
		/* jsonpos accepted what cJSON did not: report where cJSON stopped */
		dg_finding *fd = dg_findings_add(out, DGF_PROF001, "",
						 "the JSON parser could not read the profile here");
		int line, col;
		dg_jsonpos_error_at(text, len, cJSON_GetErrorPtr(), &line, &col);
		dg_finding_locate(fd, w.file, line, col);
	} else {
		report_dups(&w, &ix);
		walk_document(&w, root);
	}
	/* Only a server whose deleteUsers is on deletes; the profile may not
	 * say (it keeps the server's setting then), so the limit is always on. */
	if (p->sync.max_deletes < 0) {
		p->sync.max_deletes = DG_SYNC_DEFAULT_MAX_DELETES;
		p->sync.max_deletes_defaulted = 1;
	}
	cJSON_Delete(root);
	dg_jsonpos_release(&ix);
	walker_release(&w);
	return p;
}

dg_profile *dg_profile_load(const char *path, dg_findings *out, dg_error *err)
{
	size_t len = 0;
	char *text = dg_read_file(path, MAX_PROFILE_BYTES, "profile", &len, err);
	dg_profile *p;
	if (!text)
		return NULL;
	p = dg_profile_parse(text, len, path, out);
	explicit_bzero(text, len); /* it may hold literal secrets */
	free(text);
	return p;
}

/* ---- freeing ------------------------------------------------------------------- */

static void secret_release(dg_secret_ref *r)
{
	if (r->ref) {
		explicit_bzero(r->ref, strlen(r->ref));
		free(r->ref);
	}
	free(r->path);
	memset(r, 0, sizeof(*r));
}

static void strarr_release(dg_strarr *a)
{
	for (size_t i = 0; i < a->nr; i++)
		free(a->items[i]);
	free(a->items);
	a->items = NULL;
	a->nr = 0;
}

static void free_strings(char **const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(*list[i]);
}

/* Frees what the fields of `spec` hold in `base`; a provider's options
 * are described by their table alone. */
static void objspec_release(const dg_objspec *spec, void *base)
{
	for (size_t i = 0; i < spec->nr; i++) {
		const dg_field *f = &spec->fields[i];
		switch (f->kind) {
		case DG_K_STRING: case DG_K_PATH: case DG_K_ENUM_NAME:
			free(*AT(base, f->off, char *));
			*AT(base, f->off, char *) = NULL;
			break;
		case DG_K_SECRET: secret_release(AT(base, f->off, dg_secret_ref)); break;
		case DG_K_STRARR: case DG_K_ENUMARR: strarr_release(AT(base, f->off, dg_strarr)); break;
		case DG_K_OBJECT: objspec_release(f->sub, AT(base, f->off, char)); break;
		default: break;
		}
	}
}

static void profile_release(dg_profile *p)
{
	dg_directory *d = &p->directory;
	dg_authentication *a = &p->auth;
	char **const strings[] = {
		&p->file, &p->dir, &p->name, &d->snapshot,
		&a->service_url, &a->client_id, &a->redirect_uri, &a->test_user, &a->tls.ca_file,
		&p->target.url, &p->target.instance_id, &p->target.user,
		&p->target.ca_file, &p->target.pin_sha256,
	};
	dg_secret_ref *const secrets[] = {
		&a->client_secret, &a->test_password, &p->target.password,
	};
	dg_strarr *const arrays[] = { &p->sync.default_privileges, &p->path_fields };
	if (d->kind && d->opts) {
		objspec_release(d->kind->spec, d->opts);
		free(d->opts);
	}
	free_strings(strings, DG_NELEM(strings));
	for (size_t i = 0; i < DG_NELEM(secrets); i++)
		secret_release(secrets[i]);
	for (size_t i = 0; i < DG_NELEM(arrays); i++)
		strarr_release(arrays[i]);
}

void dg_profile_free(dg_profile *p)
{
	if (!p)
		return;
	profile_release(p);
	free(p);
}

/* ---- queries ------------------------------------------------------------------- */

/* The secrets the fields of `spec` hold in `base`, appended to out[*n..max). */
static void objspec_secrets(const dg_objspec *spec, const void *base,
			    const dg_secret_ref **out, size_t max, size_t *n)
{
	for (size_t i = 0; spec && i < spec->nr; i++) {
		const dg_field *f = &spec->fields[i];
		const char *at = (const char *)base + f->off;
		if (f->kind == DG_K_OBJECT) {
			objspec_secrets(f->sub, at, out, max, n);
		} else if (f->kind == DG_K_SECRET &&
			   ((const dg_secret_ref *)(const void *)at)->kind != DG_SECRET_NONE) {
			if (out && *n < max)
				out[*n] = (const dg_secret_ref *)(const void *)at;
			(*n)++;
		}
	}
}

size_t dg_profile_secrets(const dg_profile *p, const dg_secret_ref **out, size_t max)
{
	const dg_secret_ref *const core[] = {
		&p->auth.client_secret, &p->auth.test_password, &p->target.password,
	};
	size_t n = 0;
	if (p->directory.kind && p->directory.opts)
		objspec_secrets(p->directory.kind->spec, p->directory.opts, out, max, &n);
	for (size_t i = 0; i < DG_NELEM(core); i++) {
		if (core[i]->kind == DG_SECRET_NONE)
			continue;
		if (out && n < max)
			out[n] = core[i];
		n++;
	}
	return n;
}

const dg_secret_ref *dg_profile_secret_at(const dg_profile *p, const char *path)
{
	const dg_secret_ref *refs[16];
	size_t n = dg_profile_secrets(p, refs, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		if (refs[i]->path && !strcmp(refs[i]->path, path))
			return refs[i];
	return NULL;
}

const char *dg_profile_dir_type(const dg_profile *p)
{
	return p->directory.kind ? p->directory.kind->type : "none";
}

const char *dg_profile_method(const dg_profile *p)
{
	return p->auth.method ? p->auth.method->method : "none";
}

int dg_profile_dir_is(const dg_profile *p, const char *type)
{
	return p->directory.kind && !strcmp(p->directory.kind->type, type);
}

int dg_profile_method_is(const dg_profile *p, const char *method)
{
	return p->auth.method && !strcmp(p->auth.method->method, method);
}

const void *dg_profile_dir_opts(const dg_profile *p, const dg_provider_dir *kind)
{
	if (p->directory.kind == kind && p->directory.opts)
		return p->directory.opts;
	return kind->defaults;
}

void *dg_profile_dir_set(dg_profile *p, const dg_provider_dir *kind)
{
	p->directory.kind = kind;
	p->directory.opts = opts_new(kind);
	return p->directory.opts;
}

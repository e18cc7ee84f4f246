/* The onboarding manifest: manifest.h. */
#include "manifest.h"

#include "../core/jsonexact.h"
#include "../core/profile.h"
#include "../core/readfile.h"
#include "../core/strbuf.h"
#include "../core/suggest.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A manifest is a few hundred kilobytes for thousands of tenants; this only
 * stops a wrong argument (a disk image) from being read. */
#define MAX_MANIFEST_BYTES (64u << 20)
#define MAX_ID 64

enum { LAYER_MANIFEST = 0, LAYER_CSV = 1 };

static const char *const top_keys[] = { "$schema", "version", "defaults", "templates",
					"onboard", "tenants" };
static const char *const tenant_keys[] = { "id", "template", "profile", "onboard" };

/* A finding about the manifest value at `pointer`. */
static dg_finding *at(const dg_manifest *m, dg_findings *out, dg_finding_code code,
		      const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static dg_finding *at(const dg_manifest *m, dg_findings *out, dg_finding_code code,
		      const char *pointer, const char *fmt, ...)
{
	dg_strbuf msg = DG_STRBUF_INIT;
	dg_finding *fd;
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	dg_strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fd = dg_findings_add(out, code, pointer, "%s", msg.buf);
	dg_strbuf_release(&msg);
	dg_jsonpos_locate(&m->pos, pointer, &line, &col);
	dg_finding_locate(fd, m->file, line, col);
	return fd;
}

static int key_known(const char *key, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return 1;
	return 0;
}

static void unknown_key(const dg_manifest *m, dg_findings *out, const char *base,
			const char *key, const char *const *keys, size_t n)
{
	dg_strbuf ptr = DG_STRBUF_INIT;
	const char *near = dg_suggest_closest(key, keys, n);
	dg_finding *fd;

	dg_strbuf_adds(&ptr, base);
	dg_json_pointer_add(&ptr, key);
	fd = at(m, out, DGF_FLEET001, ptr.buf, "unknown key \"%s\"", key);
	if (near)
		dg_finding_hint(fd, "did you mean \"%s\"?", near);
	else
		dg_finding_hint(fd, "docs/onboard.md lists the manifest's keys");
	dg_strbuf_release(&ptr);
}

int dg_tenant_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > MAX_ID || id[0] == '.' || id[0] == '-')
		return 0;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return 0;
	return 1;
}

/* Ids, uniqueness and templates, for inline and CSV tenants alike. */
static void check_tenant(dg_manifest *m, dg_tenant *t)
{
	dg_findings *out = &t->findings;
	const cJSON *templates = cJSON_GetObjectItemCaseSensitive(m->root, "templates");
	dg_strbuf ptr = DG_STRBUF_INIT;
	dg_finding *fd = NULL;

	dg_strbuf_adds(&ptr, t->src_pointer ? t->src_pointer : "");
	if (!dg_tenant_id_valid(t->id))
		fd = dg_findings_add(out, DGF_FLEET002, "",
				     "tenant id \"%.80s\" is not usable: 1 to %d letters, digits, "
				     "'-', '_' or '.', not starting with '.' or '-'", t->id, MAX_ID);
	for (size_t i = 0; !fd && i + 1 < m->nr; i++)
		if (!strcasecmp(m->tenants[i].id, t->id))
			fd = dg_findings_add(out, DGF_FLEET002, "",
					     "tenant id \"%s\" is given twice (ids name files, so "
					     "case does not count)", t->id);
	if (!fd && t->template_name &&
	    !cJSON_GetObjectItemCaseSensitive(templates, t->template_name)) {
		fd = dg_findings_add(out, DGF_FLEET003, "",
				     "tenant \"%s\" names template \"%s\", which /templates does "
				     "not define", t->id, t->template_name);
		dg_finding_hint(fd, "add it under \"templates\" or correct the name");
	}
	if (fd && t->csv_line) {
		dg_finding_locate(fd, m->csv_file, t->csv_line, 1);
	} else if (fd) {
		int line, col;
		dg_json_pointer_add(&ptr, fd->code[7] == '3' ? "template" : "id");
		free(fd->path);
		fd->path = dg_xstrdup(ptr.buf);
		dg_jsonpos_locate(&m->pos, ptr.buf, &line, &col);
		dg_finding_locate(fd, m->file, line, col);
	}
	dg_strbuf_release(&ptr);
}

#define N_TENANT_KEYS (sizeof(tenant_keys) / sizeof(tenant_keys[0]))
#define N_TOP_KEYS (sizeof(top_keys) / sizeof(top_keys[0]))

/* A number or boolean variable, as the text it is written as. */
static void add_scalar_var(cJSON *vars, const cJSON *v)
{
	char *text = dg_json_print_exact(v, 0);

	cJSON_AddStringToObject(vars, v->string, text ? text : "");
	cJSON_free(text);
}

static dg_tenant *new_tenant(dg_manifest *m, const char *id)
{
	dg_tenant *t;

	DG_ALLOC_GROW(m->tenants, m->nr + 1, m->alloc);
	t = &m->tenants[m->nr++];
	memset(t, 0, sizeof(*t));
	t->id = dg_xstrdup(id);
	t->index = m->nr - 1;
	t->vars = cJSON_CreateObject();
	cJSON_AddStringToObject(t->vars, "id", id);
	return t;
}

/* One inline tenant: {"id", "template"?, "profile"?, "onboard"?, FIELD: scalar...}. */
static void inline_tenant(dg_manifest *m, const cJSON *obj, size_t i, dg_findings *out)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id"), *v;
	char *base = dg_xasprintf("/tenants/%zu", i);
	dg_tenant *t;

	if (!cJSON_IsObject(obj) || !cJSON_IsString(id)) {
		dg_finding *fd = at(m, out, DGF_FLEET002,
				    base, "tenant %zu needs an \"id\" string", i);
		dg_finding_hint(fd, "e.g. {\"id\": \"acme\", \"template\": \"ad\"}");
		free(base);
		return;
	}
	t = new_tenant(m, id->valuestring);
	t->src_pointer = base;
	cJSON_ArrayForEach(v, obj) {
		char *ptr = dg_xasprintf("%s/%s", base, v->string);
		if (!strcmp(v->string, "template") && cJSON_IsString(v))
			t->template_name = dg_xstrdup(v->valuestring);
		else if (!strcmp(v->string, "profile") && cJSON_IsObject(v))
			t->profile = v;
		else if (!strcmp(v->string, "onboard") && cJSON_IsObject(v))
			t->onboard = v;
		else if (key_known(v->string, tenant_keys, N_TENANT_KEYS))
			(void)(strcmp(v->string, "id") &&
			       at(m, &t->findings, DGF_FLEET001, ptr, "\"%s\" has the wrong type",
				  v->string));
		else if (cJSON_IsString(v))
			cJSON_AddStringToObject(t->vars, v->string, v->valuestring);
		else if (cJSON_IsNumber(v) || cJSON_IsBool(v))
			add_scalar_var(t->vars, v);
		else
			dg_finding_hint(at(m, &t->findings, DGF_FLEET001,
					   ptr, "tenant field \"%s\" must be a "
					   "string, number or boolean (a variable)", v->string),
					"profile values go under \"profile\"");
		free(ptr);
	}
	check_tenant(m, t);
}

/* ---- CSV (RFC 4180: quoted fields, "" inside quotes, CRLF or LF) ---- */

/* Reads one record into `fields`; returns 0 at the end of the text, 1 for
 * a record, -1 for a quote that is never closed.  *line advances. */
static int csv_record(const char **pp, dg_strlist *fields, int *line)
{
	const char *p = *pp;
	dg_strbuf f = DG_STRBUF_INIT;

	dg_strlist_clear(fields);
	if (!*p)
		return 0;
	for (;;) {
		dg_strbuf_adds(&f, "");
		if (*p == '"') {
			for (p++;; p++) {
				if (!*p) {
					dg_strbuf_release(&f);
					return -1;
				}
				if (*p == '"' && p[1] == '"')
					dg_strbuf_addch(&f, *p++);
				else if (*p == '"')
					break;
				else {
					if (*p == '\n')
						(*line)++;
					dg_strbuf_addch(&f, *p);
				}
			}
			p++;
		}
		while (*p && *p != ',' && *p != '\n' && *p != '\r')
			dg_strbuf_addch(&f, *p++);
		dg_strlist_push_owned(fields, dg_strbuf_detach(&f));
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
		(*line)++;
		*pp = p;
		return 1;
	}
}

static void csv_fail(const dg_manifest *m, dg_findings *out, int line, const char *fmt,
		     const char *arg)
{
	dg_finding *fd = dg_findings_add(out, DGF_FLEET005, "/tenants/csv", fmt, arg);
	dg_finding_locate(fd, m->csv_file, line, 1);
	dg_finding_hint(fd, "the first line names the columns (id first; template and any "
			"variable after it), one tenant per line");
}

static int csv_column(const dg_strlist *header, const char *name)
{
	for (size_t i = 0; i < header->nr; i++)
		if (!strcmp(header->items[i], name))
			return (int)i;
	return -1;
}

static void csv_row(dg_manifest *m, const dg_strlist *header, const dg_strlist *row,
		    int line, dg_findings *out)
{
	int idcol = csv_column(header, "id"), tcol = csv_column(header, "template");
	dg_tenant *t;

	if (row->nr != header->nr) {
		dg_strbuf n = DG_STRBUF_INIT;
		dg_strbuf_addf(&n, "%zu fields where the header has %zu", row->nr, header->nr);
		csv_fail(m, out, line, "line has %s", n.buf);
		dg_strbuf_release(&n);
		return;
	}
	t = new_tenant(m, row->items[idcol]);
	t->csv_line = line;
	if (tcol >= 0 && *row->items[tcol])
		t->template_name = dg_xstrdup(row->items[tcol]);
	for (size_t i = 0; i < header->nr; i++)
		if ((int)i != idcol && (int)i != tcol)
			cJSON_AddStringToObject(t->vars, header->items[i], row->items[i]);
	check_tenant(m, t);
}

static void csv_tenants(dg_manifest *m, const char *name, dg_findings *out)
{
	dg_error err = { 0 };
	dg_strlist header = DG_STRLIST_INIT, row = DG_STRLIST_INIT;
	size_t len;
	char *text;
	const char *p;
	int line = 1, start, rc;

	m->csv_file = name[0] == '/' ? dg_xstrdup(name) : dg_xasprintf("%s/%s", m->dir, name);
	if (!(text = dg_read_file(m->csv_file, MAX_MANIFEST_BYTES, "tenants CSV file", &len,
				  &err))) {
		dg_finding_hint(at(m, out, DGF_FLEET005, "/tenants/csv", "%s", err.message),
				"a relative path is read from the manifest's directory");
		return;
	}
	p = text;
	if (!strncmp(p, "\xef\xbb\xbf", 3))
		p += 3;   /* spreadsheet programs write a BOM */
	if (csv_record(&p, &header, &line) != 1 || csv_column(&header, "id") < 0) {
		csv_fail(m, out, 1, "%s", "the header line has no \"id\" column");
		goto out;
	}
	for (;;) {
		start = line;
		if ((rc = csv_record(&p, &row, &line)) == 0)
			break;
		if (rc < 0) {
			csv_fail(m, out, start, "%s", "a quoted field is never closed");
			break;
		}
		if (row.nr == 1 && !*row.items[0])
			continue;   /* blank line */
		csv_row(m, &header, &row, start, out);
	}
out:
	dg_strlist_clear(&header);
	dg_strlist_clear(&row);
	free(text);
}

/* ---- the document ---- */

static int want_object(const dg_manifest *m, dg_findings *out, const char *key, int required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->root, key);
	char *ptr = dg_xasprintf("/%s", key);
	int ok = cJSON_IsObject(v) || (!v && !required);

	if (!ok)
		dg_finding_hint(at(m, out, DGF_FLEET001, v ? ptr : "",
				   v ? "\"%s\" must be an object" : "\"%s\" is missing", key),
				"docs/onboard.md shows a complete manifest");
	free(ptr);
	return ok && v;
}

static void check_templates(const dg_manifest *m, dg_findings *out)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(m->root, "templates"))
		if (!cJSON_IsObject(v)) {
			char *ptr = dg_xasprintf("/templates/%s", v->string);
			at(m, out, DGF_FLEET001,
			   ptr, "template \"%s\" must be an object (a partial "
			   "profile)", v->string);
			free(ptr);
		}
}

static void load_tenants(dg_manifest *m, dg_findings *out)
{
	const cJSON *tenants = cJSON_GetObjectItemCaseSensitive(m->root, "tenants"), *csv, *v;
	size_t i = 0;

	if (cJSON_IsArray(tenants)) {
		cJSON_ArrayForEach(v, tenants)
			inline_tenant(m, v, i++, out);
		return;
	}
	csv = cJSON_GetObjectItemCaseSensitive(tenants, "csv");
	if (cJSON_IsObject(tenants) && cJSON_IsString(csv) && cJSON_GetArraySize(tenants) == 1) {
		csv_tenants(m, csv->valuestring, out);
		return;
	}
	dg_finding_hint(at(m, out, DGF_FLEET001, tenants ? "/tenants" : "",
			   tenants ? "\"tenants\" must be a list of tenants or {\"csv\": FILE}"
				   : "\"tenants\" is missing"),
			"e.g. \"tenants\": [{\"id\": \"acme\"}] or {\"csv\": \"customers.csv\"}");
}

static void check_document(dg_manifest *m, dg_findings *out)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, m->root)
		if (!key_known(v->string, top_keys, N_TOP_KEYS))
			unknown_key(m, out, "", v->string, top_keys, N_TOP_KEYS);
	v = cJSON_GetObjectItemCaseSensitive(m->root, "version");
	if (v && !(cJSON_IsNumber(v) && v->valuedouble == 1))
		dg_finding_hint(at(m, out, DGF_FLEET001, "/version", "this dirgate reads manifest "
				   "version 1"), "write \"version\": 1");
	want_object(m, out, "defaults", 1);
	want_object(m, out, "onboard", 0);
	if (want_object(m, out, "templates", 0))
		check_templates(m, out);
	load_tenants(m, out);
}

static char *absolute_dir(const char *file)
{
	char real[PATH_MAX], *slash;

	if (!realpath(file, real))
		snprintf(real, sizeof(real), "%s", file);
	slash = strrchr(real, '/');
	if (slash == real)
		return dg_xstrdup("/");
	if (slash)
		*slash = '\0';
	return dg_xstrdup(slash ? real : ".");
}

dg_manifest *dg_manifest_load(const char *path, dg_findings *out, dg_error *err)
{
	dg_manifest *m;
	size_t len;
	char *text = dg_read_file(path, MAX_MANIFEST_BYTES, "manifest", &len, err);

	if (!text)
		return NULL;
	m = dg_xcalloc(1, sizeof(*m));
	m->file = dg_xstrdup(path);
	m->dir = absolute_dir(path);
	if (dg_jsonpos_index(&m->pos, text, len) < 0) {
		dg_finding *fd = dg_findings_add(out, DGF_FLEET001, "",
						 "the manifest is not valid JSON: %s",
						 m->pos.err_message);
		dg_finding_locate(fd, path, m->pos.err_line, m->pos.err_column);
	} else if (!(m->root = dg_json_parse_exact(text + m->pos.bom, len - m->pos.bom, NULL)) ||
		   !cJSON_IsObject(m->root)) {
		dg_finding_locate(dg_findings_add(out, DGF_FLEET001, "",
						  "the manifest must be a JSON object"), path, 1, 1);
	} else {
		for (size_t i = 0; i < m->pos.ndups; i++)
			dg_finding_hint(at(m, out, DGF_FLEET001, m->pos.dups[i].pointer,
					   "key given twice (first at line %d)",
					   m->pos.dups[i].first_line), "remove one of them");
		check_document(m, out);
	}
	free(text);
	return m;
}

void dg_manifest_free(dg_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nr; i++) {
		free(m->tenants[i].id);
		free(m->tenants[i].template_name);
		free(m->tenants[i].src_pointer);
		cJSON_Delete(m->tenants[i].vars);
		dg_findings_clear(&m->tenants[i].findings);
	}
	free(m->tenants);
	cJSON_Delete(m->root);
	dg_jsonpos_release(&m->pos);
	free(m->file);
	free(m->dir);
	free(m->csv_file);
	free(m);
}

/* ---- rendering ---- */

struct expand_ctx {
	const dg_manifest *m;
	const dg_tenant *t;
	const dg_provenance *prov;
	dg_findings *out;
	dg_strbuf ptr;
	int failed;
};

static const char *lookup_var(void *ctx, const char *name)
{
	const dg_tenant *t = ctx;
	const cJSON *v;

	if (strncmp(name, "tenant.", 7))
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(t->vars, name + 7);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Where the value at `pointer` of the rendered document was written. */
static void locate_value(const dg_manifest *m, const dg_tenant *t, const dg_provenance *prov,
			 const char *pointer, dg_finding *fd)
{
	const dg_prov_item *it = prov ? dg_provenance_find(prov, pointer) : NULL;
	int line, col;

	if (t->csv_line && !it) {
		dg_finding_locate(fd, m->csv_file, t->csv_line, 1);
		return;
	}
	dg_jsonpos_locate(&m->pos, it ? it->src_pointer : t->src_pointer, &line, &col);
	dg_finding_locate(fd, m->file, line, col);
}

static void expand_value(struct expand_ctx *x, cJSON *v)
{
	size_t mark = x->ptr.len, i = 0;
	dg_strbuf sb = DG_STRBUF_INIT;
	char *bad = NULL;
	cJSON *c;

	if (cJSON_IsString(v)) {
		if (dg_template_expand(v->valuestring, lookup_var, (void *)x->t, &sb, &bad)) {
			dg_finding *fd = dg_findings_add(
				x->out, DGF_FLEET004, x->ptr.buf,
				*bad ? "tenant \"%s\": unknown variable ${%s}"
				     : "tenant \"%s\": a \"${\" without its closing \"}\"%s",
				x->t->id, bad);
			dg_finding_hint(fd, "write ${tenant.id} or ${tenant.FIELD} with a FIELD the "
					"tenant gives (a key of its entry or a CSV column); $${ for "
					"a literal ${");
			locate_value(x->m, x->t, x->prov, x->ptr.buf, fd);
			x->failed = 1;
			free(bad);
		} else {
			cJSON_SetValuestring(v, sb.buf);
		}
		dg_strbuf_release(&sb);
		return;
	}
	cJSON_ArrayForEach(c, v) {
		if (cJSON_IsObject(v))
			dg_json_pointer_add(&x->ptr, c->string);
		else
			dg_json_pointer_add_index(&x->ptr, i++);
		expand_value(x, c);
		dg_strbuf_setlen(&x->ptr, mark);
	}
}

static int expand_all(const dg_manifest *m, const dg_tenant *t, const dg_provenance *prov,
		      cJSON *doc, dg_findings *out)
{
	struct expand_ctx x = { m, t, prov, out, DG_STRBUF_INIT, 0 };

	dg_strbuf_adds(&x.ptr, "");
	expand_value(&x, doc);
	dg_strbuf_release(&x.ptr);
	return x.failed ? -1 : 0;
}

/* The value at a JSON pointer (only object members: profile paths are). */
static cJSON *at_pointer(cJSON *doc, const char *pointer)
{
	dg_strbuf key = DG_STRBUF_INIT;
	const char *p = pointer;

	while (doc && *p == '/') {
		dg_strbuf_reset(&key);
		dg_strbuf_adds(&key, "");
		for (p++; *p && *p != '/'; p++) {
			if (*p == '~' && (p[1] == '0' || p[1] == '1'))
				dg_strbuf_addch(&key, *++p == '0' ? '~' : '/');
			else
				dg_strbuf_addch(&key, *p);
		}
		doc = cJSON_GetObjectItemCaseSensitive(doc, key.buf);
	}
	dg_strbuf_release(&key);
	return doc;
}

/* The loader resolves relative paths against the profile's directory; the
 * rendered profile lives elsewhere, so the paths it resolved (against the
 * manifest's directory) are written out absolute. */
/* A secret written in the manifest itself would be copied into every
 * rendered profile and artefact directory: refused (FLEET017). */
static int literal_secrets(const dg_manifest *m, const dg_tenant *t, const dg_provenance *prov,
			   const dg_profile *p, dg_findings *out)
{
	const dg_secret_ref *refs[16];
	size_t n = dg_profile_secrets(p, refs, 16);
	int found = 0;

	for (size_t i = 0; i < n && i < 16; i++) {
		if (refs[i]->kind != DG_SECRET_LITERAL)
			continue;
		/* the message names the field, never the value */
		dg_finding *fd = dg_findings_add(out, DGF_FLEET017, refs[i]->path,
						 "tenant \"%s\": the secret is written in the "
						 "manifest itself", t->id);
		dg_finding_hint(fd, "use {\"env\": \"NAME\"} or {\"file\": "
				"\"secrets/${tenant.id}/NAME\"}: a rendered profile holds the "
				"reference, never the secret");
		locate_value(m, t, prov, refs[i]->path, fd);
		found = 1;
	}
	return found ? -1 : 0;
}

static int absolute_paths(const dg_manifest *m, const dg_tenant *t, const dg_provenance *prov,
			  cJSON *doc, const char *text, dg_findings *out)
{
	dg_findings ignored = DG_FINDINGS_INIT;
	char *fake = dg_xasprintf("%s/manifest", m->dir);
	dg_profile *p = dg_profile_parse(text, strlen(text), fake, &ignored);
	int rc = literal_secrets(m, t, prov, p, out);

	for (size_t i = 0; i < p->path_fields.nr; i++) {
		cJSON *v = at_pointer(doc, p->path_fields.items[i]);
		if (cJSON_IsString(v) && v->valuestring[0] != '/') {
			char *abs = dg_xasprintf("%s/%s", m->dir, v->valuestring), real[PATH_MAX];
			/* "dir/../x" is shown shorter when it exists */
			cJSON_SetValuestring(v, realpath(abs, real) ? real : abs);
			free(abs);
		}
	}
	dg_profile_free(p);
	dg_findings_clear(&ignored);
	free(fake);
	return rc;
}

static void merge_layers(const dg_manifest *m, const dg_tenant *t, const char *key,
			 const cJSON *own, const char *own_key, cJSON *doc, dg_provenance *prov)
{
	const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(m->root, key);
	char *ptr;

	if (cJSON_IsObject(defaults)) {
		ptr = dg_xasprintf("/%s", key);
		dg_merge_patch(doc, defaults, LAYER_MANIFEST, ptr, prov);
		free(ptr);
	}
	if (!strcmp(key, "defaults") && t->template_name) {
		const cJSON *tpl = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(m->root, "templates"), t->template_name);
		dg_strbuf sb = DG_STRBUF_INIT;
		dg_strbuf_adds(&sb, "/templates");
		dg_json_pointer_add(&sb, t->template_name);
		if (cJSON_IsObject(tpl))
			dg_merge_patch(doc, tpl, LAYER_MANIFEST, sb.buf, prov);
		dg_strbuf_release(&sb);
	}
	if (own) {
		ptr = dg_xasprintf("%s/%s", t->src_pointer, own_key);
		dg_merge_patch(doc, own, LAYER_MANIFEST, ptr, prov);
		free(ptr);
	}
}

int dg_manifest_render(const dg_manifest *m, const dg_tenant *t, dg_rendered *r,
		       dg_findings *out)
{
	dg_provenance oprov = DG_PROVENANCE_INIT;
	cJSON *doc = cJSON_CreateObject();
	char *text;
	int rc;

	memset(r, 0, sizeof(*r));
	r->onboard = cJSON_CreateObject();
	merge_layers(m, t, "defaults", t->profile, "profile", doc, &r->prov);
	merge_layers(m, t, "onboard", t->onboard, "onboard", r->onboard, &oprov);
	if (!cJSON_GetObjectItemCaseSensitive(doc, "name"))
		cJSON_AddStringToObject(doc, "name", "${tenant.id}");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "$schema");
	rc = expand_all(m, t, &r->prov, doc, out) | expand_all(m, t, &oprov, r->onboard, out);
	dg_provenance_release(&oprov);
	if (!rc) {
		text = dg_json_print_exact(doc, 1);
		rc = absolute_paths(m, t, &r->prov, doc, text, out);
		explicit_bzero(text, strlen(text));
		cJSON_free(text);
	}
	if (!rc) {
		text = dg_json_print_exact(doc, 1);
		r->text = dg_xasprintf("%s\n", text);
		cJSON_free(text);
	}
	cJSON_Delete(doc);
	return rc;
}

void dg_rendered_release(dg_rendered *r)
{
	if (r->text) {
		explicit_bzero(r->text, strlen(r->text));   /* literal secrets, if any */
		free(r->text);
	}
	cJSON_Delete(r->onboard);
	dg_provenance_release(&r->prov);
	memset(r, 0, sizeof(*r));
}

void dg_manifest_relocate(const dg_manifest *m, const dg_tenant *t, const dg_rendered *r,
			  dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		locate_value(m, t, &r->prov, f->items[i].path ? f->items[i].path : "",
			     &f->items[i]);
}

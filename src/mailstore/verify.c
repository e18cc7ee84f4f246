/* Proof after a synchronisation: see verify.h. */
#include "verify.h"

#include "../core/output.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHOWN_PER_KIND 20   /* findings per kind of difference before a summary */

/* The profile fields whose MailStore keys decide each kind of difference. */
static const char *const selection_fields[] = {
	"/directory/type", "/directory/baseDn", "/directory/filters", "/directory/users/filter",
	"/directory/groups", NULL };
static const char *const name_fields[] = {
	"/directory/userNameFormat", "/directory/users/userNameAttribute",
	"/directory/users/localPartOnly", NULL };
static const char *const delete_fields[] = { "/sync/deleteUsers", NULL };
static const char *const fullname_fields[] = { "/directory/users/fullNameAttribute", NULL };
static const char *const email_fields[] = { "/directory/users/emailAttribute", NULL };

typedef struct cause_ctx {
	const dg_profile *p;
	const dg_tmap *map;
	const cJSON *profile_json;
	const dg_plan *plan;
} cause_ctx;

static int under(const char *ptr, const char *const *fields)
{
	for (; *fields; fields++) {
		size_t n = strlen(*fields);
		if (!strncmp(ptr, *fields, n) && (ptr[n] == '\0' || ptr[n] == '/'))
			return 1;
	}
	return 0;
}

static int applies(const dg_tmap_entry *e, const dg_profile *p)
{
	return !e->types.nr || dg_strlist_contains_ci(&e->types, dg_profile_dir_type(p));
}

static const dg_cfg_change *changed_key(const dg_plan *plan, const char *config)
{
	for (size_t i = 0; i < plan->config.nr; i++)
		if (!strcmp(plan->config.items[i].config, config))
			return &plan->config.items[i];
	return NULL;
}

static void add_value(dg_strbuf *sb, const cJSON *v)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;

	dg_strbuf_adds(sb, s ? s : "nothing");
	cJSON_free(s);
}

/* "likely cause: ..." for a difference governed by `fields`: first the
 * keys the server does not hold as the profile sets them (it ignored or
 * dropped them), then the assumed keys among those the profile sets. */
static char *likely_cause(const cause_ctx *cx, const char *const *fields)
{
	dg_strbuf ignored = DG_STRBUF_INIT, assumed = DG_STRBUF_INIT;
	char *out;

	for (size_t i = 0; i < cx->map->nr; i++) {
		const dg_tmap_entry *e = &cx->map->items[i];
		const dg_cfg_change *ch;
		if (!under(e->profile, fields) || !applies(e, cx->p) ||
		    !dg_json_pointer_get(cx->profile_json, e->profile))
			continue;
		if ((ch = changed_key(cx->plan, e->config)) && !ch->secret) {
			dg_strbuf_addf(&ignored, "%sthe server holds ", ignored.len ? "; " : "");
			add_value(&ignored, ch->before);
			dg_strbuf_addf(&ignored, " at %s (key %s, %s) where the profile's %s is ",
				       e->config, e->config, e->status, e->profile);
			add_value(&ignored, ch->after);
			dg_strbuf_adds(&ignored, ": the server ignored or dropped the key");
		} else if (!strcmp(e->status, "assumed")) {
			dg_strbuf_addf(&assumed, "%s%s (for %s)", assumed.len ? ", " : "", e->config,
				       e->profile);
		}
	}
	if (ignored.len)
		out = dg_xasprintf("likely cause: %s", ignored.buf);
	else if (assumed.len)
		out = dg_xasprintf("likely cause: a key marked \"assumed\" in "
				   "schemas/mailstore/directory-services.json that the server "
				   "does not act on as dirgate thinks: %s", assumed.buf);
	else
		out = dg_xstrdup("no key of the target map explains it: the directory may have "
				 "changed since the synchronisation");
	dg_strbuf_release(&ignored);
	dg_strbuf_release(&assumed);
	return out;
}

/* One finding per difference up to SHOWN_PER_KIND, then one that counts
 * the rest. */
typedef struct kind {
	dg_finding_code code;
	const char *const *fields;
	size_t n;
	char *cause;
} kind;

static dg_finding *report(dg_verify *v, kind *k, const cause_ctx *cx, const char *what)
{
	dg_finding *fd;

	if (!k->cause)
		k->cause = likely_cause(cx, k->fields);
	if (++k->n > SHOWN_PER_KIND)
		return NULL;
	fd = dg_findings_add(&v->findings, k->code, "/directory", "%s; %s", what,
			     k->cause);
	return fd;
}

static void report_rest(dg_verify *v, kind *k)
{
	if (k->n > SHOWN_PER_KIND)
		dg_findings_add(&v->findings, k->code, "/directory", "and %zu more like "
				"the above; %s", k->n - SHOWN_PER_KIND, k->cause);
	free(k->cause);
}

static void differs(dg_verify *v, kind *k, const cause_ctx *cx, const dg_plan_item *it,
		    unsigned which, const char *what)
{
	char *msg;

	if (!(it->changed & which))
		return;
	msg = dg_xasprintf("MailStore user '%s' has another %s than the preview predicted",
			   it->dir->user_name, what);
	dg_finding *fd = report(v, k, cx, msg);

	if (fd)
		dg_finding_hint(fd, "'dirgate plan %s' shows both values; confirm the key with "
				"'dirgate pull'", cx->p->file);
	free(msg);
}

static void item_findings(dg_verify *v, const cause_ctx *cx, const dg_plan_item *it, kind *ks)
{
	dg_finding *fd;
	char *msg;

	switch (it->action) {
	case DG_ACT_CREATE:
		v->missing++;
		msg = dg_xasprintf("the preview expected MailStore user '%s' (%s), which MailStore "
				   "does not have", it->dir->user_name, it->dir->entry);
		if ((fd = report(v, &ks[0], cx, msg)))
			dg_finding_hint(fd, "compare the server's directory-services settings "
					"('dirgate pull') with the profile");
		free(msg);
		break;
	case DG_ACT_RENAME:
		v->renamed++;
		msg = dg_xasprintf("the preview expected '%s', but MailStore has the user (same "
				   "%s) as '%s'", it->dir->user_name, it->match,
				   it->srv->user_name);
		if ((fd = report(v, &ks[1], cx, msg)))
			dg_finding_hint(fd, "the server names users another way than the profile "
					"says; compare the user-name settings with 'dirgate pull'");
		free(msg);
		break;
	case DG_ACT_UPDATE:
		v->differing++;
		differs(v, &ks[2], cx, it, DG_CHG_FULLNAME, "full name");
		differs(v, &ks[3], cx, it, DG_CHG_EMAILS, "set of e-mail addresses");
		differs(v, &ks[4], cx, it, DG_CHG_DN, "distinguished name");
		break;
	case DG_ACT_UNCHANGED:
		v->matched++;
		break;
	default:
		break;
	}
}

/* Directory-services users no preview user accounts for. */
static void unexpected_users(dg_verify *v, const cause_ctx *cx, const dg_plan *plan,
			     const dg_srv_state *st, kind *k)
{
	unsigned char *seen = dg_xcalloc(st->nusers ? st->nusers : 1, 1);

	for (size_t i = 0; i < plan->nr; i++)
		if (plan->items[i].srv && plan->items[i].action != DG_ACT_DELETE)
			seen[plan->items[i].srv - st->users] = 1;
	for (size_t i = 0; i < st->nusers; i++) {
		dg_finding *fd;
		char *msg;
		if (seen[i] || !st->users[i].directory)
			continue;
		v->unexpected++;
		msg = dg_xasprintf("MailStore has directory-services user '%s', which the preview "
				   "does not predict", st->users[i].user_name);
		if ((fd = report(v, k, cx, msg)))
			dg_finding_hint(fd, cx->p->sync.delete_users == 1
					? "sync.deleteUsers is on, so synchronisation should have "
					  "deleted it"
					: "a user from an earlier synchronisation stays while "
					  "sync.deleteUsers is off; otherwise the server selects "
					  "more than the profile says");
		free(msg);
	}
	free(seen);
}

void dg_verify_build(const dg_profile *p, const dg_tmap *map, const cJSON *profile_json,
		     dg_plan *plan, const dg_srv_state *st, dg_verify *out)
{
	cause_ctx cx = { p, map, profile_json, plan };
	kind ks[6] = {
		{ DGF_API040, selection_fields, 0, NULL },
		{ DGF_API043, name_fields, 0, NULL },
		{ DGF_API042, fullname_fields, 0, NULL },
		{ DGF_API042, email_fields, 0, NULL },
		{ DGF_API042, selection_fields, 0, NULL },
		{ p->sync.delete_users == 1 ? DGF_API045 : DGF_API041,
		  p->sync.delete_users == 1 ? delete_fields : selection_fields, 0, NULL },
	};

	memset(out, 0, sizeof(*out));
	out->expected = plan->preview_users;
	dg_findings_move(&out->findings, &plan->findings);
	for (size_t i = 0; i < plan->nr; i++)
		item_findings(out, &cx, &plan->items[i], ks);
	unexpected_users(out, &cx, plan, st, &ks[5]);
	for (int k = 0; k < 6; k++)
		report_rest(out, &ks[k]);
	if (!out->missing && !out->renamed && !out->differing && !out->unexpected)
		dg_findings_add(&out->findings, DGF_API044, "/directory",
				"MailStore's users match the preview: %zu directory user%s as "
				"predicted", out->matched, out->matched == 1 ? "" : "s");
}

void dg_verify_release(dg_verify *v)
{
	dg_findings_clear(&v->findings);
	memset(v, 0, sizeof(*v));
}

void dg_verify_text(dg_strbuf *out, const dg_verify *v, const dg_profile *p, int color)
{
	dg_strbuf_addf(out, "verify %s against %s: %zu users expected, %zu as predicted, %zu "
		       "missing, %zu under another name, %zu with other values, %zu not "
		       "predicted\n", p->name ? p->name : "?",
		       p->target.url ? p->target.url : "?", v->expected, v->matched, v->missing,
		       v->renamed, v->differing, v->unexpected);
	if (v->findings.nr) {
		dg_strbuf_addch(out, '\n');
		dg_output_findings_text(out, &v->findings, color);
	}
}

void dg_verify_json(dg_strbuf *out, const dg_verify *v, const dg_profile *p)
{
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD "\"profile\":");
	dg_strbuf_add_json_str(out, p->name ? p->name : "");
	dg_strbuf_addf(out, ",\"complete\":%s,\"summary\":{\"expected\":%zu,\"matched\":%zu,"
		       "\"missing\":%zu,\"renamed\":%zu,\"differing\":%zu,\"unexpected\":%zu},"
		       "\"findings\":", dg_findings_incomplete(&v->findings) ? "false" : "true",
		       v->expected, v->matched, v->missing, v->renamed, v->differing,
		       v->unexpected);
	dg_output_findings_json_array(out, &v->findings);
	dg_strbuf_adds(out, "}\n");
}

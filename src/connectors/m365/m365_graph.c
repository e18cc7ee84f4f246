/* Microsoft Graph answers, parsed (m365_graph.h). */
#include "m365_graph.h"

#include "../../core/jsonstream.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int dg_graph_check_page(const cJSON *root, dg_graph_page *pg, char *why, size_t whylen)
{
	const cJSON *next;

	memset(pg, 0, sizeof *pg);
	pg->value = cJSON_GetObjectItemCaseSensitive(root, "value");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(pg->value)) {
		snprintf(why, whylen, "JSON without a \"value\" array");
		return -1;
	}
	next = cJSON_GetObjectItemCaseSensitive(root, "@odata.nextLink");
	if (next && !cJSON_IsNull(next)) {
		if (!cJSON_IsString(next) || strncmp(next->valuestring, "https://", 8)) {
			snprintf(why, whylen, "\"@odata.nextLink\" is not an https URL");
			return -1;
		}
		pg->next_link = next->valuestring;
	}
	return 0;
}

int dg_graph_parse_page(const char *body, size_t len, dg_graph_page *pg, char *why,
			size_t whylen)
{
	cJSON *root = cJSON_ParseWithLength(body ? body : "", len);

	memset(pg, 0, sizeof *pg);
	if (!root) {
		snprintf(why, whylen, "not valid JSON (%zu bytes, cut off or not JSON)", len);
		return -1;
	}
	if (dg_graph_check_page(root, pg, why, whylen) < 0) {
		cJSON_Delete(root);
		memset(pg, 0, sizeof *pg);
		return -1;
	}
	pg->root = root;
	return 0;
}

void dg_graph_page_free(dg_graph_page *pg)
{
	cJSON_Delete(pg->root);
	memset(pg, 0, sizeof *pg);
}

static void copy_str(char *dst, size_t n, const cJSON *v)
{
	snprintf(dst, n, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int dg_graph_parse_error(const char *body, size_t len, char *code, size_t codelen,
			 char *msg, size_t msglen)
{
	cJSON *root = cJSON_ParseWithLength(body ? body : "", len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	int rc = cJSON_IsObject(e) ? 0 : -1;

	copy_str(code, codelen, cJSON_GetObjectItemCaseSensitive(e, "code"));
	copy_str(msg, msglen, cJSON_GetObjectItemCaseSensitive(e, "message"));
	cJSON_Delete(root);
	return rc;
}

void dg_graph_odata_quote(dg_strbuf *sb, const char *s)
{
	dg_strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			dg_strbuf_addch(sb, '\'');
		dg_strbuf_addch(sb, *s);
	}
	dg_strbuf_addch(sb, '\'');
}

/* ---- /users pages as a stream ------------------------------------------------
 *
 * Paths: the page object (depth 0) -> "value" array (1) -> one user object
 * (2) -> its members (3) -> proxyAddresses items / assignedPlans objects (4)
 * -> a plan's members (5). */

enum user_field { F_ID, F_UPN, F_NAME, F_MAIL, F_PROXY, F_ENABLED, F_PLANS, F_COUNT };
#define KEY(name) { name, sizeof(name) - 1 }
static const struct user_key { const char *name; size_t len; } user_keys[F_COUNT] = {
	KEY("id"), KEY("userPrincipalName"), KEY("displayName"), KEY("mail"),
	KEY("proxyAddresses"), KEY("accountEnabled"), KEY("assignedPlans"),
};
#define NO_TEXT ((size_t)-1)

/* The user object being read: its strings back to back in `text`. */
typedef struct graph_user_draft {
	int active;                    /* inside an element that is an object */
	unsigned seen;                 /* bit per user_field: first occurrence taken */
	size_t str[F_MAIL + 1];        /* offsets of id, upn, name, mail or NO_TEXT */
	size_t *proxy;                 /* offsets of proxyAddresses items */
	size_t nproxy, aproxy;
	int enabled, plans;            /* -1 unknown; plans: 1 licensed, 0 not */
	unsigned plan_seen;            /* bit 0 service, bit 1 capabilityStatus */
	int plan_service;              /* the current plan is Exchange's */
	int plan_status;               /* its capabilityStatus: 1 Enabled, 2 Warning */
	int grace;                     /* an Exchange plan in its grace period */
	int collecting;                /* F_PROXY / F_PLANS: inside that first array */
	dg_strbuf text;
} graph_user_draft;

struct dg_graph_users_reader {
	dg_jsonstream *js;
	dg_dir_user_list *list;
	dg_graph_user_fn fn;
	void *ctx;
	int root_object, value_seen, in_value, next_seen;
	size_t entries;
	size_t grace;                  /* users licensed only in the grace period */
	dg_strlist grace_names;        /* the first few of them */
	char *next_link;
	const char *refusal;           /* why the page's shape is wrong */
	graph_user_draft u;
};

static void draft_begin(graph_user_draft *d)
{
	d->active = 1;
	d->seen = 0;
	for (size_t i = 0; i <= F_MAIL; i++)
		d->str[i] = NO_TEXT;
	d->nproxy = 0;
	d->collecting = -1;
	d->enabled = d->plans = -1;
	d->grace = 0;
	dg_strbuf_reset(&d->text);
}

static char *draft_str(dg_dir_user_list *l, const graph_user_draft *d, enum user_field f)
{
	const char *s = d->str[f] == NO_TEXT ? NULL : d->text.buf + d->str[f];
	if (!s)
		return NULL;
	return l->arena ? dg_arena_strdup(l->arena, s) : dg_xstrdup(s);
}

static void push_text(dg_dir_user_list *l, dg_strlist *dst, const char *s)
{
	if (!*s)
		return;
	if (l->arena)
		dg_strlist_push_arena(dst, l->arena, s, strlen(s));
	else
		dg_strlist_push(dst, s);
}

/* The element ended: a record when it had a non-empty string id. */
static void draft_commit(dg_graph_users_reader *r)
{
	graph_user_draft *d = &r->u;
	dg_dir_user_list *l = r->list;
	dg_dir_user *u;

	d->active = 0;
	if (d->str[F_ID] == NO_TEXT || !d->text.buf[d->str[F_ID]])
		return;
	u = dg_dir_user_list_add(l, d->text.buf + d->str[F_ID]);
	u->name_value = draft_str(l, d, F_UPN);
	u->full_name = draft_str(l, d, F_NAME);
	if (d->str[F_MAIL] != NO_TEXT)
		push_text(l, &u->mails, d->text.buf + d->str[F_MAIL]);
	for (size_t i = 0; i < d->nproxy; i++)
		push_text(l, &u->proxy_addresses, d->text.buf + d->proxy[i]);
	u->disabled = d->enabled < 0 ? -1 : !d->enabled;
	u->exchange = d->plans;
	u->archived = 0;
	if (d->plans == 0 && d->grace && r->grace++ < DG_GRAPH_GRACE_NAMES)
		dg_strlist_push(&r->grace_names, u->name_value ? u->name_value : u->entry);
	if (r->fn)
		r->fn(r->ctx, u);
}

/* Called for every member of every user: lengths first, the text only
 * when they match. */
static int field_of(const char *key)
{
	size_t n = strlen(key);
	for (int f = 0; f < F_COUNT; f++)
		if (user_keys[f].len == n && !memcmp(key, user_keys[f].name, n))
			return f;
	return -1;
}

/* A value directly in the user object (depth 3). */
static void user_member(graph_user_draft *d, const char *key, const dg_js_event *ev)
{
	int f;
	if (ev->type == DG_JS_ARRAY_END || ev->type == DG_JS_OBJECT_END) {
		d->collecting = -1;  /* the array (or object) in this member ended */
		return;
	}
	f = field_of(key);
	if (f < 0 || (d->seen & (1u << f)))
		return;
	d->seen |= 1u << f;
	if (f <= F_MAIL && ev->type == DG_JS_STRING) {
		d->str[f] = dg_js_keep_str(&d->text, ev);
	} else if (f == F_ENABLED && ev->type == DG_JS_BOOL) {
		d->enabled = ev->boolean;
	} else if ((f == F_PROXY || f == F_PLANS) && ev->type == DG_JS_ARRAY_START) {
		d->collecting = f;
		if (f == F_PLANS)
			d->plans = 0;
	}
}

/* A proxyAddresses item (depth 4): non-empty strings are kept. */
static void proxy_item(graph_user_draft *d, const dg_js_event *ev)
{
	if (ev->type != DG_JS_STRING || !dg_js_cstr_len(ev))
		return;
	DG_ALLOC_GROW(d->proxy, d->nproxy + 1, d->aproxy);
	d->proxy[d->nproxy++] = dg_js_keep_str(&d->text, ev);
}

/* assignedPlans: a plan object starts or ends (depth 4), or one of its
 * members (depth 5).  Licensed when a plan of service "exchange" (any
 * case) has capabilityStatus "Enabled"; a plan in "Warning" (the grace
 * period) does not license, but its user is counted: MailStore's rule for
 * those is not documented, so the preview names them. */
static void plan_event(graph_user_draft *d, const dg_jsonstream *js, const dg_js_event *ev)
{
	size_t depth = dg_jsonstream_depth(js);
	const char *key;
	unsigned bit;
	int match;

	if (depth == 4) {
		if (ev->type == DG_JS_OBJECT_START)
			d->plan_seen = 0, d->plan_service = d->plan_status = 0;
		else if (ev->type == DG_JS_OBJECT_END && d->plan_service && d->plan_status == 1)
			d->plans = 1;
		else if (ev->type == DG_JS_OBJECT_END && d->plan_service && d->plan_status == 2)
			d->grace = 1;
		return;
	}
	if (depth != 5 || dg_jsonstream_frame(js, 4)->is_array)
		return;
	key = dg_jsonstream_frame(js, 4)->key;
	bit = !strcmp(key, "service") ? 1 : !strcmp(key, "capabilityStatus") ? 2 : 0;
	if (!bit || (d->plan_seen & bit))
		return;
	d->plan_seen |= bit;
	match = ev->type == DG_JS_STRING && dg_js_cstr_len(ev) == ev->len;
	if (bit == 1)
		d->plan_service = match && ev->len == 8 && !strncasecmp(ev->str, "exchange", 8);
	else if (match && ev->len == 7 && !memcmp(ev->str, "Enabled", 7))
		d->plan_status = 1;
	else if (match && ev->len == 7 && !memcmp(ev->str, "Warning", 7))
		d->plan_status = 2;
}

/* An event inside one element of "value" (depth >= 2). */
static void element_event(dg_graph_users_reader *r, const dg_jsonstream *js,
			  const dg_js_event *ev)
{
	graph_user_draft *d = &r->u;
	size_t depth = dg_jsonstream_depth(js);

	if (depth == 2) {  /* the element itself */
		if (ev->type == DG_JS_OBJECT_START) {
			draft_begin(d);
		} else if (ev->type != DG_JS_ARRAY_START) {
			r->entries++;  /* an object, or a value that is no user */
			if (ev->type == DG_JS_OBJECT_END)
				draft_commit(r);
		}
		return;
	}
	if (!d->active)
		return;  /* inside an element that is an array */
	if (depth == 3)
		user_member(d, dg_jsonstream_frame(js, 2)->key, ev);
	else if (depth == 4 && d->collecting == F_PROXY)
		proxy_item(d, ev);
	else if (d->collecting == F_PLANS)
		plan_event(d, js, ev);
}

static int refuse(dg_graph_users_reader *r, const char *why)
{
	r->refusal = why;
	return -1;
}

/* A member of the page object (depth 1): "value" and "@odata.nextLink". */
static int page_member(dg_graph_users_reader *r, const char *key, const dg_js_event *ev)
{
	if (ev->type == DG_JS_ARRAY_END || ev->type == DG_JS_OBJECT_END) {
		r->in_value = 0;
		return 0;
	}
	if (!strcmp(key, "value") && !r->value_seen) {
		r->value_seen = 1;
		if (ev->type != DG_JS_ARRAY_START)
			return refuse(r, "JSON without a \"value\" array");
		r->in_value = 1;
	} else if (!strcmp(key, "@odata.nextLink") && !r->next_seen) {
		r->next_seen = 1;
		if (ev->type == DG_JS_NULL)
			return 0;
		if (ev->type != DG_JS_STRING || dg_js_cstr_len(ev) != ev->len ||
		    ev->len < 8 || memcmp(ev->str, "https://", 8))
			return refuse(r, "\"@odata.nextLink\" is not an https URL");
		r->next_link = dg_xstrndup(ev->str, ev->len);
	}
	return 0;
}

static int users_event(void *ctx, const dg_jsonstream *js, const dg_js_event *ev)
{
	dg_graph_users_reader *r = ctx;
	size_t depth = dg_jsonstream_depth(js);

	if (depth == 0) {
		if (ev->type != DG_JS_OBJECT_START && ev->type != DG_JS_OBJECT_END)
			return refuse(r, "JSON without a \"value\" array");
		r->root_object = 1;
		return 0;
	}
	if (depth == 1)
		return page_member(r, dg_jsonstream_frame(js, 0)->key, ev);
	if (r->in_value)
		element_event(r, js, ev);
	return 0;
}

dg_graph_users_reader *dg_graph_users_reader_new(dg_dir_user_list *l, dg_graph_user_fn fn,
						 void *ctx)
{
	dg_graph_users_reader *r = dg_xcalloc(1, sizeof *r);
	r->list = l;
	r->fn = fn;
	r->ctx = ctx;
	r->js = dg_jsonstream_new(users_event, r);
	dg_strbuf_init(&r->u.text);
	return r;
}

void dg_graph_users_reader_free(dg_graph_users_reader *r)
{
	if (!r)
		return;
	dg_jsonstream_free(r->js);
	dg_strlist_clear(&r->grace_names);
	free(r->next_link);
	free(r->u.proxy);
	dg_strbuf_release(&r->u.text);
	free(r);
}

/* The page's own reason when the reader stopped, else the syntax error. */
static int users_failed(dg_graph_users_reader *r, dg_strbuf *why)
{
	if (r->refusal) {
		dg_strbuf_reset(why);
		dg_strbuf_adds(why, r->refusal);
	}
	return -1;
}

int dg_graph_users_feed(dg_graph_users_reader *r, const char *buf, size_t len, dg_strbuf *why)
{
	if (dg_jsonstream_feed(r->js, buf, len, why) < 0)
		return users_failed(r, why);
	return 0;
}

int dg_graph_users_finish(dg_graph_users_reader *r, dg_strbuf *why)
{
	if (dg_jsonstream_finish(r->js, why) < 0)
		return users_failed(r, why);
	if (!r->root_object || !r->value_seen) {
		dg_strbuf_adds(why, "JSON without a \"value\" array");
		return -1;
	}
	return 0;
}

const char *dg_graph_users_next_link(const dg_graph_users_reader *r)
{
	return r->next_link;
}

size_t dg_graph_users_entries(const dg_graph_users_reader *r)
{
	return r->entries;
}

size_t dg_graph_users_grace(const dg_graph_users_reader *r, const dg_strlist **names)
{
	*names = &r->grace_names;
	return r->grace;
}

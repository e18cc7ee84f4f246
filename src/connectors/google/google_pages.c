/* Google Workspace Admin SDK pages -> directory users (see google_pages.h). */
#include "google_pages.h"

#include "../../core/jsonpos.h"
#include "../../core/jsonstream.h"
#include "../../core/sorted.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void dg_google_feed_init(dg_google_feed *f, const dg_strarr *groups, dg_dir_user_list *users)
{
	memset(f, 0, sizeof(*f));
	f->users = users;
	f->ngroups = groups ? groups->nr : 0;
	f->groups = f->ngroups ? dg_xcalloc(f->ngroups, sizeof(*f->groups)) : NULL;
	for (size_t i = 0; i < f->ngroups; i++)
		f->groups[i].selection = groups->items[i];
}

void dg_google_feed_release(dg_google_feed *f)
{
	for (size_t i = 0; i < f->ngroups; i++) {
		free(f->groups[i].email);
		free(f->groups[i].name);
		free(f->groups[i].id);
	}
	free(f->groups);
	for (size_t i = 0; i < f->nmembers; i++)
		free(f->members[i].key);
	free(f->members);
	dg_strlist_clear(&f->suspended_names);
	dg_strlist_clear(&f->archived_names);
	free(f->first_user_id);
	memset(f, 0, sizeof(*f));
}

cJSON *dg_google_parse_object(const char *text, size_t len, dg_strbuf *why)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	int line, col;

	if (!root) {
		dg_jsonpos_error_at(text, len, cJSON_GetErrorPtr(), &line, &col);
		dg_strbuf_addf(why, "not valid JSON (syntax error at line %d, column %d)", line, col);
		return NULL;
	}
	for (; end && end < text + len; end++) {
		if (*end != ' ' && *end != '\n' && *end != '\r' && *end != '\t') {
			dg_strbuf_adds(why, "not valid JSON (text after the end of the object)");
			cJSON_Delete(root);
			return NULL;
		}
	}
	if (!cJSON_IsObject(root)) {
		dg_strbuf_adds(why, "the answer is JSON but not an object");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* A string member, or NULL when absent; -1 when present with another type. */
static int opt_string(const cJSON *obj, const char *key, const char **out, dg_strbuf *why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v)) {
		dg_strbuf_addf(why, "\"%s\" is not a string", key);
		return -1;
	}
	*out = v->valuestring;
	return 0;
}

/* An array member (NULL when absent; a page may leave out an empty list). */
static int opt_array(const cJSON *obj, const char *key, const cJSON **out, dg_strbuf *why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v)) {
		dg_strbuf_addf(why, "\"%s\" is not an array", key);
		return -1;
	}
	*out = v;
	return 0;
}

static int next_token(const cJSON *page, char **next, dg_strbuf *why)
{
	const char *tok;
	if (next)
		*next = NULL;
	if (opt_string(page, "nextPageToken", &tok, why) < 0)
		return -1;
	if (next && tok && *tok)
		*next = dg_xstrdup(tok);
	return 0;
}

/* -- group lookups -- */

static int alias_matches(const cJSON *g, const char *sel)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(g, "aliases"), *it;
	cJSON_ArrayForEach(it, a)
		if (cJSON_IsString(it) && !strcasecmp(it->valuestring, sel))
			return 1;
	return 0;
}

static int group_matches(const cJSON *g, const char *sel, const char *email, const char *name)
{
	if (strchr(sel, '@'))
		return (email && !strcasecmp(email, sel)) || alias_matches(g, sel);
	return name && !strcasecmp(name, sel);
}

static int feed_group(dg_google_group *grp, const cJSON *g, size_t i, dg_strbuf *why)
{
	const char *email, *name, *id;
	if (!cJSON_IsObject(g)) {
		dg_strbuf_addf(why, "group %zu is not an object", i + 1);
		return -1;
	}
	if (opt_string(g, "email", &email, why) < 0 || opt_string(g, "name", &name, why) < 0 ||
	    opt_string(g, "id", &id, why) < 0)
		return -1;
	if (!email) {
		dg_strbuf_addf(why, "group %zu has no \"email\"", i + 1);
		return -1;
	}
	if (!group_matches(g, grp->selection, email, name))
		return 0; /* a prefix or fuzzy hit of the search, not the group named */
	if (grp->matches++ == 0) {
		grp->email = dg_xstrdup(email);
		grp->name = dg_xstrdup(name ? name : email);
		grp->id = id ? dg_xstrdup(id) : NULL;
	}
	return 0;
}

int dg_google_feed_lookup(dg_google_feed *f, size_t sel, const cJSON *page, char **next,
			  dg_strbuf *why)
{
	const cJSON *groups, *g;
	size_t i = 0;

	if (next)
		*next = NULL;
	if (sel >= f->ngroups) {
		dg_strbuf_addf(why, "group lookup %zu is not part of the selection", sel + 1);
		return -1;
	}
	if (!cJSON_IsObject(page)) {
		dg_strbuf_adds(why, "the page is not a JSON object");
		return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(page, "email")) /* groups.get: one resource */
		return feed_group(&f->groups[sel], page, 0, why);
	if (opt_array(page, "groups", &groups, why) < 0)
		return -1;
	cJSON_ArrayForEach(g, groups)
		if (feed_group(&f->groups[sel], g, i++, why) < 0)
			return -1;
	return next_token(page, next, why);
}

/* -- members -- */

int dg_google_feed_members(dg_google_feed *f, size_t sel, const cJSON *page, char **next,
			   dg_strbuf *why)
{
	const cJSON *members, *m;
	size_t i = 0;

	if (next)
		*next = NULL;
	if (sel >= f->ngroups) {
		dg_strbuf_addf(why, "member list %zu is not part of the selection", sel + 1);
		return -1;
	}
	if (!cJSON_IsObject(page)) {
		dg_strbuf_adds(why, "the page is not a JSON object");
		return -1;
	}
	if (opt_array(page, "members", &members, why) < 0)
		return -1;
	cJSON_ArrayForEach(m, members) {
		const char *id, *email, *type;
		i++;
		if (!cJSON_IsObject(m)) {
			dg_strbuf_addf(why, "member %zu is not an object", i);
			return -1;
		}
		if (opt_string(m, "id", &id, why) < 0 || opt_string(m, "email", &email, why) < 0 ||
		    opt_string(m, "type", &type, why) < 0)
			return -1;
		/* Nested groups arrive expanded (includeDerivedMembership); the
		 * group entries themselves and customer-wide members are not users. */
		if ((type && strcmp(type, "USER")) || (!id && !email))
			continue;
		DG_ALLOC_GROW(f->members, f->nmembers + 1, f->amembers);
		f->members[f->nmembers].key = id ? dg_xstrdup(id) : dg_mapping_lower(email);
		f->members[f->nmembers++].group = sel;
		f->members_sorted = 0;
	}
	return next_token(page, next, why);
}

static int member_cmp(const void *a, const void *b)
{
	const dg_google_member *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->group > y->group) - (x->group < y->group);
}

/* Adds the selected groups `key` belongs to; returns how many. */
static void push_str(dg_google_feed *f, dg_strlist *l, const char *s)
{
	if (f->users->arena)
		dg_strlist_push_arena(l, f->users->arena, s, strlen(s));
	else
		dg_strlist_push(l, s);
}

static int key_cmp(const void *key, const void *m)
{
	return strcmp(key, ((const dg_google_member *)m)->key);
}

static size_t add_groups_of(dg_google_feed *f, dg_dir_user *u, const char *key)
{
	size_t lo, n = 0;
	char *path;
	if (!key)
		return 0;
	lo = dg_lower_bound(f->members, f->nmembers, sizeof *f->members, key, key_cmp);
	for (; lo < f->nmembers && !strcmp(f->members[lo].key, key); lo++) {
		const char *g = f->groups[f->members[lo].group].selection;
		if (dg_strlist_contains_ci(&u->groups, g))
			continue;
		push_str(f, &u->groups, g);
		/* derived membership is one flat list: no chain of groups */
		path = dg_xasprintf("%s (directly or through nested groups; Google's derived "
				    "membership reports no path)", g);
		push_str(f, &u->group_paths, path);
		free(path);
		n++;
	}
	return n;
}

/* -- users -- */

static char *keep(dg_google_feed *f, const char *s)
{
	if (!s)
		return NULL;
	return f->users->arena ? dg_arena_strdup(f->users->arena, s) : dg_xstrdup(s);
}

static void push_mail(dg_google_feed *f, dg_dir_user *u, const char *s)
{
	if (f->users->arena)
		dg_strlist_push_arena(&u->mails, f->users->arena, s, strlen(s));
	else
		dg_strlist_push(&u->mails, s);
}

static void select_groups(dg_google_feed *f, dg_dir_user *u, const char *id, const char *mail)
{
	char *lower;
	if (!f->ngroups)
		return; /* no selection: everyone qualifies */
	if (!f->members_sorted) {
		if (f->nmembers)
			qsort(f->members, f->nmembers, sizeof(*f->members), member_cmp);
		f->members_sorted = 1;
	}
	lower = mail ? dg_mapping_lower(mail) : NULL;
	add_groups_of(f, u, id);
	add_groups_of(f, u, lower);
	u->in_groups = u->groups.nr > 0;
	free(lower);
}

/* ---- users.list pages as a stream ------------------------------------------
 *
 * Paths: the page object (depth 0) -> "users" array (1) -> one user object
 * (2) -> its members (3) -> aliases items / name's members (4).  The first
 * occurrence of a key counts, as with cJSON; a user's values are checked
 * in the order they appear. */

enum user_field { U_ID, U_MAIL, U_FULL, U_GIVEN, U_FAMILY, U_STRINGS, U_ALIASES = U_STRINGS,
		  U_SUSPENDED, U_ARCHIVED, U_NAME, U_COUNT };
static const char *const user_keys[U_COUNT] = {
	"id", "primaryEmail", "fullName", "givenName", "familyName",
	"aliases", "suspended", "archived", "name",
};
#define NO_TEXT ((size_t)-1)

/* The user object being read: its strings back to back in `text`. */
typedef struct user_draft {
	int active;                   /* inside an element of "users" */
	unsigned seen;                /* bit per user_field: first occurrence taken */
	size_t str[U_STRINGS];        /* offsets into text, or NO_TEXT */
	size_t *alias;                /* offsets of non-empty aliases */
	size_t nalias, aalias;
	int suspended, archived;
	int in_aliases, in_name;      /* inside the first "aliases" array / "name" object */
	dg_strbuf text;
} user_draft;

struct dg_google_users_reader {
	dg_google_feed *f;
	dg_jsonstream *js;
	int root_object, users_seen, in_users, next_seen;
	char *next;                   /* nextPageToken, when non-empty */
	size_t page;                  /* this page's number among the user pages */
	/* this page's share of the feed's counts, added by finish */
	size_t entries, suspended, archived;
	char *first_id;               /* the first user's id, when it has one */
	dg_strlist suspended_names, archived_names;
	dg_strbuf refusal;            /* why the page's shape is wrong */
	dg_strbuf tmp;
	user_draft u;
};

static const char *draft_str(const user_draft *d, enum user_field f)
{
	return d->str[f] == NO_TEXT ? NULL : d->text.buf + d->str[f];
}

static void draft_begin(user_draft *d)
{
	d->active = 1;
	d->seen = 0;
	for (size_t i = 0; i < U_STRINGS; i++)
		d->str[i] = NO_TEXT;
	d->nalias = 0;
	d->suspended = d->archived = 0;
	d->in_aliases = d->in_name = 0;
	dg_strbuf_reset(&d->text);
}

static int refuse(dg_google_users_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(dg_google_users_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&r->refusal, fmt, ap);
	va_end(ap);
	return -1;
}

/* name.fullName, else "givenName familyName" (either may be missing). */
static const char *draft_full_name(const user_draft *d, dg_strbuf *tmp)
{
	const char *full = draft_str(d, U_FULL), *given = draft_str(d, U_GIVEN);
	const char *family = draft_str(d, U_FAMILY);
	if (full && *full)
		return full;
	dg_strbuf_reset(tmp);
	if (given)
		dg_strbuf_adds(tmp, given);
	if (family && *family) {
		if (tmp->len)
			dg_strbuf_addch(tmp, ' ');
		dg_strbuf_adds(tmp, family);
	}
	return tmp->len ? tmp->buf : NULL;
}

static void note_name(dg_strlist *names, size_t feed_has, const char *entry)
{
	if (feed_has + names->nr < DG_GOOGLE_NAMES_SHOWN)
		dg_strlist_push(names, entry);
}

/* The user object ended: its record.  MailStore's user name is the
 * primary e-mail; a user without one is shown by id (or position). */
static void draft_commit(dg_google_users_reader *r)
{
	dg_google_feed *f = r->f;
	user_draft *d = &r->u;
	const char *id = draft_str(d, U_ID), *mail = draft_str(d, U_MAIL);
	dg_dir_user *u;

	d->active = 0;
	if (mail) {
		u = dg_dir_user_list_add(f->users, mail);
	} else if (id) {
		u = dg_dir_user_list_add(f->users, id);
	} else {
		dg_strbuf_reset(&r->tmp);
		dg_strbuf_addf(&r->tmp, "(user %zu of users page %zu)", r->entries + 1, r->page);
		u = dg_dir_user_list_add(f->users, r->tmp.buf);
	}
	u->name_value = keep(f, mail);
	u->full_name = keep(f, draft_full_name(d, &r->tmp));
	if (mail && *mail)
		push_mail(f, u, mail);
	for (size_t i = 0; i < d->nalias; i++)
		push_mail(f, u, d->text.buf + d->alias[i]);
	u->disabled = d->suspended;
	u->archived = d->archived;
	r->suspended += d->suspended;
	r->archived += d->archived;
	if (d->suspended)
		note_name(&r->suspended_names, f->suspended_names.nr, u->entry);
	if (d->archived)
		note_name(&r->archived_names, f->archived_names.nr, u->entry);
	select_groups(f, u, id, mail);
	if (!r->entries && id)
		r->first_id = dg_xstrdup(id);
	r->entries++;
}

static int field_of(const char *key)
{
	for (int f = 0; f < U_COUNT; f++)
		if (!strcmp(key, user_keys[f]))
			return f;
	return -1;
}

/* A value directly in the user object (depth 3). */
static int user_member(dg_google_users_reader *r, const char *key, const dg_js_event *ev)
{
	user_draft *d = &r->u;
	size_t i = r->entries + 1;
	int f;

	if (ev->type == DG_JS_ARRAY_END || ev->type == DG_JS_OBJECT_END) {
		d->in_aliases = d->in_name = 0;  /* the array (or object) in this member ended */
		return 0;
	}
	f = field_of(key);
	if (f < 0 || (f >= U_FULL && f <= U_FAMILY) || (d->seen & (1u << f)))
		return 0;  /* not a user member dirgate reads (the name parts are in "name") */
	d->seen |= 1u << f;
	if (ev->type == DG_JS_NULL)
		return 0;
	switch (f) {
	case U_ID:
	case U_MAIL:
		if (ev->type != DG_JS_STRING)
			return refuse(r, "\"%s\" is not a string (user %zu)", key, i);
		d->str[f] = dg_js_keep_str(&d->text, ev);
		return 0;
	case U_ALIASES:
		if (ev->type != DG_JS_ARRAY_START)
			return refuse(r, "\"aliases\" is not an array (user %zu)", i);
		d->in_aliases = 1;
		return 0;
	case U_SUSPENDED:
	case U_ARCHIVED:
		if (ev->type != DG_JS_BOOL)
			return refuse(r, "\"%s\" is not true or false (user %zu)", key, i);
		*(f == U_SUSPENDED ? &d->suspended : &d->archived) = ev->boolean;
		return 0;
	default: /* U_NAME: an object is read, anything else means no name */
		d->in_name = ev->type == DG_JS_OBJECT_START;
		return 0;
	}
}

/* Inside the user's first "aliases" array or "name" object (depth 4). */
static void user_detail(user_draft *d, const char *key, const dg_js_event *ev)
{
	int f;
	if (d->in_aliases) {  /* non-empty strings are addresses; anything else is skipped */
		if (ev->type == DG_JS_STRING && dg_js_cstr_len(ev)) {
			DG_ALLOC_GROW(d->alias, d->nalias + 1, d->aalias);
			d->alias[d->nalias++] = dg_js_keep_str(&d->text, ev);
		}
		return;
	}
	f = field_of(key);
	if (f < U_FULL || f > U_FAMILY || (d->seen & (1u << f)))
		return;
	d->seen |= 1u << f;  /* the first one counts, string or not */
	if (ev->type == DG_JS_STRING)
		d->str[f] = dg_js_keep_str(&d->text, ev);
}

/* An event inside one element of "users" (depth >= 2). */
static int element_event(dg_google_users_reader *r, const dg_jsonstream *js,
			 const dg_js_event *ev)
{
	user_draft *d = &r->u;
	size_t depth = dg_jsonstream_depth(js);

	if (depth == 2) {  /* the element itself */
		if (ev->type == DG_JS_OBJECT_START)
			draft_begin(d);
		else if (ev->type == DG_JS_OBJECT_END)
			draft_commit(r);
		else
			return refuse(r, "user %zu is not an object", r->entries + 1);
		return 0;
	}
	if (depth == 3)
		return user_member(r, dg_jsonstream_frame(js, 2)->key, ev);
	if (depth == 4 && (d->in_aliases || d->in_name) &&
	    dg_jsonstream_frame(js, 3)->is_array == d->in_aliases)
		user_detail(d, dg_jsonstream_frame(js, 3)->key, ev);
	return 0;
}

/* A member of the page object (depth 1): "users" and "nextPageToken". */
static int page_member(dg_google_users_reader *r, const char *key, const dg_js_event *ev)
{
	if (ev->type == DG_JS_ARRAY_END || ev->type == DG_JS_OBJECT_END) {
		r->in_users = 0;
		return 0;
	}
	if (!strcmp(key, "users") && !r->users_seen) {
		r->users_seen = 1;
		if (ev->type == DG_JS_ARRAY_START)
			r->in_users = 1;
		else if (ev->type != DG_JS_NULL)
			return refuse(r, "\"users\" is not an array");
	} else if (!strcmp(key, "nextPageToken") && !r->next_seen) {
		r->next_seen = 1;
		if (ev->type == DG_JS_STRING && dg_js_cstr_len(ev))
			r->next = dg_xstrndup(ev->str, dg_js_cstr_len(ev));
		else if (ev->type != DG_JS_STRING && ev->type != DG_JS_NULL)
			return refuse(r, "\"nextPageToken\" is not a string");
	}
	return 0;
}

static int users_event(void *ctx, const dg_jsonstream *js, const dg_js_event *ev)
{
	dg_google_users_reader *r = ctx;
	size_t depth = dg_jsonstream_depth(js);

	if (depth == 0) {
		if (ev->type != DG_JS_OBJECT_START && ev->type != DG_JS_OBJECT_END)
			return refuse(r, "the page is not a JSON object");
		r->root_object = 1;
		return 0;
	}
	if (depth == 1)
		return page_member(r, dg_jsonstream_frame(js, 0)->key, ev);
	return r->in_users ? element_event(r, js, ev) : 0;
}

dg_google_users_reader *dg_google_users_reader_new(dg_google_feed *f)
{
	dg_google_users_reader *r = dg_xcalloc(1, sizeof *r);
	r->f = f;
	r->page = f->user_pages + 1;
	r->js = dg_jsonstream_new(users_event, r);
	dg_strbuf_init(&r->refusal);
	dg_strbuf_init(&r->tmp);
	dg_strbuf_init(&r->u.text);
	return r;
}

void dg_google_users_reader_free(dg_google_users_reader *r)
{
	if (!r)
		return;
	dg_jsonstream_free(r->js);
	free(r->next);
	free(r->first_id);
	dg_strlist_clear(&r->suspended_names);
	dg_strlist_clear(&r->archived_names);
	dg_strbuf_release(&r->refusal);
	dg_strbuf_release(&r->tmp);
	free(r->u.alias);
	dg_strbuf_release(&r->u.text);
	free(r);
}

/* The page's own reason when the reader stopped, else the syntax error. */
static int users_failed(dg_google_users_reader *r, dg_strbuf *why)
{
	if (r->refusal.len) {
		dg_strbuf_reset(why);
		dg_strbuf_adds(why, r->refusal.buf);
	}
	return -1;
}

int dg_google_users_feed(dg_google_users_reader *r, const char *buf, size_t len, dg_strbuf *why)
{
	return dg_jsonstream_feed(r->js, buf, len, why) < 0 ? users_failed(r, why) : 0;
}

static void move_names(dg_strlist *into, dg_strlist *from)
{
	for (size_t i = 0; i < from->nr; i++)
		dg_strlist_push_owned(into, from->items[i]);
	from->nr = 0;
}

int dg_google_users_finish(dg_google_users_reader *r, char **next, dg_strbuf *why)
{
	dg_google_feed *f = r->f;

	if (next)
		*next = NULL;
	if (dg_jsonstream_finish(r->js, why) < 0)
		return users_failed(r, why);
	if (!r->root_object) {
		dg_strbuf_adds(why, "the page is not a JSON object");
		return -1;
	}
	f->user_pages++;
	f->entries_read += r->entries;
	f->suspended += r->suspended;
	f->archived += r->archived;
	move_names(&f->suspended_names, &r->suspended_names);
	move_names(&f->archived_names, &r->archived_names);
	f->page_repeats = r->first_id && f->first_user_id &&
			  !strcmp(r->first_id, f->first_user_id);
	free(f->first_user_id);
	f->first_user_id = r->first_id;
	r->first_id = NULL;
	if (next) {
		*next = r->next;
		r->next = NULL;
	}
	return 0;
}

int dg_google_feed_users_text(dg_google_feed *f, const char *text, size_t len, char **next,
			      dg_strbuf *why)
{
	dg_google_users_reader *r = dg_google_users_reader_new(f);
	int rc = dg_google_users_feed(r, text, len, why);

	if (next)
		*next = NULL;
	if (rc == 0)
		rc = dg_google_users_finish(r, next, why);
	dg_google_users_reader_free(r);
	return rc;
}

int dg_google_api_error(const char *body, size_t len, dg_strbuf *reason, dg_strbuf *message)
{
	dg_strbuf why = DG_STRBUF_INIT;
	cJSON *root = dg_google_parse_object(body, len, &why);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error"), *errs, *first, *v;
	int rc = -1;

	dg_strbuf_reset(reason);
	dg_strbuf_reset(message);
	if (cJSON_IsObject(e)) {
		v = cJSON_GetObjectItemCaseSensitive(e, "message");
		if (cJSON_IsString(v))
			dg_strbuf_adds(message, v->valuestring);
		errs = cJSON_GetObjectItemCaseSensitive(e, "errors");
		first = cJSON_IsArray(errs) ? cJSON_GetArrayItem(errs, 0) : NULL;
		v = cJSON_GetObjectItemCaseSensitive(first, "reason");
		if (cJSON_IsString(v))
			dg_strbuf_adds(reason, v->valuestring);
		rc = 0;
	}
	cJSON_Delete(root);
	dg_strbuf_release(&why);
	return rc;
}

void dg_google_group_findings(const dg_google_feed *f, const char *path, dg_findings *out)
{
	for (size_t i = 0; i < f->ngroups; i++) {
		const dg_google_group *g = &f->groups[i];
		dg_strbuf p = DG_STRBUF_INIT;
		dg_finding *fd;
		dg_strbuf_adds(&p, path);
		dg_json_pointer_add_index(&p, i);
		if (!g->matches) {
			fd = dg_findings_add(out, DGF_GOOGLE025, p.buf,
					     "group \"%s\" was not found in Google Workspace",
					     g->selection);
			dg_finding_hint(fd, "Give the group's e-mail address or its exact name as "
					"shown in the Admin console (Directory > Groups); the admin "
					"user must be allowed to read groups.");
		} else if (g->matches > 1) {
			fd = dg_findings_add(out, DGF_GOOGLE026, p.buf,
					     "group name \"%s\" matches %zu groups", g->selection,
					     g->matches);
			dg_finding_hint(fd, "Give the group's e-mail address instead of its name "
					"(e.g. \"%s\"): names are not unique, addresses are.", g->email);
		} else {
			dg_findings_add(out, DGF_GOOGLE027, p.buf,
					"group \"%s\" found: %s", g->selection, g->email);
		}
		dg_strbuf_release(&p);
	}
}

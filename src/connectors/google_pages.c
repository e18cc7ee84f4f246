/* Google Workspace Admin SDK pages -> directory users (see google_pages.h). */
#include "google_pages.h"

#include "../core/jsonpos.h"

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
static size_t add_groups_of(dg_google_feed *f, dg_dir_user *u, const char *key)
{
	size_t lo = 0, hi = f->nmembers, n = 0;
	if (!key)
		return 0;
	while (lo < hi) { /* first member whose key is >= key */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(f->members[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < f->nmembers && !strcmp(f->members[lo].key, key); lo++) {
		const char *g = f->groups[f->members[lo].group].selection;
		if (dg_strlist_contains_ci(&u->groups, g))
			continue;
		if (f->users->arena)
			dg_strlist_push_arena(&u->groups, f->users->arena, g, strlen(g));
		else
			dg_strlist_push(&u->groups, g);
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

static int bool_field(const cJSON *o, const char *key, int *out, dg_strbuf *why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsBool(v)) {
		dg_strbuf_addf(why, "\"%s\" is not true or false", key);
		return -1;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

static const char *full_name(const cJSON *user, dg_strbuf *tmp)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(user, "name");
	const cJSON *full = cJSON_GetObjectItemCaseSensitive(name, "fullName");
	const cJSON *given = cJSON_GetObjectItemCaseSensitive(name, "givenName");
	const cJSON *family = cJSON_GetObjectItemCaseSensitive(name, "familyName");
	if (cJSON_IsString(full) && *full->valuestring)
		return full->valuestring;
	dg_strbuf_reset(tmp);
	if (cJSON_IsString(given))
		dg_strbuf_adds(tmp, given->valuestring);
	if (cJSON_IsString(family) && *family->valuestring) {
		if (tmp->len)
			dg_strbuf_addch(tmp, ' ');
		dg_strbuf_adds(tmp, family->valuestring);
	}
	return tmp->len ? tmp->buf : NULL;
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

static int feed_user(dg_google_feed *f, const cJSON *user, size_t i, dg_strbuf *tmp,
		     dg_strbuf *why)
{
	const char *id, *mail;
	const cJSON *aliases, *a;
	int suspended, archived;
	dg_dir_user *u;

	if (!cJSON_IsObject(user)) {
		dg_strbuf_addf(why, "user %zu is not an object", i + 1);
		return -1;
	}
	if (opt_string(user, "id", &id, why) < 0 || opt_string(user, "primaryEmail", &mail, why) < 0 ||
	    opt_array(user, "aliases", &aliases, why) < 0 ||
	    bool_field(user, "suspended", &suspended, why) < 0 ||
	    bool_field(user, "archived", &archived, why) < 0) {
		dg_strbuf_addf(why, " (user %zu)", i + 1);
		return -1;
	}
	if (mail)
		u = dg_dir_user_list_add(f->users, mail);
	else if (id)
		u = dg_dir_user_list_add(f->users, id);
	else {
		dg_strbuf_reset(tmp);
		dg_strbuf_addf(tmp, "(user %zu of users page %zu)", i + 1, f->user_pages);
		u = dg_dir_user_list_add(f->users, tmp->buf);
	}
	u->name_value = keep(f, mail); /* MailStore's user name: the primary e-mail */
	u->full_name = keep(f, full_name(user, tmp));
	if (mail && *mail)
		push_mail(f, u, mail);
	cJSON_ArrayForEach(a, aliases)
		if (cJSON_IsString(a) && *a->valuestring)
			push_mail(f, u, a->valuestring);
	u->disabled = suspended;
	u->archived = archived;
	f->suspended += suspended;
	f->archived += archived;
	if (suspended && f->suspended_names.nr < DG_GOOGLE_NAMES_SHOWN)
		dg_strlist_push(&f->suspended_names, u->entry);
	if (archived && f->archived_names.nr < DG_GOOGLE_NAMES_SHOWN)
		dg_strlist_push(&f->archived_names, u->entry);
	select_groups(f, u, id, mail);
	f->entries_read++;
	return 0;
}

int dg_google_feed_users(dg_google_feed *f, const cJSON *page, char **next, dg_strbuf *why)
{
	const cJSON *users, *user;
	dg_strbuf tmp = DG_STRBUF_INIT;
	size_t i = 0;
	int rc = 0;

	if (next)
		*next = NULL;
	if (!cJSON_IsObject(page)) {
		dg_strbuf_adds(why, "the page is not a JSON object");
		return -1;
	}
	f->user_pages++;
	if (opt_array(page, "users", &users, why) < 0)
		return -1;
	cJSON_ArrayForEach(user, users)
		if ((rc = feed_user(f, user, i++, &tmp, why)) < 0)
			break;
	dg_strbuf_release(&tmp);
	return rc < 0 ? -1 : next_token(page, next, why);
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
			fd = dg_findings_add(out, "GOOGLE025", DG_SEV_ERROR, p.buf,
					     "group \"%s\" was not found in Google Workspace",
					     g->selection);
			dg_finding_hint(fd, "Give the group's e-mail address or its exact name as "
					"shown in the Admin console (Directory > Groups); the admin "
					"user must be allowed to read groups.");
		} else if (g->matches > 1) {
			fd = dg_findings_add(out, "GOOGLE026", DG_SEV_ERROR, p.buf,
					     "group name \"%s\" matches %zu groups", g->selection,
					     g->matches);
			dg_finding_hint(fd, "Give the group's e-mail address instead of its name "
					"(e.g. \"%s\"): names are not unique, addresses are.", g->email);
		} else {
			dg_findings_add(out, "GOOGLE027", DG_SEV_INFO, p.buf,
					"group \"%s\" found: %s", g->selection, g->email);
		}
		dg_strbuf_release(&p);
	}
}

/* MailStore's synchronisation rules, applied to connector output.
 *
 * Order matters and follows what an administrator sees in MailStore: an
 * entry outside the group selection is "not-in-group" even when it is also
 * disabled, so the first reason that applies is the one reported. */
#include "mapping.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- lists ---- */

dg_dir_user *dg_dir_user_list_add(dg_dir_user_list *l, const char *entry)
{
	dg_dir_user *u;
	DG_ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	u = &l->items[l->nr++];
	memset(u, 0, sizeof(*u));
	u->entry = dg_xstrdup(entry ? entry : "");
	u->disabled = u->hidden = u->exchange = -1;
	u->in_groups = 1;
	return u;
}

static void dir_user_release(dg_dir_user *u)
{
	free(u->entry);
	free(u->dn);
	free(u->name_value);
	free(u->full_name);
	dg_strlist_clear(&u->mails);
	dg_strlist_clear(&u->proxy_addresses);
	dg_strlist_clear(&u->groups);
}

void dg_dir_user_list_clear(dg_dir_user_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		dir_user_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

void dg_preview_release(dg_preview *p)
{
	for (size_t i = 0; i < p->nusers; i++) {
		dg_ms_user *u = &p->users[i];
		free(u->user_name);
		free(u->full_name);
		free(u->dn);
		free(u->entry);
		dg_strlist_clear(&u->emails);
		dg_strlist_clear(&u->groups);
	}
	for (size_t i = 0; i < p->nskipped; i++) {
		free(p->skipped[i].entry);
		free(p->skipped[i].reason);
		free(p->skipped[i].detail);
	}
	for (size_t i = 0; i < p->nconflicts; i++) {
		free(p->conflicts[i].user_name);
		free(p->conflicts[i].reason);
		dg_strlist_clear(&p->conflicts[i].entries);
	}
	free(p->users);
	free(p->skipped);
	free(p->conflicts);
	free(p->profile_name);
	free(p->source_type);
	free(p->source_detail);
	free(p->directory_type);
	dg_findings_clear(&p->findings);
	memset(p, 0, sizeof(*p));
}

/* ---- lower-casing ---- */

/* Simple case mapping for the scripts directory user names are written in.
 * .NET's ToLowerInvariant (which MailStore uses) covers more, but these are
 * the letters seen in practice; anything else is kept as it is. */
static uint32_t lower_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
	    (c >= 0x410 && c <= 0x42F))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	if (c == 0x178)
		return 0xFF;
	if (c == 0x386)
		return 0x3AC;
	if (c >= 0x388 && c <= 0x38A)
		return c + 37;
	if (c == 0x38C || c == 0x38E || c == 0x38F)
		return c + 64 - (c == 0x38C ? 0 : 1);
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return (c % 2 == 0) ? c + 1 : c;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c % 2 == 1) ? c + 1 : c;
	return c;
}

/* Decodes one UTF-8 sequence; returns its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return *cp >= 0x80 ? 2 : 0;
	}
	if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return *cp >= 0x800 ? 3 : 0;
	}
	if ((s[0] & 0xF8) == 0xF0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
	    (s[3] & 0xC0) == 0x80) {
		*cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
		      ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return (*cp >= 0x10000 && *cp <= 0x10FFFF) ? 4 : 0;
	}
	return 0;
}

static void utf8_encode(dg_strbuf *sb, uint32_t c)
{
	if (c < 0x80) {
		dg_strbuf_addch(sb, (int)c);
	} else if (c < 0x800) {
		dg_strbuf_addch(sb, 0xC0 | (int)(c >> 6));
		dg_strbuf_addch(sb, 0x80 | (int)(c & 0x3F));
	} else if (c < 0x10000) {
		dg_strbuf_addch(sb, 0xE0 | (int)(c >> 12));
		dg_strbuf_addch(sb, 0x80 | (int)((c >> 6) & 0x3F));
		dg_strbuf_addch(sb, 0x80 | (int)(c & 0x3F));
	} else {
		dg_strbuf_addch(sb, 0xF0 | (int)(c >> 18));
		dg_strbuf_addch(sb, 0x80 | (int)((c >> 12) & 0x3F));
		dg_strbuf_addch(sb, 0x80 | (int)((c >> 6) & 0x3F));
		dg_strbuf_addch(sb, 0x80 | (int)(c & 0x3F));
	}
}

char *dg_mapping_lower(const char *s)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	dg_strbuf_grow(&sb, strlen(s));
	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);
		if (!n) { /* invalid UTF-8: keep the byte, the connector reports it */
			dg_strbuf_addch(&sb, *p++);
			continue;
		}
		utf8_encode(&sb, lower_cp(cp));
		p += n;
	}
	return dg_strbuf_detach(&sb);
}

/* ---- e-mail addresses ---- */

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return dg_xstrndup(s, n);
}

static void push_unique(dg_strlist *out, char *addr)
{
	if (!*addr || dg_strlist_contains_ci(out, addr))
		free(addr);
	else
		dg_strlist_push_owned(out, addr);
}

/* A mail value may hold "a@x, b@x" (MailStore splits at commas). */
static void push_split(dg_strlist *out, const char *value)
{
	const char *p = value;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		push_unique(out, trimmed(p, n));
		if (!comma)
			break;
		p = comma + 1;
	}
}

/* "SMTP:a@b" -> 1 primary, "smtp:a@b" -> 2 secondary, other types -> 0. */
static int smtp_kind(const char *v)
{
	if (!strncmp(v, "SMTP:", 5))
		return 1;
	if (!strncasecmp(v, "smtp:", 5))
		return 2;
	return 0;
}

void dg_mapping_emails(const dg_strlist *mails, const dg_strlist *proxy, dg_strlist *out)
{
	const char *primary = NULL;
	/* Exchange: if several carry upper-case SMTP:, the last one is primary. */
	for (size_t i = 0; i < proxy->nr; i++)
		if (smtp_kind(proxy->items[i]) == 1)
			primary = proxy->items[i] + 5;
	if (primary)
		push_unique(out, trimmed(primary, strlen(primary)));
	for (size_t i = 0; i < mails->nr; i++)
		push_split(out, mails->items[i]);
	for (size_t i = 0; i < proxy->nr; i++) {
		int k = smtp_kind(proxy->items[i]);
		if (k)
			push_unique(out, trimmed(proxy->items[i] + 5, strlen(proxy->items[i] + 5)));
	}
}

/* ---- the rules ---- */

static void add_skipped(dg_preview *out, const dg_dir_user *u, const char *reason,
			const char *detail)
{
	dg_skipped *s;
	DG_ALLOC_GROW(out->skipped, out->nskipped + 1, out->skipped_alloc);
	s = &out->skipped[out->nskipped++];
	s->entry = dg_xstrdup(u->entry);
	s->reason = dg_xstrdup(reason);
	s->detail = detail ? dg_xstrdup(detail) : NULL;
}

/* Returns the skip reason for u, or NULL when MailStore would keep it. */
static const char *skip_reason(const dg_dir_user *u, const dg_mapping_opts *o, const char **detail)
{
	*detail = NULL;
	if (!u->in_groups) {
		*detail = "not a member (directly or nested) of a selected group";
		return "not-in-group";
	}
	if (o->enabled_only && u->disabled == 1) {
		*detail = "account is disabled (enabled users only)";
		return "disabled";
	}
	if (o->enabled_only && o->skip_archived && u->archived == 1) {
		*detail = "user is archived (enabled users only)";
		return "archived";
	}
	if (o->exchange_only && u->exchange == 0) {
		*detail = "no Exchange e-mail address or mailbox licence (Exchange users only)";
		return "no-email";
	}
	if (o->visible_only && u->hidden == 1) {
		*detail = "hidden from address lists (visible users only)";
		return "hidden";
	}
	return NULL;
}

/* The user name MailStore derives, lower-cased; NULL when it would be empty. */
static char *derive_user_name(const dg_dir_user *u, const dg_mapping_opts *o)
{
	const char *v = u->name_value;
	size_t n;
	char *raw, *low;
	if (!v)
		return NULL;
	n = strlen(v);
	if (o->local_part_only) {
		const char *at = strchr(v, '@');
		if (at)
			n = (size_t)(at - v);
	}
	raw = trimmed(v, n);
	if (!*raw) {
		free(raw);
		return NULL;
	}
	low = dg_mapping_lower(raw);
	free(raw);
	return low;
}

static void add_user(dg_preview *out, const dg_dir_user *u, char *name)
{
	dg_ms_user *m;
	DG_ALLOC_GROW(out->users, out->nusers + 1, out->users_alloc);
	m = &out->users[out->nusers++];
	memset(m, 0, sizeof(*m));
	m->user_name = name;
	m->full_name = dg_xstrdup(u->full_name ? u->full_name : "");
	m->dn = u->dn ? dg_xstrdup(u->dn) : NULL;
	m->entry = dg_xstrdup(u->entry);
	dg_mapping_emails(&u->mails, &u->proxy_addresses, &m->emails);
	for (size_t i = 0; i < u->groups.nr; i++)
		dg_strlist_push(&m->groups, u->groups.items[i]);
}

/* Sorting by (user name, input order) keeps the first directory entry of a
 * collision as the user MailStore keeps, and makes the output stable. */
typedef struct ranked {
	dg_ms_user user;
	size_t order;
	const char *raw;  /* name as the directory holds it, for case-only detection */
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	int c = strcmp(x->user.user_name, y->user.user_name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static dg_conflict *add_conflict(dg_preview *out, const char *name, const char *reason)
{
	dg_conflict *c;
	DG_ALLOC_GROW(out->conflicts, out->nconflicts + 1, out->conflicts_alloc);
	c = &out->conflicts[out->nconflicts++];
	memset(c, 0, sizeof(*c));
	c->user_name = dg_xstrdup(name);
	c->reason = dg_xstrdup(reason);
	return c;
}

static void release_ms_user(dg_ms_user *u)
{
	free(u->user_name);
	free(u->full_name);
	free(u->dn);
	free(u->entry);
	dg_strlist_clear(&u->emails);
	dg_strlist_clear(&u->groups);
}

/* Collapses runs of one user name into the first entry and reports them:
 * "case-only" when the directory values differ only in letter case,
 * "same-user-name" otherwise (e.g. two UPNs with the same local part). */
static void collapse_names(dg_preview *out, ranked *r, size_t n)
{
	size_t w = 0;
	out->nusers = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && !strcmp(r[j].user.user_name, r[i].user.user_name))
			j++;
		if (j - i > 1) {
			int case_only = 1;
			for (size_t k = i + 1; k < j; k++)
				if (strcmp(r[k].raw, r[i].raw) == 0 || strcasecmp(r[k].raw, r[i].raw))
					case_only = 0;
			dg_conflict *c = add_conflict(out, r[i].user.user_name,
						      case_only ? "case-only" : "same-user-name");
			for (size_t k = i; k < j; k++)
				dg_strlist_push(&c->entries, r[k].user.entry);
			for (size_t k = i + 1; k < j; k++)
				release_ms_user(&r[k].user);
		}
		out->users[w++] = r[i].user;
		i = j;
	}
	out->nusers = w;
}

typedef struct addr_ref {
	char *lower;
	size_t user;
} addr_ref;

static int cmp_addr(const void *a, const void *b)
{
	const addr_ref *x = a, *y = b;
	int c = strcmp(x->lower, y->lower);
	if (c)
		return c;
	return x->user < y->user ? -1 : x->user > y->user;
}

/* One address on two MailStore users: mail would be archived for both. */
static void find_duplicate_emails(dg_preview *out)
{
	size_t n = 0, alloc = 0;
	addr_ref *refs = NULL;
	for (size_t i = 0; i < out->nusers; i++)
		for (size_t j = 0; j < out->users[i].emails.nr; j++) {
			DG_ALLOC_GROW(refs, n + 1, alloc);
			refs[n].lower = dg_mapping_lower(out->users[i].emails.items[j]);
			refs[n++].user = i;
		}
	if (n) /* qsort(NULL, 0) is undefined behaviour */
		qsort(refs, n, sizeof(*refs), cmp_addr);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && !strcmp(refs[j].lower, refs[i].lower))
			j++;
		if (j - i > 1) {
			dg_conflict *c = add_conflict(out, refs[i].lower, "duplicate-email");
			for (size_t k = i; k < j; k++)
				dg_strlist_push(&c->entries, out->users[refs[k].user].entry);
		}
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		free(refs[i].lower);
	free(refs);
}

void dg_mapping_run(const dg_dir_user_list *in, const dg_mapping_opts *opts, dg_preview *out)
{
	ranked *r = dg_xcalloc(in->nr ? in->nr : 1, sizeof(*r));
	size_t n = 0;
	for (size_t i = 0; i < in->nr; i++) {
		const dg_dir_user *u = &in->items[i];
		const char *detail, *reason = skip_reason(u, opts, &detail);
		char *name;
		if (reason) {
			add_skipped(out, u, reason, detail);
			continue;
		}
		name = derive_user_name(u, opts);
		if (!name) {
			add_skipped(out, u, "empty-user-name",
				    u->name_value ? "user-name attribute is empty after MailStore's rules"
						  : "entry has no value for the user-name attribute");
			continue;
		}
		add_user(out, u, name);
		r[n].user = out->users[out->nusers - 1];
		r[n].order = i;
		r[n].raw = u->name_value;
		n++;
	}
	qsort(r, n, sizeof(*r), cmp_ranked);
	collapse_names(out, r, n);
	free(r);
	find_duplicate_emails(out);
}

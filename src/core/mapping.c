/* MailStore's synchronisation rules, applied to connector output.
 *
 * Order matters and follows what an administrator sees in MailStore: an
 * entry outside the group selection is "not-in-group" even when it is also
 * disabled, so the first reason that applies is the one reported. */
#include "mapping.h"
#include "utf8.h"

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
	entry = entry ? entry : "";
	u->entry = l->arena ? dg_arena_strdup(l->arena, entry) : dg_xstrdup(entry);
	u->disabled = u->hidden = u->exchange = -1;
	u->in_groups = 1;
	return u;
}

/* Strings in an arena (`in_arena`) are the arena's: only the arrays go. */
static void dir_user_release(dg_dir_user *u, int in_arena)
{
	if (in_arena) {
		dg_strlist_clear_arena(&u->mails);
		dg_strlist_clear_arena(&u->proxy_addresses);
		dg_strlist_clear_arena(&u->groups);
		dg_strlist_clear_arena(&u->group_paths);
		return;
	}
	free(u->entry);
	free(u->dn);
	free(u->name_value);
	free(u->full_name);
	dg_strlist_clear(&u->mails);
	dg_strlist_clear(&u->proxy_addresses);
	dg_strlist_clear(&u->groups);
	dg_strlist_clear(&u->group_paths);
}

void dg_dir_user_list_clear(dg_dir_user_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		dir_user_release(&l->items[i], l->arena != NULL);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
	dg_arena_free(l->arena);
	l->arena = NULL;
}

void dg_dir_users_release(dg_dir_user *items, size_t nr, int in_arena)
{
	for (size_t i = 0; i < nr; i++)
		dir_user_release(&items[i], in_arena);
}

void dg_dir_user_list_truncate(dg_dir_user_list *l, size_t nr)
{
	while (l->nr > nr)
		dir_user_release(&l->items[--l->nr], l->arena != NULL);
}

/* A user's strings belong to the arena when there is one (see dg_preview). */
static void release_ms_user(dg_ms_user *u, dg_arena *a)
{
	if (a) {
		dg_strlist_clear_arena(&u->emails);
		dg_strlist_clear_arena(&u->groups);
		dg_strlist_clear_arena(&u->group_paths);
		return;
	}
	free(u->user_name);
	free(u->full_name);
	free(u->dn);
	free(u->entry);
	free(u->name_raw);
	dg_strlist_clear(&u->emails);
	dg_strlist_clear(&u->groups);
	dg_strlist_clear(&u->group_paths);
}

void dg_preview_release(dg_preview *p)
{
	for (size_t i = 0; i < p->nusers; i++)
		release_ms_user(&p->users[i], p->arena);
	for (size_t i = 0; p->arena == NULL && i < p->nskipped; i++) {
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
	dg_quality_list_clear(&p->quality);
	dg_strlist_clear(&p->verified_domains);
	dg_strlist_clear(&p->queries);
	dg_arena_free(p->arena);
	memset(p, 0, sizeof(*p));
}

/* ---- lower-casing ---- */

/* .NET's ToLowerInvariant (which MailStore uses) covers more scripts; the
 * shared table (utf8.h) has the letters seen in practice, the same ones
 * filters fold, and keeps anything else as it is (invalid UTF-8 too: the
 * connector reports it). */
static void lower_in_place(char *s)
{
	dg_utf8_fold(s, s, strlen(s));
}

/* Does lower-casing leave s as it is?  (ASCII without capitals.) */
static int already_lower(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || *p >= 0x80)
			return 0;
	return 1;
}

char *dg_mapping_lower(const char *s)
{
	size_t n = strlen(s);
	char *low = dg_xmalloc(n + 1);
	dg_utf8_fold(low, s, n);
	low[n] = '\0';
	return low;
}

/* ---- strings: in the preview's arena `a`, or malloc'd when it is NULL ---- */

static char *sdup(dg_arena *a, const char *s, size_t n)
{
	return a ? dg_arena_strndup(a, s, n) : dg_xstrndup(s, n);
}

static void sfree(dg_arena *a, char *s)
{
	if (!a)
		free(s);
}

/* ---- e-mail addresses ---- */

static char *trimmed(dg_arena *a, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return sdup(a, s, n);
}

/* One user's addresses so far, for "seen already, in any letter case?":
 * a scan of the list while it is short, a hash table of list indexes once
 * it grows (one mailbox may carry tens of thousands of proxyAddresses, and
 * a scan per address would make that quadratic). */
typedef struct addr_set {
	dg_strlist *list;
	size_t *slot; /* index + 1 into list->items, 0 = free; NULL while short */
	size_t cap;   /* a power of two, at least twice list->nr */
} addr_set;

enum { ADDR_SCAN_MAX = 16 };

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* FNV-1a over the ASCII-folded bytes: equal under strcasecmp, equal hash. */
static size_t hash_ci(const char *s)
{
	uint64_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ fold((unsigned char)*s)) * 1099511628211u;
	return (size_t)h;
}

/* The slot that holds `addr` (case-insensitively), or the free one it goes to. */
static size_t *set_slot(const addr_set *set, const char *addr)
{
	size_t i = hash_ci(addr) & (set->cap - 1);
	while (set->slot[i] && strcasecmp(set->list->items[set->slot[i] - 1], addr))
		i = (i + 1) & (set->cap - 1);
	return &set->slot[i];
}

static void set_rehash(addr_set *set)
{
	free(set->slot);
	set->cap = set->cap ? set->cap * 2 : 4 * ADDR_SCAN_MAX;
	set->slot = dg_xcalloc(set->cap, sizeof(*set->slot));
	for (size_t i = 0; i < set->list->nr; i++)
		*set_slot(set, set->list->items[i]) = i + 1;
}

static void push_unique(dg_arena *a, addr_set *set, char *addr)
{
	dg_strlist *out = set->list;
	size_t *slot = NULL;
	if (!*addr) {
		sfree(a, addr);
		return;
	}
	if (!set->slot && out->nr >= ADDR_SCAN_MAX)
		set_rehash(set);
	if (set->slot ? *(slot = set_slot(set, addr)) != 0 : dg_strlist_contains_ci(out, addr)) {
		sfree(a, addr);
		return;
	}
	dg_strlist_push_owned(out, addr);
	if (!slot)
		return;
	*slot = out->nr;
	if (2 * out->nr > set->cap)
		set_rehash(set);
}

/* A mail value may hold "a@x, b@x" (MailStore splits at commas). */
static void push_split(dg_arena *a, addr_set *out, const char *value)
{
	const char *p = value;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		push_unique(a, out, trimmed(a, p, n));
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

/* The address in *slot after `skip` bytes, trimmed, as an owned string.
 * With `take` it is *slot itself, trimmed in place and moved out (*slot
 * becomes NULL): no allocation for the run that may take its input. */
static char *address(dg_arena *a, char **slot, size_t skip, int take)
{
	const char *s = *slot + skip;
	size_t n = strlen(s);
	char *own;
	if (!take)
		return trimmed(a, s, n);
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	own = *slot;
	*slot = NULL;
	memmove(own, s, n);
	own[n] = '\0';
	return own;
}

static void emails(dg_arena *a, dg_strlist *mails, dg_strlist *proxy, dg_strlist *list, int take)
{
	char **primary = NULL;
	addr_set set = { .list = list }, *out = &set;
	/* room for the usual case, one address per value */
	DG_ALLOC_GROW(list->items, list->nr + mails->nr + proxy->nr, list->alloc);
	/* Exchange: if several carry upper-case SMTP:, the last one is primary. */
	for (size_t i = 0; i < proxy->nr; i++)
		if (smtp_kind(proxy->items[i]) == 1)
			primary = &proxy->items[i];
	if (primary)
		push_unique(a, out, address(a, primary, 5, take));
	for (size_t i = 0; i < mails->nr; i++) {
		if (take && !strchr(mails->items[i], ','))
			push_unique(a, out, address(a, &mails->items[i], 0, 1));
		else
			push_split(a, out, mails->items[i]);
	}
	for (size_t i = 0; i < proxy->nr; i++) {
		/* NULL: the primary, moved above (it would be a duplicate here) */
		if (proxy->items[i] && smtp_kind(proxy->items[i]))
			push_unique(a, out, address(a, &proxy->items[i], 5, take));
	}
	free(set.slot);
}

void dg_mapping_emails(const dg_strlist *mails, const dg_strlist *proxy, dg_strlist *out)
{
	/* take == 0 never writes to the lists */
	emails(NULL, (dg_strlist *)mails, (dg_strlist *)proxy, out, 0);
}

/* ---- the rules ---- */

/* Moves *s out of a record the run may take (leaving NULL), or copies it. */
static char *take_str(dg_arena *a, char **s, int take)
{
	char *v = *s;
	if (take) {
		*s = NULL;
		return v;
	}
	return v ? sdup(a, v, strlen(v)) : NULL;
}

static void add_skipped(dg_preview *out, dg_arena *a, dg_dir_user *u, int take,
			const char *reason, const char *detail)
{
	dg_skipped *s;
	DG_ALLOC_GROW(out->skipped, out->nskipped + 1, out->skipped_alloc);
	s = &out->skipped[out->nskipped++];
	s->entry = take_str(a, &u->entry, take);
	s->reason = sdup(a, reason, strlen(reason));
	s->detail = detail ? sdup(a, detail, strlen(detail)) : NULL;
}

/* Returns the skip reason for u, or NULL when MailStore would keep it. */
static const char *skip_reason(const dg_dir_user *u, const dg_mapping_opts *o, const char **detail)
{
	*detail = NULL;
	if (!u->in_groups) {
		*detail = "not a member (directly or nested) of a selected group";
		return "not-in-group";
	}
	if (o->enabled_only && u->disabled == 1 && o->suspended_words) {
		*detail = "user is suspended (enabled users only)";
		return "suspended";
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
static char *derive_user_name(dg_arena *a, const dg_dir_user *u, const dg_mapping_opts *o)
{
	const char *v = u->name_value;
	size_t n;
	char *name;
	if (!v)
		return NULL;
	n = strlen(v);
	if (o->local_part_only) {
		const char *at = strchr(v, '@');
		if (at)
			n = (size_t)(at - v);
	}
	name = trimmed(a, v, n);
	if (!*name) {
		sfree(a, name);
		return NULL;
	}
	lower_in_place(name);
	return name;
}

/* Moves the list (take) or copies its strings into `a`. */
static void move_list(dg_arena *a, dg_strlist *to, dg_strlist *from, int take)
{
	if (take) {
		*to = *from;
		memset(from, 0, sizeof(*from));
		return;
	}
	for (size_t i = 0; i < from->nr; i++)
		dg_strlist_push_owned(to, sdup(a, from->items[i], strlen(from->items[i])));
}

static void add_user(dg_preview *out, dg_arena *a, dg_dir_user *u, int take, char *name)
{
	dg_ms_user *m;
	DG_ALLOC_GROW(out->users, out->nusers + 1, out->users_alloc);
	m = &out->users[out->nusers++];
	memset(m, 0, sizeof(*m));
	m->user_name = name;
	m->full_name = take_str(a, &u->full_name, take);
	if (!m->full_name)
		m->full_name = sdup(a, "", 0);
	m->dn = take_str(a, &u->dn, take);
	m->entry = take_str(a, &u->entry, take);
	emails(a, &u->mails, &u->proxy_addresses, &m->emails, take);
	move_list(a, &m->groups, &u->groups, take);
	move_list(a, &m->group_paths, &u->group_paths, take);
	if (u->name_value && strcmp(u->name_value, name))
		m->name_raw = sdup(a, u->name_value, strlen(u->name_value));
}

/* Sorting by (user name, input order) keeps the first directory entry of a
 * collision as the user MailStore keeps, and makes the output stable.  The
 * sort moves these small records, not the users; users are added in input
 * order, so their index is the input order. */
typedef struct ranked {
	const char *name;
	size_t user;      /* index in out->users as added */
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->user < y->user ? -1 : x->user > y->user;
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

/* Reorders users[0..n) in place so that users[k] becomes the old
 * users[perm[k]] (perm a permutation of 0..n-1): following each cycle
 * needs one spare record, not a second array of every user. */
static void permute_users(dg_ms_user *users, size_t n, const size_t *perm)
{
	unsigned char *done = dg_xcalloc(n ? n : 1, 1);
	for (size_t k = 0; k < n; k++) {
		dg_ms_user tmp;
		size_t j = k;
		if (done[k])
			continue;
		tmp = users[k];
		for (;;) {
			size_t from = perm[j];
			done[j] = 1;
			if (from == k) {
				users[j] = tmp;
				break;
			}
			users[j] = users[from];
			j = from;
		}
	}
	free(done);
}

/* Puts the users in sorted order, collapsing runs of one user name into
 * the first entry and reporting them: "case-only" when the directory
 * values differ only in letter case (raw[] holds them, by user index),
 * "same-user-name" otherwise (e.g. two UPNs with the same local part).
 * Returns where the users went (malloc'd, NULL for none): new user k -
 * base was user perm[k] + base, and from out->nusers - base on come
 * those collapsed. */
static size_t *collapse_names(dg_preview *out, size_t base, const ranked *r, size_t n,
			      char *const *raw)
{
	size_t *perm, w = 0, tail = n;
	if (!n)
		return NULL; /* no users: out->users may be NULL, no pointer to offset */
	perm = dg_xmalloc(n * sizeof(*perm));
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && !strcmp(r[j].name, r[i].name))
			j++;
		if (j - i > 1) {
			const char *first = raw[r[i].user - base];
			int case_only = 1;
			for (size_t k = i + 1; k < j; k++)
				if (strcmp(raw[r[k].user - base], first) == 0 ||
				    strcasecmp(raw[r[k].user - base], first))
					case_only = 0;
			dg_conflict *c = add_conflict(out, r[i].name,
						      case_only ? "case-only" : "same-user-name");
			for (size_t k = i; k < j; k++)
				dg_strlist_push(&c->entries, out->users[r[k].user].entry);
			for (size_t k = i + 1; k < j; k++) {
				/* released now, moved past the end below */
				release_ms_user(&out->users[r[k].user], out->arena);
				perm[--tail] = r[k].user - base;
			}
		}
		perm[w++] = r[i].user - base;
		i = j;
	}
	permute_users(out->users + base, n, perm);
	out->nusers = base + w;
	return perm;
}

typedef struct addr_ref {
	char *lower;      /* the address itself when it is already lower case */
	uint32_t user;
	uint32_t owned;
} addr_ref;

static int cmp_addr(const void *a, const void *b)
{
	const addr_ref *x = a, *y = b;
	int c = strcmp(x->lower, y->lower);
	if (c)
		return c;
	return x->user < y->user ? -1 : x->user > y->user;
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h ^= h >> 16; /* FNV leaves the low bits a table uses poorly mixed */
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

/* Marks dup[i] for every ref whose address another ref also has.  A hash
 * table instead of sorting every address: duplicates are rare, so only
 * they are sorted afterwards. */
static size_t mark_duplicates(const addr_ref *refs, size_t n, unsigned char *dup)
{
	size_t size = 16, ndup = 0;
	/* ref index + 1, and that address's hash: a probe that passes a
	 * different address compares hashes, not strings (two cache misses) */
	struct { uint32_t ref, hash; } *slots;
	while (size < 2 * n)
		size *= 2;
	slots = dg_xcalloc(size, sizeof(*slots));
	for (size_t i = 0; i < n; i++) {
		uint32_t h = hash_str(refs[i].lower);
		size_t j = h & (size - 1);
		for (; slots[j].ref; j = (j + 1) & (size - 1)) {
			uint32_t o = slots[j].ref - 1;
			if (slots[j].hash != h || strcmp(refs[o].lower, refs[i].lower))
				continue;
			ndup += !dup[o] + 1;
			dup[o] = dup[i] = 1;
			break;
		}
		if (!slots[j].ref) {
			slots[j].ref = (uint32_t)i + 1;
			slots[j].hash = h;
		}
	}
	free(slots);
	return ndup;
}

/* One address on two MailStore users: mail would be archived for both. */
static void find_duplicate_emails(dg_preview *out)
{
	size_t n = 0, ndup, k = 0;
	addr_ref *refs, *dups;
	unsigned char *dup;
	for (size_t i = 0; i < out->nusers; i++)
		n += out->users[i].emails.nr;
	refs = dg_xmalloc((n ? n : 1) * sizeof(*refs));
	n = 0;
	for (size_t i = 0; i < out->nusers; i++)
		for (size_t j = 0; j < out->users[i].emails.nr; j++) {
			char *addr = out->users[i].emails.items[j];
			/* most addresses are lower case already: no copy for them */
			refs[n].owned = !already_lower(addr);
			refs[n].lower = refs[n].owned ? dg_mapping_lower(addr) : addr;
			refs[n++].user = (uint32_t)i;
		}
	dup = dg_xcalloc(n ? n : 1, 1);
	ndup = mark_duplicates(refs, n, dup);
	dups = dg_xmalloc((ndup ? ndup : 1) * sizeof(*dups));
	for (size_t i = 0; i < n; i++)
		if (dup[i])
			dups[k++] = refs[i];
	/* conflicts in address order, entries in user order, as a full sort would */
	qsort(dups, ndup, sizeof(*dups), cmp_addr);
	for (size_t i = 0; i < ndup;) {
		size_t j = i + 1;
		while (j < ndup && !strcmp(dups[j].lower, dups[i].lower))
			j++;
		dg_conflict *c = add_conflict(out, dups[i].lower, "duplicate-email");
		for (size_t m = i; m < j; m++)
			dg_strlist_push(&c->entries, out->users[dups[m].user].entry);
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		if (refs[i].owned)
			free(refs[i].lower);
	free(dups);
	free(dup);
	free(refs);
}

/* One record through the rules; returns 1 when it became a user (r filled). */
static int map_one(dg_dir_user *u, int take, const dg_mapping_opts *opts, dg_preview *out,
		   ranked *r, char **raw)
{
	const char *detail, *reason = skip_reason(u, opts, &detail);
	dg_arena *a = out->arena;
	char *name;
	if (reason) {
		add_skipped(out, a, u, take, reason, detail);
		return 0;
	}
	name = derive_user_name(a, u, opts);
	if (!name) {
		add_skipped(out, a, u, take, "empty-user-name",
			    u->name_value ? "user-name attribute is empty after MailStore's rules"
					  : "entry has no value for the user-name attribute");
		return 0;
	}
	add_user(out, a, u, take, name);
	/* add_user read name_value before take_str below moves it */
	r->name = name;
	r->user = out->nusers - 1;
	*raw = take ? take_str(a, &u->name_value, take) : u->name_value;
	return 1;
}

/* ---- the run, record by record ---- */

/* A preview nobody has filled yet may get an arena; one with malloc'd
 * records must stay without (see dg_preview.arena). */
static int preview_empty(const dg_preview *out)
{
	return !out->arena && !out->nusers && !out->nskipped;
}

/* What the users need for the end: their names in input order (sorted at
 * the end) and their user-name values as the directory holds them. */
struct dg_mapping_rank {
	ranked *r;
	char **raw;  /* by user - base; each one the preview's (sfree at the end) */
	size_t n, alloc, raw_alloc;
	dg_quality_list issues;  /* per-user quality rules' (dg_mapping_quality) */
};

void dg_mapping_begin(dg_mapping *m, const dg_mapping_opts *opts, dg_preview *out, int arena)
{
	memset(m, 0, sizeof(*m));
	m->opts = *opts;
	m->out = out;
	if (arena && preview_empty(out)) {
		out->arena = dg_arena_new();
		m->own_arena = 1;
	}
	m->base = out->nusers;  /* 0 but for a caller that adds to a preview */
	m->skipped_base = out->nskipped;
	m->rank = dg_xcalloc(1, sizeof(*m->rank));
}

/* Records through the rules, in input order.  With `take`, strings move
 * from the records into the preview; without, they are copied.  Each
 * record is freed once read when `release` (`in_arena`: its strings are
 * an arena's), so the directory is never held twice. */
static void add(dg_mapping *m, dg_dir_user *items, size_t nr, int take, int in_arena,
		int release)
{
	struct dg_mapping_rank *k = m->rank;
	dg_preview *out = m->out;
	/* at most one user per record: no grow-and-copy steps */
	DG_ALLOC_GROW(out->users, out->nusers + nr, out->users_alloc);
	DG_ALLOC_GROW(k->r, k->n + nr, k->alloc);
	DG_ALLOC_GROW(k->raw, k->n + nr, k->raw_alloc);
	for (size_t i = 0; i < nr; i++) {
		char *raw;
		/* a copied record may be freed below: its value is copied too */
		if (!map_one(&items[i], take, &m->opts, out, &k->r[k->n], &raw)) {
			/* skipped */
		} else {
			k->raw[k->n++] = take ? raw : sdup(out->arena, raw, strlen(raw));
			if (m->quality)
				dg_quality_user(out, out->nusers - 1, &m->qopts, &k->issues);
		}
		if (release)
			dir_user_release(&items[i], in_arena);
	}
}

/* Strings move only to where the preview keeps its own: arena strings
 * into a preview with an arena, malloc'd ones into one without; otherwise
 * (mixed ownership, rare) they are copied. */
void dg_mapping_add_records(dg_mapping *m, dg_dir_user *items, size_t nr, int in_arena)
{
	int take = in_arena == (m->out->arena != NULL);
	add(m, items, nr, take, in_arena, 1);
}

void dg_mapping_adopt(dg_mapping *m, dg_arena *a)
{
	if (m->out->arena)
		dg_arena_adopt(m->out->arena, a);
	else
		dg_arena_free(a);  /* its strings were copied */
}

void dg_mapping_add_list(dg_mapping *m, dg_dir_user_list *in)
{
	dg_mapping_add_records(m, in->items, in->nr, in->arena != NULL);
	free(in->items);
	in->items = NULL;
	in->nr = in->alloc = 0;
	dg_mapping_adopt(m, in->arena);
	in->arena = NULL;
}

static void rank_free(dg_mapping *m)
{
	struct dg_mapping_rank *k = m->rank;
	for (size_t i = 0; i < k->n; i++)
		sfree(m->out->arena, k->raw[i]);
	free(k->raw);
	free(k->r);
	dg_quality_list_clear(&k->issues);
	free(k);
	m->rank = NULL;
}

void dg_mapping_quality(dg_mapping *m, const dg_quality_opts *o)
{
	m->quality = 1;
	m->qopts = *o;
}

/* The per-user issues into out->quality, renumbered to the users' sorted
 * places and in their order, each user's in the order its rules ran:
 * what dg_quality_run's first loop gives.  A collapsed user's go. */
static void place_issues(dg_mapping *m, const size_t *perm)
{
	dg_quality_list *from = &m->rank->issues, *to = &m->out->quality;
	size_t n = m->rank->n, kept = m->out->nusers - m->base, moved = 0;
	size_t *where = dg_xmalloc((n ? n : 1) * sizeof(*where));
	size_t *start = dg_xcalloc(kept + 1, sizeof(*start));
	for (size_t k = 0; k < n; k++)
		where[perm[k]] = k < kept ? k : SIZE_MAX;
	for (size_t i = 0; i < from->nr; i++) {
		size_t w = where[from->items[i].user - m->base];
		if (w == SIZE_MAX) {
			free(from->items[i].message);
			from->items[i].message = NULL;
			continue;
		}
		start[w + 1]++;
		moved++;
	}
	for (size_t k = 0; k < kept; k++)
		start[k + 1] += start[k];
	DG_ALLOC_GROW(to->items, to->nr + moved, to->alloc);
	for (size_t i = 0; i < from->nr; i++) {
		dg_quality_issue q = from->items[i];
		size_t w = where[q.user - m->base];
		if (w == SIZE_MAX)
			continue;
		q.user = m->base + w;
		to->items[to->nr + start[w]++] = q;
	}
	to->nr += moved;
	from->nr = 0;  /* moved: their messages are to's now */
	free(start);
	free(where);
}

/* What needs every user at once: the sort by name, the collapsing of one
 * name's users, the duplicate addresses. */
void dg_mapping_finish(dg_mapping *m)
{
	struct dg_mapping_rank *k = m->rank;
	size_t *perm;
	if (k->n)  /* no users: k->r may be NULL, which qsort must not get */
		qsort(k->r, k->n, sizeof(*k->r), cmp_ranked);
	perm = collapse_names(m->out, m->base, k->r, k->n, k->raw);
	if (m->quality)
		place_issues(m, perm);
	free(perm);
	rank_free(m);
	find_duplicate_emails(m->out);
}

void dg_mapping_abort(dg_mapping *m)
{
	dg_preview *out = m->out;
	rank_free(m);
	for (size_t i = m->base; i < out->nusers; i++)
		release_ms_user(&out->users[i], out->arena);
	for (size_t i = m->skipped_base; out->arena == NULL && i < out->nskipped; i++) {
		free(out->skipped[i].entry);
		free(out->skipped[i].reason);
		free(out->skipped[i].detail);
	}
	out->nusers = m->base;
	out->nskipped = m->skipped_base;
	if (m->own_arena) {
		dg_arena_free(out->arena);
		out->arena = NULL;
	}
}

void dg_mapping_run(const dg_dir_user_list *in, const dg_mapping_opts *opts, dg_preview *out)
{
	dg_mapping m;
	dg_mapping_begin(&m, opts, out, 1);
	/* take == 0 never writes to the records */
	add(&m, (dg_dir_user *)in->items, in->nr, 0, 0, 0);
	dg_mapping_finish(&m);
}

void dg_mapping_run_take(dg_dir_user_list *in, const dg_mapping_opts *opts, dg_preview *out)
{
	dg_mapping m;
	dg_mapping_begin(&m, opts, out, in->arena != NULL);
	dg_mapping_add_list(&m, in);
	dg_mapping_finish(&m);
}

void dg_preview_finish_quality(dg_preview *p)
{
	dg_quality_across(p, &p->quality, 0);
}

void dg_preview_check_quality(dg_preview *p)
{
	dg_quality_opts o = { p->verified_domains_known ? &p->verified_domains : NULL };
	dg_quality_list_clear(&p->quality);
	dg_quality_run(p, &o, &p->quality);
}

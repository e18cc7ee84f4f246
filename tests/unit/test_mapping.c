#include "core/mapping.h"
#include "core/utf8.h"
#include "test.h"

#include <time.h>

static dg_dir_user *user(dg_dir_user_list *l, const char *entry, const char *name,
			 const char *mail)
{
	dg_dir_user *u = dg_dir_user_list_add(l, entry);
	u->dn = dg_xstrdup(entry);
	if (name)
		u->name_value = dg_xstrdup(name);
	if (mail)
		dg_strlist_push(&u->mails, mail);
	return u;
}

static const dg_ms_user *find(const dg_preview *p, const char *name)
{
	for (size_t i = 0; i < p->nusers; i++)
		if (!strcmp(p->users[i].user_name, name))
			return &p->users[i];
	return NULL;
}

static void test_lower(void)
{
	char *s = dg_mapping_lower("JSmith ZOË ÅNGSTRÖM ŁUKASZ ΕΛΈΝΗ ИВАН 山田");
	CHECK_STR(s, "jsmith zoë ångström łukasz ελένη иван 山田");
	free(s);
	s = dg_mapping_lower("bad\xff" "X");
	CHECK_STR(s, "bad\xff" "x");
	free(s);
}

/* The one folding the mapping, filters and DNs share: same length, stray
 * bytes and sequences it cannot fold left alone, a cut-off letter too. */
static void test_utf8_fold(void)
{
	const char in[] = "\xC3\x89\xC0\xAE\xE2\x82\xAC\xED\xA0\x80Z\xC3";
	char out[sizeof(in)];
	dg_utf8_fold(out, in, sizeof(in) - 1);
	out[sizeof(in) - 1] = '\0';
	CHECK_STR(out, "\xC3\xA9\xC0\xAE\xE2\x82\xAC\xED\xA0\x80z\xC3");
	CHECK_INT(dg_utf8_len((const unsigned char *)"\xC0\xAE", 2), 0); /* overlong */
	CHECK_INT(dg_utf8_len((const unsigned char *)"\xED\xA0\x80", 3), 0); /* surrogate */
	CHECK_INT(dg_utf8_len((const unsigned char *)"\xE2\x82\xAC", 2), 0); /* cut off */
	CHECK_INT(dg_utf8_decode((const unsigned char *)"\xE2\x82\xAC", 3), 0x20AC);
	CHECK_INT(dg_utf8_count("ZOË"), 3);
	CHECK_INT(dg_casefold_cp(0x178), 0xFF);
}

static void test_emails_proxy_order(void)
{
	dg_strlist mails = DG_STRLIST_INIT, proxy = DG_STRLIST_INIT, out = DG_STRLIST_INIT;
	dg_strlist_push(&mails, "old@contoso.com, Alias@Contoso.com");
	dg_strlist_push(&proxy, "smtp:second@contoso.com");
	dg_strlist_push(&proxy, "X500:/o=Contoso/ou=Exchange/cn=Recipients/cn=jdoe");
	dg_strlist_push(&proxy, "SMTP:Primary@contoso.com");
	dg_strlist_push(&proxy, "sip:jdoe@contoso.com");
	dg_strlist_push(&proxy, "smtp:ALIAS@contoso.com");
	dg_mapping_emails(&mails, &proxy, &out);
	CHECK_INT(out.nr, 4);
	if (out.nr == 4) {
		CHECK_STR(out.items[0], "Primary@contoso.com");
		CHECK_STR(out.items[1], "old@contoso.com");
		CHECK_STR(out.items[2], "Alias@Contoso.com");
		CHECK_STR(out.items[3], "second@contoso.com");
	}
	dg_strlist_clear(&mails);
	dg_strlist_clear(&proxy);
	dg_strlist_clear(&out);
}

static void test_last_upper_smtp_is_primary(void)
{
	dg_strlist mails = DG_STRLIST_INIT, proxy = DG_STRLIST_INIT, out = DG_STRLIST_INIT;
	dg_strlist_push(&proxy, "SMTP:a@x.com");
	dg_strlist_push(&proxy, "SMTP:b@x.com");
	dg_mapping_emails(&mails, &proxy, &out);
	CHECK_INT(out.nr, 2);
	CHECK_STR(out.items[0], "b@x.com");
	dg_strlist_clear(&proxy);
	dg_strlist_clear(&out);
}

static void test_skip_reasons_in_order(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { .enabled_only = 1, .exchange_only = 1, .visible_only = 1 };
	dg_preview p = { 0 };
	dg_dir_user *u;
	u = user(&l, "cn=outside", "outside", "o@x.com");
	u->in_groups = 0;
	u->disabled = 1; /* not-in-group wins */
	u = user(&l, "cn=disabled", "dis", "d@x.com");
	u->disabled = 1;
	u = user(&l, "cn=nomail", "nomail", NULL);
	u->exchange = 0;
	u = user(&l, "cn=hidden", "hid", "h@x.com");
	u->hidden = 1;
	user(&l, "cn=noname", NULL, "n@x.com");
	user(&l, "cn=blank", "  ", "b@x.com");
	user(&l, "cn=ok", "OK", "ok@x.com");
	dg_mapping_run(&l, &o, &p);
	CHECK_INT(p.nusers, 1);
	CHECK_STR(p.users[0].user_name, "ok");
	CHECK_INT(p.nskipped, 6);
	if (p.nskipped == 6) {
		CHECK_STR(p.skipped[0].reason, "not-in-group");
		CHECK_STR(p.skipped[1].reason, "disabled");
		CHECK_STR(p.skipped[2].reason, "no-email");
		CHECK_STR(p.skipped[3].reason, "hidden");
		CHECK_STR(p.skipped[4].reason, "empty-user-name");
		CHECK_STR(p.skipped[5].reason, "empty-user-name");
	}
	dg_preview_release(&p);
	dg_dir_user_list_clear(&l);
}

/* Google's words: a disabled user is "suspended" there, an archived one
 * "archived"; both only with enabledUsersOnly. */
static void test_google_words(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { .enabled_only = 1, .skip_archived = 1, .suspended_words = 1 };
	dg_preview p = { 0 };
	dg_dir_user *u;
	u = user(&l, "s@x.com", "s@x.com", "s@x.com");
	u->disabled = 1;
	u = user(&l, "a@x.com", "a@x.com", "a@x.com");
	u->archived = 1;
	user(&l, "ok@x.com", "ok@x.com", "ok@x.com");
	dg_mapping_run(&l, &o, &p);
	CHECK_INT(p.nusers, 1);
	CHECK_INT(p.nskipped, 2);
	if (p.nskipped == 2) {
		CHECK_STR(p.skipped[0].reason, "suspended");
		CHECK_STR(p.skipped[0].detail, "user is suspended (enabled users only)");
		CHECK_STR(p.skipped[1].reason, "archived");
	}
	dg_preview_release(&p);
	o.enabled_only = 0;  /* without it both are synchronised */
	p = (dg_preview){ 0 };
	dg_mapping_run(&l, &o, &p);
	CHECK_INT(p.nusers, 3);
	dg_preview_release(&p);
	dg_dir_user_list_clear(&l);
}

static void test_options_off_keep_everyone(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { 0 };
	dg_preview p = { 0 };
	dg_dir_user *u = user(&l, "cn=a", "a", NULL);
	u->disabled = 1;
	u->hidden = 1;
	u->exchange = 0;
	dg_mapping_run(&l, &o, &p);
	CHECK_INT(p.nusers, 1);
	CHECK_INT(p.nskipped, 0);
	dg_preview_release(&p);
	dg_dir_user_list_clear(&l);
}

static void test_local_part_and_sorting(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { .local_part_only = 1 };
	dg_preview p = { 0 };
	user(&l, "cn=z", "Zed@contoso.com", NULL);
	user(&l, "cn=a", "Anna.Berg@contoso.com", NULL);
	user(&l, "cn=m", "mike", NULL);
	dg_mapping_run(&l, &o, &p);
	CHECK_INT(p.nusers, 3);
	CHECK_STR(p.users[0].user_name, "anna.berg");
	CHECK_STR(p.users[1].user_name, "mike");
	CHECK_STR(p.users[2].user_name, "zed");
	dg_preview_release(&p);
	dg_dir_user_list_clear(&l);
}

static void test_conflicts(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { .local_part_only = 1 };
	dg_preview p = { 0 };
	user(&l, "cn=JSmith1", "JSmith", "j1@x.com");
	user(&l, "cn=jsmith2", "jsmith", "j2@x.com");
	user(&l, "cn=pat-contoso", "pat@contoso.com", "shared@x.com");
	user(&l, "cn=pat-fabrikam", "pat@fabrikam.com", "p2@x.com");
	user(&l, "cn=other", "other", "Shared@X.com");
	dg_mapping_run(&l, &o, &p);
	CHECK_INT(p.nusers, 3);
	CHECK(find(&p, "jsmith") && !strcmp(find(&p, "jsmith")->entry, "cn=JSmith1"));
	CHECK_INT(p.nconflicts, 3);
	if (p.nconflicts == 3) {
		CHECK_STR(p.conflicts[0].reason, "case-only");
		CHECK_STR(p.conflicts[0].user_name, "jsmith");
		CHECK_INT(p.conflicts[0].entries.nr, 2);
		CHECK_STR(p.conflicts[1].reason, "same-user-name");
		CHECK_STR(p.conflicts[1].user_name, "pat");
		CHECK_STR(p.conflicts[2].reason, "duplicate-email");
		CHECK_STR(p.conflicts[2].user_name, "shared@x.com");
		CHECK_STR(p.conflicts[2].entries.items[0], "cn=other");
		CHECK_STR(p.conflicts[2].entries.items[1], "cn=pat-contoso");
	}
	dg_preview_release(&p);
	dg_dir_user_list_clear(&l);
}

static void test_many_users_stay_sorted(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { 0 };
	dg_preview p = { 0 };
	char name[32], mail[48];
	for (int i = 5000; i > 0; i--) {
		snprintf(name, sizeof(name), "user%05d", i);
		snprintf(mail, sizeof(mail), "user%05d@x.com", i);
		user(&l, name, name, mail);
	}
	dg_mapping_run(&l, &o, &p);
	CHECK_INT(p.nusers, 5000);
	CHECK_INT(p.nconflicts, 0);
	int sorted = 1;
	for (size_t i = 1; i < p.nusers; i++)
		if (strcmp(p.users[i - 1].user_name, p.users[i].user_name) >= 0)
			sorted = 0;
	CHECK(sorted);
	dg_preview_release(&p);
	dg_dir_user_list_clear(&l);
}

/* A directory with every case the rules distinguish, built twice. */
static void varied(dg_dir_user_list *l)
{
	dg_dir_user *u;
	u = user(l, "cn=a", "Alice@X.com", " Alice@X.com ");
	dg_strlist_push(&u->proxy_addresses, "smtp: second@x.com");
	dg_strlist_push(&u->proxy_addresses, "SMTP:Primary@X.com\t");
	dg_strlist_push(&u->proxy_addresses, "X500:/o=x/cn=a");
	dg_strlist_push(&u->groups, "Staff");
	dg_strlist_push(&u->group_paths, "Staff \u2190 Sales");
	u->full_name = dg_xstrdup("Alice");
	u = user(l, "cn=a2", "alice@y.com", "one@x.com, Two@x.com,,");
	u = user(l, "cn=b", "BOB", "shared@x.com");
	u = user(l, "cn=b2", "bob", "b2@x.com");
	u = user(l, "cn=c", "Ｃarol", "ÄÖ@x.com");
	dg_strlist_push(&u->mails, "äö@x.com");
	u = user(l, "cn=skip", "skip", "s@x.com");
	u->in_groups = 0;
	u = user(l, "cn=empty", "  @x.com", NULL);
	u = user(l, "cn=none", NULL, NULL);
	u = user(l, "cn=cloud", "cloud", "SHARED@x.com");
	free(u->dn);
	u->dn = NULL;
}

static void check_same_strlist(const dg_strlist *a, const dg_strlist *b)
{
	CHECK_INT(a->nr, b->nr);
	for (size_t i = 0; i < a->nr && i < b->nr; i++)
		CHECK_STR(a->items[i], b->items[i]);
}

static int same_opt(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Moves a list's strings into an arena the list owns, as the snapshot
 * connector builds its records. */
static char *into(dg_arena *a, char *s)
{
	char *c = s ? dg_arena_strdup(a, s) : NULL;
	free(s);
	return c;
}

static void strlist_into(dg_arena *a, dg_strlist *l)
{
	for (size_t i = 0; i < l->nr; i++)
		l->items[i] = into(a, l->items[i]);
}

static void to_arena(dg_dir_user_list *l)
{
	l->arena = dg_arena_new();
	for (size_t i = 0; i < l->nr; i++) {
		dg_dir_user *u = &l->items[i];
		u->entry = into(l->arena, u->entry);
		u->dn = into(l->arena, u->dn);
		u->name_value = into(l->arena, u->name_value);
		u->full_name = into(l->arena, u->full_name);
		strlist_into(l->arena, &u->mails);
		strlist_into(l->arena, &u->proxy_addresses);
		strlist_into(l->arena, &u->groups);
		strlist_into(l->arena, &u->group_paths);
	}
}

/* dg_mapping_run_take gives what dg_mapping_run gives, and empties its
 * input: with malloc'd strings (moved one by one) and with strings in an
 * arena (the preview adopts it), into an empty preview or one that has an
 * arena already. */
static void take_matches_copy(int arena, int preview_arena)
{
	dg_dir_user_list l1 = DG_DIR_USER_LIST_INIT, l2 = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { .local_part_only = 1, .exchange_only = 1 };
	dg_preview p1 = { 0 }, p2 = { 0 };
	varied(&l1);
	varied(&l2);
	if (arena)
		to_arena(&l2);
	if (preview_arena)
		p2.arena = dg_arena_new();
	dg_mapping_run(&l1, &o, &p1);
	dg_mapping_run_take(&l2, &o, &p2);
	CHECK_INT(l1.nr, 9);
	CHECK_INT(l2.nr, 0);
	CHECK(l2.items == NULL);
	CHECK(l2.arena == NULL);
	CHECK_INT(p1.nusers, p2.nusers);
	for (size_t i = 0; i < p1.nusers && i < p2.nusers; i++) {
		const dg_ms_user *a = &p1.users[i], *b = &p2.users[i];
		CHECK_STR(a->user_name, b->user_name);
		CHECK_STR(a->full_name, b->full_name);
		CHECK(same_opt(a->dn, b->dn));
		CHECK_STR(a->entry, b->entry);
		check_same_strlist(&a->emails, &b->emails);
		check_same_strlist(&a->groups, &b->groups);
		check_same_strlist(&a->group_paths, &b->group_paths);
		CHECK(same_opt(a->name_raw, b->name_raw));
	}
	CHECK_INT(p1.nskipped, p2.nskipped);
	for (size_t i = 0; i < p1.nskipped && i < p2.nskipped; i++) {
		CHECK_STR(p1.skipped[i].entry, p2.skipped[i].entry);
		CHECK_STR(p1.skipped[i].reason, p2.skipped[i].reason);
		CHECK(same_opt(p1.skipped[i].detail, p2.skipped[i].detail));
	}
	CHECK_INT(p1.nconflicts, p2.nconflicts);
	for (size_t i = 0; i < p1.nconflicts && i < p2.nconflicts; i++) {
		CHECK_STR(p1.conflicts[i].user_name, p2.conflicts[i].user_name);
		CHECK_STR(p1.conflicts[i].reason, p2.conflicts[i].reason);
		check_same_strlist(&p1.conflicts[i].entries, &p2.conflicts[i].entries);
	}
	/* and the expected answers, so both cannot be wrong alike */
	const dg_ms_user *a = find(&p1, "alice");
	CHECK(a != NULL);
	if (a && a->emails.nr == 3) {
		CHECK_STR(a->emails.items[0], "Primary@X.com");
		CHECK_STR(a->emails.items[1], "Alice@X.com");
		CHECK_STR(a->emails.items[2], "second@x.com");
	} else {
		CHECK(0);
	}
	/* the group path and the directory's user-name value travel with it */
	if (a && a->group_paths.nr == 1)
		CHECK_STR(a->group_paths.items[0], "Staff \u2190 Sales");
	else
		CHECK(0);
	CHECK_STR(a ? a->name_raw : NULL, "Alice@X.com");
	CHECK(find(&p1, "cloud") && find(&p1, "cloud")->name_raw == NULL);
	int same_name = 0, case_only = 0, dup_shared = 0, dup_umlaut = 0;
	for (size_t i = 0; i < p1.nconflicts; i++) {
		const dg_conflict *c = &p1.conflicts[i];
		same_name += !strcmp(c->reason, "same-user-name") && !strcmp(c->user_name, "alice");
		case_only += !strcmp(c->reason, "case-only") && !strcmp(c->user_name, "bob");
		dup_shared += !strcmp(c->reason, "duplicate-email") &&
			      !strcmp(c->user_name, "shared@x.com") && c->entries.nr == 2;
		dup_umlaut += !strcmp(c->reason, "duplicate-email") &&
			      !strcmp(c->user_name, "äö@x.com");
	}
	CHECK_INT(same_name, 1);
	CHECK_INT(case_only, 1);
	CHECK_INT(dup_shared, 1);
	CHECK_INT(dup_umlaut, 1);
	dg_preview_release(&p1);
	dg_preview_release(&p2);
	dg_dir_user_list_clear(&l1);
	dg_dir_user_list_clear(&l2);
}

static void test_take_matches_copy(void)
{
	take_matches_copy(0, 0);
}

static void test_take_from_arena(void)
{
	take_matches_copy(1, 0);
	take_matches_copy(1, 1);
	take_matches_copy(0, 1);
}

/* No users at all (an LDIF of only "version: 1"): an empty preview, and
 * no arithmetic on the NULL user array (UBSan: null pointer plus zero). */
static void test_empty_directory(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { .exchange_only = 1 };
	dg_preview p = { 0 };
	dg_mapping_run_take(&l, &o, &p);
	CHECK_INT(p.nusers, 0);
	CHECK_INT(p.nconflicts, 0);
	dg_preview_release(&p);
}

/* One mailbox with 60,000 proxyAddresses, every one twice in another
 * letter case: each address once, in order, and fast. A scan per address
 * (1.8e9 comparisons) takes tens of seconds; the bound is generous for
 * a loaded machine and a sanitizer build. */
static void test_many_proxy_addresses(void)
{
	enum { N = 60000 };
	dg_strlist mails = DG_STRLIST_INIT, proxy = DG_STRLIST_INIT, out = DG_STRLIST_INIT;
	char buf[64];
	struct timespec t0, t1;
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof buf, "smtp:alias%05d@contoso.com", i);
		dg_strlist_push(&proxy, buf);
		snprintf(buf, sizeof buf, "smtp:ALIAS%05d@Contoso.COM", i);
		dg_strlist_push(&proxy, buf);
	}
	dg_strlist_push(&mails, "Alias00007@contoso.com");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dg_mapping_emails(&mails, &proxy, &out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_INT(out.nr, N);
	if (out.nr == N) {
		CHECK_STR(out.items[0], "Alias00007@contoso.com");
		CHECK_STR(out.items[1], "alias00000@contoso.com");
		CHECK_STR(out.items[N - 1], "alias59999@contoso.com");
	}
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %d proxyAddresses de-duplicated in %.3f s\n", 2 * N, secs);
	CHECK(secs < 5.0);
	dg_strlist_clear(&mails);
	dg_strlist_clear(&proxy);
	dg_strlist_clear(&out);
}

/* Every part of two previews alike, the quality issues too. */
static void check_same_preview(const dg_preview *a, const dg_preview *b)
{
	CHECK_INT(a->nusers, b->nusers);
	for (size_t i = 0; i < a->nusers && i < b->nusers; i++) {
		CHECK_STR(a->users[i].user_name, b->users[i].user_name);
		CHECK_STR(a->users[i].entry, b->users[i].entry);
		CHECK_STR(a->users[i].full_name, b->users[i].full_name);
		CHECK(same_opt(a->users[i].name_raw, b->users[i].name_raw));
		check_same_strlist(&a->users[i].emails, &b->users[i].emails);
	}
	CHECK_INT(a->nskipped, b->nskipped);
	for (size_t i = 0; i < a->nskipped && i < b->nskipped; i++) {
		CHECK_STR(a->skipped[i].entry, b->skipped[i].entry);
		CHECK_STR(a->skipped[i].reason, b->skipped[i].reason);
	}
	CHECK_INT(a->nconflicts, b->nconflicts);
	for (size_t i = 0; i < a->nconflicts && i < b->nconflicts; i++) {
		CHECK_STR(a->conflicts[i].user_name, b->conflicts[i].user_name);
		CHECK_STR(a->conflicts[i].reason, b->conflicts[i].reason);
		check_same_strlist(&a->conflicts[i].entries, &b->conflicts[i].entries);
	}
	CHECK_INT(a->quality.nr, b->quality.nr);
	for (size_t i = 0; i < a->quality.nr && i < b->quality.nr; i++) {
		const dg_quality_issue *x = &a->quality.items[i], *y = &b->quality.items[i];
		CHECK_STR(x->code, y->code);
		CHECK_INT(x->user, y->user);
		CHECK_STR(x->entry, y->entry);
		CHECK_STR(x->user_name, y->user_name);
		CHECK_STR(x->message, y->message);
	}
}

/* varied() and some more that the quality rules and the collapsing see:
 * a collapsed user with an issue of its own, an alias that is another
 * user's primary address, a domain that is not verified. */
static void varied_more(dg_dir_user_list *l)
{
	dg_dir_user *u;
	varied(l);
	u = user(l, "cn=a3", "ALICE@z.com", "bad address@x.com");
	u = user(l, "cn=d", "dave", "dave@x.com");
	dg_strlist_push(&u->proxy_addresses, "smtp:Primary@x.com");
	u = user(l, "cn=e", " eve ", "eve@unverified.example");
	u->full_name = dg_xstrdup("Eve\nSmith");
}

/* Pages of `per` records leave the list as the page stream moves them
 * (records copied out, the list cut back without freeing them). */
static void map_in_batches(dg_dir_user_list *l, size_t per, const dg_quality_opts *q,
			   dg_preview *p)
{
	dg_mapping_opts o = { .local_part_only = 1, .exchange_only = 1 };
	dg_mapping m;
	size_t total = l->nr;
	dg_mapping_begin(&m, &o, p, l->arena != NULL);
	dg_mapping_quality(&m, q);
	for (size_t at = 0; at < total; at += per) {
		size_t n = total - at < per ? total - at : per;
		dg_dir_user *page = dg_xmalloc(n * sizeof(*page));
		memcpy(page, l->items + at, n * sizeof(*page));
		dg_mapping_add_records(&m, page, n, l->arena != NULL);
		free(page);
	}
	l->nr = 0;  /* every record handed over */
	dg_mapping_add_list(&m, l);
	dg_mapping_finish(&m);
	dg_preview_finish_quality(p);
}

/* One run over all records and batches of any size give one preview,
 * conflicts that span batches and the quality issues included; with
 * strings in an arena (the cloud connectors) and without. */
static void test_batches_match_one_run(void)
{
	dg_mapping_opts o = { .local_part_only = 1, .exchange_only = 1 };
	dg_strlist domains = DG_STRLIST_INIT;
	dg_quality_opts q = { &domains };
	dg_strlist_push(&domains, "x.com");
	for (int arena = 0; arena < 2; arena++) {
		for (size_t per = 1; per <= 13; per++) {
			dg_dir_user_list l1 = DG_DIR_USER_LIST_INIT, l2 = DG_DIR_USER_LIST_INIT;
			dg_preview p1 = { 0 }, p2 = { 0 };
			varied_more(&l1);
			varied_more(&l2);
			if (arena)
				to_arena(&l2);
			dg_mapping_run(&l1, &o, &p1);
			p1.verified_domains_known = 1;
			dg_strlist_push(&p1.verified_domains, "x.com");
			dg_preview_check_quality(&p1);
			map_in_batches(&l2, per, &q, &p2);
			CHECK(l2.arena == NULL && l2.items == NULL);
			check_same_preview(&p1, &p2);
			dg_preview_release(&p1);
			dg_preview_release(&p2);
			dg_dir_user_list_clear(&l1);
		}
	}
	dg_strlist_clear(&domains);
}

/* The expected answers for the batches, so that both cannot be wrong
 * alike: the collisions across batches and the issues renumbered. */
static void test_batches_answers(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_strlist domains = DG_STRLIST_INIT;
	dg_quality_opts q = { &domains };
	dg_preview p = { 0 };
	int alice3 = 0, alias = 0, unverified = 0, a3_issue = 0;
	dg_strlist_push(&domains, "x.com");
	varied_more(&l);
	to_arena(&l);
	map_in_batches(&l, 2, &q, &p);
	for (size_t i = 0; i < p.nconflicts; i++)
		alice3 |= !strcmp(p.conflicts[i].user_name, "alice") &&
			  p.conflicts[i].entries.nr == 3;
	for (size_t i = 0; i < p.quality.nr; i++) {
		const dg_quality_issue *x = &p.quality.items[i];
		CHECK_STR(x->user_name, p.users[x->user].user_name);
		alias |= !strcmp(x->code, "MAP028") && !strcmp(x->user_name, "dave");
		unverified |= !strcmp(x->code, "MAP022") && !strcmp(x->user_name, "eve");
		a3_issue |= !strcmp(x->entry, "cn=a3");
	}
	CHECK(alice3);
	CHECK(alias);
	CHECK(unverified);
	CHECK(!a3_issue);  /* collapsed into cn=a: its issues go with it */
	dg_preview_release(&p);
	dg_strlist_clear(&domains);
}

/* A page that failed half-way is dropped and read again before it is
 * handed over; a fetch that fails after some pages were mapped leaves
 * the preview as it was before the mapping began. */
static void test_replay_and_abort(void)
{
	dg_mapping_opts o = { .local_part_only = 1, .exchange_only = 1 };
	dg_dir_user_list l1 = DG_DIR_USER_LIST_INIT, l2 = DG_DIR_USER_LIST_INIT;
	dg_preview p1 = { 0 }, p2 = { 0 }, p3 = { 0 };
	dg_quality_opts q = { NULL };
	dg_mapping m;
	varied(&l1);
	varied(&l2);
	user(&l2, "cn=half", "half", "h@x.com");  /* a retried page's first try */
	user(&l2, "cn=half2", "alice", "h2@x.com");
	dg_dir_user_list_truncate(&l2, l2.nr - 2);
	to_arena(&l2);
	dg_mapping_run(&l1, &o, &p1);
	dg_preview_check_quality(&p1);
	map_in_batches(&l2, 4, &q, &p2);
	check_same_preview(&p1, &p2);

	dg_dir_user_list_clear(&l1);
	varied(&l1);
	to_arena(&l1);
	dg_mapping_begin(&m, &o, &p3, 1);
	dg_mapping_quality(&m, &q);
	dg_mapping_add_records(&m, l1.items, 5, 1);
	dg_mapping_abort(&m);
	CHECK_INT(p3.nusers, 0);
	CHECK_INT(p3.nskipped, 0);
	CHECK(p3.arena == NULL);
	dg_dir_users_release(l1.items + 5, l1.nr - 5, 1);
	l1.nr = 0;
	dg_preview_release(&p1);
	dg_preview_release(&p2);
	dg_preview_release(&p3);
	dg_dir_user_list_clear(&l1);
}

int main(void)
{
	RUN(test_empty_directory);
	RUN(test_many_proxy_addresses);
	RUN(test_lower);
	RUN(test_utf8_fold);
	RUN(test_google_words);
	RUN(test_emails_proxy_order);
	RUN(test_last_upper_smtp_is_primary);
	RUN(test_skip_reasons_in_order);
	RUN(test_options_off_keep_everyone);
	RUN(test_local_part_and_sorting);
	RUN(test_conflicts);
	RUN(test_many_users_stay_sorted);
	RUN(test_take_matches_copy);
	RUN(test_take_from_arena);
	RUN(test_batches_match_one_run);
	RUN(test_batches_answers);
	RUN(test_replay_and_abort);
	return dg_t_done();
}

#include "core/mapping.h"
#include "test.h"

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

int main(void)
{
	RUN(test_lower);
	RUN(test_emails_proxy_order);
	RUN(test_last_upper_smtp_is_primary);
	RUN(test_skip_reasons_in_order);
	RUN(test_options_off_keep_everyone);
	RUN(test_local_part_and_sorting);
	RUN(test_conflicts);
	RUN(test_many_users_stay_sorted);
	return dg_t_done();
}

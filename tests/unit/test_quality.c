/* The data-quality rules (src/core/quality.c): each rule on the values that
 * trigger it and on the near misses that must not, and the LDIF fixture
 * full of such cases through the whole preview pipeline. */
#include "connectors/connector.h"
#include "core/quality.h"
#include "test.h"

static void test_email_syntax(void)
{
	char local65[80];
	memset(local65, 'a', 65);
	strcpy(local65 + 65, "@x.com");
	CHECK(dg_quality_email_syntax("ann@example.com") == NULL);
	CHECK(dg_quality_email_syntax("ann.b+tag@sub.example.com") == NULL);
	CHECK(dg_quality_email_syntax("j\xc3\xbcrgen@b\xc3\xbc" "cher.de") == NULL); /* IDN */
	CHECK(dg_quality_email_syntax("ann b@example.com") != NULL);
	CHECK(dg_quality_email_syntax("annexample.com") != NULL);
	CHECK(dg_quality_email_syntax("a@b@example.com") != NULL);
	CHECK(dg_quality_email_syntax("@example.com") != NULL);
	CHECK(dg_quality_email_syntax("a..b@example.com") != NULL);
	CHECK(dg_quality_email_syntax(".a@example.com") != NULL);
	CHECK(dg_quality_email_syntax("a.@example.com") != NULL);
	CHECK(dg_quality_email_syntax("a@example..com") != NULL);
	CHECK(dg_quality_email_syntax("a@.example.com") != NULL);
	CHECK(dg_quality_email_syntax("a@example.com.") != NULL);
	CHECK(dg_quality_email_syntax("a@-x.com") != NULL);
	CHECK(dg_quality_email_syntax("a@x_y.com") != NULL);
	CHECK(dg_quality_email_syntax("a@") != NULL);
	CHECK(dg_quality_email_syntax(local65) != NULL);
	strcpy(local65 + 64, "@x.com"); /* 64 octets: the limit itself is fine */
	CHECK(dg_quality_email_syntax(local65) == NULL);
}

static void test_internal_domains(void)
{
	CHECK(dg_quality_domain_internal("contoso.local"));
	CHECK(dg_quality_domain_internal("office.LAN"));
	CHECK(dg_quality_domain_internal("mailhost"));
	CHECK(!dg_quality_domain_internal("contoso.com"));
	CHECK(!dg_quality_domain_internal("local.contoso.com"));
	CHECK(!dg_quality_domain_internal("contoso.locale"));
}

static void test_control_chars(void)
{
	CHECK(dg_quality_control_char("plain") == NULL);
	CHECK(dg_quality_control_char("Zo\xc3\xab") == NULL);
	CHECK(dg_quality_control_char("a\tb") != NULL);
	CHECK(dg_quality_control_char("a\x7f") != NULL);
	CHECK(dg_quality_control_char("a\xc2\x85") != NULL); /* NEL, a C1 control */
}

static dg_ms_user *add(dg_preview *p, const char *name, const char *full, const char *mail1,
		       const char *mail2)
{
	dg_ms_user *u;
	DG_ALLOC_GROW(p->users, p->nusers + 1, p->users_alloc);
	u = &p->users[p->nusers++];
	memset(u, 0, sizeof(*u));
	u->user_name = dg_xstrdup(name);
	u->full_name = dg_xstrdup(full);
	u->entry = dg_xasprintf("cn=%s", name);
	if (mail1)
		dg_strlist_push(&u->emails, mail1);
	if (mail2)
		dg_strlist_push(&u->emails, mail2);
	return u;
}

/* "MAP021@1,MAP028@2": the codes and user indexes of the list, in order. */
static char *codes(const dg_quality_list *q)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	for (size_t i = 0; i < q->nr; i++)
		dg_strbuf_addf(&sb, "%s%s@%zu", i ? "," : "", q->items[i].code, q->items[i].user);
	return dg_strbuf_detach(&sb);
}

static void test_rules_over_users(void)
{
	dg_preview p = { 0 };
	dg_quality_list q = DG_QUALITY_LIST_INIT;
	dg_strlist verified = DG_STRLIST_INIT;
	dg_quality_opts o = { &verified };
	const dg_quality_issue *first;
	char *got;
	dg_strlist_push(&verified, "contoso.com");
	add(&p, "ann", "Ann", "ann@contoso.com", NULL);                 /* 0: clean */
	add(&p, "bob", "Bob ", "bob@contoso.local", "bob@fabrikam.com"); /* 1 */
	add(&p, "cy", "Cy", "Ann@contoso.com", NULL);                   /* 2: case twin */
	add(&p, "dee", "Dee", "dee@contoso.com", "ann@contoso.com");    /* 3: alias */
	p.users[1].name_raw = dg_xstrdup("Bob");  /* only capitals: not reported */
	dg_quality_run(&p, &o, &q);
	got = codes(&q);
	CHECK_STR(got, "MAP021@1,MAP022@1,MAP024@1,MAP023@2,MAP028@3");
	free(got);
	CHECK_STR(q.items[0].entry, "cn=bob");
	CHECK_STR(q.items[0].user_name, "bob");
	CHECK(strstr(q.items[3].message, "\"Ann@contoso.com\"") != NULL);
	CHECK(strstr(q.items[4].message, "user ann") != NULL);
	CHECK_INT(dg_quality_for_user(&q, 1, &first), 3);
	CHECK(first == &q.items[0]);
	CHECK_INT(dg_quality_for_user(&q, 0, &first), 0);
	CHECK(first == NULL);
	CHECK_INT(dg_quality_count(&q, DG_SEV_WARNING), 5);
	dg_quality_list_clear(&q);
	/* without verified domains nothing is judged against them */
	dg_quality_run(&p, NULL, &q);
	got = codes(&q);
	CHECK_STR(got, "MAP021@1,MAP024@1,MAP023@2,MAP028@3");
	free(got);
	dg_quality_list_clear(&q);
	dg_strlist_clear(&verified);
	dg_preview_release(&p);
}

static void test_names(void)
{
	dg_preview p = { 0 };
	dg_quality_list q = DG_QUALITY_LIST_INIT;
	char longname[300];
	char *got;
	memset(longname, 'L', 257);
	longname[257] = '\0';
	add(&p, "lead", "Lead", NULL, NULL)->name_raw = dg_xstrdup(" lead");
	add(&p, "a b", "A B", NULL, NULL);
	add(&p, "c\x01", "C", NULL, NULL);
	add(&p, "long", longname, NULL, NULL);
	longname[256] = '\0'; /* 256: the limit itself is fine */
	add(&p, "edge", longname, NULL, NULL);
	add(&p, "bad\xff", "Bad", NULL, NULL);
	add(&p, "zo\xc3\xab", "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m", NULL, NULL);
	dg_quality_run(&p, NULL, &q);
	got = codes(&q);
	CHECK_STR(got, "MAP024@0,MAP026@1,MAP025@2,MAP027@3,MAP026@5");
	free(got);
	CHECK_INT(dg_quality_count(&q, DG_SEV_ERROR), 1);
	dg_quality_list_clear(&q);
	dg_preview_release(&p);
}

/* A clean directory gives an empty list (and under UBSan, no qsort of the
 * empty list's NULL array). */
static void test_clean(void)
{
	dg_preview p = { 0 };
	dg_quality_list q = DG_QUALITY_LIST_INIT;
	const dg_quality_issue *first;
	dg_quality_run(&p, NULL, &q);
	add(&p, "ann", "Ann Anders", "ann@contoso.com", "a.anders@contoso.com");
	add(&p, "zo\xc3\xab", "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m", "zoe@contoso.com", NULL);
	dg_quality_run(&p, NULL, &q);
	CHECK_INT(q.nr, 0);
	CHECK_INT(dg_quality_for_user(&q, 0, &first), 0);
	dg_quality_list_clear(&q);
	dg_preview_release(&p);
}

/* The LDIF fixture through the whole pipeline: every rule fires on the
 * entry made for it, and the clean entry has none. */
static void test_fixture(void)
{
	char path[512];
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	dg_preview pv = { 0 };
	dg_profile *p;
	char *got;
	snprintf(path, sizeof(path), "%s/quality/profile.json", dg_t_data());
	p = dg_profile_load(path, &f, &err);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(dg_connector_preview(p, &pv, &err), DG_OK);
	got = codes(&pv.quality);
	CHECK_STR(got, "MAP026@0,MAP026@1,MAP021@3,MAP025@4,MAP028@5,MAP020@6,MAP020@8,"
		       "MAP026@9,MAP021@10,MAP024@11,MAP020@12,MAP027@13,MAP023@15,MAP028@15,"
		       "MAP020@16,MAP025@17,MAP024@18,MAP020@19");
	free(got);
	CHECK_STR(pv.users[7].user_name, "good");
	dg_preview_release(&pv);
	dg_profile_free(p);
	dg_findings_clear(&f);
}

/* A value quoted in a message reaches a terminal escaped: an ESC in the
 * directory must not recolour or rewrite the administrator's screen. */
static void test_messages_escape_controls(void)
{
	dg_preview p = { 0 };
	dg_quality_list q = DG_QUALITY_LIST_INIT;
	char *v;
	add(&p, "esc", "Esc", "a\x1b[31m@x.com", NULL);
	add(&p, "tab", "\tTab", NULL, NULL);
	dg_quality_run(&p, NULL, &q);
	CHECK_INT(q.nr, 3);
	for (size_t i = 0; i < q.nr; i++)
		CHECK(dg_quality_control_char(q.items[i].message) == NULL);
	CHECK(q.nr && strstr(q.items[0].message, "\"a\\x1B[31m@x.com\"") != NULL);
	v = dg_quality_visible("a\xc2\x85z");
	CHECK_STR(v, "a\\u0085z");
	free(v);
	dg_quality_list_clear(&q);
	dg_preview_release(&p);
}

int main(void)
{
	RUN(test_email_syntax);
	RUN(test_internal_domains);
	RUN(test_control_chars);
	RUN(test_rules_over_users);
	RUN(test_names);
	RUN(test_messages_escape_controls);
	RUN(test_clean);
	RUN(test_fixture);
	return dg_t_done();
}

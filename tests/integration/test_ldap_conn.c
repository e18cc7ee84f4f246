/* The live LDAP connection layer against real slapd instances started by
 * tests/integration/test_ldap_live.py (slapd.py), which passes the ports and
 * paths in DG_IT_* variables.  Without them the test is skipped. */
#include "connectors/ldap/ldap_conn.h"
#include "core/profile.h"
#include "core/strbuf.h"
#include "../unit/test.h"

#include <time.h>

/* Everything any finding, error or command ever said, for the canary test. */
static dg_strbuf said = DG_STRBUF_INIT;
#define WRONG_PW "Canary-Wrong-51d0a7"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v ? v : "";
}

static int port(const char *name)
{
	return atoi(env(name));
}

/* A profile for a generic LDAP directory; bind_dn NULL for anonymous. */
static dg_profile *profile(const char *proto, int port_nr, int with_ca, int accept_all,
			   const char *bind_dn)
{
	dg_strbuf js = DG_STRBUF_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p;
	dg_strbuf_addf(&js,
		       "{\"name\": \"it\", \"directory\": {\"type\": \"ldap\", "
		       "\"server\": \"127.0.0.1\", \"protocol\": \"%s\", \"port\": %d, ",
		       proto, port_nr);
	if (bind_dn)
		dg_strbuf_addf(&js, "\"bind\": {\"dn\": \"%s\", \"password\": {\"env\": "
				    "\"DG_IT_BIND_PW\"}}, ",
			       bind_dn);
	dg_strbuf_addf(&js, "\"baseDn\": \"%s\", \"tls\": {", env("DG_IT_SUFFIX"));
	if (with_ca)
		dg_strbuf_addf(&js, "\"caFile\": \"%s\", ", env("DG_IT_CA_FILE"));
	dg_strbuf_addf(&js, "\"acceptAllCertificates\": %s}, ", accept_all ? "true" : "false");
	dg_strbuf_adds(&js, "\"users\": {\"filter\": \"(objectClass=inetOrgPerson)\", "
			    "\"userNameAttribute\": \"uid\"}}}");
	p = dg_profile_parse(js.buf, js.len, "it.json", &f);
	for (size_t i = 0; i < f.nr; i++)
		printf("# profile finding %s: %s\n", f.items[i].code, f.items[i].message);
	dg_findings_clear(&f);
	dg_strbuf_release(&js);
	return p;
}

static void remember(const dg_findings *f, const dg_error *err)
{
	for (size_t i = 0; i < f->nr; i++) {
		printf("#   %s %s: %s\n#     hint: %s\n", f->items[i].code, f->items[i].path,
		       f->items[i].message, f->items[i].hint ? f->items[i].hint : "");
		dg_strbuf_addf(&said, "%s %s %s\n", f->items[i].message,
			       f->items[i].hint ? f->items[i].hint : "", f->items[i].path);
	}
	if (err->message[0]) {
		printf("#   error: %s\n", err->message);
		dg_strbuf_addf(&said, "%s\n", err->message);
	}
}

static int has_code(const dg_findings *f, const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return 1;
	return 0;
}

/* Connects with `p` and the password `pw`; returns the code, findings in *f. */
static dg_code try_connect(dg_profile *p, const char *pw, const dg_ldap_options *opts,
			   dg_ldap_conn **c, dg_findings *f)
{
	dg_error err;
	dg_code code;
	dg_error_clear(&err);
	setenv("DG_IT_BIND_PW", pw, 1);
	code = dg_ldap_connect_ex(p, opts, c, f, &err);
	remember(f, &err);
	CHECK((code == DG_OK) == (*c != NULL));
	CHECK(code == DG_OK || err.message[0]);
	return code;
}

/* Expects a connection to succeed without findings. */
static void expect_ok(const char *proto, const char *port_var, int ca, int accept_all,
		      const char *bind_dn, const char *pw)
{
	dg_profile *p = profile(proto, port(port_var), ca, accept_all, bind_dn);
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_conn *c = NULL;
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(try_connect(p, pw, NULL, &c, &f), DG_OK);
	CHECK_INT(f.nr, 0);
	dg_ldap_close(c);
	dg_findings_clear(&f);
	dg_profile_free(p);
}

/* Expects a connection to fail with finding `code` (and not `not_code`). */
static void expect_fail(const char *proto, int port_nr, int ca, int accept_all,
			const char *bind_dn, const char *pw, const char *code, const char *not_code,
			dg_code want)
{
	dg_profile *p = profile(proto, port_nr, ca, accept_all, bind_dn);
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_conn *c = NULL;
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(try_connect(p, pw, NULL, &c, &f), want);
	CHECK(c == NULL);
	if (!has_code(&f, code))
		printf("# expected finding %s\n", code);
	CHECK(has_code(&f, code));
	if (not_code)
		CHECK(!has_code(&f, not_code));
	dg_ldap_close(c);
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static const char *root_dn(void) { return env("DG_IT_ROOT_DN"); }
static const char *root_pw(void) { return env("DG_IT_ROOT_PW"); }

static void test_plain_bind(void)
{
	expect_ok("ldap", "DG_IT_MAIN_LDAP", 0, 0, root_dn(), root_pw());
}

static void test_anonymous_bind(void)
{
	expect_ok("ldap", "DG_IT_MAIN_LDAP", 0, 0, NULL, "");
}

static void test_starttls_with_ca(void)
{
	expect_ok("ldap-tls", "DG_IT_MAIN_LDAP", 1, 0, root_dn(), root_pw());
}

static void test_ldaps_with_ca(void)
{
	expect_ok("ldap-ssl", "DG_IT_MAIN_LDAPS", 1, 0, root_dn(), root_pw());
}

static void test_ldaps_without_ca_untrusted(void)
{
	expect_fail("ldap-ssl", port("DG_IT_MAIN_LDAPS"), 0, 0, root_dn(), root_pw(), "LDAP011",
		    "LDAP009", DG_E_NETWORK);
}

static void test_unknown_ca_untrusted(void)
{
	expect_fail("ldap-ssl", port("DG_IT_BADCA_LDAPS"), 1, 0, root_dn(), root_pw(), "LDAP011",
		    "LDAP012", DG_E_NETWORK);
}

static void test_unknown_ca_starttls_untrusted(void)
{
	expect_fail("ldap-tls", port("DG_IT_BADCA_LDAP"), 1, 0, root_dn(), root_pw(), "LDAP011",
		    "LDAP009", DG_E_NETWORK);
}

static void test_wrong_host_mismatch(void)
{
	expect_fail("ldap-ssl", port("DG_IT_WRONGHOST_LDAPS"), 1, 0, root_dn(), root_pw(),
		    "LDAP012", "LDAP011", DG_E_NETWORK);
}

static void test_expired(void)
{
	expect_fail("ldap-ssl", port("DG_IT_EXPIRED_LDAPS"), 1, 0, root_dn(), root_pw(), "LDAP013",
		    "LDAP012", DG_E_NETWORK);
}

static void test_accept_all_connects(void)
{
	expect_ok("ldap-ssl", "DG_IT_BADCA_LDAPS", 0, 1, root_dn(), root_pw());
	expect_ok("ldap-ssl", "DG_IT_EXPIRED_LDAPS", 1, 1, root_dn(), root_pw());
	expect_ok("ldap-tls", "DG_IT_WRONGHOST_LDAP", 1, 1, root_dn(), root_pw());
}

static void test_wrong_password(void)
{
	expect_fail("ldap", port("DG_IT_MAIN_LDAP"), 0, 0, root_dn(), WRONG_PW, "LDAP015", NULL,
		    DG_E_INVALID);
}

static void test_strong_auth_required(void)
{
	expect_fail("ldap", port("DG_IT_WRONGHOST_LDAP"), 0, 0, root_dn(), root_pw(), "LDAP016",
		    NULL, DG_E_INVALID);
}

static void test_unreachable(void)
{
	expect_fail("ldap", port("DG_IT_DEAD_PORT"), 0, 0, root_dn(), root_pw(), "LDAP009", NULL,
		    DG_E_NETWORK);
	expect_fail("ldap-ssl", port("DG_IT_DEAD_PORT"), 1, 0, root_dn(), root_pw(), "LDAP009",
		    "LDAP011", DG_E_NETWORK);
}

static void test_timeout(void)
{
	/* A port that accepts TCP connections and never answers. */
	dg_profile *p = profile("ldap", port("DG_IT_BLACKHOLE_PORT"), 0, 0, root_dn());
	dg_ldap_options o = { .network_timeout_ms = 1000, .op_timeout_ms = 1500 };
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_conn *c = NULL;
	time_t t0 = time(NULL);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(try_connect(p, root_pw(), &o, &c, &f), DG_E_NETWORK);
	CHECK(has_code(&f, "LDAP010"));
	CHECK(time(NULL) - t0 < 10);
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static dg_ldap_conn *connect_main(const char *bind_dn, const char *pw)
{
	dg_profile *p = profile("ldap-tls", port("DG_IT_MAIN_LDAP"), 1, 0, bind_dn);
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_conn *c = NULL;
	if (p)
		try_connect(p, pw, NULL, &c, &f);
	CHECK(c != NULL);
	dg_findings_clear(&f);
	dg_profile_free(p);
	return c;
}

static int attr_has(const dg_entry *e, const char *attr, const char *val)
{
	const dg_attr *a = dg_entry_attr(e, attr);
	for (size_t i = 0; a && i < a->nvals; i++)
		if (!strcmp(a->vals[i].val, val))
			return 1;
	return 0;
}

static void test_rootdse(void)
{
	dg_ldap_conn *c = connect_main(root_dn(), root_pw());
	dg_entry dse = { 0 };
	dg_error err;
	if (!c)
		return;
	dg_error_clear(&err);
	CHECK_INT(dg_ldap_rootdse(c, &dse, &err), DG_OK);
	CHECK(attr_has(&dse, "namingContexts", env("DG_IT_SUFFIX")));
	CHECK(attr_has(&dse, "supportedControl", "1.2.840.113556.1.4.319"));
	CHECK(dg_entry_first(&dse, "subschemaSubentry") != NULL);
	CHECK(!dg_ldap_rootdse_is_ad(&dse));
	CHECK_STR(dse.dn, "");
	dg_entry_release(&dse);
	dg_ldap_close(c);
}

static void test_paged_search_returns_all(void)
{
	dg_ldap_conn *c = connect_main(root_dn(), root_pw());
	static const char *const attrs[] = { "uid", "mail", "cn", NULL };
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err;
	char base[512];
	if (!c)
		return;
	dg_error_clear(&err);
	snprintf(base, sizeof(base), "ou=bulk,%s", env("DG_IT_SUFFIX"));
	CHECK_INT(dg_ldap_search_all(c, base, "(objectClass=inetOrgPerson)", attrs, &l, &f, &err),
		  DG_OK);
	remember(&f, &err);
	CHECK_INT(l.nr, atoi(env("DG_IT_BULK")));
	CHECK_INT(f.nr, 0);
	if (l.nr > 0) {
		const dg_entry *e = &l.items[0];
		const char *uid = dg_entry_first(e, "uid");
		CHECK(uid != NULL);
		CHECK(strstr(e->dn, "ou=bulk") != NULL);
		CHECK(dg_entry_first(e, "mail") != NULL);
		CHECK(dg_entry_attr(e, "sn") == NULL); /* not asked for */
	}
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	dg_ldap_close(c);
}

/* alice may read 1000 entries per search but any number in pages, so all
 * of ou=bulk arrives only when paging really works. */
static void test_paging_beats_per_search_limit(void)
{
	char dn[512], base[512];
	dg_ldap_conn *c;
	static const char *const attrs[] = { "uid", NULL };
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err;
	snprintf(dn, sizeof(dn), "uid=alice,ou=people,%s", env("DG_IT_SUFFIX"));
	snprintf(base, sizeof(base), "ou=bulk,%s", env("DG_IT_SUFFIX"));
	c = connect_main(dn, "alicepass");
	if (!c)
		return;
	dg_error_clear(&err);
	CHECK_INT(dg_ldap_search_all(c, base, "(uid=*)", attrs, &l, &f, &err), DG_OK);
	remember(&f, &err);
	CHECK_INT(l.nr, atoi(env("DG_IT_BULK")));
	CHECK_INT(f.nr, 0);
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	dg_ldap_close(c);
}

static void test_size_limit_is_incomplete(void)
{
	dg_ldap_conn *c = connect_main(NULL, "");
	static const char *const attrs[] = { "uid", NULL };
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err;
	if (!c)
		return;
	dg_error_clear(&err);
	CHECK_INT(dg_ldap_search_all(c, env("DG_IT_SUFFIX"), "(objectClass=inetOrgPerson)", attrs,
				     &l, &f, &err),
		  DG_OK);
	remember(&f, &err);
	CHECK(has_code(&f, "LDAP018"));
	CHECK(f.nr == 1 && strstr(f.items[0].message, "INCOMPLETE") &&
	      strstr(f.items[0].message, "result 4"));
	CHECK_INT(l.nr, 500);
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	dg_ldap_close(c);
}

static void test_missing_base(void)
{
	dg_ldap_conn *c = connect_main(root_dn(), root_pw());
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err;
	char base[512];
	if (!c)
		return;
	dg_error_clear(&err);
	snprintf(base, sizeof(base), "ou=nowhere,%s", env("DG_IT_SUFFIX"));
	CHECK_INT(dg_ldap_search_all(c, base, "(objectClass=*)", NULL, &l, &f, &err),
		  DG_E_PROTOCOL);
	remember(&f, &err);
	CHECK(has_code(&f, "LDAP019"));
	CHECK_INT(l.nr, 0);
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	dg_ldap_close(c);
}

static void test_search_command(void)
{
	dg_ldap_conn *c = connect_main(root_dn(), root_pw());
	static const char *const attrs[] = { "uid", "mail", NULL };
	dg_strbuf cmd = DG_STRBUF_INIT, want = DG_STRBUF_INIT;
	if (!c)
		return;
	dg_ldap_search_command(c, env("DG_IT_SUFFIX"), "(&(uid=o'neil)(mail=*))", attrs, &cmd);
	dg_strbuf_addf(&want,
		       "LDAPTLS_CACERT=%s ldapsearch -H ldap://127.0.0.1:%d -x -ZZ -D %s -W "
		       "-b %s -s sub -E pr=1000/noprompt '(&(uid=o'\\''neil)(mail=*))' uid mail",
		       env("DG_IT_CA_FILE"), port("DG_IT_MAIN_LDAP"), root_dn(), env("DG_IT_SUFFIX"));
	CHECK_STR(cmd.buf, want.buf);
	dg_strbuf_reset(&want);
	dg_strbuf_addf(&want, "ldap://127.0.0.1:%d", port("DG_IT_MAIN_LDAP"));
	CHECK_STR(dg_ldap_uri(c), want.buf);
	dg_strbuf_addf(&said, "%s\n", cmd.buf);
	dg_strbuf_release(&cmd);
	dg_strbuf_release(&want);
	dg_ldap_close(c);
}

static void test_canary_never_said(void)
{
	CHECK(said.len > 0);
	CHECK(strstr(said.buf, WRONG_PW) == NULL);
	CHECK(strstr(said.buf, root_pw()) == NULL);
}

/* ---- protocol faults, against tests/integration/fake_ldap.py ---------- */

typedef struct fake_run {
	dg_entry_list l;
	dg_findings f;
	dg_error err;
	dg_code code;
	double seconds;
} fake_run;

static double seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An anonymous profile for the fake server with `limits` (JSON) or none. */
static dg_profile *fake_profile(const char *limits)
{
	dg_strbuf js = DG_STRBUF_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p;
	dg_strbuf_addf(&js, "{\"name\": \"fake\", \"directory\": {\"type\": \"ldap\", "
			    "\"server\": \"127.0.0.1\", \"port\": %d, \"baseDn\": \"dc=fake\"%s%s}}",
		       port("DG_IT_FAKE_PORT"), limits ? ", \"limits\": " : "",
		       limits ? limits : "");
	p = dg_profile_parse(js.buf, js.len, "fake.json", &f);
	CHECK_INT(dg_findings_count(&f, DG_SEV_ERROR), 0);
	dg_findings_clear(&f);
	dg_strbuf_release(&js);
	return p;
}

/* Searches the fake server's scenario `ou` with the given options. */
static void fake_search_limits(const char *ou, const dg_ldap_options *opts, const char *limits,
			       fake_run *r)
{
	dg_profile *p = fake_profile(limits);
	dg_ldap_conn *c = NULL;
	char base[128];
	double t0;
	memset(r, 0, sizeof(*r));
	r->code = DG_E_INTERNAL;
	CHECK(p != NULL);
	if (!p || try_connect(p, "", opts, &c, &r->f) != DG_OK) {
		dg_profile_free(p);
		return;
	}
	snprintf(base, sizeof(base), "ou=%s,dc=fake", ou);
	t0 = seconds_now();
	r->code = dg_ldap_search_all(c, base, "(objectClass=*)", NULL, &r->l, &r->f, &r->err);
	r->seconds = seconds_now() - t0;
	remember(&r->f, &r->err);
	dg_ldap_close(c);
	dg_profile_free(p);
}

static void fake_search(const char *ou, const dg_ldap_options *opts, fake_run *r)
{
	fake_search_limits(ou, opts, NULL, r);
}

static void fake_done(fake_run *r)
{
	dg_entry_list_clear(&r->l);
	dg_findings_clear(&r->f);
}

static const dg_ldap_options pages_of_25 = { .page_size = 25 };

/* The control case: the fake pages correctly. */
static void test_fake_paging_ok(void)
{
	fake_run r;
	fake_search("ok", &pages_of_25, &r);
	CHECK_INT(r.code, DG_OK);
	CHECK_INT(r.l.nr, 60);
	CHECK_INT(r.f.nr, 0);
	fake_done(&r);
}

/* A page answered without the paged-results control used to end the search
 * as if complete (30 of 60 entries, no finding). */
static void test_fake_missing_page_control(void)
{
	static const char *const ous[] = { "nocontrol", "badcontrol" };
	for (size_t i = 0; i < 2; i++) {
		fake_run r;
		fake_search(ous[i], &pages_of_25, &r);
		CHECK_INT(r.code, DG_OK);
		CHECK(r.l.nr < 60);
		CHECK(has_code(&r.f, "LDAP033"));
		CHECK(dg_findings_incomplete(&r.f) != NULL);
		fake_done(&r);
	}
}

/* A server that refuses the control (12, or 11 with nothing sent) used to
 * give "INCOMPLETE after 0 entries"; now it is asked again without paging. */
static void test_fake_paging_refused(void)
{
	static const char *const ous[] = { "refuse", "refuse11" };
	for (size_t i = 0; i < 2; i++) {
		fake_run r;
		fake_search(ous[i], &pages_of_25, &r);
		CHECK_INT(r.code, DG_OK);
		CHECK_INT(r.l.nr, 60);
		CHECK(has_code(&r.f, "LDAP034"));
		CHECK(!has_code(&r.f, "LDAP018"));
		CHECK(dg_findings_incomplete(&r.f) == NULL);
		CHECK(r.f.nr == 1 && strstr(r.f.items[0].message, "control not allowed") &&
		      strstr(r.f.items[0].message, i ? "result 11" : "result 12"));
		fake_done(&r);
	}
}

/* A 3 MiB message: refused under a 1 MiB cap (LDAP035), read under the
 * default 32 MiB one. */
static void test_fake_message_cap(void)
{
	static const dg_ldap_options one_mib = { .max_message_bytes = 1 << 20 };
	fake_run r;
	fake_search("huge", &one_mib, &r);
	CHECK_INT(r.code, DG_E_PROTOCOL);
	CHECK_INT(r.l.nr, 0);
	CHECK(has_code(&r.f, "LDAP035"));
	CHECK(!has_code(&r.f, "LDAP009"));
	CHECK(dg_findings_incomplete(&r.f) != NULL);
	fake_done(&r);
	fake_search("huge", NULL, &r);
	CHECK_INT(r.code, DG_OK);
	CHECK_INT(r.l.nr, 1);
	CHECK(r.l.nr == 1 && dg_entry_attr(&r.l.items[0], "description") &&
	      dg_entry_attr(&r.l.items[0], "description")->vals[0].len == (size_t)3 << 20);
	fake_done(&r);
}

/* 60 entries, one every 0.1 s: each arrives well within the per-message
 * timeout, but a 1.5 s deadline ends the read (LDAP036) on time. */
static void test_fake_deadline(void)
{
	static const dg_ldap_options deadline = { .deadline_ms = 1500 };
	fake_run r;
	fake_search("slow", &deadline, &r);
	CHECK_INT(r.code, DG_E_NETWORK);
	CHECK(has_code(&r.f, "LDAP036"));
	CHECK(!has_code(&r.f, "LDAP010"));
	CHECK(r.l.nr > 0 && r.l.nr < 60);
	CHECK(r.seconds < 3.0);
	printf("# deadline 1.5 s: stopped after %.2f s with %zu of 60 entries\n", r.seconds,
	       r.l.nr);
	fake_done(&r);
}

/* The same bounds from the profile: /directory/limits. */
static void test_fake_limits_from_profile(void)
{
	fake_run r;
	fake_search_limits("slow", NULL, "{\"deadlineSeconds\": 1}", &r);
	CHECK(has_code(&r.f, "LDAP036"));
	CHECK(r.f.nr && strstr(r.f.items[r.f.nr - 1].message, "deadline of 1 s"));
	CHECK(r.seconds < 2.5);
	fake_done(&r);
	fake_search_limits("huge", NULL, "{\"maxMessageMB\": 2}", &r);
	CHECK(has_code(&r.f, "LDAP035"));
	CHECK(r.f.nr && strstr(r.f.items[r.f.nr - 1].message, "larger than 2097152 bytes"));
	fake_done(&r);
	fake_search_limits("huge", NULL, "{\"maxMessageMB\": 4}", &r);
	CHECK_INT(r.code, DG_OK);
	CHECK_INT(r.l.nr, 1);
	fake_done(&r);
}

/* AD ranged retrieval: member;range=0-2 in the search, 3-5 and 6-* read on
 * demand; the entry must come back with all 10 members under "member". */
static void test_fake_ranged_retrieval(void)
{
	fake_run r;
	const dg_attr *a;
	fake_search("ranged", NULL, &r);
	CHECK_INT(r.code, DG_OK);
	CHECK_INT(r.l.nr, 1);
	CHECK_INT(r.f.nr, 0);
	a = r.l.nr ? dg_entry_attr(&r.l.items[0], "member") : NULL;
	CHECK(a != NULL);
	CHECK_INT(a ? a->nvals : 0, 10);
	CHECK(a && !strcmp(a->vals[9].val, "uid=u009,ou=ranged,dc=fake"));
	CHECK(r.l.nr && r.l.items[0].nattrs == 2); /* cn and member: no ranged leftovers */
	fake_done(&r);
}

int main(void)
{
	if (!getenv("DG_IT_MAIN_LDAP")) {
		printf("1..0 # SKIP no slapd (run through test_ldap_live.py)\n");
		return 0;
	}
	RUN(test_plain_bind);
	RUN(test_anonymous_bind);
	RUN(test_starttls_with_ca);
	RUN(test_ldaps_with_ca);
	RUN(test_ldaps_without_ca_untrusted);
	RUN(test_unknown_ca_untrusted);
	RUN(test_unknown_ca_starttls_untrusted);
	RUN(test_wrong_host_mismatch);
	RUN(test_expired);
	RUN(test_accept_all_connects);
	RUN(test_wrong_password);
	RUN(test_strong_auth_required);
	RUN(test_unreachable);
	RUN(test_timeout);
	RUN(test_rootdse);
	RUN(test_paged_search_returns_all);
	RUN(test_paging_beats_per_search_limit);
	RUN(test_size_limit_is_incomplete);
	RUN(test_missing_base);
	RUN(test_search_command);
	if (getenv("DG_IT_FAKE_PORT")) {
		RUN(test_fake_paging_ok);
		RUN(test_fake_missing_page_control);
		RUN(test_fake_paging_refused);
		RUN(test_fake_message_cap);
		RUN(test_fake_deadline);
		RUN(test_fake_limits_from_profile);
		RUN(test_fake_ranged_retrieval);
	}
	RUN(test_canary_never_said);
	dg_strbuf_release(&said);
	return dg_t_done();
}

/* The live LDAP connection layer against a real Samba Active Directory DC
 * that tests/integration/test_ad_live.py (samba.py) provisions and starts in
 * a private network namespace; this program runs inside that namespace and
 * learns where everything is from DG_AD_* variables.  Without them it skips.
 *
 * The test users (samba.py, all in CN=Users; password DG_AD_USER_PW):
 *   alice, bob   enabled, mail + proxyAddresses, in engineering
 *   carol        enabled, mail only, in allstaff
 *   dave         disabled (userAccountControl 514)           -> data 533
 *   mona         must change the password (pwdLastSet 0)     -> data 773
 *   ed           account expired (accountExpires 1)          -> data 701
 *   hank         no logon hours at all (logonHours all zero) -> data 530
 *   wes          may log on only from NOWHERE                -> data 531
 *   lou          locked out (PSO threshold 2, two bad binds) -> data 775
 *   groups       engineering (alice, bob) inside allstaff (+ carol)
 * Samba's `ldap server require strong auth` is at its default, yes. */
#include "connectors/ldap/ldap_conn.h"
#include "core/profile.h"
#include "core/strbuf.h"
#include "../unit/test.h"

#include <ctype.h>
#include <stdio.h>

/* Everything any finding, error or command ever said, for the canary test. */
static dg_strbuf said = DG_STRBUF_INIT;
#define WRONG_PW "Canary-Wrong-0e6b3f"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v ? v : "";
}

static void add_json_string(dg_strbuf *js, const char *s)
{
	dg_strbuf_addch(js, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			dg_strbuf_addch(js, '\\');
		dg_strbuf_addch(js, *s);
	}
	dg_strbuf_addch(js, '"');
}

/* An active-directory profile (protocol "ldap" or "ldaps"), or with
 * `generic` set an ldap one (any protocol, `user` is then the bind DN). */
static dg_profile *profile(int generic, const char *proto, const char *user)
{
	dg_strbuf js = DG_STRBUF_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p;
	dg_strbuf_addf(&js,
		       "{\"name\": \"samba\", \"directory\": {\"type\": \"%s\", "
		       "\"server\": \"127.0.0.1\", \"protocol\": \"%s\", \"baseDn\": ",
		       generic ? "ldap" : "active-directory", proto);
	add_json_string(&js, generic ? env("DG_AD_BASE") : "");
	dg_strbuf_addf(&js, ", \"bind\": {\"%s\": ", generic ? "dn" : "user");
	add_json_string(&js, user);
	dg_strbuf_adds(&js, ", \"password\": {\"env\": \"DG_AD_BIND_PW\"}}, \"tls\": {\"caFile\": ");
	add_json_string(&js, env("DG_AD_CA_FILE"));
	dg_strbuf_adds(&js, "}");
	if (generic)
		dg_strbuf_adds(&js, ", \"users\": {\"filter\": \"(objectClass=user)\", "
				    "\"userNameAttribute\": \"sAMAccountName\"}");
	dg_strbuf_adds(&js, "}}");
	p = dg_profile_parse(js.buf, js.len, "samba.json", &f);
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
	if (err && err->message[0]) {
		printf("#   error: %s\n", err->message);
		dg_strbuf_addf(&said, "%s\n", err->message);
	}
}

static const dg_finding *find(const dg_findings *f, const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return &f->items[i];
	return NULL;
}

/* Connects; the findings land in *f, the connection (or NULL) in *c. */
static dg_code try_connect(int generic, const char *proto, const char *user, const char *pw,
			   const dg_ldap_options *opts, dg_ldap_conn **c, dg_findings *f)
{
	dg_profile *p = profile(generic, proto, user);
	dg_error err;
	dg_code code;
	*c = NULL;
	CHECK(p != NULL);
	if (!p)
		return DG_E_INVALID;
	dg_error_clear(&err);
	setenv("DG_AD_BIND_PW", pw, 1);
	code = dg_ldap_connect_ex(p, opts, c, f, &err);
	remember(f, &err);
	CHECK((code == DG_OK) == (*c != NULL));
	CHECK(code == DG_OK || err.message[0]);
	dg_profile_free(p);
	return code;
}

static void expect_ok(int generic, const char *proto, const char *user, const char *pw)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_conn *c = NULL;
	CHECK_INT(try_connect(generic, proto, user, pw, NULL, &c, &f), DG_OK);
	CHECK_INT(f.nr, 0);
	dg_ldap_close(c);
	dg_findings_clear(&f);
}

/* Expects exactly one finding, `code`, whose message contains `text`. */
static void expect_fail(int generic, const char *proto, const char *user, const char *pw,
			const char *code, const char *text, const char *path)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_conn *c = NULL;
	const dg_finding *fd;
	CHECK_INT(try_connect(generic, proto, user, pw, NULL, &c, &f), DG_E_INVALID);
	CHECK(c == NULL);
	CHECK_INT(f.nr, 1);
	fd = find(&f, code);
	if (!fd)
		printf("# expected finding %s\n", code);
	CHECK(fd != NULL);
	if (fd) {
		if (!strstr(fd->message, text))
			printf("# expected \"%s\" in the message\n", text);
		CHECK(strstr(fd->message, text) != NULL);
		CHECK(fd->hint != NULL && fd->hint[0]);
		if (path)
			CHECK_STR(fd->path, path);
	}
	dg_ldap_close(c);
	dg_findings_clear(&f);
}

static const char *admin(void) { return env("DG_AD_ADMIN"); }
static const char *admin_pw(void) { return env("DG_AD_ADMIN_PW"); }
static const char *user_pw(void) { return env("DG_AD_USER_PW"); }

/* "alice" -> "alice@samdom.example.com" (static buffer). */
static const char *upn(const char *sam)
{
	static char buf[256];
	char realm[128];
	size_t i;
	snprintf(realm, sizeof(realm), "%s", env("DG_AD_REALM"));
	for (i = 0; realm[i]; i++)
		realm[i] = (char)tolower((unsigned char)realm[i]);
	snprintf(buf, sizeof(buf), "%s@%s", sam, realm);
	return buf;
}

/* ---- binds -------------------------------------------------------------- */

/* Samba answers `8 Strong(er) authentication required, "BindSimple:
 * Transport encryption required."` before it looks at the password. */
static void test_plain_ldap_needs_strong_auth(void)
{
	expect_fail(0, "ldap", admin(), admin_pw(), "LDAP016", "result 8",
		    "/directory/protocol");
	expect_fail(0, "ldap", admin(), WRONG_PW, "LDAP016", "result 8", NULL);
}

static void test_ldaps_bind_upn(void)
{
	expect_ok(0, "ldaps", admin(), admin_pw());
	expect_ok(0, "ldaps", upn("alice"), user_pw());
}

static void test_ldaps_bind_down_level_and_dn(void)
{
	char dn[512];
	expect_ok(0, "ldaps", "SAMDOM\\Administrator", admin_pw());
	snprintf(dn, sizeof(dn), "CN=Alice Anders,CN=Users,%s", env("DG_AD_BASE"));
	expect_ok(0, "ldaps", dn, user_pw());
}

/* AD profiles offer ldap/ldaps only; StartTLS to the DC goes through a
 * generic LDAP profile (MailStore's "LDAP-TLS"). */
static void test_starttls_bind(void)
{
	char dn[512];
	snprintf(dn, sizeof(dn), "CN=Administrator,CN=Users,%s", env("DG_AD_BASE"));
	expect_ok(1, "ldap-tls", dn, admin_pw());
	expect_ok(1, "ldap-tls", admin(), admin_pw());
	expect_ok(1, "ldap-ssl", dn, admin_pw());
}

static void test_wrong_password_52e(void)
{
	expect_fail(0, "ldaps", admin(), WRONG_PW, "AD005", "data 52e",
		    "/directory/bind/password");
	/* through a generic LDAP profile the same data code is understood */
	expect_fail(1, "ldap-tls", admin(), WRONG_PW, "AD005", "data 52e", NULL);
}

/* Samba squashes "no such user" into 52e (AD itself often does too), and
 * it does not take a bare sAMAccountName as a simple-bind name: the right
 * password for "alice" still gives 52e.  The hint says how to write it. */
static void test_unknown_user_is_52e_too(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_conn *c = NULL;
	const dg_finding *fd;
	expect_fail(0, "ldaps", upn("nobody"), user_pw(), "AD005", "data 52e", NULL);
	expect_fail(0, "ldaps", "alice", user_pw(), "AD005", "data 52e", NULL);
	try_connect(0, "ldaps", "alice", user_pw(), NULL, &c, &f);
	fd = find(&f, "AD005");
	CHECK(fd && fd->hint && strstr(fd->hint, "/directory/bind/user") &&
	      strstr(fd->hint, "user@domain") && strstr(fd->hint, "/directory/bind/password"));
	dg_ldap_close(c);
	dg_findings_clear(&f);
}

static void test_disabled_533(void)
{
	expect_fail(0, "ldaps", upn("dave"), user_pw(), "AD009", "data 533",
		    "/directory/bind/user");
	/* a wrong password is checked first: 52e, not 533 */
	expect_fail(0, "ldaps", upn("dave"), WRONG_PW, "AD005", "data 52e", NULL);
}

static void test_must_change_773(void)
{
	expect_fail(0, "ldaps", upn("mona"), user_pw(), "AD011", "data 773",
		    "/directory/bind/password");
}

static void test_account_expired_701(void)
{
	expect_fail(0, "ldaps", upn("ed"), user_pw(), "AD010", "data 701", NULL);
}

static void test_logon_hours_530(void)
{
	expect_fail(0, "ldaps", upn("hank"), user_pw(), "AD006", "data 530", NULL);
}

static void test_workstation_531(void)
{
	expect_fail(0, "ldaps", upn("wes"), user_pw(), "AD007", "data 531", NULL);
}

static void test_locked_out_775(void)
{
	expect_fail(0, "ldaps", upn("lou"), user_pw(), "AD012", "data 775", NULL);
}

/* ---- reading ------------------------------------------------------------ */

static dg_ldap_conn *connect_admin(int page_size)
{
	dg_ldap_options o = { .page_size = page_size };
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_conn *c = NULL;
	try_connect(0, "ldaps", admin(), admin_pw(), &o, &c, &f);
	CHECK(c != NULL);
	dg_findings_clear(&f);
	return c;
}

static void test_rootdse_is_ad(void)
{
	dg_ldap_conn *c = connect_admin(0);
	dg_entry dse = { 0 };
	dg_error err;
	if (!c)
		return;
	dg_error_clear(&err);
	CHECK_INT(dg_ldap_rootdse(c, &dse, &err), DG_OK);
	CHECK(dg_ldap_rootdse_is_ad(&dse));
	CHECK_STR(dg_entry_first(&dse, "defaultNamingContext"), env("DG_AD_BASE"));
	CHECK(dg_entry_first(&dse, "dnsHostName") != NULL);
	CHECK(dg_entry_first(&dse, "subschemaSubentry") != NULL);
	dg_entry_release(&dse);
	dg_ldap_close(c);
}

static size_t count_dn(const dg_entry_list *l, const char *cn)
{
	char want[256];
	size_t n = 0;
	snprintf(want, sizeof(want), "CN=%s,", cn);
	for (size_t i = 0; i < l->nr; i++)
		if (!strncmp(l->items[i].dn, want, strlen(want)))
			n++;
	return n;
}

/* Searches as Administrator; CHECKs success without findings. */
static void search(dg_ldap_conn *c, const char *base, const char *filter,
		   const char *const *attrs, dg_entry_list *l)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err;
	dg_error_clear(&err);
	CHECK_INT(dg_ldap_search_all(c, base, filter, attrs, l, &f, &err), DG_OK);
	remember(&f, &err);
	CHECK_INT(f.nr, 0);
	dg_findings_clear(&f);
}

#define PERSONS "(&(objectCategory=person)(objectClass=user))"

/* Subtree at the domain root: Samba sends search references (Configuration,
 * DomainDnsZones, ForestDnsZones) as AD does; they are skipped, and pages
 * of 3 make the cookie go round several times. */
static void test_paged_search_at_domain_root(void)
{
	dg_ldap_conn *c = connect_admin(3);
	static const char *const attrs[] = { "sAMAccountName", "userAccountControl", "mail",
					     "proxyAddresses", "objectGUID", NULL };
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	if (!c)
		return;
	search(c, env("DG_AD_BASE"), PERSONS, attrs, &l);
	CHECK_INT(l.nr, atoi(env("DG_AD_PERSONS")));
	CHECK(l.nr > 6);
	CHECK_INT(count_dn(&l, "Alice Anders"), 1);
	CHECK_INT(count_dn(&l, "Dave Disabled"), 1);
	for (size_t i = 0; i < l.nr; i++) {
		const dg_entry *e = &l.items[i];
		const dg_attr *guid = dg_entry_attr(e, "objectGUID");
		CHECK(dg_entry_first(e, "sAMAccountName") != NULL);
		CHECK(guid && guid->nvals == 1 && guid->vals[0].len == 16); /* binary-safe */
		if (!strncmp(e->dn, "CN=Alice Anders,", 16)) {
			const dg_attr *px = dg_entry_attr(e, "proxyAddresses");
			CHECK(px && px->nvals == 2);
			CHECK_STR(dg_entry_first(e, "userAccountControl"), "512");
		}
		if (!strncmp(e->dn, "CN=Dave Disabled,", 17))
			CHECK_STR(dg_entry_first(e, "userAccountControl"), "514");
	}
	dg_entry_list_clear(&l);

	/* everything below the root, references and all, in pages of 3 */
	search(c, env("DG_AD_BASE"), "(objectClass=*)", (const char *const[]){ "1.1", NULL }, &l);
	CHECK_INT(l.nr, atoi(env("DG_AD_ALL")));
	dg_entry_list_clear(&l);
	dg_ldap_close(c);
}

/* LDAP_MATCHING_RULE_IN_CHAIN: alice and bob through engineering, carol
 * directly; the group engineering is not a person. */
static void test_in_chain_nested_groups(void)
{
	dg_ldap_conn *c = connect_admin(0);
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_strbuf filter = DG_STRBUF_INIT;
	if (!c)
		return;
	dg_strbuf_addf(&filter, "(&%s(memberOf:1.2.840.113556.1.4.1941:=%s))", PERSONS,
		       env("DG_AD_GROUP"));
	search(c, env("DG_AD_BASE"), filter.buf, (const char *const[]){ "cn", NULL }, &l);
	CHECK_INT(l.nr, 3);
	CHECK_INT(count_dn(&l, "Alice Anders"), 1);
	CHECK_INT(count_dn(&l, "Bob Brown"), 1);
	CHECK_INT(count_dn(&l, "Carol Chen"), 1);
	dg_entry_list_clear(&l);

	/* plain memberOf sees only the direct member */
	dg_strbuf_reset(&filter);
	dg_strbuf_addf(&filter, "(&%s(memberOf=%s))", PERSONS, env("DG_AD_GROUP"));
	search(c, env("DG_AD_BASE"), filter.buf, (const char *const[]){ "cn", NULL }, &l);
	CHECK_INT(l.nr, 1);
	CHECK_INT(count_dn(&l, "Carol Chen"), 1);
	dg_entry_list_clear(&l);
	dg_strbuf_release(&filter);
	dg_ldap_close(c);
}

/* Ranged retrieval: asking for "member;range=0-0" makes the server send
 * one value as "member;range=0-0"; the rest must be fetched and merged
 * into "member", as for an AD group over MaxValRange members. */
static void test_ranged_retrieval(void)
{
	dg_ldap_conn *c = connect_admin(0);
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	const dg_attr *m;
	if (!c)
		return;
	CHECK_INT(dg_ldap_search_all(c, env("DG_AD_GROUP"), "(objectClass=group)",
				     (const char *const[]){ "member;range=0-0", NULL }, &l, &f, &err),
		  DG_OK);
	CHECK_INT(l.nr, 1);
	CHECK_INT(f.nr, 0);
	m = l.nr ? dg_entry_attr(&l.items[0], "member") : NULL;
	CHECK(m != NULL);
	CHECK_INT(m ? m->nvals : 0, 2); /* engineering and Carol Chen */
	for (size_t i = 0; l.nr && i < l.items[0].nattrs; i++)
		CHECK(strstr(l.items[0].attrs[i].name, ";range=") == NULL);
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	dg_ldap_close(c);
}

/* The AD connector's filter clauses, as Samba evaluates them. */
static void test_ad_filter_clauses(void)
{
	dg_ldap_conn *c = connect_admin(0);
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	if (!c)
		return;
	/* enabled users only: bit 2 of userAccountControl clear */
	search(c, env("DG_AD_BASE"),
	       "(&" PERSONS "(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
	       (const char *const[]){ "1.1", NULL }, &l);
	CHECK_INT(count_dn(&l, "Dave Disabled"), 0);
	CHECK_INT(count_dn(&l, "Alice Anders"), 1);
	CHECK_INT(count_dn(&l, "krbtgt"), 0); /* disabled by provisioning */
	dg_entry_list_clear(&l);
	/* Exchange users: proxyAddresses present */
	search(c, env("DG_AD_BASE"), "(&" PERSONS "(proxyAddresses=*))",
	       (const char *const[]){ "1.1", NULL }, &l);
	CHECK_INT(l.nr, 2);
	dg_entry_list_clear(&l);
	search(c, env("DG_AD_BASE"), "(proxyAddresses=smtp:a.anders@alias.example.org)",
	       (const char *const[]){ "1.1", NULL }, &l);
	CHECK_INT(l.nr, 1);
	CHECK_INT(count_dn(&l, "Alice Anders"), 1);
	dg_entry_list_clear(&l);
	if (atoi(env("DG_AD_HIDDEN_ATTR"))) {
		search(c, env("DG_AD_BASE"),
		       "(&" PERSONS "(proxyAddresses=*)(!(msExchHideFromAddressLists=TRUE)))",
		       (const char *const[]){ "1.1", NULL }, &l);
		CHECK_INT(l.nr, 2);
		dg_entry_list_clear(&l);
	} else {
		printf("# msExchHideFromAddressLists: not in Samba's schema (no Exchange "
		       "schema extension); that clause is not tried\n");
	}
	dg_ldap_close(c);
}

/* The ldapsearch command line, run by hand (with -W replaced by -y FILE,
 * since nobody is there to type), finds what dg_ldap_search_all found. */
static void test_search_command_runs(void)
{
	dg_ldap_conn *c = connect_admin(0);
	static const char *const attrs[] = { "sAMAccountName", "mail", NULL };
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_strbuf cmd = DG_STRBUF_INIT, run = DG_STRBUF_INIT;
	char line[4096], *w;
	size_t dns = 0, refs = 0;
	FILE *pipe;
	int status;
	if (!c)
		return;
	search(c, env("DG_AD_BASE"), PERSONS, attrs, &l);
	dg_ldap_search_command(c, env("DG_AD_BASE"), PERSONS, attrs, &cmd);
	printf("# %s\n", cmd.buf);
	dg_strbuf_addf(&said, "%s\n", cmd.buf);
	CHECK(strstr(cmd.buf, "ldapsearch -H ldaps://127.0.0.1:636 -x -D "
			      "Administrator@SAMDOM.EXAMPLE.COM -W -b ") != NULL);
	CHECK(strstr(cmd.buf, "LDAPTLS_CACERT=") == cmd.buf);
	CHECK(strstr(cmd.buf, " -E pr=1000/noprompt '" PERSONS "' sAMAccountName mail") != NULL);
	w = strstr(cmd.buf, " -W ");
	CHECK(w != NULL);
	if (w) {
		dg_strbuf_add(&run, cmd.buf, (size_t)(w - cmd.buf));
		dg_strbuf_addf(&run, " -y '%s' -LLL", env("DG_AD_ADMIN_PWFILE"));
		dg_strbuf_adds(&run, w + 3);
		dg_strbuf_adds(&run, " 2>&1");
		pipe = popen(run.buf, "r");
		CHECK(pipe != NULL);
		while (pipe && fgets(line, sizeof(line), pipe)) {
			if (!strncmp(line, "dn: ", 4) || !strncmp(line, "dn:: ", 5))
				dns++;
			else if (!strncmp(line, "# ref", 5))
				refs++;
			dg_strbuf_adds(&said, line);
		}
		status = pipe ? pclose(pipe) : -1;
		CHECK_INT(status, 0);
		CHECK_INT(dns, l.nr);
		CHECK(refs > 0); /* ldapsearch shows the references dirgate skips */
	}
	dg_strbuf_release(&run);
	dg_strbuf_release(&cmd);
	dg_entry_list_clear(&l);
	dg_ldap_close(c);
}

static void test_canary_never_said(void)
{
	CHECK(said.len > 0);
	CHECK(strstr(said.buf, WRONG_PW) == NULL);
	CHECK(strstr(said.buf, admin_pw()) == NULL);
	CHECK(strstr(said.buf, user_pw()) == NULL);
}

int main(void)
{
	if (!getenv("DG_AD_BASE")) {
		printf("1..0 # SKIP no Samba AD DC (run through test_ad_live.py)\n");
		return 0;
	}
	RUN(test_plain_ldap_needs_strong_auth);
	RUN(test_ldaps_bind_upn);
	RUN(test_ldaps_bind_down_level_and_dn);
	RUN(test_starttls_bind);
	RUN(test_wrong_password_52e);
	RUN(test_unknown_user_is_52e_too);
	RUN(test_disabled_533);
	RUN(test_must_change_773);
	RUN(test_account_expired_701);
	RUN(test_logon_hours_530);
	RUN(test_workstation_531);
	RUN(test_locked_out_775);
	RUN(test_rootdse_is_ad);
	RUN(test_paged_search_at_domain_root);
	RUN(test_in_chain_nested_groups);
	RUN(test_ranged_retrieval);
	RUN(test_ad_filter_clauses);
	RUN(test_search_command_runs);
	RUN(test_canary_never_said);
	dg_strbuf_release(&said);
	return dg_t_done();
}

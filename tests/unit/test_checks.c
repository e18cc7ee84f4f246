/* dirgate check --offline (core/checks.c and the rules it runs: each
 * provider's, MailStore's): every offline rule with good and bad input.
 * Profiles are built by hand (string literals, never freed with
 * dg_profile_free), so the rules are tested apart from the loader. */
#include "core/checks.h"
#include "core/provider.h"
#include "connectors/google/google_profile.h"
#include "connectors/m365/m365_profile.h"
#include "connectors/ldap/ldap_profile.h"
#include "mailstore/rules.h"
#include "core/profile.h"
#include "core/strbuf.h"
#include "test.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of a profile built here, for filling in (they are the
 * profile's own once dg_profile_dir_set gave it a kind). */
static inline dg_dir_active_directory *ad_opts(const dg_profile *p)
{
	return (dg_dir_active_directory *)dg_ad_opts(p);
}

static inline dg_dir_ldap *ldap_opts(const dg_profile *p)
{
	return (dg_dir_ldap *)dg_ldap_opts(p);
}

static inline dg_dir_m365 *m365_opts(const dg_profile *p)
{
	return (dg_dir_m365 *)dg_m365_opts(p);
}

static inline dg_dir_google *google_opts(const dg_profile *p)
{
	return (dg_dir_google *)dg_google_opts(p);
}

#define S(x) ((char *)(x))

static char tmpdir[] = "/tmp/dg-test-checks-XXXXXX";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes the test's temporary directory and everything in it. */
static void rm_tree(const char *dir)
{
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		printf("# could not remove %s\n", dir);
}

/* ---- profile fixtures -------------------------------------------------- */

/* Options given to hand-built profiles, kept reachable: the profiles
 * themselves are never freed. */
static void *kept_opts[512];
static size_t nkept;

/* A profile of directory type `type` with every tri-state "not given". */
static void init_profile(dg_profile *p, const char *type)
{
	memset(p, 0, sizeof(*p));
	p->name = S("test");
	if (nkept == sizeof(kept_opts) / sizeof(kept_opts[0]))
		abort(); /* more hand-built profiles than kept_opts holds */
	kept_opts[nkept++] = dg_profile_dir_set(p, dg_provider_dir_find(type, NULL));
	p->sync.delete_users = -1;
	p->sync.min_users = -1;
	p->sync.max_deletes = -1;
	p->sync.max_drop_percent = -1;
	p->target.insecure = -1;
}

static void ad_profile(dg_profile *p)
{
	init_profile(p, "active-directory");
	ad_opts(p)->server = S("dc01.contoso.com");
	ad_opts(p)->domain = S("contoso.com");
	ad_opts(p)->protocol = DG_PROTO_LDAP_SSL;
	ad_opts(p)->base_dn = S("");
	ad_opts(p)->bind_user = S("svc-mailstore@contoso.com");
	ad_opts(p)->user_name_format = DG_UNF_UPN;
	p->auth.method = dg_provider_login_find("standard", NULL);
}

static void ldap_profile(dg_profile *p)
{
	static char *names[] = { S("MailStore Users") };
	dg_dir_ldap *l;

	init_profile(p, "ldap");
	l = ldap_opts(p);
	l->server = S("ldap.example.com");
	l->protocol = DG_PROTO_LDAP_TLS;
	l->bind_dn = S("cn=admin,dc=example,dc=com");
	l->base_dn = S("dc=example,dc=com");
	l->user_filter = S("(&(objectClass=posixAccount)(mail=*))");
	l->user_name_attr = S("uid");
	l->full_name_attr = S("displayName");
	l->email_attr = S("mail");
	l->group_filter = S("(objectClass=posixGroup)");
	l->group_name_attr = S("cn");
	l->group_description_attr = S("description");
	l->members_attr = S("memberUid");
	l->member_search_filter = S("(|(&(objectClass=posixAccount)(uid={member}))"
				    "(&(objectClass=posixGroup)(cn={member})))");
	l->group_names.items = names;
	l->group_names.nr = 1;
	p->auth.method = dg_provider_login_find("standard", NULL);
}

static void m365_profile(dg_profile *p)
{
	init_profile(p, "microsoft-365");
	m365_opts(p)->tenant_id = S("72f988bf-86f1-41af-91ab-2d7cd011db47");
	m365_opts(p)->client_id = S("8f1c2a4e-0b7d-4c55-9a3e-2f61d0c7b9aa");
	p->auth.method = dg_provider_login_find("microsoft-365", NULL);
	p->auth.redirect_uri = S("https://archive.contoso.com:8462/oidc/signin");
}

static void google_profile(dg_profile *p)
{
	init_profile(p, "google-workspace");
	google_opts(p)->admin_user = S("admin@example.com");
	google_opts(p)->domain = S("example.com");
	p->auth.method = dg_provider_login_find("google-oidc", NULL);
	p->auth.client_id = S("123456789012-abcdefghijklmnop.apps.googleusercontent.com");
	p->auth.client_secret.kind = DG_SECRET_PROMPT;
	p->auth.client_secret.path = S("/authentication/clientSecret");
	p->auth.redirect_uri = S("https://archive.example.com:8462/oidc/signin");
}

static void target(dg_profile *p, const char *url)
{
	p->target.present = 1;
	p->target.url = S(url);
	p->target.product = DG_PRODUCT_SERVER;
	p->target.user = S("admin");
	p->target.password.kind = DG_SECRET_PROMPT;
	p->target.password.path = S("/target/password");
}

/* ---- assertions -------------------------------------------------------- */

static const dg_finding *find_at(const dg_findings *f, const char *code, const char *path)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code) && (!path || !strcmp(f->items[i].path, path)))
			return &f->items[i];
	return NULL;
}

static size_t count_code(const dg_findings *f, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nr; i++)
		n += !strcmp(f->items[i].code, code);
	return n;
}

static size_t count_prefix(const dg_findings *f, const char *prefix, const char *path,
			   dg_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nr; i++)
		n += !strncmp(f->items[i].code, prefix, strlen(prefix)) &&
		     !strcmp(f->items[i].path, path) && f->items[i].severity == sev;
	return n;
}

static void dump(const dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		printf("#   %s %s %s: %s\n", f->items[i].code, dg_severity_name(f->items[i].severity),
		       f->items[i].path, f->items[i].message);
}

/* Runs the checks and checks what every finding must have. */
static void run(const dg_profile *p, dg_findings *f)
{
	dg_check_offline(p, f);
	for (size_t i = 0; i < f->nr; i++) {
		const dg_finding *fd = &f->items[i];
		const dg_code_info *ci = dg_code_lookup(fd->code);
		CHECK(ci != NULL);
		CHECK(fd->path && fd->path[0] == '/');
		CHECK(fd->message && *fd->message);
		CHECK(fd->hint && *fd->hint);
		if (ci && strncmp(fd->code, "URI", 3) && strncmp(fd->code, "FILTER", 6) &&
		    strncmp(fd->code, "SECRET", 6))
			CHECK_INT(fd->severity, ci->severity);
	}
}

#define EXPECT(f, code_, sev_, path_)                                           \
	do {                                                                    \
		const dg_finding *fd_ = find_at((f), (code_), (path_));        \
		if (!fd_) {                                                     \
			printf("# missing %s at %s; have:\n", (code_), (path_)); \
			dump(f);                                                \
		}                                                               \
		CHECK(fd_ != NULL);                                             \
		if (fd_)                                                        \
			CHECK_INT(fd_->severity, (sev_));                       \
	} while (0)

#define EXPECT_NONE(f, code_) CHECK_INT(count_code((f), (code_)), 0)

#define EXPECT_CLEAN(f)                                                         \
	do {                                                                    \
		size_t bad_ = dg_findings_count((f), DG_SEV_ERROR) +            \
			      dg_findings_count((f), DG_SEV_WARNING);           \
		if (bad_)                                                       \
			dump(f);                                                \
		CHECK_INT(bad_, 0);                                             \
	} while (0)

static const char *msg(const dg_findings *f, const char *code)
{
	const dg_finding *fd = find_at(f, code, NULL);
	return fd ? fd->message : "";
}

/* ---- good profiles ----------------------------------------------------- */

static void test_good_profiles(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	target(&p, "https://archive.contoso.com:8463");
	p.sync.min_users = 1;
	p.sync.delete_users = 1;
	p.sync.max_deletes = 25;
	p.sync.max_drop_percent = 10;
	run(&p, &f);
	EXPECT_CLEAN(&f);
	CHECK_INT(f.nr, 0);
	dg_findings_clear(&f);

	ldap_profile(&p);
	run(&p, &f);
	EXPECT_CLEAN(&f);
	dg_findings_clear(&f);

	google_profile(&p);
	run(&p, &f);
	EXPECT_CLEAN(&f);
	dg_findings_clear(&f);
}

/* ---- identifiers ------------------------------------------------------- */

static void test_tenant_id(void)
{
	static const char *const good[] = { "72f988bf-86f1-41af-91ab-2d7cd011db47",
					    "contoso.onmicrosoft.com", "contoso.com" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	m365_profile(&p);
	for (size_t i = 0; i < 3; i++) {
		m365_opts(&p)->tenant_id = S(good[i]);
		run(&p, &f);
		EXPECT_NONE(&f, "M365001");
		EXPECT_NONE(&f, "M365002");
		dg_findings_clear(&f);
	}
	m365_opts(&p)->tenant_id = S("common");
	run(&p, &f);
	EXPECT(&f, "M365002", DG_SEV_ERROR, "/directory/tenantId");
	EXPECT_NONE(&f, "M365001");
	dg_findings_clear(&f);
	m365_opts(&p)->tenant_id = S("Organizations");
	run(&p, &f);
	EXPECT(&f, "M365002", DG_SEV_ERROR, "/directory/tenantId");
	dg_findings_clear(&f);
	m365_opts(&p)->tenant_id = S("contoso");
	run(&p, &f);
	EXPECT(&f, "M365001", DG_SEV_ERROR, "/directory/tenantId");
	dg_findings_clear(&f);
	m365_opts(&p)->tenant_id = S("{72f988bf-86f1-41af-91ab-2d7cd011db47}");
	run(&p, &f);
	EXPECT(&f, "M365001", DG_SEV_ERROR, "/directory/tenantId");
	CHECK(strstr(msg(&f, "M365001"), "braces") != NULL);
	dg_findings_clear(&f);
}

static void test_m365_client_id(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	m365_profile(&p);
	run(&p, &f);
	EXPECT_NONE(&f, "M365003");
	dg_findings_clear(&f);
	m365_opts(&p)->client_id = S("8f1c2a4e0b7d4c559a3e2f61d0c7b9aa");
	run(&p, &f);
	EXPECT(&f, "M365003", DG_SEV_ERROR, "/directory/clientId");
	dg_findings_clear(&f);
}

static void adfs_profile(dg_profile *p)
{
	ad_profile(p);
	p->auth.method = dg_provider_login_find("adfs", NULL);
	p->auth.service_url = S("https://adfs.contoso.com");
	p->auth.client_id = S("5e1d3c2b-9a8f-4e7d-b6c5-a4f3e2d1c0b9");
	p->auth.redirect_uri = S("https://archive.contoso.com:8462/oidc/signin");
}

static void test_adfs_client_id(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	adfs_profile(&p);
	run(&p, &f);
	EXPECT_NONE(&f, "ADFS003");
	EXPECT_NONE(&f, "ADFS014");
	dg_findings_clear(&f);
	p.auth.client_id = S("5E1D3C2B-9A8F-4E7D-B6C5-A4F3E2D1C0B9");  /* GUIDs in any case */
	run(&p, &f);
	EXPECT_NONE(&f, "ADFS014");
	dg_findings_clear(&f);
	p.auth.client_id = S("5e1d3c2b-9a8f-4e7d-b6c5-a4f3e2d1c0b9 ");
	run(&p, &f);
	EXPECT(&f, "ADFS003", DG_SEV_WARNING, "/authentication/clientId");
	EXPECT_NONE(&f, "ADFS014");     /* the whitespace is the problem to fix */
	dg_findings_clear(&f);
}

/* A custom identifier (PowerShell) is legal: a note, never an error. */
static void test_adfs_client_id_not_guid(void)
{
	static const char *const custom[] = { "https://archive.contoso.com/mailstore",
					      "mailstore-login",
					      "{5e1d3c2b-9a8f-4e7d-b6c5-a4f3e2d1c0b9}",
					      "5e1d3c2b9a8f4e7db6c5a4f3e2d1c0b9" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	for (size_t i = 0; i < sizeof(custom) / sizeof(custom[0]); i++) {
		adfs_profile(&p);
		ad_opts(&p)->user_name_format = DG_UNF_UPN;
		p.auth.client_id = S(custom[i]);
		run(&p, &f);
		EXPECT(&f, "ADFS014", DG_SEV_INFO, "/authentication/clientId");
		CHECK_INT(count_code(&f, "ADFS014"), 1);
		EXPECT_NONE(&f, "ADFS003");
		EXPECT_CLEAN(&f);
		CHECK(strstr(msg(&f, "ADFS014"), custom[i]) != NULL);
		CHECK(strstr(msg(&f, "ADFS014"), "not a GUID") != NULL);
		CHECK(find_at(&f, "ADFS014", NULL) &&
		      strstr(find_at(&f, "ADFS014", NULL)->hint, "Client Identifier"));
		dg_findings_clear(&f);
	}
	/* only AD FS client identifiers: Google's are checked by GOOGLE003 */
	google_profile(&p);
	run(&p, &f);
	EXPECT_NONE(&f, "ADFS014");
	dg_findings_clear(&f);
}

static void test_google_ids(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	google_profile(&p);
	google_opts(&p)->admin_user = S("admin");
	google_opts(&p)->domain = S("exa mple.com");
	p.auth.client_id = S("mailstore-client");
	run(&p, &f);
	EXPECT(&f, "GOOGLE001", DG_SEV_ERROR, "/directory/adminUser");
	EXPECT(&f, "GOOGLE002", DG_SEV_ERROR, "/directory/domain");
	EXPECT(&f, "GOOGLE003", DG_SEV_WARNING, "/authentication/clientId");
	dg_findings_clear(&f);
	google_opts(&p)->admin_user = S("admin@example");
	run(&p, &f);
	EXPECT(&f, "GOOGLE001", DG_SEV_ERROR, "/directory/adminUser");
	dg_findings_clear(&f);
}

static void test_ad_domain(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	ad_opts(&p)->domain = S("contoso_corp.com");
	run(&p, &f);
	EXPECT(&f, "AD001", DG_SEV_ERROR, "/directory/domain");
	CHECK(strstr(msg(&f, "AD001"), "'_'") != NULL);
	dg_findings_clear(&f);
	ad_opts(&p)->domain = S("CONTOSO");
	run(&p, &f);
	EXPECT(&f, "AD002", DG_SEV_WARNING, "/directory/domain");
	EXPECT_NONE(&f, "AD001");
	dg_findings_clear(&f);
	ad_opts(&p)->domain = S("contoso.local");
	run(&p, &f);
	EXPECT_NONE(&f, "AD001");
	EXPECT_NONE(&f, "AD002");
	dg_findings_clear(&f);
}

static void test_server_names(void)
{
	static const char *const good[] = { "dc01.contoso.com", "dc01", "10.0.0.1", "::1",
					    "[fe80::1]", "ldap.example.com." };
	static const char *const bad[] = { "ldaps://dc01.contoso.com", "dc01.contoso.com:636",
					   "dc01 .contoso.com", "dc01..contoso.com", "-dc.contoso.com",
					   "10.0.0.256", "dc01.contoso.com/" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ldap_profile(&p);
		ldap_opts(&p)->server = S(good[i]);
		run(&p, &f);
		if (count_code(&f, "LDAP003"))
			printf("# good server %s flagged\n", good[i]);
		EXPECT_NONE(&f, "LDAP003");
		dg_findings_clear(&f);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ad_profile(&p);
		ad_opts(&p)->server = S(bad[i]);
		run(&p, &f);
		EXPECT(&f, "LDAP003", DG_SEV_ERROR, "/directory/server");
		dg_findings_clear(&f);
	}
	ad_profile(&p);
	ad_opts(&p)->server = S("dc01.contoso.com:636");
	run(&p, &f);
	CHECK(strstr(msg(&f, "LDAP003"), "port") != NULL);
	dg_findings_clear(&f);
}

/* ---- LDAP / AD --------------------------------------------------------- */

static void test_dns(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ldap_profile(&p);
	ldap_opts(&p)->base_dn = S("dc example,dc=com");
	ldap_opts(&p)->bind_dn = S("cn=Doe, John,dc=example,dc=com");
	run(&p, &f);
	EXPECT(&f, "LDAP001", DG_SEV_ERROR, "/directory/baseDn");
	EXPECT(&f, "LDAP001", DG_SEV_ERROR, "/directory/bind/dn");
	CHECK(find_at(&f, "LDAP001", "/directory/baseDn") &&
	      strstr(find_at(&f, "LDAP001", "/directory/baseDn")->message, "no '='"));
	CHECK(find_at(&f, "LDAP001", "/directory/bind/dn") &&
	      strstr(find_at(&f, "LDAP001", "/directory/bind/dn")->message, "\\,"));
	dg_findings_clear(&f);

	ldap_opts(&p)->base_dn = S("ou=a\\zz,dc=example,dc=com");
	ldap_opts(&p)->bind_dn = S("cn=Doe\\, John,dc=example,dc=com");
	run(&p, &f);
	EXPECT(&f, "LDAP001", DG_SEV_ERROR, "/directory/baseDn");
	CHECK(strstr(msg(&f, "LDAP001"), "bad escape") != NULL);
	CHECK(!find_at(&f, "LDAP001", "/directory/bind/dn"));
	dg_findings_clear(&f);

	ldap_opts(&p)->base_dn = S("dc=example,dc=com,");
	run(&p, &f);
	CHECK(strstr(msg(&f, "LDAP001"), "ends with") != NULL);
	dg_findings_clear(&f);
}

static void test_ad_group_dns(void)
{
	static char *groups[] = { S("MailStore Users"), S("CN=Sales,,DC=contoso,DC=com"),
				  S("CN=Archive Users,OU=Groups,DC=contoso,DC=com") };
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	ad_opts(&p)->groups.items = groups;
	ad_opts(&p)->groups.nr = 3;
	ad_opts(&p)->base_dn = S("DC=contoso;DC=com");
	run(&p, &f);
	EXPECT(&f, "LDAP001", DG_SEV_ERROR, "/directory/filters/groups/1");
	EXPECT(&f, "LDAP001", DG_SEV_ERROR, "/directory/baseDn");
	CHECK_INT(count_code(&f, "LDAP001"), 2);
	dg_findings_clear(&f);
}

static void test_attribute_names(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ldap_profile(&p);
	ldap_opts(&p)->email_attr = S("userCertificate;binary");
	ldap_opts(&p)->user_name_attr = S("2.5.4.3");
	run(&p, &f);
	EXPECT_NONE(&f, "LDAP002");
	dg_findings_clear(&f);

	ldap_opts(&p)->full_name_attr = S("display name");
	ldap_opts(&p)->user_name_attr = S("1uid");
	ldap_opts(&p)->email_attr = S("mail;");
	ldap_opts(&p)->members_attr = S("member_uid");
	run(&p, &f);
	EXPECT(&f, "LDAP002", DG_SEV_ERROR, "/directory/users/fullNameAttribute");
	EXPECT(&f, "LDAP002", DG_SEV_ERROR, "/directory/users/userNameAttribute");
	EXPECT(&f, "LDAP002", DG_SEV_ERROR, "/directory/users/emailAttribute");
	EXPECT(&f, "LDAP002", DG_SEV_ERROR, "/directory/groups/membersAttribute");
	CHECK(strstr(find_at(&f, "LDAP002", "/directory/users/fullNameAttribute")->message,
		     "whitespace") != NULL);
	dg_findings_clear(&f);
}

static void test_filters(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ldap_profile(&p);
	ldap_opts(&p)->user_filter = S("(&(objectClass=posixAccount)(mail=*)");
	ldap_opts(&p)->group_filter = S("(objectClass=posixGroup))");
	run(&p, &f);
	CHECK(count_prefix(&f, "FILTER", "/directory/users/filter", DG_SEV_ERROR) >= 1);
	CHECK(count_prefix(&f, "FILTER", "/directory/groups/filter", DG_SEV_ERROR) >= 1);
	dg_findings_clear(&f);

	ldap_opts(&p)->user_filter = S("(&(objectClass=posixAccount)(mail=*))");
	ldap_opts(&p)->group_filter = S("(objectClass=posixGroup)");
	ldap_opts(&p)->member_search_filter = S("(&(objectClass=posixAccount)(uid={member})");
	run(&p, &f);
	CHECK(count_prefix(&f, "FILTER", "/directory/groups/memberSearchFilter",
			   DG_SEV_ERROR) >= 1);
	EXPECT_NONE(&f, "LDAP005");   /* not tested again once it fails as written */
	dg_findings_clear(&f);
}

static void test_member_search_filter(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ldap_profile(&p);
	ldap_opts(&p)->member_search_filter = S("(&(objectClass=posixAccount)(uid=member))");
	run(&p, &f);
	EXPECT(&f, "LDAP004", DG_SEV_ERROR, "/directory/groups/memberSearchFilter");
	dg_findings_clear(&f);

	ldap_opts(&p)->member_search_filter = S("(uid={member})");
	run(&p, &f);
	EXPECT_NONE(&f, "LDAP004");
	EXPECT_NONE(&f, "LDAP005");
	dg_findings_clear(&f);

	/* {member} where no value can go: it parses as a name, not as a value,
	 * and LDAP005 says so instead of a syntax error about its braces */
	ldap_opts(&p)->member_search_filter = S("(&(objectClass=posixAccount)({member}=x))");
	run(&p, &f);
	EXPECT(&f, "LDAP005", DG_SEV_ERROR, "/directory/groups/memberSearchFilter");
	CHECK(count_prefix(&f, "FILTER", "/directory/groups/memberSearchFilter", DG_SEV_ERROR) == 0);
	CHECK(find_at(&f, "LDAP005", NULL) &&
	      strstr(find_at(&f, "LDAP005", NULL)->message, "(j\\2adoe=x)"));
	dg_findings_clear(&f);

	/* DN-valued members with a search filter: suspicious */
	ldap_opts(&p)->members_attr = S("member");
	run(&p, &f);
	EXPECT(&f, "LDAP006", DG_SEV_WARNING, "/directory/groups/memberSearchFilter");
	CHECK(strstr(msg(&f, "LDAP006"), "Distinguished Names") != NULL);
	dg_findings_clear(&f);
	ldap_opts(&p)->members_attr = S("uniqueMember");
	run(&p, &f);
	EXPECT(&f, "LDAP006", DG_SEV_WARNING, "/directory/groups/memberSearchFilter");
	dg_findings_clear(&f);
	ldap_opts(&p)->members_attr = NULL;   /* default: member */
	run(&p, &f);
	EXPECT(&f, "LDAP006", DG_SEV_WARNING, "/directory/groups/memberSearchFilter");
	dg_findings_clear(&f);
	ldap_opts(&p)->member_search_filter = NULL;
	run(&p, &f);
	EXPECT_NONE(&f, "LDAP006");
	EXPECT_NONE(&f, "LDAP007");
	dg_findings_clear(&f);

	/* memberUid without a search filter: the values are not DNs */
	ldap_opts(&p)->members_attr = S("memberUid");
	run(&p, &f);
	EXPECT(&f, "LDAP007", DG_SEV_ERROR, "/directory/groups/memberSearchFilter");
	dg_findings_clear(&f);
	ldap_opts(&p)->member_search_filter = S("");
	run(&p, &f);
	EXPECT(&f, "LDAP007", DG_SEV_ERROR, "/directory/groups/memberSearchFilter");
	dg_findings_clear(&f);
}

static void test_group_filter_needed(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ldap_profile(&p);
	ldap_opts(&p)->group_filter = NULL;
	run(&p, &f);
	EXPECT(&f, "LDAP008", DG_SEV_ERROR, "/directory/groups/filter");
	CHECK(find_at(&f, "LDAP008", NULL) &&
	      strstr(find_at(&f, "LDAP008", NULL)->hint, "(objectClass=posixGroup)"));
	dg_findings_clear(&f);
	ldap_opts(&p)->group_names.nr = 0;
	run(&p, &f);
	EXPECT_NONE(&f, "LDAP008");
	dg_findings_clear(&f);
}

/* ---- TLS --------------------------------------------------------------- */

static void test_accept_all(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	ad_opts(&p)->protocol = DG_PROTO_LDAP;
	ad_opts(&p)->tls.accept_all_certificates = 1;
	run(&p, &f);
	EXPECT(&f, "TLS001", DG_SEV_ERROR, "/directory/tls/acceptAllCertificates");
	EXPECT_NONE(&f, "TLS002");
	CHECK(find_at(&f, "TLS001", NULL) && strstr(find_at(&f, "TLS001", NULL)->hint, "ldaps"));
	dg_findings_clear(&f);

	ad_opts(&p)->protocol = DG_PROTO_DEFAULT;   /* default is plain ldap */
	run(&p, &f);
	EXPECT(&f, "TLS001", DG_SEV_ERROR, "/directory/tls/acceptAllCertificates");
	dg_findings_clear(&f);

	ad_opts(&p)->protocol = DG_PROTO_LDAP_SSL;
	run(&p, &f);
	EXPECT(&f, "TLS002", DG_SEV_WARNING, "/directory/tls/acceptAllCertificates");
	CHECK(strstr(msg(&f, "TLS002"), "man-in-the-middle") != NULL);
	EXPECT_NONE(&f, "TLS001");
	dg_findings_clear(&f);

	ldap_profile(&p);
	ldap_opts(&p)->tls.accept_all_certificates = 1;   /* ldap-tls */
	run(&p, &f);
	EXPECT(&f, "TLS002", DG_SEV_WARNING, "/directory/tls/acceptAllCertificates");
	dg_findings_clear(&f);
	ldap_opts(&p)->tls.accept_all_certificates = 0;
	ldap_opts(&p)->protocol = DG_PROTO_LDAP;
	run(&p, &f);
	EXPECT_NONE(&f, "TLS001");
	EXPECT_NONE(&f, "TLS002");
	dg_findings_clear(&f);
}

/* Plain LDAP with a bind user sends the password in clear: a warning,
 * except to this computer or without a password to send. */
static void test_cleartext_bind(void)
{
	static const char *const local[] = { "127.0.0.1", "127.5.6.7", "::1", "localhost" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ldap_profile(&p);
	ldap_opts(&p)->protocol = DG_PROTO_DEFAULT;
	run(&p, &f);
	EXPECT(&f, "TLS011", DG_SEV_WARNING, "/directory/protocol");
	CHECK(strstr(msg(&f, "TLS011"), "(the default)") != NULL);
	CHECK(strstr(msg(&f, "TLS011"), "ldap.example.com") != NULL);
	CHECK(find_at(&f, "TLS011", NULL) &&
	      strstr(find_at(&f, "TLS011", NULL)->hint, "StartTLS") != NULL);
	dg_findings_clear(&f);
	ldap_opts(&p)->protocol = DG_PROTO_LDAP_TLS;
	run(&p, &f);
	EXPECT_NONE(&f, "TLS011");
	dg_findings_clear(&f);
	ldap_opts(&p)->protocol = DG_PROTO_LDAP;
	for (size_t i = 0; i < sizeof(local) / sizeof(*local); i++) {
		ldap_opts(&p)->server = S(local[i]);
		run(&p, &f);
		EXPECT_NONE(&f, "TLS011");
		dg_findings_clear(&f);
	}
	ldap_opts(&p)->server = S("10.0.0.5");
	ldap_opts(&p)->bind_dn = NULL; /* anonymous: no password to send */
	run(&p, &f);
	EXPECT_NONE(&f, "TLS011");
	dg_findings_clear(&f);

	ad_profile(&p);
	ad_opts(&p)->protocol = DG_PROTO_LDAP;
	ad_opts(&p)->server = NULL; /* a DC found by DNS */
	run(&p, &f);
	EXPECT(&f, "TLS011", DG_SEV_WARNING, "/directory/protocol");
	CHECK(strstr(msg(&f, "TLS011"), "the domain controller") != NULL);
	dg_findings_clear(&f);
}

static char *write_ca(const char *name, long from, long to);

static void test_ca_file_directory(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *ca = write_ca("dir-ca.pem", -86400, 86400 * 365);
	dg_profile p;

	ldap_profile(&p);
	ldap_opts(&p)->protocol = DG_PROTO_LDAP;
	ldap_opts(&p)->tls.ca_file = ca;
	run(&p, &f);
	EXPECT(&f, "TLS003", DG_SEV_WARNING, "/directory/tls/caFile");
	EXPECT(&f, "TLS007", DG_SEV_INFO, "/directory/tls/caFile");
	dg_findings_clear(&f);
	ldap_opts(&p)->protocol = DG_PROTO_LDAP_SSL;
	run(&p, &f);
	EXPECT_NONE(&f, "TLS003");
	EXPECT(&f, "TLS007", DG_SEV_INFO, "/directory/tls/caFile");
	dg_findings_clear(&f);
	ldap_opts(&p)->tls.ca_file = S("/nonexistent/ca.pem");
	run(&p, &f);
	EXPECT(&f, "PROF009", DG_SEV_ERROR, "/directory/tls/caFile");
	dg_findings_clear(&f);
	free(ca);
}

static void test_target_tls(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *ca = write_ca("target-ca.pem", -86400, 86400 * 365);
	dg_profile p;

	ad_profile(&p);
	target(&p, "https://archive.contoso.com:8463");
	p.target.pin_sha256 = S("9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:"
				"A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08");
	run(&p, &f);
	EXPECT_CLEAN(&f);
	dg_findings_clear(&f);
	p.target.pin_sha256 = S("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	run(&p, &f);
	EXPECT_CLEAN(&f);
	dg_findings_clear(&f);

	p.target.pin_sha256 = S("sha256//n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=");
	run(&p, &f);
	EXPECT(&f, "TLS009", DG_SEV_ERROR, "/target/tls/pinSha256");
	dg_findings_clear(&f);
	p.target.pin_sha256 = S("9f86d081884c7d659a2feaa0c55ad015");
	run(&p, &f);
	EXPECT(&f, "TLS009", DG_SEV_ERROR, "/target/tls/pinSha256");
	CHECK(strstr(msg(&f, "TLS009"), "32 hex digits") != NULL);
	dg_findings_clear(&f);

	p.target.pin_sha256 = NULL;
	p.target.insecure = 1;
	run(&p, &f);
	EXPECT(&f, "TLS008", DG_SEV_WARNING, "/target/tls/insecure");
	EXPECT_NONE(&f, "TLS010");
	dg_findings_clear(&f);
	p.target.ca_file = ca;
	run(&p, &f);
	EXPECT(&f, "TLS010", DG_SEV_WARNING, "/target/tls/insecure");
	EXPECT(&f, "TLS007", DG_SEV_INFO, "/target/tls/caFile");
	dg_findings_clear(&f);
	p.target.insecure = 0;
	run(&p, &f);
	EXPECT_NONE(&f, "TLS008");
	EXPECT_NONE(&f, "TLS010");
	dg_findings_clear(&f);
	free(ca);
}

/* ---- MailStore's rules ------------------------------------------------- */

static void test_address_lists(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	ad_opts(&p)->visible_in_address_lists_only = 1;
	run(&p, &f);
	EXPECT(&f, "AD003", DG_SEV_ERROR, "/directory/filters/visibleInAddressListsOnly");
	CHECK(find_at(&f, "AD003", NULL) &&
	      strstr(find_at(&f, "AD003", NULL)->hint, "\"/directory/filters/exchangeUsersOnly\": true"));
	dg_findings_clear(&f);
	ad_opts(&p)->exchange_users_only = 1;
	run(&p, &f);
	EXPECT_NONE(&f, "AD003");
	dg_findings_clear(&f);
}

static void test_adfs_claim_rule(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	adfs_profile(&p);
	ad_opts(&p)->user_name_format = DG_UNF_DEFAULT;   /* sAMAccountName */
	run(&p, &f);
	EXPECT(&f, "ADFS004", DG_SEV_WARNING, "/directory/userNameFormat");
	CHECK(find_at(&f, "ADFS004", NULL) &&
	      strstr(find_at(&f, "ADFS004", NULL)->hint, "Send LDAP Attributes as Claims") &&
	      strstr(find_at(&f, "ADFS004", NULL)->hint, "SAM-Account-Name") &&
	      strstr(find_at(&f, "ADFS004", NULL)->hint, "sAMAccountName"));
	dg_findings_clear(&f);
	ad_opts(&p)->user_name_format = DG_UNF_UPN;
	run(&p, &f);
	EXPECT_NONE(&f, "ADFS004");
	EXPECT(&f, "AUTH004", DG_SEV_INFO, "/authentication/method");
	EXPECT_CLEAN(&f);
	dg_findings_clear(&f);
}

/* Generic LDAP pointed at Active Directory: the user name attribute decides. */
static void ldap_adfs_profile(dg_profile *p, const char *user_name_attr)
{
	ldap_profile(p);
	ldap_opts(p)->user_name_attr = S(user_name_attr);
	p->auth.method = dg_provider_login_find("adfs", NULL);
	p->auth.service_url = S("https://adfs.example.com");
	p->auth.client_id = S("5e1d3c2b-9a8f-4e7d-b6c5-a4f3e2d1c0b9");
	p->auth.redirect_uri = S("https://archive.example.com:8462/oidc/signin");
}

static void test_adfs_claim_rule_ldap(void)
{
	static const char *const sam[] = { "sAMAccountName", "samaccountname", "SAMACCOUNTNAME",
					   "1.2.840.113556.1.4.221" /* its OID */ };
	const char *ad_hint;
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	adfs_profile(&p);
	ad_opts(&p)->user_name_format = DG_UNF_SAM;
	run(&p, &f);
	ad_hint = dg_xstrdup(find_at(&f, "ADFS004", NULL) ? find_at(&f, "ADFS004", NULL)->hint : "");
	dg_findings_clear(&f);

	for (size_t i = 0; i < sizeof(sam) / sizeof(sam[0]); i++) {
		ldap_adfs_profile(&p, sam[i]);
		run(&p, &f);
		EXPECT(&f, "ADFS004", DG_SEV_WARNING, "/directory/users/userNameAttribute");
		CHECK_INT(count_code(&f, "ADFS004"), 1);
		/* the same steps as for an Active Directory profile */
		CHECK(*ad_hint && find_at(&f, "ADFS004", NULL) &&
		      !strcmp(find_at(&f, "ADFS004", NULL)->hint, ad_hint));
		dg_findings_clear(&f);
	}
	ldap_adfs_profile(&p, "uid");
	run(&p, &f);
	EXPECT_NONE(&f, "ADFS004");
	dg_findings_clear(&f);
	ldap_adfs_profile(&p, "userPrincipalName");
	run(&p, &f);
	EXPECT_NONE(&f, "ADFS004");
	dg_findings_clear(&f);
	ldap_adfs_profile(&p, "sAMAccountName");
	ldap_opts(&p)->user_name_attr = NULL;        /* default: uid */
	run(&p, &f);
	EXPECT_NONE(&f, "ADFS004");
	dg_findings_clear(&f);
	ldap_profile(&p);                               /* no AD FS: no claims at all */
	ldap_opts(&p)->user_name_attr = S("sAMAccountName");
	run(&p, &f);
	EXPECT_NONE(&f, "ADFS004");
	EXPECT_CLEAN(&f);
	dg_findings_clear(&f);
	free((char *)ad_hint);
}

static void test_method_notes(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	p.auth.method = dg_provider_login_find("windows", NULL);
	run(&p, &f);
	EXPECT(&f, "AUTH003", DG_SEV_WARNING, "/authentication/method");
	CHECK(strstr(msg(&f, "AUTH003"), "Linux") != NULL);
	dg_findings_clear(&f);

	m365_profile(&p);
	run(&p, &f);
	EXPECT(&f, "AUTH004", DG_SEV_INFO, "/authentication/method");
	EXPECT(&f, "AUTH006", DG_SEV_INFO, "/authentication/method");
	dg_findings_clear(&f);
	p.auth.method = dg_provider_login_find("microsoft-365-basic", NULL);
	p.auth.redirect_uri = NULL;
	run(&p, &f);
	EXPECT(&f, "AUTH007", DG_SEV_WARNING, "/authentication/method");
	EXPECT_NONE(&f, "AUTH006");
	dg_findings_clear(&f);

	google_profile(&p);
	run(&p, &f);
	EXPECT(&f, "AUTH004", DG_SEV_INFO, "/authentication/method");
	EXPECT_NONE(&f, "AUTH005");
	dg_findings_clear(&f);
	p.auth.method = dg_provider_login_find("google-imap", NULL);
	p.auth.client_id = NULL;
	p.auth.client_secret.kind = DG_SECRET_NONE;
	p.auth.redirect_uri = NULL;
	run(&p, &f);
	EXPECT(&f, "AUTH005", DG_SEV_WARNING, "/authentication/method");
	EXPECT_NONE(&f, "AUTH004");
	dg_findings_clear(&f);

	ad_profile(&p);
	run(&p, &f);   /* standard: nothing to say */
	EXPECT_NONE(&f, "AUTH003");
	EXPECT_NONE(&f, "AUTH004");
	dg_findings_clear(&f);
}

static void test_method_allowed(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ldap_profile(&p);
	p.auth.method = dg_provider_login_find("windows", NULL);
	run(&p, &f);
	EXPECT(&f, "AUTH001", DG_SEV_ERROR, "/authentication/method");
	CHECK(find_at(&f, "AUTH001", NULL) &&
	      strstr(find_at(&f, "AUTH001", NULL)->hint, "\"standard\" or \"adfs\""));
	dg_findings_clear(&f);
	google_profile(&p);
	p.auth.method = dg_provider_login_find("microsoft-365", NULL);
	run(&p, &f);
	EXPECT(&f, "AUTH001", DG_SEV_ERROR, "/authentication/method");
	dg_findings_clear(&f);
	m365_profile(&p);
	p.auth.method = dg_provider_login_find("standard", NULL);
	run(&p, &f);
	EXPECT(&f, "AUTH001", DG_SEV_ERROR, "/authentication/method");
	dg_findings_clear(&f);
	ad_profile(&p);
	p.auth.method = NULL;
	run(&p, &f);
	EXPECT_NONE(&f, "AUTH001");
	dg_findings_clear(&f);
}

static void test_method_needs(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	adfs_profile(&p);
	p.auth.service_url = NULL;
	p.auth.client_id = NULL;
	p.auth.redirect_uri = NULL;
	run(&p, &f);
	EXPECT(&f, "AUTH002", DG_SEV_ERROR, "/authentication/adfsUrl");
	EXPECT(&f, "AUTH002", DG_SEV_ERROR, "/authentication/clientId");
	EXPECT(&f, "AUTH002", DG_SEV_ERROR, "/authentication/redirectUri");
	CHECK_INT(count_code(&f, "AUTH002"), 3);
	dg_findings_clear(&f);

	m365_profile(&p);
	p.auth.redirect_uri = NULL;
	run(&p, &f);
	EXPECT(&f, "AUTH002", DG_SEV_ERROR, "/authentication/redirectUri");
	CHECK_INT(count_code(&f, "AUTH002"), 1);
	dg_findings_clear(&f);

	google_profile(&p);
	p.auth.client_secret.kind = DG_SECRET_NONE;
	run(&p, &f);
	EXPECT(&f, "AUTH002", DG_SEV_ERROR, "/authentication/clientSecret");
	CHECK_INT(count_code(&f, "AUTH002"), 1);
	dg_findings_clear(&f);
}

static void test_adfs_url(void)
{
	static const char *const good[] = { "https://adfs.contoso.com", "https://adfs.contoso.com/",
					    "https://adfs.contoso.com/adfs",
					    "https://adfs.contoso.com:8443/adfs/" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	adfs_profile(&p);
	ad_opts(&p)->user_name_format = DG_UNF_UPN;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		p.auth.service_url = S(good[i]);
		run(&p, &f);
		EXPECT_NONE(&f, "ADFS001");
		EXPECT_NONE(&f, "ADFS002");
		dg_findings_clear(&f);
	}
	p.auth.service_url = S("http://adfs.contoso.com");
	run(&p, &f);
	EXPECT(&f, "ADFS001", DG_SEV_ERROR, "/authentication/adfsUrl");
	dg_findings_clear(&f);
	p.auth.service_url = S("adfs.contoso.com");
	run(&p, &f);
	EXPECT(&f, "ADFS001", DG_SEV_ERROR, "/authentication/adfsUrl");
	dg_findings_clear(&f);
	p.auth.service_url = S("https://adfs.contoso.com/adfs/ls");
	run(&p, &f);
	EXPECT(&f, "ADFS002", DG_SEV_ERROR, "/authentication/adfsUrl");
	dg_findings_clear(&f);
	p.auth.service_url = S("https://adfs.contoso.com/adfs/.well-known/openid-configuration");
	run(&p, &f);
	EXPECT(&f, "ADFS002", DG_SEV_ERROR, "/authentication/adfsUrl");
	dg_findings_clear(&f);
}

static void test_national_cloud(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	m365_profile(&p);
	m365_opts(&p)->cloud = S("usgov");
	run(&p, &f);
	EXPECT(&f, "M365004", DG_SEV_WARNING, "/directory/cloud");
	CHECK(strstr(msg(&f, "M365004"), "only the global Microsoft cloud") != NULL);
	dg_findings_clear(&f);
	m365_opts(&p)->cloud = S("global");
	run(&p, &f);
	EXPECT_NONE(&f, "M365004");
	dg_findings_clear(&f);
}

/* A tenant given as a national cloud's domain says where it lives. */
static void test_national_cloud_tenant(void)
{
	static const struct {
		const char *tenant, *cloud;
	} national[] = {
		{ "contoso.onmicrosoft.us", "US Government" },
		{ "Contoso.OnMicrosoft.US", "US Government" },
		{ "contoso.onmicrosoft.de", "Germany" },
		{ "contoso.partner.onmschina.cn", "21Vianet" },
		{ "contoso.onmschina.cn", "21Vianet" },
		{ "CONTOSO.PARTNER.ONMSCHINA.CN", "21Vianet" },
		{ "contoso.onmicrosoft.us.", "US Government" },
	};
	static const char *const global[] = { "contoso.onmicrosoft.com", "Contoso.OnMicrosoft.COM",
					      "72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso.us",
					      "onmicrosoft.us.example.com" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	m365_profile(&p);
	for (size_t i = 0; i < sizeof(national) / sizeof(national[0]); i++) {
		m365_opts(&p)->tenant_id = S(national[i].tenant);
		run(&p, &f);
		EXPECT(&f, "M365004", DG_SEV_WARNING, "/directory/tenantId");
		CHECK_INT(count_code(&f, "M365004"), 1);
		CHECK(strstr(msg(&f, "M365004"), national[i].cloud) != NULL);
		CHECK(strstr(msg(&f, "M365004"), "only the global Microsoft cloud") != NULL);
		EXPECT_NONE(&f, "M365001");
		dg_findings_clear(&f);
	}
	m365_opts(&p)->tenant_id = S("contoso.onmicrosoft.us");
	m365_opts(&p)->cloud = S("global");          /* the domain still tells */
	run(&p, &f);
	EXPECT(&f, "M365004", DG_SEV_WARNING, "/directory/tenantId");
	dg_findings_clear(&f);
	m365_opts(&p)->cloud = S("usgov");           /* said once, at the cloud field */
	run(&p, &f);
	EXPECT(&f, "M365004", DG_SEV_WARNING, "/directory/cloud");
	CHECK_INT(count_code(&f, "M365004"), 1);
	dg_findings_clear(&f);

	m365_profile(&p);
	for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
		m365_opts(&p)->tenant_id = S(global[i]);
		run(&p, &f);
		EXPECT_NONE(&f, "M365004");
		dg_findings_clear(&f);
	}
}

/* ---- redirect URI ------------------------------------------------------ */

static void test_redirect_uri(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	m365_profile(&p);
	p.auth.redirect_uri = S("http://archive.contoso.com/oidc/signin");
	run(&p, &f);
	CHECK(count_prefix(&f, "URI", "/authentication/redirectUri", DG_SEV_ERROR) >= 1);
	dg_findings_clear(&f);

	/* SPE: the instance id from the target must be in the path */
	m365_profile(&p);
	target(&p, "https://archive.contoso.com:8474");
	p.target.product = DG_PRODUCT_SPE;
	p.target.instance_id = S("contoso01");
	p.auth.redirect_uri = S("https://archive.contoso.com/contoso01/oidc/signin");
	run(&p, &f);
	CHECK_INT(count_prefix(&f, "URI", "/authentication/redirectUri", DG_SEV_ERROR), 0);
	dg_findings_clear(&f);
	p.auth.redirect_uri = S("https://archive.contoso.com/oidc/signin");
	run(&p, &f);
	CHECK(count_prefix(&f, "URI", "/authentication/redirectUri", DG_SEV_ERROR) >= 1);
	dg_findings_clear(&f);

	/* no redirect URI for methods that have none */
	ad_profile(&p);
	p.auth.redirect_uri = S("http://not checked");
	run(&p, &f);
	CHECK_INT(count_prefix(&f, "URI", "/authentication/redirectUri", DG_SEV_ERROR), 0);
	dg_findings_clear(&f);
}

/* The Entra platform note needs no network, so the offline check says it. */
static void test_entra_platform_note(void)
{
	static const char *const uris[] = { "https://archive.contoso.com:8462/oidc/signin",
					    "http://archive.contoso.com/oidc/signin" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;
	const dg_finding *fd;

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		m365_profile(&p);
		p.auth.redirect_uri = S(uris[i]);
		run(&p, &f);
		EXPECT(&f, "M365024", DG_SEV_INFO, "/authentication/redirectUri");
		CHECK_INT(count_code(&f, "M365024"), 1);
		fd = find_at(&f, "M365024", NULL);
		/* the http one is flagged (URI002): register the corrected URI, not it */
		CHECK(fd && !strstr(fd->message, uris[i]) == (i == 1) && strstr(fd->message, "Web") &&
		      strstr(fd->message, "Single-page application") &&
		      strstr(fd->message, "\"ID tokens\""));
		CHECK(fd && strstr(fd->hint, "Authentication") && strstr(fd->hint, "ID tokens") &&
		      strstr(fd->hint, "AADSTS700054") && strstr(fd->hint, "AADSTS50011"));
		dg_findings_clear(&f);
	}
	m365_profile(&p);
	p.auth.redirect_uri = NULL;                     /* AUTH002 says what is missing */
	run(&p, &f);
	EXPECT_NONE(&f, "M365024");
	dg_findings_clear(&f);
	p.auth.redirect_uri = S("");
	run(&p, &f);
	EXPECT_NONE(&f, "M365024");
	dg_findings_clear(&f);
	adfs_profile(&p);                               /* other providers: not Entra */
	run(&p, &f);
	EXPECT_NONE(&f, "M365024");
	dg_findings_clear(&f);
	google_profile(&p);
	run(&p, &f);
	EXPECT_NONE(&f, "M365024");
	dg_findings_clear(&f);
}

/* ---- key material ------------------------------------------------------ */

static EVP_PKEY *test_key;

static X509 *make_cert(long from, long to)
{
	X509 *x = X509_new();
	X509_NAME *name;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, test_key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"Test CA",
				   -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_sign(x, test_key, EVP_sha256());
	return x;
}

static char *write_ca(const char *name, long from, long to)
{
	char *path = dg_xasprintf("%s/%s", tmpdir, name);
	X509 *x = make_cert(from, to);
	FILE *fp = fopen(path, "w");

	PEM_write_X509(fp, x);
	fclose(fp);
	X509_free(x);
	return path;
}

static char *write_key(const char *name, const char *password)
{
	char *path = dg_xasprintf("%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "w");

	PEM_write_PrivateKey(fp, test_key, password ? EVP_aes_256_cbc() : NULL, NULL, 0,
			     NULL, (void *)password);
	fclose(fp);
	return path;
}

static void test_entra_key_material(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *cert = write_ca("app.crt", -86400, 86400 * 365);
	char *key = write_key("app.key", NULL), *enc = write_key("enc.key", "pw-1234");
	dg_profile p;

	m365_profile(&p);
	m365_opts(&p)->cert_file = cert;
	m365_opts(&p)->key_file = key;
	run(&p, &f);
	EXPECT(&f, "CERT011", DG_SEV_INFO, "/directory/certificate/certFile");
	EXPECT_CLEAN(&f);
	dg_findings_clear(&f);

	/* an encrypted key whose password comes from the environment */
	m365_opts(&p)->key_file = enc;
	m365_opts(&p)->key_password.kind = DG_SECRET_ENV;
	m365_opts(&p)->key_password.ref = S("DG_TEST_CHECKS_KEY_PW");
	m365_opts(&p)->key_password.path = S("/directory/certificate/keyPassword");
	setenv("DG_TEST_CHECKS_KEY_PW", "pw-1234", 1);
	run(&p, &f);
	EXPECT_CLEAN(&f);
	dg_findings_clear(&f);
	setenv("DG_TEST_CHECKS_KEY_PW", "wrong", 1);
	run(&p, &f);
	EXPECT(&f, "CERT004", DG_SEV_ERROR, "/directory/certificate/keyPassword");
	for (size_t i = 0; i < f.nr; i++)
		CHECK(!strstr(f.items[i].message, "wrong") && !strstr(f.items[i].message, "pw-1234"));
	dg_findings_clear(&f);
	unsetenv("DG_TEST_CHECKS_KEY_PW");

	m365_opts(&p)->key_password.kind = DG_SECRET_NONE;
	run(&p, &f);
	EXPECT(&f, "CERT003", DG_SEV_ERROR, "/directory/certificate/keyPassword");
	dg_findings_clear(&f);
	free(cert);
	free(key);
	free(enc);
}

static void test_files_readable(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *snap = write_ca("snapshot.ldif", -86400, 86400);
	dg_profile p;

	google_profile(&p);
	google_opts(&p)->service_account_key_file = S("/nonexistent/sa.json");
	p.directory.snapshot = S("/nonexistent/snapshot.ldif");
	run(&p, &f);
	EXPECT(&f, "PROF009", DG_SEV_ERROR, "/directory/serviceAccountKeyFile");
	EXPECT(&f, "PROF009", DG_SEV_ERROR, "/directory/snapshot");
	dg_findings_clear(&f);
	p.directory.snapshot = snap;
	google_opts(&p)->service_account_key_file = NULL;
	run(&p, &f);
	EXPECT_NONE(&f, "PROF009");
	dg_findings_clear(&f);
	p.directory.snapshot = tmpdir;
	run(&p, &f);
	EXPECT(&f, "PROF009", DG_SEV_ERROR, "/directory/snapshot");
	CHECK(strstr(msg(&f, "PROF009"), "directory") != NULL);
	dg_findings_clear(&f);
	free(snap);
}

/* ---- target ------------------------------------------------------------ */

static void test_target_url(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	target(&p, "https://archive.contoso.com:8463");
	run(&p, &f);
	CHECK_INT(f.nr, 0);
	dg_findings_clear(&f);

	p.target.url = S("archive.contoso.com:8463");
	run(&p, &f);
	EXPECT(&f, "API001", DG_SEV_ERROR, "/target/url");
	dg_findings_clear(&f);
	p.target.url = S("http://archive.contoso.com:8463");
	run(&p, &f);
	EXPECT(&f, "API002", DG_SEV_ERROR, "/target/url");
	dg_findings_clear(&f);
	p.target.url = S("https://archive.contoso.com");
	run(&p, &f);
	EXPECT(&f, "API003", DG_SEV_INFO, "/target/url");
	CHECK(strstr(msg(&f, "API003"), "8463") != NULL);
	dg_findings_clear(&f);
	p.target.url = S("https://archive.contoso.com:8463/api/invoke");
	run(&p, &f);
	EXPECT(&f, "API004", DG_SEV_WARNING, "/target/url");
	dg_findings_clear(&f);

	p.target.url = S("https://spe.example.com:8474");
	p.target.product = DG_PRODUCT_SPE;
	p.target.instance_id = S("contoso01");
	run(&p, &f);
	CHECK_INT(f.nr, 0);
	dg_findings_clear(&f);
	p.target.url = S("https://spe.example.com:8463");
	run(&p, &f);
	EXPECT(&f, "API003", DG_SEV_INFO, "/target/url");
	CHECK(strstr(msg(&f, "API003"), "8474") != NULL);
	dg_findings_clear(&f);
}

static void test_target_instance_user(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	target(&p, "https://spe.example.com:8474");
	p.target.product = DG_PRODUCT_SPE;
	p.target.instance_id = S("  ");
	run(&p, &f);
	EXPECT(&f, "API005", DG_SEV_ERROR, "/target/instanceId");
	dg_findings_clear(&f);
	p.target.instance_id = NULL;   /* missing: the loader's PROF005, not repeated */
	run(&p, &f);
	EXPECT_NONE(&f, "API005");
	dg_findings_clear(&f);

	target(&p, "https://archive.contoso.com:8463");
	p.target.instance_id = S("contoso01");
	run(&p, &f);
	EXPECT(&f, "API006", DG_SEV_WARNING, "/target/instanceId");
	dg_findings_clear(&f);

	p.target.instance_id = NULL;
	p.target.user = S(" ");
	run(&p, &f);
	EXPECT(&f, "API007", DG_SEV_ERROR, "/target/user");
	dg_findings_clear(&f);

	p.target.present = 0;   /* no target: no target rules */
	run(&p, &f);
	EXPECT_NONE(&f, "API007");
	dg_findings_clear(&f);
}

/* ---- guards and secrets ------------------------------------------------ */

static void test_guards(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	p.sync.max_drop_percent = 150;
	p.sync.min_users = 0;
	p.sync.delete_users = 1;
	p.sync.max_deletes = DG_SYNC_DEFAULT_MAX_DELETES;   /* as the loader leaves it */
	p.sync.max_deletes_defaulted = 1;
	run(&p, &f);
	EXPECT(&f, "GUARD001", DG_SEV_ERROR, "/sync/guards/maxDropPercent");
	EXPECT(&f, "GUARD002", DG_SEV_WARNING, "/sync/guards/minUsers");
	EXPECT(&f, "GUARD003", DG_SEV_INFO, "/sync/guards/maxDeletes");
	dg_findings_clear(&f);

	p.sync.max_drop_percent = 100;
	p.sync.min_users = 1;
	p.sync.max_deletes = 0;
	p.sync.max_deletes_defaulted = 0;
	run(&p, &f);
	EXPECT_NONE(&f, "GUARD001");
	EXPECT_NONE(&f, "GUARD002");
	EXPECT_NONE(&f, "GUARD003");
	dg_findings_clear(&f);
	p.sync.delete_users = 0;
	p.sync.max_deletes = DG_SYNC_DEFAULT_MAX_DELETES;
	p.sync.max_deletes_defaulted = 1;
	run(&p, &f);
	EXPECT_NONE(&f, "GUARD003");
	dg_findings_clear(&f);
}

static void test_privileges(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;
	char *both[] = { "login", "admin" }, *one[] = { "admin" }, *two[] = { "login", "archive" };

	ad_profile(&p);
	p.sync.default_privileges = (dg_strarr){ both, 2 };
	run(&p, &f);
	EXPECT(&f, "API008", DG_SEV_ERROR, "/sync/defaultPrivileges");
	dg_findings_clear(&f);
	p.sync.default_privileges = (dg_strarr){ one, 1 };
	run(&p, &f);
	EXPECT_NONE(&f, "API008");
	dg_findings_clear(&f);
	p.sync.default_privileges = (dg_strarr){ two, 2 };
	run(&p, &f);
	EXPECT_NONE(&f, "API008");
	dg_findings_clear(&f);
}

static void test_secrets(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile p;

	ad_profile(&p);
	ad_opts(&p)->bind_password.kind = DG_SECRET_ENV;
	ad_opts(&p)->bind_password.ref = S("DG_TEST_CHECKS_SURELY_UNSET");
	ad_opts(&p)->bind_password.path = S("/directory/bind/password");
	unsetenv("DG_TEST_CHECKS_SURELY_UNSET");
	run(&p, &f);
	CHECK(count_prefix(&f, "SECRET", "/directory/bind/password", DG_SEV_ERROR) +
	      count_prefix(&f, "SECRET", "/directory/bind/password", DG_SEV_WARNING) >= 1);
	dg_findings_clear(&f);
}

/* ---- setup ------------------------------------------------------------- */

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_key = EVP_RSA_gen(2048);
	RUN(test_good_profiles);
	RUN(test_tenant_id);
	RUN(test_m365_client_id);
	RUN(test_adfs_client_id);
	RUN(test_adfs_client_id_not_guid);
	RUN(test_google_ids);
	RUN(test_ad_domain);
	RUN(test_server_names);
	RUN(test_dns);
	RUN(test_ad_group_dns);
	RUN(test_attribute_names);
	RUN(test_filters);
	RUN(test_member_search_filter);
	RUN(test_group_filter_needed);
	RUN(test_accept_all);
	RUN(test_cleartext_bind);
	RUN(test_ca_file_directory);
	RUN(test_target_tls);
	RUN(test_address_lists);
	RUN(test_adfs_claim_rule);
	RUN(test_adfs_claim_rule_ldap);
	RUN(test_method_notes);
	RUN(test_method_allowed);
	RUN(test_method_needs);
	RUN(test_adfs_url);
	RUN(test_national_cloud);
	RUN(test_national_cloud_tenant);
	RUN(test_redirect_uri);
	RUN(test_entra_platform_note);
	RUN(test_entra_key_material);
	RUN(test_files_readable);
	RUN(test_target_url);
	RUN(test_target_instance_user);
	RUN(test_guards);
	RUN(test_privileges);
	RUN(test_secrets);
	EVP_PKEY_free(test_key);
	rm_tree(tmpdir);
	return dg_t_done();
}

#include "core/error.h"
#include "core/provider.h"
#include "connectors/google/google_profile.h"
#include "connectors/m365/m365_profile.h"
#include "connectors/ldap/ldap_profile.h"
#include "core/profile.h"
#include "test.h"

#include <dirent.h>
#include <unistd.h>

#define CANARY "CANARY-7f3e-do-not-print"

static dg_profile *parse(const char *text, dg_findings *f)
{
	return dg_profile_parse(text, strlen(text), "/profiles/tenant.json", f);
}

/* The finding with this code and path, or NULL. */
static const dg_finding *find(const dg_findings *f, const char *code, const char *path)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code) && !strcmp(f->items[i].path, path))
			return &f->items[i];
	return NULL;
}

static void dump(const dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		printf("#   %s %s %d:%d %s | %s\n", f->items[i].code, f->items[i].path,
		       f->items[i].line, f->items[i].column, f->items[i].message,
		       f->items[i].hint ? f->items[i].hint : "");
}

/* Checks that exactly one finding exists, with this code, path, position
 * and message. */
static void expect_one(const char *text, const char *code, const char *path, int line,
		       int col, const char *message)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = parse(text, &f);
	CHECK_INT(f.nr, 1);
	if (f.nr >= 1) {
		CHECK_STR(f.items[0].code, code);
		CHECK_STR(f.items[0].path, path);
		CHECK_INT(f.items[0].line, line);
		CHECK_INT(f.items[0].column, col);
		CHECK_STR(f.items[0].message, message);
		CHECK_STR(f.items[0].file, "/profiles/tenant.json");
	}
	if (f.nr != 1)
		dump(&f);
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static const char *source_root(void)
{
	static char buf[1024];
	const char *r = getenv("DG_SOURCE_ROOT");
	if (r)
		return r;
	snprintf(buf, sizeof(buf), "%s/../..", dg_t_data());
	return buf;
}

static dg_profile *load_example(const char *name, dg_findings *f)
{
	char path[4096];
	dg_error err = { 0 };
	dg_profile *p;
	snprintf(path, sizeof(path), "%.2000s/examples/%.1000s", source_root(), name);
	p = dg_profile_load(path, f, &err);
	if (!p)
		printf("# %s: %s\n", path, err.message);
	return p;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && !strcmp(s + a - b, suffix);
}

/* ---- the examples, field by field ------------------------------------- */

static void test_example_active_directory(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = load_example("active-directory.json", &f);
	const dg_dir_active_directory *ad;
	if (!p) {
		CHECK(p != NULL);
		return;
	}
	CHECK_INT(f.nr, 0);
	dump(&f);
	ad = dg_ad_opts(p);
	CHECK_STR(p->name, "contoso");
	CHECK_STR(dg_profile_dir_type(p), "active-directory");
	CHECK(p->directory.snapshot == NULL);
	CHECK_STR(ad->server, "dc01.contoso.com");
	CHECK_STR(ad->domain, "contoso.com");
	CHECK_INT(ad->protocol, DG_PROTO_LDAP_SSL);
	CHECK_INT(ad->port, 0);
	CHECK_STR(ad->base_dn, "");
	CHECK_STR(ad->bind_user, "svc-mailstore@contoso.com");
	CHECK_INT(ad->bind_password.kind, DG_SECRET_ENV);
	CHECK_STR(ad->bind_password.ref, "CONTOSO_LDAP_PASSWORD");
	CHECK_STR(ad->bind_password.path, "/directory/bind/password");
	CHECK(ad->tls.ca_file && ends_with(ad->tls.ca_file, "examples/keys/example-ca.pem"));
	CHECK(access(ad->tls.ca_file, R_OK) == 0);
	CHECK_INT(ad->tls.accept_all_certificates, 0);
	CHECK_INT(ad->exchange_users_only, 1);
	CHECK_INT(ad->visible_in_address_lists_only, 0);
	CHECK_INT(ad->enabled_users_only, 1);
	CHECK_INT(ad->groups.nr, 1);
	if (ad->groups.nr)
		CHECK_STR(ad->groups.items[0], "MailStore Users");
	CHECK_INT(ad->user_name_format, DG_UNF_UPN);
	CHECK_INT(dg_profile_ldap_protocol(p), DG_PROTO_LDAP_SSL);
	CHECK_INT(dg_profile_ldap_port(p), 636);
	CHECK_INT(dg_profile_user_name_format(p), DG_UNF_UPN);
	CHECK_STR(dg_profile_method(p), "adfs");
	CHECK_STR(p->auth.service_url, "https://adfs.contoso.com");
	CHECK_STR(p->auth.client_id, "a44b1e3f-d303-4f31-a40d-0f439fbb7b44");
	CHECK_STR(p->auth.redirect_uri, "https://archive.contoso.com:8462/oidc/signin");
	CHECK_INT(p->sync.delete_users, 0);
	CHECK_INT(p->sync.default_privileges.nr, 1);
	CHECK_INT(p->sync.min_users, 1);
	CHECK_INT(p->sync.max_deletes, 25);
	CHECK(p->sync.max_drop_percent == 10.0);
	CHECK_INT(p->target.present, 1);
	CHECK_STR(p->target.url, "https://archive.contoso.com:8463");
	CHECK_INT(p->target.product, DG_PRODUCT_SERVER);
	CHECK(p->target.instance_id == NULL);
	CHECK_STR(p->target.user, "admin");
	CHECK_INT(p->target.password.kind, DG_SECRET_ENV);
	CHECK_STR(p->target.password.path, "/target/password");
	CHECK(p->target.ca_file == NULL);
	CHECK_INT(p->target.insecure, 0);
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static void test_example_ldap(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = load_example("ldap.json", &f);
	const dg_dir_ldap *l;
	if (!p) {
		CHECK(p != NULL);
		return;
	}
	CHECK_INT(f.nr, 0);
	l = dg_ldap_opts(p);
	CHECK_STR(dg_profile_dir_type(p), "ldap");
	CHECK_STR(l->server, "ldap.example.com");
	CHECK_INT(l->protocol, DG_PROTO_LDAP_TLS);
	CHECK_INT(dg_profile_ldap_port(p), 389);
	CHECK_STR(l->bind_dn, "cn=mailstore,ou=services,dc=example,dc=com");
	CHECK_INT(l->bind_password.kind, DG_SECRET_ENV);
	CHECK_STR(l->base_dn, "dc=example,dc=com");
	CHECK_STR(l->user_filter, "(&(objectClass=posixAccount)(mail=*))");
	CHECK_STR(l->user_name_attr, "uid");
	CHECK_INT(l->local_part_only, 0);
	CHECK_STR(l->full_name_attr, "cn");
	CHECK_STR(l->email_attr, "mail");
	CHECK_STR(l->group_filter, "(objectClass=posixGroup)");
	CHECK_STR(l->group_name_attr, "cn");
	CHECK_STR(l->group_description_attr, "description");
	CHECK_STR(l->members_attr, "memberUid");
	CHECK(l->member_search_filter && strstr(l->member_search_filter, "(uid={member})"));
	CHECK_INT(l->group_names.nr, 1);
	CHECK_STR(dg_profile_method(p), "standard");
	CHECK_INT(dg_profile_user_name_format(p), DG_UNF_DEFAULT);
	CHECK(ends_with(p->target.ca_file, "/examples/keys/example-ca.pem"));
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static void test_example_cloud(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = load_example("microsoft-365.json", &f);
	if (p) {
		CHECK_INT(f.nr, 0);
		CHECK_STR(dg_profile_dir_type(p), "microsoft-365");
		CHECK_STR(dg_m365_opts(p)->tenant_id, "015b1e55-614a-4fea-a7ff-59a9f85ebb1a");
		CHECK_STR(dg_m365_opts(p)->client_id, "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf");
		CHECK_STR(dg_m365_opts(p)->cloud, "global");
		CHECK(ends_with(dg_m365_opts(p)->cert_file, "/examples/keys/mailstore-m365.crt"));
		CHECK(ends_with(dg_m365_opts(p)->key_file, "/examples/keys/mailstore-m365.key"));
		CHECK(access(dg_m365_opts(p)->cert_file, R_OK) == 0);
		CHECK_INT(dg_m365_opts(p)->key_password.kind, DG_SECRET_NONE);
		CHECK_INT(dg_m365_opts(p)->exchange_users_only, 1);
		CHECK_INT(dg_m365_opts(p)->groups.nr, 0);
		CHECK(dg_m365_opts(p)->groups.items != NULL);
		CHECK_STR(dg_profile_method(p), "microsoft-365");
		CHECK_INT(dg_profile_ldap_protocol(p), DG_PROTO_DEFAULT);
		CHECK_INT(dg_profile_ldap_port(p), 0);
		dg_profile_free(p);
	}
	dg_findings_clear(&f);

	p = load_example("google-workspace.json", &f);
	if (p) {
		CHECK_INT(f.nr, 0);
		CHECK_STR(dg_profile_dir_type(p), "google-workspace");
		CHECK(ends_with(dg_google_opts(p)->service_account_key_file,
				"/examples/keys/google-service-account.json"));
		CHECK_STR(dg_google_opts(p)->admin_user, "admin@example.com");
		CHECK_STR(dg_google_opts(p)->domain, "example.com");
		CHECK_INT(dg_google_opts(p)->enabled_users_only, 1);
		CHECK_STR(dg_profile_method(p), "google-oidc");
		CHECK_INT(p->auth.client_secret.kind, DG_SECRET_ENV);
		CHECK_STR(p->auth.client_secret.path, "/authentication/clientSecret");
		dg_profile_free(p);
	}
	dg_findings_clear(&f);

	p = load_example("spe-tenant.json", &f);
	if (p) {
		CHECK_INT(f.nr, 0);
		CHECK_INT(p->target.product, DG_PRODUCT_SPE);
		CHECK_STR(p->target.instance_id, "fabrikam");
		CHECK_STR(p->auth.redirect_uri, "https://archive.example.com/fabrikam/oidc/signin");
		dg_profile_free(p);
	}
	dg_findings_clear(&f);
}

/* ---- defaults and effective values --------------------------------------- */

static void test_defaults(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = parse("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", "
			      "\"domain\": \"contoso.com\"}}", &f);
	CHECK_INT(f.nr, 0);
	CHECK_INT(dg_ad_opts(p)->protocol, DG_PROTO_DEFAULT);
	CHECK_INT(dg_profile_ldap_protocol(p), DG_PROTO_LDAP);
	CHECK_INT(dg_profile_ldap_port(p), 389);
	CHECK_INT(dg_ad_opts(p)->user_name_format, DG_UNF_DEFAULT);
	CHECK_INT(dg_profile_user_name_format(p), DG_UNF_SAM);
	CHECK(dg_ad_opts(p)->base_dn == NULL);
	CHECK_INT(dg_ad_opts(p)->tls.accept_all_certificates, -1);
	CHECK_INT(dg_ad_opts(p)->exchange_users_only, -1);
	CHECK_INT(dg_ad_opts(p)->visible_in_address_lists_only, -1);
	CHECK_INT(dg_ad_opts(p)->enabled_users_only, -1);
	CHECK_INT(p->sync.delete_users, -1);
	CHECK_INT(p->sync.min_users, -1);
	CHECK_INT(p->sync.max_deletes, DG_SYNC_DEFAULT_MAX_DELETES); /* guards hold by default */
	CHECK_INT(p->sync.max_deletes_defaulted, 1);
	CHECK(p->sync.max_drop_percent < 0);
	CHECK_STR(dg_profile_method(p), "none");
	CHECK_INT(p->target.present, 0);
	CHECK_INT(p->target.insecure, -1);
	CHECK_INT(p->target.product, DG_PRODUCT_DEFAULT);
	CHECK_STR(p->file, "/profiles/tenant.json");
	CHECK_STR(p->dir, "/profiles");
	dg_profile_free(p);
}

struct port_case {
	const char *dir;
	dg_ldap_protocol proto;
	int port;
};

static void test_effective_ports(void)
{
	static const struct port_case cases[] = {
		{ "\"type\": \"active-directory\", \"domain\": \"c.com\", \"protocol\": \"ldap\"", DG_PROTO_LDAP, 389 },
		{ "\"type\": \"active-directory\", \"domain\": \"c.com\", \"protocol\": \"ldaps\"", DG_PROTO_LDAP_SSL, 636 },
		{ "\"type\": \"active-directory\", \"domain\": \"c.com\", \"protocol\": \"ldaps\", \"port\": 3269", DG_PROTO_LDAP_SSL, 3269 },
		{ "\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\"", DG_PROTO_LDAP, 389 },
		{ "\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", \"protocol\": \"ldap-tls\"", DG_PROTO_LDAP_TLS, 389 },
		{ "\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", \"protocol\": \"ldap-ssl\"", DG_PROTO_LDAP_SSL, 636 },
		{ "\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", \"protocol\": \"ldap-ssl\", \"port\": null", DG_PROTO_LDAP_SSL, 636 },
		{ "\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", \"port\": 10389", DG_PROTO_LDAP, 10389 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dg_findings f = DG_FINDINGS_INIT;
		char *text = dg_xasprintf("{\"name\": \"n\", \"directory\": {%s}}", cases[i].dir);
		dg_profile *p = parse(text, &f);
		CHECK_INT(f.nr, 0);
		CHECK_INT(dg_profile_ldap_protocol(p), cases[i].proto);
		CHECK_INT(dg_profile_ldap_port(p), cases[i].port);
		dg_findings_clear(&f);
		dg_profile_free(p);
		free(text);
	}
}

/* The registry offers every directory type and login method profiles
 * use, and a profile that gives neither names none. */
static void test_names(void)
{
	static const char *const types[] = {
		"active-directory", "ldap", "microsoft-365", "google-workspace",
	};
	static const char *const methods[] = {
		"standard", "windows", "adfs", "microsoft-365", "microsoft-365-basic",
		"google-oidc", "google-imap",
	};
	dg_profile empty;
	memset(&empty, 0, sizeof(empty));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		CHECK(dg_provider_dir_find(types[i], NULL) != NULL);
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		CHECK(dg_provider_login_find(methods[i], NULL) != NULL);
	CHECK_STR(dg_profile_dir_type(&empty), "none");
	CHECK_STR(dg_profile_method(&empty), "none");
}

/* ---- every kind of finding, exactly -------------------------------------- */

static void test_prof001_syntax(void)
{
	expect_one("{\n  \"name\": \"x\"\n  \"directory\": {}\n}", "PROF001", "", 3, 3,
		   "expected ',' or '}' after an object member (missing comma?), found '\"'");
	expect_one("{\"name\": \"x\",}", "PROF001", "", 1, 14,
		   "trailing comma: expected another key after ',', found '}'");
	expect_one("", "PROF001", "", 1, 1, "the file is empty: expected a JSON object");
	/* after a BOM, columns start at the first character */
	expect_one("\xef\xbb\xbf{\"n\xc3\xa4me\": tru}", "PROF001", "", 1, 10,
		   "invalid literal: expected true");
}

static void test_prof002_unknown_key(void)
{
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\",\n"
		   "  \"baseDn\": \"o=x\", \"protocl\": \"ldap\"}}",
		   "PROF002", "/directory/protocl", 2, 20,
		   "unknown key \"protocl\"; did you mean \"protocol\"?");
	expect_one("{\"nmae\": \"n\", \"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}}",
		   "PROF002", "/nmae", 1, 2, "unknown key \"nmae\"; did you mean \"name\"?");
	/* case slips are found too */
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"BaseDN\": \"o=x\", \"baseDn\": \"o=x\"}}",
		   "PROF002", "/directory/BaseDN", 1, 60, "unknown key \"BaseDN\"; did you mean \"baseDn\"?");
	/* a typo of a key that belongs to another directory type says so */
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", \"userNameFormt\": \"x\"}}",
		   "PROF002", "/directory/userNameFormt", 1, 77,
		   "unknown key \"userNameFormt\" (did you mean \"userNameFormat\"? it is a key of active-directory directories)");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, \"zzzzzz\": 1}",
		   "PROF002", "/zzzzzz", 1, 77, "unknown key \"zzzzzz\"");
	/* inside a secret reference */
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", "
		   "\"bind\": {\"password\": {\"evn\": \"PW\"}}}}",
		   "PROF002", "/directory/bind/password/evn", 1, 98, "unknown key \"evn\"; did you mean \"env\"?");
	/* keys with / and ~ are escaped in the pointer */
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, \"a/b~c\": 1}",
		   "PROF002", "/a~1b~0c", 1, 77, "unknown key \"a/b~c\"");
}

static void test_prof002_hint_lists_keys(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = parse("{\"name\": \"n\", \"directory\": {\"type\": \"google-workspace\", "
			      "\"adminUser\": \"a@example.com\", \"snapshot\": \"s.json\", \"x\": 1}}", &f);
	const dg_finding *fd = find(&f, "PROF002", "/directory/x");
	CHECK(fd != NULL);
	if (fd)
		CHECK_STR(fd->hint, "keys allowed here: type, snapshot, serviceAccountKeyFile, adminUser, domain, filters, apiUrl, tls");
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static void test_prof003_wrong_type(void)
{
	const char *pre = "{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", ";
	char *t;
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p;

	t = dg_xasprintf("%s\"port\": \"636\"}}", pre);
	expect_one(t, "PROF003", "/directory/port", 1, 77, "port must be an integer or null, found a string");
	free(t);
	t = dg_xasprintf("%s\"port\": 636.5}}", pre);
	expect_one(t, "PROF003", "/directory/port", 1, 77, "port must be an integer, found 636.5");
	free(t);
	t = dg_xasprintf("%s\"users\": {\"localPartOnly\": \"true\"}}}", pre);
	p = parse(t, &f);
	CHECK_INT(f.nr, 1);
	if (f.nr) {
		CHECK_STR(f.items[0].message, "localPartOnly must be true or false, found a string");
		CHECK_STR(f.items[0].hint, "write true without quotes");
	}
	dg_findings_clear(&f);
	dg_profile_free(p);
	free(t);
	t = dg_xasprintf("%s\"groups\": {\"names\": [\"a\", 7]}}}", pre);
	expect_one(t, "PROF003", "/directory/groups/names/1", 1, 103,
		   "item 1 of names must be a string, found a number");
	free(t);
	expect_one("[1]", "PROF003", "", 1, 1, "the profile must be a JSON object, found an array");
	expect_one("{\"name\": \"n\", \"directory\": []}", "PROF003", "/directory", 1, 15,
		   "directory must be an object, found an array");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", "
		   "\"bind\": {\"password\": null}}}", "PROF003", "/directory/bind/password", 1, 85,
		   "password must be a secret reference ({\"env\": NAME}, {\"file\": PATH} or {\"prompt\": true}), found null");
}

static void test_prof004_enum(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p;
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", \"protocol\": \"LDAPS\"}}",
		   "PROF004", "/directory/protocol", 1, 76,
		   "protocol \"LDAPS\" is not allowed (allowed: ldap, ldaps, ldap-tls); did you mean \"ldaps\"?");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", \"protocol\": \"ldaps\"}}",
		   "PROF004", "/directory/protocol", 1, 77,
		   "protocol \"ldaps\" is not allowed for ldap directories (allowed: ldap, ldap-tls, ldap-ssl); did you mean \"ldap-ssl\"?");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", \"protocol\": \"ldap-ssl\"}}",
		   "PROF004", "/directory/protocol", 1, 76,
		   "protocol \"ldap-ssl\" is not allowed for active-directory directories (allowed: ldap, ldaps, ldap-tls); did you mean \"ldaps\"?");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"AD\", \"domain\": \"c.com\"}}",
		   "PROF004", "/directory/type", 1, 29,
		   "type \"AD\" is not allowed (allowed: active-directory, ldap, microsoft-365, google-workspace); did you mean \"active-directory\"?");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\"}, "
		   "\"authentication\": {\"method\": \"windows\"}}",
		   "PROF004", "/authentication/method", 1, 97,
		   "method \"windows\" is not allowed for ldap directories (allowed: standard, adfs)");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, "
		   "\"sync\": {\"defaultPrivileges\": [\"login\", \"Login\"]}}",
		   "PROF004", "/sync/defaultPrivileges/1", 1, 117,
		   "defaultPrivileges value \"Login\" is not allowed (allowed: none, admin, login, changePassword, "
		   "archive, modifyArchiveProfiles, export, modifyExportProfiles, delete); "
		   "did you mean \"login\"?");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", "
		   "\"groups\": {\"memberSearchFilter\": \"(uid=*)\"}}}",
		   "PROF004", "/directory/groups/memberSearchFilter", 1, 88,
		   "memberSearchFilter must contain the placeholder {member}");
	/* the hint for a case slip says values are case-sensitive */
	p = parse("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", "
		  "\"userNameFormat\": \"UserPrincipalName\"}}", &f);
	CHECK_INT(f.nr, 1);
	if (f.nr)
		CHECK_STR(f.items[0].hint, "write \"userPrincipalName\" (values are case-sensitive)");
	CHECK_INT(dg_ad_opts(p)->user_name_format, DG_UNF_DEFAULT);
	dg_findings_clear(&f);
	dg_profile_free(p);
	/* and the protocol hint names the dialect */
	p = parse("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", \"protocol\": \"ldaps\"}}", &f);
	if (f.nr)
		CHECK_STR(f.items[0].hint, "ldap calls this protocol \"ldap-ssl\"");
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static void test_prof005_missing(void)
{
	expect_one("{\n \"name\": \"n\",\n \"directory\": {\"type\": \"ldap\", \"server\": \"s\"}}",
		   "PROF005", "/directory/baseDn", 3, 2, "required field \"baseDn\" is missing");
	expect_one("{\"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}}",
		   "PROF005", "/name", 1, 1, "required field \"name\" is missing");
	expect_one("{\"name\": \"n\", \"directory\": {\"domain\": \"c.com\"}}",
		   "PROF005", "/directory/type", 1, 15, "required field \"type\" is missing");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"server\": null}}",
		   "PROF005", "/directory/server", 1, 57,
		   "an active-directory directory needs \"server\" or \"domain\"");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"microsoft-365\", \"tenantId\": \"t\", \"clientId\": \"c\", "
		   "\"certificate\": {\"certFile\": \"a.crt\"}}}",
		   "PROF005", "/directory/certificate/keyFile", 1, 88, "required field \"keyFile\" is missing");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, "
		   "\"target\": {\"url\": \"https://a:8474\", \"product\": \"spe\", \"user\": \"admin\", \"password\": {\"env\": \"P\"}}}",
		   "PROF005", "/target/instanceId", 1, 77,
		   "required field \"instanceId\" is missing: product \"spe\" needs the instance ID");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", "
		   "\"bind\": {\"password\": {}}}}",
		   "PROF005", "/directory/bind/password", 1, 85,
		   "the secret reference is empty: it needs env, file or prompt");
}

static void test_prof005_snapshot_relaxes(void)
{
	static const char *const ok[] = {
		"{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"snapshot\": \"s.ldif\"}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"baseDn\": \"o=x\", \"snapshot\": \"s.ldif\"}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"microsoft-365\", \"tenantId\": \"t\", \"clientId\": \"c\", \"snapshot\": \"s.json\"}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"google-workspace\", \"adminUser\": \"a@example.com\", \"snapshot\": \"s.json\"}}",
	};
	static const char *const missing[] = {
		"/directory/server", "/directory/server", "/directory/certificate", "/directory/serviceAccountKeyFile",
	};
	for (size_t i = 0; i < 4; i++) {
		dg_findings f = DG_FINDINGS_INIT;
		dg_profile *p = parse(ok[i], &f);
		char *without;
		CHECK_INT(f.nr, 0);
		CHECK_STR(p->directory.snapshot, i < 2 ? "/profiles/s.ldif" : "/profiles/s.json");
		dg_profile_free(p);
		/* the same without the snapshot misses a connection field */
		without = dg_xstrdup(ok[i]);
		strcpy(strstr(without, ", \"snapshot\""), "}}");
		p = parse(without, &f);
		CHECK(find(&f, "PROF005", missing[i]) != NULL);
		dg_findings_clear(&f);
		dg_profile_free(p);
		free(without);
	}
}

static void test_prof006_other_type(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p;
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", "
		   "\"userNameFormat\": \"sAMAccountName\"}}",
		   "PROF006", "/directory/userNameFormat", 1, 77,
		   "\"userNameFormat\" is a key of active-directory directories, not of ldap");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"microsoft-365\", \"tenantId\": \"t\", \"clientId\": \"c\", "
		   "\"snapshot\": \"s\", \"filters\": {\"visibleInAddressListsOnly\": true}}}",
		   "PROF006", "/directory/filters/visibleInAddressListsOnly", 1, 117,
		   "\"visibleInAddressListsOnly\" is a key of active-directory directories, not of microsoft-365");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", "
		   "\"bind\": {\"user\": \"admin\"}}}",
		   "PROF006", "/directory/bind/user", 1, 86,
		   "\"user\" is a key of active-directory directories, not of ldap");
	p = parse("{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", "
		  "\"filters\": {}, \"domain\": \"d\"}}", &f);
	CHECK_INT(f.nr, 2);
	if (f.nr == 2) {
		CHECK_STR(f.items[0].message, "\"filters\" is a key of active-directory, microsoft-365 and google-workspace directories, not of ldap");
		CHECK_STR(f.items[0].hint, "remove it, or change /directory/type if this profile is for active-directory, microsoft-365 or google-workspace");
		CHECK_STR(f.items[1].message, "\"domain\" is a key of active-directory and google-workspace directories, not of ldap");
	}
	dg_findings_clear(&f);
	dg_profile_free(p);
	/* with an unknown type, keys of any type are not held against the profile */
	p = parse("{\"name\": \"n\", \"directory\": {\"type\": \"x500\", \"server\": \"s\", \"baseDn\": \"o=x\", \"tenantId\": \"t\", \"bogus\": 1}}", &f);
	CHECK_INT(f.nr, 2);
	CHECK(find(&f, "PROF004", "/directory/type") != NULL);
	CHECK(find(&f, "PROF002", "/directory/bogus") != NULL);
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static void test_prof007_range(void)
{
	expect_one("{\"name\": \"\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}}",
		   "PROF007", "/name", 1, 2, "name must not be empty");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", \"port\": 65536}}",
		   "PROF007", "/directory/port", 1, 76, "port 65536 is out of range: it must be from 1 to 65535");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", \"port\": 0}}",
		   "PROF007", "/directory/port", 1, 76, "port 0 is out of range: it must be from 1 to 65535");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, "
		   "\"sync\": {\"guards\": {\"maxDropPercent\": 100.5}}}",
		   "PROF007", "/sync/guards/maxDropPercent", 1, 97,
		   "maxDropPercent 100.5 is out of range: it must be from 0 to 100");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, "
		   "\"sync\": {\"guards\": {\"maxDeletes\": -3}}}",
		   "PROF007", "/sync/guards/maxDeletes", 1, 97,
		   "maxDeletes -3 is out of range: it must be 0 or more");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, "
		   "\"sync\": {\"guards\": {\"minUsers\": 1e300}}}",
		   "PROF007", "/sync/guards/minUsers", 1, 97,
		   "minUsers 1e+300 is out of range: it must be 0 or more");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", "
		   "\"filters\": {\"groups\": [\"\"]}}}",
		   "PROF007", "/directory/filters/groups/0", 1, 99, "item 0 of groups must not be empty");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", "
		   "\"bind\": {\"password\": {\"file\": \"\"}}}}",
		   "PROF007", "/directory/bind/password/file", 1, 98, "file must not be empty");
}

static void test_prof008_duplicate(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p;
	expect_one("{\"name\": \"n\",\n \"directory\": {\"type\": \"active-directory\",\n"
		   "  \"domain\": \"first.com\",\n  \"domain\": \"second.com\"}}",
		   "PROF008", "/directory/domain", 4, 3,
		   "duplicate key \"domain\" (first at line 3, column 3)");
	/* the first one is used, and the repeat is not validated again */
	p = parse("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"first.com\", \"domain\": 5}}", &f);
	CHECK_INT(f.nr, 1);
	CHECK_STR(dg_ad_opts(p)->domain, "first.com");
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static void test_prof010_method_fields(void)
{
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, "
		   "\"authentication\": {\"method\": \"standard\", \"adfsUrl\": \"https://adfs.c.com\"}}",
		   "PROF010", "/authentication/adfsUrl", 1, 118,
		   "\"adfsUrl\" does not apply to authentication method \"standard\" (only to adfs)");
	expect_one("{\"name\": \"n\", \"directory\": {\"type\": \"microsoft-365\", \"tenantId\": \"t\", \"clientId\": \"c\", \"snapshot\": \"s\"}, "
		   "\"authentication\": {\"method\": \"microsoft-365\", \"clientId\": \"c\"}}",
		   "PROF010", "/authentication/clientId", 1, 152,
		   "\"clientId\" does not apply to authentication method \"microsoft-365\" (only to google-oidc, adfs)");
}

/* ---- secrets -------------------------------------------------------------- */

static void test_secret_forms(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	const dg_secret_ref *refs[8];
	dg_profile *p = parse(
		"{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\",\n"
		" \"bind\": {\"dn\": \"cn=a\", \"password\": {\"file\": \"secrets/../ldap.pw\"}}},\n"
		" \"authentication\": {\"method\": \"standard\", \"testUser\": \"u\", \"testPassword\": {\"prompt\": true}},\n"
		" \"target\": {\"url\": \"https://a:8463\", \"user\": \"admin\", \"password\": \"" CANARY "\"}}", &f);
	const dg_finding *fd;
	CHECK_INT(f.nr, 1);
	fd = find(&f, "SECRET001", "/target/password");
	CHECK(fd != NULL);
	if (fd) {
		CHECK_INT(fd->severity, DG_SEV_WARNING);
		CHECK_INT(fd->line, 4);
		CHECK_INT(fd->column, 55);
		CHECK_STR(fd->message, "the secret is written in the profile itself");
		CHECK(!strstr(fd->message, CANARY));
		CHECK(!fd->hint || !strstr(fd->hint, CANARY));
	}
	CHECK_INT(dg_ldap_opts(p)->bind_password.kind, DG_SECRET_FILE);
	CHECK_STR(dg_ldap_opts(p)->bind_password.ref, "/profiles/secrets/../ldap.pw");
	CHECK_STR(dg_ldap_opts(p)->bind_password.path, "/directory/bind/password");
	CHECK_INT(p->auth.test_password.kind, DG_SECRET_PROMPT);
	CHECK(p->auth.test_password.ref == NULL);
	CHECK_STR(p->auth.test_password.path, "/authentication/testPassword");
	CHECK_INT(p->target.password.kind, DG_SECRET_LITERAL);
	CHECK_STR(p->target.password.ref, CANARY);
	CHECK_INT(dg_profile_secrets(p, refs, 8), 3);
	CHECK_INT(dg_profile_secrets(p, refs, 1), 3); /* counts all, fills what fits */
	CHECK_STR(refs[0]->path, "/directory/bind/password");
	CHECK_INT(dg_profile_secrets(p, NULL, 0), 3);
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static void test_secret_malformed(void)
{
	static const struct {
		const char *secret, *code, *path;
	} cases[] = {
		{ "{\"env\": \"A\", \"file\": \"b\"}", "PROF004", "/directory/bind/password" },
		{ "{\"prompt\": false}", "PROF004", "/directory/bind/password/prompt" },
		{ "{\"prompt\": \"yes\"}", "PROF003", "/directory/bind/password/prompt" },
		{ "{\"env\": 5}", "PROF003", "/directory/bind/password/env" },
		{ "{\"env\": \"\"}", "PROF007", "/directory/bind/password/env" },
		{ "{}", "PROF005", "/directory/bind/password" },
		{ "{\"ENV\": \"A\"}", "PROF002", "/directory/bind/password/ENV" },
		{ "[\"A\"]", "PROF003", "/directory/bind/password" },
		{ "true", "PROF003", "/directory/bind/password" },
		{ "\"\"", "PROF007", "/directory/bind/password" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dg_findings f = DG_FINDINGS_INIT;
		char *t = dg_xasprintf("{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", "
				       "\"domain\": \"c.com\", \"bind\": {\"password\": %s}}}", cases[i].secret);
		dg_profile *p = parse(t, &f);
		if (!find(&f, cases[i].code, cases[i].path)) {
			printf("#   case %zu (%s): want %s at %s\n", i, cases[i].secret, cases[i].code, cases[i].path);
			dump(&f);
			dg_t_cur_failed = 1;
		}
		CHECK_INT(dg_findings_count(&f, DG_SEV_ERROR), 1);
		CHECK_INT(dg_ad_opts(p)->bind_password.kind, DG_SECRET_NONE);
		CHECK(dg_ad_opts(p)->bind_password.ref == NULL);
		CHECK_INT(dg_profile_secrets(p, NULL, 0), 0);
		dg_findings_clear(&f);
		dg_profile_free(p);
		free(t);
	}
}

/* A literal secret never shows in any finding, whatever else is wrong. */
static void test_canary_never_printed(void)
{
	static const char *const shapes[] = {
		"{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", \"bind\": {\"password\": \"%s\"}}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\", \"bind\": {\"user\": \"%s\"}}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"bind\": {\"password\": \"%s\", \"password\": \"%s\"}}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"google-workspace\", \"bind\": {\"password\": \"%s\"}}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"microsoft-365\", \"certificate\": {\"keyPassword\": \"%s\"}}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, "
		"\"authentication\": {\"method\": \"windows\", \"clientSecret\": \"%s\", \"testPassword\": \"%s\"}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\"}, "
		"\"target\": {\"password\": \"%s\", \"product\": \"spe\"}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"active-directory\", \"domain\": \"c.com\", \"bind\": {\"password\": {\"env\": \"%s\", \"file\": \"%s\"}}}}",
		"{\"name\": \"n\", \"directory\": {\"type\": \"x\"}, \"target\": {\"password\": \"%s\"}, \"oops\": \"%s\"}",
	};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		dg_findings f = DG_FINDINGS_INIT;
		char *t = dg_xasprintf(shapes[i], CANARY, CANARY);
		dg_profile *p = parse(t, &f);
		CHECK(f.nr > 0);
		for (size_t k = 0; k < f.nr; k++) {
			const dg_finding *fd = &f.items[k];
			if (strstr(fd->message, CANARY) || (fd->hint && strstr(fd->hint, CANARY))) {
				printf("#   shape %zu leaks: %s %s\n", i, fd->code, fd->message);
				dg_t_cur_failed = 1;
			}
		}
		dg_findings_clear(&f);
		dg_profile_free(p);
		free(t);
	}
}

/* ---- paths ------------------------------------------------------------------ */

static void test_paths_resolved(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	const char *text = "{\"name\": \"n\", \"directory\": {\"type\": \"microsoft-365\", \"tenantId\": \"t\", \"clientId\": \"c\","
			   " \"snapshot\": \"./snaps//graph.json\", \"certificate\": {\"certFile\": \"/etc/dg/app.crt\","
			   " \"keyFile\": \"keys/app.key\"}}}";
	char cwd[4096];
	char *want;
	dg_profile *p = dg_profile_parse(text, strlen(text), "conf/tenants/a.json", &f);
	CHECK_INT(f.nr, 0);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	want = dg_xasprintf("%s/conf/tenants", cwd);
	CHECK_STR(p->dir, want);
	free(want);
	CHECK_STR(p->file, "conf/tenants/a.json");
	/* below the working directory: kept relative to it (what messages show) */
	CHECK_STR(p->directory.snapshot, "conf/tenants/snaps/graph.json");
	CHECK_STR(dg_m365_opts(p)->cert_file, "/etc/dg/app.crt");
	CHECK_STR(dg_m365_opts(p)->key_file, "conf/tenants/keys/app.key");
	dg_profile_free(p);

	/* a bare file name lives in the current directory */
	p = dg_profile_parse(text, strlen(text), "a.json", &f);
	CHECK_STR(p->dir, cwd);
	dg_profile_free(p);
	p = dg_profile_parse(text, strlen(text), "/a.json", &f);
	CHECK_STR(p->dir, "/");
	CHECK_STR(dg_m365_opts(p)->key_file, "/keys/app.key");
	dg_profile_free(p);
	dg_findings_clear(&f);
}

/* ---- robustness ---------------------------------------------------------------- */

static void test_filled_despite_findings(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = parse("{\"name\": \"partial\", \"extra\": 1, \"directory\": {\"type\": \"ldap\", "
			      "\"server\": \"ldap.example.com\", \"port\": \"x\", \"protocol\": \"ldap-ssl\", "
			      "\"users\": {\"userNameAttribute\": \"uid\", \"localPartOnly\": 1}}, "
			      "\"sync\": {\"deleteUsers\": true, \"guards\": {\"minUsers\": -5, \"maxDeletes\": 3}}}", &f);
	CHECK(dg_findings_count(&f, DG_SEV_ERROR) == 5);
	CHECK_STR(p->name, "partial");
	CHECK_STR(dg_profile_dir_type(p), "ldap");
	CHECK_STR(dg_ldap_opts(p)->server, "ldap.example.com");
	CHECK_INT(dg_ldap_opts(p)->port, 0);
	CHECK_INT(dg_profile_ldap_port(p), 636);
	CHECK_STR(dg_ldap_opts(p)->user_name_attr, "uid");
	CHECK_INT(dg_ldap_opts(p)->local_part_only, -1);
	CHECK_INT(p->sync.delete_users, 1);
	CHECK_INT(p->sync.min_users, -1);
	CHECK_INT(p->sync.max_deletes, 3);
	dg_findings_clear(&f);
	dg_profile_free(p);
}

static void test_load_errors(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	dg_profile *p = dg_profile_load("/nonexistent/dir/profile.json", &f, &err);
	CHECK(p == NULL);
	CHECK_INT(err.code, DG_E_IO);
	CHECK(strstr(err.message, "/nonexistent/dir/profile.json") != NULL);
	CHECK(strstr(err.message, "No such file") != NULL);
	CHECK_INT(f.nr, 0);
	p = dg_profile_load("/", &f, &err);
	CHECK(p == NULL);
	CHECK_INT(err.code, DG_E_IO);
	/* a syntax error is a finding, not a load failure */
	p = dg_profile_parse("{", 1, NULL, &f);
	CHECK(p != NULL);
	CHECK_INT(f.nr, 1);
	CHECK_STR(p->file, "<profile>");
	dg_findings_clear(&f);
	dg_profile_free(p);
	dg_profile_free(NULL);
}

/* Every finding the loader raises is registered and located. */
static void check_findings_wellformed(const char *file, const dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		const dg_finding *fd = &f->items[i];
		const dg_code_info *ci = dg_code_lookup(fd->code);
		if (!ci || fd->line < 1 || fd->column < 1 || !fd->file || !fd->message[0] ||
		    (strncmp(fd->code, "PROF", 4) && strncmp(fd->code, "SECRET", 6))) {
			printf("#   %s: malformed finding %s %s %d:%d\n", file, fd->code, fd->path,
			       fd->line, fd->column);
			dg_t_cur_failed = 1;
		}
		if (ci && ci->severity != fd->severity) {
			printf("#   %s: %s has severity %d, registered %d\n", file, fd->code,
			       fd->severity, ci->severity);
			dg_t_cur_failed = 1;
		}
	}
}

static int has_code(const dg_findings *f, const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcasecmp(f->items[i].code, code))
			return 1;
	return 0;
}

static void run_corpus(const char *sub, int want_errors)
{
	char dir[4096];
	DIR *d;
	struct dirent *de;
	int n = 0;
	snprintf(dir, sizeof(dir), "%s/profiles/%s", dg_t_data(), sub);
	if (!(d = opendir(dir))) {
		printf("#   cannot open %s\n", dir);
		dg_t_cur_failed = 1;
		return;
	}
	while ((de = readdir(d))) {
		char path[8192], code[16] = "";
		dg_findings f = DG_FINDINGS_INIT;
		dg_error err = { 0 };
		dg_profile *p;
		size_t errors;
		if (!strstr(de->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		p = dg_profile_load(path, &f, &err);
		if (!p) {
			printf("#   %s: %s\n", path, err.message);
			dg_t_cur_failed = 1;
			continue;
		}
		n++;
		errors = dg_findings_count(&f, DG_SEV_ERROR);
		if (want_errors ? !errors : errors) {
			printf("#   %s: %zu errors\n", de->d_name, errors);
			dump(&f);
			dg_t_cur_failed = 1;
		}
		/* bad/profNNN-*.json must raise PROFNNN */
		if (want_errors && sscanf(de->d_name, "%7[a-z0-9]-", code) == 1 && !has_code(&f, code)) {
			printf("#   %s: no %s\n", de->d_name, code);
			dump(&f);
			dg_t_cur_failed = 1;
		}
		check_findings_wellformed(de->d_name, &f);
		dg_findings_clear(&f);
		dg_profile_free(p);
	}
	closedir(d);
	CHECK(n >= (want_errors ? 12 : 5));
}

static void test_corpus_good(void)
{
	run_corpus("good", 0);
}

static void test_corpus_bad(void)
{
	run_corpus("bad", 1);
}

static void test_bom_crlf_unicode(void)
{
	char path[4096];
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	dg_profile *p;
	snprintf(path, sizeof(path), "%s/profiles/good/bom-crlf-unicode.json", dg_t_data());
	p = dg_profile_load(path, &f, &err);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(f.nr, 0);
	CHECK_STR(p->name, "M\xc3\xbcller & S\xc3\xb6hne GmbH");
	dg_profile_free(p);
}

static void test_literal_secret_profile_warns_only(void)
{
	char path[4096];
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p;
	snprintf(path, sizeof(path), "%s/profiles/good/literal-secret.json", dg_t_data());
	p = dg_profile_load(path, &f, NULL);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(f.nr, 1);
	if (f.nr) {
		CHECK_STR(f.items[0].code, "SECRET001");
		CHECK(!strstr(f.items[0].message, "literal-canary-3f9c"));
		CHECK(!strstr(f.items[0].hint, "literal-canary-3f9c"));
	}
	dg_findings_clear(&f);
	dg_profile_free(p);
}

int main(void)
{
	RUN(test_example_active_directory);
	RUN(test_example_ldap);
	RUN(test_example_cloud);
	RUN(test_defaults);
	RUN(test_effective_ports);
	RUN(test_names);
	RUN(test_prof001_syntax);
	RUN(test_prof002_unknown_key);
	RUN(test_prof002_hint_lists_keys);
	RUN(test_prof003_wrong_type);
	RUN(test_prof004_enum);
	RUN(test_prof005_missing);
	RUN(test_prof005_snapshot_relaxes);
	RUN(test_prof006_other_type);
	RUN(test_prof007_range);
	RUN(test_prof008_duplicate);
	RUN(test_prof010_method_fields);
	RUN(test_secret_forms);
	RUN(test_secret_malformed);
	RUN(test_canary_never_printed);
	RUN(test_paths_resolved);
	RUN(test_filled_despite_findings);
	RUN(test_load_errors);
	RUN(test_corpus_good);
	RUN(test_corpus_bad);
	RUN(test_bom_crlf_unicode);
	RUN(test_literal_secret_profile_warns_only);
	return dg_t_done();
}

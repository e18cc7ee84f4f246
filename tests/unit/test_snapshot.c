/* The LDIF snapshot connector: Active Directory and generic LDAP semantics
 * over small exports written by the tests (profiles built by hand). */
#include "connectors/ldap/snapshot_ldap.h"
#include "core/provider.h"
#include "connectors/ldap/ldap_profile.h"
#include "connectors/ldap/dn.h"
#include "connectors/ldap/ldap_engine.h"
#include "connectors/ldap/ldif.h"
#include "core/profile.h"
#include "test.h"

#include <stdarg.h>
#include <unistd.h>

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

#define PERSON "objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=contoso,DC=com\n"
#define USER_OC "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n" \
		"objectClass: user\n"
#define GROUP_OC "objectClass: top\nobjectClass: group\n" \
		 "objectCategory: CN=Group,CN=Schema,CN=Configuration,DC=contoso,DC=com\n"

/* ---- helpers ---- */

static void set_list(dg_strarr *a, ...)
{
	va_list ap;
	const char *s;
	va_start(ap, a);
	while ((s = va_arg(ap, const char *))) {
		a->items = dg_xrealloc(a->items, (a->nr + 1) * sizeof(*a->items));
		a->items[a->nr++] = dg_xstrdup(s);
	}
	va_end(ap);
}

static dg_profile *ad_profile(void)
{
	dg_profile *p = dg_xcalloc(1, sizeof(*p));
	dg_dir_active_directory *ad = dg_profile_dir_set(p, dg_provider_dir_find("active-directory", NULL));
	p->name = dg_xstrdup("test");
	ad->base_dn = dg_xstrdup("DC=contoso,DC=com");
	ad->exchange_users_only = ad->visible_in_address_lists_only = ad->enabled_users_only = -1;
	ad->user_name_format = DG_UNF_SAM;
	return p;
}

static dg_profile *ldap_profile(void)
{
	dg_profile *p = dg_xcalloc(1, sizeof(*p));
	dg_dir_ldap *l = dg_profile_dir_set(p, dg_provider_dir_find("ldap", NULL));
	p->name = dg_xstrdup("test");
	l->base_dn = dg_xstrdup("dc=example,dc=com");
	l->local_part_only = -1;
	return p;
}

static char *tmp_write(const char *data)
{
	char *path = dg_xstrdup("/tmp/dg-test-snap-XXXXXX");
	int fd = mkstemp(path);
	size_t n = strlen(data);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n) {
		perror("tmp");
		exit(1);
	}
	close(fd);
	return path;
}

static dg_code run(dg_profile *p, const char *ldif, dg_fetch_result *r)
{
	dg_error err;
	dg_code rc;
	char *path = tmp_write(ldif);
	free(p->directory.snapshot);
	p->directory.snapshot = path;
	memset(r, 0, sizeof(*r));
	rc = dg_connector_ldap_snapshot.fetch(p, r, &err);
	if (rc)
		printf("# fetch: %s\n", err.message);
	unlink(path);
	return rc;
}

static const dg_dir_user *user(const dg_fetch_result *r, const char *dn_prefix)
{
	for (size_t i = 0; i < r->users.nr; i++)
		if (!strncmp(r->users.items[i].entry, dn_prefix, strlen(dn_prefix)))
			return &r->users.items[i];
	return NULL;
}

static size_t count_code(const dg_findings *f, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			n++;
	return n;
}

static const dg_finding *find_code(const dg_findings *f, const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return &f->items[i];
	return NULL;
}

static void dump(const dg_fetch_result *r)
{
	if (!dg_t_cur_failed)
		return;
	for (size_t i = 0; i < r->findings.nr; i++)
		printf("#   %s %s %s line %d: %s\n", r->findings.items[i].code,
		       dg_severity_name(r->findings.items[i].severity), r->findings.items[i].path,
		       r->findings.items[i].line, r->findings.items[i].message);
	for (size_t i = 0; i < r->users.nr; i++)
		printf("#   user %s in_groups=%d\n", r->users.items[i].entry,
		       r->users.items[i].in_groups);
}

static int in_group(const dg_dir_user *u, const char *g)
{
	return u && u->in_groups == 1 && dg_strlist_contains_ci(&u->groups, g);
}

/* An AD user record; `extra` adds lines (each ending in \n). */
static void ad_user(dg_strbuf *sb, const char *dn, const char *sam, int uac, const char *mail,
		    const char *extra)
{
	dg_strbuf_addf(sb, "dn: %s\n" USER_OC PERSON "sAMAccountName: %s\n"
		       "userPrincipalName: %s@contoso.com\nuserAccountControl: %d\n",
		       dn, sam, sam, uac);
	if (mail)
		dg_strbuf_addf(sb, "mail: %s\n", mail);
	if (extra)
		dg_strbuf_adds(sb, extra);
	dg_strbuf_addch(sb, '\n');
}

static void ad_group(dg_strbuf *sb, const char *dn, const char *name, const char *members)
{
	dg_strbuf_addf(sb, "dn: %s\n" GROUP_OC "cn: %s\nsAMAccountName: %s\n%s\n", dn, name, name,
		       members ? members : "");
}

/* ---- DNs ---- */

static void check_canon(const char *dn, const char *want)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc = dg_dn_canonical(dn, strlen(dn), &sb);
	if (want) {
		CHECK_INT(rc, 0);
		CHECK_STR(sb.buf, want);
	} else {
		if (rc == 0)
			printf("# accepted: %s -> %s\n", dn, sb.buf);
		CHECK_INT(rc, -1);
	}
	dg_strbuf_release(&sb);
}

static void test_dn_canonical(void)
{
	check_canon("", "");
	check_canon("DC=contoso,DC=com", "dc=contoso,dc=com");
	check_canon(" cn = Jane  Doe , ou=Sales;DC=Contoso ,dc=COM", "cn=jane  doe,ou=sales,dc=contoso,dc=com");
	check_canon("CN=Doe\\, John,OU=Sales,DC=contoso,DC=com", "cn=doe\\2c john,ou=sales,dc=contoso,dc=com");
	check_canon("CN=Doe\\2C John,OU=Sales", "cn=doe\\2c john,ou=sales");
	check_canon("CN=\"Doe, John\",OU=Sales", "cn=doe\\2c john,ou=sales");
	check_canon("CN=\\ lead\\ ,O=x", "cn=\\20lead\\20,o=x");
	check_canon("CN=Ångström Zoë,DC=x", "cn=ångström zoë,dc=x");
	check_canon("CN=ΕΛΈΝΗ,DC=x", "cn=ελένη,dc=x");
	check_canon("uid=b+cn=A,dc=x", "cn=a+uid=b,dc=x");
	check_canon("cn=a\\+b,dc=x", "cn=a\\2bb,dc=x");
	check_canon("2.5.4.3=a,OID.0.9.2342.19200300.100.1.25=com", "2.5.4.3=a,0.9.2342.19200300.100.1.25=com");
	check_canon("CN=#04024869,DC=x", "cn=#04024869,dc=x");
	check_canon("CN=a=b", "cn=a\\3db");          /* '=' needs no escape in a value */
	check_canon("CN=x<y>\\<", "cn=x\\3cy\\3e\\3c");
	check_canon("CN=a,", NULL);
	check_canon("CN", NULL);
	check_canon("=a", NULL);
	check_canon("CN=a\\", NULL);
	check_canon("CN=\"open", NULL);
	check_canon("CN=a,,DC=x", NULL);
	check_canon("CN=#zz", NULL);
}

static void test_dn_under(void)
{
	const char *base = "ou=sales,dc=contoso,dc=com";
	size_t bn = strlen(base);
#define UNDER(dn) dg_dn_is_under(dn, strlen(dn), base, bn)
	CHECK(UNDER("ou=sales,dc=contoso,dc=com"));
	CHECK(UNDER("cn=a,ou=sales,dc=contoso,dc=com"));
	CHECK(!UNDER("cn=a,ou=presales,dc=contoso,dc=com"));
	CHECK(!UNDER("cn=x\\2cou=sales,dc=contoso,dc=com")); /* one RDN with a comma in it */
	CHECK(!UNDER("dc=contoso,dc=com"));
	CHECK(dg_dn_is_under("cn=a", 4, "", 0));
#undef UNDER
}

/* ---- Active Directory ---- */

static void test_ad_user_flags(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ad_profile();
	dg_fetch_result r;
	const dg_dir_user *u;

	dg_strbuf_adds(&sb, "dn: DC=contoso,DC=com\nobjectClass: domainDNS\n\n");
	ad_user(&sb, "CN=Alice,OU=Staff,DC=contoso,DC=com", "alice", 512, "alice@contoso.com",
		"displayName: Alice Anders\nproxyAddresses: SMTP:alice@contoso.com\n"
		"proxyAddresses: smtp:aa@contoso.com\nmsExchHideFromAddressLists: FALSE\n");
	ad_user(&sb, "CN=Bob,OU=Staff,DC=contoso,DC=com", "bob", 514, "bob@contoso.com", NULL);
	ad_user(&sb, "CN=Carol,OU=Staff,DC=contoso,DC=com", "carol", 66050, "carol@contoso.com", NULL);
	ad_user(&sb, "CN=Dave,OU=Staff,DC=contoso,DC=com", "dave", 66048, "dave@contoso.com",
		"msExchHideFromAddressLists: TRUE\n");
	ad_user(&sb, "CN=Erin,OU=Staff,DC=contoso,DC=com", "erin", 512, NULL, NULL);
	ad_user(&sb, "CN=Frank,OU=Staff,DC=contoso,DC=com", "frank", 512, NULL,
		"proxyAddresses: SMTP:frank@contoso.com\n");
	/* a computer is objectClass user too, but not objectCategory person */
	dg_strbuf_adds(&sb, "dn: CN=WS01,OU=Computers,DC=contoso,DC=com\n" USER_OC
		       "objectClass: computer\n"
		       "objectCategory: CN=Computer,CN=Schema,CN=Configuration,DC=contoso,DC=com\n"
		       "sAMAccountName: WS01$\nuserAccountControl: 4096\n\n");
	/* a contact is a person, not a user */
	dg_strbuf_adds(&sb, "dn: CN=Partner,OU=Contacts,DC=contoso,DC=com\nobjectClass: top\n"
		       "objectClass: person\nobjectClass: organizationalPerson\nobjectClass: contact\n"
		       PERSON "mail: partner@fabrikam.com\n\n");
	ad_group(&sb, "CN=Sales,OU=Groups,DC=contoso,DC=com", "Sales",
		 "member: CN=Alice,OU=Staff,DC=contoso,DC=com\n");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.entries_read, 10);
	CHECK_INT(r.users.nr, 6);
	CHECK_INT(r.findings.nr, 0);
	CHECK(r.source_detail && !strcmp(r.source_detail, p->directory.snapshot));
	u = user(&r, "CN=Alice");
	CHECK(u != NULL);
	if (u) {
		CHECK_STR(u->name_value, "alice");
		CHECK_STR(u->full_name, "Alice Anders");
		CHECK_STR(u->dn, "CN=Alice,OU=Staff,DC=contoso,DC=com");
		CHECK_INT(u->disabled, 0);
		CHECK_INT(u->hidden, 0);
		CHECK_INT(u->exchange, 1);
		CHECK_INT(u->in_groups, 1); /* no group selection */
		CHECK_INT(u->mails.nr, 1);
		CHECK_INT(u->proxy_addresses.nr, 2);
		if (u->proxy_addresses.nr == 2)
			CHECK_STR(u->proxy_addresses.items[1], "smtp:aa@contoso.com");
	}
	CHECK((u = user(&r, "CN=Bob")) && u->disabled == 1 && !u->full_name);
	CHECK((u = user(&r, "CN=Carol")) && u->disabled == 1);
	CHECK((u = user(&r, "CN=Dave")) && u->disabled == 0 && u->hidden == 1);
	CHECK((u = user(&r, "CN=Erin")) && u->exchange == 0 && u->mails.nr == 0);
	CHECK((u = user(&r, "CN=Frank")) && u->exchange == 1);
	CHECK(!user(&r, "CN=WS01"));
	CHECK(!user(&r, "CN=Partner"));
	CHECK(!user(&r, "CN=Sales"));
	dump(&r);
	dg_fetch_result_release(&r);

	/* the user name attribute follows userNameFormat */
	ad_opts(p)->user_name_format = DG_UNF_UPN_LOCAL;
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK((u = user(&r, "CN=Alice")) && u->name_value && !strcmp(u->name_value, "alice@contoso.com"));
	dg_fetch_result_release(&r);

	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

static void test_ad_odd_entries(void)
{
	dg_fetch_result r;
	dg_profile *p = ad_profile();
	const char *ldif =
		/* an export without objectCategory: judged by objectClass, with a warning */
		"dn: CN=NoCat,OU=Staff,DC=contoso,DC=com\n" USER_OC "sAMAccountName: nocat\n\n"
		"dn: CN=NoCatWS,OU=Staff,DC=contoso,DC=com\n" USER_OC "objectClass: computer\n\n"
		"dn: CN=BadUac,OU=Staff,DC=contoso,DC=com\n" USER_OC PERSON
		"sAMAccountName: baduac\nuserAccountControl: enabled\n\n"
		"dn: CN=Twice,OU=Staff,DC=contoso,DC=com\n" USER_OC PERSON "sAMAccountName: a\n\n"
		"dn: cn=twice, ou=staff, dc=CONTOSO, dc=com\n" USER_OC PERSON "sAMAccountName: b\n\n"
		"dn: CN=Broken,=DN,DC=contoso,DC=com\n" USER_OC PERSON "sAMAccountName: c\n\n"
		"dn: CN=Big,OU=Groups,DC=contoso,DC=com\n" GROUP_OC "cn: Big\n"
		"member;range=0-1499: CN=Twice,OU=Staff,DC=contoso,DC=com\n\n"
		"dn: CN=Whole,OU=Groups,DC=contoso,DC=com\n" GROUP_OC "cn: Whole\n"
		"member;range=1500-*: CN=Twice,OU=Staff,DC=contoso,DC=com\n\n"
		"dn: CN=Bad Line,DC=contoso,DC=com\nthis is not ldif\n";
	/* ranged values are only read when groups are selected */
	set_list(&ad_opts(p)->groups, "Whole", NULL);
	CHECK_INT(run(p, ldif, &r), DG_OK);
	CHECK_INT(r.users.nr, 3);
	CHECK(user(&r, "CN=NoCat,"));
	CHECK(!user(&r, "CN=NoCatWS"));
	CHECK(user(&r, "CN=BadUac") && user(&r, "CN=BadUac")->disabled == -1);
	CHECK(user(&r, "CN=Twice") && !strcmp(user(&r, "CN=Twice")->name_value, "a"));
	CHECK_INT(count_code(&r.findings, "SNAP017"), 1);
	CHECK_INT(count_code(&r.findings, "SNAP018"), 1);
	CHECK_INT(count_code(&r.findings, "SNAP009"), 1);
	CHECK_INT(count_code(&r.findings, "SNAP008"), 1);
	CHECK_INT(count_code(&r.findings, "SNAP016"), 1);
	CHECK_INT(count_code(&r.findings, "SNAP001"), 1);
	{
		const dg_finding *fd = find_code(&r.findings, "SNAP009");
		CHECK(fd && fd->line == 32 && !strcmp(fd->path, "/directory/snapshot"));
		CHECK(fd && fd->file && !strcmp(fd->file, p->directory.snapshot));
		fd = find_code(&r.findings, "SNAP001");
		CHECK(fd && fd->line == 63 && !strcmp(fd->path, "/directory/snapshot"));
		fd = find_code(&r.findings, "SNAP016");
		CHECK(fd && strstr(fd->message, "CN=Big"));
	}
	dump(&r);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
}

/* MailStore Users > Sales > Sales EMEA; MailStore Users > Support, and
 * Support <-> Support Tier 2 form a cycle. */
static void build_groups_ldif(dg_strbuf *sb)
{
	ad_user(sb, "CN=Anna,OU=Staff,DC=contoso,DC=com", "anna", 512, "anna@contoso.com", NULL);
	ad_user(sb, "CN=Ben,OU=Staff,DC=contoso,DC=com", "ben", 512, "ben@contoso.com", NULL);
	ad_user(sb, "CN=Doe\\, John,OU=Staff,DC=contoso,DC=com", "jdoe", 512, "jdoe@contoso.com", NULL);
	ad_user(sb, "CN=Tia,OU=Staff,DC=contoso,DC=com", "tia", 512, "tia@contoso.com", NULL);
	ad_user(sb, "CN=Outsider,OU=Staff,DC=contoso,DC=com", "outsider", 512, "o@contoso.com", NULL);
	ad_group(sb, "CN=MailStore Users,OU=Groups,DC=contoso,DC=com", "MailStore Users",
		 "member: CN=Sales,OU=Groups,DC=contoso,DC=com\n"
		 "member: CN=Support,OU=Groups,DC=contoso,DC=com\n"
		 "member: CN=Ghost,OU=Gone,DC=contoso,DC=com\n");
	ad_group(sb, "CN=Sales,OU=Groups,DC=contoso,DC=com", "Sales",
		 "member: CN=Anna,OU=Staff,DC=contoso,DC=com\n"
		 "member: cn=sales emea, ou=groups, dc=contoso, dc=com\n");
	ad_group(sb, "CN=Sales EMEA,OU=Groups,DC=contoso,DC=com", "Sales EMEA",
		 "member: CN=Doe\\2C John,OU=Staff,DC=contoso,DC=com\n");
	ad_group(sb, "CN=Support,OU=Groups,DC=contoso,DC=com", "Support",
		 "member: CN=Support Tier 2,OU=Groups,DC=contoso,DC=com\n"
		 "member: CN=Ben,OU=Staff,DC=contoso,DC=com\n");
	ad_group(sb, "CN=Support Tier 2,OU=Groups,DC=contoso,DC=com", "Support Tier 2",
		 "member: CN=Support,OU=Groups,DC=contoso,DC=com\n"
		 "member: CN=Tia,OU=Staff,DC=contoso,DC=com\n");
}

static void test_ad_nested_groups_and_cycle(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ad_profile();
	dg_fetch_result r;
	const dg_finding *fd;
	build_groups_ldif(&sb);
	/* two selections reaching the same cycle: still reported once */
	set_list(&ad_opts(p)->groups, "MailStore Users", "CN=Support Tier 2,OU=Groups,DC=contoso,DC=com", NULL);
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.users.nr, 5);
	CHECK(in_group(user(&r, "CN=Anna"), "MailStore Users"));
	CHECK(in_group(user(&r, "CN=Doe\\, John"), "MailStore Users"));
	CHECK(in_group(user(&r, "CN=Ben"), "MailStore Users"));
	CHECK(in_group(user(&r, "CN=Tia"), "MailStore Users"));
	CHECK(in_group(user(&r, "CN=Tia"), "CN=Support Tier 2,OU=Groups,DC=contoso,DC=com"));
	CHECK(user(&r, "CN=Anna") && user(&r, "CN=Anna")->groups.nr == 1);
	CHECK(user(&r, "CN=Outsider") && user(&r, "CN=Outsider")->in_groups == 0);
	CHECK_INT(count_code(&r.findings, "SNAP013"), 1);
	fd = find_code(&r.findings, "SNAP013");
	CHECK(fd && strstr(fd->message, "CN=Support,OU=Groups") && strstr(fd->message, "CN=Support Tier 2"));
	CHECK(fd && !strcmp(fd->path, "/directory/filters/groups"));
	/* the member that is not in the export */
	CHECK_INT(count_code(&r.findings, "SNAP019"), 1);
	fd = find_code(&r.findings, "SNAP019");
	CHECK(fd && strstr(fd->message, "CN=Ghost,OU=Gone") && !strcmp(fd->path, "/directory/filters/groups/0"));
	dump(&r);
	dg_fetch_result_release(&r);

	/* only the inner group selected */
	dg_profile_free(p);
	p = ad_profile();
	set_list(&ad_opts(p)->groups, "sales emea", NULL);
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK(in_group(user(&r, "CN=Doe\\, John"), "sales emea"));
	CHECK(user(&r, "CN=Anna") && user(&r, "CN=Anna")->in_groups == 0);
	CHECK_INT(count_code(&r.findings, "SNAP013"), 0);
	dump(&r);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

static void test_ad_group_not_found_or_ambiguous(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ad_profile();
	dg_fetch_result r;
	const dg_finding *fd;
	build_groups_ldif(&sb);
	ad_group(&sb, "CN=Sales,OU=Old,DC=contoso,DC=com", "Sales",
		 "member: CN=Outsider,OU=Staff,DC=contoso,DC=com\n");
	set_list(&ad_opts(p)->groups, "Nonexistent Group", "Sales",
		 "CN=Missing,OU=Groups,DC=contoso,DC=com", NULL);
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(count_code(&r.findings, "SNAP011"), 2);
	CHECK_INT(count_code(&r.findings, "SNAP012"), 1);
	fd = find_code(&r.findings, "SNAP011");
	CHECK(fd && fd->severity == DG_SEV_ERROR && !strcmp(fd->path, "/directory/filters/groups/0"));
	CHECK(fd && strstr(fd->message, "Nonexistent Group"));
	fd = find_code(&r.findings, "SNAP012");
	CHECK(fd && !strcmp(fd->path, "/directory/filters/groups/1") && strstr(fd->message, "OU=Old"));
	/* both groups named Sales count */
	CHECK(in_group(user(&r, "CN=Outsider"), "Sales"));
	CHECK(in_group(user(&r, "CN=Anna"), "Sales"));
	CHECK(user(&r, "CN=Ben") && user(&r, "CN=Ben")->in_groups == 0);
	dump(&r);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

/* Exports of the users alone still carry memberOf. */
static void test_ad_memberof_without_groups(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ad_profile();
	dg_fetch_result r;
	const dg_finding *fd;
	ad_user(&sb, "CN=Anna,OU=Staff,DC=contoso,DC=com", "anna", 512, "anna@contoso.com",
		"memberOf: CN=MailStore Users,OU=Groups,DC=contoso,DC=com\n");
	ad_user(&sb, "CN=Ben,OU=Staff,DC=contoso,DC=com", "ben", 512, "ben@contoso.com",
		"memberOf: CN=Other,OU=Groups,DC=contoso,DC=com\n");
	ad_user(&sb, "CN=Cleo,OU=Staff,DC=contoso,DC=com", "cleo", 512, "cleo@contoso.com",
		"memberOf: CN=Archive Users,OU=Groups,DC=contoso,DC=com\n");
	set_list(&ad_opts(p)->groups, "MailStore Users",
		 "cn=archive users,ou=groups,dc=contoso,dc=com", NULL);
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK(in_group(user(&r, "CN=Anna"), "MailStore Users"));
	CHECK(in_group(user(&r, "CN=Cleo"), "cn=archive users,ou=groups,dc=contoso,dc=com"));
	CHECK(user(&r, "CN=Ben") && user(&r, "CN=Ben")->in_groups == 0);
	CHECK_INT(count_code(&r.findings, "SNAP021"), 2);
	fd = find_code(&r.findings, "SNAP021");
	CHECK(fd && fd->severity == DG_SEV_WARNING);
	dump(&r);
	dg_fetch_result_release(&r);

	/* memberOf also completes a group whose member list is cut short */
	dg_strbuf_reset(&sb);
	ad_group(&sb, "CN=MailStore Users,OU=Groups,DC=contoso,DC=com", "MailStore Users", "");
	ad_user(&sb, "CN=Anna,OU=Staff,DC=contoso,DC=com", "anna", 512, "anna@contoso.com",
		"memberOf: CN=MailStore Users,OU=Groups,DC=contoso,DC=com\n");
	dg_profile_free(p);
	p = ad_profile();
	set_list(&ad_opts(p)->groups, "MailStore Users", NULL);
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK(in_group(user(&r, "CN=Anna"), "MailStore Users"));
	CHECK_INT(r.findings.nr, 0);
	dump(&r);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

static void test_base_dn_scope(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ad_profile();
	dg_fetch_result r;
	const dg_finding *fd;
	ad_user(&sb, "CN=Doe\\, John,OU=Sales\\, Marketing,DC=contoso,DC=com", "jdoe", 512, "j@c", NULL);
	ad_user(&sb, "cn=Jane,ou=sales\\2C marketing, dc=Contoso,dc=COM", "jane", 512, "jane@c", NULL);
	/* one RDN "Inside\,OU=Sales, Marketing": looks under the base as text, is not */
	ad_user(&sb, "CN=Trick,OU=Inside\\,OU=Sales\\, Marketing,DC=contoso,DC=com", "trick", 512, "t@c", NULL);
	ad_user(&sb, "CN=Sam,OU=Sales,DC=contoso,DC=com", "sam", 512, "sam@c", NULL);
	ad_user(&sb, "CN=Max,OU=Marketing,DC=contoso,DC=com", "max", 512, "max@c", NULL);
	ad_user(&sb, "CN=Eve,OU=Sales\\, Marketing,DC=fabrikam,DC=com", "eve", 512, "eve@c", NULL);
	free(ad_opts(p)->base_dn);
	ad_opts(p)->base_dn = dg_xstrdup("OU=Sales\\, Marketing,DC=contoso,DC=com");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.entries_read, 6);
	CHECK_INT(r.users.nr, 2);
	CHECK(user(&r, "CN=Doe\\, John"));
	CHECK(user(&r, "cn=Jane"));
	CHECK_INT(count_code(&r.findings, "SNAP015"), 1);
	fd = find_code(&r.findings, "SNAP015");
	CHECK(fd && strstr(fd->message, "4 entries") && fd->severity == DG_SEV_INFO);
	dump(&r);
	dg_fetch_result_release(&r);

	/* an empty baseDn is the domain's naming context */
	free(ad_opts(p)->base_dn);
	ad_opts(p)->base_dn = dg_xstrdup("");
	ad_opts(p)->domain = dg_xstrdup("fabrikam.com");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.users.nr, 1);
	CHECK(user(&r, "CN=Eve"));
	dg_fetch_result_release(&r);

	/* nothing under the base: say so */
	free(ad_opts(p)->domain);
	ad_opts(p)->domain = NULL;
	free(ad_opts(p)->base_dn);
	ad_opts(p)->base_dn = dg_xstrdup("DC=northwind,DC=local");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.users.nr, 0);
	CHECK_INT(count_code(&r.findings, "SNAP014"), 1);
	fd = find_code(&r.findings, "SNAP014");
	CHECK(fd && !strcmp(fd->path, "/directory/baseDn"));
	dg_fetch_result_release(&r);

	/* no base at all: everything */
	free(ad_opts(p)->base_dn);
	ad_opts(p)->base_dn = NULL;
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.users.nr, 6);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

static void test_missing_file(void)
{
	dg_profile *p = ad_profile();
	dg_fetch_result r;
	dg_error err;
	memset(&r, 0, sizeof(r));
	p->directory.snapshot = dg_xstrdup("/nonexistent/contoso.ldif");
	CHECK_INT(dg_connector_ldap_snapshot.fetch(p, &r, &err), DG_E_IO);
	CHECK(strstr(err.message, "/nonexistent/contoso.ldif") != NULL);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
}

/* ---- generic LDAP ---- */

static const char *ldap_people =
	"dn: dc=example,dc=com\nobjectClass: dcObject\ndc: example\n\n"
	"dn: uid=alice,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n"
	"objectClass: posixAccount\nuid: alice\ncn: Alice Anders\ndisplayName: Alice A.\n"
	"mail: alice@example.com\nmail: a.anders@example.com\n\n"
	"dn: uid=bob,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n"
	"objectClass: posixAccount\nuid: bob\ncn: Bob Brown\nmail: bob@example.com\n\n"
	"dn: uid=carol,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n"
	"objectClass: posixAccount\nuid: carol\ncn: Carol Chen\n\n"
	/* a uid that is the injection itself */
	"dn: uid=*)(uid=*,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n"
	"objectClass: posixAccount\nuid: *)(uid=*\ncn: Mallory\nmail: m@example.com\n\n"
	"dn: cn=printer,ou=devices,dc=example,dc=com\nobjectClass: device\ncn: printer\n\n";

static void test_ldap_users(void)
{
	dg_profile *p = ldap_profile();
	dg_fetch_result r;
	const dg_dir_user *u;
	CHECK_INT(run(p, ldap_people, &r), DG_OK);
	CHECK_INT(r.entries_read, 6);
	CHECK_INT(r.users.nr, 4);
	u = user(&r, "uid=alice");
	CHECK(u && !strcmp(u->name_value, "alice") && !strcmp(u->full_name, "Alice Anders"));
	CHECK(u && u->mails.nr == 2 && u->proxy_addresses.nr == 0);
	CHECK(u && u->disabled == -1 && u->hidden == -1 && u->exchange == -1 && u->in_groups == 1);
	CHECK(user(&r, "uid=carol") && user(&r, "uid=carol")->mails.nr == 0);
	dg_fetch_result_release(&r);

	/* attributes and filter from the profile */
	ldap_opts(p)->user_filter = dg_xstrdup("(&(objectClass=posixAccount)(mail=*))");
	ldap_opts(p)->full_name_attr = dg_xstrdup("displayName");
	ldap_opts(p)->user_name_attr = dg_xstrdup("mail");
	CHECK_INT(run(p, ldap_people, &r), DG_OK);
	CHECK_INT(r.users.nr, 3);
	u = user(&r, "uid=alice");
	CHECK(u && !strcmp(u->name_value, "alice@example.com") && !strcmp(u->full_name, "Alice A."));
	CHECK((u = user(&r, "uid=bob")) && !u->full_name);
	dg_fetch_result_release(&r);

	/* a filter that cannot be evaluated */
	free(ldap_opts(p)->user_filter);
	ldap_opts(p)->user_filter = dg_xstrdup("(&(objectClass=posixAccount)(mail=*)");
	CHECK_INT(run(p, ldap_people, &r), DG_OK);
	CHECK_INT(r.users.nr, 0);
	CHECK_INT(r.entries_read, 6);
	CHECK_INT(count_code(&r.findings, "SNAP010"), 1);
	CHECK(r.findings.nr && !strcmp(r.findings.items[0].path, "/directory/users/filter"));
	dump(&r);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
}

static void posix_profile(dg_profile *p)
{
	dg_dir_ldap *l = ldap_opts(p);
	l->user_filter = dg_xstrdup("(objectClass=posixAccount)");
	l->group_filter = dg_xstrdup("(objectClass=posixGroup)");
	l->members_attr = dg_xstrdup("memberUid");
	l->member_search_filter = dg_xstrdup(
		"(|(&(objectClass=posixAccount)(uid={member}))(&(objectClass=posixGroup)(cn={member})))");
}

static void test_ldap_memberuid(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ldap_profile();
	dg_fetch_result r;
	const dg_finding *fd;
	dg_strbuf_adds(&sb, ldap_people);
	dg_strbuf_adds(&sb,
		"dn: cn=mailstore,ou=groups,dc=example,dc=com\nobjectClass: posixGroup\n"
		"cn: mailstore\ngidNumber: 5000\nmemberUid: ALICE\nmemberUid: *)(uid=*\n"
		"memberUid: staff\nmemberUid: nobody\n\n"
		"dn: cn=staff,ou=groups,dc=example,dc=com\nobjectClass: posixGroup\n"
		"cn: staff\ngidNumber: 5001\nmemberUid: carol\nmemberUid: loop\n\n"
		"dn: cn=loop,ou=groups,dc=example,dc=com\nobjectClass: posixGroup\n"
		"cn: loop\ngidNumber: 5002\nmemberUid: staff\n\n");
	posix_profile(p);
	set_list(&ldap_opts(p)->group_names, "MailStore", NULL);
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.users.nr, 4);
	CHECK(in_group(user(&r, "uid=alice"), "MailStore"));   /* case-insensitive uid */
	CHECK(in_group(user(&r, "uid=carol"), "MailStore"));   /* through staff */
	/* the crafted value matched only the entry whose uid is literally that */
	CHECK(in_group(user(&r, "uid=*)(uid=*"), "MailStore"));
	CHECK(user(&r, "uid=bob") && user(&r, "uid=bob")->in_groups == 0);
	CHECK_INT(count_code(&r.findings, "SNAP013"), 1);
	fd = find_code(&r.findings, "SNAP013");
	CHECK(fd && !strcmp(fd->path, "/directory/groups/names"));
	CHECK_INT(count_code(&r.findings, "SNAP019"), 1);
	fd = find_code(&r.findings, "SNAP019");
	CHECK(fd && strstr(fd->message, "nobody") && strstr(fd->message, "1 of the 4"));
	dump(&r);
	dg_fetch_result_release(&r);

	/* non-ASCII values are always candidates of the index (they fold
	 * differently); the evaluator decides */
	dg_strbuf_reset(&sb);
	dg_strbuf_adds(&sb, ldap_people);
	dg_strbuf_adds(&sb, "dn: uid=j\xc3\xbcrgen,ou=people,dc=example,dc=com\nobjectClass: posixAccount\n"
			    "uid: j\xc3\xbcrgen\n\n"
			    "dn: cn=mailstore,ou=groups,dc=example,dc=com\nobjectClass: posixGroup\n"
			    "cn: mailstore\nmemberUid: J\xc3\x9cRGEN\nmemberUid: bob\n\n");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK(in_group(user(&r, "uid=j\xc3\xbcrgen"), "MailStore"));
	CHECK(in_group(user(&r, "uid=bob"), "MailStore"));
	CHECK(user(&r, "uid=alice") && user(&r, "uid=alice")->in_groups == 0);
	dump(&r);
	dg_fetch_result_release(&r);

	/* without the crafted member the injection user is not in */
	dg_strbuf_reset(&sb);
	dg_strbuf_adds(&sb, ldap_people);
	dg_strbuf_adds(&sb, "dn: cn=mailstore,ou=groups,dc=example,dc=com\nobjectClass: posixGroup\n"
			    "cn: mailstore\nmemberUid: bob\nmemberUid: *\nmemberUid: a*\n\n");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK(in_group(user(&r, "uid=bob"), "MailStore"));
	CHECK(user(&r, "uid=alice") && user(&r, "uid=alice")->in_groups == 0);
	CHECK(user(&r, "uid=*)(uid=*") && user(&r, "uid=*)(uid=*")->in_groups == 0);
	CHECK_INT(count_code(&r.findings, "SNAP019"), 1);
	dump(&r);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

static void test_ldap_groupofnames(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ldap_profile();
	dg_fetch_result r;
	dg_strbuf_adds(&sb, ldap_people);
	dg_strbuf_adds(&sb,
		"dn: cn=MailStore Users,ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\n"
		"cn: MailStore Users\nmember: UID=Alice,OU=People,DC=example,DC=com\n"
		"member: cn=Nested,ou=groups,dc=example,dc=com\n"
		"member: uid=gone,ou=people,dc=example,dc=com\n\n"
		"dn: cn=Nested,ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\n"
		"cn: Nested\nmember: uid=bob,ou=people,dc=example,dc=com\n\n");
	ldap_opts(p)->group_filter = dg_xstrdup("(objectClass=groupOfNames)");
	set_list(&ldap_opts(p)->group_names, "mailstore users", NULL);
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK(in_group(user(&r, "uid=alice"), "mailstore users"));
	CHECK(in_group(user(&r, "uid=bob"), "mailstore users"));
	CHECK(user(&r, "uid=carol") && user(&r, "uid=carol")->in_groups == 0);
	CHECK_INT(count_code(&r.findings, "SNAP019"), 1);
	CHECK_INT(count_code(&r.findings, "SNAP011"), 0);
	dump(&r);
	dg_fetch_result_release(&r);

	/* a name that is no group */
	dg_strarr *names = &ldap_opts(p)->group_names;
	free(names->items[0]);
	names->items[0] = dg_xstrdup("Nobody's Group");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(count_code(&r.findings, "SNAP011"), 1);
	CHECK(user(&r, "uid=alice") && user(&r, "uid=alice")->in_groups == 0);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

/* LDAP_MATCHING_RULE_IN_CHAIN in a user filter: evaluated over the
 * snapshot's member/memberOf graph after the whole file is read. */
static void test_in_chain_filter(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ldap_profile();
	dg_fetch_result r;
	build_groups_ldif(&sb);
	free(ldap_opts(p)->base_dn);
	ldap_opts(p)->base_dn = dg_xstrdup("DC=contoso,DC=com");
	ldap_opts(p)->user_name_attr = dg_xstrdup("sAMAccountName");
	ldap_opts(p)->user_filter = dg_xstrdup(
		"(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=CN=Sales,OU=Groups,DC=contoso,DC=com))");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.users.nr, 2);
	CHECK(user(&r, "CN=Anna"));
	CHECK(user(&r, "CN=Doe\\, John"));
	dump(&r);
	dg_fetch_result_release(&r);

	/* the cycle does not loop */
	free(ldap_opts(p)->user_filter);
	ldap_opts(p)->user_filter = dg_xstrdup(
		"(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=CN=Support,OU=Groups,DC=contoso,DC=com))");
	CHECK_INT(run(p, sb.buf, &r), DG_OK);
	CHECK_INT(r.users.nr, 2);
	CHECK(user(&r, "CN=Ben") && user(&r, "CN=Tia"));
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

/* ---- entries fed one at a time (the live connector's path) ---- */

/* The same LDIF through dg_ldap_engine_feed(): every entry with all its
 * attributes, as a server would send them (the reader's want_attr filter
 * is not applied here: the feed must apply it itself). */
static dg_code feed_run(dg_profile *p, const char *ldif, dg_fetch_result *r)
{
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldap_engine *feed;
	dg_error err;
	dg_code rc;
	memset(r, 0, sizeof(*r));
	CHECK_INT(dg_ldif_read_mem(ldif, strlen(ldif), "feed", &l, &f, &err), DG_OK);
	rc = dg_ldap_engine_begin(p, NULL, r, &feed, &err);
	for (size_t i = 0; rc == DG_OK && i < l.nr; i++) {
		l.items[i].line = 0; /* live entries have no line */
		dg_ldap_engine_feed(feed, &l.items[i]);
	}
	dg_ldap_engine_end(feed, rc == DG_OK);
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	return rc;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Fed and read from a file, the same LDIF gives the same records and the
 * same findings (locations aside): what makes "dirgate snapshot" previewed
 * offline equal to the live preview. */
static void expect_feed_equals_file(dg_profile *p, const char *ldif)
{
	dg_fetch_result a, b;
	CHECK_INT(run(p, ldif, &a), DG_OK);
	CHECK_INT(feed_run(p, ldif, &b), DG_OK);
	CHECK_INT(b.users.nr, a.users.nr);
	CHECK_INT(b.entries_read, a.entries_read);
	for (size_t i = 0; i < a.users.nr && i < b.users.nr; i++) {
		const dg_dir_user *x = &a.users.items[i], *y = &b.users.items[i];
		CHECK_STR(y->entry, x->entry);
		CHECK(same_str(x->name_value, y->name_value) && same_str(x->full_name, y->full_name));
		CHECK(dg_strlist_equal(&x->mails, &y->mails) && dg_strlist_equal(&x->groups, &y->groups));
		CHECK(dg_strlist_equal(&x->proxy_addresses, &y->proxy_addresses));
		CHECK(x->disabled == y->disabled && x->hidden == y->hidden &&
		      x->exchange == y->exchange && x->in_groups == y->in_groups);
	}
	CHECK_INT(b.findings.nr, a.findings.nr);
	for (size_t i = 0; i < a.findings.nr && i < b.findings.nr; i++) {
		CHECK_STR(b.findings.items[i].code, a.findings.items[i].code);
		CHECK_STR(b.findings.items[i].message, a.findings.items[i].message);
		CHECK(!b.findings.items[i].file); /* nothing to point at live */
	}
	dg_fetch_result_release(&a);
	dg_fetch_result_release(&b);
}

static void test_feed_equals_file(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_profile *p = ad_profile();
	build_groups_ldif(&sb);
	/* an attribute the engine does not read must not change anything */
	dg_strbuf_adds(&sb, "dn: CN=Extra,OU=Staff,DC=contoso,DC=com\n" USER_OC PERSON
			    "sAMAccountName: extra\nuserAccountControl: 512\nmail: x@contoso.com\n"
			    "description: not read\nmember;range=0-1: CN=Anna,OU=Staff,DC=contoso,DC=com\n\n");
	set_list(&ad_opts(p)->groups, "MailStore Users", NULL);
	expect_feed_equals_file(p, sb.buf);
	dg_profile_free(p);
	/* without a group selection the reader skips member: so must the feed
	 * (else the partial member;range would be reported) */
	p = ad_profile();
	expect_feed_equals_file(p, sb.buf);
	dg_profile_free(p);

	dg_strbuf_reset(&sb);
	dg_strbuf_adds(&sb, ldap_people);
	dg_strbuf_adds(&sb,
		"dn: cn=mailstore,ou=groups,dc=example,dc=com\nobjectClass: posixGroup\n"
		"cn: mailstore\ngidNumber: 5000\nmemberUid: ALICE\nmemberUid: *)(uid=*\n"
		"memberUid: staff\nmemberUid: nobody\n\n"
		"dn: cn=staff,ou=groups,dc=example,dc=com\nobjectClass: posixGroup\n"
		"cn: staff\ngidNumber: 5001\nmemberUid: carol\nmemberUid: loop\n\n"
		"dn: cn=loop,ou=groups,dc=example,dc=com\nobjectClass: posixGroup\n"
		"cn: loop\ngidNumber: 5002\nmemberUid: staff\n\n");
	p = ldap_profile();
	posix_profile(p);
	set_list(&ldap_opts(p)->group_names, "MailStore", NULL);
	expect_feed_equals_file(p, sb.buf);
	dg_profile_free(p);
	dg_strbuf_release(&sb);
}

int main(void)
{
	RUN(test_dn_canonical);
	RUN(test_dn_under);
	RUN(test_ad_user_flags);
	RUN(test_ad_odd_entries);
	RUN(test_ad_nested_groups_and_cycle);
	RUN(test_ad_group_not_found_or_ambiguous);
	RUN(test_ad_memberof_without_groups);
	RUN(test_base_dn_scope);
	RUN(test_missing_file);
	RUN(test_ldap_users);
	RUN(test_ldap_memberuid);
	RUN(test_ldap_groupofnames);
	RUN(test_in_chain_filter);
	RUN(test_feed_equals_file);
	return dg_t_done();
}

/* dirgate check --offline: the rules that need no network (checks.h).
 * dg_check_offline() runs one small function per rule group, in the order
 * an administrator would fix things: identifiers, LDAP details, TLS,
 * MailStore's option rules, the redirect URI, key files, the API target,
 * push guards, secrets.  Every finding carries the JSON pointer of the field
 * it is about (docs/profile-keys.md). */
#include "checks.h"

#include "filter.h"
#include "keys.h"
#include "secret.h"
#include "strbuf.h"
#include "uri.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <ldap.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define API_PORT_SERVER 8463
#define API_PORT_SPE 8474
#define REDIRECT_EXAMPLE "https://mailstore.example.com:8462/oidc/signin"

/* ===== syntax helpers ===================================================== */

static int is_blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return 1;
	return 0;
}

static int is_guid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Says why s is not a GUID in the form Entra shows. */
static void guid_problem(const char *s, dg_strbuf *why)
{
	size_t n = strlen(s);
	if (n == 38 && s[0] == '{' && s[37] == '}')
		dg_strbuf_adds(why, "it is wrapped in braces");
	else if (has_space(s))
		dg_strbuf_adds(why, "it contains whitespace");
	else
		dg_strbuf_adds(why, "it is not in the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx "
			       "(32 hex digits)");
}

static int label_problem(const char *l, size_t n, dg_strbuf *why)
{
	if (n == 0) {
		dg_strbuf_adds(why, "it has an empty label (\"..\" or a leading dot)");
		return -1;
	}
	if (n > 63) {
		dg_strbuf_addf(why, "label \"%.*s...\" is longer than 63 characters", 20, l);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if (isalnum(c) || c == '-')
			continue;
		dg_strbuf_addf(why, "label \"%.*s\" contains %s", (int)n, l,
			       isspace(c) ? "whitespace" : c == '_' ? "'_', which host names cannot"
			       : "a character other than letters, digits and '-'");
		return -1;
	}
	if (l[0] == '-' || l[n - 1] == '-') {
		dg_strbuf_addf(why, "label \"%.*s\" starts or ends with '-'", (int)n, l);
		return -1;
	}
	return 0;
}

/* RFC 1123 host name syntax (one trailing dot allowed). */
static int dns_name_problem(const char *s, dg_strbuf *why)
{
	size_t len = strlen(s);
	const char *p = s, *last = s;

	if (len && s[len - 1] == '.')
		len--;
	if (!len) {
		dg_strbuf_adds(why, "it is empty");
		return -1;
	}
	if (len > 253) {
		dg_strbuf_adds(why, "it is longer than 253 characters");
		return -1;
	}
	while (p <= s + len) {
		const char *dot = memchr(p, '.', (size_t)(s + len - p));
		size_t n = dot ? (size_t)(dot - p) : (size_t)(s + len - p);
		if (label_problem(p, n, why) < 0)
			return -1;
		last = p;
		p += n + 1;
	}
	for (p = last; p < s + len && isdigit((unsigned char)*p); p++)
		;
	if (p == s + len) {
		dg_strbuf_adds(why, "its last label is a number");
		return -1;
	}
	return 0;
}

/* A DNS domain as used for AD, Google and Entra tenants: a host name with
 * at least two labels. */
static int domain_problem(const char *s, dg_strbuf *why)
{
	const char *dot = strchr(s, '.');

	if (dns_name_problem(s, why) < 0)
		return -1;
	if (!dot || !dot[1]) {
		dg_strbuf_adds(why, "it has only one label");
		return -1;
	}
	return 0;
}

static int ip_literal(const char *s)
{
	unsigned char buf[16];
	char tmp[64];
	size_t n = strlen(s);

	if (n >= 2 && n < sizeof(tmp) && s[0] == '[' && s[n - 1] == ']') {
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
		return inet_pton(AF_INET6, tmp, buf) == 1;
	}
	return inet_pton(AF_INET6, s, buf) == 1 || inet_pton(AF_INET, s, buf) == 1;
}

static int only_digits_and_dots(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return 0;
	return 1;
}

/* A server field: a host name or an IP address, nothing else. */
static int host_problem(const char *s, dg_strbuf *why)
{
	const char *colon = strchr(s, ':');

	if (ip_literal(s))
		return 0;
	if (strstr(s, "://")) {
		dg_strbuf_adds(why, "it contains a URL scheme; give only the host name");
		return -1;
	}
	if (only_digits_and_dots(s) && *s) {
		dg_strbuf_adds(why, "it is not a valid IPv4 address");
		return -1;
	}
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		dg_strbuf_adds(why, "it contains a port; put the port in /directory/port");
		return -1;
	}
	if (strchr(s, '/')) {
		dg_strbuf_adds(why, "it contains '/'; give only the host name");
		return -1;
	}
	return dns_name_problem(s, why);
}

static int email_problem(const char *s, dg_strbuf *why)
{
	const char *at = strrchr(s, '@');

	if (!at || at == s) {
		dg_strbuf_adds(why, at ? "nothing comes before the '@'" : "it has no '@'");
		return -1;
	}
	if (has_space(s)) {
		dg_strbuf_adds(why, "it contains whitespace");
		return -1;
	}
	if (memchr(s, '@', (size_t)(at - s))) {
		dg_strbuf_adds(why, "it has more than one '@'");
		return -1;
	}
	if (domain_problem(at + 1, why) < 0) {
		dg_strbuf_adds(why, " (in the domain part)");
		return -1;
	}
	return 0;
}

static int keychar(int c)
{
	return isalnum(c) || c == '-';
}

/* RFC 4512 §2.5: numericoid = number 1*( "." number ), no leading zeros. */
static int numericoid_problem(const char *s, size_t n, dg_strbuf *why)
{
	size_t i = 0, parts = 0;

	while (i < n) {
		size_t start = i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		if (i == start || (i - start > 1 && s[start] == '0')) {
			dg_strbuf_addf(why, "\"%.*s\" is not a numeric OID (digits separated by "
				       "single dots, no leading zeros)", (int)n, s);
			return -1;
		}
		parts++;
		if (i < n && s[i++] != '.') {
			dg_strbuf_addf(why, "\"%.*s\" starts with a digit but is not a numeric "
				       "OID; attribute names start with a letter", (int)n, s);
			return -1;
		}
		if (i == n && s[n - 1] == '.') {
			dg_strbuf_addf(why, "\"%.*s\" ends with '.'", (int)n, s);
			return -1;
		}
	}
	if (parts < 2) {
		dg_strbuf_addf(why, "\"%.*s\" starts with a digit but is not a numeric OID; "
			       "attribute names start with a letter", (int)n, s);
		return -1;
	}
	return 0;
}

static void bad_char(const char *s, size_t n, size_t i, dg_strbuf *why)
{
	unsigned char c = (unsigned char)s[i];

	dg_strbuf_addf(why, "\"%.*s\" contains ", (int)n, s);
	if (isspace(c))
		dg_strbuf_adds(why, "whitespace");
	else if (c < 0x20 || c >= 0x7f)
		dg_strbuf_addf(why, "the byte 0x%02X", c);
	else
		dg_strbuf_addf(why, "'%c'", c);
	dg_strbuf_addf(why, " at position %zu; attribute names are letters, digits and '-'",
		       i + 1);
}

/* RFC 4512 attribute description: (descr / numericoid) *( ";" option ). */
static int attr_problem(const char *s, dg_strbuf *why)
{
	size_t n = strcspn(s, ";");

	if (!*s) {
		dg_strbuf_adds(why, "it is empty");
		return -1;
	}
	if (isdigit((unsigned char)s[0])) {
		if (numericoid_problem(s, n, why) < 0)
			return -1;
	} else {
		if (!isalpha((unsigned char)s[0])) {
			bad_char(s, n ? n : 1, 0, why);
			return -1;
		}
		for (size_t i = 1; i < n; i++)
			if (!keychar((unsigned char)s[i])) {
				bad_char(s, n, i, why);
				return -1;
			}
	}
	for (const char *o = s + n; *o == ';'; o += strcspn(o + 1, ";") + 1) {
		size_t m = strcspn(o + 1, ";");
		for (size_t i = 0; i < m; i++)
			if (!keychar((unsigned char)o[1 + i]))
				m = 0;
		if (!m) {
			dg_strbuf_addf(why, "option \"%.*s\" is empty or has characters other "
				       "than letters, digits and '-'", (int)strcspn(o + 1, ";"), o + 1);
			return -1;
		}
	}
	return 0;
}

/* ===== DN diagnosis ======================================================= */

static const char *skip_spaces(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* End of an AVA: the next unescaped ',' '+' or the end. */
static const char *ava_end(const char *s)
{
	for (; *s && *s != ',' && *s != '+'; s++)
		if (*s == '\\' && s[1])
			s++;
	return s;
}

static int dn_special(int c)
{
	return c && strchr("\\\"+,;<> #=", c);
}

static int value_problem(const char *dn, const char *v, const char *end, dg_strbuf *why)
{
	if (*v == '#') {
		for (const char *p = v + 1; p < end; p++)
			if (!isxdigit((unsigned char)*p) || (end - v - 1) % 2) {
				dg_strbuf_addf(why, "the value at column %td starts with '#', which "
					       "means hex-encoded BER; write \\# for a literal '#'",
					       v - dn + 1);
				return -1;
			}
		return 0;
	}
	for (const char *p = v; p < end; p++) {
		if (*p == '\\') {
			if (p + 1 >= end && !p[1]) {
				dg_strbuf_addf(why, "the value ends with a lone '\\' at column %td",
					       p - dn + 1);
				return -1;
			}
			if (dn_special((unsigned char)p[1])) {
				p++;
			} else if (isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
				p += 2;
			} else {
				dg_strbuf_addf(why, "bad escape \"\\%c\" at column %td; after '\\' comes "
					       "a special character or two hex digits", p[1], p - dn + 1);
				return -1;
			}
		} else if (strchr("\";<>", *p)) {
			dg_strbuf_addf(why, "unescaped '%c' at column %td; write \\%c", *p,
				       p - dn + 1, *p);
			return -1;
		}
	}
	return 0;
}

static int ava_problem(const char *dn, const char *s, int idx, dg_strbuf *why)
{
	const char *end = ava_end(s), *eq = memchr(s, '=', (size_t)(end - s));
	char *type;
	int bad;

	s = skip_spaces(s);
	if (s >= end) {
		dg_strbuf_addf(why, "RDN %d at column %td is empty (a ',' or '+' too many)", idx,
			       s - dn + 1);
		return -1;
	}
	if (!eq) {
		dg_strbuf_addf(why, "\"%.*s\" at column %td has no '=' between attribute type and "
			       "value%s", (int)(end - s), s, s - dn + 1,
			       idx > 1 ? "; a ',' inside the previous value must be written \\," : "");
		return -1;
	}
	type = dg_xstrndup(s, (size_t)(eq - s));
	while (*type && type[strlen(type) - 1] == ' ')
		type[strlen(type) - 1] = '\0';
	bad = attr_problem(type, why);
	if (bad)
		dg_strbuf_addf(why, " (attribute type at column %td)", s - dn + 1);
	free(type);
	return bad ? -1 : value_problem(dn, skip_spaces(eq + 1), end, why);
}

/* Explains a DN libldap rejected: finds the first bad attribute-value pair
 * (libldap itself only says "Decoding error"). */
static void explain_dn(const char *dn, dg_strbuf *why)
{
	const char *s = dn;
	int idx = 1;

	for (;;) {
		const char *end = ava_end(s);
		if (ava_problem(dn, s, idx, why) < 0)
			return;
		if (!*end)
			break;
		if (*end == ',')
			idx++;
		s = end + 1;
		if (!*skip_spaces(s)) {
			dg_strbuf_addf(why, "it ends with '%c' at column %td", end[0], end - dn + 1);
			return;
		}
	}
	dg_strbuf_adds(why, "libldap rejects it (RFC 4514 syntax)");
}

static int dn_problem(const char *dn, dg_strbuf *why)
{
	LDAPDN parsed = NULL;

	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS) {
		ldap_dnfree(parsed);
		return 0;
	}
	explain_dn(dn, why);
	return -1;
}

/* "CN=Sales,OU=..." rather than a plain group name like "Sales". */
static int looks_like_dn(const char *s)
{
	s = skip_spaces(s);
	if (!isalnum((unsigned char)*s))
		return 0;
	while (isalnum((unsigned char)*s) || *s == '-' || *s == '.')
		s++;
	return *skip_spaces(s) == '=';
}

/* ===== finding helpers ==================================================== */

static void add_dn_finding(const char *dn, const char *path, const char *what,
			   dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dn_problem(dn, &why) == 0)
		goto done;
	fd = dg_findings_add(out, "LDAP001", DG_SEV_ERROR, path,
			     "%s \"%s\" is not a valid distinguished name: %s", what, dn, why.buf);
	dg_finding_hint(fd, "Write it as RFC 4514 attribute=value pairs separated by commas, "
			"e.g. \"ou=People,dc=example,dc=com\"; escape ',' '+' '\"' '\\' '<' '>' ';' "
			"inside values with a backslash.");
done:
	dg_strbuf_release(&why);
}

static void add_host_finding(const char *host, const char *path, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (host_problem(host, &why) == 0)
		goto done;
	fd = dg_findings_add(out, "LDAP003", DG_SEV_ERROR, path,
			     "server \"%s\" is not a valid host name: %s", host, why.buf);
	dg_finding_hint(fd, "Give the directory server's DNS name or IP address only, e.g. "
			"\"dc01.contoso.com\"; the protocol and port have their own fields.");
done:
	dg_strbuf_release(&why);
}

static char *item_path(const char *base, size_t i)
{
	return dg_xasprintf("%s/%zu", base, i);
}

/* ===== identifiers ======================================================== */

static void check_tenant_id(const char *tenant, dg_findings *out)
{
	static const char *const aliases[] = { "common", "consumers", "organizations" };
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcasecmp(tenant, aliases[i]))
			continue;
		fd = dg_findings_add(out, "M365002", DG_SEV_ERROR, "/directory/tenantId",
				     "tenantId \"%s\" is a multi-tenant alias; the client "
				     "credentials grant needs one tenant (AADSTS9001023)", tenant);
		dg_finding_hint(fd, "Use the Directory (tenant) ID from the Entra admin center > "
				"Overview, or the tenant's domain, e.g. \"contoso.onmicrosoft.com\".");
		return;
	}
	if (is_guid(tenant) || domain_problem(tenant, &why) == 0)
		goto done;
	dg_strbuf_reset(&why);
	guid_problem(tenant, &why);
	fd = dg_findings_add(out, "M365001", DG_SEV_ERROR, "/directory/tenantId",
			     "tenantId \"%s\" is neither a GUID nor a DNS domain name: %s", tenant,
			     why.buf);
	dg_finding_hint(fd, "Use the Directory (tenant) ID GUID from the Entra admin center > "
			"Overview (e.g. \"72f988bf-86f1-41af-91ab-2d7cd011db47\") or a verified "
			"domain such as \"contoso.onmicrosoft.com\".");
done:
	dg_strbuf_release(&why);
}

static void check_m365_client_id(const char *id, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (is_guid(id))
		return;
	guid_problem(id, &why);
	fd = dg_findings_add(out, "M365003", DG_SEV_ERROR, "/directory/clientId",
			     "clientId \"%s\" is not a GUID: %s", id, why.buf);
	dg_finding_hint(fd, "Copy the Application (client) ID from App registrations > your "
			"app > Overview, e.g. \"8f1c2a4e-0b7d-4c55-9a3e-2f61d0c7b9aa\".");
	dg_strbuf_release(&why);
}

/* AD FS generates a GUID; an administrator may set any string with
 * PowerShell, so anything else is only worth a second look, not an error. */
static void check_adfs_client_id(const char *id, dg_findings *out)
{
	dg_finding *fd;

	if (has_space(id)) {
		fd = dg_findings_add(out, "ADFS003", DG_SEV_WARNING, "/authentication/clientId",
				     "clientId \"%s\" contains whitespace", id);
		dg_finding_hint(fd, "Copy the Client Identifier exactly as AD FS Management shows "
				"it (Application Groups > your group > the native application), "
				"without spaces or line breaks.");
	} else if (!is_guid(id)) {
		fd = dg_findings_add(out, "ADFS014", DG_SEV_INFO, "/authentication/clientId",
				     "clientId \"%s\" is not a GUID, the form of the client "
				     "identifiers AD FS generates; fine only if it was set as a custom "
				     "identifier", id);
		dg_finding_hint(fd, "Compare it with the Client Identifier in AD FS Management > "
				"Application Groups > your group > the native application; they must "
				"be equal character for character (a custom identifier is set with "
				"Add-AdfsNativeClientApplication -Identifier).");
	}
}

static void check_google_client_id(const char *id, dg_findings *out)
{
	dg_finding *fd;
	size_t n = strlen(id), m = strlen(".apps.googleusercontent.com");

	if (n > m && !strcmp(id + n - m, ".apps.googleusercontent.com") && !has_space(id))
		return;
	fd = dg_findings_add(out, "GOOGLE003", DG_SEV_WARNING, "/authentication/clientId",
			     "clientId \"%s\" does not look like a Google OAuth client ID "
			     "(NUMBER-ID.apps.googleusercontent.com)", id);
	dg_finding_hint(fd, "Copy the Client ID of the OAuth client of type Web application "
			"(Google Cloud console > APIs & Services > Credentials).");
}

static void check_email(const char *s, const char *path, const char *code,
			const char *what, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (email_problem(s, &why) == 0)
		goto done;
	fd = dg_findings_add(out, code, DG_SEV_ERROR, path,
			     "%s \"%s\" is not an e-mail address: %s", what, s, why.buf);
	dg_finding_hint(fd, "Give the e-mail address of a Google Workspace administrator, "
			"e.g. \"admin@example.com\".");
done:
	dg_strbuf_release(&why);
}

static void check_domain(const char *s, const char *path, const char *code,
			 const char *example, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (domain_problem(s, &why) == 0)
		goto done;
	fd = dg_findings_add(out, code, DG_SEV_ERROR, path,
			     "domain \"%s\" is not a DNS domain name: %s", s, why.buf);
	dg_finding_hint(fd, "Give the DNS domain name, e.g. \"%s\".", example);
done:
	dg_strbuf_release(&why);
}

/* AD: a single label is usually the NetBIOS name (CONTOSO), not the DNS
 * domain (contoso.com) that SRV lookups and the base DN need. */
static void check_ad_domain(const char *s, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dns_name_problem(s, &why) < 0) {
		check_domain(s, "/directory/domain", "AD001", "contoso.com", out);
	} else if (!strchr(s, '.')) {
		fd = dg_findings_add(out, "AD002", DG_SEV_WARNING, "/directory/domain",
				     "domain \"%s\" has a single label; it looks like the NetBIOS "
				     "name, not the DNS domain name", s);
		dg_finding_hint(fd, "Use the domain's DNS name as shown in Active Directory Domains "
				"and Trusts, e.g. \"contoso.com\" or \"contoso.local\".");
	}
	dg_strbuf_release(&why);
}

static void check_ids_ad(const dg_dir_active_directory *ad, dg_findings *out)
{
	if (ad->domain)
		check_ad_domain(ad->domain, out);
	if (ad->server)
		add_host_finding(ad->server, "/directory/server", out);
}

static void check_ids_m365(const dg_dir_m365 *m, dg_findings *out)
{
	if (m->tenant_id)
		check_tenant_id(m->tenant_id, out);
	if (m->client_id)
		check_m365_client_id(m->client_id, out);
}

#define GOOGLE_API_URL "https://admin.googleapis.com"

static void check_google_api_url(const char *url, dg_findings *out)
{
	dg_finding *fd;

	if (!dg_keys_local_https(url) && dg_keys_google_api_url_ok(url))
		return; /* Google's own */
	if (dg_keys_local_https(url)) {
		fd = dg_findings_add(out, "GOOGLE015", DG_SEV_WARNING, "/directory/apiUrl",
				     "apiUrl \"%s\" is an endpoint on this computer (a test "
				     "emulator), not Google", url);
		dg_finding_hint(fd, "For production remove apiUrl (default " GOOGLE_API_URL ").");
		return;
	}
	fd = dg_findings_add(out, "GOOGLE014", DG_SEV_ERROR, "/directory/apiUrl",
			     "apiUrl \"%s\" is neither Google's Directory API nor an https "
			     "endpoint on this computer", url);
	dg_finding_hint(fd, "Remove apiUrl to use " GOOGLE_API_URL "; it exists only to point "
			"tests at a local emulator.");
}

static void check_ids_google(const dg_dir_google *g, dg_findings *out)
{
	if (g->api_url)
		check_google_api_url(g->api_url, out);
	if (g->admin_user)
		check_email(g->admin_user, "/directory/adminUser", "GOOGLE001", "adminUser", out);
	if (g->domain)
		check_domain(g->domain, "/directory/domain", "GOOGLE002", "example.com", out);
}

static void check_ids_auth(const dg_authentication *a, dg_findings *out)
{
	if (!a->client_id)
		return;
	if (a->method == DG_AUTH_ADFS)
		check_adfs_client_id(a->client_id, out);
	else if (a->method == DG_AUTH_GOOGLE_OIDC)
		check_google_client_id(a->client_id, out);
}

static void check_identifiers(const dg_profile *p, dg_findings *out)
{
	const dg_directory *d = &p->directory;

	switch (d->type) {
	case DG_DIR_ACTIVE_DIRECTORY: check_ids_ad(&d->ad, out); break;
	case DG_DIR_LDAP:
		if (d->ldap.server)
			add_host_finding(d->ldap.server, "/directory/server", out);
		break;
	case DG_DIR_M365: check_ids_m365(&d->m365, out); break;
	case DG_DIR_GOOGLE: check_ids_google(&d->google, out); break;
	default: break;
	}
	check_ids_auth(&p->auth, out);
}

/* ===== LDAP / AD: DNs, attribute names, filters, groups =================== */

static void check_group_dns(const dg_strarr *groups, const char *base, dg_findings *out)
{
	for (size_t i = 0; i < groups->nr; i++) {
		char *path;
		if (!groups->items[i] || !looks_like_dn(groups->items[i]))
			continue;
		path = item_path(base, i);
		add_dn_finding(groups->items[i], path, "group", out);
		free(path);
	}
}

static void check_ad_dns(const dg_dir_active_directory *ad, dg_findings *out)
{
	if (ad->base_dn && *ad->base_dn)
		add_dn_finding(ad->base_dn, "/directory/baseDn", "baseDn", out);
	if (ad->bind_user && looks_like_dn(ad->bind_user))
		add_dn_finding(ad->bind_user, "/directory/bind/user", "bind user", out);
	check_group_dns(&ad->groups, "/directory/filters/groups", out);
}

static void check_ldap_dns(const dg_dir_ldap *l, dg_findings *out)
{
	if (l->base_dn && *l->base_dn)
		add_dn_finding(l->base_dn, "/directory/baseDn", "baseDn", out);
	if (l->bind_dn && *l->bind_dn)
		add_dn_finding(l->bind_dn, "/directory/bind/dn", "bind DN", out);
	check_group_dns(&l->group_names, "/directory/groups/names", out);
}

static const struct attr_field {
	size_t offset;
	const char *path;
} ldap_attr_fields[] = {
	{ offsetof(dg_dir_ldap, user_name_attr), "/directory/users/userNameAttribute" },
	{ offsetof(dg_dir_ldap, full_name_attr), "/directory/users/fullNameAttribute" },
	{ offsetof(dg_dir_ldap, email_attr), "/directory/users/emailAttribute" },
	{ offsetof(dg_dir_ldap, group_name_attr), "/directory/groups/nameAttribute" },
	{ offsetof(dg_dir_ldap, group_description_attr), "/directory/groups/descriptionAttribute" },
	{ offsetof(dg_dir_ldap, members_attr), "/directory/groups/membersAttribute" },
};

static const char *field_at(const void *base, size_t offset)
{
	return *(char *const *)((const char *)base + offset);
}

static void check_ldap_attrs(const dg_dir_ldap *l, dg_findings *out)
{
	for (size_t i = 0; i < sizeof(ldap_attr_fields) / sizeof(ldap_attr_fields[0]); i++) {
		const char *name = field_at(l, ldap_attr_fields[i].offset);
		dg_strbuf why = DG_STRBUF_INIT;
		dg_finding *fd;

		if (name && attr_problem(name, &why) < 0) {
			fd = dg_findings_add(out, "LDAP002", DG_SEV_ERROR, ldap_attr_fields[i].path,
					     "\"%s\" is not a valid LDAP attribute name: %s", name,
					     why.buf);
			dg_finding_hint(fd, "Give the attribute's LDAP name (RFC 4512), e.g. \"uid\", "
					"\"mail\", \"displayName\"; options such as \";binary\" are allowed.");
		}
		dg_strbuf_release(&why);
	}
}

static const struct filter_field {
	size_t offset;
	const char *path;
	int optional;   /* "" counts as not set */
} ldap_filter_fields[] = {
	{ offsetof(dg_dir_ldap, user_filter), "/directory/users/filter", 0 },
	{ offsetof(dg_dir_ldap, group_filter), "/directory/groups/filter", 1 },
	{ offsetof(dg_dir_ldap, member_search_filter), "/directory/groups/memberSearchFilter", 1 },
};

/* Returns the number of filter errors in the member search filter, so the
 * substitution test only runs on a filter that parses as written. */
static int check_ldap_filters(const dg_dir_ldap *l, dg_findings *out)
{
	int msf_errors = 0;

	for (size_t i = 0; i < sizeof(ldap_filter_fields) / sizeof(ldap_filter_fields[0]); i++) {
		const struct filter_field *f = &ldap_filter_fields[i];
		const char *text = field_at(l, f->offset);
		int errors;

		if (!text || (f->optional && !*text))
			continue;
		errors = dg_filter_lint(text, f->path, out);
		if (f->offset == offsetof(dg_dir_ldap, member_search_filter))
			msf_errors = errors;
	}
	return msf_errors;
}

static const char *effective_members_attr(const dg_dir_ldap *l)
{
	return l->members_attr && *l->members_attr ? l->members_attr : "member";
}

static int members_are_dns(const char *attr)
{
	return !strcasecmp(attr, "member") || !strcasecmp(attr, "uniqueMember");
}

/* MailStore replaces {member} with each (escaped) member value; a filter
 * that parses with the placeholder but not with a value is broken. */
static void check_member_substitution(const char *msf, dg_findings *out)
{
	static const char dummy[] = "j\\2adoe";   /* "j*doe", escaped as MailStore would */
	dg_strbuf text = DG_STRBUF_INIT;
	dg_filter_error err;
	dg_filter *f;
	dg_finding *fd;

	memset(&err, 0, sizeof(err));
	for (const char *p = msf; *p;) {
		const char *hit = strstr(p, "{member}");
		if (!hit) {
			dg_strbuf_adds(&text, p);
			break;
		}
		dg_strbuf_add(&text, p, (size_t)(hit - p));
		dg_strbuf_adds(&text, dummy);
		p = hit + strlen("{member}");
	}
	f = dg_filter_parse(text.buf, &err);
	if (!f) {
		fd = dg_findings_add(out, "LDAP005", DG_SEV_ERROR,
				     "/directory/groups/memberSearchFilter",
				     "memberSearchFilter does not parse once {member} is replaced by a "
				     "value (\"%s\"): %s", text.buf, err.message);
		dg_finding_hint(fd, "Put {member} only where an attribute value goes, e.g. "
				"\"(&(objectClass=posixAccount)(uid={member}))\".");
	}
	dg_filter_free(f);
	dg_strbuf_release(&text);
}

static void check_member_filter_placeholder(const char *msf, int parse_errors, dg_findings *out)
{
	dg_finding *fd;

	if (!strstr(msf, "{member}")) {
		fd = dg_findings_add(out, "LDAP004", DG_SEV_ERROR,
				     "/directory/groups/memberSearchFilter",
				     "memberSearchFilter \"%s\" does not contain {member}", msf);
		dg_finding_hint(fd, "MailStore puts each member value where {member} stands, e.g. "
				"\"(&(objectClass=posixAccount)(uid={member}))\".");
	} else if (!parse_errors) {
		check_member_substitution(msf, out);
	}
}

static void check_member_model(const dg_dir_ldap *l, dg_findings *out)
{
	const char *attr = effective_members_attr(l);
	const char *msf = l->member_search_filter && *l->member_search_filter
			  ? l->member_search_filter : NULL;
	dg_finding *fd;

	if (msf && members_are_dns(attr)) {
		fd = dg_findings_add(out, "LDAP006", DG_SEV_WARNING,
				     "/directory/groups/memberSearchFilter",
				     "membersAttribute \"%s\" holds DNs, yet a memberSearchFilter is "
				     "set; MailStore: \"Group members are returned as Distinguished "
				     "Names\", so no search filter is needed", attr);
		dg_finding_hint(fd, "Set \"memberSearchFilter\": null, or use \"membersAttribute\": "
				"\"memberUid\" if the groups are posixGroups.");
	} else if (!msf && !strcasecmp(attr, "memberUid")) {
		fd = dg_findings_add(out, "LDAP007", DG_SEV_ERROR,
				     "/directory/groups/memberSearchFilter",
				     "membersAttribute \"memberUid\" holds user names, not DNs, so "
				     "MailStore needs a memberSearchFilter to find the members");
		dg_finding_hint(fd, "Set \"memberSearchFilter\": "
				"\"(&(objectClass=posixAccount)(uid={member}))\".");
	}
}

/* The object class that goes with a members attribute, for the hint. */
static const char *group_class_for(const char *attr)
{
	if (!strcasecmp(attr, "memberUid"))
		return "(objectClass=posixGroup)";
	if (!strcasecmp(attr, "uniqueMember"))
		return "(objectClass=groupOfUniqueNames)";
	return "(objectClass=groupOfNames)";
}

static void check_group_filter_needed(const dg_dir_ldap *l, dg_findings *out)
{
	dg_finding *fd;

	if (!l->group_names.nr || (l->group_filter && *l->group_filter))
		return;
	fd = dg_findings_add(out, "LDAP008", DG_SEV_ERROR, "/directory/groups/filter",
			     "groups.names lists %zu group%s but groups.filter is not set, so "
			     "MailStore cannot find the groups", l->group_names.nr,
			     l->group_names.nr == 1 ? "" : "s");
	dg_finding_hint(fd, "Set \"/directory/groups/filter\" to the groups' object class, e.g. "
			"\"%s\".", group_class_for(effective_members_attr(l)));
}

static void check_ldap_groups(const dg_dir_ldap *l, int msf_errors, dg_findings *out)
{
	if (l->member_search_filter && *l->member_search_filter)
		check_member_filter_placeholder(l->member_search_filter, msf_errors, out);
	check_member_model(l, out);
	check_group_filter_needed(l, out);
}

static void check_directory_ldap(const dg_profile *p, dg_findings *out)
{
	const dg_directory *d = &p->directory;

	if (d->type == DG_DIR_ACTIVE_DIRECTORY) {
		check_ad_dns(&d->ad, out);
	} else if (d->type == DG_DIR_LDAP) {
		int msf_errors;
		check_ldap_dns(&d->ldap, out);
		check_ldap_attrs(&d->ldap, out);
		msf_errors = check_ldap_filters(&d->ldap, out);
		check_ldap_groups(&d->ldap, msf_errors, out);
	}
}

/* ===== TLS ================================================================ */

static const dg_tls_opts *directory_tls(const dg_profile *p)
{
	switch (p->directory.type) {
	case DG_DIR_ACTIVE_DIRECTORY: return &p->directory.ad.tls;
	case DG_DIR_LDAP: return &p->directory.ldap.tls;
	case DG_DIR_GOOGLE: return &p->directory.google.tls;
	default: return NULL;
	}
}

static const char *encrypted_protocols(const dg_profile *p)
{
	return p->directory.type == DG_DIR_ACTIVE_DIRECTORY ? "\"ldaps\" or \"ldap-tls\""
							    : "\"ldap-tls\" or \"ldap-ssl\"";
}

static void check_accept_all(const dg_profile *p, int plain, dg_findings *out)
{
	dg_finding *fd;

	if (plain) {
		fd = dg_findings_add(out, "TLS001", DG_SEV_ERROR,
				     "/directory/tls/acceptAllCertificates",
				     "acceptAllCertificates is true, but the protocol is unencrypted "
				     "LDAP: there is no certificate to accept");
		dg_finding_hint(fd, "Set \"protocol\" to %s to encrypt the connection (and then "
				"prefer a caFile over accepting every certificate), or remove "
				"acceptAllCertificates.", encrypted_protocols(p));
		return;
	}
	fd = dg_findings_add(out, "TLS002", DG_SEV_WARNING, "/directory/tls/acceptAllCertificates",
			     "acceptAllCertificates is true: ANY server certificate is accepted, "
			     "so anyone who can intercept the connection (man-in-the-middle) can "
			     "read the %s and the directory data",
			     p->directory.type == DG_DIR_GOOGLE ? "access token" : "bind password");
	dg_finding_hint(fd, "Set \"acceptAllCertificates\": false and put the certificate of the "
			"CA that issued the server's certificate into \"/directory/tls/caFile\".");
}

/* Traffic to this computer never crosses a network (127.0.0.0/8, ::1,
 * localhost); no server given means a domain controller found by DNS. */
static int is_loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (!host || !*host)
		return 0;
	if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost."))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* Plain LDAP (the default protocol) sends the simple bind's password as it
 * is: anyone on the path can read it. */
static void check_cleartext_bind(const dg_profile *p, dg_findings *out)
{
	int ad = p->directory.type == DG_DIR_ACTIVE_DIRECTORY;
	const char *server = ad ? p->directory.ad.server : p->directory.ldap.server;
	const char *who = ad ? p->directory.ad.bind_user : p->directory.ldap.bind_dn;
	dg_finding *fd;

	if (!who || !*who || is_loopback_host(server))
		return;
	fd = dg_findings_add(out, "TLS011", DG_SEV_WARNING, "/directory/protocol",
			     "the protocol is unencrypted LDAP%s: the bind password of %s "
			     "travels in clear text to %s and can be read by anyone on the way",
			     (ad ? p->directory.ad.protocol : p->directory.ldap.protocol) ==
					     DG_PROTO_DEFAULT
				     ? " (the default)"
				     : "",
			     who, server && *server ? server : ad ? "the domain controller"
								   : "the server");
	dg_finding_hint(fd, "Set \"protocol\" to %s (%s) and, unless the server's certificate "
			"comes from a CA this computer trusts, \"tls\": {\"caFile\": \"...\"} "
			"with the issuing CA's certificate.",
			encrypted_protocols(p),
			ad ? "LDAPS on port 636, or StartTLS on 389"
			   : "StartTLS on port 389, or LDAPS on 636");
}

static void check_directory_tls(const dg_profile *p, dg_findings *out)
{
	const dg_tls_opts *tls = directory_tls(p);
	int plain;
	dg_finding *fd;

	if (!tls)
		return;
	plain = p->directory.type != DG_DIR_GOOGLE && /* Google is always https */
		(dg_profile_ldap_protocol(p) == DG_PROTO_LDAP ||
		 dg_profile_ldap_protocol(p) == DG_PROTO_DEFAULT);
	if (plain)
		check_cleartext_bind(p, out);
	if (tls->accept_all_certificates == 1)
		check_accept_all(p, plain, out);
	if (tls->ca_file && plain) {
		fd = dg_findings_add(out, "TLS003", DG_SEV_WARNING, "/directory/tls/caFile",
				     "caFile is set, but the protocol is unencrypted LDAP, so it "
				     "is not used");
		dg_finding_hint(fd, "Set \"protocol\" to %s, or remove caFile.",
				encrypted_protocols(p));
	}
}

/* 64 hex digits, optionally in colon-separated pairs. */
static int pin_problem(const char *pin, dg_strbuf *why)
{
	size_t hex = 0;

	for (const char *s = pin; *s; s++) {
		if (isxdigit((unsigned char)*s)) {
			hex++;
		} else if (*s != ':') {
			dg_strbuf_addf(why, "it contains '%c', which is neither a hex digit nor ':'", *s);
			return -1;
		}
	}
	if (hex != 64) {
		dg_strbuf_addf(why, "it has %zu hex digits, not 64", hex);
		return -1;
	}
	return 0;
}

static void check_target_pin(const char *pin, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (pin_problem(pin, &why) == 0)
		goto done;
	fd = dg_findings_add(out, "TLS009", DG_SEV_ERROR, "/target/tls/pinSha256",
			     "pinSha256 is not a SHA-256 fingerprint: %s", why.buf);
	dg_finding_hint(fd, "Give the 64 hex digits of the SHA-256 fingerprint, with or without "
			"colons, e.g. \"9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:"
			"A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08\".");
done:
	dg_strbuf_release(&why);
}

static void check_target_tls(const dg_target *t, dg_findings *out)
{
	dg_finding *fd;

	if (!t->present)
		return;
	if (t->pin_sha256)
		check_target_pin(t->pin_sha256, out);
	if (t->insecure != 1)
		return;
	fd = dg_findings_add(out, "TLS008", DG_SEV_WARNING, "/target/tls/insecure",
			     "insecure is true: the MailStore server's certificate is NOT checked, "
			     "so a man-in-the-middle can read the API password and change what "
			     "is pushed");
	dg_finding_hint(fd, "Set \"insecure\": false and give the server's CA in "
			"\"/target/tls/caFile\", or pin its certificate with \"/target/tls/pinSha256\".");
	if (t->pin_sha256 || t->ca_file) {
		fd = dg_findings_add(out, "TLS010", DG_SEV_WARNING, "/target/tls/insecure",
				     "insecure is true, so %s %s ignored",
				     t->pin_sha256 && t->ca_file ? "caFile and pinSha256"
				     : t->ca_file ? "caFile" : "pinSha256",
				     t->pin_sha256 && t->ca_file ? "are" : "is");
		dg_finding_hint(fd, "Remove \"insecure\" (or set it to false) so that the CA file "
				"or pin is used.");
	}
}

static void check_tls(const dg_profile *p, dg_findings *out)
{
	check_directory_tls(p, out);
	check_target_tls(&p->target, out);
}

/* ===== MailStore's option rules =========================================== */

static void check_ad_address_lists(const dg_profile *p, dg_findings *out)
{
	const dg_dir_active_directory *ad = &p->directory.ad;
	dg_finding *fd;

	if (p->directory.type != DG_DIR_ACTIVE_DIRECTORY ||
	    ad->visible_in_address_lists_only != 1 || ad->exchange_users_only == 1)
		return;
	fd = dg_findings_add(out, "AD003", DG_SEV_ERROR, "/directory/filters/visibleInAddressListsOnly",
			     "visibleInAddressListsOnly is true, but exchangeUsersOnly is not; "
			     "MailStore applies \"visible in address lists only\" only together "
			     "with \"Exchange users only\"");
	dg_finding_hint(fd, "Set \"/directory/filters/exchangeUsersOnly\": true, or set "
			"\"visibleInAddressListsOnly\": false.");
}

/* Which login methods MailStore offers for each directory type
 * (docs/profile-keys.md). */
static const struct method_rule {
	dg_dir_type type;
	unsigned allowed;   /* bit per dg_auth_method */
	const char *names;
} method_rules[] = {
	{ DG_DIR_ACTIVE_DIRECTORY,
	  1u << DG_AUTH_STANDARD | 1u << DG_AUTH_WINDOWS | 1u << DG_AUTH_ADFS,
	  "\"standard\", \"windows\" or \"adfs\"" },
	{ DG_DIR_LDAP, 1u << DG_AUTH_STANDARD | 1u << DG_AUTH_ADFS, "\"standard\" or \"adfs\"" },
	{ DG_DIR_M365, 1u << DG_AUTH_M365 | 1u << DG_AUTH_M365_BASIC,
	  "\"microsoft-365\" or \"microsoft-365-basic\"" },
	{ DG_DIR_GOOGLE, 1u << DG_AUTH_GOOGLE_OIDC | 1u << DG_AUTH_GOOGLE_IMAP,
	  "\"google-oidc\" or \"google-imap\"" },
};

static void check_method_allowed(const dg_profile *p, dg_findings *out)
{
	dg_auth_method m = p->auth.method;

	if (m == DG_AUTH_NONE)
		return;
	for (size_t i = 0; i < sizeof(method_rules) / sizeof(method_rules[0]); i++) {
		const struct method_rule *r = &method_rules[i];
		dg_finding *fd;
		if (r->type != p->directory.type || (r->allowed & (1u << m)))
			continue;
		fd = dg_findings_add(out, "AUTH001", DG_SEV_ERROR, "/authentication/method",
				     "login method \"%s\" is not available with directory type \"%s\"",
				     dg_auth_method_name(m), dg_dir_type_name(r->type));
		dg_finding_hint(fd, "With %s, set \"method\" to %s.", dg_dir_type_name(r->type),
				r->names);
	}
}

enum auth_field { F_ADFS_URL, F_CLIENT_ID, F_CLIENT_SECRET, F_REDIRECT_URI };

static int auth_field_set(const dg_authentication *a, enum auth_field f)
{
	switch (f) {
	case F_ADFS_URL: return a->adfs_url && *a->adfs_url;
	case F_CLIENT_ID: return a->client_id && *a->client_id;
	case F_CLIENT_SECRET: return a->client_secret.kind != DG_SECRET_NONE;
	case F_REDIRECT_URI: return a->redirect_uri && *a->redirect_uri;
	}
	return 0;
}

/* What each OpenID Connect method needs, and where to get it. */
static const struct auth_need {
	dg_auth_method method;
	enum auth_field field;
	const char *path;
	const char *hint;
} auth_needs[] = {
	{ DG_AUTH_ADFS, F_ADFS_URL, "/authentication/adfsUrl",
	  "Set it to the AD FS server's base URL, e.g. \"https://adfs.contoso.com\"." },
	{ DG_AUTH_ADFS, F_CLIENT_ID, "/authentication/clientId",
	  "Set it to the Client Identifier of the native application in the AD FS "
	  "application group (AD FS Management > Application Groups)." },
	{ DG_AUTH_ADFS, F_REDIRECT_URI, "/authentication/redirectUri",
	  "Set it to MailStore's redirect URI, e.g. \"" REDIRECT_EXAMPLE "\", the same "
	  "string as registered in AD FS." },
	{ DG_AUTH_M365, F_REDIRECT_URI, "/authentication/redirectUri",
	  "Set it to MailStore's redirect URI, e.g. \"" REDIRECT_EXAMPLE "\", the same "
	  "string as registered for the app (platform Web)." },
	{ DG_AUTH_GOOGLE_OIDC, F_CLIENT_ID, "/authentication/clientId",
	  "Set it to the Client ID of the OAuth client of type Web application." },
	{ DG_AUTH_GOOGLE_OIDC, F_CLIENT_SECRET, "/authentication/clientSecret",
	  "Set it to a secret reference for the OAuth client's secret, e.g. "
	  "{\"env\": \"GOOGLE_CLIENT_SECRET\"}." },
	{ DG_AUTH_GOOGLE_OIDC, F_REDIRECT_URI, "/authentication/redirectUri",
	  "Set it to MailStore's redirect URI, e.g. \"" REDIRECT_EXAMPLE "\", the same "
	  "string as in the OAuth client's Authorized redirect URIs." },
};

static void check_method_needs(const dg_authentication *a, dg_findings *out)
{
	for (size_t i = 0; i < sizeof(auth_needs) / sizeof(auth_needs[0]); i++) {
		const struct auth_need *n = &auth_needs[i];
		dg_finding *fd;
		if (n->method != a->method || auth_field_set(a, n->field))
			continue;
		fd = dg_findings_add(out, "AUTH002", DG_SEV_ERROR, n->path,
				     "login method \"%s\" needs %s", dg_auth_method_name(a->method),
				     strrchr(n->path, '/') + 1);
		dg_finding_hint(fd, "%s", n->hint);
	}
}

static int adfs_path_ok(const char *path)
{
	return !*path || !strcmp(path, "/") || !strcasecmp(path, "/adfs") ||
	       !strcasecmp(path, "/adfs/");
}

static void adfs_url_parts(CURLU *h, const char *url, dg_findings *out)
{
	char *scheme = NULL, *path = NULL, *query = NULL, *frag = NULL;
	dg_finding *fd;

	curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(h, CURLUPART_PATH, &path, 0);
	curl_url_get(h, CURLUPART_QUERY, &query, 0);
	curl_url_get(h, CURLUPART_FRAGMENT, &frag, 0);
	if (scheme && strcasecmp(scheme, "https")) {
		fd = dg_findings_add(out, "ADFS001", DG_SEV_ERROR, "/authentication/adfsUrl",
				     "adfsUrl \"%s\" uses %s; AD FS OpenID Connect needs https", url,
				     scheme);
		dg_finding_hint(fd, "Use https://, e.g. \"https://adfs.contoso.com\".");
	} else if ((path && !adfs_path_ok(path)) || query || frag) {
		fd = dg_findings_add(out, "ADFS002", DG_SEV_ERROR, "/authentication/adfsUrl",
				     "adfsUrl \"%s\" has a path, query or fragment; it must be the "
				     "AD FS server's base URL", url);
		dg_finding_hint(fd, "Give only scheme and host, e.g. \"https://adfs.contoso.com\"; "
				"dirgate adds /adfs/.well-known/openid-configuration itself.");
	}
	curl_free(scheme);
	curl_free(path);
	curl_free(query);
	curl_free(frag);
}

static void check_adfs_url(const char *url, dg_findings *out)
{
	CURLU *h = curl_url();
	CURLUcode rc = curl_url_set(h, CURLUPART_URL, url, 0);
	dg_finding *fd;

	if (rc != CURLUE_OK) {
		fd = dg_findings_add(out, "ADFS001", DG_SEV_ERROR, "/authentication/adfsUrl",
				     "adfsUrl \"%s\" is not an absolute URL: %s", url,
				     curl_url_strerror(rc));
		dg_finding_hint(fd, "Give the AD FS server's base URL, e.g. "
				"\"https://adfs.contoso.com\".");
	} else {
		adfs_url_parts(h, url, out);
	}
	curl_url_cleanup(h);
}

/* sAMAccountName by name (case-insensitive, RFC 4512) or by its OID. */
static int is_sam_attribute(const char *attr)
{
	return attr && (!strcasecmp(attr, "sAMAccountName") ||
			!strcmp(attr, "1.2.840.113556.1.4.221"));
}

/* The profile path that makes user names sAMAccountNames, or NULL.  A
 * generic LDAP profile pointed at Active Directory can name the attribute
 * itself. */
static const char *sam_user_name_path(const dg_profile *p)
{
	if (p->directory.type == DG_DIR_ACTIVE_DIRECTORY)
		return dg_profile_user_name_format(p) == DG_UNF_SAM ? "/directory/userNameFormat"
								    : NULL;
	if (p->directory.type == DG_DIR_LDAP && is_sam_attribute(p->directory.ldap.user_name_attr))
		return "/directory/users/userNameAttribute";
	return NULL;
}

/* MailStore matches the AD FS token's claim against the user name, and AD FS
 * sends no sAMAccountName claim unless a rule says so. */
static void check_adfs_claim_rule(const dg_profile *p, dg_findings *out)
{
	const char *path = sam_user_name_path(p);
	dg_finding *fd;

	if (p->auth.method != DG_AUTH_ADFS || !path)
		return;
	fd = dg_findings_add(out, "ADFS004", DG_SEV_WARNING, path,
			     "user names are sAMAccountNames, which AD FS does not put into the "
			     "token by default; without a claim rule MailStore cannot match the "
			     "token to a user");
	dg_finding_hint(fd, "In AD FS Management: Application Groups > the MailStore group > the "
			"Web API > Issuance Transform Rules > Add Rule > template \"Send LDAP "
			"Attributes as Claims\"; Attribute store: Active Directory; LDAP Attribute: "
			"SAM-Account-Name; Outgoing Claim Type: type sAMAccountName. "
			"(userPrincipalName user names need no rule.)");
}

/* Per-method notes: facts about the method itself, not about its settings. */
static const struct method_note {
	dg_auth_method method;
	const char *code;
	dg_severity sev;
	const char *message;
	const char *hint;
} method_notes[] = {
	{ DG_AUTH_WINDOWS, "AUTH003", DG_SEV_WARNING,
	  "integrated Windows authentication cannot be checked or used from Linux: it needs "
	  "Windows clients in the domain and MailStore Server on a domain member",
	  "dirgate checks the directory side only; after switching, test a login from a "
	  "domain-joined Windows client." },
	{ DG_AUTH_ADFS, "AUTH004", DG_SEV_INFO,
	  "users who log in with AD FS cannot use IMAP archive access with their directory "
	  "password",
	  "Tell users who read their archive over IMAP before switching; they keep MailStore "
	  "Client, Web Access and the Outlook add-in." },
	{ DG_AUTH_M365, "AUTH004", DG_SEV_INFO,
	  "users who log in with Microsoft 365 modern authentication cannot use IMAP archive "
	  "access with their directory password",
	  "Tell users who read their archive over IMAP before switching; they keep MailStore "
	  "Client, Web Access and the Outlook add-in." },
	{ DG_AUTH_GOOGLE_OIDC, "AUTH004", DG_SEV_INFO,
	  "users who log in with Google (OpenID Connect) cannot use IMAP archive access with "
	  "their directory password",
	  "Tell users who read their archive over IMAP before switching; they keep MailStore "
	  "Client, Web Access and the Outlook add-in." },
	{ DG_AUTH_GOOGLE_IMAP, "AUTH005", DG_SEV_WARNING,
	  "google-imap is legacy: it logs users in over IMAP, and Google is phasing out "
	  "less-secure-app access",
	  "Set \"method\": \"google-oidc\" with clientId, clientSecret and redirectUri." },
	{ DG_AUTH_M365, "AUTH006", DG_SEV_INFO,
	  "Microsoft 365 modern authentication names MailStore users by their user principal "
	  "name (UPN, e.g. alice@contoso.com)",
	  "If the MailStore users came from Active Directory with sAMAccountName user names, "
	  "they would not match and would get new, empty archives; compare with dirgate plan "
	  "before switching." },
	{ DG_AUTH_M365_BASIC, "AUTH007", DG_SEV_WARNING,
	  "Microsoft has turned off basic authentication in Exchange Online, so "
	  "microsoft-365-basic logins fail for most tenants",
	  "Set \"method\": \"microsoft-365\" (modern authentication) with a redirectUri." },
};

static void add_method_notes(dg_auth_method m, dg_findings *out)
{
	for (size_t i = 0; i < sizeof(method_notes) / sizeof(method_notes[0]); i++) {
		const struct method_note *n = &method_notes[i];
		dg_finding *fd;
		if (n->method != m)
			continue;
		fd = dg_findings_add(out, n->code, n->sev, "/authentication/method", "%s",
				     n->message);
		dg_finding_hint(fd, "%s", n->hint);
	}
}

/* The initial domains Microsoft gives tenants of its national clouds. */
static const struct national_domain {
	const char *suffix;
	const char *cloud;
} national_domains[] = {
	{ ".onmicrosoft.us", "US Government" },
	{ ".onmicrosoft.de", "Germany (retired)" },
	{ ".partner.onmschina.cn", "China (21Vianet)" },
	{ ".onmschina.cn", "China (21Vianet)" },
};

/* The national cloud a tenant domain belongs to, or NULL.  DNS names are
 * case-insensitive; one trailing dot is allowed (dns_name_problem). */
static const char *national_cloud_of(const char *tenant)
{
	size_t n = strlen(tenant);

	if (n && tenant[n - 1] == '.')
		n--;
	for (size_t i = 0; i < sizeof(national_domains) / sizeof(national_domains[0]); i++) {
		size_t m = strlen(national_domains[i].suffix);
		if (n > m && !strncasecmp(tenant + n - m, national_domains[i].suffix, m))
			return national_domains[i].cloud;
	}
	return NULL;
}

/* A tenant given by its domain tells its cloud even without "cloud". */
static void check_national_tenant(const char *tenant, dg_findings *out)
{
	const char *cloud = tenant ? national_cloud_of(tenant) : NULL;
	dg_finding *fd;

	if (!cloud)
		return;
	fd = dg_findings_add(out, "M365004", DG_SEV_WARNING, "/directory/tenantId",
			     "tenantId \"%s\" is a domain of a national cloud (%s); MailStore's "
			     "modern authentication supports only the global Microsoft cloud",
			     tenant, cloud);
	dg_finding_hint(fd, "Use a tenant in the global cloud (its initial domain ends in "
			".onmicrosoft.com), or keep this tenant on another login method.");
}

static void check_national_cloud(const dg_profile *p, dg_findings *out)
{
	const char *cloud = p->directory.m365.cloud;
	dg_finding *fd;

	if (p->directory.type != DG_DIR_M365)
		return;
	if (!cloud || !strcasecmp(cloud, "global")) {
		check_national_tenant(p->directory.m365.tenant_id, out);
		return;
	}
	fd = dg_findings_add(out, "M365004", DG_SEV_WARNING, "/directory/cloud",
			     "cloud is \"%s\"; MailStore's modern authentication supports only "
			     "the global Microsoft cloud", cloud);
	dg_finding_hint(fd, "Use a tenant in the global cloud (\"cloud\": \"global\"), or keep "
			"this tenant on another login method.");
}

static void check_mailstore_rules(const dg_profile *p, dg_findings *out)
{
	check_ad_address_lists(p, out);
	check_method_allowed(p, out);
	check_method_needs(&p->auth, out);
	if (p->auth.method == DG_AUTH_ADFS && p->auth.adfs_url && *p->auth.adfs_url)
		check_adfs_url(p->auth.adfs_url, out);
	check_adfs_claim_rule(p, out);
	add_method_notes(p->auth.method, out);
	check_national_cloud(p, out);
}

/* ===== redirect URI ======================================================= */

static int uri_provider_for(dg_auth_method m)
{
	switch (m) {
	case DG_AUTH_ADFS: return DG_URI_PROVIDER_ADFS;
	case DG_AUTH_M365: return DG_URI_PROVIDER_ENTRA;
	case DG_AUTH_GOOGLE_OIDC: return DG_URI_PROVIDER_GOOGLE;
	default: return -1;
	}
}

/* How the URI is registered in Entra cannot be read from outside (not even
 * with the app's certificate), but the MailStore guide's two traps are worth
 * saying whenever the profile names a URI.  `flawed`: the URI check found it
 * wrong, and the note must not tell the administrator to register it as is. */
static void note_entra_platform(const char *uri, int flawed, dg_findings *out)
{
	dg_finding *fd;

	if (flawed)
		fd = dg_findings_add(out, "M365024", DG_SEV_INFO, "/authentication/redirectUri",
				     "once the redirect URI is corrected (see above), register the "
				     "corrected URI in the app under Authentication > Web (not "
				     "Single-page application) and tick \"ID tokens\"");
	else
		fd = dg_findings_add(out, "M365024", DG_SEV_INFO, "/authentication/redirectUri",
				     "register %s in the app under Authentication > Web (not "
				     "Single-page application) and tick \"ID tokens\"", uri);
	dg_finding_hint(fd, "Entra admin center > App registrations > the app > Authentication "
			"> Add a platform > Web: enter the %s (case-sensitive) "
			"and tick \"ID tokens\" under Implicit grant and hybrid flows. MailStore's "
			"login fails with AADSTS700054 when ID tokens are off and with AADSTS50011 "
			"when the URI differs in any character.",
			flawed ? "corrected URI exactly" : "URI exactly as here");
}

/* Whether findings[from..] hold a warning or error about `path`. */
static int flagged_since(const dg_findings *out, size_t from, const char *path)
{
	for (size_t i = from; i < out->nr; i++)
		if (out->items[i].severity >= DG_SEV_WARNING && !strcmp(out->items[i].path, path))
			return 1;
	return 0;
}

static void check_redirect_uri(const dg_profile *p, dg_findings *out)
{
	int provider = uri_provider_for(p->auth.method);
	dg_uri_opts opts;
	size_t before = out->nr;

	if (provider < 0 || !p->auth.redirect_uri || !*p->auth.redirect_uri)
		return;
	memset(&opts, 0, sizeof(opts));
	opts.provider = (dg_uri_provider)provider;
	opts.spe = p->target.product == DG_PRODUCT_SPE;
	opts.instance_id = p->target.instance_id;
	opts.path = "/authentication/redirectUri";
	dg_uri_check(p->auth.redirect_uri, &opts, out);
	if (provider == DG_URI_PROVIDER_ENTRA)
		note_entra_platform(p->auth.redirect_uri,
				    flagged_since(out, before, opts.path), out);
}

/* ===== key material and referenced files ================================== */

/* The keyPassword value, when it can be had without asking anybody (an
 * offline check never prompts).  NULL when unknown; free with
 * dg_secret_free.  dg_secret_check reports references that do not resolve. */
static char *peek_secret(const dg_secret_ref *ref)
{
	dg_error err;
	char *value = NULL;

	if (ref->kind == DG_SECRET_NONE || ref->kind == DG_SECRET_PROMPT)
		return NULL;
	if (dg_secret_resolve(ref, &value, &err) != DG_OK)
		return NULL;
	return value;
}

static void check_entra_keys(const dg_dir_m365 *m, dg_findings *out)
{
	dg_key_password pw;
	char *value;

	if (!m->cert_file && !m->key_file)
		return;
	value = peek_secret(&m->key_password);
	pw.value = value;
	pw.given = m->key_password.kind != DG_SECRET_NONE;
	dg_keys_check_entra(m->cert_file, m->key_file, &pw, "/directory/certificate", out);
	dg_secret_free(value);
}

static void check_readable(const char *file, const char *path, const char *what,
			   dg_findings *out)
{
	struct stat st;
	dg_finding *fd;
	const char *why = NULL;
	FILE *fp;

	if (stat(file, &st) < 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "it is a directory";
	else if (!(fp = fopen(file, "rb")))
		why = strerror(errno);
	else
		fclose(fp);
	if (!why)
		return;
	fd = dg_findings_add(out, "PROF009", DG_SEV_ERROR, path, "cannot read %s %s: %s",
			     what, file, why);
	dg_finding_hint(fd, "Check the path (a relative path is resolved against the profile's "
			"directory) and that the user running dirgate may read the file.");
}

static void check_key_material(const dg_profile *p, dg_findings *out)
{
	const dg_directory *d = &p->directory;
	const dg_tls_opts *tls = directory_tls(p);

	if (d->type == DG_DIR_M365)
		check_entra_keys(&d->m365, out);
	if (d->type == DG_DIR_GOOGLE && d->google.service_account_key_file)
		dg_keys_check_google(d->google.service_account_key_file,
				     "/directory/serviceAccountKeyFile", out);
	if (tls && tls->ca_file)
		dg_keys_check_ca(tls->ca_file, "/directory/tls/caFile", out);
	if (p->target.present && p->target.ca_file)
		dg_keys_check_ca(p->target.ca_file, "/target/tls/caFile", out);
	if (d->snapshot)
		check_readable(d->snapshot, "/directory/snapshot", "snapshot", out);
}

/* ===== API target ========================================================= */

static void check_target_scheme(const char *url, const char *scheme, dg_findings *out)
{
	dg_finding *fd;

	if (!strcasecmp(scheme, "https"))
		return;
	fd = dg_findings_add(out, "API002", DG_SEV_ERROR, "/target/url",
			     "url \"%s\" uses %s; the MailStore Administration API is only "
			     "served over https", url, scheme);
	dg_finding_hint(fd, "Use https://, e.g. \"https://archive.example.com:8463\" "
			"(MailStore Service Provider Edition: port 8474).");
}

static void check_target_port(const char *url, const char *port, int spe, dg_findings *out)
{
	int want = spe ? API_PORT_SPE : API_PORT_SERVER;
	dg_finding *fd;

	if (port && atoi(port) == want)
		return;
	fd = dg_findings_add(out, "API003", DG_SEV_INFO, "/target/url",
			     "url \"%s\" uses port %s; the %s Administration API listens on %d "
			     "by default", url, port ? port : "the scheme's default (no port given)",
			     spe ? "MailStore SPE" : "MailStore Server", want);
	dg_finding_hint(fd, "Fine if the API was moved to this port; otherwise add :%d to the "
			"URL.", want);
}

static void check_target_path(const char *url, CURLU *h, dg_findings *out)
{
	char *path = NULL, *query = NULL, *frag = NULL;
	dg_finding *fd;

	curl_url_get(h, CURLUPART_PATH, &path, 0);
	curl_url_get(h, CURLUPART_QUERY, &query, 0);
	curl_url_get(h, CURLUPART_FRAGMENT, &frag, 0);
	if ((path && *path && strcmp(path, "/")) || query || frag) {
		fd = dg_findings_add(out, "API004", DG_SEV_WARNING, "/target/url",
				     "url \"%s\" has a path, query or fragment; dirgate appends "
				     "/api/invoke/... to the server's base URL", url);
		dg_finding_hint(fd, "Give only scheme, host and port, e.g. "
				"\"https://archive.example.com:8463\".");
	}
	curl_free(path);
	curl_free(query);
	curl_free(frag);
}

static void check_target_url(const dg_target *t, dg_findings *out)
{
	CURLU *h = curl_url();
	CURLUcode rc = curl_url_set(h, CURLUPART_URL, t->url, 0);
	char *scheme = NULL, *port = NULL;
	dg_finding *fd;

	if (rc != CURLUE_OK) {
		fd = dg_findings_add(out, "API001", DG_SEV_ERROR, "/target/url",
				     "url \"%s\" cannot be parsed: %s", t->url, curl_url_strerror(rc));
		dg_finding_hint(fd, "Give the server's base URL, e.g. "
				"\"https://archive.example.com:8463\".");
		goto done;
	}
	curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(h, CURLUPART_PORT, &port, 0);
	if (scheme)
		check_target_scheme(t->url, scheme, out);
	check_target_port(t->url, port, t->product == DG_PRODUCT_SPE, out);
	check_target_path(t->url, h, out);
done:
	curl_free(scheme);
	curl_free(port);
	curl_url_cleanup(h);
}

/* A missing instanceId is the loader's PROF005; a blank one gets here. */
static void check_target_instance(const dg_target *t, dg_findings *out)
{
	int has_id = t->instance_id && !is_blank(t->instance_id);
	dg_finding *fd;

	if (t->product == DG_PRODUCT_SPE && t->instance_id && !has_id) {
		fd = dg_findings_add(out, "API005", DG_SEV_ERROR, "/target/instanceId",
				     "product is \"spe\", but instanceId is blank; every SPE API "
				     "call names the instance");
		dg_finding_hint(fd, "Set \"instanceId\" to the instance's ID as shown in the SPE "
				"Management Console.");
	} else if (t->product != DG_PRODUCT_SPE && has_id) {
		fd = dg_findings_add(out, "API006", DG_SEV_WARNING, "/target/instanceId",
				     "instanceId \"%s\" is ignored: product is MailStore Server, "
				     "which has no instances", t->instance_id);
		dg_finding_hint(fd, "Remove instanceId, or set \"product\": \"spe\" if the target "
				"is MailStore Service Provider Edition.");
	}
}

static void check_target(const dg_profile *p, dg_findings *out)
{
	const dg_target *t = &p->target;
	dg_finding *fd;

	if (!t->present)
		return;
	if (t->url)
		check_target_url(t, out);
	check_target_instance(t, out);
	/* a missing user is the loader's PROF005; a blank one gets here */
	if (t->user && is_blank(t->user)) {
		fd = dg_findings_add(out, "API007", DG_SEV_ERROR, "/target/user",
				     "user is empty");
		dg_finding_hint(fd, "Give a MailStore administrator's user name, e.g. \"admin\".");
	}
}

/* ===== guards ============================================================= */

static void check_guards(const dg_profile *p, dg_findings *out)
{
	const dg_sync_opts *s = &p->sync;
	dg_finding *fd;

	if (isnan(s->max_drop_percent) || s->max_drop_percent > 100) {
		fd = dg_findings_add(out, "GUARD001", DG_SEV_ERROR, "/sync/guards/maxDropPercent",
				     "maxDropPercent %g is not between 0 and 100",
				     s->max_drop_percent);
		dg_finding_hint(fd, "Give a percentage from 0 to 100, e.g. 10.");
	}
	if (s->min_users == 0) {
		fd = dg_findings_add(out, "GUARD002", DG_SEV_WARNING, "/sync/guards/minUsers",
				     "minUsers is 0, so a push that would leave zero users is not "
				     "stopped");
		dg_finding_hint(fd, "Set \"minUsers\" to at least 1 (e.g. a little below today's "
				"user count).");
	}
	if (s->delete_users == 1 && s->max_deletes_defaulted) {
		fd = dg_findings_add(out, "GUARD003", DG_SEV_INFO, "/sync/guards/maxDeletes",
				     "deleteUsers is true and maxDeletes is not set: the default "
				     "limit of %d deletions per synchronisation applies",
				     DG_SYNC_DEFAULT_MAX_DELETES);
		dg_finding_hint(fd, "Set \"/sync/guards/maxDeletes\" to what one run may "
				"delete in this directory (0 allows none).");
	}
}

/* "none" and "admin" are whole privilege sets of their own in the
 * Administration API (reference §2.4.3); combined with others the server
 * refuses the call. */
static void check_privileges(const dg_profile *p, dg_findings *out)
{
	const dg_strarr *pr = &p->sync.default_privileges;
	dg_finding *fd;

	if (pr->nr < 2)
		return;
	for (size_t i = 0; i < pr->nr; i++) {
		if (strcmp(pr->items[i], "none") && strcmp(pr->items[i], "admin"))
			continue;
		fd = dg_findings_add(out, "API008", DG_SEV_ERROR, "/sync/defaultPrivileges",
				     "privilege \"%s\" must stand alone, but %zu privileges are listed",
				     pr->items[i], pr->nr);
		dg_finding_hint(fd, "Use [\"%s\"] on its own, or drop it and list the privileges "
				"users should have, e.g. [\"login\"].", pr->items[i]);
		return;
	}
}

/* ===== secrets ============================================================ */

static void check_secrets(const dg_profile *p, dg_findings *out)
{
	const dg_secret_ref *refs[32];
	size_t n = dg_profile_secrets(p, refs, sizeof(refs) / sizeof(refs[0]));

	if (n > sizeof(refs) / sizeof(refs[0]))
		n = sizeof(refs) / sizeof(refs[0]);
	for (size_t i = 0; i < n; i++)
		dg_secret_check(refs[i], out);
}

/* ===== entry point ======================================================== */

void dg_check_offline(const dg_profile *p, dg_findings *out)
{
	check_identifiers(p, out);
	check_directory_ldap(p, out);
	check_tls(p, out);
	check_mailstore_rules(p, out);
	check_redirect_uri(p, out);
	check_key_material(p, out);
	check_target(p, out);
	check_guards(p, out);
	check_privileges(p, out);
	check_secrets(p, out);
}

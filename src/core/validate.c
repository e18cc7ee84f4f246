/* Syntax validators shared by every rule (validate.h): one of each. */
#include "validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ldap.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dg_is_blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

int dg_has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return 1;
	return 0;
}

int dg_is_guid(const char *s)
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

void dg_guid_problem(const char *s, dg_strbuf *why)
{
	size_t n = strlen(s);
	if (n == 38 && s[0] == '{' && s[37] == '}')
		dg_strbuf_adds(why, "it is wrapped in braces");
	else if (dg_has_space(s))
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
int dg_dns_name_problem(const char *s, dg_strbuf *why)
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

/* A DNS domain as tenants and directories name themselves: a host name
 * with at least two labels. */
int dg_domain_problem(const char *s, dg_strbuf *why)
{
	const char *dot = strchr(s, '.');

	if (dg_dns_name_problem(s, why) < 0)
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
int dg_host_problem(const char *s, dg_strbuf *why)
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
	return dg_dns_name_problem(s, why);
}

int dg_email_problem(const char *s, dg_strbuf *why)
{
	const char *at = strrchr(s, '@');

	if (!at || at == s) {
		dg_strbuf_adds(why, at ? "nothing comes before the '@'" : "it has no '@'");
		return -1;
	}
	if (dg_has_space(s)) {
		dg_strbuf_adds(why, "it contains whitespace");
		return -1;
	}
	if (memchr(s, '@', (size_t)(at - s))) {
		dg_strbuf_adds(why, "it has more than one '@'");
		return -1;
	}
	if (dg_domain_problem(at + 1, why) < 0) {
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
int dg_attr_problem(const char *s, dg_strbuf *why)
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

/* ---- distinguished names ---------------------------------------------- */

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
	bad = dg_attr_problem(type, why);
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

int dg_dn_problem(const char *dn, dg_strbuf *why)
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
int dg_looks_like_dn(const char *s)
{
	s = skip_spaces(s);
	if (!isalnum((unsigned char)*s))
		return 0;
	while (isalnum((unsigned char)*s) || *s == '-' || *s == '.')
		s++;
	return *skip_spaces(s) == '=';
}

/* Traffic to this computer never crosses a network (127.0.0.0/8, ::1,
 * localhost); no server given means a domain controller found by DNS. */
int dg_is_loopback_host(const char *host)
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

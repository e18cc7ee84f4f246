/* Syntax validators every rule shares: GUIDs, DNS names, domains, hosts,
 * e-mail addresses, LDAP attribute names and DNs.  One of each, used by the
 * provider rules and the generic checks alike.
 *
 * The *_problem functions return 0 when the value is fine, or -1 after
 * appending to `why` a short reason an administrator can act on ("label
 * \"a_b\" contains '_', ..."); they add no finding themselves. */
#ifndef DG_VALIDATE_H
#define DG_VALIDATE_H

#include "strbuf.h"

/* NULL, "" and whitespace only are blank. */
int dg_is_blank(const char *s);
int dg_has_space(const char *s);

/* 8-4-4-4-12 hex digits, the form identity providers show GUIDs in. */
int dg_is_guid(const char *s);
/* Says why s is not such a GUID (braces, whitespace, or the form). */
void dg_guid_problem(const char *s, dg_strbuf *why);

/* RFC 1123 host name syntax (one trailing dot allowed). */
int dg_dns_name_problem(const char *s, dg_strbuf *why);
/* A DNS domain as tenants and directories use it: a host name with at
 * least two labels. */
int dg_domain_problem(const char *s, dg_strbuf *why);
/* A server field: a host name or an IP address, nothing else (no scheme,
 * port or path). */
int dg_host_problem(const char *s, dg_strbuf *why);
/* One '@' with something before it and a domain after it. */
int dg_email_problem(const char *s, dg_strbuf *why);

/* RFC 4512 attribute description: (descr / numericoid) *( ";" option ). */
int dg_attr_problem(const char *s, dg_strbuf *why);
/* A DN libldap accepts (RFC 4514); otherwise the first bad
 * attribute-value pair, as libldap itself only says "Decoding error". */
int dg_dn_problem(const char *dn, dg_strbuf *why);
/* "CN=Sales,OU=..." rather than a plain group name like "Sales". */
int dg_looks_like_dn(const char *s);

/* Traffic to this host never crosses a network (127.0.0.0/8, ::1,
 * localhost). */
int dg_is_loopback_host(const char *host);

#endif

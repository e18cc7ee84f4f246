/* Distinguished names (RFC 4514): the canonical form DNs are compared and
 * looked up by, in snapshots and live reads alike. */
#ifndef DG_LDAP_DN_H
#define DG_LDAP_DN_H

#include "../../core/strbuf.h"

#include <stddef.h>

/* Writes a canonical form of the RFC 4514 DN `dn` to `out` (replacing its
 * contents): attribute types and values lower-cased, escapes resolved,
 * insignificant spaces dropped, specials re-escaped as \xx, multi-valued
 * RDNs sorted.  Two DNs name the same entry when their canonical forms are
 * equal, and a literal ',' in the result always separates RDNs, so "is
 * under base" is a suffix test.  Returns 0, or -1 when dn is not a DN. */
int dg_dn_canonical(const char *dn, size_t len, dg_strbuf *out);

/* Both canonical: is `dn` equal to or below `base`?  An empty base holds
 * everything. */
int dg_dn_is_under(const char *dn, size_t len, const char *base, size_t base_len);

/* Is the value of the first RDN of DN v[0..n) `want` (ASCII case ignored)? */
int dg_dn_first_rdn_is(const char *v, size_t n, const char *want);

/* Appends plain value v escaped for an RDN, to build "CN=<name>". */
void dg_dn_escape_value(const char *v, dg_strbuf *out);

/* Does spec start like a DN ("type=...")?  Tells a group given by DN from
 * one given by name; the DN itself is checked when it is looked up. */
int dg_dn_looks_like(const char *spec);

#endif

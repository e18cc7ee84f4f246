/* The LDIF snapshot connector for active-directory and ldap profiles, and
 * the DN helpers it is built on (exposed for the unit tests). */
#ifndef DG_SNAPSHOT_LDAP_H
#define DG_SNAPSHOT_LDAP_H

#include "connector.h"

#include "../core/strbuf.h"

#include <stddef.h>

extern const dg_connector dg_connector_ldap_snapshot;

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

#endif

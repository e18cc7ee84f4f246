/* The LDIF snapshot connector for active-directory and ldap profiles, and
 * the DN helpers it is built on (exposed for the unit tests). */
#ifndef DG_SNAPSHOT_LDAP_H
#define DG_SNAPSHOT_LDAP_H

#include "../connector.h"

#include "../../core/entry.h"
#include "../../core/strbuf.h"

#include <stddef.h>

extern const dg_connector dg_connector_ldap_snapshot;

/* The snapshot engine fed one entry at a time instead of from a file (the
 * live connector streams its search through it, so nothing but the
 * engine's own tables is held).  An entry fed is judged exactly as the
 * same entry read back from a snapshot file: only the attributes the file
 * reader keeps are looked at.  begin fails only for a profile type that has
 * no LDAP directory; feed_end(feed, 1) runs the group selection and the
 * findings of a complete read into `out`, feed_end(feed, 0) just frees. */
typedef struct dg_snapshot_feed dg_snapshot_feed;
dg_code dg_snapshot_feed_begin(const dg_profile *p, dg_fetch_result *out,
			       dg_snapshot_feed **feed, dg_error *err);
/* Borrows e for the call only. */
void dg_snapshot_feed_entry(dg_snapshot_feed *feed, dg_entry *e);
void dg_snapshot_feed_end(dg_snapshot_feed *feed, int complete);

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

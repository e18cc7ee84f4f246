/* The LDAP engine: active-directory and ldap profiles judged on directory
 * entries fed one at a time, from an LDIF snapshot or a live search, into
 * the users (and findings) MailStore's synchronisation would see.  Nothing
 * but the engine's own tables is held, and an entry is judged the same
 * whichever way it came. */
#ifndef DG_LDAP_ENGINE_H
#define DG_LDAP_ENGINE_H

#include "../connector.h"

#include "../../core/entry.h"

#include <stddef.h>

typedef struct dg_ldap_engine dg_ldap_engine;

/* Fails only for a profile type that has no LDAP directory.  `file` names
 * the source in findings (NULL for a live directory: no line to point at). */
dg_code dg_ldap_engine_begin(const dg_profile *p, const char *file, dg_fetch_result *out,
			     dg_ldap_engine **eng, dg_error *err);

/* About `entries` entries with `dn_bytes` of DNs are coming: the arrays
 * that grow with the directory are sized once instead of by doubling. */
void dg_ldap_engine_expect(dg_ldap_engine *eng, size_t entries, size_t dn_bytes);

/* Does the engine read attribute type[0..len) (no options)?  What the
 * LDIF reader's want_attr (ldif.h) answers. */
int dg_ldap_engine_wants(const dg_ldap_engine *eng, const char *type, size_t len);

/* One entry, borrowed for the call.  read: e holds only attributes the
 * engine wants (the LDIF reader asked); feed: any, the rest are ignored. */
void dg_ldap_engine_read(dg_ldap_engine *eng, dg_entry *e);
void dg_ldap_engine_feed(dg_ldap_engine *eng, dg_entry *e);

/* complete: runs the group selection and the findings of a complete read
 * into the result; otherwise (or NULL) just frees. */
void dg_ldap_engine_end(dg_ldap_engine *eng, int complete);

#endif

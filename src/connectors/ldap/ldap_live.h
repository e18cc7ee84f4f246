/* Live ldap / active-directory directories.  A live preview fetches the
 * entries the snapshot engine reads (users and groups, with the attributes
 * it uses) and streams each one through that engine as it arrives;
 * `dirgate snapshot` writes the same entries as an LDIF file instead — so
 * the file, previewed offline, gives exactly the live result. */
#ifndef DG_LDAP_LIVE_H
#define DG_LDAP_LIVE_H

#include "../connector.h"

#include <stdio.h>

/* Connects as the profile says and writes the snapshot to `fp`, each entry
 * as it arrives.  *base and *uri (caller frees) say where it came from;
 * *count how many entries.  `progress` (may be NULL) hears the count. */
dg_code dg_ldap_live_snapshot(const dg_profile *p, FILE *fp, const dg_progress *progress,
			      size_t *count, char **base, char **uri, dg_findings *f,
			      dg_error *err);

extern const dg_connector dg_connector_ldap_live;

#endif

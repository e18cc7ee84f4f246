/* Live ldap / active-directory directories.  A live preview fetches the
 * entries the snapshot engine reads (users and groups, with the attributes
 * it uses), writes them as an LDIF snapshot and runs the snapshot connector
 * over it — so `dirgate snapshot` output, previewed offline, gives exactly
 * the live result by construction. */
#ifndef DG_LDAP_LIVE_H
#define DG_LDAP_LIVE_H

#include "connector.h"

#include <stdio.h>

/* Connects as the profile says and writes the snapshot to `fp`.  *base and
 * *uri (caller frees) say where it came from; *count how many entries. */
dg_code dg_ldap_live_snapshot(const dg_profile *p, FILE *fp, size_t *count, char **base,
			      char **uri, dg_findings *f, dg_error *err);

extern const dg_connector dg_connector_ldap_live;

#endif

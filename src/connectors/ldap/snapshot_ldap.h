/* The LDIF snapshot connector for active-directory and ldap profiles. */
#ifndef DG_SNAPSHOT_LDAP_H
#define DG_SNAPSHOT_LDAP_H

#include "../connector.h"

extern const dg_connector dg_connector_ldap_snapshot;

#endif

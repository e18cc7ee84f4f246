/* Offline rules for LDAP and Active Directory profiles: server and
 * domain names, DNs, attribute names, filters, the group model, TLS and
 * the bind, and which login methods go with them.  Part of dirgate check
 * --offline (core/checks.h). */
#ifndef DG_LDAP_RULES_H
#define DG_LDAP_RULES_H

#include "../../core/findings.h"
#include "../../core/profile.h"

/* Runs the rules for active-directory and ldap profiles; does nothing for
 * other directory types. */
void dg_ldap_check_offline(const dg_profile *p, dg_findings *out);

/* The profile path that makes user names sAMAccountNames, or NULL: AD's
 * userNameFormat, or an ldap profile naming the attribute itself (by name
 * or OID), as one pointed at Active Directory can. */
const char *dg_ldap_sam_user_name_path(const dg_profile *p);

#endif

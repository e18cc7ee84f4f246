/* Offline rules for AD FS login (authentication.method "adfs", with
 * active-directory and ldap directories): the client identifier, the AD FS
 * URL, the claim rule sAMAccountName user names need, the redirect URI.
 * Part of dirgate check --offline (core/checks.h). */
#ifndef DG_ADFS_RULES_H
#define DG_ADFS_RULES_H

#include "../../core/findings.h"
#include "../../core/profile.h"
#include "../../core/uri_rules.h"

/* Runs the rules for the adfs login method; nothing for other profiles. */
void dg_adfs_check_offline(const dg_profile *p, dg_findings *out);

/* AD FS's rules for the redirect URIs registered there (dg_uri_check). */
extern const dg_uri_rules dg_adfs_uri_rules;

#endif

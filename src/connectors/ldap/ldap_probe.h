/* Live probes for `dirgate check` on ldap and active-directory profiles:
 * connect and bind as the profile says, read the RootDSE, settle the base
 * DN, and count what the user filter selects — each step a finding, each
 * search shown as the ldapsearch command that repeats it by hand. */
#ifndef DG_LDAP_PROBE_H
#define DG_LDAP_PROBE_H

#include "../../core/entry.h"
#include "../../core/findings.h"
#include "../../core/profile.h"

/* Appends the probes' findings to `out`.  With `test_user` (a user name as
 * users log in to MailStore, or a DN), also logs that user on with the
 * password behind /authentication/testPassword (prompted for when the
 * profile has none), as MailStore's "Test authentication" does.  Returns 0
 * when every probe ran, -1 when one could not (the findings say why). */
int dg_ldap_probe(const dg_profile *p, const char *test_user, dg_findings *out);

/* Attribute names (all NAMEs and the OID) from the subschema's
 * attributeTypes values: "( 2.5.4.3 NAME ( 'cn' 'commonName' ) ... )",
 * appended to `names`. */
void dg_ldap_schema_names(const dg_attr *types, dg_strlist *names);

#endif

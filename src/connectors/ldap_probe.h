/* Live probes for `dirgate check` on ldap and active-directory profiles:
 * connect and bind as the profile says, read the RootDSE, settle the base
 * DN, and count what the user filter selects — each step a finding, each
 * search shown as the ldapsearch command that repeats it by hand. */
#ifndef DG_LDAP_PROBE_H
#define DG_LDAP_PROBE_H

#include "../core/findings.h"
#include "../core/profile.h"

/* Appends the probes' findings to `out`.  Returns 0 when every probe ran,
 * -1 when one could not (the findings say why, e.g. the bind failed). */
int dg_ldap_probe(const dg_profile *p, dg_findings *out);

#endif

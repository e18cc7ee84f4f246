/* dirgate check --offline: every rule that needs no network, run over a
 * loaded profile.  Each rule appends findings; none prints. */
#ifndef DG_CHECKS_H
#define DG_CHECKS_H

#include "findings.h"
#include "profile.h"

/* Runs all offline rules (identifiers, DNs, filters, redirect URI, key
 * material, CA files, secret references, MailStore's option rules). */
void dg_check_offline(const dg_profile *p, dg_findings *out);

#endif

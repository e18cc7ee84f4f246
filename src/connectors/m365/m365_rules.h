/* Offline rules for Microsoft 365: the microsoft-365 directory (tenant
 * and client IDs, national clouds, the app's certificate and key) and the
 * Microsoft 365 login methods (their notes, the redirect URI as Entra ID
 * registers it).  Part of dirgate check --offline (core/checks.h). */
#ifndef DG_M365_RULES_H
#define DG_M365_RULES_H

#include "../../core/findings.h"
#include "../../core/profile.h"
#include "../../core/uri_rules.h"

/* Runs the rules for a microsoft-365 directory and for the microsoft-365
 * and microsoft-365-basic login methods; nothing for other profiles. */
void dg_m365_check_offline(const dg_profile *p, dg_findings *out);

/* Entra ID's rules for the redirect URIs registered there (dg_uri_check). */
extern const dg_uri_rules dg_m365_uri_rules;

#endif

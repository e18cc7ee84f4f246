/* Offline rules for Google Workspace: the google-workspace directory
 * (administrator, domain, API endpoint, TLS, the service-account key) and
 * the Google login methods (OAuth client, redirect URI).  Part of dirgate
 * check --offline (core/checks.h). */
#ifndef DG_GOOGLE_RULES_H
#define DG_GOOGLE_RULES_H

#include "../../core/findings.h"
#include "../../core/profile.h"

/* Runs the rules for a google-workspace directory and for the google-oidc
 * and google-imap login methods; nothing for other profiles. */
void dg_google_check_offline(const dg_profile *p, dg_findings *out);

#endif

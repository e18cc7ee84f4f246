/* Offline rules for Google Workspace: the google-workspace directory
 * (administrator, domain, API endpoint, TLS, the service-account key) and
 * the Google login methods (OAuth client, redirect URI).  Part of dirgate
 * check --offline (core/checks.h). */
#ifndef DG_GOOGLE_RULES_H
#define DG_GOOGLE_RULES_H

#include "../../core/findings.h"
#include "../../core/profile.h"
#include "../../core/uri_rules.h"

/* Runs the rules for a google-workspace directory and for the google-oidc
 * and google-imap login methods; nothing for other profiles. */
void dg_google_check_offline(const dg_profile *p, dg_findings *out);

/* Google's rules for the redirect URIs registered there (dg_uri_check). */
extern const dg_uri_rules dg_google_uri_rules;

#endif

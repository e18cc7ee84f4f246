/* MailStore's own offline rules: the Administration API target (URL,
 * product, instance, user, TLS), the push guards and the default
 * privileges.  Part of dirgate check --offline (core/checks.h). */
#ifndef DG_MAILSTORE_RULES_H
#define DG_MAILSTORE_RULES_H

#include "../core/findings.h"
#include "../core/profile.h"

void dg_mailstore_check_offline(const dg_profile *p, dg_findings *out);

#endif

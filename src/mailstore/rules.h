/* MailStore's own offline rules: the Administration API target (URL,
 * product, instance, user, TLS), the push guards and the default
 * privileges; and the whole of dirgate check --offline, which runs them
 * after the directory's (core/checks.h). */
#ifndef DG_MAILSTORE_RULES_H
#define DG_MAILSTORE_RULES_H

#include "../core/findings.h"
#include "../core/profile.h"

void dg_mailstore_check_offline(const dg_profile *p, dg_findings *out);

/* Every rule that needs no network, in the order an administrator fixes
 * things: the directory's and login's, MailStore's, then the secrets. */
void dg_check_offline(const dg_profile *p, dg_findings *out);

#endif

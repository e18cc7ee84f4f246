/* The live half of `dirgate check` (and of onboard's check step): the
 * probes the profile's directory type and login method have.  No printing:
 * when probes were skipped, `note` says why (the caller shows it). */
#ifndef DG_LIVE_CHECK_H
#define DG_LIVE_CHECK_H

#include "../core/profile.h"

/* Live probes run only on a profile whose offline rules found no error:
 * probing with a known-broken profile only adds noise. */
void dg_check_live(const dg_profile *p, const char *test_user, dg_findings *findings,
		   dg_strbuf *note);

#endif

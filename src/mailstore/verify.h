/* Proof after a synchronisation: the server's users (GetUsers and
 * GetUserInfo) against the preview that predicted them.  A plan built now
 * should change nothing; every user it would still create, rename or
 * update, and every directory-services user the preview does not give, is
 * a finding - each naming the likely cause: a key of the target map the
 * server does not hold as the profile sets it (it ignored or dropped it),
 * or one marked "assumed" in schemas/mailstore/directory-services.json
 * (see docs/cutover.md "Proof after the sync"). */
#ifndef DG_MS_VERIFY_H
#define DG_MS_VERIFY_H

#include "plan.h"

typedef struct dg_verify {
	size_t expected;            /* preview users */
	size_t matched;             /* on the server as predicted */
	size_t missing, renamed, differing, unexpected;
	dg_findings findings;       /* API040-API044, and the plan's own */
} dg_verify;

/* `plan` is built from the preview and the server state after the sync
 * (its findings - the preview's among them - move into out).
 * `profile_json` is the profile file's JSON, `map` the target map. */
void dg_verify_build(const dg_profile *p, const dg_tmap *map, const cJSON *profile_json,
		     dg_plan *plan, const dg_srv_state *st, dg_verify *out);
void dg_verify_release(dg_verify *v);

void dg_verify_text(dg_strbuf *out, const dg_verify *v, const dg_profile *p, int color);
void dg_verify_json(dg_strbuf *out, const dg_verify *v, const dg_profile *p);

#endif

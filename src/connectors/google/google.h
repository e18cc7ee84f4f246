/* The google-workspace connector: users from the Admin SDK Directory API
 * (live), or from saved Admin SDK pages (a snapshot written by
 * dg_google_live_snapshot / `dirgate snapshot`).
 *
 * Live: a token by domain-wide delegation (google_auth.h); each selected
 * group looked up (by e-mail with groups.get, by name with groups.list),
 * its members listed with includeDerivedMembership=true; then users.list
 * (customer my_customer, maxResults 500) page by page.  Paging is bounded
 * (a page chain that loops or keeps coming back empty is refused), 403
 * rate-limit answers back off (bounded), an access token that expires
 * mid-run is renewed, 429/503 are retried by the HTTP layer.
 *
 * The snapshot is JSON Lines: a header line, then every page exactly as
 * the API returned it, in the order the live run read them; reading it
 * goes through the same page reader (google_pages.h). */
#ifndef DG_GOOGLE_H
#define DG_GOOGLE_H

#include "../connector.h"

#include <stdio.h>

extern const dg_connector dg_connector_google_live;
extern const dg_connector dg_connector_google_snapshot;

/* Reads the directory live and writes the snapshot to `fp`; *count says
 * how many users, *source (caller frees) where they came from.  Findings
 * (group lookups, refused requests) go to `f`; `progress` (may be NULL)
 * hears the user count after every page. */
dg_code dg_google_live_snapshot(const dg_profile *p, FILE *fp, const dg_progress *progress,
				size_t *count, char **source, dg_findings *f, dg_error *err);

/* Live probes for `dirgate check`: token, Directory API reachable, every
 * selected group found exactly once.  Returns 0 when every probe ran. */
int dg_google_probe(const dg_profile *p, dg_findings *out);

/* Reads a snapshot from memory (for the fuzzer and unit tests): the same
 * reader as the snapshot connector.  `name` is used in messages. */
dg_code dg_google_snapshot_read_mem(const dg_profile *p, const char *text, size_t len,
				    const char *name, dg_fetch_result *out, dg_error *err);

#endif

/* The microsoft-365 connector: Entra ID users through Microsoft Graph.
 *
 * Live: an app-only token (entra_token.h), then the selected groups looked
 * up by display name and expanded with transitiveMembers, then /v1.0/users
 * with $select of exactly what the rules need and $top=999, following
 * @odata.nextLink verbatim (bounded; a link that repeats is an error).
 * 429/503 are retried by the HTTP layer honouring Retry-After (bounded); a
 * token that expires mid-run is renewed with a fresh assertion (the
 * requests and their paging are net/pager.h's).
 *
 * Snapshot: the same Graph pages, saved by `dirgate snapshot`, replayed
 * through the same code, so the offline preview is exactly the live one.
 * JSON Lines, one page per line so a large directory is read a page at a
 * time:
 *   {"format": "dirgate-microsoft-graph-snapshot", "version": 1, "tenantId": "..."}
 *   {"stream": "group:NAME", "page": {...}}
 *   {"stream": "members:ID", "page": {...}}      (as many as Graph sent)
 *   {"stream": "users", "page": {...}}
 * where each page is Graph's answer as received. */
#ifndef DG_M365_CONN_H
#define DG_M365_CONN_H

#include "../connector.h"

#include <stdio.h>

#define DG_M365_SNAPSHOT_FORMAT "dirgate-microsoft-graph-snapshot"
/* No tenant has this many pages of 999 users; a chain this long is broken. */
#define DG_M365_MAX_PAGES 2000

extern const dg_connector dg_connector_m365_live;
extern const dg_connector dg_connector_m365_snapshot;

/* dirgate snapshot: fetches live and writes the pages to `fp`; `*users`
 * gets the number of users read.  Findings as for a preview; `progress`
 * (may be NULL) hears the user count after every /users page. */
dg_code dg_m365_snapshot(const dg_profile *p, FILE *fp, const dg_progress *progress,
			 size_t *users, dg_findings *out, dg_error *err);

/* dirgate check, live part: token, Graph reachable, each selected group
 * found exactly once, the redirect URI reminder.  Returns 0 when every probe
 * ran, -1 when one could not (the findings say why). */
int dg_m365_probe(const dg_profile *p, dg_findings *out);

#endif

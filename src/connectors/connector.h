/* One interface for every directory back end (after SSSD's providers):
 * given a profile, produce dg_dir_user records for the mapping engine.
 * Connectors never print; problems become findings, failures dg_errors. */
#ifndef DG_CONNECTOR_H
#define DG_CONNECTOR_H

#include "../core/error.h"
#include "../core/findings.h"
#include "../core/mapping.h"
#include "../core/profile.h"

/* Progress of a long fetch: fn gets the entries read so far, often (every
 * ~1000 entries), and once more with done = 1 at the end.  Whoever prints
 * decides how often to show it. */
typedef struct dg_progress {
	void (*fn)(void *ctx, size_t entries, int done);
	void *ctx;
} dg_progress;

typedef struct dg_fetch_result {
	/* The records' strings live in users.arena when the connector set one
	 * (the snapshot connector does; ownership rule in mapping.h), so
	 * the mapping can hand the whole arena to the preview. */
	dg_dir_user_list users;
	size_t entries_read;     /* entries looked at, users or not */
	char *source_detail;     /* e.g. the snapshot path, for reports */
	dg_findings findings;    /* e.g. LDIF problems, incomplete results */
	const dg_progress *progress; /* set by the caller, or NULL */
	/* Set by the caller, or NULL: a connector that reads pages on a second
	 * thread may hand each read page's records here, on the fetch's
	 * thread, while later pages are still read; they come before those
	 * left in `users`, in order.  Their strings stay in users.arena. */
	dg_dir_users_fn settled;
	void *settled_ctx;
	/* The tenant's verified e-mail domains, lower case, when the directory
	 * has such a notion and they were read (known = 1); the data-quality
	 * rules judge addresses against them. */
	dg_strlist verified_domains;
	int verified_domains_known;
	/* Command lines that repeat the live queries by hand (curl with the
	 * token as a shell variable; '#' lines say what the variable holds),
	 * the first page of each. */
	dg_strlist queries;
} dg_fetch_result;

typedef struct dg_connector {
	const char *name;        /* "ldap-snapshot", ... */
	/* Fetches users.  DG_OK with findings for input problems; an error
	 * code only when nothing useful could be produced. */
	dg_code (*fetch)(const dg_profile *p, dg_fetch_result *out, dg_error *err);
} dg_connector;

/* The connector that serves this profile (snapshot or live), or NULL with
 * err set (e.g. live fetching for a type that has no live connector yet). */
const dg_connector *dg_connector_for(const dg_profile *p, dg_error *err);

void dg_fetch_result_release(dg_fetch_result *r);

/* The whole pipeline for one profile: its connector fetches, MailStore's
 * rules map (taking the records apart as they go, so the directory is not
 * held twice), and `pv` gets the users, skipped entries, conflicts, the
 * fetch's findings and where it all came from.  On failure pv holds only
 * the findings that say why it stopped (release it either way). */
dg_code dg_connector_preview(const dg_profile *p, dg_preview *pv, dg_error *err);
/* The same, reporting the fetch's progress to `progress` (may be NULL). */
dg_code dg_connector_preview_progress(const dg_profile *p, const dg_progress *progress,
				      dg_preview *pv, dg_error *err);

/* Mapping options as this profile selects them. */
void dg_connector_mapping_opts(const dg_profile *p, dg_mapping_opts *opts);

#endif

/* The plan: the directory (a preview) against the live MailStore server.
 *
 * Users: each preview user is created, updated (full name, e-mail
 * addresses, DN), left unchanged, or - when no server user has its name but
 * one matches it by DN or e-mail address - a rename: MailStore knows users
 * (and their archives) by name only, so synchronisation would create a
 * second user with an empty archive.  Server users from directory services
 * that the directory no longer has are deleted only with sync.deleteUsers.
 * Configuration: the target map applied to GetDirectoryServicesConfiguration.
 * Guards (sync.guards) become GUARD findings that push enforces.
 *
 * A saved plan (--out) carries a fingerprint of the server state (the
 * configuration and GetUsers) so push can refuse when the server changed.
 *
 * A user GetUsers lists can be deleted (by an administrator, or a running
 * synchronisation) before its GetUserInfo: the plan then treats it as gone
 * and warns (API013). */
#ifndef DG_MS_PLAN_H
#define DG_MS_PLAN_H

#include "../core/mapping.h"
#include "api.h"
#include "targetmap.h"

typedef struct dg_srv_user {
	char *user_name, *full_name, *dn;   /* full_name, dn may be NULL */
	int directory;                      /* authentication == directoryServices */
	dg_strlist emails;
	/* GetUserInfo's privileges and loginPrivileges, as listed; `info` is
	 * set once GetUserInfo answered (without it these say nothing), and
	 * `login_listed` when the answer had loginPrivileges at all (older
	 * servers have none: every login is allowed then). */
	dg_strlist privileges, login_privileges;
	int info, login_listed;
} dg_srv_user;

typedef struct dg_srv_state {
	dg_srv_user *users;
	size_t nusers, alloc;
	cJSON *config;                      /* GetDirectoryServicesConfiguration result */
	char fingerprint[65];               /* SHA-256 hex of config + GetUsers */
	dg_strlist vanished;                /* listed by GetUsers, deleted before
					       their GetUserInfo; not in users */
} dg_srv_state;

/* GetDirectoryServicesConfiguration and GetUsers; with `with_info`,
 * GetUserInfo for every user (`parallel` in flight) for e-mail addresses and
 * authentication.  A GetUserInfo answered "failed" is a deleted user when a
 * second GetUsers no longer lists it (dg_srv_drop_vanished); every other
 * failure fails the fetch. */
dg_code dg_srv_fetch(dg_ms_client *c, int with_info, int parallel, dg_srv_state *st,
		     dg_error *err);
/* After GetUserInfo answered "failed" for the users at idx[0..n), with
 * `now` a fresh GetUsers answer: when `now` lists none of them they move
 * from users to vanished, and the fingerprint becomes that of `now` if it
 * lists exactly the users left (the state the plan describes), else that
 * of no user list, which no server matches.  Returns the position in idx
 * of a user `now` still lists (then nothing changed), or n. */
size_t dg_srv_drop_vanished(dg_srv_state *st, const size_t *idx, size_t n, const cJSON *now);
void dg_srv_state_release(dg_srv_state *st);
/* The same state from saved answers (offline): `config` a
 * GetDirectoryServicesConfiguration result (may be NULL: an empty object),
 * `users` an array of GetUserInfo results (a users export, see
 * dg_srv_export_users).  `name` is used in messages. */
dg_code dg_srv_state_from_json(const cJSON *config, const cJSON *users, const char *name,
			       dg_srv_state *st, dg_error *err);
/* The users export of a state fetched with GetUserInfo: {"dirgateUsers":
 * 1, "fingerprint": ..., "users": [...]}, each user with GetUserInfo's
 * members dirgate reads (userName, fullName, distinguishedName,
 * authentication, emailAddresses, privileges, loginPrivileges when the
 * server listed them).  dg_srv_state_from_json reads it back. */
cJSON *dg_srv_users_json(const dg_srv_state *st);

typedef enum dg_action {
	DG_ACT_CREATE, DG_ACT_UPDATE, DG_ACT_RENAME, DG_ACT_DELETE, DG_ACT_UNCHANGED,
	DG_ACT_COUNT
} dg_action;
const char *dg_action_name(dg_action a);

enum { DG_CHG_FULLNAME = 1, DG_CHG_EMAILS = 2, DG_CHG_DN = 4 };

typedef struct dg_plan_item {
	dg_action action;
	const dg_ms_user *dir;              /* NULL for delete */
	const dg_srv_user *srv;             /* NULL for create */
	unsigned changed;                   /* DG_CHG_* (update) */
	const char *match;                  /* rename: "distinguishedName" / "emailAddress" */
} dg_plan_item;

typedef struct dg_plan {
	dg_plan_item *items;
	size_t nr, alloc;
	size_t counts[DG_ACT_COUNT];
	size_t server_users;                /* GetUsers */
	size_t server_directory_users;      /* of them from directory services */
	size_t not_in_directory;            /* kept: not matched, not deleted */
	size_t preview_users;
	dg_cfg_diff config;
	const dg_preview *preview;          /* what the plan was made from (its
					       conflicts and skips are reported) */
	dg_findings findings;               /* renames (API009), users deleted while
					       planning (API013), guards (GUARD004-006) */
} dg_plan;

/* What the guards (sync.guards) measure, from a plan or from a
 * synchronisation's dry run; DG_GUARD_UNKNOWN where the source does not
 * say. */
#define DG_GUARD_UNKNOWN ((size_t)-1)
typedef struct dg_guard_counts {
	size_t directory_users;     /* users the directory gives */
	size_t server_users;        /* MailStore users from directory services now */
	size_t deletes;             /* users synchronisation would delete */
} dg_guard_counts;

/* GUARD004 (minUsers, 1 when not set), GUARD005 (maxDropPercent) and
 * GUARD006 (maxDeletes) as errors; each holds at its limit and trips one
 * past it.  A guard that is set but whose count is unknown is not passed:
 * GUARD008 (an error) names it.  `source` says where the counts come from
 * ("the plan", "the dry run"). */
void dg_guards_check(const dg_sync_opts *so, const dg_guard_counts *c, const char *source,
		     dg_findings *out);
/* The counts in a SyncUsersWithDirectoryServices result.  Its form is not
 * documented, so it is read tolerantly: members named created/added,
 * modified/updated/changed, deleted/removed and unchanged (any case),
 * each a list (its length) or a whole number.  What is missing stays
 * DG_GUARD_UNKNOWN.  Returns whether the deletes are known. */
int dg_sync_result_counts(const cJSON *result, dg_guard_counts *c);
/* The guard errors of `in` into `shown`: as they are, or with `force` as
 * GUARD007 warnings that say they were overridden.  Returns how many. */
size_t dg_guards_verdict(const dg_findings *in, int force, dg_findings *shown);

/* The user diff, the config diff (resolve: see dg_tmap_apply) and the
 * guards.  *cfg_after is the configuration push would send. */
dg_code dg_plan_build(const dg_profile *p, const dg_tmap *map, const cJSON *profile_json,
		      const dg_preview *pv, const dg_srv_state *st, int resolve,
		      dg_plan *plan, cJSON **cfg_after, dg_error *err);
void dg_plan_release(dg_plan *plan);
/* Changes pending: users or configuration. */
int dg_plan_has_changes(const dg_plan *plan);

/* JSON per docs/output.md ("plan": preview's user fields plus "action",
 * "from", "changes").  `saved`: the extra members of a plan file (format
 * marker, profile path, configAfter with secrets as placeholders). */
typedef struct dg_plan_file_info {
	const char *profile_path;           /* absolute */
	const cJSON *config_after;          /* redacted with DG_TMAP_PLACEHOLDER */
} dg_plan_file_info;
void dg_plan_json(dg_strbuf *out, const dg_plan *plan, const dg_profile *p,
		  const dg_srv_state *st, const dg_plan_file_info *saved);
void dg_plan_text(dg_strbuf *out, const dg_plan *plan, const dg_profile *p, int color);
/* The reports: text (each change as a diff, the conflicts, the data
 * quality, the findings) and HTML (one self-contained page, see
 * dg_output_html_begin).  A plan just made and a saved plan's JSON
 * (dg_plan_doc_*, for 'show PLAN') go through the same renderers, so
 * both read the same; a plan's users are rendered one at a time. */
void dg_plan_html(dg_strbuf *out, const dg_plan *plan, const dg_profile *p);
void dg_plan_doc_text(dg_strbuf *out, const cJSON *doc, int color);
void dg_plan_doc_html(dg_strbuf *out, const cJSON *doc);
/* "old=new" lines, one per rename, with a comment header. */
void dg_plan_renames(dg_strbuf *out, const dg_plan *plan);

/* A saved plan, read back for push. */
typedef struct dg_saved_plan {
	char *profile_path;
	char *fingerprint;
	cJSON *config_after;                /* with placeholders */
	size_t config_changes;
	cJSON *root;
} dg_saved_plan;
dg_code dg_saved_plan_load(const char *path, dg_saved_plan *sp, dg_error *err);
void dg_saved_plan_release(dg_saved_plan *sp);
/* Whether a file looks like a saved plan (rather than a profile). */
int dg_is_plan_file(const char *path);
/* Replaces {"$secret": "/profile/pointer"} placeholders by the resolved
 * secrets, only where the target map puts that profile secret; a
 * placeholder anywhere else is refused (API016 in the message), so an
 * edited plan cannot move a secret into a key that is stored in plain view. */
dg_code dg_plan_fill_secrets(cJSON *cfg, const dg_tmap *map, const dg_profile *p,
			     dg_error *err);

/* A saved plan's digest: HMAC-SHA-256 keyed with the profile file's bytes
 * over the plan's canonical JSON (every member but "digest").  It catches a
 * plan edited by hand or by a tool, and a plan applied after its profile
 * changed; it is no defence against someone who can read the profile.
 * Seal: adds "digest" to the plan text in `sb` (rewritten).  Verify: the
 * plan's digest against its profile file (API015 in the message). */
dg_code dg_plan_seal(dg_strbuf *sb, const char *profile_file, dg_error *err);
dg_code dg_saved_plan_verify(const dg_saved_plan *sp, const char *path, dg_error *err);

/* Reads an "old=new" rename file: blank lines and '#' comments skipped;
 * errors name file:line. */
typedef struct dg_rename {
	char *from, *to;
	int line;
} dg_rename;
typedef struct dg_rename_list {
	dg_rename *items;
	size_t nr, alloc;
} dg_rename_list;
dg_code dg_renames_load(const char *path, dg_rename_list *out, dg_error *err);
void dg_renames_release(dg_rename_list *l);

#endif

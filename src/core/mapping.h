/* The mapping engine: directory users (whatever connector produced them) ->
 * the MailStore users that synchronisation will create, the entries it
 * skips and why, and the conflicts between them.  One engine for every
 * connector, so every directory follows the same rules. */
#ifndef DG_MAPPING_H
#define DG_MAPPING_H

#include "findings.h"
#include "quality.h"
#include "strbuf.h"

/* What a connector knows about one directory user, before MailStore's rules. */
typedef struct dg_dir_user {
	char *entry;          /* DN, or the provider's object id: shown in skipped/conflicts */
	char *dn;             /* may be NULL (cloud directories) */
	char *name_value;     /* user-name attribute value as stored (e.g. UPN), may be NULL */
	char *full_name;      /* may be NULL */
	dg_strlist mails;     /* raw e-mail values in directory order; a value may hold
	                         several addresses separated by commas */
	dg_strlist proxy_addresses; /* raw "SMTP:a@b" / "smtp:" / "X500:" values */
	int disabled;         /* 1 disabled / suspended, 0 enabled, -1 unknown */
	int hidden;           /* 1 hidden from address lists, 0 visible, -1 unknown */
	int exchange;         /* 1 Exchange user / licensed mailbox, 0 not, -1 unknown */
	int archived;         /* 1 archived user (directories that archive users) */
	int in_groups;        /* 1 qualifies through the group selection (or no selection), 0 not */
	dg_strlist groups;    /* the selected groups it qualified through */
	dg_strlist group_paths; /* for each of groups, in the same order, the chain of
	                         groups that led to the user, "Sel ← Sub ← Sub-sub";
	                         may be shorter than groups when not known */
} dg_dir_user;

/* Ownership of the records' strings (entry, dn, name_value, full_name and
 * the items of mails, proxy_addresses, groups):
 *  - arena == NULL: each string is malloc'd and owned by its record;
 *  - arena != NULL: every one of them lives in `arena`, which the list owns
 *    (a connector sets it before adding records and copies its strings in
 *    with dg_arena_strndup / dg_strlist_push_arena).  The strlists' item
 *    arrays are malloc'd either way.
 * dg_dir_user_list_clear frees accordingly. */
typedef struct dg_dir_user_list {
	dg_dir_user *items;
	size_t nr, alloc;
	dg_arena *arena;
} dg_dir_user_list;

#define DG_DIR_USER_LIST_INIT { NULL, 0, 0, NULL }
/* New record; `entry` is copied (into l->arena when there is one). */
dg_dir_user *dg_dir_user_list_add(dg_dir_user_list *l, const char *entry);
void dg_dir_user_list_clear(dg_dir_user_list *l);
/* Drops the records from index `nr` on (a page read again after a retry);
 * strings in the arena stay there until the list is cleared. */
void dg_dir_user_list_truncate(dg_dir_user_list *l, size_t nr);

/* MailStore's rules as the profile selects them. */
typedef struct dg_mapping_opts {
	int local_part_only;     /* user name = part before '@' (UPN local part, localPartOnly) */
	int enabled_only;        /* skip disabled users */
	int exchange_only;       /* skip users without Exchange address / licence */
	int visible_only;        /* skip users hidden from address lists */
	int skip_archived;       /* archived users are skipped with enabled_only */
	int suspended_words;     /* a disabled user is "suspended", the directory's word */
} dg_mapping_opts;

typedef struct dg_ms_user {
	char *user_name;         /* lower-cased, as MailStore stores it */
	char *full_name;         /* "" when none */
	dg_strlist emails;       /* primary first, duplicates removed case-insensitively */
	char *dn;                /* may be NULL */
	char *entry;
	dg_strlist groups;
	dg_strlist group_paths;  /* see dg_dir_user */
	char *name_raw;          /* the user-name value as the directory holds it, or
	                            NULL when it is user_name exactly */
} dg_ms_user;

typedef struct dg_skipped {
	char *entry;
	char *reason;            /* "disabled", "no-email", "hidden", "not-in-group",
	                            "empty-user-name", "archived", "suspended" */
	char *detail;            /* human detail, may be NULL */
} dg_skipped;

typedef struct dg_conflict {
	char *user_name;         /* or the e-mail address for duplicate-email */
	dg_strlist entries;
	char *reason;            /* "same-user-name", "case-only", "duplicate-email" */
} dg_conflict;

typedef struct dg_preview {
	char *profile_name;
	char *source_type;       /* "snapshot" or "live" */
	char *source_detail;     /* snapshot path or server */
	char *directory_type;    /* "active-directory", ... */
	size_t entries_read;     /* entries the connector looked at */
	dg_ms_user *users; size_t nusers, users_alloc;
	dg_skipped *skipped; size_t nskipped, skipped_alloc;
	dg_conflict *conflicts; size_t nconflicts, conflicts_alloc;
	dg_findings findings;
	/* Data-quality issues (quality.h), sorted by user; malloc'd.  The
	 * mapping leaves them empty (or, asked to, holding the per-user ones:
	 * dg_mapping_quality); dg_preview_check_quality fills them. */
	dg_quality_list quality;
	/* The tenant's verified domains when the directory has them (known = 1);
	 * malloc'd items. */
	dg_strlist verified_domains;
	int verified_domains_known;
	/* Command lines that repeat the live queries by hand (never a secret:
	 * tokens are shell variables); malloc'd items. */
	dg_strlist queries;
	/* NULL: every string of users[] and skipped[] (their strlist items
	 * included) is malloc'd and owned by its record, as when a caller
	 * fills a preview by hand.  Otherwise they all live in `arena`, which
	 * the preview owns: the mapping allocates there, and
	 * dg_mapping_run_take adopts the arena of its input list instead of
	 * moving strings one by one.  Item arrays, conflicts[] and the fields
	 * above are malloc'd either way.  dg_preview_release frees accordingly. */
	dg_arena *arena;
} dg_preview;

/* Runs the rules over `in` and fills `out` (users sorted by user name).
 * `in` is only read; its strings are copied (into out->arena, which is
 * created when `out` is empty). */
void dg_mapping_run(const dg_dir_user_list *in, const dg_mapping_opts *opts, dg_preview *out);
/* The same result, taking `in` apart on the way: strings move into `out`
 * and each record is freed once read, so a large directory is not held
 * twice; a list with an arena hands the arena itself to `out` (see
 * dg_preview.arena).  `in` is left empty, without an arena. */
void dg_mapping_run_take(dg_dir_user_list *in, const dg_mapping_opts *opts, dg_preview *out);

/* The same run in steps, for records that arrive in batches (a cloud
 * directory's pages): each record goes through the rules as it is added
 * (skip reasons, user name, e-mail addresses), and what compares users
 * with each other (the sort, same-name and case-only conflicts, duplicate
 * addresses) waits for finish.  Batches added in input order give the
 * preview one run over all of them gives.  dg_mapping_run_take is begin,
 * add_list, finish. */
typedef struct dg_mapping {
	dg_mapping_opts opts;
	dg_preview *out;
	size_t base, skipped_base;  /* out's users and skipped before begin */
	int own_arena;              /* begin gave out its arena */
	int quality;                /* dg_mapping_quality was called */
	dg_quality_opts qopts;
	struct dg_mapping_rank *rank;
} dg_mapping;
/* `arena`: the records will have their strings in an arena (an empty
 * preview then gets one of its own, see dg_preview.arena). */
void dg_mapping_begin(dg_mapping *m, const dg_mapping_opts *opts, dg_preview *out, int arena);
/* Takes the records: their strings move into out and each record is freed
 * once read.  With `in_arena` the strings are an arena's, which must reach
 * out by dg_mapping_adopt before finish (until then it may still be
 * another thread's to allocate from: the mapping allocates in out's own). */
void dg_mapping_add_records(dg_mapping *m, dg_dir_user *items, size_t nr, int in_arena);
/* out takes arena `a` (NULL is fine), whose strings it may hold now. */
void dg_mapping_adopt(dg_mapping *m, dg_arena *a);
/* add_records over the whole list, then adopt its arena; `in` is left
 * empty, without an arena. */
void dg_mapping_add_list(dg_mapping *m, dg_dir_user_list *in);
void dg_mapping_finish(dg_mapping *m);
/* After begin, before the first record: the per-user data-quality rules
 * (dg_quality_user) run on each user as it is mapped, with `o` (what it
 * points to must stay unchanged until finish), and finish leaves their
 * issues in out->quality, which must be empty; dg_preview_finish_quality
 * then completes what dg_preview_check_quality would give. */
void dg_mapping_quality(dg_mapping *m, const dg_quality_opts *o);
/* Instead of finish, when the input failed half-way: out loses what the
 * mapping added to it, as if it had never begun (strings already moved
 * from an arena not yet adopted stay that arena's). */
void dg_mapping_abort(dg_mapping *m);
/* Frees records that were handed over and never added (`in_arena` as for
 * add_records); the array itself stays the caller's. */
void dg_dir_users_release(dg_dir_user *items, size_t nr, int in_arena);
/* Who takes batches of records as they are settled (see dg_fetch_result):
 * the records become its own, as for dg_mapping_add_records. */
typedef void (*dg_dir_users_fn)(void *ctx, dg_dir_user *items, size_t nr, int in_arena);
void dg_preview_release(dg_preview *p);
/* Runs the data-quality rules over p's users into p->quality (replacing
 * what was there), with p's verified domains when known. */
void dg_preview_check_quality(dg_preview *p);
/* The rest of dg_preview_check_quality after a mapping that ran the
 * per-user rules (dg_mapping_quality) with p's verified domains. */
void dg_preview_finish_quality(dg_preview *p);

/* Helpers the rules are built from, exposed for unit tests. */
/* Lower-cases ASCII and, for UTF-8, the Latin-1/Latin Extended-A/Greek/Cyrillic
 * letters MailStore's .NET ToLowerInvariant would change. */
char *dg_mapping_lower(const char *s);
/* Normalises e-mail addresses: proxyAddresses SMTP: first, smtp: after,
 * other types dropped; comma-separated values split; duplicates removed
 * case-insensitively; `mails` values come before secondary proxy addresses
 * unless a SMTP: primary exists. */
void dg_mapping_emails(const dg_strlist *mails, const dg_strlist *proxy, dg_strlist *out);

#endif

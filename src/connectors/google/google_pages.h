/* Google Workspace Admin SDK pages -> directory users.
 *
 * One reader for both ways the pages arrive: live from the Directory API
 * (google.c) and from a saved snapshot.  Both feed the same pages in the
 * same order — group lookups, then the selected groups' members, then the
 * users.list pages — so a snapshot previews to exactly the live result by
 * construction.
 *
 * Pages are parsed strictly: a page that is not JSON, or whose shape is not
 * the documented one (users must be an array of objects, nextPageToken a
 * string ...), is refused with a reason; odd single records (no
 * primaryEmail) still become records so the mapping can say why they are
 * skipped. */
#ifndef DG_GOOGLE_PAGES_H
#define DG_GOOGLE_PAGES_H

#include "../../core/findings.h"
#include "../../core/mapping.h"
#include "../../core/profile.h"
#include "../../core/strbuf.h"

#include <cjson/cJSON.h>

/* One group the profile selects and what the lookup found for it. */
typedef struct dg_google_group {
	const char *selection;   /* as written in the profile (name or e-mail) */
	size_t matches;          /* groups the lookup returned with that exact name/e-mail */
	char *email, *name, *id; /* the first match */
} dg_google_group;

typedef struct dg_google_member {
	char *key;               /* member id, or lower-cased e-mail when it has no id */
	size_t group;            /* index into groups[] */
} dg_google_member;

/* How many suspended / archived users a message names before "...". */
#define DG_GOOGLE_NAMES_SHOWN 5

typedef struct dg_google_feed {
	dg_dir_user_list *users; /* records go here (its arena when it has one) */
	dg_google_group *groups;
	size_t ngroups;
	dg_google_member *members;
	size_t nmembers, amembers;
	int members_sorted;
	size_t entries_read;     /* user records read */
	size_t suspended, archived;
	dg_strlist suspended_names, archived_names; /* the first few, for messages */
	size_t user_pages;
	/* A broken page chain may send the same page again under new tokens:
	 * the id of the first user on the last users page read (NULL when it
	 * had none), and whether that page began with the same user as the
	 * page before it. */
	char *first_user_id;
	int page_repeats;
} dg_google_feed;

/* `groups` is the profile's selection (may be empty: no selection). */
void dg_google_feed_init(dg_google_feed *f, const dg_strarr *groups, dg_dir_user_list *users);
void dg_google_feed_release(dg_google_feed *f);

/* Each feeder reads one page (already parsed) and returns 0, or -1 with the
 * reason in `why`.  *next (when next is not NULL) gets the page's
 * nextPageToken (malloc'd) or NULL on the last page.
 *  - lookup: a groups.list page (query name='...') or one group resource
 *    (groups.get by e-mail) for groups[sel];
 *  - members: a members.list page of groups[sel]. */
int dg_google_feed_lookup(dg_google_feed *f, size_t sel, const cJSON *page, char **next,
			  dg_strbuf *why);
int dg_google_feed_members(dg_google_feed *f, size_t sel, const cJSON *page, char **next,
			   dg_strbuf *why);

/* A users.list page read as a stream, in pieces of any size (no JSON tree:
 * pages of 500 users arrive while they are read).  Each element of
 * "users" becomes a record in the feed's list as soon as it ends: entry =
 * primaryEmail (else id, else its position), name = primaryEmail, full
 * name = name.fullName (else givenName familyName), e-mail addresses =
 * primaryEmail then aliases, suspended and archived as such, the selected
 * groups it belongs to.  Refused with a reason: not JSON, not an object,
 * "users" not an array, an element not an object, a wrong type for id,
 * primaryEmail, aliases, suspended, archived or nextPageToken.  The page's
 * counts (users read, suspended, archived) reach the feed only when finish
 * succeeds; its records stay in the list whatever happens (the caller
 * truncates the list when it gives the page up). */
typedef struct dg_google_users_reader dg_google_users_reader;

dg_google_users_reader *dg_google_users_reader_new(dg_google_feed *f);
void dg_google_users_reader_free(dg_google_users_reader *r);
int dg_google_users_feed(dg_google_users_reader *r, const char *buf, size_t len, dg_strbuf *why);
/* The page ended: 0 with *next = nextPageToken (malloc'd) or NULL on the
 * last page (next may be NULL); -1 with the reason in `why`. */
int dg_google_users_finish(dg_google_users_reader *r, char **next, dg_strbuf *why);
/* A whole page in one piece (saved pages): new, feed, finish, free. */
int dg_google_feed_users_text(dg_google_feed *f, const char *text, size_t len, char **next,
			      dg_strbuf *why);

/* Parses `len` bytes of JSON text into an object, or NULL with `why`
 * (where the syntax breaks). */
cJSON *dg_google_parse_object(const char *text, size_t len, dg_strbuf *why);

/* Google's error answer ({"error": {"code", "message", "errors": [{"reason"}]}}):
 * the first reason and the message, copied into the buffers (empty when
 * absent).  Returns 0 when the body has that shape, -1 otherwise. */
int dg_google_api_error(const char *body, size_t len, dg_strbuf *reason, dg_strbuf *message);

/* Findings for a group selection after the lookups: not found, matched
 * several times, or found (info).  `path` is the profile path of the list. */
void dg_google_group_findings(const dg_google_feed *f, const char *path, dg_findings *out);

#endif

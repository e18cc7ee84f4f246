/* Microsoft Graph answers, parsed (v1.0 collections with @odata.nextLink): a page of
 * /users, /groups or transitiveMembers, a Graph error body, and one user
 * turned into a dg_dir_user the way MailStore reads it.  Pure functions over
 * text (the fuzzers drive them); no network here. */
#ifndef DG_M365_GRAPH_H
#define DG_M365_GRAPH_H

#include "../../core/mapping.h"
#include "../../core/strbuf.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* Exactly the user properties MailStore's rules need. */
#define DG_GRAPH_USER_SELECT \
	"id,userPrincipalName,displayName,mail,proxyAddresses,accountEnabled,assignedPlans"
#define DG_GRAPH_PAGE_SIZE 999   /* Graph's maximum $top for users and members */

typedef struct dg_graph_page {
	cJSON *root;             /* owned (NULL when the page belongs to a snapshot) */
	const cJSON *value;      /* the "value" array */
	const char *next_link;   /* "@odata.nextLink" or NULL */
} dg_graph_page;

/* A /users page read as a stream (no JSON tree: a page holds 999 users).
 * Every element of "value" counts as an entry read; each object with a
 * non-empty string "id" becomes a record in `l` and is handed to `fn` (may
 * be NULL): entry = id, name = userPrincipalName, full name = displayName,
 * mails = [mail], proxyAddresses, disabled = !accountEnabled, exchange = a
 * plan of service "exchange" (any case) with capabilityStatus "Enabled" in
 * assignedPlans (-1 without assignedPlans).  Where a key
 * appears twice in an object, the first one counts, as with cJSON. */
typedef void (*dg_graph_user_fn)(void *ctx, dg_dir_user *u);
typedef struct dg_graph_users_reader dg_graph_users_reader;

dg_graph_users_reader *dg_graph_users_reader_new(dg_dir_user_list *l, dg_graph_user_fn fn,
						 void *ctx);
void dg_graph_users_reader_free(dg_graph_users_reader *r);
/* Feeds the next piece of the page, then finish at its end.  Both return 0,
 * or -1 with the reason in `why` (as dg_graph_parse_page says it). */
int dg_graph_users_feed(dg_graph_users_reader *r, const char *buf, size_t len, dg_strbuf *why);
int dg_graph_users_finish(dg_graph_users_reader *r, dg_strbuf *why);
/* "@odata.nextLink" (owned by the reader) once the reader has met it — an
 * https URL; Graph writes it ahead of "value", so it is known early — or
 * NULL; and how many elements "value" had (after a successful finish). */
const char *dg_graph_users_next_link(const dg_graph_users_reader *r);
size_t dg_graph_users_entries(const dg_graph_users_reader *r);
/* Users whose only Exchange plan is in its grace period (capabilityStatus
 * "Warning": not counted as licensed), and the user names (UPN, else id)
 * of the first DG_GRAPH_GRACE_NAMES of them. */
#define DG_GRAPH_GRACE_NAMES 5
size_t dg_graph_users_grace(const dg_graph_users_reader *r, const dg_strlist **names);

/* Parses one page.  Returns 0, or -1 with a reason in `why` (not JSON, not an
 * object, no "value" array, a nextLink that is not an https URL string). */
int dg_graph_parse_page(const char *body, size_t len, dg_graph_page *pg, char *why,
			size_t whylen);
/* The same checks on a page already parsed (a snapshot's); pg->root stays
 * NULL: the caller keeps `root`. */
int dg_graph_check_page(const cJSON *root, dg_graph_page *pg, char *why, size_t whylen);
void dg_graph_page_free(dg_graph_page *pg);

/* Graph's error body {"error": {"code", "message"}}: copies both (empty
 * when absent).  Returns 0 when it is one, -1 otherwise. */
int dg_graph_parse_error(const char *body, size_t len, char *code, size_t codelen,
			 char *msg, size_t msglen);

/* An OData string literal: 'text' with every ' doubled. */
void dg_graph_odata_quote(dg_strbuf *sb, const char *s);


#endif

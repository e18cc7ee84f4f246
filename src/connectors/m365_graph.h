/* Microsoft Graph answers, parsed (identity-protocols.md B.4-B.5): a page of
 * /users, /groups or transitiveMembers, a Graph error body, and one user
 * turned into a dg_dir_user the way MailStore reads it.  Pure functions over
 * text (the fuzzers drive them); no network here. */
#ifndef DG_M365_GRAPH_H
#define DG_M365_GRAPH_H

#include "../core/mapping.h"
#include "../core/strbuf.h"

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

/* 1 when a plan of service "exchange" (any case) has capabilityStatus
 * "Enabled"; 0 when none has; -1 when `plans` is not an array. */
int dg_graph_exchange_licensed(const cJSON *plans);

/* Adds one Graph user object to `l` (strings into l->arena when it has
 * one): entry = id, name = userPrincipalName, full name = displayName,
 * mails = [mail], proxyAddresses, disabled = !accountEnabled, exchange from
 * assignedPlans.  Returns NULL (nothing added) for a value that is not an
 * object with a string id. */
dg_dir_user *dg_graph_add_user(dg_dir_user_list *l, const cJSON *u);

/* An OData string literal: 'text' with every ' doubled. */
void dg_graph_odata_quote(dg_strbuf *sb, const char *s);

/* Looks like a GUID (8-4-4-4-12 hex digits)? */
int dg_graph_is_guid(const char *s);

#endif

/* One pager for the cloud directory APIs (Microsoft Graph, Google's
 * Directory API), as SSSD has one paged search for all its providers.
 *
 * It owns what both clouds need and must not drift apart: the bearer token
 * and its renewal, backing off from rate limits (429/503 with Retry-After
 * are retried by net/http already), the walk over a chain of pages with
 * one bound, a chain that repeats, links elsewhere or keeps coming back
 * empty refused, pages read while they arrive on a second thread
 * (page_stream.h) or whole, and saved pages replayed through the same
 * walk.  A cloud supplies small hooks: how to renew its token, what an
 * answer means, the URL of the next page, and the finding for each way a
 * request or a walk can fail (each cloud keeps its own finding codes). */
#ifndef DG_PAGER_H
#define DG_PAGER_H

#include "../core/error.h"
#include "../core/strbuf.h"
#include "http.h"
#include "oauth.h"
#include "page_stream.h"

#include <stddef.h>

/* Token renewals for one request the API keeps refusing with "expired":
 * a fresh token refused again means something else is wrong (the clocks,
 * the audience).  Renewals ahead of expiry are not counted: a long run
 * outlives any token. */
#define DG_PAGER_MAX_RENEWALS 3
/* A token is renewed this close to its expiry before it is sent. */
#define DG_PAGER_TOKEN_MARGIN_S 60
/* Rate-limit answers in a row the pager backs off from, and the first
 * wait (doubled each time, or the answer's Retry-After when it gives one):
 * 0.5 + 1 + 2 + 4 + 8 s at most. */
#define DG_PAGER_MAX_BACKOFFS 5
#define DG_PAGER_BACKOFF_FIRST_MS 500L
/* Pages in a row that bring nothing and still promise more. */
#define DG_PAGER_MAX_EMPTY 10

/* What an answer means, as the cloud reads it. */
typedef enum dg_pager_verdict {
	DG_PAGER_PAGE,      /* the answer to read */
	DG_PAGER_RENEW,     /* the token expired: renew it and ask again */
	DG_PAGER_BACKOFF,   /* rate limited: wait and ask again */
	DG_PAGER_REFUSED,   /* an error answer */
} dg_pager_verdict;

/* Ways a request or a walk fails; the cloud's `fail` hook makes each one
 * its finding. */
typedef enum dg_pager_failure_kind {
	DG_PAGER_TRANSPORT,   /* no HTTP answer: res->failure says why */
	DG_PAGER_REFUSAL,     /* an error answer in res */
	DG_PAGER_RENEWALS,    /* still "expired" after DG_PAGER_MAX_RENEWALS fresh tokens */
	DG_PAGER_RATE_LIMIT,  /* still rate limited after DG_PAGER_MAX_BACKOFFS waits */
	DG_PAGER_BAD_PAGE,    /* the page reader refused a page: `why` */
	DG_PAGER_FOREIGN,     /* a next link leads to another origin than the API's */
	DG_PAGER_REPEAT,      /* the next page is this page again */
	DG_PAGER_SAME_PAGE,   /* a page repeats the page before it under a new link */
	DG_PAGER_EMPTY,       /* DG_PAGER_MAX_EMPTY empty pages in a row promise more */
	DG_PAGER_BOUND,       /* the chain goes on after max_pages pages */
} dg_pager_failure_kind;

typedef struct dg_pager_failure {
	dg_pager_failure_kind kind;
	const char *url;               /* the request, or the page concerned */
	const char *first_url;         /* a walk's first page (else = url) */
	const char *what;              /* the caller's name for the request or chain */
	size_t page;                   /* the page concerned, counted from 0 */
	size_t pages;                  /* pages read when the walk stopped */
	const char *why;               /* DG_PAGER_BAD_PAGE: the reader's reason */
	const dg_http_response *res;   /* TRANSPORT, REFUSAL, RENEWALS, RATE_LIMIT */
} dg_pager_failure;

typedef struct dg_pager_hooks {
	/* A fresh token into the pager's `token`; a failure comes with its
	 * finding. */
	dg_code (*renew)(void *ctx, dg_error *err);
	/* What a non-200 answer means. */
	dg_pager_verdict (*classify)(void *ctx, const dg_http_response *res);
	/* The finding (and err) for a failure; returns the error code. */
	dg_code (*fail)(void *ctx, const dg_pager_failure *f, dg_error *err);
	/* The URL of the page after the first page `first_url`, given what a
	 * page said comes next (a link or a page token); malloc'd. */
	char *(*next_url)(void *ctx, const char *first_url, const char *next);
} dg_pager_hooks;

typedef struct dg_pager {
	const dg_pager_hooks *hooks;
	void *ctx;                     /* the hooks' */
	dg_http *http;
	dg_oauth_token *token;         /* the cloud's, renewed through hooks->renew */
	const char *origin;            /* the API's: the token goes nowhere else */
	const char *const *headers;    /* extra request headers, or NULL */
} dg_pager;

/* dg_pager_get flags */
#define DG_PAGER_404_OK 1          /* a 404 is an answer (a lookup that may find nothing) */
#define DG_PAGER_ANY_STATUS 2      /* every answer is returned, only the token is renewed */

/* GETs `url` with the bearer token into `res` (its body buffer reused):
 * DG_OK on a 200 answer (or as `flags` allow); otherwise the failure went
 * through hooks->fail.  With `ps`, a 200 answer's body goes to the page
 * stream's reader as it arrives instead of into res->body. */
dg_code dg_pager_get(dg_pager *pg, const char *url, const char *what, int flags,
		     dg_page_stream *ps, dg_http_response *res, dg_error *err);

/* One chain of pages. */
typedef struct dg_pager_walk {
	const char *first_url;
	const char *what;              /* the chain's name in failures */
	size_t max_pages;              /* the bound */
	int flags;                     /* dg_pager_get's, for every page */
	void *ctx;                     /* the hooks below get it */
	/* Pages read while they arrive (each page's records reach the list
	 * of the stream's reader), or NULL: each page is read whole by `read`. */
	dg_page_stream *stream;
	/* Reads a whole page: 0 with *next (malloc'd; NULL on the last page)
	 * and *stop = 1 when no more pages are wanted; -1 with `why`. */
	int (*read)(void *ctx, const dg_strbuf *text, char **next, int *stop, dg_strbuf *why);
	/* Optional: a page was read (text NULL when it was streamed): the
	 * snapshot line, the progress.  DG_OK, or an error that stops the walk. */
	dg_code (*done)(void *ctx, const dg_strbuf *text, dg_error *err);
	/* Optional: records read so far (a page that adds none is empty), and
	 * whether the page just read repeats the page before it.  Only for
	 * pages read in full before the next is asked for. */
	size_t (*entries)(void *ctx);
	int (*repeats)(void *ctx);
	/* Replay instead of the network: the saved text of page `idx`, or
	 * NULL after the hook's own failure in *rc.  `saved_more` says whether
	 * page idx is saved, to tell a chain cut short from its end. */
	const dg_strbuf *(*saved)(void *ctx, size_t idx, dg_code *rc);
	int (*saved_more)(void *ctx, size_t idx);
	/* Set for a DG_PAGER_404_OK walk whose first page was a 404. */
	int missing;
} dg_pager_walk;

/* Fetches (or replays) every page of the chain and reads each. */
dg_code dg_pager_walk_chain(dg_pager *pg, dg_pager_walk *w, dg_error *err);

/* A page as one line of a JSON Lines snapshot: `prefix` (which stream it
 * belongs to, e.g. {"stream": "users", "page": ), the body as received
 * with its line breaks (only ever whitespace in JSON) made spaces, then
 * "}\n".  Both clouds' snapshots are written this way and read a line at
 * a time (snapline.h). */
void dg_pager_record(dg_strbuf *out, const char *prefix, const char *body, size_t len);

#endif

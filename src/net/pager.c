/* One pager for the cloud directory APIs (pager.h). */
#include "pager.h"

#include "../core/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- one request ----------------------------------------------------------- */

static dg_code request_failed(dg_pager *pg, dg_pager_failure_kind kind, const char *url,
			      const char *what, const dg_http_response *res, dg_error *err)
{
	dg_pager_failure f = { .kind = kind, .url = url, .first_url = url, .what = what,
			       .res = res };
	return pg->hooks->fail(pg->ctx, &f, err);
}

/* How long to wait after the n-th rate-limit answer (from 0): what the
 * answer asks for when it says, else doubling from the first wait. */
static long backoff_ms(const dg_http_response *res, int n)
{
	long ra = dg_http_retry_after_ms(dg_http_response_header(res, "Retry-After"),
					 (long)time(NULL));
	long doubling = DG_PAGER_BACKOFF_FIRST_MS << n;
	return ra >= 0 && ra <= doubling * 4 ? ra : doubling;
}

dg_code dg_pager_get(dg_pager *pg, const char *url, const char *what, int flags,
		     dg_page_stream *ps, dg_http_response *res, dg_error *err)
{
	dg_http_request req = { .method = "GET", .url = url, .headers = pg->headers,
				.retry_safe = 1 };
	int renewals = 0, backoffs = 0;
	dg_code rc;

	if (ps)
		dg_page_stream_begin(ps, &req);
	for (;;) {  /* res is reused: its body buffer grows once for all pages */
		if (dg_oauth_token_expiring(pg->token, time(NULL), DG_PAGER_TOKEN_MARGIN_S) &&
		    (rc = pg->hooks->renew(pg->ctx, err)) != DG_OK)
			return rc;
		req.bearer = pg->token->access_token;
		if (dg_http_send(pg->http, &req, res, err) != DG_OK)
			return request_failed(pg, DG_PAGER_TRANSPORT, url, what, res, err);
		if (res->status == 200 || (res->status == 404 && (flags & DG_PAGER_404_OK)))
			return DG_OK;
		switch (pg->hooks->classify(pg->ctx, res)) {
		case DG_PAGER_RENEW:  /* the token expired mid-run: a fresh one, then again */
			if (renewals++ == DG_PAGER_MAX_RENEWALS)
				return request_failed(pg, DG_PAGER_RENEWALS, url, what, res, err);
			if ((rc = pg->hooks->renew(pg->ctx, err)) != DG_OK)
				return rc;
			continue;
		case DG_PAGER_BACKOFF:
			if (flags & DG_PAGER_ANY_STATUS)
				return DG_OK;
			if (backoffs == DG_PAGER_MAX_BACKOFFS)
				return request_failed(pg, DG_PAGER_RATE_LIMIT, url, what, res, err);
			dg_sleep_ms(backoff_ms(res, backoffs++));
			continue;
		default:
			if (flags & DG_PAGER_ANY_STATUS)
				return DG_OK;
			return request_failed(pg, DG_PAGER_REFUSAL, url, what, res, err);
		}
	}
}

/* ---- a chain of pages ------------------------------------------------------ */

/* Where the walk is: the page being read, the one before it. */
typedef struct walk_state {
	dg_pager *pg;
	dg_pager_walk *w;
	dg_http_response res;
	dg_strbuf why;
	char *url, *prev, *next;
	size_t idx;
} walk_state;

static dg_code walk_failed(walk_state *s, dg_pager_failure_kind kind, const char *url,
			   size_t page, const char *why, dg_error *err)
{
	dg_pager_failure f = { .kind = kind, .url = url, .first_url = s->w->first_url,
			       .what = s->w->what, .page = page, .why = why };

	/* pages read: the bound stops before page idx, the rest after it */
	f.pages = kind == DG_PAGER_BOUND ? s->idx : s->idx + 1;
	return s->pg->hooks->fail(s->pg->ctx, &f, err);
}

/* The page's text: saved, or fetched (a 404 a walk allows: none). */
static const dg_strbuf *page_text(walk_state *s, dg_code *rc, dg_error *err)
{
	dg_pager_walk *w = s->w;

	if (w->saved)
		return w->saved(w->ctx, s->idx, rc);
	*rc = dg_pager_get(s->pg, s->url, w->what, w->flags, NULL, &s->res, err);
	if (*rc != DG_OK)
		return NULL;
	if (s->res.status == 404) {
		w->missing = 1;
		return NULL;
	}
	return &s->res.body;
}

/* One page received whole, then read. */
static dg_code whole_page(walk_state *s, int *stop, dg_error *err)
{
	dg_pager_walk *w = s->w;
	dg_code rc = DG_OK;
	const dg_strbuf *text = page_text(s, &rc, err);

	if (!text)
		return rc;
	dg_strbuf_reset(&s->why);
	if (w->read(w->ctx, text, &s->next, stop, &s->why) < 0)
		return walk_failed(s, DG_PAGER_BAD_PAGE, s->url, s->idx, s->why.buf, err);
	if (w->saved && s->next && !w->saved_more(w->ctx, s->idx + 1))
		return walk_failed(s, DG_PAGER_BAD_PAGE, s->url, s->idx,
				   "cut short: the last saved page links to another", err);
	return w->done ? w->done(w->ctx, text, err) : DG_OK;
}

/* One page read while it arrives.  The reader may hand the next link over
 * before the page is read to its end: a refusal may then be of this page
 * or of the one before it, whose reading went on meanwhile. */
static dg_code streamed_page(walk_state *s, dg_error *err)
{
	dg_pager_walk *w = s->w;
	dg_code rc = dg_pager_get(s->pg, s->url, w->what, w->flags, w->stream, &s->res, err);
	size_t bad;

	if (rc != DG_OK) {
		dg_page_stream_discard(w->stream);
		return rc;
	}
	dg_strbuf_reset(&s->why);
	if (dg_page_stream_end(w->stream, &s->next, &bad, &s->why) < 0)
		return walk_failed(s, DG_PAGER_BAD_PAGE, bad == s->idx ? s->url : s->prev, bad,
				   s->why.buf, err);
	return w->done ? w->done(w->ctx, NULL, err) : DG_OK;
}

/* The page read says there is another: its URL, unless the chain is
 * broken.  Checked in this order: the page again, a link elsewhere (the
 * token goes to the API only), the page before again, pages that bring
 * nothing. */
static dg_code follow(walk_state *s, size_t empty, dg_error *err)
{
	dg_pager_walk *w = s->w;
	char *url = s->pg->hooks->next_url(s->pg->ctx, w->first_url, s->next);
	dg_code rc = DG_OK;

	if (!strcmp(url, s->url))
		rc = walk_failed(s, DG_PAGER_REPEAT, s->url, s->idx, NULL, err);
	else if (!w->saved && !dg_http_same_origin(url, s->pg->origin))
		rc = walk_failed(s, DG_PAGER_FOREIGN, s->url, s->idx, NULL, err);
	else if (w->repeats && w->repeats(w->ctx))
		rc = walk_failed(s, DG_PAGER_SAME_PAGE, s->url, s->idx, NULL, err);
	else if (empty >= DG_PAGER_MAX_EMPTY)
		rc = walk_failed(s, DG_PAGER_EMPTY, s->url, s->idx, NULL, err);
	if (rc != DG_OK) {
		free(url);
		return rc;
	}
	free(s->prev);
	s->prev = s->url;
	s->url = url;  /* a link verbatim: never rebuilt from its parts */
	free(s->next);
	s->next = NULL;
	return DG_OK;
}

static dg_code walk_pages(walk_state *s, dg_error *err)
{
	dg_pager_walk *w = s->w;
	size_t empty = 0, before;
	dg_code rc;
	int stop;

	for (s->idx = 0;; s->idx++) {
		if (s->idx >= w->max_pages)
			return walk_failed(s, DG_PAGER_BOUND, w->first_url, s->idx, NULL, err);
		before = w->entries ? w->entries(w->ctx) : 0;
		stop = 0;
		rc = w->stream ? streamed_page(s, err) : whole_page(s, &stop, err);
		if (rc != DG_OK || w->missing || stop || !s->next)
			return rc;
		empty = w->entries && w->entries(w->ctx) == before ? empty + 1 : 0;
		if ((rc = follow(s, empty, err)) != DG_OK)
			return rc;
	}
}

dg_code dg_pager_walk_chain(dg_pager *pg, dg_pager_walk *w, dg_error *err)
{
	walk_state s = { .pg = pg, .w = w, .res = DG_HTTP_RESPONSE_INIT };
	dg_code rc;
	size_t bad;

	dg_strbuf_init(&s.why);
	s.url = dg_xstrdup(w->first_url);
	w->missing = 0;
	rc = walk_pages(&s, err);
	/* the last page streamed may still be being read */
	if (rc == DG_OK && w->stream && dg_page_stream_settle(w->stream, &bad, &s.why) < 0)
		rc = walk_failed(&s, DG_PAGER_BAD_PAGE, s.url, s.idx, s.why.buf, err);
	free(s.url);
	free(s.prev);
	free(s.next);
	dg_strbuf_release(&s.why);
	dg_http_response_release(&s.res);
	return rc;
}

void dg_pager_record(dg_strbuf *out, const char *prefix, const char *body, size_t len)
{
	size_t start = out->len + strlen(prefix);

	dg_strbuf_adds(out, prefix);
	dg_strbuf_add(out, body, len);
	for (char *c = out->buf + start; c < out->buf + out->len; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	dg_strbuf_adds(out, "}\n");
}

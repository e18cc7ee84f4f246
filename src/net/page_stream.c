/* Live directory pages read on a second thread (page_stream.h). */
#include "page_stream.h"

#include "bodypipe.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NO_PAGE SIZE_MAX

struct dg_page_stream {
	dg_page_reader rd;
	void *ctx;
	dg_dir_user_list *users;
	dg_bodypipe *pipe;
	size_t ended;         /* pages ended by the connector (its thread only) */
	/* the pipe's thread only */
	void *page;           /* the reader of the page being read */
	size_t mark;          /* records in the list when the page began */
	int failed, published;
	dg_strbuf why;
	/* shared, under mu: what the reader has found out */
	pthread_mutex_t mu;
	pthread_cond_t news;
	size_t done;          /* pages with a verdict, in order */
	size_t failed_page;   /* the first page refused, or NO_PAGE */
	dg_strbuf fail_why;
	size_t next_page;     /* the page `next` belongs to, or NO_PAGE */
	char *next;           /* where the page after it is */
	/* read pages' records, moved out of the list for `settled` */
	dg_dir_user *ready;
	size_t nready, ready_alloc;
	/* set before the first page, then only read */
	dg_dir_users_fn settled;
	void *settled_ctx;
};

/* ---- on the pipe's thread ------------------------------------------------ */

/* The link to the page after page `page`, early or at its end (the lock
 * is held). */
static void set_next(dg_page_stream *s, size_t page, char *next)
{
	free(s->next);
	s->next = next;
	s->next_page = page;
}

static void ps_begin(void *ctx)
{
	dg_page_stream *s = ctx;
	s->mark = s->users->nr;
	s->failed = s->published = 0;
	dg_strbuf_reset(&s->why);
	s->page = s->rd.open(s->ctx);
}

static int ps_feed(void *ctx, const char *buf, size_t len)
{
	dg_page_stream *s = ctx;
	const char *early;

	if (s->failed || s->rd.feed(s->page, buf, len, &s->why) < 0) {
		s->failed = 1;
		return -1;
	}
	if (!s->published && s->rd.next_early && (early = s->rd.next_early(s->page))) {
		s->published = 1;  /* the connector may ask for that page already */
		pthread_mutex_lock(&s->mu);
		set_next(s, s->done, dg_xstrdup(early));
		pthread_cond_signal(&s->news);
		pthread_mutex_unlock(&s->mu);
	}
	return 0;
}

static void forget_page(dg_page_stream *s)
{
	if (s->page)
		s->rd.close(s->page);
	s->page = NULL;
}

/* The page read has its verdict: no retry will drop its records now, so
 * they move to the connector's side (the lock is held). */
static void move_ready(dg_page_stream *s)
{
	size_t n = s->users->nr - s->mark;
	if (!n)
		return;  /* an empty page: the list's array may not exist yet */
	DG_ALLOC_GROW(s->ready, s->nready + n, s->ready_alloc);
	memcpy(s->ready + s->nready, s->users->items + s->mark, n * sizeof(*s->ready));
	s->nready += n;
	s->users->nr = s->mark;  /* moved, not freed */
}

static int ps_end(void *ctx)
{
	dg_page_stream *s = ctx;
	char *next = NULL;
	int rc = s->failed ? -1 : s->rd.finish(s->ctx, s->page, &next, &s->why);

	forget_page(s);
	if (rc < 0)
		dg_dir_user_list_truncate(s->users, s->mark);
	pthread_mutex_lock(&s->mu);
	if (rc == 0 && s->settled)
		move_ready(s);
	if (rc == 0 && !s->published)
		set_next(s, s->done, next);
	else
		free(next);  /* published early already: the same link */
	if (rc < 0 && s->failed_page == NO_PAGE) {
		s->failed_page = s->done;
		dg_strbuf_adds(&s->fail_why, s->why.len ? s->why.buf : "unreadable");
	}
	s->done++;
	pthread_cond_signal(&s->news);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Read again (a retry) or given up: the page's records go. */
static void ps_discard(void *ctx)
{
	dg_page_stream *s = ctx;
	forget_page(s);
	dg_dir_user_list_truncate(s->users, s->mark);
}

static const dg_body_reader page_body_reader = { ps_begin, ps_feed, ps_end, ps_discard };

/* ---- on the connector's thread (as the HTTP body sink too) ---------------- */

dg_page_stream *dg_page_stream_start(const dg_page_reader *rd, void *ctx,
				     dg_dir_user_list *users)
{
	dg_page_stream *s = dg_xcalloc(1, sizeof *s);
	s->rd = *rd;
	s->ctx = ctx;
	s->users = users;
	s->failed_page = s->next_page = NO_PAGE;
	dg_strbuf_init(&s->why);
	dg_strbuf_init(&s->fail_why);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->news, NULL);
	if (!(s->pipe = dg_bodypipe_start(&page_body_reader, s))) {
		dg_page_stream_stop(s);
		return NULL;
	}
	return s;
}

void dg_page_stream_stop(dg_page_stream *s)
{
	if (!s)
		return;
	dg_bodypipe_stop(s->pipe);  /* reads what is queued, discards a page still open */
	/* a walk that failed leaves read pages nobody took */
	dg_dir_users_release(s->ready, s->nready, s->users->arena != NULL);
	free(s->ready);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->news);
	dg_strbuf_release(&s->why);
	dg_strbuf_release(&s->fail_why);
	free(s->next);
	free(s);
}

void dg_page_stream_handoff(dg_page_stream *s, dg_dir_users_fn fn, void *ctx)
{
	s->settled = fn;
	s->settled_ctx = ctx;
}

/* Gives the records of read pages to `settled`, without the lock (the
 * lock is held on entry and on return): 1 when there were some. */
static int hand_over(dg_page_stream *s)
{
	dg_dir_user *items = s->ready;
	size_t n = s->nready;

	if (!n)
		return 0;
	s->ready = NULL;
	s->nready = s->ready_alloc = 0;
	pthread_mutex_unlock(&s->mu);
	s->settled(s->settled_ctx, items, n, s->users->arena != NULL);
	free(items);
	pthread_mutex_lock(&s->mu);
	return 1;
}

static void sink_put(void *ctx, const char *data, size_t len)
{
	dg_page_stream *s = ctx;
	dg_bodypipe_put(s->pipe, data, len);
}

/* A retry after part of the page was read: the reader starts over. */
static void sink_restart(void *ctx)
{
	dg_page_stream *s = ctx;
	dg_bodypipe_discard(s->pipe);
	dg_bodypipe_begin(s->pipe);
}

void dg_page_stream_begin(dg_page_stream *s, dg_http_request *req)
{
	req->sink = sink_put;
	req->sink_restart = sink_restart;
	req->sink_ctx = s;
	dg_bodypipe_begin(s->pipe);
}

/* The reader refused a page (the lock is held): -1 with which and why. */
static int refused(dg_page_stream *s, size_t *bad, dg_strbuf *why)
{
	*bad = s->failed_page;
	dg_strbuf_adds(why, s->fail_why.buf);
	pthread_mutex_unlock(&s->mu);
	return -1;
}

int dg_page_stream_end(dg_page_stream *s, char **next, size_t *bad, dg_strbuf *why)
{
	size_t page = s->ended++;

	*next = NULL;
	dg_bodypipe_end(s->pipe);
	pthread_mutex_lock(&s->mu);
	/* every page before this one read, and this one read or its link known */
	while (s->failed_page == NO_PAGE &&
	       !(s->done >= page && (s->done > page || s->next_page == page)))
		if (!hand_over(s))  /* the wait is the time to take them */
			pthread_cond_wait(&s->news, &s->mu);
	if (s->failed_page != NO_PAGE)
		return refused(s, bad, why);
	if (s->next_page == page) {
		*next = s->next;
		s->next = NULL;
		s->next_page = NO_PAGE;
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int dg_page_stream_settle(dg_page_stream *s, size_t *bad, dg_strbuf *why)
{
	pthread_mutex_lock(&s->mu);
	while (s->failed_page == NO_PAGE && s->done < s->ended)
		if (!hand_over(s))
			pthread_cond_wait(&s->news, &s->mu);
	if (s->failed_page != NO_PAGE)
		return refused(s, bad, why);
	while (hand_over(s))  /* every page read: the last ones */
		;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int dg_page_stream_finish(dg_page_stream *s, char **next, dg_strbuf *why)
{
	size_t bad;
	if (dg_page_stream_end(s, next, &bad, why) < 0 || dg_page_stream_settle(s, &bad, why) < 0) {
		free(*next);
		*next = NULL;
		return -1;
	}
	return 0;
}

void dg_page_stream_discard(dg_page_stream *s)
{
	dg_bodypipe_discard(s->pipe);
}

int dg_page_read_whole(const dg_page_reader *rd, void *ctx, const char *text, size_t len,
		       char **next, dg_strbuf *why)
{
	void *page = rd->open(ctx);
	int rc = rd->feed(page, text, len, why);

	*next = NULL;
	if (rc == 0)
		rc = rd->finish(ctx, page, next, why);
	rd->close(page);
	return rc;
}

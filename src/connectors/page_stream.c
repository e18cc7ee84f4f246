/* Live directory pages read on a second thread (page_stream.h). */
#include "page_stream.h"

#include "../net/bodypipe.h"

#include <stdlib.h>

struct dg_page_stream {
	dg_page_reader rd;
	void *ctx;
	dg_dir_user_list *users;
	dg_bodypipe *pipe;
	/* written on the pipe's thread, read after finish/discard returned */
	void *page;           /* the reader of the page being read */
	size_t mark;          /* records in the list when the page began */
	int failed;
	dg_strbuf why;
	char *next;
};

/* ---- on the pipe's thread ------------------------------------------------ */

static void ps_begin(void *ctx)
{
	dg_page_stream *s = ctx;
	s->mark = s->users->nr;
	s->failed = 0;
	dg_strbuf_reset(&s->why);
	s->page = s->rd.open(s->ctx);
}

static int ps_feed(void *ctx, const char *buf, size_t len)
{
	dg_page_stream *s = ctx;
	if (!s->failed && s->rd.feed(s->page, buf, len, &s->why) < 0)
		s->failed = 1;
	return s->failed ? -1 : 0;
}

static void forget_page(dg_page_stream *s)
{
	if (s->page)
		s->rd.close(s->page);
	s->page = NULL;
}

static int ps_end(void *ctx)
{
	dg_page_stream *s = ctx;
	int rc = s->failed ? -1 : s->rd.finish(s->ctx, s->page, &s->next, &s->why);
	forget_page(s);
	if (rc < 0)
		dg_dir_user_list_truncate(s->users, s->mark);
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
	dg_strbuf_init(&s->why);
	if (!(s->pipe = dg_bodypipe_start(&page_body_reader, s))) {
		dg_strbuf_release(&s->why);
		free(s);
		return NULL;
	}
	return s;
}

void dg_page_stream_stop(dg_page_stream *s)
{
	if (!s)
		return;
	dg_bodypipe_stop(s->pipe);  /* discards a page still open */
	dg_strbuf_release(&s->why);
	free(s->next);
	free(s);
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

int dg_page_stream_finish(dg_page_stream *s, char **next, dg_strbuf *why)
{
	*next = NULL;
	if (dg_bodypipe_finish(s->pipe) < 0) {
		dg_strbuf_adds(why, s->why.len ? s->why.buf : "unreadable");
		free(s->next);
		s->next = NULL;
		return -1;
	}
	*next = s->next;
	s->next = NULL;
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

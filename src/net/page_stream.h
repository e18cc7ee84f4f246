/* Live directory pages read on a second thread while they arrive.
 *
 * Receiving a page of users (999 from Graph, 500 from Google) and parsing
 * it cost about the same; one after the other they add up.  A connector
 * names its page reader (dg_page_reader); a page stream runs it on the
 * body pipe's thread (net/bodypipe.h), fed by the HTTP request's body sink
 * (net/http.h), and owns what a half-read page leaves behind: a page that
 * is sent again (a retry) or given up takes its records out of the list,
 * so no user is kept twice.
 *
 * Threads: the reader's functions run on the pipe's thread only, one page
 * after the other; the connector's thread must not touch the user list or
 * anything else the reader writes between dg_page_stream_begin and
 * settle/finish/discard returning.  Whatever the reader counts for the page it
 * adds to the connector's totals in `finish`, so a discarded page leaves
 * them untouched. */
#ifndef DG_PAGE_STREAM_H
#define DG_PAGE_STREAM_H

#include "../core/mapping.h"
#include "../core/strbuf.h"
#include "http.h"

typedef struct dg_page_reader {
	/* A reader for one page that appends its records to the list. */
	void *(*open)(void *ctx);
	/* The next piece of the page: 0, or -1 with the reason in `why`. */
	int (*feed)(void *page, const char *buf, size_t len, dg_strbuf *why);
	/* The page ended: 0 with *next = where the next page is (malloc'd:
	 * a link or a page token) or NULL on the last page; -1 with `why`. */
	int (*finish)(void *ctx, void *page, char **next, dg_strbuf *why);
	/* Forgets the page reader (after finish, or instead of it). */
	void (*close)(void *page);
	/* Optional: the link to the next page once the reader has met it, or
	 * NULL.  Graph writes @odata.nextLink ahead of the users: the next
	 * page is then asked for while this one is still being read. */
	const char *(*next_early)(void *page);
} dg_page_reader;

typedef struct dg_page_stream dg_page_stream;

/* NULL when no thread can be made: the caller then reads whole pages on
 * its own thread. */
dg_page_stream *dg_page_stream_start(const dg_page_reader *rd, void *ctx,
				     dg_dir_user_list *users);
void dg_page_stream_stop(dg_page_stream *s);
/* Before the first page: the records of each page read (once its verdict
 * is in, so no retry can drop them) leave the list for `fn`, which gets
 * them on the connector's thread while it waits in end or settle for the
 * reader, in list order; the list then holds only the page being read.
 * settle hands over the last ones; those of a walk that fails are freed. */
void dg_page_stream_handoff(dg_page_stream *s, dg_dir_users_fn fn, void *ctx);

/* A page starts: its 2xx body will go from `req` to the reader. */
void dg_page_stream_begin(dg_page_stream *s, dg_http_request *req);
/* After the request got its 200 answer.  Waits until every page before
 * this one has been read and this one has been read too or has shown its
 * next link (next_early): 0 with *next (malloc'd; NULL on the last page),
 * or -1 with the reason in `why` and *bad = the refused page, counted
 * from 0 among the pages this stream ended (its records are dropped).
 * A page can still be refused after its link was given: the next end or
 * settle says so. */
int dg_page_stream_end(dg_page_stream *s, char **next, size_t *bad, dg_strbuf *why);
/* Waits until every page ended has been read: 0, or -1 as for end. */
int dg_page_stream_settle(dg_page_stream *s, size_t *bad, dg_strbuf *why);
/* end and settle in one, for a reader without next_early: the page is
 * read when it returns. */
int dg_page_stream_finish(dg_page_stream *s, char **next, dg_strbuf *why);
/* The request failed or was refused: the page's records go. */
void dg_page_stream_discard(dg_page_stream *s);

/* A whole page already received (a saved one, or when no thread runs)
 * through the same reader, on the caller's thread: as finish above. */
int dg_page_read_whole(const dg_page_reader *rd, void *ctx, const char *text, size_t len,
		       char **next, dg_strbuf *why);

#endif

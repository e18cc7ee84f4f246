/* HTTP bodies read on a second thread while they arrive.
 *
 * Parsing a page of 999 directory users takes about as long as receiving
 * it; with the reader on its own thread the two overlap.  One body at a
 * time: the connector's thread starts a body, puts the pieces curl hands
 * over (dg_http_request.sink), then waits for the reader's verdict
 * (finish), ends it without waiting (end: the next body may start while
 * the reader is still on this one) or drops the body (discard, e.g.
 * before a retry; it waits, also for bodies ended before it).  The reader's
 * functions run only on the pipe's thread, one body after the other; the
 * connector must not touch what they write until finish/discard returns. */
#ifndef DG_BODYPIPE_H
#define DG_BODYPIPE_H

#include <stddef.h>

typedef struct dg_body_reader {
	void (*begin)(void *ctx);                            /* a body starts */
	int (*feed)(void *ctx, const char *buf, size_t len); /* -1: bad, skip the rest */
	int (*end)(void *ctx);  /* complete (also after a failed feed): 0 or -1 */
	void (*discard)(void *ctx);                          /* forget this body */
} dg_body_reader;

typedef struct dg_bodypipe dg_bodypipe;

/* Starts the reader's thread; NULL when no thread can be made (the caller
 * then reads the bodies itself). */
dg_bodypipe *dg_bodypipe_start(const dg_body_reader *rd, void *ctx);
/* Ends the thread (any body not finished is discarded). */
void dg_bodypipe_stop(dg_bodypipe *p);

void dg_bodypipe_begin(dg_bodypipe *p);
/* Copies the piece; waits while the reader is far behind. */
void dg_bodypipe_put(dg_bodypipe *p, const char *buf, size_t len);
/* Waits until the reader has read the body: 0, or -1 when feed or end said
 * so. */
int dg_bodypipe_finish(dg_bodypipe *p);
/* The body is complete, without waiting: the reader's `end` will say what
 * it made of it (a caller that fetches the next body meanwhile learns the
 * verdict from its reader).  A later begin starts the next body. */
void dg_bodypipe_end(dg_bodypipe *p);
/* Waits until the reader has forgotten the body. */
void dg_bodypipe_discard(dg_bodypipe *p);

#endif

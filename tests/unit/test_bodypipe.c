/* Bodies read on a second thread (net/bodypipe.h). */
#include "net/bodypipe.h"
#include "core/strbuf.h"
#include "test.h"

#include <pthread.h>

/* A reader that keeps every body it accepted, and checks it runs on the
 * pipe's thread, never on the caller's. */
typedef struct log_reader {
	pthread_t caller;
	int wrong_thread;
	dg_strbuf cur;
	dg_strlist bodies;       /* accepted, in order */
	int begins, ends, discards;
	const char *refuse;      /* feed says -1 when the body holds this */
} log_reader;

static void lr_begin(void *ctx)
{
	log_reader *l = ctx;
	l->wrong_thread |= pthread_equal(pthread_self(), l->caller);
	l->begins++;
	dg_strbuf_reset(&l->cur);
}

static int lr_feed(void *ctx, const char *buf, size_t len)
{
	log_reader *l = ctx;
	dg_strbuf_add(&l->cur, buf, len);
	return l->refuse && strstr(l->cur.buf, l->refuse) ? -1 : 0;
}

static int lr_end(void *ctx)
{
	log_reader *l = ctx;
	l->ends++;
	dg_strlist_push(&l->bodies, l->cur.buf ? l->cur.buf : "");
	return 0;
}

static void lr_discard(void *ctx)
{
	((log_reader *)ctx)->discards++;
}

static const dg_body_reader lr = { lr_begin, lr_feed, lr_end, lr_discard };

static void test_bodies_in_order(void)
{
	log_reader l = { .caller = pthread_self() };
	dg_bodypipe *p = dg_bodypipe_start(&lr, &l);
	dg_strbuf big = DG_STRBUF_INIT;
	int same = 1;

	/* 10 MB in odd pieces: more than the queue holds, so the producer waits */
	for (size_t i = 0; i < 10u << 20; i++)
		dg_strbuf_addch(&big, (char)('a' + i % 26));
	dg_bodypipe_begin(p);
	for (size_t off = 0, n; off < big.len; off += n) {
		n = big.len - off < 12345 ? big.len - off : 12345;
		dg_bodypipe_put(p, big.buf + off, n);
	}
	CHECK_INT(dg_bodypipe_finish(p), 0);
	dg_bodypipe_begin(p);
	CHECK_INT(dg_bodypipe_finish(p), 0);  /* an empty body */
	dg_bodypipe_begin(p);
	dg_bodypipe_put(p, "half", 4);
	dg_bodypipe_discard(p);               /* a retry: forgotten */
	dg_bodypipe_begin(p);
	dg_bodypipe_put(p, "whole", 5);
	CHECK_INT(dg_bodypipe_finish(p), 0);
	dg_bodypipe_stop(p);

	CHECK_INT(l.bodies.nr, 3);
	if (l.bodies.nr == 3) {
		same = strlen(l.bodies.items[0]) == big.len && !strcmp(l.bodies.items[0], big.buf);
		CHECK(same);
		CHECK_STR(l.bodies.items[1], "");
		CHECK_STR(l.bodies.items[2], "whole");
	}
	CHECK(l.begins == 4 && l.ends == 3 && l.discards == 1);
	CHECK(!l.wrong_thread);
	dg_strbuf_release(&big);
	dg_strbuf_release(&l.cur);
	dg_strlist_clear(&l.bodies);
}

/* A refused body: the rest is not fed, end still runs (to clean up) and
 * finish says -1; the next body is read normally. */
static void test_refused_body(void)
{
	log_reader l = { .caller = pthread_self(), .refuse = "BAD" };
	dg_bodypipe *p = dg_bodypipe_start(&lr, &l);
	char more[1000];

	memset(more, 'm', sizeof more);
	dg_bodypipe_begin(p);
	dg_bodypipe_put(p, "BAD", 3);
	for (int i = 0; i < 1000; i++)  /* 1 MB after it: many blocks not fed */
		dg_bodypipe_put(p, more, sizeof more);
	CHECK_INT(dg_bodypipe_finish(p), -1);
	dg_bodypipe_begin(p);
	dg_bodypipe_put(p, "fine", 4);
	CHECK_INT(dg_bodypipe_finish(p), 0);
	dg_bodypipe_begin(p);       /* left open: stop discards it */
	dg_bodypipe_put(p, "open", 4);
	dg_bodypipe_stop(p);

	CHECK_INT(l.ends, 2);
	CHECK(l.bodies.nr == 2 && !strncmp(l.bodies.items[0], "BAD", 3) &&
	      strlen(l.bodies.items[0]) < 3 + 1000 * sizeof more &&
	      !strcmp(l.bodies.items[1], "fine"));
	CHECK_INT(l.discards, 1);
	dg_strbuf_release(&l.cur);
	dg_strlist_clear(&l.bodies);
}

int main(void)
{
	RUN(test_bodies_in_order);
	RUN(test_refused_body);
	return dg_t_done();
}

/* HTTP bodies read on a second thread (bodypipe.h).
 *
 * A queue of 64 KiB blocks guarded by one mutex: curl hands over pieces of
 * up to 16 KiB, so the lock is taken once per piece and the reader wakes
 * once per block.  At most QUEUE_MAX bytes wait; then the producer waits,
 * which keeps memory flat when the reader is the slower side. */
#include "bodypipe.h"

#include "../core/strbuf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE ((size_t)64 << 10)
#define QUEUE_MAX ((size_t)4 << 20)

enum block_kind { B_BEGIN, B_DATA, B_END, B_DISCARD, B_STOP };

typedef struct block {
	struct block *next;
	enum block_kind kind;
	size_t len;
	char data[];           /* B_DATA only */
} block;

struct dg_bodypipe {
	dg_body_reader rd;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;    /* the reader: a block is queued */
	pthread_cond_t room;    /* the producer: bytes left the queue, or a verdict */
	block *head, *tail;
	block *filling;         /* the producer's block, not queued yet */
	size_t queued;          /* bytes in queued data blocks */
	unsigned long markers;  /* END / DISCARD blocks queued */
	unsigned long verdicts; /* END / DISCARD blocks the reader has done */
	int result;             /* of the last END */
};

static block *block_new(enum block_kind kind)
{
	block *b = dg_xmalloc(sizeof *b + (kind == B_DATA ? BLOCK_SIZE : 0));
	b->next = NULL;
	b->kind = kind;
	b->len = 0;
	return b;
}

/* Queues `b` (the lock is held). */
static void enqueue(dg_bodypipe *p, block *b)
{
	if (p->tail)
		p->tail->next = b;
	else
		p->head = b;
	p->tail = b;
	p->queued += b->len;
	pthread_cond_signal(&p->wake);
}

static block *dequeue(dg_bodypipe *p)
{
	block *b;
	pthread_mutex_lock(&p->mu);
	while (!p->head)
		pthread_cond_wait(&p->wake, &p->mu);
	b = p->head;
	p->head = b->next;
	if (!p->head)
		p->tail = NULL;
	pthread_mutex_unlock(&p->mu);
	return b;
}

/* After an END or DISCARD: the result for the waiting producer. */
static void verdict(dg_bodypipe *p, int result)
{
	pthread_mutex_lock(&p->mu);
	p->result = result;
	p->verdicts++;
	pthread_cond_signal(&p->room);
	pthread_mutex_unlock(&p->mu);
}

static void *reader_main(void *arg)
{
	dg_bodypipe *p = arg;
	int bad = 0, open = 0;

	for (;;) {
		block *b = dequeue(p);
		enum block_kind kind = b->kind;
		if (kind == B_BEGIN) {
			bad = 0;
			open = 1;
			p->rd.begin(p->ctx);
		} else if (kind == B_DATA) {
			if (!bad && p->rd.feed(p->ctx, b->data, b->len) < 0)
				bad = 1;  /* the rest of this body is not read */
			pthread_mutex_lock(&p->mu);
			p->queued -= b->len;
			pthread_cond_signal(&p->room);
			pthread_mutex_unlock(&p->mu);
		} else if (kind == B_END) {
			int rc = p->rd.end(p->ctx);  /* always: it also cleans up */
			open = 0;
			verdict(p, bad || rc < 0 ? -1 : 0);
		} else if (kind == B_DISCARD || (kind == B_STOP && open)) {
			open = 0;
			p->rd.discard(p->ctx);
			verdict(p, 0);
		}
		free(b);
		if (kind == B_STOP)
			return NULL;
	}
}

/* A pipe whose thread is gone, or never ran. */
static void pipe_free(dg_bodypipe *p)
{
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->room);
	free(p);
}

dg_bodypipe *dg_bodypipe_start(const dg_body_reader *rd, void *ctx)
{
	dg_bodypipe *p = dg_xcalloc(1, sizeof *p);
	p->rd = *rd;
	p->ctx = ctx;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->room, NULL);
	if (pthread_create(&p->thread, NULL, reader_main, p)) {
		pipe_free(p);
		return NULL;
	}
	return p;
}

/* Queues the block being filled, if any (the lock is held). */
static void flush_filling(dg_bodypipe *p)
{
	if (p->filling && p->filling->len)
		enqueue(p, p->filling);
	else
		free(p->filling);
	p->filling = NULL;
}

static void put_marker(dg_bodypipe *p, enum block_kind kind)
{
	pthread_mutex_lock(&p->mu);
	flush_filling(p);
	enqueue(p, block_new(kind));
	pthread_mutex_unlock(&p->mu);
}

/* Queues an END or DISCARD marker (the lock is held); returns its number
 * among the verdicts the reader will give. */
static unsigned long queue_verdict(dg_bodypipe *p, enum block_kind kind)
{
	flush_filling(p);
	enqueue(p, block_new(kind));
	return ++p->markers;
}

/* Queues a marker and waits for the reader's verdict on it (ENDs queued
 * before it, not waited for, are done first). */
static int await_verdict(dg_bodypipe *p, enum block_kind kind)
{
	unsigned long want;
	int result;
	pthread_mutex_lock(&p->mu);
	want = queue_verdict(p, kind);
	while (p->verdicts < want)
		pthread_cond_wait(&p->room, &p->mu);
	result = p->result;
	pthread_mutex_unlock(&p->mu);
	return result;
}

void dg_bodypipe_begin(dg_bodypipe *p)
{
	put_marker(p, B_BEGIN);
}

void dg_bodypipe_put(dg_bodypipe *p, const char *buf, size_t len)
{
	while (len) {
		size_t n;
		if (!p->filling)
			p->filling = block_new(B_DATA);
		n = BLOCK_SIZE - p->filling->len < len ? BLOCK_SIZE - p->filling->len : len;
		memcpy(p->filling->data + p->filling->len, buf, n);
		p->filling->len += n;
		buf += n;
		len -= n;
		if (p->filling->len < BLOCK_SIZE)
			break;
		pthread_mutex_lock(&p->mu);
		while (p->queued >= QUEUE_MAX)
			pthread_cond_wait(&p->room, &p->mu);
		flush_filling(p);
		pthread_mutex_unlock(&p->mu);
	}
}

int dg_bodypipe_finish(dg_bodypipe *p)
{
	return await_verdict(p, B_END);
}

void dg_bodypipe_end(dg_bodypipe *p)
{
	pthread_mutex_lock(&p->mu);
	queue_verdict(p, B_END);
	pthread_mutex_unlock(&p->mu);
}

void dg_bodypipe_discard(dg_bodypipe *p)
{
	await_verdict(p, B_DISCARD);
}

void dg_bodypipe_stop(dg_bodypipe *p)
{
	if (!p)
		return;
	put_marker(p, B_STOP);
	pthread_join(p->thread, NULL);  /* STOP is the last block: the queue is empty */
	pipe_free(p);
}

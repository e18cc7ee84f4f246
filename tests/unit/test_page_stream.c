/* Pages read on a second thread (net/page_stream.h): the next page
 * may be asked for as soon as the reader met its link, a page refused
 * after that is still reported (and which one), a retried page counts
 * once.  The "HTTP layer" here is the request's sink called directly, in
 * small pieces, as curl would. */
#include "net/page_stream.h"
#include "test.h"

#include <pthread.h>

/* A toy page format: tokens ending in ';'.  "L:link" is the link to the
 * next page (met early), "U:name" a user, "BAD" a page that is not what
 * the service sends. */
typedef struct toy_page {
	dg_dir_user_list *users;
	dg_strbuf pending;
	char *link;
} toy_page;

typedef struct toy {
	dg_dir_user_list users;
	size_t pages_finished;
} toy;

static void *toy_open(void *ctx)
{
	toy_page *p = dg_xcalloc(1, sizeof *p);
	p->users = &((toy *)ctx)->users;
	dg_strbuf_init(&p->pending);
	return p;
}

static int toy_token(toy_page *p, const char *t, dg_strbuf *why)
{
	if (!strncmp(t, "L:", 2) && !p->link)
		p->link = dg_xstrdup(t + 2);
	else if (!strncmp(t, "U:", 2))
		dg_dir_user_list_add(p->users, t + 2);
	else if (!strcmp(t, "BAD")) {
		dg_strbuf_adds(why, "a BAD token");
		return -1;
	}
	return 0;
}

static int toy_feed(void *page, const char *buf, size_t len, dg_strbuf *why)
{
	toy_page *p = page;
	char *semi;
	dg_strbuf_add(&p->pending, buf, len);
	while ((semi = memchr(p->pending.buf, ';', p->pending.len))) {
		size_t n = (size_t)(semi - p->pending.buf);
		char *t = dg_xstrndup(p->pending.buf, n);
		int rc = toy_token(p, t, why);
		free(t);
		memmove(p->pending.buf, semi + 1, p->pending.len - n - 1);
		dg_strbuf_setlen(&p->pending, p->pending.len - n - 1);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int toy_finish(void *ctx, void *page, char **next, dg_strbuf *why)
{
	toy_page *p = page;
	if (p->pending.len) {
		dg_strbuf_adds(why, "cut off");
		return -1;
	}
	((toy *)ctx)->pages_finished++;
	*next = p->link ? dg_xstrdup(p->link) : NULL;
	return 0;
}

static void toy_close(void *page)
{
	toy_page *p = page;
	dg_strbuf_release(&p->pending);
	free(p->link);
	free(p);
}

static const char *toy_next_early(void *page)
{
	return ((toy_page *)page)->link;
}

static const dg_page_reader toy_reader = { toy_open, toy_feed, toy_finish, toy_close,
					   toy_next_early };
static const dg_page_reader toy_reader_late = { toy_open, toy_feed, toy_finish, toy_close,
						NULL };

/* A page: its link (or NULL), then `n` users named <prefix>N, then `tail`. */
static char *page_text(const char *link, const char *prefix, int n, const char *tail)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	if (link)
		dg_strbuf_addf(&sb, "L:%s;", link);
	for (int i = 0; i < n; i++)
		dg_strbuf_addf(&sb, "U:%s%d;", prefix, i);
	dg_strbuf_adds(&sb, tail ? tail : "");
	return dg_strbuf_detach(&sb);
}

/* What curl does with a 200 answer: the body in pieces to the sink. */
static void receive(dg_page_stream *s, const char *body, size_t upto)
{
	dg_http_request req = { 0 };
	size_t len = strlen(body) < upto ? strlen(body) : upto;
	dg_page_stream_begin(s, &req);
	for (size_t off = 0, n; off < len; off += n) {
		n = len - off < 1000 ? len - off : 1000;
		req.sink(req.sink_ctx, body + off, n);
	}
}

static void test_pipelined_pages(void)
{
	toy t = { DG_DIR_USER_LIST_INIT, 0 };
	dg_page_stream *s = dg_page_stream_start(&toy_reader, &t, &t.users);
	char *pages[3] = { page_text("p1", "a", 5000, NULL), page_text("p2", "b", 5000, NULL),
			   page_text(NULL, "c", 10, NULL) };
	const char *want[3] = { "p1", "p2", NULL };
	dg_strbuf why = DG_STRBUF_INIT;
	size_t bad = 99;
	int links_ok = 1;

	for (int i = 0; i < 3; i++) {
		char *next = NULL;
		receive(s, pages[i], (size_t)-1);
		CHECK_INT(dg_page_stream_end(s, &next, &bad, &why), 0);
		links_ok &= want[i] ? next && !strcmp(next, want[i]) : !next;
		free(next);
	}
	CHECK(links_ok);
	CHECK_INT(dg_page_stream_settle(s, &bad, &why), 0);
	CHECK_INT(t.pages_finished, 3);
	CHECK_INT(t.users.nr, 10010);
	CHECK_STR(t.users.items[0].entry, "a0");
	CHECK_STR(t.users.items[5000].entry, "b0");
	CHECK_STR(t.users.items[10009].entry, "c9");
	dg_page_stream_stop(s);
	for (int i = 0; i < 3; i++)
		free(pages[i]);
	dg_dir_user_list_clear(&t.users);
	dg_strbuf_release(&why);
}

/* Page 0 shows its link, then turns out bad after page 1 was asked for:
 * the refusal names page 0 and its users are gone. */
static void test_refused_after_link(void)
{
	toy t = { DG_DIR_USER_LIST_INIT, 0 };
	dg_page_stream *s = dg_page_stream_start(&toy_reader, &t, &t.users);
	char *p0 = page_text("p1", "a", 20000, "BAD;"), *p1 = page_text(NULL, "b", 3, NULL);
	dg_strbuf why = DG_STRBUF_INIT;
	char *next = NULL;
	size_t bad = 99;
	int rc, kept_a = 0;

	receive(s, p0, (size_t)-1);
	rc = dg_page_stream_end(s, &next, &bad, &why);
	if (rc == 0) {  /* the link came first: page 1 goes out before page 0's verdict */
		CHECK_STR(next, "p1");
		free(next);
		next = NULL;
		receive(s, p1, (size_t)-1);
		rc = dg_page_stream_end(s, &next, &bad, &why);
	}
	CHECK_INT(rc, -1);
	CHECK_INT(bad, 0);
	CHECK(strstr(why.buf, "a BAD token") != NULL);
	CHECK(next == NULL);
	dg_page_stream_stop(s);
	for (size_t i = 0; i < t.users.nr; i++)
		kept_a |= t.users.items[i].entry[0] == 'a';
	CHECK(!kept_a);
	free(p0);
	free(p1);
	dg_dir_user_list_clear(&t.users);
	dg_strbuf_release(&why);
}

/* Page 1 is cut off mid-answer and sent again (curl's retry): its users
 * count once, page 0's stay. */
static void test_retry_while_pipelined(void)
{
	toy t = { DG_DIR_USER_LIST_INIT, 0 };
	dg_page_stream *s = dg_page_stream_start(&toy_reader, &t, &t.users);
	char *p0 = page_text("p1", "a", 4000, NULL), *p1 = page_text(NULL, "b", 4000, NULL);
	dg_strbuf why = DG_STRBUF_INIT;
	dg_http_request req = { 0 };
	char *next = NULL;
	size_t bad = 99;

	receive(s, p0, (size_t)-1);
	CHECK_INT(dg_page_stream_end(s, &next, &bad, &why), 0);
	CHECK_STR(next, "p1");
	free(next);
	dg_page_stream_begin(s, &req);
	req.sink(req.sink_ctx, p1, strlen(p1) / 2);
	req.sink_restart(req.sink_ctx);
	req.sink(req.sink_ctx, p1, strlen(p1));
	CHECK_INT(dg_page_stream_end(s, &next, &bad, &why), 0);
	CHECK(next == NULL);
	CHECK_INT(dg_page_stream_settle(s, &bad, &why), 0);
	CHECK_INT(t.users.nr, 8000);
	CHECK_STR(t.users.items[3999].entry, "a3999");
	CHECK_STR(t.users.items[4000].entry, "b0");
	CHECK_STR(t.users.items[7999].entry, "b3999");
	dg_page_stream_stop(s);
	free(p0);
	free(p1);
	dg_dir_user_list_clear(&t.users);
	dg_strbuf_release(&why);
}

/* Without next_early (Google: the token comes last) finish returns when
 * the page is read; a refused page says why and leaves no users. */
static void test_read_whole_first(void)
{
	toy t = { DG_DIR_USER_LIST_INIT, 0 };
	dg_page_stream *s = dg_page_stream_start(&toy_reader_late, &t, &t.users);
	char *p0 = page_text("p1", "a", 300, NULL), *p1 = page_text(NULL, "b", 300, "U:half");
	dg_strbuf why = DG_STRBUF_INIT;
	char *next = NULL;

	receive(s, p0, (size_t)-1);
	CHECK_INT(dg_page_stream_finish(s, &next, &why), 0);
	CHECK_INT(t.pages_finished, 1);  /* read when finish returned */
	CHECK_STR(next, "p1");
	free(next);
	receive(s, p1, (size_t)-1);
	CHECK_INT(dg_page_stream_finish(s, &next, &why), -1);
	CHECK(strstr(why.buf, "cut off") != NULL);
	CHECK_INT(t.users.nr, 300);
	dg_page_stream_stop(s);
	free(p0);
	free(p1);
	dg_dir_user_list_clear(&t.users);
	dg_strbuf_release(&why);
}

/* What a preview's mapping would get: the records handed over, moved into
 * a list of its own, on which thread and in how many batches. */
typedef struct taken {
	dg_dir_user_list got;
	pthread_t thread;
	int elsewhere;
	size_t batches;
} taken;

static void take(void *ctx, dg_dir_user *items, size_t nr, int in_arena)
{
	taken *t = ctx;
	(void)in_arena;
	t->batches++;
	t->elsewhere |= !pthread_equal(pthread_self(), t->thread);
	DG_ALLOC_GROW(t->got.items, t->got.nr + nr, t->got.alloc);
	memcpy(t->got.items + t->got.nr, items, nr * sizeof(*items));
	t->got.nr += nr;
}

/* With a handoff, the retried page's records still come once, in order,
 * on the connector's thread, and the list keeps none of them. */
static void test_handoff_retry(void)
{
	toy t = { DG_DIR_USER_LIST_INIT, 0 };
	taken k = { DG_DIR_USER_LIST_INIT, pthread_self(), 0, 0 };
	dg_page_stream *s = dg_page_stream_start(&toy_reader, &t, &t.users);
	char *p0 = page_text("p1", "a", 4000, NULL), *p1 = page_text(NULL, "b", 4000, NULL);
	dg_strbuf why = DG_STRBUF_INIT;
	dg_http_request req = { 0 };
	char *next = NULL;
	size_t bad = 99;

	dg_page_stream_handoff(s, take, &k);
	receive(s, p0, (size_t)-1);
	CHECK_INT(dg_page_stream_end(s, &next, &bad, &why), 0);
	free(next);
	dg_page_stream_begin(s, &req);
	req.sink(req.sink_ctx, p1, strlen(p1) / 2);
	req.sink_restart(req.sink_ctx);
	req.sink(req.sink_ctx, p1, strlen(p1));
	CHECK_INT(dg_page_stream_end(s, &next, &bad, &why), 0);
	CHECK_INT(dg_page_stream_settle(s, &bad, &why), 0);
	CHECK_INT(t.users.nr, 0);
	CHECK_INT(k.got.nr, 8000);
	if (k.got.nr == 8000) {
		CHECK_STR(k.got.items[0].entry, "a0");
		CHECK_STR(k.got.items[4000].entry, "b0");
		CHECK_STR(k.got.items[7999].entry, "b3999");
	}
	CHECK(k.batches >= 1 && k.batches <= 2);
	CHECK(!k.elsewhere);
	dg_page_stream_stop(s);
	free(p0);
	free(p1);
	dg_dir_user_list_clear(&t.users);
	dg_dir_user_list_clear(&k.got);
	dg_strbuf_release(&why);
}

/* A refused page's records are never handed over; read pages nobody took
 * before the walk failed are freed by stop (the sanitizers check). */
static void test_handoff_refused(void)
{
	toy t = { DG_DIR_USER_LIST_INIT, 0 };
	taken k = { DG_DIR_USER_LIST_INIT, pthread_self(), 0, 0 };
	dg_page_stream *s = dg_page_stream_start(&toy_reader, &t, &t.users);
	char *p0 = page_text("p1", "a", 3000, NULL), *p1 = page_text("p2", "b", 20000, "BAD;");
	char *p2 = page_text(NULL, "c", 3, NULL);
	dg_strbuf why = DG_STRBUF_INIT;
	char *next = NULL;
	size_t bad = 99;
	int rc, got_b = 0;

	dg_page_stream_handoff(s, take, &k);
	receive(s, p0, (size_t)-1);
	CHECK_INT(dg_page_stream_end(s, &next, &bad, &why), 0);
	free(next);
	next = NULL;
	receive(s, p1, (size_t)-1);
	rc = dg_page_stream_end(s, &next, &bad, &why);
	if (rc == 0) {
		free(next);
		next = NULL;
		receive(s, p2, (size_t)-1);
		rc = dg_page_stream_end(s, &next, &bad, &why);
	}
	CHECK_INT(rc, -1);
	CHECK_INT(bad, 1);
	for (size_t i = 0; i < k.got.nr; i++)
		got_b |= k.got.items[i].entry[0] != 'a';
	CHECK(!got_b);
	dg_page_stream_stop(s);
	free(p0);
	free(p1);
	free(p2);
	dg_dir_user_list_clear(&t.users);
	dg_dir_user_list_clear(&k.got);
	dg_strbuf_release(&why);
}

int main(void)
{
	RUN(test_pipelined_pages);
	RUN(test_refused_after_link);
	RUN(test_retry_while_pipelined);
	RUN(test_read_whole_first);
	RUN(test_handoff_retry);
	RUN(test_handoff_refused);
	return dg_t_done();
}

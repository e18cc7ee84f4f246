/* The cloud pager (net/pager.h): a chain of saved pages walked to its end,
 * and every way a chain is refused (the page again, past the bound, empty
 * pages that promise more, a page like the one before, cut short, a page
 * the reader refuses), each reaching the cloud's fail hook once with what
 * it needs for its finding; a request that gets no answer; the snapshot
 * line writer. */
#include "net/pager.h"
#include "test.h"

/* A toy cloud.  A saved page is "N NEXT": N records, then the token of the
 * next page ("-": the last page; "BAD": a page the reader refuses). */
typedef struct toy {
	const char *const *pages;    /* by index; NULL: not saved */
	size_t npages;
	size_t entries, done, renewals;
	int repeat_after;            /* the page read this many times repeats the one before */
	dg_strbuf text;
	dg_pager_failure failed;     /* the last failure, its strings copied below */
	size_t failures;
	char url[128], why[128];
	dg_oauth_token token;
} toy;

static dg_code toy_renew(void *ctx, dg_error *err)
{
	toy *t = ctx;
	(void)err;
	t->renewals++;
	free(t->token.access_token);
	t->token.access_token = dg_xstrdup("a-token");
	t->token.expires_at = 0;
	return DG_OK;
}

static dg_pager_verdict toy_classify(void *ctx, const dg_http_response *res)
{
	(void)ctx;
	return res->status == 401 ? DG_PAGER_RENEW : DG_PAGER_REFUSED;
}

static dg_code toy_fail(void *ctx, const dg_pager_failure *f, dg_error *err)
{
	toy *t = ctx;
	t->failures++;
	t->failed = *f;
	snprintf(t->url, sizeof t->url, "%s", f->url ? f->url : "");
	snprintf(t->why, sizeof t->why, "%s", f->why ? f->why : "");
	return dg_error_set(err, DG_E_PROTOCOL, "failed");
}

/* A link is the first URL with the token, as Google builds it. */
static char *toy_next_url(void *ctx, const char *first_url, const char *next)
{
	(void)ctx;
	return dg_xasprintf("%s?page=%s", first_url, next);
}

static const dg_pager_hooks toy_hooks = { toy_renew, toy_classify, toy_fail, toy_next_url };

static int toy_read(void *ctx, const dg_strbuf *text, char **next, int *stop, dg_strbuf *why)
{
	toy *t = ctx;
	char tok[32];
	unsigned n;
	*stop = 0;
	if (sscanf(text->buf, "%u %31s", &n, tok) != 2 || !strcmp(tok, "BAD")) {
		dg_strbuf_adds(why, "not a toy page");
		return -1;
	}
	t->entries += n;
	*next = strcmp(tok, "-") ? dg_xstrdup(tok) : NULL;
	return 0;
}

static dg_code toy_done(void *ctx, const dg_strbuf *text, dg_error *err)
{
	toy *t = ctx;
	(void)text;
	(void)err;
	t->done++;
	return DG_OK;
}

static size_t toy_entries(void *ctx)
{
	return ((toy *)ctx)->entries;
}

static int toy_repeats(void *ctx)
{
	toy *t = ctx;
	return t->repeat_after && t->done >= (size_t)t->repeat_after;
}

static const dg_strbuf *toy_saved(void *ctx, size_t idx, dg_code *rc)
{
	toy *t = ctx;
	*rc = DG_OK;
	dg_strbuf_reset(&t->text);
	dg_strbuf_adds(&t->text, t->pages[idx < t->npages ? idx : t->npages - 1]);
	return &t->text;
}

static int toy_saved_more(void *ctx, size_t idx)
{
	toy *t = ctx;
	return idx < t->npages && t->pages[idx];
}

/* Walks the saved chain `pages`; returns the walk's code. */
static dg_code walk(toy *t, const char *const *pages, size_t n, size_t max_pages)
{
	dg_pager pg = { .hooks = &toy_hooks, .ctx = t };
	dg_pager_walk w = { .first_url = "https://api.example/users", .what = "the toy users",
			    .max_pages = max_pages, .ctx = t, .read = toy_read, .done = toy_done,
			    .entries = toy_entries, .repeats = toy_repeats, .saved = toy_saved,
			    .saved_more = toy_saved_more };
	dg_error err = { 0 };
	dg_strbuf_init(&t->text);
	t->pages = pages;
	t->npages = n;
	return dg_pager_walk_chain(&pg, &w, &err);
}

static void toy_release(toy *t)
{
	dg_strbuf_release(&t->text);
	free(t->token.access_token);
}

static void test_chain(void)
{
	static const char *const pages[] = { "2 a", "3 b", "1 -" };
	toy t = { 0 };
	CHECK_INT(walk(&t, pages, 3, 10), DG_OK);
	CHECK_INT(t.entries, 6);
	CHECK_INT(t.done, 3);
	CHECK_INT(t.failures, 0);
	toy_release(&t);
}

static void test_repeat(void)
{
	/* page 1 links to itself (a page 2 is saved: not a chain cut short) */
	static const char *const pages[] = { "2 a", "2 a", "2 -" };
	toy t = { 0 };
	CHECK_INT(walk(&t, pages, 3, 10), DG_E_PROTOCOL);
	CHECK_INT(t.failures, 1);
	CHECK_INT(t.failed.kind, DG_PAGER_REPEAT);
	CHECK_INT(t.failed.pages, 2);
	CHECK_STR(t.url, "https://api.example/users?page=a");
	toy_release(&t);
}

static void test_bound(void)
{
	static const char *const pages[] = { "1 a", "1 b", "1 c", "1 d", "1 e" };
	toy t = { 0 };
	CHECK_INT(walk(&t, pages, 5, 3), DG_E_PROTOCOL);
	CHECK_INT(t.failed.kind, DG_PAGER_BOUND);
	CHECK_INT(t.failed.pages, 3);
	CHECK_INT(t.done, 3);
	CHECK_STR(t.failed.first_url, "https://api.example/users");
	toy_release(&t);
}

static void test_empty(void)
{
	/* empty pages under ever new tokens: refused at the tenth in a row */
	static const char *const pages[] = { "1 a", "0 b", "0 c", "0 d", "0 e", "0 f", "0 g",
					     "0 h", "0 i", "0 j", "0 k", "0 l", "0 m" };
	toy t = { 0 };
	CHECK_INT(walk(&t, pages, 13, 100), DG_E_PROTOCOL);
	CHECK_INT(t.failed.kind, DG_PAGER_EMPTY);
	CHECK_INT(t.failed.pages, 1 + DG_PAGER_MAX_EMPTY);
	toy_release(&t);
}

static void test_same_page(void)
{
	static const char *const pages[] = { "5 a", "5 b", "5 c", "5 -" };
	toy t = { .repeat_after = 2 };
	CHECK_INT(walk(&t, pages, 4, 100), DG_E_PROTOCOL);
	CHECK_INT(t.failed.kind, DG_PAGER_SAME_PAGE);
	CHECK_INT(t.failed.pages, 2);
	toy_release(&t);
}

static void test_cut_short_and_refused(void)
{
	static const char *const cut[] = { "1 a", "1 b", NULL };
	static const char *const bad[] = { "1 a", "1 BAD" };
	toy t = { 0 };
	CHECK_INT(walk(&t, cut, 3, 100), DG_E_PROTOCOL);
	CHECK_INT(t.failed.kind, DG_PAGER_BAD_PAGE);
	CHECK_INT(t.failed.page, 1);
	CHECK_STR(t.why, "cut short: the last saved page links to another");
	toy_release(&t);
	memset(&t, 0, sizeof t);
	CHECK_INT(walk(&t, bad, 2, 100), DG_E_PROTOCOL);
	CHECK_INT(t.failed.kind, DG_PAGER_BAD_PAGE);
	CHECK_INT(t.failed.page, 1);
	CHECK_STR(t.why, "not a toy page");
	CHECK_STR(t.url, "https://api.example/users?page=a");
	toy_release(&t);
}

/* Nothing listens on the discard port: a token first (there is none yet),
 * then one transport failure for the cloud's finding. */
static void test_no_answer(void)
{
	toy t = { 0 };
	dg_http_opts o = { .connect_timeout_ms = 2000 };
	dg_http *h = dg_http_new(&o);
	dg_pager pg = { .hooks = &toy_hooks, .ctx = &t, .http = h, .token = &t.token,
			.origin = "https://127.0.0.1:9" };
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	dg_error err = { 0 };

	CHECK(dg_pager_get(&pg, "https://127.0.0.1:9/users", "the users", 0, NULL, &res,
			   &err) != DG_OK);
	CHECK_INT(t.renewals, 1);
	CHECK_INT(t.failures, 1);
	CHECK_INT(t.failed.kind, DG_PAGER_TRANSPORT);
	CHECK(res.failure != DG_HTTP_OK);
	dg_http_response_release(&res);
	dg_http_free(h);
	toy_release(&t);
}

static void test_record(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	static const char body[] = "{\"value\":\r\n [1,\n2]}";
	dg_pager_record(&sb, "{\"stream\": \"users\", \"page\": ", body, strlen(body));
	CHECK_STR(sb.buf, "{\"stream\": \"users\", \"page\": {\"value\":   [1, 2]}}\n");
	dg_strbuf_release(&sb);
}

int main(void)
{
	RUN(test_chain);
	RUN(test_repeat);
	RUN(test_bound);
	RUN(test_empty);
	RUN(test_same_page);
	RUN(test_cut_short_and_refused);
	RUN(test_no_answer);
	RUN(test_record);
	return dg_t_done();
}

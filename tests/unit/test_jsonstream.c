/* JSON event streams with paths (core/jsonstream.h). */
#include "core/jsonstream.h"
#include "test.h"

/* Writes each event as "path=value " so a test can compare one string. */
static int record(void *ctx, const dg_jsonstream *js, const dg_js_event *ev)
{
	static const char *const names[] = { "null", "bool", "num", "str", "{", "}", "[", "]" };
	dg_strbuf *out = ctx;
	for (size_t i = 0; i < dg_jsonstream_depth(js); i++) {
		const dg_js_frame *f = dg_jsonstream_frame(js, i);
		if (f->is_array)
			dg_strbuf_addf(out, "/%zu", f->index);
		else
			dg_strbuf_addf(out, "/%s", f->key);
	}
	dg_strbuf_addf(out, "=%s", names[ev->type]);
	if (ev->type == DG_JS_STRING || ev->type == DG_JS_NUMBER)
		dg_strbuf_addf(out, ":%.*s", (int)ev->len, ev->str);
	if (ev->type == DG_JS_BOOL)
		dg_strbuf_adds(out, ev->boolean ? ":1" : ":0");
	dg_strbuf_addch(out, ' ');
	return 0;
}

/* Events of `text` fed `step` bytes at a time; "ERR <why>" on failure. */
static char *events(const char *text, size_t step)
{
	dg_strbuf out = DG_STRBUF_INIT, why = DG_STRBUF_INIT;
	dg_jsonstream *js = dg_jsonstream_new(record, &out);
	size_t len = strlen(text), n;
	int rc = 0;

	for (size_t off = 0; !rc && off < len; off += n) {
		n = len - off > step ? step : len - off;
		rc = dg_jsonstream_feed(js, text + off, n, &why);
	}
	if (!rc)
		rc = dg_jsonstream_finish(js, &why);
	if (rc) {
		dg_strbuf_reset(&out);
		dg_strbuf_addf(&out, "ERR %s", why.buf);
	}
	dg_jsonstream_free(js);
	dg_strbuf_release(&why);
	return dg_strbuf_detach(&out);
}

static void test_paths(void)
{
	const char *text = "{\"a\": [1, \"x\\u00e9\", {\"b\": true}], \"c\": null, \"k\\u0000z\": 2.5e1}";
	const char *want = "={ /a=[ /a/0=num:1 /a/1=str:x\xc3\xa9 /a/2={ /a/2/b=bool:1 /a/2=} "
			   "/a=] /c=null /k=num:2.5e1 =} ";
	for (size_t step = 1; step <= strlen(text); step *= 3) {
		char *got = events(text, step);
		CHECK_STR(got, want);
		free(got);
	}
}

static void test_refusals(void)
{
	static const struct { const char *text, *want; } bad[] = {
		{ "{\"a\": 1", "ERR not valid JSON: it ends after 7 bytes" },
		{ "{\"a\": 1} {}", "ERR not valid JSON at byte" },
		{ "{\"a\": 01}", "ERR not valid JSON at byte" },
		{ "{\"a\": \"\xc3\"}", "ERR not valid JSON at byte" },
		{ "// c\n{}", "ERR not valid JSON at byte" },
	};
	dg_strbuf deep = DG_STRBUF_INIT;
	char *got;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		got = events(bad[i].text, 2);
		CHECK(!strncmp(got, bad[i].want, strlen(bad[i].want)));
		if (strncmp(got, bad[i].want, strlen(bad[i].want)))
			printf("# %s -> %s\n", bad[i].text, got);
		free(got);
	}
	for (int i = 0; i <= DG_JS_MAX_DEPTH; i++)
		dg_strbuf_addch(&deep, '[');
	got = events(deep.buf, 1000);
	CHECK(!strncmp(got, "ERR nested deeper than 32 levels", 32));
	free(got);
	dg_strbuf_release(&deep);
}

/* A reader that says -1 stops the stream; the failure is marked as its own. */
static int stop_at_string(void *ctx, const dg_jsonstream *js, const dg_js_event *ev)
{
	(void)ctx;
	(void)js;
	return ev->type == DG_JS_STRING ? -1 : 0;
}

static void test_stop(void)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_jsonstream *js = dg_jsonstream_new(stop_at_string, NULL);
	CHECK(dg_jsonstream_feed(js, "[1, \"x\", 2]", 11, &why) < 0);
	CHECK(dg_jsonstream_stopped(js));
	dg_jsonstream_free(js);
	dg_strbuf_release(&why);
}

int main(void)
{
	RUN(test_paths);
	RUN(test_refusals);
	RUN(test_stop);
	return dg_t_done();
}

/* JSON as a stream of events with paths (jsonstream.h), on yajl. */
#include "jsonstream.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

struct dg_jsonstream {
	yajl_handle h;
	dg_js_fn fn;
	void *ctx;
	size_t depth;                      /* open containers */
	int too_deep, stopped;
	size_t fed;                        /* bytes fed before the current piece */
	dg_js_frame frames[DG_JS_MAX_DEPTH];
};

/* Hands one event to the reader; afterwards the value is complete, so the
 * enclosing array moves on to its next element. */
static int emit(dg_jsonstream *js, dg_js_type type, const char *s, size_t len, int b)
{
	dg_js_event ev = { type, s, len, b };
	if (js->fn(js->ctx, js, &ev) < 0) {
		js->stopped = 1;
		return 0;
	}
	if (type != DG_JS_OBJECT_START && type != DG_JS_ARRAY_START && js->depth &&
	    js->frames[js->depth - 1].is_array)
		js->frames[js->depth - 1].index++;
	return 1;
}

static int open_container(dg_jsonstream *js, dg_js_type type)
{
	dg_js_frame *f;
	if (!emit(js, type, NULL, 0, 0))
		return 0;
	if (js->depth == DG_JS_MAX_DEPTH) {
		js->too_deep = 1;
		return 0;
	}
	f = &js->frames[js->depth++];
	f->is_array = type == DG_JS_ARRAY_START;
	f->index = 0;
	f->key[0] = '\0';
	return 1;
}

static int close_container(dg_jsonstream *js, dg_js_type type)
{
	js->depth--;
	return emit(js, type, NULL, 0, 0);
}

static int on_null(void *c)
{
	return emit(c, DG_JS_NULL, NULL, 0, 0);
}

static int on_bool(void *c, int b)
{
	return emit(c, DG_JS_BOOL, NULL, 0, b != 0);
}

static int on_number(void *c, const char *s, size_t len)
{
	return emit(c, DG_JS_NUMBER, s, len, 0);
}

static int on_string(void *c, const unsigned char *s, size_t len)
{
	return emit(c, DG_JS_STRING, (const char *)s, len, 0);
}

static int on_key(void *c, const unsigned char *s, size_t len)
{
	dg_jsonstream *js = c;
	char *key = js->frames[js->depth - 1].key;
	const unsigned char *nul = memchr(s, '\0', len);
	if (nul)
		len = (size_t)(nul - s);  /* where C strings (and cJSON's keys) end */
	if (len >= DG_JS_KEY_MAX)
		len = 0;  /* no reader looks for such a key */
	memcpy(key, s, len);
	key[len] = '\0';
	return 1;
}

static int on_start_map(void *c)
{
	return open_container(c, DG_JS_OBJECT_START);
}

static int on_end_map(void *c)
{
	return close_container(c, DG_JS_OBJECT_END);
}

static int on_start_array(void *c)
{
	return open_container(c, DG_JS_ARRAY_START);
}

static int on_end_array(void *c)
{
	return close_container(c, DG_JS_ARRAY_END);
}

static const yajl_callbacks callbacks = {
	on_null, on_bool, NULL, NULL, on_number, on_string,
	on_start_map, on_key, on_end_map, on_start_array, on_end_array,
};

dg_jsonstream *dg_jsonstream_new(dg_js_fn fn, void *ctx)
{
	dg_jsonstream *js = dg_xcalloc(1, sizeof *js);
	js->fn = fn;
	js->ctx = ctx;
	js->h = yajl_alloc(&callbacks, NULL, js);
	if (!js->h)
		abort();  /* yajl only fails when out of memory */
	return js;
}

void dg_jsonstream_free(dg_jsonstream *js)
{
	if (!js)
		return;
	yajl_free(js->h);
	free(js);
}

/* The reason after a failed yajl call: the reader's stop, too deep, or
 * yajl's own message (without the text excerpt: pages are not logged). */
static int failed(dg_jsonstream *js, yajl_status st, dg_strbuf *why)
{
	size_t at = js->fed + yajl_get_bytes_consumed(js->h);
	if (js->stopped) {
		dg_strbuf_adds(why, "stopped");
	} else if (js->too_deep) {
		dg_strbuf_addf(why, "nested deeper than %d levels at byte %zu", DG_JS_MAX_DEPTH,
			       at);
	} else {
		unsigned char *msg = yajl_get_error(js->h, 0, NULL, 0);
		const char *m = (const char *)msg;
		/* "parse error: trailing garbage\n" -> "trailing garbage" */
		if (!strncmp(m, "parse error: ", 13) || !strncmp(m, "lexical error: ", 15))
			m = strchr(m, ':') + 2;
		dg_strbuf_addf(why, "not valid JSON at byte %zu: %.*s", at,
			       (int)strcspn(m, "\n"), m);
		yajl_free_error(js->h, msg);
	}
	(void)st;
	return -1;
}

int dg_jsonstream_feed(dg_jsonstream *js, const char *buf, size_t len, dg_strbuf *why)
{
	yajl_status st = yajl_parse(js->h, (const unsigned char *)buf, len);
	if (st != yajl_status_ok)
		return failed(js, st, why);
	js->fed += len;
	return 0;
}

int dg_jsonstream_finish(dg_jsonstream *js, dg_strbuf *why)
{
	yajl_status st = yajl_complete_parse(js->h);
	if (st != yajl_status_ok) {
		if (!js->stopped && !js->too_deep) {
			dg_strbuf_addf(why, "not valid JSON: it ends after %zu bytes, in the middle "
				       "of a value (cut off?)", js->fed);
			return -1;
		}
		return failed(js, st, why);
	}
	return 0;
}

int dg_jsonstream_stopped(const dg_jsonstream *js)
{
	return js->stopped;
}

size_t dg_jsonstream_depth(const dg_jsonstream *js)
{
	return js->depth;
}

const dg_js_frame *dg_jsonstream_frame(const dg_jsonstream *js, size_t i)
{
	return &js->frames[i];
}

int dg_jsonstream_at(const dg_jsonstream *js, size_t depth, const char *key)
{
	const dg_js_frame *f;
	if (js->depth != depth || !depth)
		return 0;
	f = &js->frames[depth - 1];
	return !f->is_array && !strcmp(f->key, key);
}

size_t dg_js_cstr_len(const dg_js_event *ev)
{
	const char *nul = memchr(ev->str, '\0', ev->len);
	return nul ? (size_t)(nul - ev->str) : ev->len;
}

size_t dg_js_keep_str(dg_strbuf *text, const dg_js_event *ev)
{
	size_t off = text->len;
	dg_strbuf_add(text, ev->str, dg_js_cstr_len(ev));
	dg_strbuf_addch(text, '\0');
	return off;
}

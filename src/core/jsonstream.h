/* JSON read as a stream of events (yajl underneath), each with the path
 * that leads to it.
 *
 * Directory pages of 999 users are read this way instead of as cJSON trees:
 * nothing is built that is not kept, and a reader only looks at the paths
 * it knows ("value"/N/"mail").  The text is checked as strictly as cJSON
 * would (one value, no comments, no trailing garbage) and UTF-8 is
 * validated as well. */
#ifndef DG_JSONSTREAM_H
#define DG_JSONSTREAM_H

#include "strbuf.h"

#include <stddef.h>

#define DG_JS_MAX_DEPTH 32   /* deeper documents are refused, not followed */
#define DG_JS_KEY_MAX 64     /* longer keys are kept as "" (no reader wants them) */

typedef enum dg_js_type {
	DG_JS_NULL,
	DG_JS_BOOL,
	DG_JS_NUMBER,
	DG_JS_STRING,
	DG_JS_OBJECT_START,
	DG_JS_OBJECT_END,
	DG_JS_ARRAY_START,
	DG_JS_ARRAY_END,
} dg_js_type;

/* One enclosing container on the path. */
typedef struct dg_js_frame {
	int is_array;
	size_t index;              /* array: the element being read */
	char key[DG_JS_KEY_MAX];   /* object: the member being read */
} dg_js_frame;

typedef struct dg_js_event {
	dg_js_type type;
	const char *str;           /* STRING: decoded text; NUMBER: as written */
	size_t len;
	int boolean;
} dg_js_event;

typedef struct dg_jsonstream dg_jsonstream;

/* Called for every value and container edge.  The path (depth + frames) is
 * the one leading to the event: a container's START and END events see
 * the same path as a scalar in its place would.  `str` lives only during
 * the call.  Return 0 to go on, -1 to stop (the reader explains why). */
typedef int (*dg_js_fn)(void *ctx, const dg_jsonstream *js, const dg_js_event *ev);

dg_jsonstream *dg_jsonstream_new(dg_js_fn fn, void *ctx);
void dg_jsonstream_free(dg_jsonstream *js);

/* Feeds the next piece of text (any split).  Returns 0, or -1 with `why`
 * set: where the syntax breaks, or "stopped" when the callback said -1 (the
 * reader then adds its own reason). */
int dg_jsonstream_feed(dg_jsonstream *js, const char *buf, size_t len, dg_strbuf *why);
/* The text has ended: -1 with `why` when the value is incomplete. */
int dg_jsonstream_finish(dg_jsonstream *js, dg_strbuf *why);
/* 1 when the last failure was the callback's -1, not the text. */
int dg_jsonstream_stopped(const dg_jsonstream *js);

size_t dg_jsonstream_depth(const dg_jsonstream *js);
/* The i-th enclosing container (0 = the root), i < depth. */
const dg_js_frame *dg_jsonstream_frame(const dg_jsonstream *js, size_t i);
/* A STRING event's length as cJSON reads it: up to the first NUL.  Readers
 * that replace a cJSON tree keep to it, so they make the same records. */
size_t dg_js_cstr_len(const dg_js_event *ev);
/* Appends the STRING event's text (up to a NUL, as above) and a NUL to
 * `text`; returns where it starts there (an offset: `text` may move). */
size_t dg_js_keep_str(dg_strbuf *text, const dg_js_event *ev);

/* 1 when the event is directly in an object member named `key` at `depth`
 * (the path has depth `depth` and its last frame is an object at `key`). */
int dg_jsonstream_at(const dg_jsonstream *js, size_t depth, const char *key);

#endif

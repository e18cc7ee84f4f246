#include "jsonpos.h"
#include "ascii.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Pointers of every value are kept as strings; an input built to make them
 * huge (a long key above a long array) stops being indexed past this. */
#define MAX_POINTER_BYTES (64u << 20)

typedef struct scan {
	const unsigned char *s;
	size_t len, i;
	int line, col;
	int depth;
	size_t pointer_bytes;
	dg_jsonpos *ix;
	dg_strbuf ptr;   /* pointer of the value being scanned */
	dg_strbuf key;   /* decoded key, scratch */
} scan;

/* ---- positions ------------------------------------------------------- */

/* Column bookkeeping for one consumed byte: continuation bytes of a UTF-8
 * sequence do not start a character; CR LF is one line break, a lone CR
 * one too (old Mac files). */
static void track(int *line, int *col, const unsigned char *s, size_t len, size_t i)
{
	unsigned char c = s[i];
	if (c == '\n' || (c == '\r' && (i + 1 >= len || s[i + 1] != '\n'))) {
		(*line)++;
		*col = 1;
	} else if ((c & 0xC0) != 0x80 && c != '\r') {
		(*col)++;
	}
}

static size_t bom_len(const unsigned char *s, size_t len)
{
	return len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF ? 3 : 0;
}

void dg_jsonpos_linecol(const char *text, size_t len, size_t offset, int *line, int *column)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = bom_len(s, len);
	*line = 1;
	*column = 1;
	if (offset > len)
		offset = len;
	for (; i < offset; i++)
		track(line, column, s, len, i);
}

void dg_jsonpos_error_at(const char *text, size_t len, const char *errptr,
			 int *line, int *column)
{
	size_t off = len;
	if (errptr && errptr >= text && errptr <= text + len)
		off = (size_t)(errptr - text);
	dg_jsonpos_linecol(text, len, off, line, column);
}

/* ---- pointers -------------------------------------------------------- */

void dg_json_pointer_add(dg_strbuf *sb, const char *key)
{
	dg_strbuf_addch(sb, '/');
	for (; *key; key++) {
		if (*key == '~')
			dg_strbuf_adds(sb, "~0");
		else if (*key == '/')
			dg_strbuf_adds(sb, "~1");
		else
			dg_strbuf_addch(sb, *key);
	}
}

void dg_json_pointer_add_index(dg_strbuf *sb, size_t index)
{
	dg_strbuf_addf(sb, "/%zu", index);
}

/* ---- scanner primitives ---------------------------------------------- */

static int at_end(const scan *sc)
{
	return sc->i >= sc->len;
}

static int peek(const scan *sc)
{
	return at_end(sc) ? -1 : sc->s[sc->i];
}

static void adv(scan *sc)
{
	track(&sc->line, &sc->col, sc->s, sc->len, sc->i);
	sc->i++;
}

static void skip_ws(scan *sc)
{
	int c;
	while ((c = peek(sc)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		adv(sc);
}

/* "'x'", "end of input", ... for messages about what was found. */
static void describe(const scan *sc, dg_strbuf *sb)
{
	int c = peek(sc);
	if (c < 0)
		dg_strbuf_adds(sb, "end of input");
	else if (c >= 0x21 && c < 0x7f)
		dg_strbuf_addf(sb, "'%c'", c);
	else if (c == ' ')
		dg_strbuf_adds(sb, "a space");
	else if (c < 0x20 || c == 0x7f)
		dg_strbuf_addf(sb, "control character 0x%02x", c);
	else
		dg_strbuf_adds(sb, "a non-ASCII character");
}

/* Records the first syntax error at the current position.  A message
 * ending in "found" gets what was found appended.  Always returns -1. */
static int fail_at(scan *sc, int line, int col, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail_at(scan *sc, int line, int col, size_t off, const char *fmt, ...)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	va_list ap;
	size_t n;
	if (sc->ix->err_message)
		return -1;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	n = strlen("found");
	if (sb.len >= n && !strcmp(sb.buf + sb.len - n, "found")) {
		dg_strbuf_addch(&sb, ' ');
		describe(sc, &sb);
	}
	sc->ix->err_message = dg_strbuf_detach(&sb);
	sc->ix->err_line = line;
	sc->ix->err_column = col;
	sc->ix->err_offset = off;
	return -1;
}

#define fail(sc, ...) fail_at((sc), (sc)->line, (sc)->col, (sc)->i, __VA_ARGS__)

/* ---- strings ----------------------------------------------------------- */

/* Reads the 4 hex digits after "\u"; sc->i is on the first digit. */
static long read_hex4(scan *sc)
{
	long v = 0;
	for (int k = 0; k < 4; k++) {
		int h = dg_hex_value(peek(sc));
		if (h < 0)
			return fail(sc, "expected 4 hex digits after \\u, found");
		v = v * 16 + h;
		adv(sc);
	}
	return v;
}

/* A \uXXXX escape, surrogate pairs joined; sc->i is on the 'u'.  NUL is
 * refused: C strings (cJSON's and ours) would silently cut the text there. */
static int scan_unicode_escape(scan *sc, dg_strbuf *out)
{
	int line = sc->line, col = sc->col - 1;
	size_t off = sc->i - 1;
	long hi, lo;
	adv(sc);
	if ((hi = read_hex4(sc)) < 0)
		return -1;
	if (hi == 0)
		return fail_at(sc, line, col, off, "\\u0000 (a NUL character) is not allowed in a profile");
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return fail_at(sc, line, col, off, "invalid \\u escape: a low surrogate without a high one");
	if (hi < 0xD800 || hi > 0xDBFF) {
		if (out)
			dg_utf8_put(out, (uint32_t)hi);
		return 0;
	}
	if (peek(sc) != '\\' || sc->i + 1 >= sc->len || sc->s[sc->i + 1] != 'u')
		return fail_at(sc, line, col, off, "invalid \\u escape: "
			       "a high surrogate must be followed by a low one");
	adv(sc);
	adv(sc);
	if ((lo = read_hex4(sc)) < 0)
		return -1;
	if (lo < 0xDC00 || lo > 0xDFFF)
		return fail_at(sc, line, col, off, "invalid \\u escape: "
			       "a high surrogate must be followed by a low one");
	if (out)
		dg_utf8_put(out, 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00));
	return 0;
}

static int scan_escape(scan *sc, dg_strbuf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p;
	int c;
	adv(sc); /* the backslash */
	c = peek(sc);
	if (c == 'u')
		return scan_unicode_escape(sc, out);
	if (c <= 0 || !(p = strchr(from, c)))
		return fail(sc, "invalid escape in string: expected one of "
			    "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX, found");
	if (out)
		dg_strbuf_addch(out, to[p - from]);
	adv(sc);
	return 0;
}

/* A string; sc->i is on the opening quote.  Decoded into `out` if given. */
static int scan_string(scan *sc, dg_strbuf *out)
{
	int line = sc->line, col = sc->col;
	size_t start = sc->i;
	adv(sc);
	for (;;) {
		int c = peek(sc);
		size_t n;
		if (c < 0)
			return fail_at(sc, line, col, start, "unterminated string: missing closing '\"'");
		if (c == '"') {
			adv(sc);
			return 0;
		}
		if (c == '\\') {
			if (scan_escape(sc, out) < 0)
				return -1;
			continue;
		}
		if (c == '\n' || c == '\r')
			return fail_at(sc, line, col, start, "unterminated string: missing closing '\"' "
				       "before the end of the line");
		if (c < 0x20)
			return fail(sc, "control character in string (write it escaped, e.g. \\n or \\t): found");
		if (!(n = dg_utf8_len(sc->s + sc->i, sc->len - sc->i)))
			return fail(sc, "invalid UTF-8 in string (the profile must be UTF-8 encoded)");
		if (out)
			dg_strbuf_add(out, sc->s + sc->i, n);
		while (n--)
			adv(sc);
	}
}

/* ---- numbers and literals ---------------------------------------------- */

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int scan_digits(scan *sc, const char *what)
{
	if (!is_digit(peek(sc)))
		return fail(sc, "expected a digit %s, found", what);
	while (is_digit(peek(sc)))
		adv(sc);
	return 0;
}

static int scan_number(scan *sc)
{
	if (peek(sc) == '-')
		adv(sc);
	if (peek(sc) == '0') {
		adv(sc);
		if (is_digit(peek(sc)))
			return fail(sc, "numbers must not have leading zeros");
	} else if (scan_digits(sc, "in number") < 0) {
		return -1;
	}
	if (peek(sc) == '.') {
		adv(sc);
		if (scan_digits(sc, "after '.'") < 0)
			return -1;
	}
	if (peek(sc) == 'e' || peek(sc) == 'E') {
		adv(sc);
		if (peek(sc) == '+' || peek(sc) == '-')
			adv(sc);
		if (scan_digits(sc, "in exponent") < 0)
			return -1;
	}
	return 0;
}

static int scan_literal(scan *sc, const char *word)
{
	size_t n = strlen(word);
	if (sc->len - sc->i < n || memcmp(sc->s + sc->i, word, n))
		return fail(sc, "invalid literal: expected %s", word);
	while (n--)
		adv(sc);
	return 0;
}

/* ---- values ------------------------------------------------------------- */

static int scan_value(scan *sc, size_t self);

/* Records the value about to be scanned under the current pointer. */
static size_t record(scan *sc, size_t parent, int line, int col)
{
	dg_jsonpos *ix = sc->ix;
	dg_jsonpos_entry *e;
	if (ix->truncated || sc->pointer_bytes + sc->ptr.len > MAX_POINTER_BYTES) {
		ix->truncated = 1;
		return (size_t)-1;
	}
	sc->pointer_bytes += sc->ptr.len + 1;
	DG_ALLOC_GROW(ix->items, ix->nr + 1, ix->alloc);
	e = &ix->items[ix->nr];
	e->pointer = dg_xstrndup(sc->ptr.buf ? sc->ptr.buf : "", sc->ptr.len);
	e->line = line;
	e->column = col;
	e->value_line = sc->line;
	e->value_column = sc->col;
	e->order = ix->nr;
	e->parent = parent;
	return ix->nr++;
}

static int scan_member(scan *sc, size_t self)
{
	int kline = sc->line, kcol = sc->col;
	size_t mark = sc->ptr.len, order;
	int rc;
	dg_strbuf_reset(&sc->key);
	if (scan_string(sc, &sc->key) < 0)
		return -1;
	skip_ws(sc);
	if (peek(sc) != ':')
		return fail(sc, "expected ':' after the key \"%s\", found", sc->key.buf);
	adv(sc);
	skip_ws(sc);
	dg_json_pointer_add(&sc->ptr, sc->key.buf);
	order = record(sc, self, kline, kcol);
	rc = scan_value(sc, order);
	dg_strbuf_setlen(&sc->ptr, mark);
	return rc;
}

static int scan_object(scan *sc, size_t self)
{
	adv(sc); /* { */
	skip_ws(sc);
	if (peek(sc) == '}') {
		adv(sc);
		return 0;
	}
	for (;;) {
		int c;
		skip_ws(sc);
		c = peek(sc);
		if (c == '}')
			return fail(sc, "trailing comma: expected another key after ',', found");
		if (c == '\'')
			return fail(sc, "keys must be in double quotes, found");
		if (c != '"')
			return fail(sc, "expected a key in double quotes, found");
		if (scan_member(sc, self) < 0)
			return -1;
		skip_ws(sc);
		c = peek(sc);
		if (c == '}') {
			adv(sc);
			return 0;
		}
		if (c == '"')
			return fail(sc, "expected ',' or '}' after an object member (missing comma?), found");
		if (c != ',')
			return fail(sc, "expected ',' or '}' after an object member, found");
		adv(sc);
	}
}

static int scan_array(scan *sc, size_t self)
{
	size_t index = 0;
	adv(sc); /* [ */
	skip_ws(sc);
	if (peek(sc) == ']') {
		adv(sc);
		return 0;
	}
	for (;;) {
		size_t mark = sc->ptr.len, order;
		int c, rc;
		skip_ws(sc);
		if (peek(sc) == ']')
			return fail(sc, "trailing comma: expected another item after ',', found");
		dg_json_pointer_add_index(&sc->ptr, index++);
		order = record(sc, self, sc->line, sc->col);
		rc = scan_value(sc, order);
		dg_strbuf_setlen(&sc->ptr, mark);
		if (rc < 0)
			return -1;
		skip_ws(sc);
		c = peek(sc);
		if (c == ']') {
			adv(sc);
			return 0;
		}
		if (c != ',')
			return fail(sc, "expected ',' or ']' after an array item, found");
		adv(sc);
	}
}

static int scan_value(scan *sc, size_t self)
{
	int c = peek(sc), rc;
	switch (c) {
	case '{':
	case '[':
		if (++sc->depth > DG_JSONPOS_MAX_DEPTH)
			return fail(sc, "nesting too deep (more than %d levels)", DG_JSONPOS_MAX_DEPTH);
		rc = c == '{' ? scan_object(sc, self) : scan_array(sc, self);
		sc->depth--;
		return rc;
	case '"':
		return scan_string(sc, NULL);
	case 't':
		return scan_literal(sc, "true");
	case 'f':
		return scan_literal(sc, "false");
	case 'n':
		return scan_literal(sc, "null");
	case '\'':
		return fail(sc, "strings must be in double quotes, found");
	default:
		if (c == '-' || is_digit(c))
			return scan_number(sc);
		return fail(sc, "expected a value (string, number, object, array, true, false or null), found");
	}
}

/* ---- index ------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
	const dg_jsonpos_entry *x = a, *y = b;
	int c = strcmp(x->pointer, y->pointer);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void add_dup(dg_jsonpos *ix, const dg_jsonpos_entry *first, dg_jsonpos_entry *e)
{
	dg_jsonpos_dup *d;
	DG_ALLOC_GROW(ix->dups, ix->ndups + 1, ix->dups_alloc);
	d = &ix->dups[ix->ndups++];
	d->pointer = e->pointer;
	e->pointer = NULL;
	d->line = e->line;
	d->column = e->column;
	d->first_line = first->line;
	d->first_column = first->column;
}

static int cmp_dup(const void *a, const void *b)
{
	const dg_jsonpos_dup *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->column < y->column ? -1 : x->column > y->column;
}

/* Sorted by (pointer, order), entries sharing a pointer are contiguous and
 * so are those sharing a parent too: a later one with the same parent is a
 * repeated key.  One with another parent lives under a repeated key and is
 * not reported again.  Only the first occurrence stays in the index. */
static void finish_index(dg_jsonpos *ix)
{
	size_t out = 0;
	if (ix->nr > 1)
		qsort(ix->items, ix->nr, sizeof(*ix->items), cmp_entry);
	for (size_t i = 0; i < ix->nr; i++) {
		dg_jsonpos_entry *e = &ix->items[i];
		if (out && !strcmp(ix->items[out - 1].pointer, e->pointer)) {
			const dg_jsonpos_entry *prev = &ix->items[i - 1];
			if (prev->parent == e->parent)
				add_dup(ix, &ix->items[out - 1], e);
			free(e->pointer);
			continue;
		}
		ix->items[out++] = *e;
	}
	ix->nr = out;
	if (ix->ndups > 1)
		qsort(ix->dups, ix->ndups, sizeof(*ix->dups), cmp_dup);
}

int dg_jsonpos_index(dg_jsonpos *ix, const char *text, size_t len)
{
	scan sc = { 0 };
	int rc;
	memset(ix, 0, sizeof(*ix));
	sc.s = (const unsigned char *)text;
	sc.len = len;
	sc.line = sc.col = 1;
	sc.ix = ix;
	sc.i = ix->bom = bom_len(sc.s, len);
	dg_strbuf_init(&sc.ptr);
	dg_strbuf_init(&sc.key);
	skip_ws(&sc);
	if (at_end(&sc)) {
		rc = fail(&sc, "the file is empty: expected a JSON object");
	} else {
		size_t root = record(&sc, (size_t)-1, sc.line, sc.col);
		rc = scan_value(&sc, root);
		skip_ws(&sc);
		if (rc == 0 && !at_end(&sc))
			rc = fail(&sc, "unexpected text after the end of the JSON document: found");
	}
	dg_strbuf_release(&sc.ptr);
	dg_strbuf_release(&sc.key);
	finish_index(ix);
	return rc < 0 ? -1 : 0;
}

void dg_jsonpos_release(dg_jsonpos *ix)
{
	for (size_t i = 0; i < ix->nr; i++)
		free(ix->items[i].pointer);
	for (size_t i = 0; i < ix->ndups; i++)
		free(ix->dups[i].pointer);
	free(ix->items);
	free(ix->dups);
	free(ix->err_message);
	memset(ix, 0, sizeof(*ix));
}

const dg_jsonpos_entry *dg_jsonpos_find(const dg_jsonpos *ix, const char *pointer)
{
	size_t lo = 0, hi = ix->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->items[mid].pointer, pointer);
		if (!c)
			return &ix->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int dg_jsonpos_locate(const dg_jsonpos *ix, const char *pointer, int *line, int *column)
{
	char *p = dg_xstrdup(pointer);
	int exact = 1, rc = -1;
	*line = *column = 0;
	for (;;) {
		const dg_jsonpos_entry *e = dg_jsonpos_find(ix, p);
		char *slash;
		if (e) {
			*line = e->line;
			*column = e->column;
			rc = exact;
			break;
		}
		if (!*p || !(slash = strrchr(p, '/')))
			break;
		*slash = '\0';
		exact = 0;
	}
	free(p);
	return rc;
}

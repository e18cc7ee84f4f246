/* Numbers kept as written: see jsonexact.h. */
#include "jsonexact.h"

#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

typedef struct num_span {
	const char *at;
	size_t len;
} num_span;

/* The number tokens of a valid JSON text, in document order.  Outside
 * strings, in text cJSON accepted, a '-' or a digit can only start one. */
static num_span *number_spans(const char *s, const char *end, size_t *nr)
{
	num_span *spans = NULL;
	size_t alloc = 0;

	*nr = 0;
	while (s < end) {
		if (*s == '"') {
			for (s++; s < end && *s != '"'; s++)
				if (*s == '\\')
					s++;
			s++;
		} else if (*s == '-' || (*s >= '0' && *s <= '9')) {
			const char *from = s;
			while (s < end && strchr("+-.0123456789eE", *s))
				s++;
			DG_ALLOC_GROW(spans, *nr + 1, alloc);
			spans[(*nr)++] = (num_span){ from, (size_t)(s - from) };
		} else {
			s++;
		}
	}
	return spans;
}

/* Gives each number node, in document order, the text of its token. */
static void attach(cJSON *item, const num_span *spans, size_t nr, size_t *next)
{
	for (; item; item = item->next) {
		if (cJSON_IsNumber(item) && *next < nr && !item->valuestring) {
			item->valuestring = dg_xstrndup(spans[*next].at, spans[*next].len);
			(*next)++;
		}
		attach(item->child, spans, nr, next);
	}
}

static size_t count_numbers(const cJSON *item)
{
	size_t n = 0;

	for (; item; item = item->next)
		n += cJSON_IsNumber(item) + count_numbers(item->child);
	return n;
}

cJSON *dg_json_parse_exact(const char *text, size_t len, const char **end)
{
	const char *stop = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &stop, 0);
	num_span *spans;
	size_t nr, next = 0;

	if (end)
		*end = stop;
	if (!root)
		return NULL;
	spans = number_spans(text, stop, &nr);
	/* The counts agree for every text cJSON accepts; should they not,
	 * the tree keeps cJSON's own numbers rather than wrong ones. */
	if (nr == count_numbers(root))
		attach(root, spans, nr, &next);
	free(spans);
	return root;
}

/* A kept text is used only while it still reads as the node's value: a
 * caller that changed the number changed valuedouble, not the text. */
static int text_still_holds(const cJSON *item)
{
	char *stop;
	double v;

	if (!item->valuestring || !*item->valuestring)
		return 0;
	v = strtod(item->valuestring, &stop);
	return !*stop && v == item->valuedouble;
}

/* Marks the number nodes this module turned into raw text for printing, so
 * that only they are turned back (cJSON leaves the bits above 0x200 alone). */
#define EXACT_RAW 0x4000

static void mark_raw(cJSON *item)
{
	if (cJSON_IsNumber(item) && text_still_holds(item))
		item->type = (item->type & ~0xFF) | cJSON_Raw | EXACT_RAW;
	for (cJSON *c = item->child; c; c = c->next)
		mark_raw(c);
}

static void unmark_raw(cJSON *item)
{
	if (item->type & EXACT_RAW)
		item->type = (item->type & ~(0xFF | EXACT_RAW)) | cJSON_Number;
	for (cJSON *c = item->child; c; c = c->next)
		unmark_raw(c);
}

char *dg_json_print_exact(const cJSON *item, int formatted)
{
	cJSON *it = (cJSON *)item;   /* the type is switched and restored */
	char *out;

	if (!it)
		return NULL;
	mark_raw(it);
	out = formatted ? cJSON_Print(it) : cJSON_PrintUnformatted(it);
	unmark_raw(it);
	return out;
}

/* libFuzzer target: what dirgate reads from HTTP answer headers and the
 * URLs servers hand it (net/http.c): Retry-After (seconds or an HTTP
 * date), header lookup, printable URLs and same-origin tests, certificate
 * pins.  Each input line is one "Name: value" header.  Properties: no
 * crash, leak or undefined behaviour; Retry-After is -1 or a wait of at
 * most a year when given in seconds, never negative; header lookup ignores
 * case and finds the first one; same-origin is symmetric and survives
 * making a URL printable. */
#include "core/strbuf.h"
#include "net/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void retry_after(const char *value)
{
	long now = 1796500000;  /* a fixed "now": runs are repeatable */
	long ms = dg_http_retry_after_ms(value, now);
	const char *v = value + strspn(value, " \t");
	if (ms < -1 || (*v >= '0' && *v <= '9' && ms > 86400L * 365 * 1000))
		abort();
}

static void urls(const char *a, const char *b)
{
	char *safe = dg_http_safe_url(a);
	if (dg_http_same_origin(a, b) != dg_http_same_origin(b, a))
		abort();
	if (dg_http_same_origin(a, a) && !dg_http_same_origin(safe, a))
		abort();  /* the printable form still names the same server */
	free(safe);
	(void)dg_http_pin_valid(a);
}

/* Adds "Name: value" as a header of `res` (no colon: not a header). */
static void add_header(dg_http_response *res, const char *line)
{
	const char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return;
	DG_ALLOC_GROW(res->headers, res->nr_headers + 1, res->alloc_headers);
	res->headers[res->nr_headers].name = dg_xstrndup(line, (size_t)(colon - line));
	res->headers[res->nr_headers++].value = dg_xstrdup(colon + 1 + strspn(colon + 1, " "));
}

static void lookups(const dg_http_response *res)
{
	for (size_t i = 0; i < res->nr_headers; i++) {
		char *upper = dg_xstrdup(res->headers[i].name);
		const char *first = NULL;
		for (char *c = upper; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c -= 'a' - 'A';
		for (size_t j = 0; j < res->nr_headers && !first; j++)
			if (!strcasecmp(res->headers[j].name, upper))
				first = res->headers[j].value;
		if (dg_http_response_header(res, upper) != first)
			abort();
		free(upper);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	char *text, *line, *save = NULL, *prev = "";
	if (size > 1 << 16)
		return 0;
	text = dg_xstrndup((const char *)data, size);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		retry_after(line);
		urls(line, prev);
		add_header(&res, line);
		prev = line;
	}
	lookups(&res);
	retry_after(dg_http_response_header(&res, "Retry-After") ?
		    dg_http_response_header(&res, "Retry-After") : "");
	dg_http_response_release(&res);
	free(text);
	return 0;
}

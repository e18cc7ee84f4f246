#include "core/utf8.h"
#include "test.h"

#include <stdint.h>

#define U(s) ((const unsigned char *)(s))

/* The set the URI checks, the profile scanner and `dirgate filter` rely on
 * since they share dg_utf8_len: strict UTF-8, nothing more. */
static void test_len_strict(void)
{
	CHECK_INT(dg_utf8_len(U(""), SIZE_MAX), 1); /* NUL is ASCII: callers stop at it */
	CHECK_INT(dg_utf8_len(U("\xC3\xA9"), SIZE_MAX), 2);
	CHECK_INT(dg_utf8_len(U("\xEF\xBF\xBD"), SIZE_MAX), 3);
	CHECK_INT(dg_utf8_len(U("\xF4\x8F\xBF\xBF"), SIZE_MAX), 4);  /* U+10FFFF */
	CHECK_INT(dg_utf8_len(U("\x80"), SIZE_MAX), 0);              /* continuation */
	CHECK_INT(dg_utf8_len(U("\xC1\xBF"), SIZE_MAX), 0);          /* overlong */
	CHECK_INT(dg_utf8_len(U("\xE0\x9F\xBF"), SIZE_MAX), 0);      /* overlong */
	CHECK_INT(dg_utf8_len(U("\xF0\x8F\xBF\xBF"), SIZE_MAX), 0);  /* overlong */
	CHECK_INT(dg_utf8_len(U("\xED\xBF\xBF"), SIZE_MAX), 0);      /* surrogate */
	CHECK_INT(dg_utf8_len(U("\xF4\x90\x80\x80"), SIZE_MAX), 0);  /* > U+10FFFF */
	CHECK_INT(dg_utf8_len(U("\xF5\x80\x80\x80"), SIZE_MAX), 0);
	CHECK_INT(dg_utf8_len(U("\xE2\x82"), SIZE_MAX), 0);          /* cut by the NUL */
	CHECK_INT(dg_utf8_len(U("\xF0\x9F\x98\x80"), 3), 0);         /* cut by the bound */
}

static void test_decode_overlong(void)
{
	CHECK_INT(dg_utf8_decode(U("\xC0\xAE"), 2), '.');
	CHECK_INT(dg_utf8_decode(U("\xC1\x9C"), 2), '\\');
	CHECK_INT(dg_utf8_decode(U("\xC0\x80"), 2), 0);
}

static size_t next_len(const char *s)
{
	return (size_t)(dg_utf8_next(s) - s);
}

static void test_next(void)
{
	CHECK_INT(next_len("ab"), 1);
	CHECK_INT(next_len("\xC3\xA9x"), 2);
	CHECK_INT(next_len("\xE2\x82\xAC"), 3);
	CHECK_INT(next_len("\xF0\x9F\x98\x80z"), 4);
	/* invalid text still splits, each piece a lead and what follows it */
	CHECK_INT(next_len("\x80\x80x"), 2);
	CHECK_INT(next_len("\xE2\x82" "A"), 2);
	CHECK_INT(next_len("\xC3"), 1);
	CHECK_INT(next_len("\xC0\xAE\xBF."), 3);
}

static void test_next_walk_covers_text(void)
{
	const char *s = "Zo\xC3\xAB \x80\xFF\xE2\x82\xAC!";
	size_t pieces = 0;
	const char *p = s;
	while (*p) {
		p = dg_utf8_next(p);
		pieces++;
	}
	CHECK(p == s + strlen(s));
	CHECK_INT(pieces, 7); /* " \x80" is one piece */
}

int main(void)
{
	RUN(test_len_strict);
	RUN(test_decode_overlong);
	RUN(test_next);
	RUN(test_next_walk_covers_text);
	return dg_t_done();
}

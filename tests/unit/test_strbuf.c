#include "core/strbuf.h"
#include "test.h"

static void test_add_and_format(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf_adds(&sb, "abc");
	dg_strbuf_addf(&sb, "-%d-%s", 42, "x");
	CHECK_STR(sb.buf, "abc-42-x");
	CHECK_INT(sb.len, 8);
	dg_strbuf_setlen(&sb, 2);
	CHECK_STR(sb.buf, "ab");
	dg_strbuf_release(&sb);
	CHECK(sb.len == 0);
}

static void test_empty_is_string(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf_init(&sb);
	CHECK_STR(sb.buf, "");
	char *s = dg_strbuf_detach(&sb);
	CHECK_STR(s, "");
	free(s);
}

static void test_json_escape(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf_add_json_str(&sb, "a\"b\\c\n\x01é");
	CHECK_STR(sb.buf, "\"a\\\"b\\\\c\\n\\u0001é\"");
	dg_strbuf_release(&sb);
}

static void test_grow_large(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	for (int i = 0; i < 10000; i++)
		dg_strbuf_addch(&sb, 'a' + i % 26);
	CHECK_INT(sb.len, 10000);
	CHECK(sb.buf[9999] == 'a' + 9999 % 26);
	CHECK(sb.buf[10000] == '\0');
	dg_strbuf_release(&sb);
}

static void test_strlist(void)
{
	dg_strlist l = DG_STRLIST_INIT;
	dg_strlist_push(&l, "Alice@Example.com");
	CHECK(dg_strlist_contains_ci(&l, "alice@example.COM"));
	CHECK(!dg_strlist_contains_ci(&l, "bob@example.com"));
	dg_strlist_clear(&l);
	CHECK_INT(l.nr, 0);
}

/* Equal: the same strings in the same order, letter case included. */
static void test_strlist_equal(void)
{
	dg_strlist a = DG_STRLIST_INIT, b = DG_STRLIST_INIT;
	CHECK(dg_strlist_equal(&a, &b));
	dg_strlist_push(&a, "x");
	dg_strlist_push(&a, "y");
	dg_strlist_push(&b, "x");
	CHECK(!dg_strlist_equal(&a, &b));
	dg_strlist_push(&b, "Y");
	CHECK(!dg_strlist_equal(&a, &b));
	free(b.items[1]);
	b.items[1] = dg_xstrdup("y");
	CHECK(dg_strlist_equal(&a, &b));
	dg_strlist_clear(&a);
	dg_strlist_clear(&b);
}

/* Arena strings: copied, NUL-terminated, bigger-than-a-block ones too, and
 * freed all at once (ASan builds check that nothing leaks). */
static void test_arena(void)
{
	dg_arena *a = dg_arena_new(), *b = dg_arena_new();
	dg_strlist l = DG_STRLIST_INIT;
	size_t big = (size_t)5 << 20;
	char *s = dg_xmalloc(big + 1), *c;
	memset(s, 'x', big);
	s[big] = '\0';
	CHECK_STR(dg_arena_strndup(a, "hello world", 5), "hello");
	for (int i = 0; i < 100000; i++)
		dg_strlist_push_arena(&l, a, "some@example.com", 16);
	CHECK_INT(l.nr, 100000);
	CHECK_STR(l.items[99999], "some@example.com");
	c = dg_arena_strdup(b, s);
	CHECK(c != s && strlen(c) == big);
	CHECK_STR(dg_arena_strdup(b, "after"), "after");
	dg_arena_adopt(a, b); /* b is gone; its strings live as long as a */
	CHECK(strlen(c) == big);
	CHECK_STR(dg_arena_strdup(a, "more"), "more");
	dg_strlist_clear_arena(&l);
	CHECK_INT(l.nr, 0);
	dg_arena_free(a);
	dg_arena_free(NULL);
	free(s);
}

int main(void)
{
	RUN(test_add_and_format);
	RUN(test_empty_is_string);
	RUN(test_json_escape);
	RUN(test_grow_large);
	RUN(test_strlist_equal);
	RUN(test_strlist);
	RUN(test_arena);
	return dg_t_done();
}

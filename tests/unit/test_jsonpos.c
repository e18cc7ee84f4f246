#include "core/jsonpos.h"
#include "test.h"

#include <cjson/cJSON.h>

static int ix_of(dg_jsonpos *ix, const char *text)
{
	return dg_jsonpos_index(ix, text, strlen(text));
}

/* "line:col" of a pointer's key, or "-" when not indexed. */
static const char *pos(const dg_jsonpos *ix, const char *ptr)
{
	static char buf[32];
	const dg_jsonpos_entry *e = dg_jsonpos_find(ix, ptr);
	if (!e)
		return "-";
	snprintf(buf, sizeof(buf), "%d:%d", e->line, e->column);
	return buf;
}

static const char *vpos(const dg_jsonpos *ix, const char *ptr)
{
	static char buf[32];
	const dg_jsonpos_entry *e = dg_jsonpos_find(ix, ptr);
	if (!e)
		return "-";
	snprintf(buf, sizeof(buf), "%d:%d", e->value_line, e->value_column);
	return buf;
}

static void test_positions(void)
{
	dg_jsonpos ix;
	const char *text =
		"{\n"
		"  \"name\": \"x\",\n"
		"  \"directory\": {\n"
		"    \"type\": \"ldap\",\n"
		"    \"groups\": [\"a\", \"b\",\n"
		"\t{\"k\": null}]\n"
		"  }\n"
		"}\n";
	CHECK_INT(ix_of(&ix, text), 0);
	CHECK(ix.err_message == NULL);
	CHECK_STR(pos(&ix, ""), "1:1");
	CHECK_STR(pos(&ix, "/name"), "2:3");
	CHECK_STR(vpos(&ix, "/name"), "2:11");
	CHECK_STR(pos(&ix, "/directory"), "3:3");
	CHECK_STR(vpos(&ix, "/directory"), "3:16");
	CHECK_STR(pos(&ix, "/directory/type"), "4:5");
	CHECK_STR(pos(&ix, "/directory/groups"), "5:5");
	CHECK_STR(pos(&ix, "/directory/groups/0"), "5:16");
	CHECK_STR(pos(&ix, "/directory/groups/1"), "5:21");
	CHECK_STR(pos(&ix, "/directory/groups/2"), "6:2"); /* a tab is one column */
	CHECK_STR(pos(&ix, "/directory/groups/2/k"), "6:3");
	CHECK_STR(pos(&ix, "/directory/groups/3"), "-");
	CHECK_STR(pos(&ix, "/nope"), "-");
	CHECK_INT(ix.nr, 9);
	CHECK_INT(ix.ndups, 0);
	dg_jsonpos_release(&ix);
}

static void test_root_not_at_start(void)
{
	dg_jsonpos ix;
	CHECK_INT(ix_of(&ix, "\n\n   [1, {\"a\": 2}]"), 0);
	CHECK_STR(pos(&ix, ""), "3:4");
	CHECK_STR(pos(&ix, "/0"), "3:5");
	CHECK_STR(pos(&ix, "/1/a"), "3:9");
	dg_jsonpos_release(&ix);
}

static void test_pointer_escaping(void)
{
	dg_jsonpos ix;
	dg_strbuf sb = DG_STRBUF_INIT;
	CHECK_INT(ix_of(&ix, "{\"a/b\": 1, \"m~n\": {\"~/\": 2}, \"\": 3, \"q\\\"\\u00e4\": 4}"), 0);
	CHECK_STR(pos(&ix, "/a~1b"), "1:2");
	CHECK_STR(pos(&ix, "/m~0n"), "1:12");
	CHECK_STR(pos(&ix, "/m~0n/~0~1"), "1:20");
	CHECK_STR(pos(&ix, "/"), "1:30");
	CHECK_STR(pos(&ix, "/q\"\xc3\xa4"), "1:37");
	CHECK_STR(pos(&ix, "/a/b"), "-");
	dg_jsonpos_release(&ix);

	dg_json_pointer_add(&sb, "x/y~z");
	dg_json_pointer_add_index(&sb, 12);
	CHECK_STR(sb.buf, "/x~1y~0z/12");
	dg_strbuf_release(&sb);
}

/* Columns count code points, not bytes. */
static void test_utf8_columns(void)
{
	dg_jsonpos ix;
	CHECK_INT(ix_of(&ix, "{\"\xc3\xa4\": \"\xe2\x82\xac\xf0\x9f\x98\x80\", \"x\": 1}"), 0);
	CHECK_STR(pos(&ix, "/\xc3\xa4"), "1:2");
	CHECK_STR(pos(&ix, "/x"), "1:13");
	dg_jsonpos_release(&ix);
}

static void test_bom(void)
{
	dg_jsonpos ix;
	CHECK_INT(ix_of(&ix, "\xef\xbb\xbf{\"a\": 1,\n \"b\": 2}"), 0);
	CHECK_INT(ix.bom, 3);
	CHECK_STR(pos(&ix, ""), "1:1");
	CHECK_STR(pos(&ix, "/a"), "1:2");
	CHECK_STR(pos(&ix, "/b"), "2:2");
	dg_jsonpos_release(&ix);
	/* a BOM anywhere else is an error */
	CHECK_INT(ix_of(&ix, "{\"a\": 1}\xef\xbb\xbf"), -1);
	CHECK_STR(ix.err_message, "unexpected text after the end of the JSON document: found a non-ASCII character");
	dg_jsonpos_release(&ix);
}

static void test_crlf(void)
{
	dg_jsonpos ix;
	int line, col;
	const char *t = "{\r\n  \"a\": 1,\r  \"b\": 2\r\n}";
	CHECK_INT(ix_of(&ix, t), 0);
	CHECK_STR(pos(&ix, "/a"), "2:3");
	CHECK_STR(pos(&ix, "/b"), "3:3");
	dg_jsonpos_release(&ix);
	dg_jsonpos_linecol(t, strlen(t), strlen(t) - 1, &line, &col);
	CHECK_INT(line, 4);
	CHECK_INT(col, 1);
}

static void test_duplicates(void)
{
	dg_jsonpos ix;
	const char *t = "{\"a\": 1, \"b\": {\"x\": 1, \"x\": 5},\n"
			" \"a\": 2, \"b\": {\"x\": 2}, \"c\": [{\"k\": 1}, {\"k\": 2}]}";
	CHECK_INT(ix_of(&ix, t), 0);
	CHECK_INT(ix.ndups, 3);
	if (ix.ndups == 3) {
		/* document order; /b/x under the repeated "b" is not reported again */
		CHECK_STR(ix.dups[0].pointer, "/b/x");
		CHECK_INT(ix.dups[0].line, 1);
		CHECK_INT(ix.dups[0].column, 24);
		CHECK_INT(ix.dups[0].first_column, 16);
		CHECK_STR(ix.dups[1].pointer, "/a");
		CHECK_INT(ix.dups[1].line, 2);
		CHECK_INT(ix.dups[1].column, 2);
		CHECK_INT(ix.dups[1].first_line, 1);
		CHECK_INT(ix.dups[1].first_column, 2);
		CHECK_STR(ix.dups[2].pointer, "/b");
		CHECK_INT(ix.dups[2].column, 10);
	}
	/* the index keeps the first occurrence */
	CHECK_STR(pos(&ix, "/a"), "1:2");
	CHECK_STR(pos(&ix, "/b/x"), "1:16");
	CHECK_STR(pos(&ix, "/c/1/k"), "2:42");
	dg_jsonpos_release(&ix);
}

static void test_locate(void)
{
	dg_jsonpos ix;
	int line, col;
	CHECK_INT(ix_of(&ix, "{\n \"directory\": {\"type\": \"ldap\"}}"), 0);
	CHECK_INT(dg_jsonpos_locate(&ix, "/directory/type", &line, &col), 1);
	CHECK_INT(line, 2);
	CHECK_INT(col, 16);
	CHECK_INT(dg_jsonpos_locate(&ix, "/directory/baseDn", &line, &col), 0);
	CHECK_INT(line, 2);
	CHECK_INT(col, 2);
	CHECK_INT(dg_jsonpos_locate(&ix, "/target/url", &line, &col), 0);
	CHECK_INT(line, 1);
	CHECK_INT(col, 1);
	dg_jsonpos_release(&ix);
	/* nothing indexed at all */
	CHECK_INT(ix_of(&ix, ""), -1);
	CHECK_INT(dg_jsonpos_locate(&ix, "/a", &line, &col), -1);
	CHECK_INT(line, 0);
	dg_jsonpos_release(&ix);
}

struct syntax_case {
	const char *text;
	int line, col;
	const char *message;
};

static void test_syntax_errors(void)
{
	static const struct syntax_case cases[] = {
		{ "{\"a\": 1 \"b\": 2}", 1, 9,
		  "expected ',' or '}' after an object member (missing comma?), found '\"'" },
		{ "{\"a\": 1,\n}", 2, 1, "trailing comma: expected another key after ',', found '}'" },
		{ "[1, 2,]", 1, 7, "trailing comma: expected another item after ',', found ']'" },
		{ "{\"a\" 1}", 1, 6, "expected ':' after the key \"a\", found '1'" },
		{ "{\"a\": }", 1, 7,
		  "expected a value (string, number, object, array, true, false or null), found '}'" },
		{ "{\n  \"name\": \"abc\n", 2, 11, "unterminated string: missing closing '\"' before the end of the line" },
		{ "{\n  \"name\": \"abc", 2, 11, "unterminated string: missing closing '\"'" },
		{ "{'a': 1}", 1, 2, "keys must be in double quotes, found '''" },
		{ "{\"a\": 'x'}", 1, 7, "strings must be in double quotes, found '''" },
		{ "{a: 1}", 1, 2, "expected a key in double quotes, found 'a'" },
		{ "{\"a\": tru}", 1, 7, "invalid literal: expected true" },
		{ "{\"a\": True}", 1, 7,
		  "expected a value (string, number, object, array, true, false or null), found 'T'" },
		{ "{\"a\": 01}", 1, 8, "numbers must not have leading zeros" },
		{ "{\"a\": 1.}", 1, 9, "expected a digit after '.', found '}'" },
		{ "{\"a\": -}", 1, 8, "expected a digit in number, found '}'" },
		{ "{\"a\": 1e}", 1, 9, "expected a digit in exponent, found '}'" },
		{ "{\"a\": \"x\ty\"}", 1, 9,
		  "control character in string (write it escaped, e.g. \\n or \\t): found control character 0x09" },
		{ "{\"a\": \"\\x\"}", 1, 9,
		  "invalid escape in string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX, found 'x'" },
		{ "{\"a\": \"\\u12g4\"}", 1, 12, "expected 4 hex digits after \\u, found 'g'" },
		{ "{\"a\": \"\\u0000\"}", 1, 8, "\\u0000 (a NUL character) is not allowed in a profile" },
		{ "{\"a\": \"\\ud800x\"}", 1, 8,
		  "invalid \\u escape: a high surrogate must be followed by a low one" },
		{ "{\"a\": \"\\udc00\"}", 1, 8, "invalid \\u escape: a low surrogate without a high one" },
		{ "{\"a\": \"\xc3\x28\"}", 1, 8, "invalid UTF-8 in string (the profile must be UTF-8 encoded)" },
		{ "{\"a\": \"\xed\xa0\x80\"}", 1, 8, "invalid UTF-8 in string (the profile must be UTF-8 encoded)" },
		{ "{\"a\": \"\xc0\xaf\"}", 1, 8, "invalid UTF-8 in string (the profile must be UTF-8 encoded)" },
		{ "{} {}", 1, 4, "unexpected text after the end of the JSON document: found '{'" },
		{ "{\"a\": 1} // comment", 1, 10, "unexpected text after the end of the JSON document: found '/'" },
		{ "", 1, 1, "the file is empty: expected a JSON object" },
		{ "  \n ", 2, 2, "the file is empty: expected a JSON object" },
		{ "{\"a\": [1, 2", 1, 12, "expected ',' or ']' after an array item, found end of input" },
		{ "{\"\xc3\xa4\xc3\xa4\": 1,, }", 1, 10, "expected a key in double quotes, found ','" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dg_jsonpos ix;
		CHECK_INT(ix_of(&ix, cases[i].text), -1);
		if (!ix.err_message) {
			printf("#   case %zu: no error\n", i);
			dg_t_cur_failed = 1;
			dg_jsonpos_release(&ix);
			continue;
		}
		if (ix.err_line != cases[i].line || ix.err_column != cases[i].col ||
		    strcmp(ix.err_message, cases[i].message)) {
			printf("#   case %zu: got %d:%d %s\n#   want %d:%d %s\n", i, ix.err_line,
			       ix.err_column, ix.err_message, cases[i].line, cases[i].col,
			       cases[i].message);
			dg_t_cur_failed = 1;
		}
		dg_jsonpos_release(&ix);
	}
}

static void test_depth_limit(void)
{
	dg_jsonpos ix;
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf_addrepeat(&sb, '[', DG_JSONPOS_MAX_DEPTH);
	dg_strbuf_addrepeat(&sb, ']', DG_JSONPOS_MAX_DEPTH);
	CHECK_INT(dg_jsonpos_index(&ix, sb.buf, sb.len), 0);
	dg_jsonpos_release(&ix);
	dg_strbuf_reset(&sb);
	dg_strbuf_addrepeat(&sb, '[', 100000);
	CHECK_INT(dg_jsonpos_index(&ix, sb.buf, sb.len), -1);
	CHECK_STR(ix.err_message, "nesting too deep (more than 128 levels)");
	CHECK_INT(ix.err_column, DG_JSONPOS_MAX_DEPTH + 1);
	dg_jsonpos_release(&ix);
	dg_strbuf_release(&sb);
}

static void test_not_nul_terminated(void)
{
	dg_jsonpos ix;
	const char text[] = { '{', '"', 'a', '"', ':', '1', '}', '9', '9' };
	CHECK_INT(dg_jsonpos_index(&ix, text, 7), 0);
	CHECK_STR(pos(&ix, "/a"), "1:2");
	dg_jsonpos_release(&ix);
	CHECK_INT(dg_jsonpos_index(&ix, text, 4), -1);
	CHECK_STR(ix.err_message, "expected ':' after the key \"a\", found end of input");
	dg_jsonpos_release(&ix);
}

/* cJSON's error pointer maps to the same kind of position. */
static void test_cjson_error_ptr(void)
{
	const char *text = "\xef\xbb\xbf{\n  \"\xc3\xa4\": ]";
	int line, col;
	cJSON *root = cJSON_Parse(text + 3);
	CHECK(root == NULL);
	dg_jsonpos_error_at(text, strlen(text), cJSON_GetErrorPtr(), &line, &col);
	CHECK_INT(line, 2);
	CHECK_INT(col, 8);
	dg_jsonpos_error_at(text, strlen(text), NULL, &line, &col);
	CHECK_INT(line, 2);
	CHECK_INT(col, 9);
	cJSON_Delete(root);
}

static void test_values_of_every_kind(void)
{
	dg_jsonpos ix;
	CHECK_INT(ix_of(&ix, "{\"s\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\", \"n\": -0.5e+10,"
			     " \"z\": 0, \"t\": true, \"f\": false, \"u\": null, \"e\": {}, \"a\": []}"), 0);
	CHECK_INT(ix.nr, 9);
	CHECK_STR(pos(&ix, "/a"), "1:111");
	dg_jsonpos_release(&ix);
}

int main(void)
{
	RUN(test_positions);
	RUN(test_root_not_at_start);
	RUN(test_pointer_escaping);
	RUN(test_utf8_columns);
	RUN(test_bom);
	RUN(test_crlf);
	RUN(test_duplicates);
	RUN(test_locate);
	RUN(test_syntax_errors);
	RUN(test_depth_limit);
	RUN(test_not_nul_terminated);
	RUN(test_cjson_error_ptr);
	RUN(test_values_of_every_kind);
	return dg_t_done();
}

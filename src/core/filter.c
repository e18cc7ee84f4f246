/* LDAP search filters (RFC 4515): parser, printer, caret diagnostics,
 * evaluator and lint.
 *
 * The parser is recursive descent over the string representation.  It
 * stops at the first error and says where (column) and why, in words an
 * administrator who typed the filter into a profile can act on.  It is a
 * little more lenient than the RFC in the same places ldapsearch is (no
 * outer parentheses, spaces between the parts) and the lint reports those
 * as warnings, because MailStore talks to the directory through other
 * client libraries. */
#include "filter.h"
#include "ascii.h"
#include "utf8.h"

#include <ldap.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------ text for display */

/* Columns a code point takes in a terminal: 0 for combining marks, 2 for
 * East Asian wide characters and emoji, else 1.  A small table instead of
 * wcwidth() because the library must not depend on the process locale. */
static int cp_width(uint32_t cp)
{
	if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

/* Appends one character of s (advancing *s) for display on one line:
 * line breaks and tabs become spaces, other control characters and bytes
 * that are not UTF-8 become '?'.  Returns the columns it takes. */
static int put_display_char(dg_strbuf *out, const unsigned char **s)
{
	const unsigned char *p = *s;
	size_t n = dg_utf8_len(p, SIZE_MAX);
	if (!n || *p == 0x7f || (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')) {
		dg_strbuf_addch(out, '?');
		*s = p + 1;
		return 1;
	}
	*s = p + n;
	if (*p == '\t' || *p == '\n' || *p == '\r') {
		dg_strbuf_addch(out, ' ');
		return 1;
	}
	dg_strbuf_add(out, p, n);
	return n == 1 ? 1 : cp_width(dg_utf8_decode(p, n));
}

/* Cuts a buffer that snprintf may have truncated back to whole characters. */
static void utf8_trim(char *s)
{
	size_t len = strlen(s), i = 0, good = 0;
	while (i < len) {
		size_t n = dg_utf8_len((const unsigned char *)s + i, len - i);
		if (!n)
			break;
		i += n;
		good = i;
	}
	s[good] = '\0';
}

/* Copies at most `max` characters of s[0..len) into buf for quoting in a
 * message, made safe for display, with "..." when cut short.  The result
 * is always valid UTF-8, so messages stay valid in JSON output. */
static const char *snip(char *buf, size_t size, const char *s, size_t len, int max)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	int n = 0;
	while (p < end && n < max) {
		put_display_char(&sb, &p);
		n++;
	}
	if (p < end)
		dg_strbuf_adds(&sb, "...");
	snprintf(buf, size, "%s", sb.buf);
	utf8_trim(buf);
	dg_strbuf_release(&sb);
	return buf;
}

/* --------------------------------------------------------------- parser */

typedef struct parser {
	const char *text;
	const char *p;           /* cursor */
	dg_filter_error *err;
	int failed;
	const char *col_ptr;     /* col_at() cache: column of col_ptr */
	int col;
	/* Forms that ldapsearch accepts but RFC 4515 does not, for the lint. */
	const char *space_at;    /* first space outside a value */
	int bare;                /* no outer parentheses */
} parser;

static int col_at(parser *ps, const char *at)
{
	const unsigned char *s = (const unsigned char *)ps->text;
	int col = 1;
	if (ps->col_ptr && at >= ps->col_ptr) {
		s = (const unsigned char *)ps->col_ptr;
		col = ps->col;
	}
	while ((const char *)s < at) {
		size_t n = dg_utf8_len(s, SIZE_MAX);
		s += n ? n : 1;
		col++;
	}
	ps->col_ptr = at;
	ps->col = col;
	return col;
}

/* Records the first error only: everything after it is noise. */
static void *fail(parser *ps, const char *at, dg_finding_code code, const char *hint,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void *fail(parser *ps, const char *at, dg_finding_code code, const char *hint,
		  const char *fmt, ...)
{
	va_list ap;
	if (ps->failed)
		return NULL;
	ps->failed = 1;
	dg_code_record(code);
	ps->err->column = col_at(ps, at);
	ps->err->offset = (size_t)(at - ps->text);
	ps->err->code = code;
	va_start(ap, fmt);
	vsnprintf(ps->err->message, sizeof(ps->err->message), fmt, ap);
	va_end(ap);
	utf8_trim(ps->err->message);
	snprintf(ps->err->hint, sizeof(ps->err->hint), "%s", hint);
	utf8_trim(ps->err->hint);
	return NULL;
}

/* Describes the character at `at` for a message: 'x', "the end of the
 * filter", "control character 0x0a", "byte 0xff". */
static const char *describe(char *buf, size_t size, const char *at)
{
	const unsigned char *p = (const unsigned char *)at;
	size_t n = dg_utf8_len(p, SIZE_MAX);
	if (!*p)
		snprintf(buf, size, "the end of the filter");
	else if (!n)
		snprintf(buf, size, "byte 0x%02x", *p);
	else if (*p < 0x20 || *p == 0x7f)
		snprintf(buf, size, "control character 0x%02x", *p);
	else
		snprintf(buf, size, "'%.*s'", (int)n, at);
	return buf;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips spaces between the parts of a filter, noting the first one. */
static void skip_space(parser *ps)
{
	if (is_space(*ps->p) && !ps->space_at)
		ps->space_at = ps->p;
	while (is_space(*ps->p))
		ps->p++;
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_keychar(int c)
{
	return is_alpha(c) || is_digit(c) || c == '-';
}

static dg_filter *new_node(dg_filter_type type, int column)
{
	dg_filter *f = dg_xcalloc(1, sizeof(*f));
	f->type = type;
	f->column = column;
	return f;
}

static void add_child(dg_filter *f, dg_filter *child)
{
	size_t n = f->nchildren;
	/* capacity is 4, then the next power of two */
	if (n == 0 || (n >= 4 && !(n & (n - 1))))
		f->children = dg_xrealloc(f->children, (n ? 2 * n : 4) * sizeof(*f->children));
	f->children[f->nchildren++] = child;
}

static void free_value(dg_value *v)
{
	if (v)
		free(v->val);
}

void dg_filter_free(dg_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nchildren; i++)
		dg_filter_free(f->children[i]);
	free(f->children);
	free(f->attr);
	free(f->value.val);
	free_value(f->initial);
	free(f->initial);
	free_value(f->final);
	free(f->final);
	for (size_t i = 0; i < f->nany; i++)
		free_value(&f->any[i]);
	free(f->any);
	free(f->rule);
	free(f);
}

static const char attr_hint[] =
	"attribute names use letters, digits and '-' and start with a letter "
	"(mail, userPrincipalName) or are numeric OIDs (2.5.4.3); options follow ';' "
	"(userCertificate;binary)";

/* Checks `descr / numericoid` in [s, e) (RFC 4512 oid).  `what` and the
 * whole [ws, we) name the thing in messages ("attribute name 'x y'"). */
static int check_oid(parser *ps, const char *s, const char *e, const char *what,
		     const char *ws, const char *we, dg_finding_code code, const char *hint)
{
	char name[200], ch[32];
	const char *p = s;
	snip(name, sizeof(name), ws, (size_t)(we - ws), 40);
	if (s == e) {
		fail(ps, s, code, hint, "%s '%s' is not valid: the name before ';' is empty",
		     what, name);
		return 0;
	}
	if (is_digit(*p) && memchr(s, '.', (size_t)(e - s))) {
		for (;;) {
			if (!is_digit(*p)) {
				fail(ps, p, code, hint,
				     "%s '%s' is not valid: expected a digit at column %d, found %s",
				     what, name, col_at(ps, p), describe(ch, sizeof(ch), p));
				return 0;
			}
			if (*p == '0' && p + 1 < e && is_digit(p[1])) {
				fail(ps, p, code, hint,
				     "%s '%s' is not valid: numeric OID has a leading zero at column %d",
				     what, name, col_at(ps, p));
				return 0;
			}
			while (p < e && is_digit(*p))
				p++;
			if (p == e)
				break;
			if (*p != '.') {
				fail(ps, p, code, hint,
				     "%s '%s' is not valid: %s at column %d is not allowed in a numeric OID",
				     what, name, describe(ch, sizeof(ch), p), col_at(ps, p));
				return 0;
			}
			if (++p == e) {
				fail(ps, p - 1, code, hint,
				     "%s '%s' is not valid: numeric OID ends with '.' at column %d",
				     what, name, col_at(ps, p - 1));
				return 0;
			}
		}
		return 1;
	}
	if (!is_alpha(*p)) {
		fail(ps, p, code, hint,
		     "%s '%s' is not valid: it must start with a letter (or be a numeric OID), "
		     "not %s at column %d", what, name, describe(ch, sizeof(ch), p), col_at(ps, p));
		return 0;
	}
	for (; p < e; p++) {
		if (is_keychar(*p))
			continue;
		fail(ps, p, code, hint,
		     "%s '%s' is not valid: %s at column %d is not allowed (only letters, digits and '-')",
		     what, name, describe(ch, sizeof(ch), p), col_at(ps, p));
		return 0;
	}
	return 1;
}

/* attributedescription = attributetype options; options = *( ";" 1*keychar ) */
static int check_attr(parser *ps, const char *s, const char *e)
{
	char name[200], ch[32];
	const char *semi = memchr(s, ';', (size_t)(e - s));
	const char *p;
	if (!check_oid(ps, s, semi ? semi : e, "attribute name", s, e, DGF_FILTER004, attr_hint))
		return 0;
	snip(name, sizeof(name), s, (size_t)(e - s), 40);
	for (p = semi; p && p < e; ) {
		const char *o = ++p;
		while (p < e && is_keychar(*p))
			p++;
		if (p == o) {
			fail(ps, o - 1, DGF_FILTER004, attr_hint,
			     "attribute name '%s' is not valid: empty option after ';' at column %d",
			     name, col_at(ps, o - 1));
			return 0;
		}
		if (p < e && *p != ';') {
			fail(ps, p, DGF_FILTER004, attr_hint,
			     "attribute name '%s' is not valid: %s at column %d is not allowed in an option",
			     name, describe(ch, sizeof(ch), p), col_at(ps, p));
			return 0;
		}
	}
	return 1;
}

static void unbalanced_open(parser *ps, const char *open)
{
	int opens = 0, closes = 0;
	char hint[160];
	/* Raw parentheses are always syntax: values must escape them. */
	for (const char *s = ps->text; *s; s++) {
		opens += *s == '(';
		closes += *s == ')';
	}
	snprintf(hint, sizeof(hint), "add the missing ')'; the filter has %d '(' but %d ')'",
		 opens, closes);
	fail(ps, open, DGF_FILTER002, hint,
	     "unbalanced parenthesis: '(' at column %d is never closed", col_at(ps, open));
}

/* escaped = "\" HEX HEX; appends the byte to sb. */
static int parse_escape(parser *ps, dg_strbuf *sb)
{
	const char *p = ps->p;
	int hi = dg_hex_value((unsigned char)p[1]), lo = hi < 0 ? -1 : dg_hex_value((unsigned char)p[2]);
	char seq[64], hint[128];
	size_t n;
	if (hi >= 0 && lo >= 0) {
		dg_strbuf_addch(sb, hi * 16 + lo);
		ps->p += 3;
		return 1;
	}
	if (!p[1]) {
		fail(ps, p, DGF_FILTER005,
		     "a backslash starts an escape of two hex digits: \\2a for '*', \\28 for '(', "
		     "\\29 for ')', \\5c for '\\'",
		     "invalid escape '\\' at column %d: expected two hex digits, found the end of the filter",
		     col_at(ps, p));
		return 0;
	}
	/* show the backslash and the characters up to the first non-hex one */
	n = 0;
	for (int k = 0; k < (hi >= 0 ? 2 : 1) && p[1 + n]; k++) {
		size_t l = dg_utf8_len((const unsigned char *)p + 1 + n, SIZE_MAX);
		n += l ? l : 1;
	}
	snip(seq, sizeof(seq), p + 1, n, 2);
	if (strchr("*()\\", p[1]))
		snprintf(hint, sizeof(hint), "write \\%02x instead of \\%c: RFC 4515 escapes are "
			 "two hex digits", (unsigned char)p[1], p[1]);
	else
		snprintf(hint, sizeof(hint), "a backslash starts an escape of two hex digits: \\2a "
			 "for '*', \\28 for '(', \\29 for ')', \\5c for '\\'");
	fail(ps, p, DGF_FILTER005, hint,
	     "invalid escape '\\%s' at column %d: expected two hex digits", seq, col_at(ps, p));
	return 0;
}

typedef struct pieces {
	dg_value *v;
	size_t nr, alloc;
} pieces;

static void pieces_push(pieces *pc, dg_strbuf *sb)
{
	DG_ALLOC_GROW(pc->v, pc->nr + 1, pc->alloc);
	pc->v[pc->nr].len = sb->len;
	pc->v[pc->nr].val = dg_strbuf_detach(sb);
	pc->nr++;
}

static void pieces_clear(pieces *pc)
{
	for (size_t i = 0; i < pc->nr; i++)
		free(pc->v[i].val);
	free(pc->v);
	pc->v = NULL;
	pc->nr = pc->alloc = 0;
}

/* Reads an assertion value up to the ')' that ends the item (or the end
 * of a bare filter, open == NULL), unescaping it.  With `star_ok` each
 * unescaped '*' splits the value, so pc gets one piece more than there
 * are stars; otherwise a '*' is an error and `what` names the value in
 * the message ("an extensible match value"). */
static int parse_value(parser *ps, const char *open, int star_ok, const char *what, pieces *pc)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	for (;;) {
		const char *p = ps->p;
		if (*p == ')' || (!*p && !open))
			break;
		if (!*p) {
			unbalanced_open(ps, open);
			goto fail;
		}
		if (*p == '(') {
			fail(ps, p, DGF_FILTER006,
			     "write \\28 and \\29 for parentheses in a value, e.g. "
			     "(cn=Smith \\28Sales\\29); or, if a ')' is missing before it, add it",
			     "'(' at column %d must be escaped as \\28 in a value", col_at(ps, p));
			goto fail;
		}
		if (*p == '*' && !star_ok) {
			fail(ps, p, DGF_FILTER006,
			     "wildcards only work in plain '=' matches; write \\2a for a literal '*'",
			     "'*' at column %d must be escaped as \\2a in %s", col_at(ps, p), what);
			goto fail;
		}
		if (*p == '*') {
			pieces_push(pc, &sb);
			ps->p++;
		} else if (*p == '\\') {
			if (!parse_escape(ps, &sb))
				goto fail;
		} else {
			size_t n = dg_utf8_len((const unsigned char *)p, SIZE_MAX);
			dg_strbuf_add(&sb, p, n ? n : 1); /* validity checked up front */
			ps->p += n ? n : 1;
		}
	}
	pieces_push(pc, &sb);
	return 1;
fail:
	dg_strbuf_release(&sb);
	return 0;
}

/* Moves piece i out of pc into a new dg_value, or NULL when it is empty. */
static dg_value *take_piece(pieces *pc, size_t i)
{
	dg_value *v;
	if (!pc->v[i].len)
		return NULL;
	v = dg_xmalloc(sizeof(*v));
	*v = pc->v[i];
	pc->v[i].val = NULL;
	return v;
}

/* Turns the pieces of an '=' value into EQUAL, PRESENT or SUBSTRING.
 * Empty pieces between stars ("a**b") carry no condition and are
 * dropped; a value of stars only is a presence test. */
static void build_equal(dg_filter *f, pieces *pc)
{
	if (pc->nr == 1) {
		f->type = DG_F_EQUAL;
		f->value = pc->v[0];
		pc->v[0].val = NULL;
		return;
	}
	f->type = DG_F_SUBSTRING;
	f->initial = take_piece(pc, 0);
	f->final = take_piece(pc, pc->nr - 1);
	for (size_t i = 1; i + 1 < pc->nr; i++) {
		dg_value *v = take_piece(pc, i);
		if (!v)
			continue;
		f->any = dg_xrealloc(f->any, (f->nany + 1) * sizeof(*f->any));
		f->any[f->nany++] = *v;
		free(v);
	}
	if (!f->initial && !f->final && !f->nany)
		f->type = DG_F_PRESENT;
}

/* extensible = ( attr [":dn"] [":" oid] ":=" assertionvalue )
 *            / ( [":dn"] ":" oid ":=" assertionvalue ) */
static dg_filter *parse_extensible(parser *ps, dg_filter *f, const char *open,
				   const char *start, const char *colon)
{
	static const char ext_hint[] =
		"write attr:rule:=value, e.g. (userAccountControl:1.2.840.113556.1.4.803:=2) "
		"or (cn:dn:caseExactMatch:=Alice)";
	const char *p = colon;
	char ch[32], tok[80];
	pieces pc = { NULL, 0, 0 };
	f->type = DG_F_EXTENSIBLE;
	if (colon > start) {
		if (!check_attr(ps, start, colon))
			return NULL;
		f->attr = dg_xstrndup(start, (size_t)(colon - start));
	}
	while (p[1] != '=') {
		const char *t = p + 1, *e = t;
		while (is_keychar(*e) || *e == '.')
			e++;
		snip(tok, sizeof(tok), t, (size_t)(e - t), 40);
		if (e == t)
			return fail(ps, t, DGF_FILTER008, ext_hint,
				    "expected 'dn', a matching rule or '=' after ':' at column %d, found %s",
				    col_at(ps, p), describe(ch, sizeof(ch), t));
		if (*e != ':')
			return fail(ps, e, DGF_FILTER008, ext_hint,
				    "expected ':=' after '%s' at column %d, found %s", tok,
				    col_at(ps, e), describe(ch, sizeof(ch), e));
		if (e - t == 2 && !strncasecmp(t, "dn", 2) && !f->dn_attrs && !f->rule) {
			f->dn_attrs = 1;
		} else if (!f->rule) {
			if (!check_oid(ps, t, e, "matching rule", t, e, DGF_FILTER008, ext_hint))
				return NULL;
			f->rule = dg_xstrndup(t, (size_t)(e - t));
		} else if (e - t == 2 && !strncasecmp(t, "dn", 2)) {
			return fail(ps, p, DGF_FILTER008, ext_hint,
				    "':dn' at column %d must come before the matching rule",
				    col_at(ps, p));
		} else {
			return fail(ps, p, DGF_FILTER008, ext_hint,
				    "unexpected ':%s' at column %d: an extensible match takes ':dn' "
				    "and at most one matching rule", tok, col_at(ps, p));
		}
		p = e;
	}
	if (!f->attr && !f->rule)
		return fail(ps, start, DGF_FILTER008, ext_hint,
			    "extensible match at column %d has neither an attribute nor a matching rule",
			    col_at(ps, start));
	ps->p = p + 2;
	if (!parse_value(ps, open, 0, "an extensible match value", &pc)) {
		pieces_clear(&pc);
		return NULL;
	}
	f->value = pc.v[0];
	free(pc.v);
	return f;
}

static const char *op_hint(int op)
{
	if (op == '<')
		return "LDAP has no strict '<': write (attr<=value), or (!(attr>=value)) for 'less than'";
	if (op == '>')
		return "LDAP has no strict '>': write (attr>=value), or (!(attr<=value)) for 'greater than'";
	return "the comparisons are =, ~=, >= and <=";
}

/* The value of a simple item, after the comparison at q. */
static dg_filter *parse_simple_value(parser *ps, dg_filter *f, const char *open, int op)
{
	pieces pc = { NULL, 0, 0 };
	int ok;
	if (op == '=') {
		ok = parse_value(ps, open, 1, "", &pc);
		if (ok)
			build_equal(f, &pc);
	} else {
		f->type = op == '~' ? DG_F_APPROX : op == '>' ? DG_F_GE : DG_F_LE;
		ok = parse_value(ps, open, 0, op == '~' ? "an approximate match ('~=') value" :
				 op == '>' ? "a '>=' value" : "a '<=' value", &pc);
		if (ok) {
			f->value = pc.v[0];
			pc.v[0].val = NULL;
		}
	}
	pieces_clear(&pc);
	return ok ? f : NULL;
}

/* item = simple / present / substring / extensible; ps->p at the
 * attribute.  `open` is the '(' of the item, NULL for a bare filter. */
static dg_filter *parse_item_into(parser *ps, dg_filter *f, const char *open)
{
	const char *start = ps->p, *q = start;
	char name[200], ch[32];
	/* the attribute runs to the comparison; check_attr() says what is wrong in it */
	while (*q && !strchr("=~<>:()", *q))
		q++;
	if (*q == ':')
		return parse_extensible(ps, f, open, start, q);
	snip(name, sizeof(name), start, (size_t)(q - start), 40);
	if (!*q || *q == '(' || *q == ')')
		return fail(ps, q, DGF_FILTER003,
			    "an item is attribute, comparison, value: (mail=*), "
			    "(cn=Smith*), (uSNChanged>=1000)",
			    "expected a comparison ('=', '~=', '>=', '<=' or ':=') after '%s' at column "
			    "%d, found %s", name, col_at(ps, q), describe(ch, sizeof(ch), q));
	if (q == start)
		return fail(ps, q, DGF_FILTER004, attr_hint,
			    "missing attribute name before %s at column %d",
			    describe(ch, sizeof(ch), q), col_at(ps, q));
	if (!check_attr(ps, start, q))
		return NULL;
	if (*q != '=' && q[1] != '=')
		return fail(ps, q + 1, DGF_FILTER003, op_hint(*q),
			    "expected '=' after '%c' at column %d, found %s", *q,
			    col_at(ps, q), describe(ch, sizeof(ch), q + 1));
	f->attr = dg_xstrndup(start, (size_t)(q - start));
	ps->p = q + (*q == '=' ? 1 : 2);
	return parse_simple_value(ps, f, open, *q);
}

static dg_filter *parse_item(parser *ps, const char *open, int column)
{
	dg_filter *f = new_node(DG_F_EQUAL, column);
	if (!parse_item_into(ps, f, open)) {
		dg_filter_free(f);
		return NULL;
	}
	return f;
}

static dg_filter *parse_filter(parser *ps, int depth);

/* filterlist = 1*filter, after '&' or '|' at `op`; ps->p after the op. */
static int parse_list(parser *ps, dg_filter *f, const char *open, const char *op, int depth)
{
	char ch[32];
	skip_space(ps);
	if (*ps->p == ')') {
		fail(ps, ps->p, DGF_FILTER001,
		     *op == '&' ? "put at least one filter in the list, e.g. (&(objectClass=user)(mail=*))"
				: "put at least one filter in the list, e.g. (|(mail=*)(proxyAddresses=*))",
		     "empty filter list after '%c' at column %d", *op, col_at(ps, op));
		return 0;
	}
	while (*ps->p == '(') {
		dg_filter *child = parse_filter(ps, depth + 1);
		if (!child)
			return 0;
		add_child(f, child);
		skip_space(ps);
	}
	if (!*ps->p) {
		unbalanced_open(ps, open);
		return 0;
	}
	if (*ps->p != ')') {
		fail(ps, ps->p, DGF_FILTER003,
		     "every part of an '&' or '|' list is a filter in parentheses: (&(a=1)(b=2))",
		     "expected '(' at column %d to start the next filter of the '%c' list at column "
		     "%d, found %s", col_at(ps, ps->p), *op, col_at(ps, op),
		     describe(ch, sizeof(ch), ps->p));
		return 0;
	}
	return 1;
}

/* not = "!" filter; ps->p after the '!'. */
static int parse_not(parser *ps, dg_filter *f, const char *open, const char *bang, int depth)
{
	char ch[32];
	dg_filter *child;
	skip_space(ps);
	if (*ps->p == ')') {
		fail(ps, ps->p, DGF_FILTER001,
		     "put the filter to negate after '!', e.g. (!(mail=*))",
		     "empty filter after '!' at column %d", col_at(ps, bang));
		return 0;
	}
	if (!*ps->p) {
		unbalanced_open(ps, open);
		return 0;
	}
	if (*ps->p != '(') {
		fail(ps, ps->p, DGF_FILTER003,
		     "the operand of '!' is a filter in parentheses: (!(mail=*))",
		     "expected '(' at column %d after '!', found %s", col_at(ps, ps->p),
		     describe(ch, sizeof(ch), ps->p));
		return 0;
	}
	if (!(child = parse_filter(ps, depth + 1)))
		return 0;
	add_child(f, child);
	skip_space(ps);
	if (*ps->p == '(') {
		fail(ps, ps->p, DGF_FILTER003,
		     "to negate several conditions write (!(|(a=1)(b=2))) or (!(&(a=1)(b=2)))",
		     "'!' at column %d takes exactly one filter, but another starts at column %d",
		     col_at(ps, bang), col_at(ps, ps->p));
		return 0;
	}
	return 1;
}

/* filter = "(" filtercomp ")"; ps->p at the '('. */
static dg_filter *parse_filter(parser *ps, int depth)
{
	const char *open = ps->p;
	char ch[32];
	dg_filter *f;
	int ok;
	if (depth > DG_FILTER_MAX_DEPTH)
		return fail(ps, open, DGF_FILTER009,
			    "simplify the filter; directory filters rarely need more than a few levels",
			    "filter nested more than %d levels deep at column %d",
			    DG_FILTER_MAX_DEPTH, col_at(ps, open));
	ps->p++;
	skip_space(ps);
	switch (*ps->p) {
	case '&':
	case '|':
		f = new_node(*ps->p == '&' ? DG_F_AND : DG_F_OR, col_at(ps, open));
		ps->p++;
		ok = parse_list(ps, f, open, ps->p - 1, depth);
		break;
	case '!':
		f = new_node(DG_F_NOT, col_at(ps, open));
		ps->p++;
		ok = parse_not(ps, f, open, ps->p - 1, depth);
		break;
	case ')':
		return fail(ps, ps->p, DGF_FILTER001,
			    "remove the empty parentheses or put a comparison inside, e.g. (mail=*)",
			    "empty filter '()' at column %d", col_at(ps, open));
	case '\0':
		unbalanced_open(ps, open);
		return NULL;
	case '(':
		return fail(ps, ps->p, DGF_FILTER003,
			    "start a list with '&' (all must match) or '|' (any may match): (&(a=1)(b=2))",
			    "unexpected '(' at column %d: a list of filters needs '&' or '|' before it",
			    col_at(ps, ps->p));
	default:
		f = parse_item(ps, open, col_at(ps, open));
		ok = f != NULL;
		break;
	}
	if (!ok) {
		dg_filter_free(f);
		return NULL;
	}
	if (*ps->p == ')') {
		ps->p++;
		return f;
	}
	dg_filter_free(f);
	if (!*ps->p)
		unbalanced_open(ps, open);
	else
		fail(ps, ps->p, DGF_FILTER003, "check the parentheses around this point",
		     "expected ')' at column %d to close '(' from column %d, found %s",
		     col_at(ps, ps->p), col_at(ps, open), describe(ch, sizeof(ch), ps->p));
	return NULL;
}

static dg_filter *parse_top(parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->text;
	char ch[32];
	dg_filter *f;
	/* Check the encoding first: every later step may then trust it. */
	for (; *s; ) {
		size_t n = dg_utf8_len(s, SIZE_MAX);
		if (!n)
			return fail(ps, (const char *)s, DGF_FILTER007,
				    "save the filter as UTF-8; to match binary data, escape every byte "
				    "as \\XX",
				    "the filter is not valid UTF-8: byte 0x%02x at column %d", *s,
				    col_at(ps, (const char *)s));
		s += n;
	}
	skip_space(ps);
	if (!*ps->p)
		return fail(ps, ps->p, DGF_FILTER001,
			    "write a filter such as (objectClass=user)", "the filter is empty");
	if (*ps->p == '(') {
		f = parse_filter(ps, 1);
	} else if (strchr("&|!", *ps->p)) {
		return fail(ps, ps->p, DGF_FILTER003,
			    "write it as (&(a=1)(b=2)), (|(a=1)(b=2)) or (!(a=1))",
			    "'%c' at column %d must follow '(': a filter list is enclosed in parentheses",
			    *ps->p, col_at(ps, ps->p));
	} else if (*ps->p == ')') {
		return fail(ps, ps->p, DGF_FILTER002,
			    "remove it, or add the '(' it was meant to close",
			    "unbalanced parenthesis: ')' at column %d has no matching '('",
			    col_at(ps, ps->p));
	} else {
		ps->bare = 1;
		f = parse_item(ps, NULL, col_at(ps, ps->p));
	}
	if (!f)
		return NULL;
	skip_space(ps);
	if (!*ps->p)
		return f;
	dg_filter_free(f);
	if (*ps->p == ')')
		return fail(ps, ps->p, DGF_FILTER002,
			    "remove it, or add the '(' it was meant to close",
			    "unbalanced parenthesis: ')' at column %d has no matching '('",
			    col_at(ps, ps->p));
	return fail(ps, ps->p, DGF_FILTER003,
		    "combine several filters with '&' or '|': (&(a=1)(b=2))",
		    "unexpected %s at column %d after the end of the filter",
		    describe(ch, sizeof(ch), ps->p), col_at(ps, ps->p));
}

static dg_filter *parse_ex(const char *text, dg_filter_error *err, parser *ps)
{
	dg_filter_error dummy;
	memset(ps, 0, sizeof(*ps));
	ps->text = ps->p = text ? text : "";
	ps->err = err ? err : &dummy;
	memset(ps->err, 0, sizeof(*ps->err));
	return parse_top(ps);
}

dg_filter *dg_filter_parse(const char *text, dg_filter_error *err)
{
	parser ps;
	return parse_ex(text, err, &ps);
}

/* -------------------------------------------------------------- printer */

/* RFC 4515 form of a value.  Text (valid UTF-8) stays readable: only the
 * five specials and control characters are escaped.  Anything else is
 * binary (an objectGUID, a SID) and every byte is escaped, which is how
 * such values are usually written.  The choice depends only on the bytes,
 * so printing is stable across a parse/print round trip. */
static void put_value(dg_strbuf *out, const dg_value *v)
{
	const unsigned char *p = (const unsigned char *)v->val;
	int text = dg_utf8_valid(v->val, v->len);
	for (size_t i = 0; i < v->len; i++) {
		unsigned char c = p[i];
		if (!text || c < 0x20 || c == 0x7f || c == '(' || c == ')' || c == '*' || c == '\\')
			dg_strbuf_addf(out, "\\%02x", c);
		else
			dg_strbuf_addch(out, c);
	}
}

void dg_filter_print(const dg_filter *f, dg_strbuf *out)
{
	static const char *const ops[] = {
		[DG_F_EQUAL] = "=", [DG_F_APPROX] = "~=", [DG_F_GE] = ">=", [DG_F_LE] = "<=",
	};
	dg_strbuf_addch(out, '(');
	switch (f->type) {
	case DG_F_AND:
	case DG_F_OR:
	case DG_F_NOT:
		dg_strbuf_addch(out, f->type == DG_F_AND ? '&' : f->type == DG_F_OR ? '|' : '!');
		for (size_t i = 0; i < f->nchildren; i++)
			dg_filter_print(f->children[i], out);
		break;
	case DG_F_EQUAL:
	case DG_F_APPROX:
	case DG_F_GE:
	case DG_F_LE:
		dg_strbuf_adds(out, f->attr);
		dg_strbuf_adds(out, ops[f->type]);
		put_value(out, &f->value);
		break;
	case DG_F_PRESENT:
		dg_strbuf_adds(out, f->attr);
		dg_strbuf_adds(out, "=*");
		break;
	case DG_F_SUBSTRING:
		dg_strbuf_adds(out, f->attr);
		dg_strbuf_addch(out, '=');
		if (f->initial)
			put_value(out, f->initial);
		dg_strbuf_addch(out, '*');
		for (size_t i = 0; i < f->nany; i++) {
			put_value(out, &f->any[i]);
			dg_strbuf_addch(out, '*');
		}
		if (f->final)
			put_value(out, f->final);
		break;
	case DG_F_EXTENSIBLE:
		if (f->attr)
			dg_strbuf_adds(out, f->attr);
		if (f->dn_attrs)
			dg_strbuf_adds(out, ":dn");
		if (f->rule)
			dg_strbuf_addf(out, ":%s", f->rule);
		dg_strbuf_adds(out, ":=");
		put_value(out, &f->value);
		break;
	}
	dg_strbuf_addch(out, ')');
}

void dg_filter_caret(const char *text, const dg_filter_error *err, dg_strbuf *out)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t pad = 0;
	int col = 1, want = err && err->column > 0 ? err->column : 1;
	dg_strbuf_adds(out, "  ");
	while (*s) {
		int w = put_display_char(out, &s);
		if (col++ < want)
			pad += (size_t)w;
	}
	dg_strbuf_adds(out, "\n  ");
	dg_strbuf_addrepeat(out, ' ', pad);
	dg_strbuf_addch(out, '^');
}

void dg_filter_walk_attrs(const dg_filter *f, void (*fn)(const char *attr, void *ctx), void *ctx)
{
	if (f->attr)
		fn(f->attr, ctx);
	for (size_t i = 0; i < f->nchildren; i++)
		dg_filter_walk_attrs(f->children[i], fn, ctx);
}

/* ------------------------------------------------------------ evaluator */

enum { M_FALSE = 0, M_TRUE = 1, M_UNDEF = 2 }; /* RFC 4511 §4.5.1.7 */

static void fold_into(dg_strbuf *sb, const char *s, size_t len)
{
	dg_strbuf_reset(sb);
	dg_strbuf_grow(sb, len);
	dg_utf8_fold(sb->buf, s, len);
	sb->len = len; /* grown above: setlen only truncates */
	sb->buf[len] = '\0';
}

/* A folded copy on the stack when it is short (the usual case): matching
 * runs for every entry of a snapshot and should not allocate. */
typedef struct folded {
	char *p;
	size_t len;
	char stack[128];
} folded;

static void fold_set(folded *fd, const char *s, size_t len)
{
	fd->p = len <= sizeof(fd->stack) ? fd->stack : dg_xmalloc(len);
	fd->len = len;
	dg_utf8_fold(fd->p, s, len);
}

static void fold_done(folded *fd)
{
	if (fd->p != fd->stack)
		free(fd->p);
	fd->p = NULL;
}

static int fold_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	dg_strbuf fa = DG_STRBUF_INIT, fb = DG_STRBUF_INIT;
	int eq;
	fold_into(&fa, a, alen);
	fold_into(&fb, b, blen);
	eq = fa.len == fb.len && !memcmp(fa.buf, fb.buf, fa.len);
	dg_strbuf_release(&fa);
	dg_strbuf_release(&fb);
	return eq;
}

/* Integers as text: optional '-', then digits.  Compared without
 * converting, so 64-bit AD timestamps and larger values work too. */
static int is_integer(const char *s, size_t len)
{
	size_t i = (len && s[0] == '-') ? 1 : 0;
	if (i == len)
		return 0;
	for (; i < len; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

static int cmp_integer(const char *a, size_t alen, const char *b, size_t blen)
{
	int na = a[0] == '-', nb = b[0] == '-', c;
	a += na, alen -= na, b += nb, blen -= nb;
	while (alen > 1 && *a == '0')
		a++, alen--;
	while (blen > 1 && *b == '0')
		b++, blen--;
	if (alen == 1 && *a == '0')
		na = 0; /* -0 is 0 */
	if (blen == 1 && *b == '0')
		nb = 0;
	if (na != nb)
		return na ? -1 : 1;
	c = alen != blen ? (alen < blen ? -1 : 1) : memcmp(a, b, alen);
	if (c)
		c = c < 0 ? -1 : 1;
	return na ? -c : c;
}

static int cmp_fold(const char *a, size_t alen, const char *b, size_t blen)
{
	dg_strbuf fa = DG_STRBUF_INIT, fb = DG_STRBUF_INIT;
	size_t n;
	int c;
	fold_into(&fa, a, alen);
	fold_into(&fb, b, blen);
	n = fa.len < fb.len ? fa.len : fb.len;
	c = memcmp(fa.buf, fb.buf, n);
	if (!c)
		c = fa.len < fb.len ? -1 : fa.len > fb.len;
	dg_strbuf_release(&fa);
	dg_strbuf_release(&fb);
	return c;
}

/* Ordering: as integers when both are integers (uSNChanged>=1000 must not
 * compare "999" above "1000"), else case-insensitive text. */
static int cmp_order(const dg_value *v, const dg_value *a)
{
	if (is_integer(v->val, v->len) && is_integer(a->val, a->len))
		return cmp_integer(v->val, v->len, a->val, a->len);
	return cmp_fold(v->val, v->len, a->val, a->len);
}

/* Parses a decimal integer (-2^63 .. 2^64-1) into two's complement bits.
 * `in32` tells whether it fits 32 bits as signed or unsigned. */
static int parse_bits(const char *s, size_t len, uint64_t *bits, int *in32)
{
	int neg = len && s[0] == '-';
	uint64_t mag = 0;
	if (!is_integer(s, len))
		return 0;
	for (size_t i = neg; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (mag > (UINT64_MAX - d) / 10)
			return 0;
		mag = mag * 10 + d;
	}
	if (neg && mag > (uint64_t)1 << 63)
		return 0;
	*bits = neg ? ~mag + 1 : mag;
	*in32 = neg ? mag <= (uint64_t)1 << 31 : mag <= UINT32_MAX;
	return 1;
}

/* AD's BIT_AND / BIT_OR.  AD returns 32-bit attributes such as groupType
 * signed (-2147483646) while filters often give the flag unsigned
 * (2147483648); when both fit 32 bits they are compared as 32-bit
 * patterns, so either spelling matches. */
static int bit_match(const dg_value *v, uint64_t a, int a32, int is_and)
{
	uint64_t b;
	int b32;
	if (!parse_bits(v->val, v->len, &b, &b32))
		return 0;
	if (a32 && b32) {
		a &= UINT32_MAX;
		b &= UINT32_MAX;
	}
	return is_and ? (b & a) == a : (b & a) != 0;
}

/* ---- distinguished names (RFC 4514), for :dn and IN_CHAIN without a hook */

/* Reads one attributeTypeAndValue at *pp into type and (unescaped) value
 * and steps over the separator after it.  Returns 1, 0 at the end, -1 when
 * the text is not a DN. */
static int dn_next(const char **pp, dg_strbuf *type, dg_strbuf *val)
{
	const char *p = *pp;
	size_t keep = 0; /* value length without unescaped trailing spaces */
	dg_strbuf_reset(type);
	dg_strbuf_reset(val);
	while (*p == ' ')
		p++;
	if (!*p)
		return 0;
	while (*p && *p != '=' && *p != ',' && *p != '+')
		dg_strbuf_addch(type, *p++);
	while (type->len && type->buf[type->len - 1] == ' ')
		dg_strbuf_setlen(type, type->len - 1);
	if (*p != '=' || !type->len)
		return -1;
	p++;
	while (*p == ' ')
		p++;
	while (*p && *p != ',' && *p != '+' && *p != ';') {
		if (*p == '\\' && dg_hex_value((unsigned char)p[1]) >= 0 && dg_hex_value((unsigned char)p[2]) >= 0) {
			dg_strbuf_addch(val, dg_hex_value((unsigned char)p[1]) * 16 + dg_hex_value((unsigned char)p[2]));
			p += 3;
			keep = val->len;
		} else if (*p == '\\' && p[1]) {
			dg_strbuf_addch(val, p[1]);
			p += 2;
			keep = val->len;
		} else {
			dg_strbuf_addch(val, *p);
			if (*p++ != ' ')
				keep = val->len;
		}
	}
	dg_strbuf_setlen(val, keep);
	if (*p)
		p++;
	*pp = p;
	return 1;
}

/* distinguishedNameMatch, simplified: same attribute types and values in
 * the same order, ignoring case and the spaces around separators. */
static int dn_equal(const char *a, const char *b)
{
	dg_strbuf ta = DG_STRBUF_INIT, va = DG_STRBUF_INIT, tb = DG_STRBUF_INIT,
		  vb = DG_STRBUF_INIT;
	int eq = 1, ra, rb;
	do {
		ra = dn_next(&a, &ta, &va);
		rb = dn_next(&b, &tb, &vb);
		if (ra != rb || ra < 0)
			eq = 0;
		else if (ra && (strcasecmp(ta.buf, tb.buf) ||
				!fold_equal(va.buf, va.len, vb.buf, vb.len)))
			eq = 0;
	} while (eq && ra > 0);
	dg_strbuf_release(&ta);
	dg_strbuf_release(&va);
	dg_strbuf_release(&tb);
	dg_strbuf_release(&vb);
	return eq;
}

/* ---- attributes */

/* Does entry attribute `have` answer filter attribute `want`?  Names
 * match case-insensitively; options are subtypes, so "cn" also matches
 * "cn;lang-de" (RFC 4512 §2.5.2), while "cn;lang-de" needs that option. */
static int attr_matches(const char *want, const char *have)
{
	const char *ws = strchr(want, ';'), *hs = strchr(have, ';');
	size_t wl = ws ? (size_t)(ws - want) : strlen(want);
	size_t hl = hs ? (size_t)(hs - have) : strlen(have);
	if (wl != hl || strncasecmp(want, have, wl))
		return 0;
	while (ws) {
		const char *o = ws + 1, *e = strchr(o, ';'), *h;
		size_t ol = e ? (size_t)(e - o) : strlen(o);
		int found = 0;
		for (h = hs; h && !found; h = strchr(h + 1, ';')) {
			const char *he = strchr(h + 1, ';');
			size_t hl2 = he ? (size_t)(he - h - 1) : strlen(h + 1);
			found = hl2 == ol && !strncasecmp(h + 1, o, ol);
		}
		if (!found)
			return 0;
		ws = e;
	}
	return 1;
}

/* Calls fn for each value of every attribute of e that answers `attr`
 * (every attribute when attr is NULL); stops at the first fn that is
 * true.  Returns 1 when one was. */
typedef int (*value_fn)(const char *attr, const dg_value *v, void *ctx);

static int each_value(const dg_entry *e, const char *attr, value_fn fn, void *ctx)
{
	for (size_t i = 0; i < e->nattrs; i++) {
		const dg_attr *a = &e->attrs[i];
		if (attr && !attr_matches(attr, a->name))
			continue;
		for (size_t j = 0; j < a->nvals; j++)
			if (fn(a->name, &a->vals[j], ctx))
				return 1;
	}
	return 0;
}

/* The same over the attribute values in the entry's DN (":dn"). */
static int each_dn_value(const dg_entry *e, const char *attr, value_fn fn, void *ctx)
{
	dg_strbuf type = DG_STRBUF_INIT, val = DG_STRBUF_INIT;
	const char *p = e->dn ? e->dn : "";
	int hit = 0;
	while (!hit && dn_next(&p, &type, &val) > 0) {
		dg_value v = { val.buf, val.len };
		if (!attr || attr_matches(attr, type.buf))
			hit = fn(type.buf, &v, ctx);
	}
	dg_strbuf_release(&type);
	dg_strbuf_release(&val);
	return hit;
}

/* ---- matching rules */

typedef enum rule_kind {
	R_CASE_IGNORE, R_CASE_EXACT, R_OCTET, R_DN, R_INTEGER, R_BIT_AND, R_BIT_OR,
	R_IN_CHAIN, R_UNKNOWN,
} rule_kind;

static const struct {
	const char *oid, *name;
	rule_kind kind;
} rules[] = {
	{ "2.5.13.1", "distinguishedNameMatch", R_DN },
	{ "2.5.13.2", "caseIgnoreMatch", R_CASE_IGNORE },
	{ "2.5.13.5", "caseExactMatch", R_CASE_EXACT },
	{ "2.5.13.14", "integerMatch", R_INTEGER },
	{ "2.5.13.17", "octetStringMatch", R_OCTET },
	{ "1.3.6.1.4.1.1466.109.114.1", "caseExactIA5Match", R_CASE_EXACT },
	{ "1.3.6.1.4.1.1466.109.114.2", "caseIgnoreIA5Match", R_CASE_IGNORE },
	{ DG_OID_BIT_AND, "integerBitAndMatch", R_BIT_AND },
	{ DG_OID_BIT_OR, "integerBitOrMatch", R_BIT_OR },
	{ DG_OID_IN_CHAIN, "LDAP_MATCHING_RULE_IN_CHAIN", R_IN_CHAIN },
};

static rule_kind rule_lookup(const char *rule)
{
	if (!rule)
		return R_CASE_IGNORE; /* no rule: the attribute's equality rule */
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (!strcmp(rule, rules[i].oid) || !strcasecmp(rule, rules[i].name))
			return rules[i].kind;
	return R_UNKNOWN;
}

typedef struct match_ctx {
	const dg_filter *f;
	const dg_entry *e;
	const dg_filter_hooks *hooks;
	rule_kind kind;
	uint64_t bits;     /* BIT_AND / BIT_OR assertion */
	int bits32;
	folded fa;         /* folded assertion, made on first use (fa.p) */
	dg_strbuf fv;      /* folded value (scratch for substrings) */
} match_ctx;

/* Equality with the connector's hook first (objectCategory=person). */
static int eq_value(const char *attr, const dg_value *v, void *vctx)
{
	match_ctx *m = vctx;
	if (m->hooks && m->hooks->match_value && attr) {
		int r = m->hooks->match_value(m->hooks->ctx, m->e, attr, v, &m->f->value);
		if (r >= 0)
			return r;
	}
	/* folding keeps lengths: values of another length cannot match */
	if (v->len != m->f->value.len)
		return 0;
	if (!m->fa.p)
		fold_set(&m->fa, m->f->value.val ? m->f->value.val : "", m->f->value.len);
	folded fv;
	fold_set(&fv, v->val, v->len);
	int eq = !memcmp(fv.p, m->fa.p, m->fa.len);
	fold_done(&fv);
	return eq;
}

static int order_value(const char *attr, const dg_value *v, void *vctx)
{
	match_ctx *m = vctx;
	int c = cmp_order(v, &m->f->value);
	(void)attr;
	return m->f->type == DG_F_GE ? c >= 0 : c <= 0;
}

/* initial, any..., final in order and without overlap, on folded text. */
static int substr_value(const char *attr, const dg_value *v, void *vctx)
{
	match_ctx *m = vctx;
	const dg_filter *f = m->f;
	dg_strbuf piece = DG_STRBUF_INIT;
	const char *s, *end;
	int ok = 0;
	(void)attr;
	fold_into(&m->fv, v->val, v->len);
	s = m->fv.buf;
	end = s + m->fv.len;
	if (f->initial) {
		fold_into(&piece, f->initial->val, f->initial->len);
		if ((size_t)(end - s) < piece.len || memcmp(s, piece.buf, piece.len))
			goto out;
		s += piece.len;
	}
	for (size_t i = 0; i < f->nany; i++) {
		fold_into(&piece, f->any[i].val, f->any[i].len);
		const char *hit = memmem(s, (size_t)(end - s), piece.buf, piece.len);
		if (!hit)
			goto out;
		s = hit + piece.len;
	}
	if (f->final) {
		fold_into(&piece, f->final->val, f->final->len);
		if ((size_t)(end - s) < piece.len || memcmp(end - piece.len, piece.buf, piece.len))
			goto out;
	}
	ok = 1;
out:
	dg_strbuf_release(&piece);
	return ok;
}

static int rule_value(const char *attr, const dg_value *v, void *vctx)
{
	match_ctx *m = vctx;
	const dg_value *a = &m->f->value;
	switch (m->kind) {
	case R_CASE_IGNORE:
		return eq_value(attr, v, vctx);
	case R_CASE_EXACT:
	case R_OCTET:
		return v->len == a->len && !memcmp(v->val, a->val, a->len);
	case R_DN:
		return dn_equal(v->val, a->val);
	case R_INTEGER:
		return is_integer(v->val, v->len) && !cmp_integer(v->val, v->len, a->val, a->len);
	case R_BIT_AND:
	case R_BIT_OR:
		return bit_match(v, m->bits, m->bits32, m->kind == R_BIT_AND);
	case R_IN_CHAIN:
		return dn_equal(v->val, a->val);
	default:
		return 0;
	}
}

static int match_extensible(match_ctx *m)
{
	const dg_filter *f = m->f;
	const dg_value *a = &f->value;
	m->kind = rule_lookup(f->rule);
	switch (m->kind) {
	case R_UNKNOWN:
		return M_UNDEF;
	case R_INTEGER:
		if (!is_integer(a->val, a->len))
			return M_UNDEF;
		break;
	case R_BIT_AND:
	case R_BIT_OR:
		if (!parse_bits(a->val, a->len, &m->bits, &m->bits32))
			return M_UNDEF;
		break;
	case R_IN_CHAIN:
		/* only a directory knows the chain; without one, plain DN equality */
		if (!f->attr)
			return M_UNDEF;
		if (m->hooks && m->hooks->in_chain)
			return m->hooks->in_chain(m->hooks->ctx, m->e, f->attr, a->val) ? M_TRUE : M_FALSE;
		break;
	default:
		break;
	}
	if (each_value(m->e, f->attr, rule_value, m))
		return M_TRUE;
	if (f->dn_attrs && each_dn_value(m->e, f->attr, rule_value, m))
		return M_TRUE;
	return M_FALSE;
}

static int has_attr(const dg_entry *e, const char *attr)
{
	for (size_t i = 0; i < e->nattrs; i++)
		if (e->attrs[i].nvals && attr_matches(attr, e->attrs[i].name))
			return 1;
	return 0;
}

static int match_item(const dg_filter *f, const dg_entry *e, const dg_filter_hooks *hooks)
{
	match_ctx m = { .f = f, .e = e, .hooks = hooks, .kind = R_CASE_IGNORE,
			.fv = DG_STRBUF_INIT };
	int r = M_FALSE;
	switch (f->type) {
	case DG_F_PRESENT:
		r = has_attr(e, f->attr);
		break;
	case DG_F_EQUAL:
	case DG_F_APPROX: /* approximate = case-insensitive equality here */
		r = each_value(e, f->attr, eq_value, &m);
		break;
	case DG_F_GE:
	case DG_F_LE:
		r = each_value(e, f->attr, order_value, &m);
		break;
	case DG_F_SUBSTRING:
		r = each_value(e, f->attr, substr_value, &m);
		break;
	case DG_F_EXTENSIBLE:
		r = match_extensible(&m);
		break;
	default:
		break;
	}
	if (m.fa.p)
		fold_done(&m.fa);
	dg_strbuf_release(&m.fv);
	return r;
}

static int match3(const dg_filter *f, const dg_entry *e, const dg_filter_hooks *hooks)
{
	int r;
	switch (f->type) {
	case DG_F_AND:
		r = M_TRUE;
		for (size_t i = 0; i < f->nchildren && r != M_FALSE; i++) {
			int c = match3(f->children[i], e, hooks);
			if (c != M_TRUE)
				r = c;
		}
		return r;
	case DG_F_OR:
		r = M_FALSE;
		for (size_t i = 0; i < f->nchildren && r != M_TRUE; i++) {
			int c = match3(f->children[i], e, hooks);
			if (c != M_FALSE)
				r = c;
		}
		return r;
	case DG_F_NOT:
		r = f->nchildren ? match3(f->children[0], e, hooks) : M_UNDEF;
		return r == M_UNDEF ? M_UNDEF : !r;
	default:
		return match_item(f, e, hooks);
	}
}

int dg_filter_match(const dg_filter *f, const dg_entry *e, const dg_filter_hooks *hooks)
{
	return f && e && match3(f, e, hooks) == M_TRUE;
}

/* ------------------------------------------------------------- escaping */

void dg_filter_escape_value(const char *val, size_t len, dg_strbuf *out)
{
	struct berval in, esc = { 0, NULL };
	in.bv_len = len;
	in.bv_val = (char *)val;
	if (!len)
		return; /* libldap leaves out.bv_val NULL for an empty value */
	if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
		abort(); /* its only failure is out of memory; see strbuf.h */
	dg_strbuf_add(out, esc.bv_val, esc.bv_len);
	ldap_memfree(esc.bv_val);
}

/* ----------------------------------------------------------------- lint */

static void add_finding(dg_findings *out, dg_finding_code code, const char *path,
			const char *text, int column, const char *advice, const char *message)
{
	dg_filter_error at;
	dg_strbuf hint = DG_STRBUF_INIT;
	dg_finding *fd = dg_findings_add(out, code, path, "%s", message);
	memset(&at, 0, sizeof(at));
	at.column = column;
	dg_strbuf_adds(&hint, advice);
	dg_strbuf_addch(&hint, '\n');
	dg_filter_caret(text, &at, &hint);
	dg_finding_hint(fd, "%s", hint.buf);
	dg_strbuf_release(&hint);
}

static int looks_like_dn(const dg_value *v)
{
	const char *p = v->val;
	dg_strbuf t = DG_STRBUF_INIT, val = DG_STRBUF_INIT;
	int r, n = 0;
	while ((r = dn_next(&p, &t, &val)) > 0)
		n++;
	dg_strbuf_release(&t);
	dg_strbuf_release(&val);
	return r == 0 && n > 0 && memchr(v->val, '\0', v->len) == NULL;
}

/* FILTER010: what Active Directory would refuse or never match. */
static void lint_ad_rule(const dg_filter *f, const char *text, const char *path, dg_findings *out)
{
	char msg[400], val[120], advice[200];
	rule_kind k = rule_lookup(f->rule);
	const char *name = k == R_BIT_AND ? "LDAP_MATCHING_RULE_BIT_AND" :
			   k == R_BIT_OR ? "LDAP_MATCHING_RULE_BIT_OR" : "LDAP_MATCHING_RULE_IN_CHAIN";
	uint64_t bits;
	int in32;
	if (!f->rule || (k != R_BIT_AND && k != R_BIT_OR && k != R_IN_CHAIN))
		return;
	snip(val, sizeof(val), f->value.val, f->value.len, 60);
	if (!f->attr) {
		snprintf(msg, sizeof(msg), "the %s match at column %d names no attribute; Active "
			 "Directory applies these rules to one attribute only", name, f->column);
		add_finding(out, DGF_FILTER010, path, text, f->column,
			    k == R_IN_CHAIN ? "name the link attribute, e.g. (memberOf:1.2.840.113556.1.4.1941:=CN=Staff,DC=example,DC=com)"
					    : "name the attribute, e.g. (userAccountControl:1.2.840.113556.1.4.803:=2)",
			    msg);
		return;
	}
	if (k == R_IN_CHAIN) {
		if (looks_like_dn(&f->value))
			return;
		snprintf(msg, sizeof(msg), "the value '%s' of the %s match at column %d is not a "
			 "distinguished name, so it matches nothing", val, name, f->column);
		add_finding(out, DGF_FILTER010, path, text, f->column,
			    "give the full DN of the group, e.g. CN=Staff,OU=Groups,DC=example,DC=com "
			    "(escape '(' ')' '*' '\\' in it as \\28 \\29 \\2a \\5c)", msg);
		return;
	}
	if (parse_bits(f->value.val, f->value.len, &bits, &in32))
		return;
	snprintf(msg, sizeof(msg), "the value '%s' of the %s match at column %d is not a decimal "
		 "number; Active Directory accepts only decimal flag values", val, name, f->column);
	if (f->value.len > 2 && f->value.len <= 18 && f->value.val[0] == '0' &&
	    (f->value.val[1] == 'x' || f->value.val[1] == 'X') &&
	    strspn(f->value.val + 2, "0123456789abcdefABCDEF") == f->value.len - 2)
		snprintf(advice, sizeof(advice), "write %llu instead of %s",
			 strtoull(f->value.val + 2, NULL, 16), f->value.val);
	else
		snprintf(advice, sizeof(advice), "write the flag value in decimal, e.g. 2 for "
			 "ACCOUNTDISABLE (0x2)");
	add_finding(out, DGF_FILTER010, path, text, f->column, advice, msg);
}

static void lint_tree(const dg_filter *f, const char *text, const char *path, dg_findings *out)
{
	if (f->type == DG_F_EXTENSIBLE)
		lint_ad_rule(f, text, path, out);
	for (size_t i = 0; i < f->nchildren; i++)
		lint_tree(f->children[i], text, path, out);
}

int dg_filter_lint(const char *text, const char *path, dg_findings *out)
{
	dg_filter_error err;
	parser ps;
	dg_filter *f = parse_ex(text, &err, &ps);
	char msg[300];
	text = text ? text : "";
	if (!f) {
		add_finding(out, err.code, path, text, err.column, err.hint,
			    err.message);
		return 1;
	}
	if (ps.bare) {
		add_finding(out, DGF_FILTER012, path, text, 1,
			    "enclose the filter in parentheses, as RFC 4515 requires",
			    "the filter has no outer parentheses; ldapsearch adds them, but other "
			    "LDAP clients may reject the filter");
	} else if (ps.space_at) {
		snprintf(msg, sizeof(msg), "space at column %d is outside any value; RFC 4515 "
			 "allows no spaces between the parts of a filter and some LDAP clients "
			 "reject them", col_at(&ps, ps.space_at));
		add_finding(out, DGF_FILTER012, path, text, col_at(&ps, ps.space_at),
			    "remove the spaces between the parentheses", msg);
	}
	if (f->type == DG_F_NOT)
		add_finding(out, DGF_FILTER011, path, text, f->column,
			    "combine it with what the entries must be, e.g. "
			    "(&(objectCategory=person)(objectClass=user)(!(...)))",
			    "the whole filter is a negation: it matches every entry in the search "
			    "base that the inner filter does not, containers, groups and computers "
			    "included");
	lint_tree(f, text, path, out);
	dg_filter_free(f);
	return 0;
}

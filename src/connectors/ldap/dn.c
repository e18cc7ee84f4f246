/* DN normalisation (RFC 4514), the one DN parser of the LDAP connector:
 * the canonical form every DN is compared and looked up by, in snapshots
 * and live reads alike, and the few questions asked of a DN's text.
 * Hand-written rather than ldap_str2dn(): it runs for every entry's DN and
 * every member value, and writes the canonical form without allocating. */
#include "dn.h"
#include "../../core/ascii.h"
#include "../../core/utf8.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int lower_ascii(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static const char *skip_sp(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* One backslash escape at p ("\\," or "\2c") into *o.  RFC 4514 allows
 * only the specials after a backslash; any printable character is taken,
 * because older tools escape more than they must.  NULL on error. */
static const char *unescape(const char *p, const char *end, char **o)
{
	p++;
	if (p >= end || (unsigned char)*p < 0x20)
		return NULL;
	if (p + 1 < end && dg_hex_value(p[0]) >= 0 && dg_hex_value(p[1]) >= 0) {
		*(*o)++ = (char)(dg_hex_value(p[0]) << 4 | dg_hex_value(p[1]));
		return p + 2;
	}
	*(*o)++ = *p;
	return p + 1;
}

/* Bytes that are more than plain characters: in a DN value while parsing
 * (DN_STOP), and in a canonical value (DN_ESC: written as \xx). */
enum { DN_STOP = 1, DN_ESC = 2 };
static unsigned char dn_class[256];

static void fill_dn_class(void)
{
	for (int c = 0; c < 0x20; c++)
		dn_class[c] = DN_ESC;
	dn_class[0x7f] = DN_ESC;
	for (const char *p = ",+\"\\<>;=#"; *p; p++)
		dn_class[(unsigned char)*p] = DN_ESC;
	for (const char *p = ",;+\\ "; *p; p++)
		dn_class[(unsigned char)*p] |= DN_STOP;
	dn_class[0] |= DN_STOP;
}

/* Once per process, also when several threads (onboard --jobs) read
 * snapshots at the same time: a reader must never see the table half built
 * (',' marked to escape but not yet to stop a value). */
static void init_dn_class(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fill_dn_class);
}

/* An attribute value (string or RFC 2253 "quoted"), unescaped into v, with
 * unescaped leading/trailing spaces dropped.  Returns where it stopped (at
 * a separator or the end), or NULL when the value is malformed. */
static const char *parse_value(const char *p, const char *end, char *v, size_t *vlen)
{
	char *o = v, *keep = v;
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"';) {
			if (*p == '\\') {
				if (!(p = unescape(p, end, &o)))
					return NULL;
			} else {
				*o++ = *p++;
			}
		}
		if (p >= end)
			return NULL;
		*vlen = (size_t)(o - v);
		return skip_sp(p + 1, end);
	}
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (!dn_class[c]) { /* the usual case: a plain character */
			*o++ = *p++;
			keep = o;
			continue;
		}
		if (c == ',' || c == ';' || c == '+')
			break;
		if (c == '\\') {
			if (!(p = unescape(p, end, &o)))
				return NULL;
			keep = o;
			continue;
		}
		if (!c)
			return NULL;
		*o++ = *p++; /* a space: kept unless trailing */
	}
	/* '"', '<', '>' should be escaped, but only , + ; \ change the
	 * meaning; they are taken as written */
	*vlen = (size_t)(keep - v);
	return p;
}

/* Writes value v lower-cased and re-escaped at *o (room: 3 bytes per byte). */
static void canon_value(char *v, size_t n, char **o)
{
	static const char hex[] = "0123456789abcdef";
	char *w = *o;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] >= 0x80) {
			/* DNs compare case-insensitively in every script (AD does) */
			dg_utf8_fold(v, v, n);
			break;
		}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((dn_class[c] & DN_ESC) || (c == ' ' && (i == 0 || i == n - 1))) {
			*w++ = '\\';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		} else {
			*w++ = (char)lower_ascii(c);
		}
	}
	*o = w;
}

/* attributeType: descr or numericoid (an "OID." prefix is tolerated) */
static const char *canon_type(const char *p, const char *end, char **o)
{
	const char *start;
	if (end - p > 4 && !strncasecmp(p, "oid.", 4) && is_digit(p[4]))
		p += 4;
	start = p;
	if (p < end && is_alpha(*p)) {
		while (p < end && (is_alpha(*p) || is_digit(*p) || *p == '-'))
			p++;
	} else {
		while (p < end && (is_digit(*p) || *p == '.'))
			p++;
	}
	if (p == start)
		return NULL;
	for (const char *q = start; q < p; q++)
		*(*o)++ = (char)lower_ascii(*q);
	return p;
}

/* #hexstring: kept as lower-case hex (a BER encoding, not text). */
static const char *canon_hexstring(const char *p, const char *end, char **o)
{
	size_t pairs = 0;
	*(*o)++ = '#';
	for (p++; p + 1 < end && dg_hex_value(p[0]) >= 0 && dg_hex_value(p[1]) >= 0; p += 2, pairs++) {
		*(*o)++ = (char)lower_ascii(p[0]);
		*(*o)++ = (char)lower_ascii(p[1]);
	}
	return pairs ? skip_sp(p, end) : NULL;
}

static const char *canon_ava(const char *p, const char *end, char **o, char *vbuf)
{
	size_t vlen;
	p = skip_sp(p, end);
	if (!(p = canon_type(p, end, o)))
		return NULL;
	p = skip_sp(p, end);
	if (p >= end || *p != '=')
		return NULL;
	*(*o)++ = '=';
	p = skip_sp(p + 1, end);
	if (p < end && *p == '#')
		return canon_hexstring(p, end, o);
	if (!(p = parse_value(p, end, vbuf, &vlen)))
		return NULL;
	canon_value(vbuf, vlen, o);
	return p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Multi-valued RDN: the AVAs in [start, end) sorted, written back in place
 * ('+' inside values is escaped as \2b, so it only separates AVAs). */
static void sort_rdn(char *start, char *end)
{
	size_t n = (size_t)(end - start), k = 0, navas = 1;
	char *copy = dg_xstrndup(start, n), **avas, *w = start;
	for (size_t i = 0; i < n; i++)
		navas += copy[i] == '+';
	avas = dg_xmalloc(navas * sizeof(*avas));
	avas[k++] = copy;
	for (size_t i = 0; i < n; i++)
		if (copy[i] == '+') {
			copy[i] = '\0';
			avas[k++] = copy + i + 1;
		}
	qsort(avas, navas, sizeof(*avas), cmp_str);
	for (size_t i = 0; i < navas; i++) {
		size_t len = strlen(avas[i]);
		if (i)
			*w++ = '+';
		memcpy(w, avas[i], len);
		w += len;
	}
	free(avas);
	free(copy);
}

int dg_dn_canonical(const char *dn, size_t len, dg_strbuf *out)
{
	const char *p = dn, *end = dn + len;
	char stack[512], *vbuf = len < sizeof(stack) ? stack : dg_xmalloc(len + 1), *o;
	int rc = 0;
	init_dn_class();
	dg_strbuf_reset(out);
	dg_strbuf_grow(out, 3 * len + 1); /* every input byte yields at most 3 */
	o = out->buf;
	p = skip_sp(p, end);
	while (p < end) {
		char *rdn = o;
		int multi = 0;
		while ((p = canon_ava(p, end, &o, vbuf)) && p < end && *p == '+') {
			p++;
			multi = 1;
			*o++ = '+';
		}
		if (!p) {
			rc = -1;
			break;
		}
		if (multi)
			sort_rdn(rdn, o);
		if (p >= end)
			break;
		p = skip_sp(p + 1, end); /* ',' or the obsolete ';' */
		if (p >= end) {
			rc = -1; /* a separator must be followed by an RDN */
			break;
		}
		*o++ = ',';
	}
	out->len = rc ? 0 : (size_t)(o - out->buf); /* grown above: setlen only truncates */
	out->buf[out->len] = '\0';
	if (vbuf != stack)
		free(vbuf);
	return rc;
}

int dg_dn_is_under(const char *dn, size_t len, const char *base, size_t base_len)
{
	if (!base_len)
		return 1;
	if (len < base_len || memcmp(dn + len - base_len, base, base_len))
		return 0;
	return len == base_len || dn[len - base_len - 1] == ',';
}

void dg_dn_escape_value(const char *v, dg_strbuf *out)
{
	size_t n = strlen(v);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (strchr(",+\"\\<>;=#", c) || (c == ' ' && (i == 0 || i == n - 1)))
			dg_strbuf_addch(out, '\\');
		dg_strbuf_addch(out, c);
	}
}

int dg_dn_first_rdn_is(const char *v, size_t n, const char *want)
{
	const char *eq = memchr(v, '=', n);
	char stack[256], *buf;
	size_t len;
	int eqv;
	if (!eq)
		return 0;
	init_dn_class();
	buf = n < sizeof(stack) ? stack : dg_xmalloc(n + 1);
	eqv = parse_value(eq + 1, v + n, buf, &len) && len == strlen(want) &&
	      !strncasecmp(buf, want, len);
	if (buf != stack)
		free(buf);
	return eqv;
}

int dg_dn_looks_like(const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec)
		return 0;
	for (const char *p = spec; p < eq; p++)
		if (!(is_alpha(*p) || is_digit(*p) || *p == '-' || *p == '.' || *p == ' '))
			return 0;
	return 1;
}

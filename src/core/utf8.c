/* UTF-8: see utf8.h. */
#include "utf8.h"

size_t dg_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (n < 2 || (s[1] & 0xc0) != 0x80)
		return 0;
	if (c < 0xe0)
		return 2;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
		return 0; /* overlong form, UTF-16 surrogate */
	if (n < 3 || (s[2] & 0xc0) != 0x80)
		return 0;
	if (c < 0xf0)
		return 3;
	if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
		return 0; /* overlong form, beyond U+10FFFF */
	if (n < 4 || (s[3] & 0xc0) != 0x80)
		return 0;
	return 4;
}

uint32_t dg_utf8_decode(const unsigned char *s, size_t len)
{
	switch (len) {
	case 2: return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	case 3: return ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
		       (s[2] & 0x3f);
	case 4: return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
		       ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
	default: return s[0];
	}
}

int dg_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		size_t n = dg_utf8_len(p, (size_t)(end - p));
		if (!n)
			return 0;
		p += n;
	}
	return 1;
}

size_t dg_utf8_count(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

const char *dg_utf8_next(const char *s)
{
	do
		s++;
	while (((unsigned char)*s & 0xC0) == 0x80);
	return s;
}

void dg_utf8_put(dg_strbuf *out, uint32_t cp)
{
	char b[4];
	if (cp < 0x80) {
		dg_strbuf_addch(out, (int)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		dg_strbuf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		dg_strbuf_add(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		dg_strbuf_add(out, b, 4);
	}
}

/* Only two-byte letters fold (the table maps nothing else), so longer
 * sequences and stray bytes are copied a byte at a time: a continuation
 * byte never starts a two-byte sequence. */
void dg_utf8_fold(char *dst, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned char *o = (unsigned char *)dst;
	while (p < end) {
		unsigned char c = *p;
		uint32_t cp;
		if (c < 0x80) { /* the usual case */
			*o++ = (unsigned char)(c - 'A') < 26 ? c + 32 : c;
			p++;
			continue;
		}
		if (c < 0xc2 || c >= 0xe0 || p + 1 >= end || (p[1] & 0xc0) != 0x80) {
			*o++ = c;
			p++;
			continue;
		}
		cp = dg_casefold_cp(dg_utf8_decode(p, 2));
		*o++ = (unsigned char)(0xc0 | (cp >> 6));
		*o++ = (unsigned char)(0x80 | (cp & 0x3f));
		p += 2;
	}
}

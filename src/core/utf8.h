/* UTF-8 in one place: the strict sequence check, the decoder and encoder,
 * and the one case-folding table.  Filters evaluated on snapshots, DNs
 * compared with each other and user names lower-cased as MailStore does
 * must all fold alike, or a filter misses an entry the mapping treats as
 * a match. */
#ifndef DG_UTF8_H
#define DG_UTF8_H

#include "strbuf.h"

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid UTF-8 sequence at s (no overlong form, no
 * surrogate, at most U+10FFFF), or 0 when s does not start one.  `n` is
 * how many bytes are available; for NUL-terminated text SIZE_MAX is fine,
 * because a NUL is never a continuation byte. */
size_t dg_utf8_len(const unsigned char *s, size_t n);

/* The code point of the sequence of length `len` (from dg_utf8_len) at s.
 * It checks nothing, so it also gives the value of an overlong form, which
 * uri.c folds on purpose. */
uint32_t dg_utf8_decode(const unsigned char *s, size_t len);

/* Is s[0..len) valid UTF-8 throughout? */
int dg_utf8_valid(const char *s, size_t len);

/* Characters in the NUL-terminated s (continuation bytes not counted). */
size_t dg_utf8_count(const char *s);

/* Where the character at s ends (s is not at the NUL): past s[0] and the
 * continuation bytes after it, valid sequence or not, so that text with
 * bad bytes still splits into pieces that make up the whole of it. */
const char *dg_utf8_next(const char *s);

/* Appends code point cp to out as UTF-8. */
void dg_utf8_put(dg_strbuf *out, uint32_t cp);

/* Simple case mapping of the scripts directory names are written in:
 * ASCII, Latin-1, Latin Extended-A, Greek (with the accented capitals) and
 * Cyrillic - the letters slapd's caseIgnoreMatch and .NET's
 * ToLowerInvariant both fold (tests/integration/test_preview_live.py
 * checks against slapd).  Every mapping keeps the UTF-8 length. */
static inline uint32_t dg_casefold_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
	    (c >= 0x410 && c <= 0x42F))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	if (c == 0x178)
		return 0xFF;
	if (c == 0x386)
		return 0x3AC;
	if (c >= 0x388 && c <= 0x38A)
		return c + 37;
	if (c == 0x38C)
		return 0x3CC;
	if (c == 0x38E || c == 0x38F)
		return c + 63;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c & 1) ? c + 1 : c;
	return c;
}

/* Writes the folding of s[0..len) to dst (which may be s): exactly len
 * bytes, since every mapping keeps the UTF-8 length.  Bytes that are not
 * valid UTF-8 are kept as they are. */
void dg_utf8_fold(char *dst, const char *s, size_t len);

#endif

/* The one case-folding table: filters evaluated on snapshots (filter.c),
 * DNs compared with each other (snapshot_ldap.c) and user names and
 * addresses lower-cased as MailStore does (mapping.c) must all agree, or a
 * filter misses an entry the mapping treats as a match.  Simple case
 * mapping of the scripts directory names are written in: ASCII, Latin-1,
 * Latin Extended-A, Greek (with the accented capitals) and Cyrillic - the
 * letters slapd's caseIgnoreMatch and .NET's ToLowerInvariant both fold
 * (tests/integration/test_preview_live.py checks against slapd).  Every
 * mapping keeps the UTF-8 length, so strings fold in place. */
#ifndef DG_CASEFOLD_H
#define DG_CASEFOLD_H

#include <stdint.h>

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

#endif

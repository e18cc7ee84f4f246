/* Searching sorted arrays: the one binary search (a lower bound), for
 * tables sorted once and looked up per record. */
#ifndef DG_SORTED_H
#define DG_SORTED_H

#include <stddef.h>

/* The index of the first of the `n` elements of `base` (each `size` bytes,
 * sorted by cmp) that does not sort before `key`, or n.  cmp(key, element)
 * is <0, 0 or >0 as for bsearch.  Inline: the comparison is inlined too. */
static inline size_t dg_lower_bound(const void *base, size_t n, size_t size, const void *key,
				    int (*cmp)(const void *key, const void *elem))
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(key, (const char *)base + mid * size) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif

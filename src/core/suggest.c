/* Did-you-mean (see suggest.h). */
#include "suggest.h"

#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Optimal string alignment distance (Damerau-Levenshtein where each
 * substring is edited once), case-insensitive: a wrong case is the most
 * common typo in hand-written JSON. */
size_t dg_suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d;
	size_t *prev2 = dg_xcalloc(lb + 1, sizeof(size_t));
	size_t *prev = dg_xcalloc(lb + 1, sizeof(size_t));
	size_t *cur = dg_xcalloc(lb + 1, sizeof(size_t));
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb, v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	d = prev[lb];
	free(prev2);
	free(prev);
	free(cur);
	return d;
}

/* The candidate closest to `word`, or NULL when none is close enough. */
const char *dg_suggest_closest(const char *word, const char *const *cands, size_t n)
{
	size_t wl = strlen(word), limit = wl <= 4 ? 1 : wl <= 8 ? 2 : 3, best_d = (size_t)-1;
	const char *best = NULL;
	if (wl > 64)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t cl = strlen(cands[i]), d;
		if ((cl > wl ? cl - wl : wl - cl) > limit)
			continue;
		d = dg_suggest_distance(word, cands[i]);
		if (d <= limit && d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best;
}

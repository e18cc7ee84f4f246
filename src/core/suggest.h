/* Did-you-mean: the candidate closest to a mistyped word, for unknown
 * profile keys and values and for attribute names the server's schema does
 * not know.  Case-insensitive optimal string alignment distance. */
#ifndef DG_SUGGEST_H
#define DG_SUGGEST_H

#include <stddef.h>

/* Edit distance where a swap of two neighbours counts once (OSA). */
size_t dg_suggest_distance(const char *a, const char *b);

/* The candidate closest to `word`, or NULL when none is close enough
 * (1 edit for words up to 4 characters, 2 up to 8, 3 beyond). */
const char *dg_suggest_closest(const char *word, const char *const *cands, size_t n);

#endif

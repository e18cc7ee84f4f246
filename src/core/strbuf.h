/* strbuf: a growable, always NUL-terminated byte buffer (after git's strbuf).
 * Every string the library builds goes through one of these instead of
 * ad-hoc snprintf/realloc juggling.  Allocation failure aborts: a CLI tool
 * has nothing better to do, and it keeps every caller free of OOM paths. */
#ifndef DG_STRBUF_H
#define DG_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct dg_strbuf {
	char *buf;    /* never NULL: points at "" (dg_strbuf_slopbuf) when empty */
	size_t len;
	size_t alloc;
} dg_strbuf;

/* An initialised strbuf is always a valid C string, "" when empty (git's
 * slopbuf): it points at a shared empty buffer until it first grows. */
extern char dg_strbuf_slopbuf[];
#define DG_STRBUF_INIT { dg_strbuf_slopbuf, 0, 0 }

void dg_strbuf_init(dg_strbuf *sb);
void dg_strbuf_release(dg_strbuf *sb);          /* frees, back to INIT state */
void dg_strbuf_reset(dg_strbuf *sb);            /* len = 0, keeps memory */
char *dg_strbuf_detach(dg_strbuf *sb);          /* caller owns the result */
void dg_strbuf_grow(dg_strbuf *sb, size_t extra);
void dg_strbuf_add(dg_strbuf *sb, const void *data, size_t len);
void dg_strbuf_adds(dg_strbuf *sb, const char *s);
void dg_strbuf_addch(dg_strbuf *sb, int c);
void dg_strbuf_addf(dg_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dg_strbuf_vaddf(dg_strbuf *sb, const char *fmt, va_list ap);
void dg_strbuf_addrepeat(dg_strbuf *sb, int c, size_t n);
void dg_strbuf_setlen(dg_strbuf *sb, size_t len); /* truncate */
/* Appends s as a JSON string literal, quotes included. */
void dg_strbuf_add_json_str(dg_strbuf *sb, const char *s);

/* Small allocation helpers that never return NULL. */
void *dg_xmalloc(size_t n);
void *dg_xcalloc(size_t n, size_t size);
void *dg_xrealloc(void *p, size_t n);
char *dg_xstrdup(const char *s);
char *dg_xstrndup(const char *s, size_t n);
char *dg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows an array (ptr, nr, alloc) to hold at least `want` elements. */
#define DG_ALLOC_GROW(ptr, want, alloc)                                        \
	do {                                                                   \
		if ((size_t)(want) > (alloc)) {                                \
			size_t dg_n_ = (alloc) ? (alloc) * 2 : 8;              \
			if (dg_n_ < (size_t)(want))                            \
				dg_n_ = (size_t)(want);                        \
			(ptr) = dg_xrealloc((ptr), dg_n_ * sizeof(*(ptr)));    \
			(alloc) = dg_n_;                                       \
		}                                                              \
	} while (0)

/* A list of owned C strings. */
typedef struct dg_strlist {
	char **items;
	size_t nr, alloc;
} dg_strlist;

#define DG_STRLIST_INIT { NULL, 0, 0 }
void dg_strlist_push(dg_strlist *l, const char *s);       /* copies s */
void dg_strlist_push_owned(dg_strlist *l, char *s);       /* takes s */
int dg_strlist_contains_ci(const dg_strlist *l, const char *s);
/* The same strings in the same order. */
int dg_strlist_equal(const dg_strlist *a, const dg_strlist *b);
void dg_strlist_clear(dg_strlist *l);
/* Appends the list as a JSON array of strings. */
void dg_strbuf_add_json_strlist(dg_strbuf *sb, const dg_strlist *l);

/* An arena: strings bump-allocated from large blocks and freed all at
 * once.  A 100,000-user preview keeps ~500,000 small strings; one malloc
 * (and later one free) each is a fifth of the run, and their headers and
 * scattered placement touch more pages.  Whoever owns an arena says so in
 * its header (see dg_dir_user_list, dg_preview in mapping.h). */
typedef struct dg_arena dg_arena;
dg_arena *dg_arena_new(void);
void dg_arena_free(dg_arena *a);                 /* every string, and a; NULL is fine */
/* Moves every block of `from` into `into` and frees `from`: strings that
 * lived in `from` now live as long as `into`. */
void dg_arena_adopt(dg_arena *into, dg_arena *from);
char *dg_arena_strndup(dg_arena *a, const char *s, size_t n);
char *dg_arena_strdup(dg_arena *a, const char *s);
/* String lists whose items live in an arena: push copies into `a`;
 * clear frees only the list's array (the arena owns the items). */
void dg_strlist_push_arena(dg_strlist *l, dg_arena *a, const char *s, size_t n);
void dg_strlist_clear_arena(dg_strlist *l);

#endif

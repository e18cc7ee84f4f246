#include "strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

char dg_strbuf_slopbuf[1];

static void die_oom(void)
{
	fputs("dirgate: out of memory\n", stderr);
	abort();
}

#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_MIN ((size_t)4 << 20)

/* A large block (the record arrays of a 100,000-user directory, a
 * rendered preview) is otherwise faulted in 4 KiB at a time, and on a
 * virtual machine every fault and TLB miss is dear.  Ask for transparent
 * huge pages: with THP in "madvise" mode (the usual default) the kernel
 * then backs its 2 MiB-aligned parts with huge pages, 512 times fewer
 * faults.  Advice only; where THP is off it changes nothing.
 *
 * The advice covers the whole block, from the page it starts in to its
 * usable end: such a block is glibc's own mapping (past the mmap
 * threshold main() sets), and advice on only part of a mapping splits it
 * in two or three, after which mremap() refuses to grow it (EFAULT) and
 * realloc() copies the whole array into fresh pages instead of moving it.
 * That copying was a quarter of a cloud preview's time. */
static void advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)p & ~(page - 1);
	uintptr_t end = (uintptr_t)p + malloc_usable_size(p);
	if (n >= HUGE_MIN)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

void *dg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom();
	advise_huge(p, n);
	return p;
}

void *dg_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom();
	/* n * size did not overflow: calloc checked it */
	advise_huge(p, n * size);
	return p;
}

void *dg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom();
	advise_huge(q, n);
	return q;
}

char *dg_xstrdup(const char *s)
{
	return dg_xstrndup(s, strlen(s));
}

char *dg_xstrndup(const char *s, size_t n)
{
	char *p = dg_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *dg_xasprintf(const char *fmt, ...)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return dg_strbuf_detach(&sb);
}

void dg_strbuf_init(dg_strbuf *sb)
{
	sb->buf = dg_strbuf_slopbuf;
	sb->len = sb->alloc = 0;
}

void dg_strbuf_release(dg_strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	dg_strbuf_init(sb);
}

void dg_strbuf_reset(dg_strbuf *sb)
{
	dg_strbuf_setlen(sb, 0);
}

char *dg_strbuf_detach(dg_strbuf *sb)
{
	char *res;
	if (!sb->alloc)
		return dg_xstrdup("");
	res = sb->buf;
	dg_strbuf_init(sb);
	return res;
}

void dg_strbuf_grow(dg_strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	if (!sb->buf)
		dg_strbuf_init(sb);
	if (want <= sb->alloc)
		return;
	if (!sb->alloc)
		sb->buf = NULL;
	DG_ALLOC_GROW(sb->buf, want, sb->alloc);
	if (sb->len == 0)
		sb->buf[0] = '\0';
}

void dg_strbuf_setlen(dg_strbuf *sb, size_t len)
{
	if (!sb->alloc) {
		if (!sb->buf)
			dg_strbuf_init(sb);
		return;
	}
	if (len < sb->len)
		sb->len = len;
	sb->buf[sb->len] = '\0';
}

void dg_strbuf_add(dg_strbuf *sb, const void *data, size_t len)
{
	if (!len) {
		if (!sb->buf)
			dg_strbuf_init(sb);
		return;
	}
	/* room already there (the usual case): no call to grow */
	if (sb->len + len >= sb->alloc)
		dg_strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void dg_strbuf_adds(dg_strbuf *sb, const char *s)
{
	dg_strbuf_add(sb, s, strlen(s));
}

void dg_strbuf_addch(dg_strbuf *sb, int c)
{
	/* called per byte by the renderers: store directly when there is room */
	if (sb->len + 1 >= sb->alloc)
		dg_strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void dg_strbuf_addrepeat(dg_strbuf *sb, int c, size_t n)
{
	dg_strbuf_grow(sb, n);
	memset(sb->buf + sb->len, c, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void dg_strbuf_vaddf(dg_strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	size_t avail;
	int n;
	/* Format into the spare room first; most strings fit in one go. */
	dg_strbuf_grow(sb, 64);
	avail = sb->alloc - sb->len;
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, avail, fmt, cp);
	va_end(cp);
	if (n < 0) {
		sb->buf[sb->len] = '\0';
		return;
	}
	if ((size_t)n >= avail) {
		dg_strbuf_grow(sb, (size_t)n);
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	}
	sb->len += (size_t)n;
}

void dg_strbuf_addf(dg_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dg_strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

/* Bytes a JSON string literal must escape: '"', '\\', controls and DEL. */
static int json_special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

void dg_strbuf_add_json_str(dg_strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	dg_strbuf_addch(sb, '"');
	for (;;) {
		/* copy runs of plain bytes at once: nearly every string is one run */
		const unsigned char *run = p;
		while (*p && !json_special(*p))
			p++;
		if (p > run)
			dg_strbuf_add(sb, run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"': dg_strbuf_add(sb, "\\\"", 2); break;
		case '\\': dg_strbuf_add(sb, "\\\\", 2); break;
		case '\n': dg_strbuf_add(sb, "\\n", 2); break;
		case '\r': dg_strbuf_add(sb, "\\r", 2); break;
		case '\t': dg_strbuf_add(sb, "\\t", 2); break;
		default: dg_strbuf_addf(sb, "\\u%04x", *p); break;
		}
		p++;
	}
	dg_strbuf_addch(sb, '"');
}

void dg_strlist_push(dg_strlist *l, const char *s)
{
	dg_strlist_push_owned(l, dg_xstrdup(s));
}

void dg_strlist_push_owned(dg_strlist *l, char *s)
{
	DG_ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = s;
}

int dg_strlist_contains_ci(const dg_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcasecmp(l->items[i], s))
			return 1;
	return 0;
}

int dg_strlist_equal(const dg_strlist *a, const dg_strlist *b)
{
	if (a->nr != b->nr)
		return 0;
	for (size_t i = 0; i < a->nr; i++)
		if (strcmp(a->items[i], b->items[i]))
			return 0;
	return 1;
}

void dg_strlist_clear(dg_strlist *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

/* ---- arena ---- */

/* 4 MiB blocks, 2 MiB-aligned: every block is two transparent huge pages
 * where THP is in "madvise" mode.  Under AddressSanitizer the blocks come
 * from malloc instead, so that LeakSanitizer still sees a leaked arena. */
#define ARENA_BLOCK ((size_t)4 << 20)
#define ARENA_BIG (ARENA_BLOCK / 8) /* bigger strings get a block of their own */

#if defined(__SANITIZE_ADDRESS__)
#define DG_ARENA_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DG_ARENA_MALLOC 1
#endif
#endif

typedef struct arena_block {
	struct arena_block *next;
	size_t size;                /* of the whole block, header included */
} arena_block;

struct dg_arena {
	arena_block *head;          /* newest first; head is the one bumped */
	char *cur, *end;
};

static arena_block *block_new(size_t size)
{
	arena_block *b;
#ifdef DG_ARENA_MALLOC
	b = dg_xmalloc(size);
#else
	/* map twice the alignment and trim, so the block is 2 MiB-aligned */
	size_t map = size + HUGE_PAGE;
	char *p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t start;
	if (p == MAP_FAILED)
		die_oom();
	start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	if ((uintptr_t)p + map > start + size)
		munmap((void *)(start + size), (uintptr_t)p + map - (start + size));
	b = (arena_block *)start;
#ifdef MADV_HUGEPAGE
	(void)madvise(b, size, MADV_HUGEPAGE);
#endif
#endif
	b->size = size;
	b->next = NULL;
	return b;
}

static void block_free(arena_block *b)
{
#ifdef DG_ARENA_MALLOC
	free(b);
#else
	munmap(b, b->size);
#endif
}

dg_arena *dg_arena_new(void)
{
	return dg_xcalloc(1, sizeof(dg_arena));
}

void dg_arena_free(dg_arena *a)
{
	if (!a)
		return;
	while (a->head) {
		arena_block *b = a->head;
		a->head = b->next;
		block_free(b);
	}
	free(a);
}

void dg_arena_adopt(dg_arena *into, dg_arena *from)
{
	arena_block **tail;
	if (!from)
		return;
	/* behind into's head, so that into keeps bumping its own block */
	tail = into->head ? &into->head->next : &into->head;
	if (!into->head) {
		into->cur = from->cur;
		into->end = from->end;
	}
	if (from->head) {
		arena_block *last = from->head;
		while (last->next)
			last = last->next;
		last->next = *tail;
		*tail = from->head;
	}
	free(from);
}

static char *arena_alloc(dg_arena *a, size_t n)
{
	char *p;
	if ((size_t)(a->end - a->cur) < n) {
		size_t hdr = sizeof(arena_block);
		if (n > ARENA_BIG) {
			/* a block of its own, behind the one being bumped */
			size_t size = (hdr + n + 4095) & ~(size_t)4095;
			arena_block *b = block_new(size);
			if (a->head) {
				b->next = a->head->next;
				a->head->next = b;
			} else {
				a->head = b;
			}
			return (char *)b + hdr;
		}
		arena_block *b = block_new(ARENA_BLOCK);
		b->next = a->head;
		a->head = b;
		a->cur = (char *)b + hdr;
		a->end = (char *)b + ARENA_BLOCK;
	}
	p = a->cur;
	a->cur += n;
	return p;
}

char *dg_arena_strndup(dg_arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *dg_arena_strdup(dg_arena *a, const char *s)
{
	return dg_arena_strndup(a, s, strlen(s));
}

void dg_strlist_push_arena(dg_strlist *l, dg_arena *a, const char *s, size_t n)
{
	dg_strlist_push_owned(l, dg_arena_strndup(a, s, n));
}

void dg_strlist_clear_arena(dg_strlist *l)
{
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

void dg_strbuf_add_json_strlist(dg_strbuf *sb, const dg_strlist *l)
{
	dg_strbuf_addch(sb, '[');
	for (size_t i = 0; i < l->nr; i++) {
		if (i)
			dg_strbuf_addch(sb, ',');
		dg_strbuf_add_json_str(sb, l->items[i]);
	}
	dg_strbuf_addch(sb, ']');
}

/* JSON Lines snapshots (Microsoft Graph, Google Workspace) read one line
 * at a time with a bound: a line is one saved page, and a damaged or
 * hostile file must not make dirgate take all memory for a single line. */
#ifndef DG_SNAPLINE_H
#define DG_SNAPLINE_H

#include "core/strbuf.h"

#include <stdio.h>
#include <sys/types.h>

/* A page of 999 Graph users is about 1 MB; a line 64 times that is no page
 * dirgate wrote. */
#define DG_SNAPLINE_MAX ((size_t)64 << 20)
#define DG_SNAPLINE_MAX_TEXT "64 MiB"

typedef struct dg_snapline {
	FILE *fp;
	char buf[65536];
	size_t pos, len;
} dg_snapline;

void dg_snapline_init(dg_snapline *r, FILE *fp);
/* Reads the next line, its '\n' included, into `line` (replacing what it
 * held).  Returns the line's length; 0 at the end of the file; -1 on a
 * read error (errno says which); -2 when the line is longer than `max`
 * bytes (reading stops there: the rest of the line is never held). */
ssize_t dg_snapline_read(dg_snapline *r, dg_strbuf *line, size_t max);

#endif

#include "snapline.h"

#include <errno.h>
#include <string.h>

void dg_snapline_init(dg_snapline *r, FILE *fp)
{
	r->fp = fp;
	r->pos = r->len = 0;
}

ssize_t dg_snapline_read(dg_snapline *r, dg_strbuf *line, size_t max)
{
	dg_strbuf_reset(line);
	for (;;) {
		const char *nl;
		size_t n;
		if (r->pos == r->len) {
			r->pos = 0;
			r->len = fread(r->buf, 1, sizeof r->buf, r->fp);
			if (!r->len) {
				if (ferror(r->fp))
					return -1;
				return (ssize_t)line->len; /* a last line without '\n', or 0 */
			}
		}
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		n = nl ? (size_t)(nl - (r->buf + r->pos)) + 1 : r->len - r->pos;
		if (line->len + n > max)
			return -2;
		dg_strbuf_add(line, r->buf + r->pos, n);
		r->pos += n;
		if (nl)
			return (ssize_t)line->len;
	}
}

/* LDIF (RFC 2849) reading and writing for directory snapshots.
 *
 * The reader accepts what real exports look like: ldapsearch (-L, -LL,
 * -LLL), ldifde (CRLF, a UTF-8 BOM, UTF-16 "Unicode" files, "changetype:
 * add" on every record) and hand-edited files.  It streams: the input is
 * read in blocks and split into lines, so memory is one block, the current
 * line and the current record, however big the file is.
 *
 * Problems in the input become SNAPxxx findings with file:line and a hint;
 * the reader never stops at a bad record, it skips it (or the bad value)
 * and goes on.  Only an unreadable file is a dg_error (DG_E_IO). */
#ifndef DG_LDIF_H
#define DG_LDIF_H

#include "../../core/entry.h"
#include "../../core/error.h"
#include "../../core/findings.h"
#include "../../core/strbuf.h"

#include <stddef.h>

/* Default cap on one logical (unfolded) line: a value bigger than this is
 * dropped with a finding instead of growing memory without bound. */
#define DG_LDIF_MAX_LINE ((size_t)16 << 20)

typedef struct dg_ldif_opts {
	/* Name used in findings (file:line).  NULL: the path, or "<memory>". */
	const char *file;
	/* JSON pointer of the profile field the file came from ("" if none). */
	const char *json_path;
	/* Keep only attributes for which this returns non-zero; NULL keeps all.
	 * `name` is the attribute type as written, without options (for
	 * "member;range=0-1499" it is "member"), not NUL-terminated; the entry
	 * keeps the full description.  Unwanted values are not even decoded,
	 * which is what keeps a 40-attribute ldifde export cheap to read. */
	int (*want_attr)(void *ctx, const char *name, size_t len);
	/* Called once per complete entry.  The callback may take the entry
	 * (copy the struct, then memset *e to 0); otherwise the reader frees
	 * it.  Return non-zero to stop reading. */
	int (*on_entry)(void *ctx, dg_entry *e);
	void *ctx;
	/* Cap on one logical line; 0 means DG_LDIF_MAX_LINE. */
	size_t max_line;
	/* Non-zero: on_entry gets a read-only view into the reader's buffers
	 * (e->alloc and every attribute's alloc are 0), valid only during the
	 * call; it must not be taken or freed, and is copied if it is to be
	 * kept.  Saves every per-value allocation for callers that look at an
	 * entry once and keep little of it (the snapshot connector). */
	int borrow;
} dg_ldif_opts;

/* Streams `path` (or a memory buffer) through opts->on_entry. */
dg_code dg_ldif_stream_file(const char *path, const dg_ldif_opts *opts,
			    dg_findings *f, dg_error *err);
dg_code dg_ldif_stream_mem(const void *data, size_t len, const dg_ldif_opts *opts,
			   dg_findings *f, dg_error *err);

/* Convenience: every entry appended to `out` (which the caller clears). */
dg_code dg_ldif_read_file(const char *path, dg_entry_list *out, dg_findings *f,
			  dg_error *err);
dg_code dg_ldif_read_mem(const void *data, size_t len, const char *name,
			 dg_entry_list *out, dg_findings *f, dg_error *err);

/* Writes "version: 1" and a blank line: the start of a snapshot file. */
void dg_ldif_write_header(dg_strbuf *out);
/* Writes one entry as an LDIF record (ending with a blank line).  Values
 * that are not SAFE-STRINGs in RFC 2849's sense (non-ASCII, NUL/CR/LF,
 * a leading space, ':' or '<', a trailing space) are written base64; lines
 * are folded at 76 columns. */
void dg_ldif_write_entry(dg_strbuf *out, const dg_entry *e);

/* Base64 (RFC 4648, with padding) as LDIF uses it.  Decoding appends to
 * `out`; returns 0 on success, -1 on a character outside the alphabet,
 * bad padding or a length that is not a multiple of four. */
int dg_base64_decode(const char *in, size_t len, dg_strbuf *out);
void dg_base64_encode(const void *in, size_t len, dg_strbuf *out);

#endif

/* jsonpos: where things are in a JSON text.
 *
 * cJSON builds the tree but keeps no positions, and it accepts duplicate
 * keys without a word.  This scanner reads the same text once, strictly
 * (RFC 8259), and records for every value its JSON pointer (RFC 6901) and
 * the 1-based line:column of its key (object members) or of the value
 * itself (array items, the root).  It notes every duplicate key and, on a
 * syntax error, says where and what was expected.
 *
 * Columns count characters (UTF-8 code points), a tab counts one, and a
 * UTF-8 byte order mark at the start is skipped (it is not column 1). */
#ifndef DG_JSONPOS_H
#define DG_JSONPOS_H

#include "strbuf.h"

#include <stddef.h>

/* Deeper nesting is a syntax error: no profile needs it and it keeps the
 * recursive scanner's stack bounded. */
#define DG_JSONPOS_MAX_DEPTH 128

typedef struct dg_jsonpos_entry {
	char *pointer;
	int line, column;             /* key (members) or value (items, root) */
	int value_line, value_column; /* first character of the value */
	size_t order;                 /* document order, 0 = the root */
	size_t parent;                /* order of the containing value; (size_t)-1 for the root */
} dg_jsonpos_entry;

typedef struct dg_jsonpos_dup {
	char *pointer;                /* the same pointer as the first occurrence */
	int line, column;             /* the repeated key */
	int first_line, first_column; /* the key where it was first defined */
} dg_jsonpos_dup;

typedef struct dg_jsonpos {
	dg_jsonpos_entry *items;      /* sorted by pointer, first occurrence only */
	size_t nr, alloc;
	dg_jsonpos_dup *dups;         /* in document order */
	size_t ndups, dups_alloc;
	char *err_message;            /* NULL unless the text has a syntax error */
	int err_line, err_column;
	size_t err_offset;            /* byte offset into the text given */
	size_t bom;                   /* 3 when the text starts with a UTF-8 BOM */
	int truncated;                /* gave up recording positions (absurdly large input) */
} dg_jsonpos;

#define DG_JSONPOS_INIT { 0 }

/* Indexes `text` (need not be NUL-terminated).  Returns 0, or -1 on a
 * syntax error with err_* set; what was indexed before the error stays. */
int dg_jsonpos_index(dg_jsonpos *ix, const char *text, size_t len);
void dg_jsonpos_release(dg_jsonpos *ix);

/* The entry for exactly `pointer`, or NULL. */
const dg_jsonpos_entry *dg_jsonpos_find(const dg_jsonpos *ix, const char *pointer);
/* Position of `pointer`, or of its nearest ancestor that exists (a missing
 * field is reported where its parent is).  Returns 1 for an exact match, 0
 * for an ancestor, -1 when nothing matched (line/column set to 0). */
int dg_jsonpos_locate(const dg_jsonpos *ix, const char *pointer, int *line, int *column);

/* 1-based line:column of byte `offset` in `text` (BOM-aware, code points). */
void dg_jsonpos_linecol(const char *text, size_t len, size_t offset, int *line, int *column);
/* Same for an error pointer into `text` such as cJSON_GetErrorPtr() returns;
 * a pointer outside the text means its end. */
void dg_jsonpos_error_at(const char *text, size_t len, const char *errptr,
			 int *line, int *column);

/* Appends "/" and `key` with RFC 6901 escaping (~ as ~0, / as ~1). */
void dg_json_pointer_add(dg_strbuf *sb, const char *key);
void dg_json_pointer_add_index(dg_strbuf *sb, size_t index);

#endif

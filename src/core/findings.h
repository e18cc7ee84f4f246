/* Findings: problems found in the input (profile, filter, URI, LDIF, key
 * files...).  Each has a stable code from a codes.def, a severity, the JSON
 * pointer of the profile field it concerns (or "" for none), a message that
 * says what is wrong and a hint that says how to fix it.  Optional
 * file/line/column for findings about a file's text. */
#ifndef DG_FINDINGS_H
#define DG_FINDINGS_H

#include <stddef.h>

typedef enum dg_severity {
	DG_SEV_INFO = 0,
	DG_SEV_WARNING = 1,
	DG_SEV_ERROR = 2,
} dg_severity;

/* Every finding code, one constant each (DGF_PROF001, ...), generated from
 * the codes.def files (src/core/codes.def says how): a misspelt code does
 * not build, and a code's severity and title are its registry entry's. */
typedef enum dg_finding_code {
#define DG_CODE(code, sev, title) DGF_##code,
#include "dg_codes.def"
#undef DG_CODE
	DGF_COUNT_
} dg_finding_code;

typedef struct dg_finding {
	dg_finding_code id;
	char code[16];  /* the id's name, e.g. "PROF002", for output */
	dg_severity severity;
	char *path;     /* JSON pointer into the profile; "" when not about a field */
	char *message;
	char *hint;     /* may be NULL */
	char *file;     /* may be NULL */
	int line, column; /* 1-based; 0 when unknown */
} dg_finding;

typedef struct dg_findings {
	dg_finding *items;
	size_t nr, alloc;
} dg_findings;

#define DG_FINDINGS_INIT { NULL, 0, 0 }

/* Adds a finding with the code's registered severity and returns it so a
 * hint or location can be attached. */
dg_finding *dg_findings_add(dg_findings *f, dg_finding_code code, const char *path,
			    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Adds a copy of `fd` (code, severity, path, message, hint, location). */
dg_finding *dg_findings_add_copy(dg_findings *f, const dg_finding *fd);
/* Adds a finding read back from a saved document (a plan): its code and
 * severity are data, not this program's choice.  A code no codes.def lists
 * is kept as written (id DGF_COUNT_); NULL strings become "" ("?" for the
 * code). */
dg_finding *dg_findings_restore(dg_findings *f, const char *code, dg_severity sev,
				const char *path, const char *message);
void dg_finding_hint(dg_finding *fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dg_finding_locate(dg_finding *fd, const char *file, int line, int column);

size_t dg_findings_count(const dg_findings *f, dg_severity sev);
/* Moves every finding of src to the end of dst; src is left empty. */
void dg_findings_move(dg_findings *dst, dg_findings *src);
/* Stable order for output: by path, then code (keeps insertion order otherwise). */
void dg_findings_sort(dg_findings *f);
void dg_findings_clear(dg_findings *f);

/* Does this finding say the result it belongs to is INCOMPLETE (a search
 * the server cut short, paging that did not end, an answer over a limit)?
 * Independent of severity; the one list of such codes is in codes.def. */
int dg_finding_marks_incomplete(const dg_finding *fd);
/* The codes that do (the codes.def files' DG_INCOMPLETE lists). */
const dg_finding_code *dg_incomplete_codes(size_t *count);
/* The first finding that marks the result incomplete, or NULL. */
const dg_finding *dg_findings_incomplete(const dg_findings *f);

const char *dg_severity_name(dg_severity sev); /* "error", "warning", "info" */

/* The registry of codes (the codes.def files): name, severity, title. */
typedef struct dg_code_info {
	const char *code;
	dg_severity severity;
	const char *title;
} dg_code_info;

/* The entry of a code, or NULL for a name no codes.def lists. */
const dg_code_info *dg_code_lookup(const char *code);
const dg_code_info *dg_code_info_of(dg_finding_code code);
/* Notes that `code` was produced (dg_findings_add and the data-quality
 * rules call it).  For the test suite only: with the environment variable
 * DG_FINDINGS_RECORD naming a file, each code a process produces is
 * appended to it once, so the suite can tell every code is produced by
 * some test, not merely named (scripts/codes-produced.py). */
void dg_code_record(dg_finding_code code);
/* Every entry, in the order of the dg_finding_code constants. */
const dg_code_info *dg_code_table(size_t *count);

#endif

/* Rendering of findings and previews for people and for scripts.  Only the
 * program (src/cli) decides where output goes; these functions write into a
 * strbuf so the library itself never prints. */
#ifndef DG_OUTPUT_H
#define DG_OUTPUT_H

#include "findings.h"
#include "mapping.h"
#include "strbuf.h"

typedef enum dg_format {
	DG_FMT_TEXT = 0, DG_FMT_JSON, DG_FMT_TABLE, DG_FMT_CSV, DG_FMT_HTML,
	DG_FMT_RAW, /* pull: the server's object as it is */
} dg_format;

/* The version of every JSON output document (its "formatVersion", the
 * first key; docs/output.md): raised when a field is removed or changes
 * meaning, not when one is added. */
#define DG_JSON_FORMAT_VERSION 1
/* `"formatVersion":1,` -- what each JSON document starts with after its "{". */
#define DG_JSON_FORMAT_VERSION_FIELD "\"formatVersion\":1,"

/* "error PROF002 /directory/serer: unknown key ..." lines with hints; colour
 * (ANSI) only when `color` is set. Ends with a summary line. */
void dg_output_findings_text(dg_strbuf *out, const dg_findings *f, int color);
/* One finding as a JSON object (docs/output.md), no trailing newline. */
void dg_output_finding_json(dg_strbuf *out, const dg_finding *fd);
/* The findings array, "[...]". */
void dg_output_findings_json_array(dg_strbuf *out, const dg_findings *f);
/* check --format json: {"profile":..., "findings":[...], "summary":{...}} */
void dg_output_check_json(dg_strbuf *out, const char *profile_name, const dg_findings *f);

/* Every preview format says when the result is INCOMPLETE
 * (dg_findings_incomplete): the table and the HTML page open with a banner,
 * JSON has "complete": false (top level, beside "summary").  CSV has no place for it that
 * a spreadsheet user would see, so the program refuses to write CSV for an
 * incomplete result unless asked to (see src/cli/preview.c). */
void dg_output_preview_table(dg_strbuf *out, const dg_preview *p, int color);
void dg_output_preview_json(dg_strbuf *out, const dg_preview *p);
enum {
	DG_CSV_BOM = 1, /* start with a UTF-8 byte order mark (Excel's cue for UTF-8) */
};
/* RFC 4180; a cell that starts with = + - @ (or tab / CR) gets a leading
 * apostrophe so a spreadsheet shows it as text instead of running it as a
 * formula (OWASP "CSV injection"). */
void dg_output_preview_csv(dg_strbuf *out, const dg_preview *p, unsigned flags);
void dg_output_preview_html(dg_strbuf *out, const dg_preview *p);
/* The findings as their own CSV document (a second table in the users'
 * CSV would not be RFC 4180): code,severity,path,message,hint,file,line,
 * one row each; the users' CSV already carries their data-quality issues. */
void dg_output_findings_csv(dg_strbuf *out, const dg_findings *f, unsigned flags);
/* The preview page's parts, for other pages in its style: the head (title
 * "dirgate WHAT: NAME", the style sheet) and "<h1>HEADING NAME</h1>"; text
 * escaped; a table row of `n` cells in `tag` (th/td); the incomplete banner
 * and the findings list.  The page ends with "</body></html>". */
void dg_output_html_begin(dg_strbuf *out, const char *what, const char *heading,
			  const char *name);
void dg_output_html_text(dg_strbuf *out, const char *s);
void dg_output_html_row(dg_strbuf *out, const char *const *cells, int n, const char *tag);
void dg_output_html_incomplete(dg_strbuf *out, const dg_findings *f);
void dg_output_html_findings(dg_strbuf *out, const dg_findings *f);
/* A <dl class="facts"> of label/value pairs (date, version, profile, ...). */
void dg_output_html_facts(dg_strbuf *out, const char *const *labels,
			  const char *const *values, size_t n);
/* A bar chart in CSS (no script, no image): one bar per label, its count
 * written beside it; `id` names the chart's element. */
void dg_output_html_bars(dg_strbuf *out, const char *id, const char *const *labels,
			 const size_t *counts, size_t n);
/* The skipped entries counted by reason, in order of first appearance.
 * Returns how many reasons; labels and counts have p->nskipped slots. */
size_t dg_output_skip_reasons(const dg_preview *p, const char **labels, size_t *counts);
/* Now as "2026-12-06T20:03:47Z", or SOURCE_DATE_EPOCH when it is set. */
void dg_output_timestamp(char buf[32]);

/* preview --why NAME: why the user with this user name (or the entry with
 * this DN / object id) is listed - the group path that qualified it, its
 * data-quality issues - or skipped, or in a conflict.  Returns 0 when
 * nothing in the preview matches NAME (nothing is written then). */
int dg_output_preview_why(dg_strbuf *out, const dg_preview *p, const char *name);

/* Display width of a UTF-8 string in terminal columns (1 per code point;
 * wide/combining characters via wcwidth when the locale allows). */
size_t dg_output_width(const char *s);

#endif

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
} dg_format;

/* "error PROF002 /directory/serer: unknown key ..." lines with hints; colour
 * (ANSI) only when `color` is set. Ends with a summary line. */
void dg_output_findings_text(dg_strbuf *out, const dg_findings *f, int color);
/* One finding as a JSON object (DESIGN.md contract), no trailing newline. */
void dg_output_finding_json(dg_strbuf *out, const dg_finding *fd);
/* The findings array, "[...]". */
void dg_output_findings_json_array(dg_strbuf *out, const dg_findings *f);
/* check --format json: {"profile":..., "findings":[...], "summary":{...}} */
void dg_output_check_json(dg_strbuf *out, const char *profile_name, const dg_findings *f);

void dg_output_preview_table(dg_strbuf *out, const dg_preview *p, int color);
void dg_output_preview_json(dg_strbuf *out, const dg_preview *p);
void dg_output_preview_csv(dg_strbuf *out, const dg_preview *p);
void dg_output_preview_html(dg_strbuf *out, const dg_preview *p);

/* Display width of a UTF-8 string in terminal columns (1 per code point;
 * wide/combining characters via wcwidth when the locale allows). */
size_t dg_output_width(const char *s);

#endif

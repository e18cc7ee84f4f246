/* A whole file into memory, the one way every reader of a local file does
 * it (profiles, manifests, saved plans, reports, saved server state). */
#ifndef DG_READFILE_H
#define DG_READFILE_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* The contents of `path`, NUL-terminated, *len their length.  `what` names
 * the file in messages ("profile": "cannot read profile PATH: ..."; NULL:
 * "cannot read PATH: ...").  A file longer than max_bytes (0: no bound) is
 * refused as "larger than N MiB, not a WHAT" before it is all read.  On
 * failure NULL with err set; what was read is wiped first, as a profile
 * may hold literal secrets (on success the caller wipes the text). */
char *dg_read_file(const char *path, size_t max_bytes, const char *what, size_t *len,
		   dg_error *err);

/* dg_read_file, then dg_json_parse_exact: the document, or NULL with err
 * set ("PATH is not valid JSON" when it does not parse).  The text is
 * wiped once parsed. */
cJSON *dg_json_read_file(const char *path, size_t max_bytes, const char *what, dg_error *err);

#endif

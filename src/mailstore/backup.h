/* Backup files (push, migrate, onboard): what was on the server before a
 * change, never overwritten. */
#ifndef DG_MS_BACKUP_H
#define DG_MS_BACKUP_H

#include "../core/error.h"

#include <cjson/cJSON.h>

/* Writes `obj` (pretty JSON) to `given`, or to "STEM-20260101T000000Z.json"
 * (with -2, -3, ... when that is taken: two runs in one second), created
 * exclusively (never replacing a file or following a link), 0600, whole or
 * not at all.  *path_out is the path written (the caller frees it). */
dg_code dg_backup_write(const char *given, const char *stem, const cJSON *obj,
			char **path_out, dg_error *err);

#endif

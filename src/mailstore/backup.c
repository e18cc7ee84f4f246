/* Backup files: backup.h. */
#include "backup.h"

#include "../core/jsonexact.h"
#include "../core/outfile.h"
#include "../core/strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Default names carry the second; two runs in one second get -2, -3, ...
 * rather than one refused or overwritten. */
#define BACKUP_NAME_TRIES 100

dg_code dg_backup_write(const char *given, const char *stem, const cJSON *obj,
			char **path_out, dg_error *err)
{
	char stamp[32], *text = dg_json_print_exact(obj, 1);
	time_t now = time(NULL);
	struct tm tm;
	dg_strbuf sb = DG_STRBUF_INIT;
	struct stat st;
	char *path = NULL;
	dg_code rc = DG_E_IO;

	dg_strbuf_adds(&sb, text ? text : "null");
	dg_strbuf_addch(&sb, '\n');
	cJSON_free(text);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int n = 1; n <= BACKUP_NAME_TRIES; n++) {
		free(path);
		path = given ? dg_xstrdup(given)
			     : n == 1 ? dg_xasprintf("%s-%s.json", stem, stamp)
				      : dg_xasprintf("%s-%s-%d.json", stem, stamp, n);
		rc = dg_outfile_write(path, sb.buf, sb.len, DG_OUTFILE_EXCLUSIVE, err);
		/* only a default name that is taken is worth another try */
		if (!rc || given || lstat(path, &st))
			break;
	}
	explicit_bzero(sb.buf, sb.len);   /* a backup may hold secrets */
	dg_strbuf_release(&sb);
	if (rc) {
		free(path);
		return rc;
	}
	*path_out = path;
	return DG_OK;
}

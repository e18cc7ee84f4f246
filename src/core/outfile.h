/* Files dirgate writes that hold directory data or secrets: plans, pulls,
 * backups, snapshots, reports.  Each is created private (mode 0600) under a
 * temporary name beside its target and renamed into place only once it is
 * complete, so a failed or interrupted write leaves nothing behind, a
 * reader never sees half a file, and a symbolic link at the target is
 * replaced, never followed. */
#ifndef DG_OUTFILE_H
#define DG_OUTFILE_H

#include "error.h"

#include <stddef.h>
#include <stdio.h>

enum {
	DG_OUTFILE_REPLACE = 0,   /* an existing file (or link) at the path is replaced */
	DG_OUTFILE_EXCLUSIVE = 1, /* anything already at the path makes commit fail */
};

typedef struct dg_outfile {
	FILE *fp;      /* write here between open and commit/abort */
	char *path;
	char *tmp;
	unsigned flags;
} dg_outfile;

#define DG_OUTFILE_INIT { NULL, NULL, NULL, 0 }

dg_code dg_outfile_open(dg_outfile *o, const char *path, unsigned flags, dg_error *err);
/* Flushes, syncs and moves the file into place; on failure nothing is left. */
dg_code dg_outfile_commit(dg_outfile *o, dg_error *err);
/* Drops what was written; safe to call after commit and on an unopened file. */
void dg_outfile_abort(dg_outfile *o);

/* open + write + commit in one call. */
dg_code dg_outfile_write(const char *path, const void *buf, size_t len, unsigned flags,
			 dg_error *err);

#endif

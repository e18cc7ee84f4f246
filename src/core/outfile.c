/* Private, atomic output files: see outfile.h. */
#include "outfile.h"

#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *temp_name(const char *path)
{
	char *d = dg_xstrdup(path), *b = dg_xstrdup(path);
	dg_strbuf sb = DG_STRBUF_INIT;

	dg_strbuf_addf(&sb, "%s/.%s.tmp-XXXXXX", dirname(d), basename(b));
	free(d);
	free(b);
	return dg_strbuf_detach(&sb);
}

dg_code dg_outfile_open(dg_outfile *o, const char *path, unsigned flags, dg_error *err)
{
	int fd;

	*o = (dg_outfile)DG_OUTFILE_INIT;
	o->tmp = temp_name(path);
	/* mkostemp creates the file with mode 0600 and O_EXCL. */
	fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0) {
		dg_code rc = dg_error_set(err, DG_E_IO, "cannot write %s: %s", path,
					  strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		return rc;
	}
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		dg_code rc = dg_error_set(err, DG_E_IO, "cannot write %s: %s", path,
					  strerror(errno));
		close(fd);
		dg_outfile_abort(o);
		return rc;
	}
	o->path = dg_xstrdup(path);
	o->flags = flags;
	return DG_OK;
}

/* rename(2) without replacing: RENAME_NOREPLACE, or link(2) where the file
 * system does not support that flag. */
static int move_exclusive(const char *from, const char *to)
{
	if (!renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to))
		return -1;
	unlink(from);
	return 0;
}

dg_code dg_outfile_commit(dg_outfile *o, dg_error *err)
{
	int failed = 0, e = 0;
	dg_code rc = DG_OK;

	if (!o->fp)
		return dg_error_set(err, DG_E_INTERNAL, "output file is not open");
	if (fflush(o->fp) || fsync(fileno(o->fp)))
		failed = 1, e = errno;
	if (fclose(o->fp) && !failed)
		failed = 1, e = errno;
	o->fp = NULL;
	if (!failed) {
		int moved = o->flags & DG_OUTFILE_EXCLUSIVE ? move_exclusive(o->tmp, o->path)
							    : rename(o->tmp, o->path);
		if (moved)
			failed = 1, e = errno;
	}
	if (failed) {
		rc = e == EEXIST ? dg_error_set(err, DG_E_IO,
						"%s already exists: dirgate does not overwrite it; "
						"name another file or remove it first", o->path)
				 : dg_error_set(err, DG_E_IO, "cannot write %s: %s", o->path,
						strerror(e));
	} else {
		free(o->tmp);
		o->tmp = NULL;
	}
	dg_outfile_abort(o);
	return rc;
}

void dg_outfile_abort(dg_outfile *o)
{
	if (o->fp)
		fclose(o->fp);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	*o = (dg_outfile)DG_OUTFILE_INIT;
}

dg_code dg_outfile_write(const char *path, const void *buf, size_t len, unsigned flags,
			 dg_error *err)
{
	dg_outfile o;
	dg_code rc = dg_outfile_open(&o, path, flags, err);

	if (rc)
		return rc;
	if (len && fwrite(buf, 1, len, o.fp) != len) {
		rc = dg_error_set(err, DG_E_IO, "cannot write %s: %s", path, strerror(errno));
		dg_outfile_abort(&o);
		return rc;
	}
	return dg_outfile_commit(&o, err);
}

/* The LDIF snapshot connector: an export read through the LDAP engine
 * (ldap_engine.h) as the live directory would be.  The file is streamed
 * (ldif.c): only the attributes the engine reads are decoded, and each
 * entry is a borrowed view, judged and forgotten. */
#include "snapshot_ldap.h"
#include "ldap_engine.h"
#include "ldif.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SNAP_PATH "/directory/snapshot"

/* The arrays that grow with the directory (user records, DN nodes, the
 * DN text) are sized from the file up front: grown by doubling, each
 * realloc copied them into fresh pages, a tenth of the run.  An ldifde
 * export has ~1.5 KB per entry, so size/1024 over-counts; memory reserved
 * but never written is neither faulted in nor counted in RSS. */
static void presize(dg_ldap_engine *eng, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)(1 << 20))
		return;
	dg_ldap_engine_expect(eng, (size_t)st.st_size / 1024, (size_t)st.st_size / 8);
}

typedef struct snapshot_read {
	dg_ldap_engine *eng;
	dg_fetch_result *out;
	const dg_progress *progress; /* NULL: nobody is watching */
} snapshot_read;

static int wants(void *ctx, const char *type, size_t len)
{
	return dg_ldap_engine_wants(((snapshot_read *)ctx)->eng, type, len);
}

static int on_entry(void *ctx, dg_entry *e)
{
	snapshot_read *r = ctx;
	dg_ldap_engine_read(r->eng, e);
	if (r->progress && (!(r->out->entries_read & 1023) || r->out->entries_read == 1))
		r->progress->fn(r->progress->ctx, r->out->entries_read, 0);
	return 0;
}

static dg_code snapshot_fetch(const dg_profile *p, dg_fetch_result *out, dg_error *err)
{
	snapshot_read r = { NULL, out, NULL };
	dg_ldif_opts o;
	dg_code rc;
	const char *path = p->directory.snapshot;

	if (!path)
		return dg_error_set(err, DG_E_INVALID, "the profile names no snapshot");
	if ((rc = dg_ldap_engine_begin(p, path, out, &r.eng, err)) != DG_OK)
		return rc;
	free(out->source_detail);
	out->source_detail = dg_xstrdup(path);
	r.progress = out->progress && out->progress->fn ? out->progress : NULL;
	presize(r.eng, path);

	memset(&o, 0, sizeof(o));
	o.json_path = SNAP_PATH;
	o.want_attr = wants;
	o.on_entry = on_entry;
	o.ctx = &r;
	o.borrow = 1;
	rc = dg_ldif_stream_file(path, &o, &out->findings, err);
	if (r.progress)
		r.progress->fn(r.progress->ctx, out->entries_read, 1);
	dg_ldap_engine_end(r.eng, rc == DG_OK);
	return rc;
}

const dg_connector dg_connector_ldap_snapshot = { "ldap-snapshot", snapshot_fetch };

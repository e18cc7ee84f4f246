#include "readfile.h"

#include "jsonexact.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void wipe(dg_strbuf *sb)
{
	if (sb->alloc)
		explicit_bzero(sb->buf, sb->len);
	dg_strbuf_release(sb);
}

char *dg_read_file(const char *path, size_t max_bytes, const char *what, size_t *len,
		   dg_error *err)
{
	const char *sep = what ? " " : "";
	FILE *fp = fopen(path, "rb");
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[8192];
	size_t n;

	what = what ? what : "";
	if (!fp) {
		dg_error_set(err, DG_E_IO, "cannot read %s%s%s: %s", what, sep, path, strerror(errno));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (max_bytes && sb.len + n > max_bytes) {
			dg_error_set(err, DG_E_IO, "cannot read %s%s%s: larger than %zu MiB, not a%s%s",
				     what, sep, path, max_bytes >> 20, *what ? " " : " file", what);
			fclose(fp);
			explicit_bzero(buf, sizeof(buf));
			wipe(&sb);
			return NULL;
		}
		dg_strbuf_add(&sb, buf, n);
	}
	explicit_bzero(buf, sizeof(buf)); /* the last chunk read, a key's end perhaps */
	if (ferror(fp)) {
		dg_error_set(err, DG_E_IO, "cannot read %s%s%s: %s", what, sep, path, strerror(errno));
		fclose(fp);
		wipe(&sb);
		return NULL;
	}
	fclose(fp);
	*len = sb.len;
	return dg_strbuf_detach(&sb);
}

cJSON *dg_json_read_file(const char *path, size_t max_bytes, const char *what, dg_error *err)
{
	size_t len;
	char *text = dg_read_file(path, max_bytes, what, &len, err);
	cJSON *root;

	if (!text)
		return NULL;
	root = dg_json_parse_exact(text, len, NULL);
	explicit_bzero(text, len);
	free(text);
	if (!root)
		dg_error_set(err, DG_E_PARSE, "%s is not valid JSON", path);
	return root;
}

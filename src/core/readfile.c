/* Whole files into memory: readfile.h.  One buffer sized from fstat and
 * plain read(2), so a secret file's bytes are never left behind in memory
 * freed on the way (a realloc'd buffer's old block, stdio's buffer). */
#include "readfile.h"

#include "jsonexact.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a file that is not regular (a pipe, /dev/stdin) starts with. */
#define FIRST_ALLOC 8192

static void too_large(const char *path, size_t max_bytes, const char *what, dg_error *err)
{
	dg_error_set(err, DG_E_IO, "cannot read %s%s%s: larger than %zu MiB, not a%s%s", what,
		     *what ? " " : "", path, max_bytes >> 20, *what ? " " : " file", what);
}

/* Moves buf into a block of `cap` + 1 bytes, wiping the old one. */
static char *grow(char *buf, size_t used, size_t cap)
{
	char *bigger = dg_xmalloc(cap + 1);
	memcpy(bigger, buf, used);
	explicit_bzero(buf, used);
	free(buf);
	return bigger;
}

static void discard(char *buf, size_t used)
{
	explicit_bzero(buf, used);
	free(buf);
}

/* The size to read into: the file's, when it says; never more than one
 * byte past max_bytes, which is enough to tell it is too large. */
static size_t first_cap(int fd, size_t max_bytes)
{
	struct stat st;
	size_t cap = FIRST_ALLOC;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		cap = (size_t)st.st_size;
	if (max_bytes && cap > max_bytes)
		cap = max_bytes + 1;
	return cap ? cap : 1;
}

char *dg_read_file(const char *path, size_t max_bytes, const char *what, size_t *len,
		   dg_error *err)
{
	const char *sep = what ? " " : "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap, used = 0;
	char *buf;

	what = what ? what : "";
	if (fd < 0) {
		dg_error_set(err, DG_E_IO, "cannot read %s%s%s: %s", what, sep, path, strerror(errno));
		return NULL;
	}
	cap = first_cap(fd, max_bytes);
	buf = dg_xmalloc(cap + 1);
	for (;;) {
		ssize_t n;
		if (max_bytes && used > max_bytes) {
			too_large(path, max_bytes, what, err);
			break;
		}
		if (used == cap) /* the file grew, or does not say its size */
			buf = grow(buf, used, cap *= 2);
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dg_error_set(err, DG_E_IO, "cannot read %s%s%s: %s", what, sep, path,
				     strerror(errno));
			break;
		}
		if (n == 0) {
			close(fd);
			buf[used] = '\0';
			*len = used;
			return buf;
		}
		used += (size_t)n;
	}
	close(fd);
	discard(buf, used);
	return NULL;
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

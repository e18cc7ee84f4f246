/* Helpers of the fuzz targets.  Parsers that read a file by path get the
 * input as an anonymous in-memory file, named by its /proc/self/fd path (no
 * disk, and nothing left behind when a run stops). */
#ifndef DG_FUZZ_UTIL_H
#define DG_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct fuzz_file {
	int fd;
	char path[64];
} fuzz_file;

/* Writes data[0..size) to a new in-memory file; aborts when that fails
 * (then nothing could be fuzzed). */
static inline void fuzz_file_open(fuzz_file *f, const uint8_t *data, size_t size)
{
	size_t done = 0;
	f->fd = memfd_create("fuzz", 0);
	if (f->fd < 0)
		abort();
	while (done < size) {
		ssize_t n = write(f->fd, data + done, size - done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

static inline void fuzz_file_close(fuzz_file *f)
{
	close(f->fd);
}

/* Splits the input at the first "\n----\n" (or not at all): two files'
 * worth of input from one. */
static inline size_t fuzz_split(const uint8_t *data, size_t size, size_t *second)
{
	static const char sep[] = "\n----\n";
	for (size_t i = 0; i + sizeof sep - 1 <= size; i++)
		if (!memcmp(data + i, sep, sizeof sep - 1)) {
			*second = i + sizeof sep - 1;
			return i;
		}
	*second = size;
	return size;
}

/* The input outside the secret part: runs found there too are not secret
 * (a fuzzer copies bytes of the key into other fields, which may be shown). */
typedef struct fuzz_public {
	const uint8_t *a, *b;
	size_t na, nb;
} fuzz_public;

static inline int fuzz_is_public(const fuzz_public *pub, const uint8_t *run, size_t n)
{
	return pub && ((pub->na && memmem(pub->a, pub->na, run, n)) ||
		       (pub->nb && memmem(pub->b, pub->nb, run, n)));
}

/* Whether `text` holds `secret` or a run of 32+ base64 characters of
 * `key` (a line of a PEM private key, raw or inside a JSON string) that is
 * not also in `pub`: what no message may ever show. */
static inline int fuzz_leaks(const char *text, const char *secret, const uint8_t *key, size_t n,
			     const fuzz_public *pub)
{
	if (!text)
		return 0;
	if (secret && strstr(text, secret))
		return 1;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && ((key[j] && strchr("+/=", key[j])) || (key[j] >= '0' && key[j] <= '9') ||
				 ((key[j] | 32) >= 'a' && (key[j] | 32) <= 'z')))
			j++;
		if (j - i >= 32 && memmem(text, strlen(text), key + i, j - i) &&
		    !fuzz_is_public(pub, key + i, j - i))
			return 1;
		i = j + 1;
	}
	return 0;
}

#endif

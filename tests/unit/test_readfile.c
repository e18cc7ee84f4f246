/* dg_read_file: whole files of any size, files that do not say their size,
 * the size bound, and errors that name the file. */
#include "core/readfile.h"
#include "core/strbuf.h"
#include "test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/dg-test-readfile-XXXXXX";

static char *write_file(const char *name, size_t size)
{
	char *path = dg_xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	for (size_t i = 0; i < size; i++)
		fputc('a' + (int)(i % 26), fp);
	fclose(fp);
	return path;
}

static int holds_pattern(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != 'a' + (int)(i % 26))
			return 0;
	return buf[len] == '\0';
}

/* Empty, one byte, and sizes around the first chunk of a stream. */
static void test_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 8191, 8192, 8193, 100000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];
		char *path, *text;
		size_t len = 12345;
		dg_error err;
		snprintf(name, sizeof(name), "f%zu", sizes[i]);
		path = write_file(name, sizes[i]);
		text = dg_read_file(path, 0, "profile", &len, &err);
		CHECK(text != NULL);
		if (text) {
			CHECK_INT(len, sizes[i]);
			CHECK(holds_pattern(text, len));
		}
		free(text);
		free(path);
	}
}

/* A pipe says no size: the buffer grows as it is read. */
static void test_pipe(void)
{
	int fds[2];
	char *path, *text;
	size_t len = 0;
	dg_error err;
	pid_t pid;
	CHECK(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		for (size_t i = 0; i < 50000; i++) {
			char c = (char)('a' + (int)(i % 26));
			if (write(fds[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	path = dg_xasprintf("/proc/self/fd/%d", fds[0]);
	text = dg_read_file(path, 0, NULL, &len, &err);
	CHECK(text != NULL);
	if (text) {
		CHECK_INT(len, 50000);
		CHECK(holds_pattern(text, len));
	}
	close(fds[0]);
	free(text);
	free(path);
}

/* Over the bound: refused with the bound in the message, whether the size
 * is known up front or only found while reading. */
static void test_bound(void)
{
	char *path = write_file("big", (2u << 20) + 1), *text;
	size_t len;
	dg_error err;
	CHECK(dg_read_file(path, 2u << 20, "plan", &len, &err) == NULL);
	CHECK(strstr(err.message, "larger than 2 MiB, not a plan") != NULL);
	CHECK(strstr(err.message, path) != NULL);
	text = dg_read_file(path, 0, "plan", &len, &err); /* no bound */
	CHECK(text != NULL);
	free(text);
	free(path);
	path = write_file("exact", 2u << 20);
	text = dg_read_file(path, 2u << 20, "plan", &len, &err);
	CHECK(text != NULL);
	CHECK_INT(len, 2u << 20);
	free(text);
	free(path);
}

static void test_errors(void)
{
	size_t len;
	dg_error err;
	char *missing = dg_xasprintf("%s/missing.json", dir);
	CHECK(dg_read_file(missing, 0, "profile", &len, &err) == NULL);
	CHECK(strstr(err.message, "cannot read profile ") != NULL);
	CHECK(strstr(err.message, "No such file") != NULL);
	CHECK(dg_read_file(dir, 0, NULL, &len, &err) == NULL);
	CHECK(strstr(err.message, "Is a directory") != NULL);
	free(missing);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(test_sizes);
	RUN(test_pipe);
	RUN(test_bound);
	RUN(test_errors);
	{
		char *cmd = dg_xasprintf("rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		free(cmd);
	}
	return dg_t_done();
}

/* Replays every file of a corpus directory through a libFuzzer target, so
 * the corpus (and every crash ever found, saved into it) runs as a test in
 * builds without libFuzzer.  Prints TAP: one test point per file. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	long n;
	if (!fp)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)n); /* a crash aborts the run: that is the failure */
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int failed = 0;
	if (argc != 2 || !(d = opendir(argv[1]))) {
		printf("1..0 # SKIP no corpus directory\n");
		return argc == 2 ? 1 : 2;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		int rc = replay_file(path);
		printf("%s %zu - %s\n", rc ? "not ok" : "ok", i + 1, names[i]);
		if (rc)
			failed++;
		free(names[i]);
	}
	free(names);
	printf("1..%zu\n", n);
	return failed ? 1 : 0;
}

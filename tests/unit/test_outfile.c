/* core/outfile: private, whole-or-nothing output files. */
#include "core/outfile.h"
#include "core/strbuf.h"
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/dg-outfile-XXXXXX";

static char *in_dir(const char *name)
{
	return dg_xasprintf("%s/%s", dir, name);
}

static char *slurp(const char *path)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		dg_strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	return dg_strbuf_detach(&sb);
}

/* Entries in the directory: a leftover temporary file would show here. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void test_private_mode(void)
{
	char *p = in_dir("plan.json"), *got;
	dg_error err = { 0 };
	struct stat st;
	mode_t old = umask(0);   /* even a permissive umask gives 0600 */

	CHECK_INT(dg_outfile_write(p, "{}\n", 3, DG_OUTFILE_REPLACE, &err), DG_OK);
	umask(old);
	CHECK(!stat(p, &st));
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_STR(got = slurp(p), "{}\n");
	CHECK_INT(entries(), 1);
	free(got);
	unlink(p);
	free(p);
}

static void test_replace_makes_existing_file_private(void)
{
	char *p = in_dir("pull.json"), *got;
	dg_error err = { 0 };
	struct stat st;
	int fd = open(p, O_WRONLY | O_CREAT, 0644);

	CHECK(fd >= 0 && write(fd, "old", 3) == 3);
	close(fd);
	chmod(p, 0644);
	CHECK_INT(dg_outfile_write(p, "new", 3, DG_OUTFILE_REPLACE, &err), DG_OK);
	CHECK(!stat(p, &st));
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_STR(got = slurp(p), "new");
	free(got);
	unlink(p);
	free(p);
}

static void test_replace_does_not_follow_a_link(void)
{
	char *p = in_dir("link.json"), *victim = in_dir("victim"), *got;
	dg_error err = { 0 };
	struct stat st;
	int fd = open(victim, O_WRONLY | O_CREAT, 0644);

	CHECK(fd >= 0 && write(fd, "keep", 4) == 4);
	close(fd);
	CHECK(!symlink(victim, p));
	CHECK_INT(dg_outfile_write(p, "data", 4, DG_OUTFILE_REPLACE, &err), DG_OK);
	CHECK_STR(got = slurp(victim), "keep");
	free(got);
	CHECK(!lstat(p, &st) && S_ISREG(st.st_mode));
	unlink(p);
	unlink(victim);
	free(p);
	free(victim);
}

static void test_exclusive_refuses_file_and_link(void)
{
	char *p = in_dir("backup.json"), *l = in_dir("backup-link.json"), *got;
	dg_error err = { 0 };

	CHECK_INT(dg_outfile_write(p, "first", 5, DG_OUTFILE_EXCLUSIVE, &err), DG_OK);
	CHECK_INT(dg_outfile_write(p, "second", 6, DG_OUTFILE_EXCLUSIVE, &err), DG_E_IO);
	CHECK(strstr(err.message, "already exists") != NULL);
	CHECK_STR(got = slurp(p), "first");
	free(got);
	CHECK(!symlink("/nonexistent/target", l));
	CHECK_INT(dg_outfile_write(l, "x", 1, DG_OUTFILE_EXCLUSIVE, &err), DG_E_IO);
	CHECK_INT(entries(), 2);   /* no temporary file left behind */
	unlink(p);
	unlink(l);
	free(p);
	free(l);
}

static void test_abort_leaves_nothing(void)
{
	char *p = in_dir("snapshot.ldif");
	dg_outfile o;
	dg_error err = { 0 };

	CHECK_INT(dg_outfile_open(&o, p, DG_OUTFILE_REPLACE, &err), DG_OK);
	fputs("dn: cn=half\n", o.fp);
	dg_outfile_abort(&o);
	CHECK_INT(entries(), 0);
	CHECK(access(p, F_OK) != 0);
	dg_outfile_abort(&o);   /* twice is harmless */
	free(p);
}

static void test_missing_directory(void)
{
	dg_error err = { 0 };

	CHECK_INT(dg_outfile_write("/nonexistent-dir/x.json", "x", 1, 0, &err), DG_E_IO);
	CHECK(strstr(err.message, "/nonexistent-dir/x.json") != NULL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! cannot create %s\n", dir);
		return 1;
	}
	RUN(test_private_mode);
	RUN(test_replace_makes_existing_file_private);
	RUN(test_replace_does_not_follow_a_link);
	RUN(test_exclusive_refuses_file_and_link);
	RUN(test_abort_leaves_nothing);
	RUN(test_missing_directory);
	rmdir(dir);
	return dg_t_done();
}

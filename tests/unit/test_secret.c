#include "core/error.h"
#include "core/secret.h"
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define CANARY "s3cret-CANARY-91d2"

static char tmpdir[] = "/tmp/dg-secret-XXXXXX";

static char *tmp_file(const char *name, const char *content, size_t len, mode_t mode)
{
	char *path = dg_xasprintf("%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, content, len) != (ssize_t)len)
		printf("# cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
	chmod(path, mode);
	return path;
}

static dg_secret_ref ref_of(dg_secret_kind kind, const char *ref)
{
	dg_secret_ref r = { kind, (char *)ref, (char *)"/directory/bind/password" };
	return r;
}

static void no_canary(const char *s)
{
	if (s && strstr(s, CANARY)) {
		printf("#   leaked the secret: %s\n", s);
		dg_t_cur_failed = 1;
	}
}

/* ---- resolve ------------------------------------------------------------ */

static void test_env(void)
{
	dg_secret_ref r = ref_of(DG_SECRET_ENV, "DG_TEST_SECRET_ENV");
	dg_error err = { 0 };
	char *v = NULL;
	setenv("DG_TEST_SECRET_ENV", CANARY, 1);
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_OK);
	CHECK_STR(v, CANARY);
	dg_secret_free(v);

	unsetenv("DG_TEST_SECRET_ENV");
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_E_INVALID);
	CHECK(v == NULL);
	CHECK_STR(err.message, "the secret for /directory/bind/password: environment variable "
		  "DG_TEST_SECRET_ENV is not set");
	setenv("DG_TEST_SECRET_ENV", "", 1);
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_E_INVALID);
	CHECK(strstr(err.message, "DG_TEST_SECRET_ENV is empty") != NULL);
	unsetenv("DG_TEST_SECRET_ENV");
	/* err may be NULL */
	CHECK_INT(dg_secret_resolve(&r, &v, NULL), DG_E_INVALID);
}

static void test_file(void)
{
	char *crlf = tmp_file("crlf.pw", CANARY "\r\nsecond line\n", strlen(CANARY) + 14, 0600);
	char *bare = tmp_file("bare.pw", CANARY, strlen(CANARY), 0600);
	char *empty = tmp_file("empty.pw", "\nsecret on line two\n", 20, 0600);
	char *nul = tmp_file("nul.pw", "ab\0cd\n", 6, 0600);
	dg_secret_ref r = ref_of(DG_SECRET_FILE, crlf);
	dg_error err = { 0 };
	char *v = NULL;
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_OK);
	CHECK_STR(v, CANARY);
	dg_secret_free(v);
	r.ref = bare;
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_OK);
	CHECK_STR(v, CANARY);
	dg_secret_free(v);
	r.ref = nul;
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_OK);
	CHECK_STR(v, "ab");
	dg_secret_free(v);

	r.ref = empty;
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_E_INVALID);
	CHECK(v == NULL);
	CHECK(strstr(err.message, empty) != NULL);
	CHECK(strstr(err.message, "/directory/bind/password") != NULL);
	CHECK(strstr(err.message, "is empty") != NULL);
	no_canary(err.message);

	r.ref = (char *)"/nonexistent/dg.pw";
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_E_IO);
	CHECK_STR(err.message, "the secret for /directory/bind/password: cannot read /nonexistent/dg.pw: "
		  "No such file or directory");
	r.ref = tmpdir;
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_E_IO);
	CHECK(strstr(err.message, "Is a directory") != NULL);
	r.ref = (char *)"/dev/null";
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_E_IO);
	CHECK(strstr(err.message, "not a regular file") != NULL);
	free(crlf);
	free(bare);
	free(empty);
	free(nul);
}

static void test_literal_and_none(void)
{
	dg_secret_ref r = ref_of(DG_SECRET_LITERAL, CANARY);
	dg_error err = { 0 };
	char *v = NULL;
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_OK);
	CHECK_STR(v, CANARY);
	CHECK(v != r.ref);
	dg_secret_free(v);
	dg_secret_free(NULL);
	r = ref_of(DG_SECRET_NONE, NULL);
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_E_INVALID);
	CHECK_STR(err.message, "no secret is given at /directory/bind/password");
	r = ref_of(DG_SECRET_ENV, NULL);
	CHECK_INT(dg_secret_resolve(&r, &v, &err), DG_E_INTERNAL);
}

/* Runs fn in a child process and returns what it wrote to the pipe. */
static char *in_child(void (*fn)(int out), int *status)
{
	int fds[2];
	pid_t pid;
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[512];
	ssize_t n;
	if (pipe(fds) < 0)
		return NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		fn(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		dg_strbuf_add(&sb, buf, (size_t)n);
	close(fds[0]);
	waitpid(pid, status, 0);
	return dg_strbuf_detach(&sb);
}

static void prompt_without_terminal(int out)
{
	dg_secret_ref r = ref_of(DG_SECRET_PROMPT, NULL);
	dg_error err = { 0 };
	char *v = NULL;
	dg_code rc;
	setsid(); /* no controlling terminal from here on */
	rc = dg_secret_resolve(&r, &v, &err);
	dprintf(out, "%d|%s", rc, err.message);
}

static void test_prompt_without_terminal(void)
{
	int status = 0;
	char *got = in_child(prompt_without_terminal, &status);
	CHECK(got != NULL);
	if (!got)
		return;
	CHECK(!strncmp(got, "1|cannot prompt for the secret at /directory/bind/password: no terminal", 71));
	CHECK(strstr(got, "use {\"env\": NAME} or {\"file\": PATH} when running unattended") != NULL);
	free(got);
}

/* The child takes a new pty as its controlling terminal and prompts on it. */
static char pty_name[128];

static void prompt_on_pty(int out)
{
	dg_secret_ref r = ref_of(DG_SECRET_PROMPT, NULL);
	dg_error err = { 0 };
	struct termios t;
	char *v = NULL;
	dg_code rc;
	int fd;
	setsid();
	fd = open(pty_name, O_RDWR); /* becomes the controlling terminal */
	if (fd < 0) {
		dprintf(out, "open failed");
		return;
	}
	rc = dg_secret_resolve(&r, &v, &err);
	tcgetattr(fd, &t);
	dprintf(out, "%d|%s|echo=%d", rc, v ? v : err.message, !!(t.c_lflag & ECHO));
	dg_secret_free(v);
}

static void test_prompt_on_terminal(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), status = 0;
	dg_strbuf seen = DG_STRBUF_INIT;
	char buf[256], *got;
	pid_t pid;
	int fds[2];
	ssize_t n;
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || !ptsname(master)) {
		printf("# SKIP no pseudo-terminals here\n");
		return;
	}
	snprintf(pty_name, sizeof(pty_name), "%s", ptsname(master));
	if (pipe(fds) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		close(master);
		alarm(20); /* a hung prompt fails the test instead of blocking it */
		prompt_on_pty(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	/* wait for the prompt, answer it, collect what the terminal shows */
	while (!strstr(seen.buf ? seen.buf : "", ": ") && (n = read(master, buf, sizeof(buf))) > 0)
		dg_strbuf_add(&seen, buf, (size_t)n);
	CHECK(strstr(seen.buf, "Secret for /directory/bind/password: ") != NULL);
	CHECK(write(master, CANARY "\n", strlen(CANARY) + 1) > 0);
	{
		dg_strbuf sb = DG_STRBUF_INIT;
		while ((n = read(fds[0], buf, sizeof(buf))) > 0)
			dg_strbuf_add(&sb, buf, (size_t)n);
		got = dg_strbuf_detach(&sb);
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	/* drain the echo side: the secret itself must not have been echoed */
	fcntl(master, F_SETFL, O_NONBLOCK);
	while ((n = read(master, buf, sizeof(buf))) > 0)
		dg_strbuf_add(&seen, buf, (size_t)n);
	no_canary(seen.buf);
	CHECK_STR(got, "0|" CANARY "|echo=1");
	free(got);
	dg_strbuf_release(&seen);
	close(master);
}

/* ---- offline check ---------------------------------------------------------- */

static void test_check_env(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_secret_ref r = ref_of(DG_SECRET_ENV, "DG_TEST_SECRET_UNSET");
	unsetenv("DG_TEST_SECRET_UNSET");
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 1);
	if (f.nr) {
		CHECK_STR(f.items[0].code, "SECRET004");
		CHECK_INT(f.items[0].severity, DG_SEV_WARNING);
		CHECK_STR(f.items[0].path, "/directory/bind/password");
		CHECK_STR(f.items[0].message, "environment variable DG_TEST_SECRET_UNSET is not set");
		CHECK_STR(f.items[0].hint, "set DG_TEST_SECRET_UNSET before live commands (offline checks do not need it)");
	}
	dg_findings_clear(&f);
	setenv("DG_TEST_SECRET_UNSET", CANARY, 1);
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 0);
	setenv("DG_TEST_SECRET_UNSET", "", 1);
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 1);
	if (f.nr)
		CHECK_STR(f.items[0].message, "environment variable DG_TEST_SECRET_UNSET is empty");
	unsetenv("DG_TEST_SECRET_UNSET");
	dg_findings_clear(&f);
}

static void test_check_file(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *good = tmp_file("good.pw", CANARY "\n", strlen(CANARY) + 1, 0600);
	char *open_ = tmp_file("open.pw", CANARY "\n", strlen(CANARY) + 1, 0644);
	char *group = tmp_file("group.pw", CANARY "\n", strlen(CANARY) + 1, 0640);
	char *empty = tmp_file("empty2.pw", "", 0, 0600);
	char *want;
	dg_secret_ref r = ref_of(DG_SECRET_FILE, good);

	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 0);

	r.ref = open_;
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 1);
	if (f.nr) {
		CHECK_STR(f.items[0].code, "SECRET003");
		CHECK_INT(f.items[0].severity, DG_SEV_WARNING);
		want = dg_xasprintf("secret file %s is readable by group and others (mode 0644)", open_);
		CHECK_STR(f.items[0].message, want);
		free(want);
		want = dg_xasprintf("chmod 600 %s", open_);
		CHECK_STR(f.items[0].hint, want);
		free(want);
	}
	dg_findings_clear(&f);

	r.ref = group;
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 1);
	if (f.nr)
		CHECK(strstr(f.items[0].message, "readable by its group (mode 0640)") != NULL);
	dg_findings_clear(&f);

	r.ref = empty;
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 1);
	if (f.nr) {
		CHECK_STR(f.items[0].code, "SECRET002");
		CHECK_INT(f.items[0].severity, DG_SEV_ERROR);
		CHECK(strstr(f.items[0].message, "is empty") != NULL);
	}
	dg_findings_clear(&f);

	r.ref = (char *)"/nonexistent/dg.pw";
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 1);
	if (f.nr) {
		CHECK_STR(f.items[0].code, "SECRET002");
		CHECK_INT(f.items[0].severity, DG_SEV_ERROR);
		CHECK_STR(f.items[0].message, "secret file /nonexistent/dg.pw cannot be read: No such file or directory");
	}
	dg_findings_clear(&f);

	r.ref = tmpdir;
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 1);
	dg_findings_clear(&f);

	if (geteuid() != 0) { /* root reads everything */
		chmod(good, 0000);
		r.ref = good;
		dg_secret_check(&r, &f);
		CHECK_INT(f.nr, 1);
		if (f.nr)
			CHECK(strstr(f.items[0].message, "Permission denied") != NULL);
		dg_findings_clear(&f);
	}
	for (size_t i = 0; i < f.nr; i++) {
		no_canary(f.items[i].message);
		no_canary(f.items[i].hint);
	}
	free(good);
	free(open_);
	free(group);
	free(empty);
}

static void test_check_quiet_kinds(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_secret_ref r = ref_of(DG_SECRET_PROMPT, NULL);
	dg_secret_check(&r, &f);
	r = ref_of(DG_SECRET_LITERAL, CANARY);
	dg_secret_check(&r, &f);
	r = ref_of(DG_SECRET_NONE, NULL);
	dg_secret_check(&r, &f);
	CHECK_INT(f.nr, 0);
}

/* A profile's references, end to end: loaded, checked, resolved. */
static void test_profile_round_trip(void)
{
	char *pw = tmp_file("ldap.pw", CANARY "\n", strlen(CANARY) + 1, 0600);
	char *text = dg_xasprintf(
		"{\"name\": \"n\", \"directory\": {\"type\": \"ldap\", \"server\": \"s\", \"baseDn\": \"o=x\","
		" \"bind\": {\"dn\": \"cn=a\", \"password\": {\"file\": \"ldap.pw\"}}},"
		" \"target\": {\"url\": \"https://a:8463\", \"user\": \"admin\", \"password\": {\"env\": \"DG_TEST_RT\"}}}");
	char *file = dg_xasprintf("%s/p.json", tmpdir);
	dg_findings f = DG_FINDINGS_INIT;
	const dg_secret_ref *refs[4];
	dg_profile *p = dg_profile_parse(text, strlen(text), file, &f);
	size_t n = dg_profile_secrets(p, refs, 4);
	char *v = NULL;
	CHECK_INT(f.nr, 0);
	CHECK_INT(n, 2);
	unsetenv("DG_TEST_RT");
	for (size_t i = 0; i < n; i++)
		dg_secret_check(refs[i], &f);
	CHECK_INT(f.nr, 1);
	if (f.nr)
		CHECK_STR(f.items[0].path, "/target/password");
	CHECK_INT(dg_secret_resolve(refs[0], &v, NULL), DG_OK);
	CHECK_STR(v, CANARY);
	dg_secret_free(v);
	dg_findings_clear(&f);
	dg_profile_free(p);
	free(text);
	free(file);
	free(pw);
}

static void cleanup(void)
{
	char *cmd = dg_xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("1..0 # SKIP cannot create a temporary directory\n");
		return 0;
	}
	RUN(test_env);
	RUN(test_file);
	RUN(test_literal_and_none);
	RUN(test_prompt_without_terminal);
	RUN(test_prompt_on_terminal);
	RUN(test_check_env);
	RUN(test_check_file);
	RUN(test_check_quiet_kinds);
	RUN(test_profile_round_trip);
	cleanup();
	return dg_t_done();
}

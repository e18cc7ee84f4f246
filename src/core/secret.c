#include "secret.h"

#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* A secret is a password or a key passphrase, never a document. */
#define MAX_SECRET_FILE (1u << 20)
#define MAX_PROMPT_LEN 4096

static const char *where(const dg_secret_ref *ref)
{
	return ref->path && *ref->path ? ref->path : "(unknown field)";
}

void dg_secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

char *dg_secret_peek(const dg_secret_ref *ref)
{
	dg_error err;
	char *value = NULL;

	if (ref->kind == DG_SECRET_NONE || ref->kind == DG_SECRET_PROMPT)
		return NULL;
	if (dg_secret_resolve(ref, &value, &err) != DG_OK)
		return NULL;
	return value;
}

/* Wipes and releases a buffer that held (part of) a secret. */
static void wipe_release(dg_strbuf *sb)
{
	if (sb->alloc && sb->buf)
		explicit_bzero(sb->buf, sb->alloc);
	dg_strbuf_release(sb);
}

/* Cuts at the first line break; a file written on Windows ends in CR LF. */
static void first_line(dg_strbuf *sb)
{
	size_t n = 0;
	while (n < sb->len && sb->buf[n] != '\n' && sb->buf[n] != '\0')
		n++;
	if (n && sb->buf[n - 1] == '\r')
		n--;
	if (sb->alloc && sb->buf)
		explicit_bzero(sb->buf + n, sb->len - n);
	sb->len = n;
}

/* Reads the first line of `path` into sb.  Returns 0, or an errno value
 * (EFBIG for absurd sizes, EISDIR/EINVAL for what is not a regular file). */
static int read_first_line(const char *path, dg_strbuf *sb, struct stat *st)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int e = 0;
	if (fd < 0)
		return errno;
	if (fstat(fd, st) < 0)
		e = errno;
	else if (S_ISDIR(st->st_mode))
		e = EISDIR;
	else if (!S_ISREG(st->st_mode))
		e = EINVAL;
	while (!e && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno != EINTR)
				e = errno;
			continue;
		}
		dg_strbuf_add(sb, buf, (size_t)n);
		if (memchr(buf, '\n', (size_t)n))
			break;
		if (sb->len > MAX_SECRET_FILE)
			e = EFBIG;
	}
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	if (!e)
		first_line(sb);
	return e;
}

static const char *file_error(int e)
{
	if (e == EINVAL)
		return "not a regular file";
	if (e == EFBIG)
		return "first line longer than 1 MiB, not a secret";
	return strerror(e);
}

static dg_code resolve_env(const dg_secret_ref *ref, char **out, dg_error *err)
{
	const char *v = getenv(ref->ref);
	if (!v)
		return dg_error_set(err, DG_E_INVALID,
				    "the secret for %s: environment variable %s is not set",
				    where(ref), ref->ref);
	if (!*v)
		return dg_error_set(err, DG_E_INVALID,
				    "the secret for %s: environment variable %s is empty",
				    where(ref), ref->ref);
	*out = dg_xstrdup(v);
	return DG_OK;
}

static dg_code resolve_file(const dg_secret_ref *ref, char **out, dg_error *err)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	struct stat st;
	int e = read_first_line(ref->ref, &sb, &st);
	if (e) {
		wipe_release(&sb);
		return dg_error_set(err, DG_E_IO, "the secret for %s: cannot read %s: %s",
				    where(ref), ref->ref, file_error(e));
	}
	if (!sb.len) {
		wipe_release(&sb);
		return dg_error_set(err, DG_E_INVALID, "the secret for %s: %s is empty "
				    "(the secret is its first line)", where(ref), ref->ref);
	}
	*out = dg_xstrndup(sb.buf, sb.len);
	wipe_release(&sb);
	return DG_OK;
}

/* ---- prompt ------------------------------------------------------------- */

/* A signal while echo is off must not leave the user's terminal silent. */
static int prompt_fd = -1;
static struct termios prompt_saved;

static void prompt_on_signal(int sig)
{
	if (prompt_fd >= 0)
		tcsetattr(prompt_fd, TCSANOW, &prompt_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define NSIG_PROMPT (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static void prompt_guard(struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prompt_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSIG_PROMPT; i++)
		sigaction(prompt_signals[i], &sa, &old[i]);
}

static void prompt_unguard(const struct sigaction *old)
{
	for (size_t i = 0; i < NSIG_PROMPT; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Reads one line from the terminal; returns 0, or -1 on EOF/error. */
static int read_tty_line(int fd, dg_strbuf *sb)
{
	char c;
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sb->len ? 0 : -1;
		if (c == '\n' || c == '\r')
			return 0;
		if (sb->len < MAX_PROMPT_LEN)
			dg_strbuf_addch(sb, c);
	}
}

static dg_code read_with_echo_off(const dg_secret_ref *ref, int fd, dg_strbuf *sb, dg_error *err)
{
	struct termios noecho;
	struct sigaction old[NSIG_PROMPT];
	dg_strbuf prompt = DG_STRBUF_INIT;
	int rc;
	if (tcgetattr(fd, &prompt_saved) < 0)
		return dg_error_set(err, DG_E_IO, "cannot prompt for the secret at %s: /dev/tty: %s",
				    where(ref), strerror(errno));
	noecho = prompt_saved;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	noecho.c_lflag |= ECHONL;
	dg_strbuf_addf(&prompt, "Secret for %s: ", where(ref));
	prompt_fd = fd;
	prompt_guard(old);
	/* echo goes off before the prompt shows, so nothing typed after it echoes */
	tcsetattr(fd, TCSAFLUSH, &noecho);
	write_all(fd, prompt.buf, prompt.len);
	rc = read_tty_line(fd, sb);
	tcsetattr(fd, TCSAFLUSH, &prompt_saved);
	prompt_unguard(old);
	prompt_fd = -1;
	dg_strbuf_release(&prompt);
	if (rc < 0)
		return dg_error_set(err, DG_E_IO, "no secret entered for %s (end of input)", where(ref));
	return DG_OK;
}

static dg_code resolve_prompt(const dg_secret_ref *ref, char **out, dg_error *err)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_code rc;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return dg_error_set(err, DG_E_IO, "cannot prompt for the secret at %s: no terminal "
				    "(/dev/tty: %s); use {\"env\": NAME} or {\"file\": PATH} "
				    "when running unattended", where(ref), strerror(errno));
	rc = read_with_echo_off(ref, fd, &sb, err);
	close(fd);
	if (rc == DG_OK && !sb.len)
		rc = dg_error_set(err, DG_E_INVALID, "the secret entered for %s is empty", where(ref));
	if (rc == DG_OK)
		*out = dg_xstrndup(sb.buf, sb.len);
	wipe_release(&sb);
	return rc;
}

dg_code dg_secret_resolve(const dg_secret_ref *ref, char **out, dg_error *err)
{
	*out = NULL;
	if (ref->kind != DG_SECRET_PROMPT && ref->kind != DG_SECRET_NONE && !ref->ref)
		return dg_error_set(err, DG_E_INTERNAL, "the secret reference at %s is incomplete",
				    where(ref));
	switch (ref->kind) {
	case DG_SECRET_ENV: return resolve_env(ref, out, err);
	case DG_SECRET_FILE: return resolve_file(ref, out, err);
	case DG_SECRET_PROMPT: return resolve_prompt(ref, out, err);
	case DG_SECRET_LITERAL:
		*out = dg_xstrdup(ref->ref);
		return DG_OK;
	default:
		return dg_error_set(err, DG_E_INVALID, "no secret is given at %s", where(ref));
	}
}

/* ---- offline check ------------------------------------------------------ */

static void check_env(const dg_secret_ref *ref, dg_findings *out)
{
	const char *v = getenv(ref->ref);
	dg_finding *fd;
	if (v && *v)
		return;
	fd = dg_findings_add(out, DGF_SECRET004, ref->path,
			     "environment variable %s is %s", ref->ref, v ? "empty" : "not set");
	dg_finding_hint(fd, "set %s before live commands (offline checks do not need it)", ref->ref);
}

static void check_file(const dg_secret_ref *ref, dg_findings *out)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	struct stat st;
	dg_finding *fd;
	int e = read_first_line(ref->ref, &sb, &st);
	int empty = !e && !sb.len;
	wipe_release(&sb);
	if (e) {
		fd = dg_findings_add(out, DGF_SECRET002, ref->path,
				     "secret file %s cannot be read: %s", ref->ref, file_error(e));
		dg_finding_hint(fd, "create it with the secret on its first line, readable only by "
				"you (chmod 600), or correct the path (relative paths start at the "
				"profile's directory)");
		return;
	}
	if (empty) {
		fd = dg_findings_add(out, DGF_SECRET002, ref->path,
				     "secret file %s is empty (the secret is its first line)", ref->ref);
		dg_finding_hint(fd, "write the secret on the first line of %s", ref->ref);
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		fd = dg_findings_add(out, DGF_SECRET003, ref->path,
				     "secret file %s is readable by %s (mode %04o)", ref->ref,
				     (st.st_mode & S_IRGRP) && (st.st_mode & S_IROTH) ? "group and others"
				     : (st.st_mode & S_IRGRP) ? "its group" : "others",
				     (unsigned)(st.st_mode & 07777));
		dg_finding_hint(fd, "chmod 600 %s", ref->ref);
	}
}

void dg_secret_check(const dg_secret_ref *ref, dg_findings *out)
{
	if (!ref->ref)
		return;
	if (ref->kind == DG_SECRET_ENV)
		check_env(ref, out);
	else if (ref->kind == DG_SECRET_FILE)
		check_file(ref, out);
}

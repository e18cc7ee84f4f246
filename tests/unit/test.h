/* A tiny TAP test harness: each RUN(fn) is one test point; CHECK* inside a
 * test records failures with file:line and keeps going, so one run shows
 * every broken expectation.  Meson reads the TAP stream. */
#ifndef DG_TEST_H
#define DG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dg_t_count, dg_t_failed, dg_t_cur_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("# %s:%d: CHECK(%s) failed\n", __FILE__,        \
			       __LINE__, #cond);                               \
			dg_t_cur_failed = 1;                                   \
		}                                                              \
	} while (0)

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (!g_ || !w_ || strcmp(g_, w_)) {                            \
			printf("# %s:%d: %s\n#   got:  %s\n#   want: %s\n",     \
			       __FILE__, __LINE__, #got, g_ ? g_ : "(null)",  \
			       w_ ? w_ : "(null)");                            \
			dg_t_cur_failed = 1;                                   \
		}                                                              \
	} while (0)

#define CHECK_INT(got, want)                                                   \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (g_ != w_) {                                                \
			printf("# %s:%d: %s = %lld, want %lld\n", __FILE__,    \
			       __LINE__, #got, g_, w_);                        \
			dg_t_cur_failed = 1;                                   \
		}                                                              \
	} while (0)

static inline void dg_t_run(const char *name, void (*fn)(void))
{
	dg_t_cur_failed = 0;
	fn();
	dg_t_count++;
	if (dg_t_cur_failed)
		dg_t_failed++;
	printf("%s %d - %s\n", dg_t_cur_failed ? "not ok" : "ok", dg_t_count, name);
	fflush(stdout);
}

#define RUN(fn) dg_t_run(#fn, fn)

static inline int dg_t_done(void)
{
	printf("1..%d\n", dg_t_count);
	return dg_t_failed ? 1 : 0;
}

/* Directory of test data (set by meson in the environment). */
static inline const char *dg_t_data(void)
{
	const char *d = getenv("DG_TEST_DATA");
	return d ? d : "tests/data";
}

#endif

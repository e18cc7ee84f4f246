/* Progress of long reads on stderr, only when stderr is a terminal: one
 * line, rewritten in place at most four times a second, cleared at the end
 * so that nothing is left between the command's real output. */
#include "cli.h"

#include "../core/clock.h"

#include <stdlib.h>
#include <unistd.h>

#define PROGRESS_INTERVAL 0.25 /* seconds between two updates */

static void progress_fn(void *ctx, size_t entries, int done)
{
	dg_cli_progress *pr = ctx;
	double t = dg_now_s(), rate;
	if (done) {
		if (pr->shown)
			fputs("\r\033[K", stderr);
		pr->shown = 0;
		return;
	}
	/* the first report shows at once, later ones at most every interval */
	if (pr->shown && t - pr->last < PROGRESS_INTERVAL)
		return;
	rate = t > pr->start ? (double)entries / (t - pr->start) : 0;
	fprintf(stderr, "\r\033[K%s: %zu entries, %.0f/s", pr->what, entries, rate);
	fflush(stderr);
	pr->last = t;
	pr->shown = 1;
}

const dg_progress *dg_cli_progress_start(dg_cli_progress *pr, const char *what)
{
	pr->what = what;
	pr->start = pr->last = dg_now_s();
	pr->shown = 0;
	pr->cb.fn = progress_fn;
	pr->cb.ctx = pr;
	return isatty(STDERR_FILENO) ? &pr->cb : NULL;
}

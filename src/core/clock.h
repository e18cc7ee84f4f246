/* Waiting and measuring time, for retries, backoff and deadlines. */
#ifndef DG_CLOCK_H
#define DG_CLOCK_H

/* Sleeps `ms` milliseconds, resuming after a signal interrupts the wait. */
void dg_sleep_ms(long ms);
/* Milliseconds on the monotonic clock: for intervals only (it does not
 * jump when the wall clock is set). */
long dg_now_ms(void);
/* The same clock in seconds, to the nanosecond: for rates and durations. */
double dg_now_s(void);

#endif

#include "core/clock.h"
#include "test.h"

/* dg_now_s is dg_now_ms's clock: durations measured in one agree with the
 * other, and it never runs backwards. */
static void test_now_s_is_the_monotonic_clock(void)
{
	double s0 = dg_now_s();
	long ms0 = dg_now_ms();
	double s1;
	long ms1;

	dg_sleep_ms(20);
	s1 = dg_now_s();
	ms1 = dg_now_ms();
	CHECK(s1 >= s0);
	CHECK(s1 - s0 >= 0.019);
	CHECK((s1 - s0) * 1000 - (double)(ms1 - ms0) < 5 &&
	      (double)(ms1 - ms0) - (s1 - s0) * 1000 < 5);
	CHECK(s0 * 1000 - (double)ms0 < 2 && (double)ms0 - s0 * 1000 < 2);
}

int main(void)
{
	RUN(test_now_s_is_the_monotonic_clock);
	return dg_t_done();
}

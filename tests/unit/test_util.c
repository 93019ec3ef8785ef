/* Unit tests for util.c's duration formats: the coarse one of the --progress
 * ETA, and the fine one of the statistics. */
#include "test.h"
#include "util.h"

static const char *coarse(int64_t ns)
{
	static char b[32];
	format_duration_coarse(b, sizeof b, ns);
	return b;
}

static const char *fine(int64_t ns)
{
	static char b[32];
	format_duration(b, sizeof b, ns);
	return b;
}

static void test_coarse_units(void)
{
	CHECK_STR("0s", coarse(0));
	CHECK_STR("0s", coarse(-5 * NS_PER_SEC));
	CHECK_STR("0s", coarse(NS_PER_SEC / 2 - 1));
	CHECK_STR("1s", coarse(NS_PER_SEC / 2));
	CHECK_STR("45s", coarse(45 * NS_PER_SEC));
	CHECK_STR("59s", coarse(59 * NS_PER_SEC + NS_PER_SEC / 2 - 1));
	CHECK_STR("1m00s", coarse(59 * NS_PER_SEC + NS_PER_SEC / 2));
	CHECK_STR("12m05s", coarse(725 * NS_PER_SEC));
	CHECK_STR("59m59s", coarse(3599 * NS_PER_SEC));
	CHECK_STR("1h00m", coarse(3599 * NS_PER_SEC + NS_PER_SEC / 2));
	CHECK_STR("1h35m", coarse(5694 * NS_PER_SEC)); /* 1h34m54s */
	CHECK_STR("1h34m", coarse(5669 * NS_PER_SEC)); /* 1h34m29s */
	CHECK_STR("23h59m", coarse((24 * 3600 - 31) * NS_PER_SEC));
	CHECK_STR("1d00h", coarse((24 * 3600 - 30) * NS_PER_SEC));
	CHECK_STR("2d03h", coarse((51 * 3600 + 1799) * NS_PER_SEC));
	CHECK_STR("2d04h", coarse((51 * 3600 + 1800) * NS_PER_SEC));
	CHECK_STR("365d00h", coarse(365 * 86400 * NS_PER_SEC));
	CHECK_STR("106752d00h", coarse(INT64_MAX));
}

static void test_coarse_truncates_to_the_buffer(void)
{
	char b[4] = "xxx";
	format_duration_coarse(b, sizeof b, 725 * NS_PER_SEC);
	CHECK_STR("12m", b);
}

/* The fine format other messages use: never "1e+03" at a unit's edge. */
static void test_fine_units(void)
{
	CHECK_STR("0us", fine(0));
	CHECK_STR("12us", fine(12000));
	CHECK_STR("1ms", fine(NS_PER_MS - 500));
	CHECK_STR("340ms", fine(340 * NS_PER_MS));
	CHECK_STR("1s", fine(NS_PER_SEC - NS_PER_MS / 2));
	CHECK_STR("1.25s", fine(1250 * NS_PER_MS));
	CHECK_STR("5694s", fine(5694 * NS_PER_SEC));
}

int main(void)
{
	TEST_RUN(test_coarse_units);
	TEST_RUN(test_coarse_truncates_to_the_buffer);
	TEST_RUN(test_fine_units);
	return TEST_REPORT();
}

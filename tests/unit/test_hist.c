/* Unit tests for hist.c: bucket boundaries, percentile accuracy, clamping. */
#include "hist.h"
#include "test.h"

/* v lies in bucket i: low(i) <= v < low(i + 1). */
static void check_bucket(uint64_t v)
{
	unsigned i = hist_index(v);
	test_checks++;
	if (i >= HIST_BUCKETS || hist_bucket_low(i) > v ||
	    (i + 1 < HIST_BUCKETS && v >= hist_bucket_low(i + 1))) {
		test_failures++;
		fflush(stdout);
		fprintf(stderr, "%s:%d: FAILED %ju went to bucket %u [%ju, %ju)\n", __FILE__, __LINE__,
			(uintmax_t)v, i, (uintmax_t)(i < HIST_BUCKETS ? hist_bucket_low(i) : 0),
			(uintmax_t)(i + 1 < HIST_BUCKETS ? hist_bucket_low(i + 1) : 0));
	}
}

static void test_index_and_low_agree(void)
{
	CHECK_UINT(0, hist_bucket_low(0));
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		CHECK_UINT(i, hist_index(hist_bucket_low(i)));
		if (i + 1 < HIST_BUCKETS) {
			CHECK(hist_bucket_low(i) < hist_bucket_low(i + 1));
			CHECK_UINT(i, hist_index(hist_bucket_low(i + 1) - 1));
		}
	}
	CHECK_UINT(HIST_BUCKETS - 1, hist_index(UINT64_MAX));
	for (uint64_t v = 0; v < 5000; v++)
		check_bucket(v);
	for (unsigned k = 0; k < 64; k++) {
		uint64_t p = (uint64_t)1 << k;
		check_bucket(p);
		check_bucket(p - 1);
		check_bucket(p + 1);
		check_bucket(p | (p - 1));
	}
	for (int i = 0; i < 100000; i++)
		check_bucket(test_rand() >> test_below(64)); /* every magnitude */
}

/* Each bucket is narrow: at most 1/32 of its low end, so its middle is
 * within 1/64 of any value in it. */
static void test_bucket_width(void)
{
	for (unsigned i = HIST_SUB; i + 1 < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_low(i), width = hist_bucket_low(i + 1) - lo;
		CHECK(width * HIST_SUB <= lo);
	}
	for (unsigned i = 0; i < HIST_SUB; i++)
		CHECK_UINT(i, hist_bucket_low(i)); /* small values are exact */
}

static void test_empty(void)
{
	struct hist h;
	hist_init(&h);
	CHECK_UINT(0, h.count);
	CHECK_UINT(0, hist_percentile(&h, 0));
	CHECK_UINT(0, hist_percentile(&h, 50));
	CHECK_UINT(0, hist_percentile(&h, 100));
}

static void test_clamp(void)
{
	struct hist h;
	hist_init(&h);
	hist_add(&h, 1000003);
	CHECK_UINT(1, h.count);
	CHECK_UINT(1000003, h.min);
	CHECK_UINT(1000003, h.max);
	CHECK_UINT(1000003, h.sum);
	/* One sample: every percentile is that sample, not its bucket's middle. */
	CHECK_UINT(1000003, hist_percentile(&h, 0));
	CHECK_UINT(1000003, hist_percentile(&h, 50));
	CHECK_UINT(1000003, hist_percentile(&h, 100));
	/* Never outside [min, max], even where the bucket's middle is. */
	hist_add(&h, 1000001);
	hist_add(&h, UINT64_MAX);
	uint64_t p0 = hist_percentile(&h, 0), p50 = hist_percentile(&h, 50);
	CHECK(p0 >= 1000001 && p0 <= 1000003 + 1000003 / 32);
	CHECK(p50 >= 1000001 && p50 <= 1000003 + 1000003 / 32);
	uint64_t p100 = hist_percentile(&h, 100);
	CHECK(p100 >= UINT64_MAX - UINT64_MAX / 32);
	hist_init(&h);
	hist_add(&h, 1000);
	hist_add(&h, 1001);
	for (int p = 0; p <= 100; p += 10)
		CHECK(hist_percentile(&h, p) >= 1000 && hist_percentile(&h, p) <= 1001);
	hist_init(&h);
	hist_add(&h, 0);
	CHECK_UINT(0, hist_percentile(&h, 100));
	hist_add(&h, 7);
	CHECK_UINT(0, hist_percentile(&h, 50));
	CHECK_UINT(7, hist_percentile(&h, 100));
}

/* Samples sorted ascending: the percentiles agree with the exact ones within
 * 4%. The exact one is the sample of rank ceil(p/100 * n), from 1. */
static void check_percentiles(const uint64_t *sorted, size_t n, const char *what)
{
	static const double ps[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};
	struct hist h;
	hist_init(&h);
	for (size_t i = 0; i < n; i++)
		hist_add(&h, sorted[n - 1 - i]); /* order does not matter */
	CHECK_UINT(n, h.count);
	CHECK_UINT(sorted[0], h.min);
	CHECK_UINT(sorted[n - 1], h.max);
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		size_t rank = (size_t)(ps[i] / 100 * (double)n + 0.999999);
		uint64_t want = sorted[rank ? rank - 1 : 0], got = hist_percentile(&h, ps[i]);
		double err = want ? ((double)got - (double)want) / (double)want : (double)got;
		test_checks++;
		if (err > 0.04 || err < -0.04) {
			test_failures++;
			fflush(stdout);
			fprintf(stderr, "%s:%d: FAILED %s p%g: expected %ju (within 4%%), got %ju\n",
				__FILE__, __LINE__, what, ps[i], (uintmax_t)want, (uintmax_t)got);
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_percentiles(void)
{
	enum { N = 100000 };
	static uint64_t v[N];
	for (size_t i = 0; i < N; i++)
		v[i] = i + 1;
	check_percentiles(v, N, "1..100000");
	struct hist h;
	hist_init(&h);
	for (size_t i = 0; i < N; i++)
		hist_add(&h, v[i]);
	uint64_t p50 = hist_percentile(&h, 50);
	CHECK(p50 >= 48000 && p50 <= 52000);
	CHECK_UINT(1, hist_percentile(&h, 0));
	CHECK(hist_percentile(&h, 100) <= 100000);

	for (size_t i = 0; i < N; i++)
		v[i] = 1000000 + test_below(9000000); /* uniform, 1ms..10ms in ns */
	qsort(v, N, sizeof *v, cmp_u64);
	check_percentiles(v, N, "uniform");

	for (size_t i = 0; i < N; i++) /* log-uniform over 1us..100s: every magnitude */
		v[i] = (uint64_t)1000 << test_below(27) | test_below(1000);
	qsort(v, N, sizeof *v, cmp_u64);
	check_percentiles(v, N, "log-uniform");

	for (size_t i = 0; i < N; i++) /* mostly fast, a slow tail */
		v[i] = i % 100 ? 200000 + test_below(1000) : 5000000000 + test_below(1000000);
	qsort(v, N, sizeof *v, cmp_u64);
	check_percentiles(v, N, "bimodal");

	for (size_t i = 0; i < 32; i++)
		v[i] = i;
	check_percentiles(v, 32, "0..31");
	hist_init(&h);
	for (uint64_t i = 0; i < 32; i++)
		hist_add(&h, i);
	CHECK_UINT(15, hist_percentile(&h, 50)); /* small values are exact */
	CHECK_UINT(30, hist_percentile(&h, 95));
}

int main(void)
{
	test_seed(99);
	TEST_RUN(test_index_and_low_agree);
	TEST_RUN(test_bucket_width);
	TEST_RUN(test_empty);
	TEST_RUN(test_clamp);
	TEST_RUN(test_percentiles);
	return TEST_REPORT();
}

/* Unit tests for sizer.c: a simulated pool on synthetic throughput curves,
 * with Poisson completions and noise from the machine on top. The pool
 * starts workers at a bounded rate, each doing nothing for its first
 * STARTUP, and retires them at once; the sizer is sampled when it asks.
 * Each test says where the size must settle, and how still it must be. */
#include <math.h>

#include "sizer.h"
#include "test.h"

#define SEC 1000000000LL
#define TICK (10 * 1000000LL)
#define STARTUP 15 /* ticks */

/* Tasks per second at n workers, at time t (seconds). */
typedef double curve_fn(unsigned n, double t);

struct sim {
	struct sizer s;
	curve_fn *T;
	double noise;     /* relative, per sample interval: the machine's */
	unsigned spawn;   /* workers the pool can start per tick */
	unsigned size;    /* in use */
	unsigned past[STARTUP]; /* size in use, by tick, a ring */
	uint64_t done;
	double factor;    /* this interval's noise */
	int64_t now;
	unsigned changes; /* of s.cur, since the last sim_watch */
	unsigned tries;   /* sizes tried, since then */
	unsigned lo, hi;  /* s.cur's range since then */
	bool bounds_ok;
};

static double gauss(void)
{
	double u = ((double)(test_rand() >> 11) + 0.5) / 9007199254740992.0;
	double v = ((double)(test_rand() >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* A Poisson count of mean l: Knuth's for small l, normal beyond. */
static uint64_t poisson(double l)
{
	if (l > 30) {
		double x = l + sqrt(l) * gauss();
		return x < 0 ? 0 : (uint64_t)llround(x);
	}
	double limit = exp(-l), p = 1;
	uint64_t k = 0;
	while ((p *= ((double)(test_rand() >> 11) + 0.5) / 9007199254740992.0) > limit)
		k++;
	return k;
}

static void sim_watch(struct sim *m)
{
	m->changes = m->tries = 0;
	m->lo = m->hi = m->s.cur;
}

static void sim_init(struct sim *m, curve_fn *T, double noise, unsigned min, unsigned max,
		     unsigned start)
{
	*m = (struct sim){.T = T, .noise = noise, .spawn = 50, .factor = 1, .bounds_ok = true};
	sizer_init(&m->s, min, max, start, 0);
	m->size = m->s.want;
	for (int i = 0; i < STARTUP; i++)
		m->past[i] = m->size;
	if (getenv("SIZER_TRACE"))
		printf("== noise %.2f, %u..%u from %u\n", noise, min, max, start);
	sim_watch(m);
}

/* Run until t seconds. */
static void sim_run(struct sim *m, double t)
{
	while (m->now < (int64_t)(t * SEC)) {
		m->now += TICK;
		unsigned want = m->s.want;
		if (m->size < want)
			m->size = want - m->size > m->spawn ? m->size + m->spawn : want;
		else
			m->size = want;
		/* the workers in use STARTUP ago and still now are working */
		unsigned *then = &m->past[(m->now / TICK) % STARTUP];
		unsigned working = *then < m->size ? *then : m->size;
		*then = m->size;
		double rate = working ? m->T(working, (double)m->now / SEC) * m->factor : 0;
		m->done += poisson(rate > 0 ? rate * TICK / SEC : 0);
		if (m->now < sizer_due(&m->s))
			continue;
		unsigned cur = m->s.cur, was = m->s.want;
		unsigned w = sizer_sample(&m->s, m->now, m->done, m->size);
		if (getenv("SIZER_TRACE") && (w != was || m->s.cur != cur))
			printf("%7.2fs size %4u want %4u cur %4u noise %.3f base %7.1f@%u  %s\n",
			       (double)m->now / SEC, m->size, w, m->s.cur, sqrt(m->s.noise2), m->s.base.rate, m->s.base.size, m->s.why);
		m->bounds_ok &= w >= m->s.min && w <= m->s.max;
		if (m->s.cur != cur)
			m->changes++;
		if (w != was && w != m->s.cur)
			m->tries++;
		m->lo = m->s.cur < m->lo ? m->s.cur : m->lo;
		m->hi = m->s.cur > m->hi ? m->s.cur : m->hi;
		m->factor = fmax(0.05, 1 + m->noise * gauss());
	}
}

/* Seconds until s.cur first reaches n, or -1 by t. */
static double sim_time_to(struct sim *m, unsigned n, double t)
{
	while (m->s.cur < n && m->now < (int64_t)(t * SEC))
		sim_run(m, (double)m->now / SEC + 0.2);
	return m->s.cur >= n ? (double)m->now / SEC : -1;
}

/* A run from start on 1..1024, watched from warm seconds to until. */
static void sim_settle(struct sim *m, curve_fn *T, double noise, unsigned start, double warm,
		       double until)
{
	sim_init(m, T, noise, 1, 1024, start);
	sim_run(m, warm);
	sim_watch(m);
	sim_run(m, until);
}

#define CHECK_RANGE(lo_, x, hi_) do { unsigned x_ = (x); test_checks++; \
	if (x_ < (lo_) || x_ > (hi_)) TEST_FAIL_("%s = %u, not in [%u, %u] (%s)", #x, x_, \
		(unsigned)(lo_), (unsigned)(hi_), m.s.why); } while (0)
/* While watched, the size held stayed in [lo, hi] and changed at most n times. */
#define CHECK_SETTLED(lo_, hi_, n_) do { CHECK_RANGE(lo_, m.lo, hi_); \
	CHECK_RANGE(lo_, m.hi, hi_); CHECK(m.changes <= (n_)); } while (0)

/* CPU-bound on 2 CPUs: flat past 2, slightly falling. */
static double cpu2(unsigned n, double t)
{
	(void)t;
	return n <= 2 ? 1000.0 * n : 2000.0 * fmax(0.5, 1 - 0.02 * (n - 2));
}

static double cpu8(unsigned n, double t)
{
	(void)t;
	return 500.0 * (n < 8 ? n : 8);
}

static void test_cpu_bound_settles_at_ncpu(void)
{
	for (int run = 0; run < 10; run++) {
		struct sim m;
		sim_settle(&m, cpu2, 0.05, 1, 30, 150);
		CHECK_SETTLED(2, 3, 2);
		CHECK(m.tries <= 16); /* tries back off while they fail */
		CHECK(m.bounds_ok);
		sim_settle(&m, cpu8, 0.05, 2, 30, 150);
		CHECK_SETTLED(6, 10, 2);
	}
}

/* Sleeping workers: throughput in proportion to the pool, to the ceiling. */
static double sleepers(unsigned n, double t)
{
	(void)t;
	return 100.0 * n;
}

static void test_sleepers_grow_fast(void)
{
	for (int run = 0; run < 10; run++) {
		struct sim m;
		sim_init(&m, sleepers, 0.05, 1, 1024, 1);
		double t512 = sim_time_to(&m, 512, 60);
		/* 9 doublings of about a second each, not +1 a second */
		CHECK(t512 > 0 && t512 < 30);
		CHECK(m.changes <= 12);
		sim_run(&m, 30);
		CHECK_RANGE(768, m.s.cur, 1024);
		sim_watch(&m);
		sim_run(&m, 120);
		CHECK_RANGE(768, m.lo, 1024);
		CHECK(m.bounds_ok);
		CHECK(m.s.why[0]);
	}
}

/* A resource that serves 40 at a time (a database, a licence server). */
static double saturates40(unsigned n, double t)
{
	(void)t;
	return 100.0 * (n < 40 ? n : 40);
}

static void test_saturating_resource_settles_near_k(void)
{
	for (int run = 0; run < 10; run++) {
		struct sim m;
		sim_settle(&m, saturates40, 0.05, 1, 40, 160);
		CHECK_SETTLED(30, 52, 3);
	}
}

static void test_noisy_machine(void)
{
	for (int run = 0; run < 10; run++) {
		struct sim m;
		sim_settle(&m, saturates40, 0.20, 1, 60, 180);
		CHECK_SETTLED(20, 64, 4);
	}
}

/* The input, not the pool, sets the pace: more workers do nothing. */
static double flat(unsigned n, double t)
{
	(void)n;
	(void)t;
	return 500;
}

static void test_flat_gives_back_and_stays(void)
{
	for (int run = 0; run < 10; run++) {
		struct sim m;
		sim_init(&m, flat, 0.10, 1, 256, 32);
		sim_run(&m, 120);
		CHECK_RANGE(1, m.s.cur, 4);
		sim_watch(&m);
		sim_run(&m, 300);
		CHECK(m.hi <= 4);
		CHECK(m.changes <= 2);
		CHECK(m.tries <= 24);
	}
}

/* The resource shrinks from 200 to 20 at 60 s. */
static double shrinks(unsigned n, double t)
{
	unsigned k = t < 60 ? 200 : 20;
	return 100.0 * (n < k ? n : k);
}

static void test_gives_workers_back(void)
{
	for (int run = 0; run < 10; run++) {
		struct sim m;
		sim_init(&m, shrinks, 0.05, 1, 1024, 1);
		sim_run(&m, 60);
		CHECK_RANGE(150, m.s.cur, 260);
		sim_run(&m, 200);
		CHECK_RANGE(15, m.s.cur, 26);
	}
}

static void test_bounds(void)
{
	struct sim m;
	sim_init(&m, sleepers, 0.05, 4, 12, 100);
	CHECK_UINT(12, m.s.want); /* start clamped */
	sim_run(&m, 60);
	CHECK_UINT(12, m.s.cur);
	CHECK(m.bounds_ok);
	sim_init(&m, flat, 0.05, 4, 12, 1);
	CHECK_UINT(4, m.s.want);
	sim_run(&m, 60);
	CHECK_UINT(4, m.s.cur);
	CHECK(m.bounds_ok);
	sim_init(&m, flat, 0.05, 0, 0, 0); /* min and max at least 1 */
	sim_run(&m, 10);
	CHECK_UINT(1, m.s.want);
}

/* A pool that cannot reach what is asked (out of fds, or no demand):
 * measurements count what it has, and the sizer is not stuck waiting. */
static void test_pool_short_of_want(void)
{
	struct sim m;
	sim_init(&m, sleepers, 0.05, 1, 1024, 1);
	m.spawn = 0; /* it never starts another */
	sim_run(&m, 20);
	CHECK_UINT(1, m.size);
	CHECK(m.s.have_base);
	CHECK(m.s.holding);
}

static void test_reasons(void)
{
	struct sizer s;
	sizer_init(&s, 1, 64, 4, 0);
	CHECK_STR("starting at 4", sizer_reason(&s));
	CHECK_UINT(4, sizer_sample(&s, SIZER_INTERVAL_NS - 1, 0, 4)); /* early: nothing */
	CHECK_UINT(SIZER_INTERVAL_NS, sizer_due(&s));
	uint64_t done = 0;
	int64_t t = 0;
	unsigned want = 4;
	/* 100 tasks a second per worker, no noise: 4 -> 8 pays. */
	while (want == 4) {
		t += SIZER_INTERVAL_NS;
		done += 20 * 4;
		want = sizer_sample(&s, t, done, 4);
	}
	CHECK_UINT(8, want);
	CHECK_STR("trying 8 (from 4)", sizer_reason(&s));
	CHECK_UINT(4, s.cur);
	/* The new workers start slowly: the interval in which they came and
	 * the next one do not count, so 8 is seen to do twice what 4 did. */
	unsigned ramp[] = {4, 6};
	for (int i = 0; i < 2; i++) {
		t += SIZER_INTERVAL_NS;
		done += 20 * ramp[i];
		CHECK_UINT(8, sizer_sample(&s, t, done, 8));
	}
	while (want == 8) {
		t += SIZER_INTERVAL_NS;
		done += 20 * 8;
		want = sizer_sample(&s, t, done, 8);
	}
	CHECK_UINT(16, want);
	CHECK_STR("4 -> 8 paid: +100% for +100% workers; trying 16", sizer_reason(&s));
	CHECK_UINT(8, s.cur);
	/* flat from here: 16 does not pay, and it says so */
	while (want == 16) {
		t += SIZER_INTERVAL_NS;
		done += 20 * 8;
		want = sizer_sample(&s, t, done, 16);
	}
	CHECK_UINT(8, want);
	CHECK_STR("8 -> 16 did not pay: +0% for +100% workers", sizer_reason(&s));
}

int main(void)
{
	test_seed(17);
	TEST_RUN(test_reasons);
	TEST_RUN(test_bounds);
	TEST_RUN(test_pool_short_of_want);
	TEST_RUN(test_cpu_bound_settles_at_ncpu);
	TEST_RUN(test_sleepers_grow_fast);
	TEST_RUN(test_saturating_resource_settles_near_k);
	TEST_RUN(test_noisy_machine);
	TEST_RUN(test_flat_gives_back_and_stays);
	TEST_RUN(test_gives_workers_back);
	return TEST_REPORT();
}

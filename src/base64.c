/* base64: RFC 4648 codec; see base64.h. */
#include "base64.h"

#include <stdint.h>

#include "b64scan.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 64 for '=', 255 for everything else. */
static const uint8_t value[256] = {
#define X 255
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, 64, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

void base64_encode(char *dst, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*dst++ = alphabet[v >> 18];
		*dst++ = alphabet[v >> 12 & 63];
		*dst++ = alphabet[v >> 6 & 63];
		*dst++ = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;
		*dst++ = alphabet[v >> 18];
		*dst++ = alphabet[v >> 12 & 63];
		*dst++ = '=';
		*dst++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		*dst++ = alphabet[v >> 18];
		*dst++ = alphabet[v >> 12 & 63];
		*dst++ = alphabet[v >> 6 & 63];
		*dst++ = '=';
	}
}

const char *base64_check(const char *src, size_t n, size_t *where)
{
	return base64_check_from(src, n, 0, where);
}

const char *base64_check_from(const char *src, size_t n, size_t known, size_t *where)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t at = 0;
	const char *why = NULL;

	if (n % 4) {
		at = n;
		why = "length is not a multiple of 4";
		goto out;
	}
	if (n == 0)
		return NULL;
	/* The body: every quad but the last is four alphabet characters. */
	at = known < n - 4 ? known + b64scan_span(src + known, n - 4 - known) : n - 4;
	if (at < n - 4) {
		why = s[at] == '=' ? "padding before the end" : "character outside the alphabet";
		goto out;
	}
	const uint8_t *q = s + n - 4;
	uint8_t a = value[q[0]], b = value[q[1]], c = value[q[2]], d = value[q[3]];
	if (a > 63 || b > 63) {
		at = n - 4 + (a > 63 ? 0 : 1);
		why = (a > 63 ? a : b) == 64 ? "padding before the end" : "character outside the alphabet";
	} else if (c == 64 && d != 64) {
		at = n - 2;
		why = "padding before the end";
	} else if (c == 255 || d == 255) {
		at = n - (c == 255 ? 2 : 1);
		why = "character outside the alphabet";
	} else if (c == 64 && (b & 15)) {
		at = n - 3;
		why = "non-zero bits after the last byte";
	} else if (c != 64 && d == 64 && (c & 3)) {
		at = n - 2;
		why = "non-zero bits after the last byte";
	}
out:
	if (why && where)
		*where = at;
	return why;
}

long base64_decode(void *dst, const char *src, size_t n)
{
	if (base64_check(src, n, NULL))
		return -1;
	const uint8_t *s = (const uint8_t *)src;
	uint8_t *d = dst;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		uint32_t v = (uint32_t)value[s[i]] << 18 | (uint32_t)value[s[i + 1]] << 12;
		*d++ = (uint8_t)(v >> 16);
		if (s[i + 2] == '=')
			break;
		v |= (uint32_t)value[s[i + 2]] << 6;
		*d++ = (uint8_t)(v >> 8);
		if (s[i + 3] == '=')
			break;
		v |= value[s[i + 3]];
		*d++ = (uint8_t)v;
	}
	return (long)(d - (uint8_t *)dst);
}

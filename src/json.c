/* json: JSON objects into a buffer; see json.h. */
#include "json.h"

#include <errno.h>
#include <string.h>

#include "base64.h"
#include "utf8.h"

/* The longest escape of one unit: \uXXXX. */
#define UNIT_MAX 6

static const char hex[] = "0123456789abcdef";

void json_begin(struct json *j, struct buf *b)
{
	j->b = b;
	j->start = b->len;
	j->first = true;
	j->err = 0;
	if (buf_append(b, "{", 1) < 0)
		j->err = errno;
}

int json_end(struct json *j)
{
	if (!j->err && buf_append(j->b, "}", 1) < 0)
		j->err = errno;
	if (!j->err)
		return 0;
	j->b->len = j->start; /* compaction moves off, never len */
	errno = j->err;
	return -1;
}

/* Reserve room for the member's name (key then suffix) and a value of vlen
 * bytes, and write the name: ,"keysuffix":  The value goes at buf_tail.
 * False after a failure. */
static bool member(struct json *j, const char *key, const char *suffix, size_t vlen)
{
	size_t klen = strlen(key), slen = strlen(suffix);
	if (j->err)
		return false;
	if (vlen > SIZE_MAX / 2 || buf_reserve(j->b, klen + slen + 4 + vlen) < 0) {
		j->err = vlen > SIZE_MAX / 2 ? ENOMEM : errno;
		return false;
	}
	char *o = buf_tail(j->b);
	if (!j->first)
		*o++ = ',';
	*o++ = '"';
	memcpy(o, key, klen);
	memcpy(o + klen, suffix, slen);
	o += klen + slen;
	*o++ = '"';
	*o++ = ':';
	j->b->len += (size_t)(o - buf_tail(j->b));
	j->first = false;
	return true;
}

/* A member whose value is the literal v[0..n). */
static void literal(struct json *j, const char *key, const char *suffix, const char *v, size_t n)
{
	if (!member(j, key, suffix, n))
		return;
	memcpy(buf_tail(j->b), v, n);
	j->b->len += n;
}

void json_null(struct json *j, const char *key)
{
	literal(j, key, "", "null", 4);
}

/* Numbers are formatted by hand, right to left from the end of a field:
 * snprintf took a third of the time of a whole --json run. */
#define NUM_MAX 32 /* "-", 20 digits, ".", 9 digits */

/* v in decimal, ending at end, with at least min digits; the first. */
static char *digits(char *end, uint64_t v, int min)
{
	char *p = end;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v || end - p < min);
	return p;
}

/* A number member: the bytes from p to end, after a '-' when negative. */
static void number(struct json *j, const char *key, char *p, char *end, bool negative)
{
	if (negative)
		*--p = '-';
	literal(j, key, "", p, (size_t)(end - p));
}

/* The magnitude in unsigned arithmetic: INT64_MIN has no positive. */
static uint64_t magnitude(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

void json_int(struct json *j, const char *key, int64_t v)
{
	char num[NUM_MAX], *end = num + sizeof num;
	number(j, key, digits(end, magnitude(v), 1), end, v < 0);
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
	char num[NUM_MAX], *end = num + sizeof num;
	number(j, key, digits(end, v, 1), end, false);
}

void json_seconds(struct json *j, const char *key, int64_t ns, int decimals)
{
	uint64_t unit = 1000000000, scale = 1;
	for (int i = 0; i < decimals && i < 9; i++)
		unit /= 10, scale *= 10;
	uint64_t q = magnitude(ns) / unit;
	char num[NUM_MAX], *end = num + sizeof num, *p = end;
	if (scale > 1) {
		p = digits(p, q % scale, decimals);
		*--p = '.';
	}
	number(j, key, digits(p, q / scale, 1), end, ns < 0 && q); /* no "-0.000" */
}

/* Bytes that stand for themselves inside a JSON string. */
static inline bool is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static size_t escape_u(char *out, uint32_t cp)
{
	memcpy(out, "\\u", 2);
	for (int i = 0; i < 4; i++)
		out[2 + i] = hex[cp >> (12 - 4 * i) & 15];
	return UNIT_MAX;
}

/* The unit at s (n bytes there) that is not plain: one character or one
 * invalid byte, rendered into out. Sets *used to the bytes it stands for
 * and *bad when it is an invalid byte (rendered as U+FFFD). */
static size_t unit(char *out, const unsigned char *s, size_t n, size_t *used, bool *bad)
{
	static const char named[] = "\"\\\b\f\n\r\t", letter[] = "\"\\bfnrt";
	*used = 1;
	if (s[0] < 0x80) {
		const char *k = memchr(named, s[0], sizeof named - 1);
		if (!k)
			return escape_u(out, s[0]);
		out[0] = '\\';
		out[1] = letter[k - named];
		return 2;
	}
	uint32_t cp;
	size_t len = utf8_sequence(s, n, &cp);
	if (len == 0) {
		*bad = true;
		return escape_u(out, 0xfffd);
	}
	*used = len;
	if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029)
		return escape_u(out, cp);
	memcpy(out, s, len);
	return len;
}

/* The string body of s[0..n) (no quotes) into dst, or only measured when
 * dst is NULL. Returns its length; sets *bad when s is not valid UTF-8,
 * and then returns at once with stop (binary goes to base64 unmeasured). */
static size_t render(char *dst, const char *s, size_t n, bool *bad, bool stop)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (is_plain(p[i])) {
			if (dst)
				dst[o] = (char)p[i];
			o++, i++;
			continue;
		}
		char u[UNIT_MAX];
		size_t used, len = unit(u, p + i, n - i, &used, bad);
		if (stop && *bad)
			return 0;
		if (dst)
			memcpy(dst + o, u, len);
		o += len;
		i += used;
	}
	return o;
}

/* A string member whose body render() measured as len bytes. */
static void string(struct json *j, const char *key, const char *s, size_t n, size_t len)
{
	bool bad = false;
	if (!member(j, key, "", len + 2))
		return;
	char *o = buf_tail(j->b);
	*o++ = '"';
	o += render(o, s, n, &bad, false);
	*o++ = '"';
	j->b->len += len + 2;
}

/* render() writes at most UNIT_MAX bytes per input byte: past this, the
 * count would not fit a size_t. */
static bool too_long(struct json *j, size_t n)
{
	if (n <= SIZE_MAX / (2 * UNIT_MAX))
		return false;
	if (!j->err)
		j->err = ENOMEM;
	return true;
}

void json_text(struct json *j, const char *key, const char *s, size_t n)
{
	bool bad = false;
	if (!s)
		json_null(j, key);
	else if (!too_long(j, n))
		string(j, key, s, n, render(NULL, s, n, &bad, false));
}

/* "key_base64": null. */
static void null_base64(struct json *j, const char *key)
{
	literal(j, key, "_base64", "null", 4);
}

/* "key_base64": the base64 of s[0..n). */
static void base64_string(struct json *j, const char *key, const char *s, size_t n)
{
	size_t len = base64_encoded_len(n);
	if (!member(j, key, "_base64", len + 2))
		return;
	char *o = buf_tail(j->b);
	o[0] = '"';
	base64_encode(o + 1, s, n);
	o[len + 1] = '"';
	j->b->len += len + 2;
}

void json_bytes(struct json *j, const char *key, const char *s, size_t n)
{
	bool bad = false;
	if (!s || too_long(j, n)) {
		json_null(j, key);
		null_base64(j, key);
		return;
	}
	size_t len = render(NULL, s, n, &bad, true);
	if (bad) {
		json_null(j, key);
		base64_string(j, key, s, n);
	} else {
		string(j, key, s, n, len);
		null_base64(j, key);
	}
}

/* escape: text for one line of stderr; see escape.h. */
#include "escape.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* Valid characters shown escaped: they would end the line or reorder and
 * hide the text around them (a record could make a message lie). */
static bool is_treacherous(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x61c || c == 0x200e || c == 0x200f ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

static size_t hex_bytes(char *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (size_t i = 0; i < n; i++) {
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hex[s[i] >> 4];
		*o++ = hex[s[i] & 15];
	}
	return (size_t)(o - out);
}

/* The unit at s: one character or one invalid byte, rendered into out.
 * Sets *used to the input bytes it stands for; returns its length. */
static size_t unit(char *out, const unsigned char *s, size_t n, size_t *used)
{
	static const char named[] = "\n\t\r\\'", letter[] = "ntr\\'";
	const char *k = s[0] ? strchr(named, s[0]) : NULL;
	*used = 1;
	if (k) {
		out[0] = '\\';
		out[1] = letter[k - named];
		return 2;
	}
	if (s[0] >= 0x20 && s[0] < 0x7f) {
		out[0] = (char)s[0];
		return 1;
	}
	uint32_t cp;
	size_t len = utf8_sequence(s, n, &cp);
	if (len == 0)
		return hex_bytes(out, s, 1);
	*used = len;
	if (is_treacherous(cp))
		return hex_bytes(out, s, len);
	memcpy(out, s, len);
	return len;
}

size_t escape_text(char *dst, size_t max, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;
	while (i < n) {
		char u[16]; /* the longest unit: 4 bytes as \xHH each */
		size_t used, len = unit(u, p + i, n - i, &used);
		if (used > max - i)
			break;
		memcpy(dst + o, u, len);
		o += len;
		i += used;
	}
	if (i < n) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return o;
}

const char *escape_name(char buf[ESCAPE_SIZE(ESCAPE_NAME)], const char *s)
{
	escape_text(buf, ESCAPE_NAME, s, strlen(s));
	return buf;
}

void escape_message(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* json: one JSON object appended to a struct buf, member by member. Pure.
 *
 * The writer is sticky, as stdio's error flag is: once an append fails (no
 * memory) the later calls do nothing, and json_end reports the failure and
 * takes the buffer back to where json_begin found it, so a caller checks
 * once and never leaves half an object behind. Each member reserves its room
 * once; strings are measured first, so the room is exact and nothing is
 * allocated beyond the buffer's own growth.
 *
 * Strings are valid UTF-8 as they are, with these escaped: " and \ (\" \\),
 * the C0 controls (\b \f \n \r \t, else \u00XX), DEL and the C1 controls
 * (\u007f, \u0080-\u009f: they drive terminals) and U+2028, U+2029 (they end
 * a line in JavaScript). Every escape stands for its own code point, so a
 * JSON parser gets the exact bytes back.
 *
 * Bytes that are not valid UTF-8 (overlong forms, surrogates, code points past
 * U+10FFFF, stray or missing continuation bytes) have no JSON string of their
 * own: \u00XX would be the character U+00XX, and a lone surrogate escape is
 * not portable (jq turns it into U+FFFD). So:
 *   - json_bytes, for data (a record, an answer), writes two members: "KEY"
 *     holds the string and "KEY_base64" is null when the bytes are valid
 *     UTF-8; otherwise "KEY" is null and "KEY_base64" holds the bytes in
 *     base64 (RFC 4648, padded). Either way, jq's
 *     `.KEY_base64 // (.KEY | @base64)` is the exact bytes in base64.
 *   - json_text, for procpool's own words (an error, a host), writes each
 *     byte that is not part of valid UTF-8 as U+FFFD: readable, not exact. */
#ifndef PROCPOOL_JSON_H
#define PROCPOOL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct json {
	struct buf *b;
	size_t start; /* b->len before the object: where a failure rolls back to */
	bool first;   /* no member yet: the next one takes no comma */
	int err;      /* errno of the first failed append; 0 while all went well */
};

/* Open an object at the end of b: "{". */
void json_begin(struct json *j, struct buf *b);
/* Close it: "}". 0; or -1 with errno set, b as json_begin found it. */
int json_end(struct json *j);

/* Members. A key is a short name that needs no escape (letters, digits, _). */
void json_null(struct json *j, const char *key);
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
/* ns nanoseconds as seconds with decimals (0-9) digits after the point,
 * truncated toward zero: 1500000000 with 3 is 1.500. */
void json_seconds(struct json *j, const char *key, int64_t ns, int decimals);
/* s[0..n) as a string, invalid UTF-8 as U+FFFD; null when s is NULL. */
void json_text(struct json *j, const char *key, const char *s, size_t n);
/* s[0..n) exactly, as "key" and "key_base64" (see above); both null when
 * s is NULL. */
void json_bytes(struct json *j, const char *key, const char *s, size_t n);

#endif

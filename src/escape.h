/* escape: bytes from the user (a record, a file name, an option's value)
 * made safe to show inside one line of a message on stderr. Pure.
 *
 * Valid UTF-8 stays as it is, so text in any script reads as written. What
 * could break the line, end the quotes around it or fool the terminal is
 * escaped: \n \t \r \\ \' for those bytes; \xHH for other control bytes
 * (C0 and DEL), for each byte that is not part of valid UTF-8, and for each
 * byte of the characters that are valid but would hide or reorder the text
 * around them: the C1 controls (U+0080-U+009F), the line and paragraph
 * separators (U+2028, U+2029) and the bidirectional controls (U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069). */
#ifndef PROCPOOL_ESCAPE_H
#define PROCPOOL_ESCAPE_H

#include <stddef.h>

/* The size of a buffer for the escapes of max bytes: each byte may take 4
 * (\xHH), then "..." and the NUL. */
#define ESCAPE_SIZE(max) (4 * (max) + 4)

/* Write the start of s[0..n) escaped to dst: at most max bytes of s, each
 * character whole or not at all, then "..." when some of s is left out,
 * then a NUL. dst holds ESCAPE_SIZE(max) bytes. Returns the length
 * written. */
size_t escape_text(char *dst, size_t max, const char *s, size_t n);

/* Bytes shown of a name in a message: a file, a command, a value. */
#define ESCAPE_NAME 200

/* A NUL-terminated name escaped into buf (escape_text with ESCAPE_NAME);
 * returns buf, to be a printf argument. */
const char *escape_name(char buf[ESCAPE_SIZE(ESCAPE_NAME)], const char *s);

/* Format a message into err (errlen bytes): how the pure modules tell their
 * callers what is wrong, for them to show. */
void escape_message(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

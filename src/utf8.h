/* utf8: what counts as valid UTF-8 (RFC 3629), for every module that shows
 * or carries text. Pure. */
#ifndef PROCPOOL_UTF8_H
#define PROCPOOL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the valid UTF-8 sequence of 2 to 4 bytes at s (n bytes
 * there), with its code point in *cp; 0 if there is none. Overlong forms,
 * surrogates and code points past U+10FFFF are not valid. */
size_t utf8_sequence(const unsigned char *s, size_t n, uint32_t *cp);

#endif

/* base64: RFC 4648 standard alphabet with padding. Pure: no I/O, no state.
 *
 * Decoding is strict: the length must be a multiple of 4, padding appears
 * only at the end (at most two '='), and the unused low bits of the last
 * symbol must be zero, so every valid text has exactly one encoding. That is
 * what lets procpool forward base64 lines without re-encoding them. */
#ifndef PROCPOOL_BASE64_H
#define PROCPOOL_BASE64_H

#include <stddef.h>

/* Length of the encoding of n bytes. */
static inline size_t base64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }
/* Most bytes that n base64 characters decode to. */
static inline size_t base64_decoded_max(size_t n) { return n / 4 * 3; }

/* Encode n bytes of src into dst (base64_encoded_len(n) bytes, no NUL). */
void base64_encode(char *dst, const void *src, size_t n);

/* Check n characters; return NULL when valid, else a static description of
 * the first problem (and its offset in *where when where is not NULL). */
const char *base64_check(const char *src, size_t n, size_t *where);
/* base64_check, told that the first known characters are in the alphabet
 * (b64scan_span said so): they are not looked at again. */
const char *base64_check_from(const char *src, size_t n, size_t known, size_t *where);

/* Decode n valid characters into dst; return the decoded length, or -1 when
 * the text is not valid (dst then holds garbage). */
long base64_decode(void *dst, const char *src, size_t n);

#endif

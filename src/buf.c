/* buf: growable byte buffer; see buf.h. */
#include "buf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The smallest storage: what malloc's smallest chunk holds (24 bytes in
 * glibc's 32), as a tiny task's record and answer each keep one of their
 * own for every slot of the window. */
#define BUF_MIN 24

int buf_reserve(struct buf *b, size_t n)
{
	bool borrowed = !b->cap && b->data;
	if (!borrowed && buf_room(b) >= n)
		return 0;
	if (!borrowed && b->cap - b->len >= n) {
		/* Sliding the live bytes down costs what a realloc would copy. */
		buf_compact(b);
		return 0;
	}
	size_t off = borrowed ? 0 : b->off;
	if (n > SIZE_MAX / 2 - off - b->len) {
		errno = ENOMEM;
		return -1;
	}
	size_t need = off + b->len + n;
	size_t cap = b->cap ? b->cap : BUF_MIN;
	while (cap < need)
		cap *= 2;
	char *p = realloc(borrowed ? NULL : b->data, cap);
	if (!p)
		return -1;
	if (borrowed && b->len) /* a copy of its own, to write into */
		memcpy(p, b->data + b->off, b->len);
	b->data = p;
	b->off = off;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(buf_tail(b), p, n);
	b->len += n;
	return 0;
}

int buf_set(struct buf *b, const void *p, size_t n)
{
	b->off = 0;
	b->len = 0;
	return buf_append(b, p, n);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = 0;
		b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}

void buf_compact(struct buf *b)
{
	if (b->off == 0)
		return;
	if (b->len)
		memmove(b->data, b->data + b->off, b->len);
	b->off = 0;
}

void buf_trim(struct buf *b, size_t keep)
{
	b->off = 0;
	b->len = 0;
	if (b->cap > keep || !b->cap)
		buf_free(b);
}

void buf_free(struct buf *b)
{
	if (b->cap)
		free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

/* buf: a growable byte buffer with a read cursor.
 *
 * Bytes live in data[off, off+len). Appends go at the end; consumers advance
 * the cursor with buf_consume() and buf_compact() moves the live bytes back to
 * the front when it pays. Capacity only grows, except through buf_trim(), so a
 * buffer reused for many small tasks allocates once. Allocation failure is
 * reported as -1 with errno set; the buffer is left unchanged.
 *
 * A borrowed buffer (buf_borrow) shows bytes someone else owns, such as a
 * mapped file: cap is 0, so it is never freed nor written into; growing it
 * first copies the bytes into storage of its own. */
#ifndef PROCPOOL_BUF_H
#define PROCPOOL_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t off; /* start of live bytes */
	size_t len; /* number of live bytes */
	size_t cap;
};

#define BUF_INIT {0, 0, 0, 0}

/* Make room for at least n more bytes after the live ones. 0 or -1. */
int buf_reserve(struct buf *b, size_t n);
/* Make room to read into: enough to bring the buffer to block bytes, and at
 * least a quarter block, so a reused read buffer stays one block long. */
static inline int buf_reserve_block(struct buf *b, size_t block)
{
	size_t want = b->len < block - block / 4 ? block - b->len : block / 4;
	return buf_reserve(b, want);
}
/* Show the n bytes at p, which must outlive the buffer's use of them. */
static inline void buf_borrow(struct buf *b, const char *p, size_t n)
{
	*b = (struct buf){(char *)(uintptr_t)p, 0, n, 0};
}
/* Append n bytes. 0 or -1. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Replace the contents with n bytes. 0 or -1. */
int buf_set(struct buf *b, const void *p, size_t n);
/* Pointer to the first live byte and to one past the last. */
static inline char *buf_head(const struct buf *b) { return b->data + b->off; }
static inline char *buf_tail(const struct buf *b) { return b->data + b->off + b->len; }
/* Room after the live bytes. */
static inline size_t buf_room(const struct buf *b) { return b->cap - b->off - b->len; }
/* Drop n bytes from the front. */
void buf_consume(struct buf *b, size_t n);
/* Move the live bytes to the front of the storage. */
void buf_compact(struct buf *b);
/* Empty the buffer; free its storage when it is larger than keep bytes. */
void buf_trim(struct buf *b, size_t keep);
void buf_free(struct buf *b);

#endif

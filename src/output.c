/* output: result framing and block writes; see output.h. */
#include "output.h"

#include <errno.h>
#include <string.h>

#include "base64.h"
#include "util.h"

#define FLUSH_AT (64 * 1024)

void output_init(struct output *o, int fd, const struct config *c)
{
	o->fd = fd;
	o->buf = (struct buf)BUF_INIT;
	o->sep = c->base64_io ? '\n' : c->sep;
	o->base64_out = c->base64_io;
	o->wire_b64 = c->wire == WIRE_BASE64;
	o->tag = c->tag;
	o->failed = false;
	o->err = 0;
	o->queued = 0;
	o->written = 0;
}

void output_free(struct output *o)
{
	buf_free(&o->buf);
}

/* The answer in output form, appended to the buffer (room reserved). */
static void put_answer(struct output *o, const char *ans, size_t alen)
{
	struct buf *b = &o->buf;
	if (o->base64_out == o->wire_b64) {
		/* Same form both sides: -b with the base64 wire passes through. */
		if (alen)
			memcpy(buf_tail(b), ans, alen);
		b->len += alen;
	} else if (o->wire_b64) {
		b->len += (size_t)base64_decode(buf_tail(b), ans, alen);
	} else {
		base64_encode(buf_tail(b), ans, alen);
		b->len += base64_encoded_len(alen);
	}
}

int output_result(struct output *o, const char *rec, size_t rlen, const char *ans, size_t alen)
{
	size_t need = (o->tag ? rlen + 1 : 0) + base64_encoded_len(alen) + 1;
	if (o->failed)
		return -1;
	if (buf_reserve(&o->buf, need) < 0) {
		o->failed = true;
		o->err = errno;
		o->queued += need; /* lost, and never written: no joblog row vouches for it */
		return -1;
	}
	struct buf *b = &o->buf;
	size_t before = b->len;
	if (o->tag) {
		if (rlen)
			memcpy(buf_tail(b), rec, rlen);
		b->len += rlen;
		*buf_tail(b) = '\t';
		b->len++;
	}
	put_answer(o, ans, alen);
	*buf_tail(b) = o->sep;
	b->len++;
	o->queued += b->len - before;
	return b->len >= FLUSH_AT ? output_flush(o) : 0;
}

int output_flush(struct output *o)
{
	if (o->failed)
		return -1;
	if (o->buf.len == 0)
		return 0;
	if (write_all(o->fd, buf_head(&o->buf), o->buf.len) < 0) {
		o->failed = true;
		o->err = errno;
		return -1;
	}
	o->written += o->buf.len;
	buf_consume(&o->buf, o->buf.len);
	return 0;
}

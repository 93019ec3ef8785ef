/* input: block reads and record framing; see input.h. */
#include "input.h"

#include <string.h>

#include "util.h"

#define READ_SIZE (128 * 1024) /* at most, a read: what follows a record is copied */
#define TAKE_MIN (64 * 1024)   /* a record this long is taken, not copied */

void input_init(struct input *in, const int *fds, unsigned nfds, char sep, size_t max_record)
{
	in->fds = fds;
	in->nfds = nfds;
	in->at = 0;
	in->at_boundary = true;
	in->eof = nfds == 0;
	in->buf = (struct buf)BUF_INIT;
	in->last = NULL;
	frame_init(&in->fr, sep, max_record);
}

void input_close(struct input *in)
{
	buf_free(&in->buf);
}

int input_fd(const struct input *in)
{
	return in->at < in->nfds ? in->fds[in->at] : -1;
}

ssize_t input_read(struct input *in, char *p, size_t n)
{
	if (in->eof)
		return 0;
	ssize_t r = read_retry(in->fds[in->at], p, n);
	if (r > 0) {
		in->at_boundary = p[r - 1] == in->fr.sep;
		return r;
	}
	if (r < 0)
		return -1;
	r = !in->at_boundary;
	if (r)
		p[0] = in->fr.sep;
	in->at_boundary = true;
	in->eof = ++in->at == in->nfds;
	return r;
}

ssize_t input_fill(struct input *in)
{
	if (in->buf.len == 0)
		in->buf.off = 0;
	if (buf_reserve_block(&in->buf, READ_SIZE) < 0)
		return -1;
	size_t room = buf_room(&in->buf);
	ssize_t n = input_read(in, buf_tail(&in->buf), room < READ_SIZE ? room : READ_SIZE);
	if (n > 0)
		in->buf.len += (size_t)n;
	return n;
}

enum input_kind input_next(struct input *in, const char **rec, size_t *len)
{
	for (;;) {
		size_t used;
		enum frame_kind k = frame_next(&in->fr, buf_head(&in->buf), in->buf.len, in->eof,
					       &used, rec, len);
		in->last = NULL;
		buf_consume(&in->buf, used);
		switch (k) {
		case FRAME_RECORD:
			in->last = *rec;
			return INPUT_RECORD;
		case FRAME_TOO_LONG:
			*rec = buf_head(&in->buf); /* its first bytes, for the report */
			*len = in->buf.len < in->fr.max ? in->buf.len : in->fr.max;
			return INPUT_TOO_LONG;
		case FRAME_SKIPPED:
			continue;
		case FRAME_MORE:
			return in->eof && in->buf.len == 0 ? INPUT_END : INPUT_NEED;
		}
	}
}

int input_hold(struct input *in, const char *rec, size_t len, struct buf *dst)
{
	if (rec != in->last || len < TAKE_MIN)
		return buf_set(dst, rec, len);
	/* The bytes after it are at most a read's. */
	struct buf rest = BUF_INIT;
	if (buf_reserve(&rest, in->buf.len > READ_SIZE ? in->buf.len : READ_SIZE) < 0)
		return -1;
	if (in->buf.len)
		memcpy(rest.data, buf_head(&in->buf), in->buf.len);
	rest.len = in->buf.len;
	buf_free(dst);
	*dst = in->buf;
	dst->off = (size_t)(rec - in->buf.data);
	dst->len = len;
	in->buf = rest;
	in->last = NULL;
	return 0;
}

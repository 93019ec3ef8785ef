/* output: result framing and non-blocking writes; see output.h. */
#define _GNU_SOURCE /* MSG_DONTWAIT, MSG_NOSIGNAL */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base64.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define WRITE_AT (64 * 1024)    /* a full block is worth a write at once */
#define SCRATCH_KEEP (1u << 20) /* a decoding buffer kept between results */
#define DIRECT_MIN (64 * 1024)  /* an answer this long is written from where it is */

/* A file description of stdout's pipe, FIFO or terminal that is ours alone,
 * non-blocking; out_fd itself when it is something else or reopening fails
 * (then writes may block, as they would for any program). */
static int own_nonblocking(struct output *o, int out_fd)
{
	struct stat st;
	if (fstat(out_fd, &st) < 0)
		return out_fd;
	if (S_ISSOCK(st.st_mode)) {
		o->socket = true;
		return out_fd;
	}
	int fl = fcntl(out_fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		return out_fd; /* already non-blocking: someone shares it so */
	o->tty = isatty(out_fd);
	if (!S_ISFIFO(st.st_mode) && !o->tty)
		return out_fd;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", out_fd);
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return out_fd; /* no /proc, or a pipe with no reader left */
	o->own_fd = true;
	return fd;
}

void output_init(struct output *o, int out_fd, const struct config *c)
{
	memset(o, 0, sizeof *o);
	o->buf = (struct buf)BUF_INIT;
	o->fd = own_nonblocking(o, out_fd);
	o->sep = c->base64_io ? '\n' : c->sep;
	o->base64_out = c->base64_io;
	o->wire_b64 = c->wire == WIRE_BASE64;
	o->tag = c->tag;
	o->lines = c->answer_end && !c->base64_io;
}

void output_free(struct output *o)
{
	if (o->own_fd)
		close_fd(&o->fd);
	buf_free(&o->buf);
	buf_free(&o->scratch);
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

static void put_tag(struct buf *b, const char *rec, size_t rlen)
{
	if (rlen)
		memcpy(buf_tail(b), rec, rlen);
	b->len += rlen;
	*buf_tail(b) = '\t';
	b->len++;
}

/* --answer-end: the answer's lines, each ended by a newline (and tagged
 * with --tag, as GNU parallel tags every line of a job's output); a
 * separator other than the newline ends the whole record. */
static void put_lines(struct output *o, const char *rec, size_t rlen, const char *ans, size_t alen)
{
	struct buf *b = &o->buf;
	for (const char *line = ans, *end = ans + alen, *nl; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (o->tag)
			put_tag(b, rec, rlen);
		memcpy(buf_tail(b), line, (size_t)(nl - line) + 1);
		b->len += (size_t)(nl - line) + 1;
	}
	if (o->sep != '\n') {
		*buf_tail(b) = o->sep;
		b->len++;
	}
}

/* The lines in an answer of --answer-end, for sizing its tags. */
static size_t count_lines(const char *ans, size_t alen)
{
	size_t n = 0;
	for (const char *s = ans, *end = ans + alen; (s = memchr(s, '\n', (size_t)(end - s))); s++)
		n++;
	return n;
}

/* A long answer that goes out as it came: written from where it is, with
 * its separator, once what waits before it is out; only what the fd did
 * not take is copied into the buffer. 1 when done so (the result is
 * queued), 0 when it is to be appended as usual. */
static int put_direct(struct output *o, const char *ans, size_t alen)
{
	if (alen < DIRECT_MIN || o->lines || o->tag || o->base64_out != o->wire_b64 || o->tty ||
	    o->socket || o->full || (o->buf.len && output_flush(o) != 1))
		return 0;
	struct iovec v[2] = {{(void *)(uintptr_t)ans, alen}, {&o->sep, 1}};
	ssize_t n;
	while ((n = writev(o->fd, v, 2)) < 0 && errno == EINTR)
		;
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		o->failed = true;
		o->err = errno;
		return 0; /* the append that follows reports it */
	}
	size_t took = n < 0 ? 0 : (size_t)n;
	o->full = took < alen + 1;
	o->queued += alen + 1;
	o->written += took;
	if (took < alen && buf_append(&o->buf, ans + took, alen - took) < 0)
		return -1;
	if (took <= alen && buf_append(&o->buf, &o->sep, 1) < 0)
		return -1;
	return 1;
}

int output_result(struct output *o, const char *rec, size_t rlen, const char *ans, size_t alen)
{
	int direct = o->failed ? 0 : put_direct(o, ans, alen);
	if (direct > 0)
		return 0;
	if (direct < 0) {
		o->failed = true;
		o->err = errno;
		return -1;
	}
	size_t tags = o->tag ? (o->lines ? count_lines(ans, alen) : 1) * (rlen + 1) : 0;
	size_t need = tags + base64_encoded_len(alen) + 1;
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
	if (o->lines) {
		put_lines(o, rec, rlen, ans, alen);
	} else {
		if (o->tag)
			put_tag(b, rec, rlen);
		put_answer(o, ans, alen);
		*buf_tail(b) = o->sep;
		b->len++;
	}
	o->queued += b->len - before;
	if (b->len >= WRITE_AT && !o->full && output_flush(o) < 0)
		return -1;
	return 0;
}

/* A count where 0 means there is none: a task no worker took. */
static void count_or_null(struct json *j, const char *key, int64_t v)
{
	if (v)
		json_int(j, key, v);
	else
		json_null(j, key);
}

/* "key" and "key_base64" for s[0..n) (both null when s is NULL), decoded
 * first when it is in base64 (b64) and valid: a record that failed for its
 * base64 shows as read. o->scratch has room for the decoded bytes. */
static void json_data(struct output *o, struct json *j, const char *key, bool b64, const char *s,
		      size_t n)
{
	long raw = b64 && s && n ? base64_decode(o->scratch.data, s, n) : -1;
	if (raw > 0) {
		s = o->scratch.data;
		n = (size_t)raw;
	}
	json_bytes(j, key, s, n);
}

static void json_fields(struct output *o, struct json *j, const struct result_fields *r)
{
	const char *status = r->error ? "failed" : "ok", *host = r->host ? r->host : ":";
	/* An empty buffer may have no storage: NULL there is no bytes. */
	const char *rec = r->rec ? r->rec : "", *ans = r->ans ? r->ans : "";
	json_uint(j, "seq", r->seq);
	json_text(j, "status", status, strlen(status));
	json_text(j, "error", r->error, r->elen);
	json_uint(j, "attempts", r->attempts);
	if (r->pid)
		json_uint(j, "slot", r->slot);
	else
		json_null(j, "slot");
	count_or_null(j, "pid", r->pid);
	json_text(j, "host", host, strlen(host));
	json_seconds(j, "start", r->start_ns, 3); /* as the joblog */
	json_seconds(j, "runtime", r->run_ns, 6);
	/* Last: the long ones. */
	json_data(o, j, "input", o->base64_out, rec, r->rlen);
	json_data(o, j, "output", o->wire_b64, r->error ? NULL : ans, r->alen);
}

/* The result could not be appended: the output has failed. */
static int lost(struct output *o)
{
	o->failed = true;
	o->err = errno;
	o->queued++; /* and is never written: no joblog row vouches for it */
	return -1;
}

int output_json_result(struct output *o, const struct result_fields *r)
{
	struct buf *b = &o->buf;
	size_t before = b->len, in = o->base64_out ? r->rlen : 0, out = o->wire_b64 ? r->alen : 0;
	if (o->failed)
		return -1;
	if (buf_reserve(&o->scratch, base64_decoded_max(in > out ? in : out)) < 0)
		return lost(o);
	struct json j;
	json_begin(&j, b);
	json_fields(o, &j, r);
	buf_trim(&o->scratch, SCRATCH_KEEP);
	if (json_end(&j) < 0 || buf_append(b, "\n", 1) < 0) {
		b->len = before;
		return lost(o);
	}
	o->queued += b->len - before;
	if (b->len >= WRITE_AT && !o->full && output_flush(o) < 0)
		return -1;
	return 0;
}

static ssize_t write_some(struct output *o)
{
	if (o->socket)
		return send(o->fd, buf_head(&o->buf), o->buf.len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(o->fd, buf_head(&o->buf), o->buf.len);
}

int output_flush(struct output *o)
{
	if (o->failed)
		return -1;
	if (o->tty && o->buf.len) {
		/* A terminal is read at once; log_write puts the results on
		 * their own lines around a --progress line there. */
		if (log_write(o->fd, buf_head(&o->buf), o->buf.len) < 0) {
			o->failed = true;
			o->err = errno;
			return -1;
		}
		o->written += o->buf.len;
		buf_consume(&o->buf, o->buf.len);
	}
	while (o->buf.len > 0) {
		ssize_t n = write_some(o);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				o->full = true;
				return 0;
			}
			o->failed = true;
			o->err = errno;
			return -1;
		}
		buf_consume(&o->buf, (size_t)n);
		o->written += (uint64_t)n;
	}
	buf_trim(&o->buf, 4 * WRITE_AT); /* one huge result must not pin its memory */
	return 1;
}


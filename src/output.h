/* output: results to stdout, framed and encoded, written without blocking.
 *
 * Owns the output buffer and, when it opened one, its own file description
 * of stdout. Answers arrive in wire form (already checked); this module turns
 * them into the output framing: raw bytes then the separator, one base64
 * line with -b, or one JSON object a line with --json. A slow reader must never stall the pool (signals, timers and
 * workers keep being served), so a pipe, FIFO or terminal on stdout is
 * reopened non-blocking through /proc/self/fd/1: a file description of our
 * own, so the shell and any other process sharing stdout never see
 * O_NONBLOCK. A socket is written with MSG_DONTWAIT. Regular files and other
 * devices take writes at once and are written as they are; a terminal is
 * written whole, around the --progress line (log_write). */
#ifndef PROCPOOL_OUTPUT_H
#define PROCPOOL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "config.h"

struct output {
	int fd;          /* where results are written */
	bool own_fd;     /* fd is our own reopening of stdout */
	bool socket;     /* write with send(MSG_DONTWAIT) */
	bool tty;        /* a terminal: written whole, around a --progress line */
	struct buf buf;
	struct buf scratch; /* --json: a record or answer decoded from base64 */
	uint64_t queued;  /* bytes appended so far */
	uint64_t written; /* bytes written so far */
	char sep;
	bool base64_out; /* -b */
	bool wire_b64;
	bool tag;
	bool lines;      /* --answer-end: an answer is lines, each ended by a newline */
	bool full;       /* the fd took no more: write again once it has room */
	bool failed;     /* a write failed; errno kept in err */
	int err;
};

/* Set up writing to out_fd (stdout, or a file --bench passes). */
void output_init(struct output *o, int out_fd, const struct config *c);
void output_free(struct output *o);
/* Append one result: the record as read (for --tag) and the answer line in
 * wire form. 0, or -1 when the buffer could not grow. */
int output_result(struct output *o, const char *rec, size_t rlen, const char *ans, size_t alen);
/* A task as --json writes it. */
struct result_fields {
	uint64_t seq;
	const char *rec; /* the record as read (its base64 line with -b) */
	size_t rlen;
	const char *ans; /* the answer in wire form; none for a failed task */
	size_t alen;
	const char *error; /* why the task failed, elen bytes; NULL when it did not */
	size_t elen;
	unsigned attempts;
	unsigned slot;    /* its worker's slot, from 0 */
	pid_t pid;        /* its worker; 0 when none (then slot is null too) */
	int64_t start_ns; /* wall clock, since the epoch */
	int64_t run_ns;
	const char *host; /* where it ran; NULL for this machine (":") */
};
/* Append one task as one JSON object and a newline (JSON lines, whatever
 * the separator), the record and answer decoded from base64 when they are
 * in it (see json.h for how bytes that are not UTF-8 are written). 0, or -1
 * when the buffer could not grow, as output_result. */
int output_json_result(struct output *o, const struct result_fields *r);
/* Write what the fd takes now. 1 when the buffer is empty, 0 when the fd is
 * full (wait for POLLOUT on o->fd, then output_has_room), -1 with o->err set
 * on error. */
int output_flush(struct output *o);
static inline void output_has_room(struct output *o) { o->full = false; }
#define OUTPUT_BACKED_UP (1u << 20) /* the reader is behind: stop making results */
/* Whether so much waits that the pool should stop producing results. */
static inline bool output_backed_up(const struct output *o)
{
	return o->buf.len >= OUTPUT_BACKED_UP;
}

#endif

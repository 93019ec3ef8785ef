/* output: results to stdout, framed and encoded, in large blocks.
 *
 * Owns the output buffer. Answers arrive in wire form (already checked);
 * this module turns them into the output framing: raw bytes then the
 * separator, or one base64 line with -b. stdout stays blocking: when the
 * reader is slow, procpool waits, and so, through their pipes, do the
 * workers. */
#ifndef PROCPOOL_OUTPUT_H
#define PROCPOOL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

struct output {
	int fd;
	struct buf buf;
	char sep;
	bool base64_out; /* -b */
	bool wire_b64;
	bool tag;
	bool failed;     /* a write failed; errno kept in err */
	int err;
	uint64_t queued;  /* bytes appended to buf so far */
	uint64_t written; /* bytes written to fd so far */
};

void output_init(struct output *o, int fd, const struct config *c);
void output_free(struct output *o);
/* Append one result: the record as read (for --tag) and the answer line in
 * wire form. 0, or -1 when the buffer could not grow or a write failed. */
int output_result(struct output *o, const char *rec, size_t rlen, const char *ans, size_t alen);
/* Write out what is buffered. 0, or -1 with o->err set. */
int output_flush(struct output *o);

#endif

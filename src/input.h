/* input: the task stream, read in large blocks and cut into records.
 *
 * Owns the input buffer; the fd (stdin or -a FILE) is the caller's. A record returned by
 * input_next() points into the buffer and stays valid until the next
 * input_fill(). stdin is never made non-blocking (the terminal and the
 * shell share it); the pool reads it only when poll says it is ready. */
#ifndef PROCPOOL_INPUT_H
#define PROCPOOL_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "frame.h"

struct input {
	int fd;
	bool eof;
	struct buf buf;
	struct framer fr;
};

enum input_kind {
	INPUT_RECORD,   /* a record */
	INPUT_TOO_LONG, /* a record over the limit; *rec, *len show its start */
	INPUT_NEED,     /* call input_fill() first */
	INPUT_END,      /* every record has been returned */
};

/* Read records from fd, which stays the caller's. */
void input_init(struct input *in, int fd, char sep, size_t max_record);
void input_close(struct input *in);
/* One read(). Returns bytes read, 0 at EOF, -1 with errno. */
ssize_t input_fill(struct input *in);
enum input_kind input_next(struct input *in, const char **rec, size_t *len);

#endif

/* input: the task stream, read in large blocks and cut into records.
 *
 * The stream is a list of fds read in turn (the -a files, or stdin), as
 * `cat` would join them but for one thing: a file's last record ends at the
 * file's end, its separator supplied when the file lacks it. The fds stay
 * the caller's. A record returned by input_next() points into the buffer
 * and stays valid until the next input_fill(). stdin is never made
 * non-blocking (the terminal and the shell share it); the pool reads an fd
 * only when poll says it is ready, so it watches input_fd(), which changes
 * when a file ends.
 *
 * A regular file may be mapped instead of read (from where its offset
 * stands to the end it had then), so its records are never copied: the
 * buffer shows the mapping, input_hold() lends a record from it, and the
 * mapping stays until input_close(); a record's bytes can go to a worker
 * straight from the file (input_file_of). Pages more than a little behind
 * the reading are let go as it moves on (they come back from the page
 * cache if a task looks at its bytes again), so memory stays near the
 * record being read.
 * Past the mapped end the file is read on as any other (it may have grown),
 * and a last record without its separator is copied to get one. */
#ifndef PROCPOOL_INPUT_H
#define PROCPOOL_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "frame.h"

#define INPUT_SPARES 4               /* buffers kept for records to come, */
#define INPUT_SPARE_BYTES (32u << 20) /* and past the first, this many bytes */

struct input {
	const int *fds;
	unsigned nfds, at; /* at: the index of the fd being read */
	bool at_boundary;  /* the bytes read so far end a record (or there are none) */
	bool eof;          /* the last fd has ended */
	struct buf buf;
	struct framer fr;
	const char *last; /* the record input_next() returned last, or NULL */
	/* Regular files, mapped: every mapping made, kept for the records
	 * that point into it; and the one buf shows now. */
	struct input_map *maps;
	unsigned nmaps;
	bool map;             /* map regular files */
	unsigned mapped_upto; /* fds before this one have been looked at for it */
	bool mapped;          /* buf shows maps[nmaps - 1] */
	off_t map_end;        /* the file's offset where that mapping ends */
	size_t shown;         /* bytes of the file buf showed at first */
	size_t let_go;        /* bytes of them let go of, from the first */
	size_t mapped_in;     /* bytes of them mapped in ahead, from the first */
	bool later;           /* INPUT_LATER was said: input_fill() has nothing to do */
	/* Done records' buffers, to read the next long records into. */
	struct buf spare[INPUT_SPARES];
	unsigned nspare;
};

struct input_map {
	void *p;
	size_t len;
	int fd;
	off_t off; /* the file's offset at p */
};

enum input_kind {
	INPUT_RECORD,   /* a record */
	INPUT_TOO_LONG, /* a record over the limit; *rec, *len show its start */
	INPUT_NEED,     /* call input_fill() first */
	INPUT_LATER,    /* a long mapped record is scanned on: call again next turn */
	INPUT_END,      /* every record has been returned */
};

enum {
	/* Map the regular files (for a caller that, after input_hold(), reads
	 * a record's bytes at most once more, soon: their pages are let go
	 * behind the reading). */
	INPUT_MAP = 1,
	/* Records are base64 lines: input_alphabet() says how far each is
	 * made of alphabet characters, found in the scan for its end. */
	INPUT_BASE64 = 2,
};

/* Read records from the nfds fds (at least one), which stay the caller's
 * and must stay open until input_close(); flags: INPUT_*. */
void input_init(struct input *in, const int *fds, unsigned nfds, char sep, size_t max_record,
		unsigned flags);
void input_close(struct input *in);
/* The fd to wait on and read next; -1 once the last has ended. */
int input_fd(const struct input *in);
/* Whether the records now come from a mapped file (reading ahead then only
 * scans bytes the page cache holds already). */
static inline bool input_mapped(const struct input *in) { return in->mapped; }
/* Read up to n (> 0) bytes of the stream into p with one read(). When an fd
 * ends, the next takes its turn, and p gets the separator the ended one
 * lacked, if any: 0 or 1 byte then, and in->eof once it was the last.
 * Returns the bytes put in p, or -1 with errno. */
ssize_t input_read(struct input *in, char *p, size_t n);
/* input_read() into the buffer; after INPUT_LATER, nothing (the mapped
 * bytes are there to scan on): returns the bytes shown. */
ssize_t input_fill(struct input *in);
enum input_kind input_next(struct input *in, const char **rec, size_t *len);
/* Keep rec[0..len) in dst (its old bytes dropped). A long record that
 * input_next() just returned is taken with the buffer that holds it, the
 * bytes read after it moving to a new one, so its bytes are never copied;
 * anything else is copied. 0, or -1 when out of memory (dst unchanged). */
int input_hold(struct input *in, const char *rec, size_t len, struct buf *dst);
/* b, which held a record, is done with. A few such buffers of records taken
 * whole (read from a pipe: INPUT_SPARES, past the first INPUT_SPARE_BYTES
 * in all) are kept to read the records after into, so that their pages
 * need no faulting in and zeroing again for each record: then b is left
 * empty, else as it was, for the caller to free. */
void input_recycle(struct input *in, struct buf *b);
/* With INPUT_BASE64: how many leading bytes of the record input_next()
 * just returned at rec are base64 alphabet characters (0 for another). */
size_t input_alphabet(const struct input *in, const char *rec);
/* Whether p points into a mapped file; if so, which (*fd) and where
 * (*off), for os_splice_file. */
bool input_file_of(const struct input *in, const char *p, int *fd, off_t *off);

#endif

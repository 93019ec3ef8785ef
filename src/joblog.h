/* joblog: one TSV row per finished task (--joblog), in GNU parallel's
 * columns and then procpool's own, and reading a joblog back to know which
 * tasks to skip (--resume, --resume-failed).
 *
 * A row vouches for a result: it goes to the file only once the output
 * before it has been written to stdout, and, when stdout is a regular file,
 * synced to disk. A crash, of procpool or of the machine, may then repeat a
 * task on --resume, but never loses one. The joblog itself is synced at the
 * end and about once a second while rows come (a row lost there only makes
 * its task run again). Syncs are batched: rows wait for them up to a second,
 * or until a megabyte of them waits. */
#ifndef PROCPOOL_JOBLOG_H
#define PROCPOOL_JOBLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct joblog;

/* Host of a task run on this machine, as GNU parallel writes it. */
#define JOBLOG_HOST_LOCAL ":"
/* Exitval of the failures that are not a worker's exit status (the table is
 * in the man page). GNU parallel writes -1 for a job its --timeout killed
 * and 255 for a failure of its own rather than the command's; a worker that
 * says a task failed gets 1, what a command exits with to say so. */
#define JOBLOG_EXIT_TIMEOUT (-1)
#define JOBLOG_EXIT_PROCPOOL 255 /* protocol, invalid, toolong */
#define JOBLOG_EXIT_ERROR 1
/* Exitval of a worker a signal killed: 128 + the signal, as a shell says, so
 * that a non-zero Exitval alone finds every failure (GNU parallel writes 0). */
#define JOBLOG_EXIT_SIGNALED(sig) (128 + (sig))

/* One row. */
struct joblog_entry {
	uint64_t seq;
	const char *host;       /* JOBLOG_HOST_LOCAL, or the host it ran on */
	int64_t start_wall_ns;  /* when it was given to a worker */
	int64_t run_ns;
	uint64_t send, receive; /* bytes of the task and of its answer, wire form */
	int exitval, signal;    /* 0 and 0 for ok; see JOBLOG_EXIT_* */
	unsigned slot, attempts;
	const char *outcome;    /* "ok", "exit 3", "signal SIGSEGV", "timeout", ... */
	const char *input;      /* the record, len bytes */
	size_t len;
};

/* Open path for appending: write the header when the file is empty, cut off
 * a last row without its newline (left by a kill), refuse a file that does
 * not start with the header. NULL on failure, with the reason in why ("not
 * a procpool joblog", the older format's message, or strerror). */
struct joblog *joblog_open(const char *path, char *why, size_t whylen);
/* Buffer one row. out_pos: the output byte count that must have been
 * written before this row may go to the file; rows come in non-decreasing
 * out_pos order. */
void joblog_row(struct joblog *j, uint64_t out_pos, const struct joblog_entry *e);
/* Write the rows whose out_pos <= out_written: at once when out_fd is not a
 * regular file; when it is, after an fdatasync of it, once their round is
 * due (a second after the last, by now_ns) or a megabyte of them waits.
 * final: write all that qualify and sync the joblog. 0, or -1 with errno. */
int joblog_flush(struct joblog *j, uint64_t out_written, int out_fd, int64_t now_ns, bool final);
/* When joblog_flush has work waiting for the clock (rows held for their
 * sync, a sync of rows written), or -1. */
int64_t joblog_next_ns(const struct joblog *j);
void joblog_close(struct joblog *j);

/* Record numbers to skip: a bitmap. */
struct seqset {
	uint8_t *bits;
	uint64_t nbits;
};
/* Read path (a missing file is an empty joblog). Sets the records whose
 * latest row says ok, and with also_failed those that failed too; a last
 * row without its newline is ignored (its task did not end). 0, or -1 with
 * the reason in why ("line 7 is not a joblog row", the older format's
 * message, strerror, ...). */
int joblog_load(const char *path, bool also_failed, struct seqset *skip, char *why, size_t whylen);
bool seqset_has(const struct seqset *s, uint64_t seq);
void seqset_free(struct seqset *s);

#endif

/* joblog: one TSV row per finished task (--joblog), and reading an old
 * joblog back to know which tasks to skip (--resume, --resume-failed).
 *
 * Rows are buffered and written by joblog_flush(), which the pool calls only
 * after the results of those tasks have reached stdout: a run killed between
 * the two may repeat a task on --resume, but never loses one. */
#ifndef PROCPOOL_JOBLOG_H
#define PROCPOOL_JOBLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct joblog;

/* Open path for appending: write the header when the file is empty, cut off
 * a last row without its newline (left by a kill), refuse a file that does
 * not start with the header. NULL on failure, with the reason in why ("not
 * a procpool joblog" or strerror). */
struct joblog *joblog_open(const char *path, char *why, size_t whylen);
/* Buffer one row. outcome: "ok", "exit 3", "signal SIGSEGV", "timeout", ... */
void joblog_row(struct joblog *j, uint64_t seq, pid_t pid, int64_t wall_start_ns, int64_t run_ns,
		unsigned attempts, const char *outcome, const char *input, size_t len);
/* Write buffered rows. 0, or -1 with errno. */
int joblog_flush(struct joblog *j);
void joblog_close(struct joblog *j);

/* Record numbers to skip: a bitmap. */
struct seqset {
	uint8_t *bits;
	uint64_t nbits;
};
/* Read path (a missing file is an empty joblog). Sets the records whose
 * latest row says ok, and with also_failed those that failed too; a last
 * row without its newline is ignored (its task did not end). 0, or -1 with
 * the reason in why ("line 7 is not a joblog row", strerror, ...). */
int joblog_load(const char *path, bool also_failed, struct seqset *skip, char *why, size_t whylen);
bool seqset_has(const struct seqset *s, uint64_t seq);
void seqset_free(struct seqset *s);

#endif

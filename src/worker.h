/* worker: one worker process as the pool sees it: its pid, its two pipes,
 * the encoded tasks not yet written, the answer bytes not yet split, and the
 * FIFO of task slots in flight (the protocol answers in order, so the oldest
 * slot owns the next answer line).
 *
 * A worker is gone only when its stdout reached EOF and its exit status has
 * been collected; either may come first. */
#ifndef PROCPOOL_WORKER_H
#define PROCPOOL_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "heap.h"
#include "loadidx.h"
#include "pace.h"
#include "spawn.h"

enum worker_state {
	WORKER_RUNNING, /* takes tasks */
	WORKER_CLOSING, /* stdin closed by us: retiring, or the pool is done */
	WORKER_KILLING, /* signalled by us: timeout, protocol error or shutdown */
};

/* Why procpool stopped a worker; decides how its head task is reported. */
enum worker_fault { FAULT_NONE, FAULT_TIMEOUT, FAULT_PROTOCOL, FAULT_START };

/* Record numbers, in the order a worker answered them, as runs of
 * consecutive numbers: a worker is given its tasks in batches, so a run
 * costs 16 bytes for a batch rather than 8 a task. */
struct seqrun {
	uint64_t first;
	uint64_t len;
};
struct seqvec {
	struct seqrun *r;
	uint32_t nruns, cap;
	uint64_t len; /* numbers in all the runs */
};

/* Answers match tasks by position. A worker that writes two lines for one
 * task, or none, shifts every later answer onto the wrong task, and that is
 * seen only later (output while holding no task, or an exit holding tasks
 * it had read): then the answers since it last held nothing are suspect. An
 * epoch is that span; a worker whose epoch reaches epoch_max_runs(-j) runs
 * gets no more tasks until it drains, so the record of it stays bounded:
 * two epochs a worker, 2 MiB at most for the whole pool. */
static inline uint32_t epoch_max_runs(unsigned jobs)
{
	uint32_t per = (1u << 16) / (jobs ? jobs : 1);
	return per > 4096 ? 4096 : per < 64 ? 64 : per;
}

/* Bytes of a long task written from where the task holds them instead of
 * being copied into out: they go into the stream at position at (counted
 * as sent is). What holds them must keep them, unmoved, until written.
 * When they are a file's (fd >= 0, at offset off), they are spliced from
 * it: they never pass through our memory. */
struct wref {
	uint64_t at;
	const char *p;
	size_t n;
	int fd;
	off_t off;
};

struct worker {
	pid_t pid;
	unsigned slot;      /* unique among live workers: PROCPOOL_SLOT, {%} */
	enum worker_state state;
	enum worker_fault fault;
	int to_fd, from_fd; /* -1 once closed */
	int to_watch, from_watch;
	struct buf out;     /* encoded tasks not yet in the pipe, but for refs */
	struct wref *refs;  /* the long tasks not yet in the pipe, in order */
	uint32_t nrefs, refs_cap;
	struct buf in;      /* answer bytes not yet split into lines */
	size_t scanned;     /* bytes of an unfinished answer looked at */
	uint32_t *fifo;     /* task slots in flight, oldest first */
	uint32_t fifo_cap, fifo_head, fifo_len;
	int64_t started_at;
	bool ready;         /* answered, read its stdin, or wrote the --ready line */
	int64_t ready_at;
	int64_t first_given; /* when it was first given a task, or 0 */
	int64_t check_at;   /* next look at whether a starting worker reads */
	uint64_t sent;      /* bytes written into its stdin */
	uint64_t enqueued;  /* bytes of tasks given to it: sent, and waiting in out */
	int64_t read_to_at_close; /* worker_read_to when its stdin was closed */
	int peek_fd;        /* a read end of its stdin kept after that, or -1 */
	bool read_final;    /* it had exited then: read_to_at_close is all it read */
	bool closed_by_us;  /* its stdin was closed by us, every task written */
	bool skipped_answers; /* exited as if done, holding tasks it had read */
	struct seqvec epoch, last_epoch; /* answered since it last held nothing, and before */
	unsigned long stdin_ino; /* its stdin pipe, to see who reads it */
	bool close_pending; /* close its stdin once the queued bytes are out */
	unsigned generation; /* the pool's, when it started (SIGUSR2) */
	bool replaced;      /* closing to make way for a new worker (SIGUSR2) */
	int64_t latency_sum; /* of its answers, for its mean */
	/* silence.c */
	int64_t quiet_at;      /* next look at its silence, 0: from head_since */
	int64_t quiet_wait;    /* the interval between looks */
	int64_t starved_since; /* waiting for input without answering, since */
	unsigned min_depth;    /* depth it is fed at least: it buffers its output */
	int64_t head_since; /* when the oldest task in flight became the oldest */
	int64_t idle_since; /* when the fifo last became empty */
	int64_t kill_at;    /* SIGKILL deadline while KILLING, else 0 */
	uint64_t answered;
	uint64_t assigned;
	uint64_t max_tasks; /* --max-tasks, jittered; 0: no limit */
	bool eof, reaped;
	bool discard;       /* broke the protocol: ignore what it writes */
	bool want_write;    /* waiting for its stdin pipe to drain */
	struct pace pace;   /* refills of that pipe while a long task goes in */
	int64_t refill_at;  /* a paced refill is due then; 0: none */
	bool topping_up;    /* took a task this dispatch round */
	int wstatus;
	int64_t reaped_at, eof_at, closed_at;
	bool lingering_noted; /* said it has not exited after its stdin closed */
	char fault_msg[96]; /* for FAULT_PROTOCOL */
	void *owner;        /* for callbacks: the pool */
	bool idle_noted;    /* "kept alive at min" was said for this idle spell */
	/* the pool's indexes (pool_impl.h), so that a turn costs what changed */
	unsigned at;             /* its place in the pool's array */
	struct loadidx_node ld;  /* in the index of takers, by tasks held */
	struct heap_node due;    /* its nearest deadline */
	bool touched;            /* its deadlines are to be looked at this turn */
	unsigned touched_at;     /* its place in the list of those */
	unsigned host;      /* its host among -S's (fleet.c); 0 without -S */
	struct fleet_member *member; /* fleet.c's, when it runs on another host:
				      * its stdin is then ssh's, not its own */
};

/* Start a worker. 0, or -1 with errno and e saying what failed. */
int worker_start(struct worker *w, const struct spawn_opts *o, unsigned slot, int64_t now,
		 struct spawn_error *e);
/* Release everything the worker owns (fds, buffers); the process must have
 * been reaped or be left to the OS. */
void worker_free(struct worker *w);

static inline bool worker_is_gone(const struct worker *w) { return w->eof && w->reaped; }
static inline bool worker_takes_tasks(const struct worker *w)
{
	return w->state == WORKER_RUNNING && w->to_fd >= 0 && w->from_fd >= 0 && !w->close_pending;
}

/* Note that it answered record seq; at the end of an epoch (it holds
 * nothing now) the epoch becomes the last one. 0 or -1 (out of memory). */
int worker_note_answer(struct worker *w, uint64_t seq);
/* How far it has read its stdin stream, in bytes (compare a task's
 * wire_end), or -1 when that cannot be told. */
int64_t worker_read_to(const struct worker *w);

/* The in-flight FIFO. push: 0 or -1 (out of memory). */
int worker_push(struct worker *w, uint32_t slot);
static inline uint32_t worker_head(const struct worker *w) { return w->fifo[w->fifo_head]; }
uint32_t worker_pop(struct worker *w);

/* Queue n bytes at p to be written from there, after everything queued
 * so far; what follows them goes into out. p must stay valid and unmoved
 * until they are written or the worker's stdin is closed. With fd >= 0
 * they are the bytes of that file at offset off, spliced from it (p is
 * read only where splicing is refused). 0 or -1 (out of memory). Whatever is queued, out holds bytes to write after it, so
 * out.len > 0 says whether anything is left to write. */
int worker_queue_ref(struct worker *w, const char *p, size_t n, int fd, off_t off);
/* Bytes queued and not yet written, refs included. */
uint64_t worker_unsent(const struct worker *w);
/* Write queued task bytes. 1 when all are out, 0 when the pipe is full,
 * -1 with errno on error (EPIPE: the worker closed its stdin). */
int worker_flush(struct worker *w);
/* Read what the worker wrote into w->in. Returns bytes read, 0 at EOF,
 * -1 with errno (EAGAIN: nothing now). */
ssize_t worker_read(struct worker *w);
/* Close the worker's stdin: ours, so a protocol-following worker exits;
 * or not (it went away: EPIPE). */
void worker_close_input(struct worker *w, bool ours);
/* Whether it has read any of the bytes written to its stdin: 1 yes, 0 no,
 * -1 cannot tell (its stdin is closed, or the system does not say). */
int worker_has_read(const struct worker *w);
/* Whether it (or a child of a wrapper) waits in read(2) on its stdin, now
 * that it has read everything written: 1 yes, 0 no, -1 cannot tell. */
int worker_waits_for_input(const struct worker *w);
/* Signal the worker's process group. */
void worker_signal(struct worker *w, int sig);
/* Describe how it ended ("exited with status 3", "killed by signal
 * SIGSEGV") into dst. */
void worker_describe_exit(const struct worker *w, char *dst, size_t len);

#endif

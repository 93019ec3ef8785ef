/* tasks: the window of tasks read but not yet finished, in a fixed table of
 * slots, with the FIFO of tasks waiting for a worker and, with -k, the ring
 * that puts finished tasks back in input order. Pure: no I/O.
 *
 * The table's size bounds memory whatever the input length: when no slot is
 * free (or, with -k, when the oldest unfinished task is a window behind) the
 * pool stops reading input. Free slots form a stack, so a run that keeps few
 * tasks in flight touches few slots. */
#ifndef PROCPOOL_TASKS_H
#define PROCPOOL_TASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define TASK_NONE UINT32_MAX

enum task_state { TASK_FREE, TASK_QUEUED, TASK_RUNNING, TASK_HELD };

struct task {
	uint64_t seq;     /* record number, from 1 */
	int64_t t_read;   /* monotonic ns when read */
	int64_t t_sent;   /* monotonic ns when given to a worker */
	struct buf in;    /* the record as read */
	struct buf out;   /* with -k, an answer waiting for its turn */
	int64_t run_ns;   /* dispatch to answer, kept for the joblog row */
	uint64_t wire_end; /* where its bytes end in its worker's stdin stream */
	uint32_t wire_len; /* bytes given to the worker, for the joblog row */
	int32_t pid;      /* worker that ran it last */
	uint32_t slot;    /* that worker's slot */
	uint32_t host;    /* and its host (-S) */
	uint32_t tries;   /* attempts that ended with the worker's death */
	int32_t avoid_pid; /* it failed on this worker: run it again elsewhere */
	enum task_state state;
	/* A failure, once it has ended so: out holds the cause (--json shows
	 * it, in the task's turn with -k). */
	bool failed;
	int16_t exitval;  /* the joblog's Exitval and Signal */
	uint8_t signal;
	/* The joblog's Outcome, a static string: "timeout", "protocol", ...;
	 * "exit" and "signal" are written with the status or the signal's
	 * name ("exit 3", "signal SIGSEGV"). A pointer, not the text: every
	 * slot of the window holds one. */
	const char *outcome;
};

/* Marks in the order ring besides slot numbers. */
#define ORDER_EMPTY UINT32_MAX      /* not finished */
#define ORDER_SKIP (UINT32_MAX - 1) /* finished with nothing to write */

struct tasks {
	struct task *t;
	uint32_t cap;
	uint32_t *free_slots;
	uint32_t nfree;
	uint32_t *queue; /* ring of slots waiting for a worker */
	uint32_t qhead, qlen;
	uint32_t *order; /* -k only: ring indexed by seq % cap */
	uint64_t order_next; /* next seq to write with -k */
};

int tasks_init(struct tasks *ts, uint32_t cap, bool ordered);
void tasks_free(struct tasks *ts);

/* Whether a task with this seq may enter the window now. */
bool tasks_have_room(const struct tasks *ts, uint64_t seq);
/* Take a free slot for seq (tasks_have_room must hold). */
uint32_t tasks_take(struct tasks *ts, uint64_t seq);
/* Give a slot back; its buffers keep small capacity for reuse. */
void tasks_give_back(struct tasks *ts, uint32_t slot);
static inline uint32_t tasks_live(const struct tasks *ts) { return ts->cap - ts->nfree; }

void tasks_enqueue(struct tasks *ts, uint32_t slot);
void tasks_enqueue_front(struct tasks *ts, uint32_t slot);
/* The oldest waiting slot, left in the queue; TASK_NONE when empty. */
static inline uint32_t tasks_peek(const struct tasks *ts)
{
	return ts->qlen ? ts->queue[ts->qhead] : TASK_NONE;
}
/* Swap the two oldest waiting slots (qlen >= 2). */
static inline void tasks_swap_front(struct tasks *ts)
{
	uint32_t next = (ts->qhead + 1) % ts->cap, a = ts->queue[ts->qhead];
	ts->queue[ts->qhead] = ts->queue[next];
	ts->queue[next] = a;
}
/* Oldest waiting slot, or TASK_NONE. */
uint32_t tasks_dequeue(struct tasks *ts);

/* -k: record that seq finished; mark is its slot (answer held) or
 * ORDER_SKIP. */
void tasks_order_mark(struct tasks *ts, uint64_t seq, uint32_t mark);
/* -k: the mark of the next seq to write, ORDER_EMPTY while it runs. */
static inline uint32_t tasks_order_peek(const struct tasks *ts)
{
	return ts->order[ts->order_next % ts->cap];
}
/* -k: the next seq was written; move on. */
void tasks_order_advance(struct tasks *ts);

#endif

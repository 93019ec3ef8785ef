/* pool_impl: the pool's own state, shared by the modules that make up the
 * pool and by nothing else. Each module owns one set of rules and the
 * fields that serve them:
 *
 *   pool.c       the conductor: set-up, the loop turn, input into the window
 *   dispatch.c   tasks to workers: who takes what, depth, batching, scaling
 *   answers.c    a worker's output split into answers, each checked
 *   outcome.c    how a task ends: result written (in order), failed, not run
 *   lifecycle.c  a worker's life: start, retire, stop, reap, its deadlines
 *   fault.c      why a worker's tasks failed; requeueing; the crash-loop rule
 *   stop.c       the stop sequence after a signal, --halt or a fatal error
 *   sink.c       results out to stdout without blocking; back-pressure
 *   silence.c    a worker that holds tasks and says nothing: buffering, or
 *                skipping answers; feeding it, flushing it, telling the user
 *   autojobs.c   -j auto: the pool's size from its measured throughput
 *   fleet.c      hosts as members of the pool (-S): where a worker starts,
 *                remote workers' start markers, hosts that fail as a unit
 *
 * Invariants:
 * - Every record read is in exactly one place: a free-standing failure or
 *   skip (reported at once), the wait queue, a worker's in-flight FIFO, or
 *   held for -k; and it leaves through exactly one of: written, reported
 *   failed, skipped by --resume, or counted as not run after a stop.
 * - p->running counts the workers in WORKER_RUNNING; p->w holds every worker
 *   not yet gone (running, closing or being killed).
 * - Answers match tasks by position: the head of a worker's FIFO owns the
 *   next answer line it writes. */
#ifndef PROCPOOL_POOL_IMPL_H
#define PROCPOOL_POOL_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "input.h"
#include "joblog.h"
#include "output.h"
#include "pool.h"
#include "sig.h"
#include "slot.h"
#include "spawn.h"
#include "sizer.h"
#include "stats.h"
#include "tasks.h"
#include "util.h"
#include "worker.h"

#define WINDOW 4096                  /* task slots: the most tasks read ahead, */
#define WINDOW_PER_JOB 8             /* or this many per worker when more */
#define HOLD_BYTES (16u << 20)       /* stop reading while tasks hold this much, */
#define HOLD_BYTES_MAPPED (4u << 20) /* (from a mapped file, this much), */
#define HOLD_BYTES_MAX (512u << 20)  /* or, with records larger, at most this */
#define LOOP_POLL_MAX 32             /* watches (2 a worker) poll serves best */

enum stop { STOP_NONE, STOP_SOON, STOP_NOW };

struct pool {
	const struct config *c;
	struct stats *st;
	struct loop *loop;
	int64_t now, mono0, wall0;

	/* input: pool.c */
	struct input in;
	int in_watch;
	bool in_done;
	uint64_t seq; /* records read */
	struct buf scratch;
	struct seqset skip;

	/* the window: outcome.c */
	struct tasks ts;
	unsigned window; /* its task slots */
	size_t held; /* bytes held by live tasks */

	/* workers: lifecycle.c */
	struct spawn_opts so;
	struct worker **w;
	unsigned nw, wcap;
	unsigned running;
	bool answered_ever; /* some worker of COMMAND has answered */
	unsigned generation; /* SIGUSR2: workers of an older one are replaced */
	unsigned replacing;  /* replaced workers not yet gone */
	struct slots slots;
	bool inputs_closed;  /* life_close_inputs has closed every worker */
	bool restarting;     /* SIGUSR2: workers of an older generation remain */
	/* Deadlines cost what is due or changed, not -j: the nearest of each
	 * worker in a heap, and the workers whose state changed this turn
	 * (life_touch) looked at again. */
	struct heap deadlines;
	struct worker **touched;
	unsigned ntouched, tcap;
	struct fleet *fleet; /* -S: the hosts (fleet.c); NULL without */

	/* dispatch.c: the workers that may take tasks, by tasks held, so that
	 * the least loaded is found without a scan; those given tasks in this
	 * dispatch round */
	unsigned depth;
	int64_t svc_ns; /* estimated service time of one task */
	struct loadidx takers;
	struct worker **given;
	unsigned ngiven;
	unsigned fed;        /* workers fed past the depth (silence.c) */
	struct sizer sizer;  /* -j auto: autojobs.c */
	unsigned want_write; /* workers waiting for their stdin pipe to drain */

	/* output: sink.c, outcome.c */
	struct output out;
	int out_watch;
	int64_t out_since;    /* when unflushed results began to wait, or 0 */
	int64_t out_moved_at; /* when stdout last took bytes */
	bool out_given_up;    /* stopping, and the reader took nothing for long */
	struct joblog *jl;

	/* fault.c, silence.c */
	unsigned crash_streak;
	bool hinted;         /* the buffering hint was given */
	bool oneshot_hinted; /* the one-shot command hint was given */

	/* stop.c */
	enum stop stop;
	int64_t stop_at; /* a stopping run stops its workers then, or 0 */

	struct progress prog;
	int sig_watch;
	struct pool_result r;
};

/* dispatch.c */
void dispatch(struct pool *p);
void dispatch_flush(struct pool *p, struct worker *w);
/* w read from its full pipe: true when the refill waits (pace.h), then
 * dispatch_refill() at w->refill_at; false: flush now. */
bool dispatch_paced(struct pool *p, struct worker *w);
void dispatch_refill(struct pool *p, struct worker *w);
void dispatch_scale(struct pool *p);
void dispatch_learn(struct pool *p, int64_t per_task);
/* w's state changed: its place in the index of takers. */
void dispatch_reindex(struct pool *p, struct worker *w);
void dispatch_forget(struct pool *p, struct worker *w);
/* The index of takers: 0, or -1 when out of memory; and its release. */
int dispatch_init(struct pool *p);
void dispatch_fini(struct pool *p);
int64_t dispatch_nap_ns(const struct pool *p);

/* answers.c */
void answers_take(struct pool *p, struct worker *w);

/* outcome.c */
void outcome_report(uint64_t seq, const char *rec, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void outcome_ok(struct pool *p, uint32_t slot, const char *ans, size_t len);
/* exitval, sig: the joblog's Exitval and Signal of the failure. */
void outcome_failed(struct pool *p, uint32_t slot, const char *outcome, int exitval, int sig,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A task failed on worker w (cause said once): true when it is to run
 * again (the caller queues it; it avoids w), false when it has used its
 * --retries (the caller fails it). */
bool outcome_try_again(struct pool *p, uint32_t slot, const struct worker *w, const char *cause);
void outcome_skipped(struct pool *p, uint64_t seq);
/* Whether the window can take no more input now: its task slots, or its
 * bytes (HOLD_BYTES, with room for a record a worker). */
bool outcome_window_full(const struct pool *p);
void outcome_not_run(struct pool *p, uint32_t slot);
int64_t outcome_wall(const struct pool *p, int64_t mono);
/* The results in v, already written, may belong to other records: say so,
 * mark them in the joblog, and count them as failures. */
void outcome_suspects(struct pool *p, const struct worker *w, const struct seqvec *v,
		      const char *what);

/* lifecycle.c */
struct worker *life_start(struct pool *p);
void life_retire(struct pool *p, struct worker *w);
void life_kill(struct pool *p, struct worker *w, int sig);
void life_reap(struct pool *p);
void life_ready(struct pool *p, struct worker *w, const char *how);
void life_close_if_pending(struct pool *p, struct worker *w);
void life_close_inputs(struct pool *p);
void life_restart_all(struct pool *p);
void life_restart_step(struct pool *p);
int64_t life_timers(struct pool *p);
/* Release the deadline heap and the list of touched workers. */
void life_fini(struct pool *p);
/* w's state changed: look at its deadlines and its place in dispatch. */
void life_touch(struct pool *p, struct worker *w);

/* fault.c */
void fault_protocol(struct pool *p, struct worker *w, const char *what);
void fault_settle_held(struct pool *p, struct worker *w);
void fault_note_exit(struct pool *p, struct worker *w, bool unexpected, bool held);

/* pool.c */
void pool_input_finished(struct pool *p);

/* stop.c */
void stop_soon(struct pool *p);
void stop_now(struct pool *p);
void stop_check_halt(struct pool *p);
void stop_on_signal(struct pool *p, int sig);
int64_t stop_timers(struct pool *p);

/* sink.c */
void sink_init(struct pool *p, int out_fd);
int64_t sink_due(struct pool *p);
bool sink_backed_up(const struct pool *p);
bool sink_done(struct pool *p);
int64_t sink_deadline(const struct pool *p);
bool sink_failed(struct pool *p);
void sink_fini(struct pool *p);

/* The pool's clock: monotonic time, less the time spent stopped by job
 * control (^Z), so that a stop is not charged to --timeout, idle
 * retirement or a hint. p->now holds its value at the start of a turn. */
static inline int64_t pool_clock(void)
{
	return now_ns() - sig_paused_ns();
}

/* The earlier of two deadlines (-1: none). */
static inline int64_t earliest(int64_t a, int64_t b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

/* fleet.c: with -S only (p->fleet set), but fleet_init, fleet_fini,
 * fleet_timers and fleet_login, which take a pool without one. */
void fleet_init(struct pool *p);
void fleet_fini(struct pool *p);
/* The pool's cap: the sum of the hosts' caps. */
unsigned fleet_jobs(const struct pool *p);
/* Start w on the host that should take the next worker. 0, or -1 with
 * errno (EAGAIN: no host may take one now) and e as worker_start sets it. */
int fleet_spawn(struct pool *p, struct worker *w, struct spawn_error *e);
/* A remote worker's output: drop what came before its start marker. true
 * once past it (what is left in w->in is the worker's). */
bool fleet_past_marker(struct pool *p, struct worker *w);
void fleet_ready(struct pool *p, struct worker *w);
/* Signal a remote worker (ssh forwards none). */
void fleet_signal(struct pool *p, struct worker *w, int sig);
/* w is gone: its host's counts, slot and rules. true when the pool's rules
 * for a worker's exit (fault_note_exit) apply as well. */
bool fleet_worker_ended(struct pool *p, struct worker *w);
/* pid reaped with status is one of the fleet's own (an ssh master). */
bool fleet_reaped(struct pool *p, pid_t pid, int status);
/* Run the hosts' due timers; the next deadline, or -1. */
int64_t fleet_timers(struct pool *p, int64_t now);
/* Host number host, as the joblog's Host column names it (":" for this
 * machine, and without -S). */
const char *fleet_login(const struct pool *p, unsigned host);

/* The most workers alive at once: -j, or with -S the sum of the caps. */
static inline unsigned pool_jobs(const struct pool *p)
{
	return p->fleet ? fleet_jobs(p) : p->c->jobs;
}

/* silence.c */
int64_t silence_due(const struct pool *p, const struct worker *w);
void silence_check(struct pool *p, struct worker *w);
void silence_reset(struct worker *w);

#endif

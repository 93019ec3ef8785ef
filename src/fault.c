/* fault: why a worker's tasks failed and where they go next. The task a
 * gone worker was on counts an attempt; those queued behind it go back to
 * the front of the queue untouched; a worker that never became ready fails
 * none of its tasks (they go back whole).
 *
 * And the crash-loop rule, for a COMMAND that cannot work at all: CRASH_LOOP
 * workers in a row that died before they were ready (never read their stdin
 * nor answered), or that died at all while no worker of COMMAND has ever
 * answered, make procpool give up. Once COMMAND has shown it can answer, a
 * worker that dies on a task is that task's failure: any number of poison
 * inputs fail only themselves. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "advice.h"
#include "escape.h"
#include "joblog.h"
#include "log.h"
#include "pool_impl.h"
#include "util.h"

#define CRASH_LOOP 5 /* workers dead before answering, in a row */

void fault_protocol(struct pool *p, struct worker *w, const char *what)
{
	log_warn("worker %d broke the protocol: %s; stopping it", (int)w->pid, what);
	w->fault = FAULT_PROTOCOL;
	snprintf(w->fault_msg, sizeof w->fault_msg, "worker %d %s", (int)w->pid, what);
	w->discard = true;
	life_kill(p, w, SIGTERM);
}

/* The tasks w held from position first on go back to the front of the
 * queue, in order (or are not run, when stopping). */
static void requeue_from(struct pool *p, struct worker *w, uint32_t first)
{
	for (uint32_t i = w->fifo_len; i-- > first;) {
		uint32_t slot = w->fifo[(w->fifo_head + i) % w->fifo_cap];
		if (p->stop)
			outcome_not_run(p, slot);
		else
			tasks_enqueue_front(&p->ts, slot);
	}
	w->fifo_len = first;
}

/* Why a gone worker's tasks failed: the report's cause, and the joblog's
 * Outcome and Exitval. */
struct why {
	char cause[160];
	const char *outcome; /* see struct task */
	int exitval;
};

/* A task w held counts an attempt: it is to run again (the caller queues
 * it), or it fails. */
static void charge(struct pool *p, struct worker *w, uint32_t slot, const struct why *why)
{
	if (outcome_try_again(p, slot, w, why->cause))
		return;
	int sig = WIFSIGNALED(w->wstatus) ? WTERMSIG(w->wstatus) : 0;
	outcome_failed(p, slot, why->outcome, why->exitval, sig, "%s", why->cause);
}

/* How many of the tasks w holds, from the oldest, it had read from its
 * stdin: those it may have been working on. The oldest when unsure. */
static uint32_t tasks_read(const struct pool *p, const struct worker *w)
{
	/* A remote worker's stdin is ssh's, which reads all it is sent. */
	int64_t to = w->member ? -1 : worker_read_to(w);
	if (to < 0)
		return 1;
	uint32_t n = 0;
	while (n < w->fifo_len &&
	       (int64_t)p->ts.t[w->fifo[(w->fifo_head + n) % w->fifo_cap]].wire_end <= to)
		n++;
	return n;
}

static bool exited_cleanly(const struct worker *w)
{
	return w->reaped && WIFEXITED(w->wstatus) && WEXITSTATUS(w->wstatus) == 0;
}

static void requeue_held(struct pool *p, struct worker *w, const struct why *why)
{
	if (!w->ready || (w->state == WORKER_KILLING && w->fault == FAULT_NONE)) {
		/* It never started, or we stopped it: no task is at fault. */
		requeue_from(p, w, 0);
		return;
	}
	/* A timeout or a protocol violation is the oldest task's; a death is
	 * of a task it had read, and when it read none, none is at fault. */
	uint32_t nread = w->fault == FAULT_NONE ? tasks_read(p, w) : 1;
	uint32_t charged = nread ? 1 : 0;
	if (w->fault == FAULT_NONE && exited_cleanly(w) && nread) {
		/* It read them, wrote nothing for them and left as if done: it
		 * skips answers, so its last ones may belong to other tasks. */
		outcome_suspects(p, w, &w->epoch, "exited with status 0 without answering tasks it had read");
		w->skipped_answers = true;
		charged = nread;
	}
	requeue_from(p, w, charged);
	for (uint32_t i = 0; i < charged; i++)
		charge(p, w, w->fifo[(w->fifo_head + i) % w->fifo_cap], why);
	/* Those to run again are still running (a failed one is released):
	 * from the last, so that the queue keeps their order. */
	for (uint32_t i = charged; i-- > 0;) {
		uint32_t slot = w->fifo[(w->fifo_head + i) % w->fifo_cap];
		if (p->ts.t[slot].state == TASK_RUNNING)
			tasks_enqueue_front(&p->ts, slot);
	}
	w->fifo_len = 0;
}

/* Why w's tasks failed. */
static void describe(const struct pool *p, const struct worker *w, struct why *why)
{
	char how[64], dur[32];
	worker_describe_exit(w, how, sizeof how);
	why->exitval = JOBLOG_EXIT_PROCPOOL; /* protocol */
	if (w->fault == FAULT_TIMEOUT) {
		format_duration(dur, sizeof dur, p->c->timeout);
		snprintf(why->cause, sizeof why->cause, "timed out after %s (worker %d %s)", dur,
			 (int)w->pid, how);
		why->outcome = "timeout";
		why->exitval = JOBLOG_EXIT_TIMEOUT;
	} else if (w->fault == FAULT_PROTOCOL) {
		snprintf(why->cause, sizeof why->cause, "%s", w->fault_msg);
		why->outcome = "protocol";
	} else if (WIFSIGNALED(w->wstatus)) {
		snprintf(why->cause, sizeof why->cause, "worker %d %s", (int)w->pid, how);
		why->outcome = "signal";
		why->exitval = JOBLOG_EXIT_SIGNALED(WTERMSIG(w->wstatus));
	} else if (WEXITSTATUS(w->wstatus) == 0) {
		snprintf(why->cause, sizeof why->cause,
			 "worker %d exited with status 0 without answering", (int)w->pid);
		why->outcome = "protocol";
	} else {
		snprintf(why->cause, sizeof why->cause, "worker %d %s", (int)w->pid, how);
		why->outcome = "exit";
		why->exitval = WEXITSTATUS(w->wstatus);
	}
}

/* A gone worker still held tasks: settle each. */
void fault_settle_held(struct pool *p, struct worker *w)
{
	struct why why;
	describe(p, w, &why);
	requeue_held(p, w, &why);
}

/* A worker of a command that runs once per task (echo, a script that does
 * not loop) answers once and exits with its stdin still open. */
static void note_oneshot(struct pool *p, const struct worker *w)
{
	if (p->oneshot_hinted || p->c->no_hints || p->c->max_tasks == 1)
		return;
	p->oneshot_hinted = true;
	struct advice a;
	advice_for(p->c->argv, &a);
	char prog[ESCAPE_SIZE(sizeof a.program)];
	escape_text(prog, sizeof a.program, a.program, strlen(a.program));
	log_warn("worker %d (%s) exited right after its first answer, with its stdin still open: "
		 "%s looks like a command that runs once per task, not a worker; run it with "
		 "--max-tasks 1 for a process per task (--no-hints silences this)",
		 (int)w->pid, prog, prog);
}

/* A worker that fails as it exits, holding no task: every task it took was
 * answered, yet its exit says something went wrong. */
static void note_bad_exit(struct pool *p, const struct worker *w, bool unexpected)
{
	char how[64];
	worker_describe_exit(w, how, sizeof how);
	if (unexpected)
		log_warn("worker %d %s while it held no task, having answered all %llu of its tasks",
			 (int)w->pid, how, (unsigned long long)w->answered);
	else
		log_warn("worker %d %s after its stdin was closed, having answered all %llu of its "
			 "tasks", (int)w->pid, how, (unsigned long long)w->answered);
	p->st->bad_exits++;
}

/* One more worker that died before it could work; CRASH_LOOP in a row
 * end the run. */
static void note_crash(struct pool *p, const struct worker *w)
{
	p->crash_streak++;
	if (p->crash_streak < CRASH_LOOP || p->r.fatal)
		return;
	char how[96];
	if (w->fault == FAULT_START)
		snprintf(how, sizeof how, "not ready after --start-timeout");
	else
		worker_describe_exit(w, how, sizeof how);
	char name[ESCAPE_SIZE(ESCAPE_NAME)];
	log_warn("'%s' keeps dying before answering (%u workers in a row, the last %s); giving up",
		 escape_name(name, p->c->argv[0]), p->crash_streak, how);
	int st = WIFEXITED(w->wstatus) ? WEXITSTATUS(w->wstatus) : 0;
	p->r.fatal = st == EXIT_NOEXEC || st == EXIT_NOTFOUND ? st : EXIT_FATAL;
	stop_now(p);
}

/* What a worker's exit says beyond its tasks: the crash-loop rule, a
 * failure at exit, a one-shot command. */
void fault_note_exit(struct pool *p, struct worker *w, bool unexpected, bool held)
{
	bool start_failed = !w->ready && (unexpected || w->fault == FAULT_START);
	if (start_failed || (unexpected && !p->answered_ever)) {
		note_crash(p, w);
		return;
	}
	bool ours = w->state == WORKER_KILLING || w->fault != FAULT_NONE;
	if (!w->ready || ours)
		return;
	if (unexpected && exited_cleanly(w) && w->answered == 1 && !w->skipped_answers)
		note_oneshot(p, w);
	else if (!held && !exited_cleanly(w))
		note_bad_exit(p, w, unexpected);
}

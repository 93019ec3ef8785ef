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
#include <sys/wait.h>

#include "escape.h"
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

static void requeue_held(struct pool *p, struct worker *w, const char *outcome, int exitval,
			 const char *cause)
{
	if (!w->ready) {
		requeue_from(p, w, 0); /* it never started: no task is at fault */
		return;
	}
	requeue_from(p, w, 1);
	uint32_t slot = worker_head(w);
	w->fifo_len = 0;
	struct task *t = &p->ts.t[slot];
	t->pid = (int32_t)w->pid;
	t->tries++;
	if (w->state == WORKER_KILLING && w->fault == FAULT_NONE) {
		outcome_not_run(p, slot); /* we stopped it: the task was not at fault */
	} else if (t->tries <= p->c->retries && !p->stop) {
		outcome_report(t->seq, buf_head(&t->in), t->in.len, "%s; retrying (attempt %u of %u)",
			       cause, t->tries + 1, p->c->retries + 1);
		p->st->retried++;
		tasks_enqueue_front(&p->ts, slot);
	} else {
		int sig = WIFSIGNALED(w->wstatus) ? WTERMSIG(w->wstatus) : 0;
		outcome_failed(p, slot, outcome, exitval, sig, "%s", cause);
	}
}

/* Why w's tasks failed, for the report and the joblog (its Outcome and
 * Exitval). */
static void describe(const struct pool *p, const struct worker *w, char *cause, size_t clen,
		     char *outcome, size_t olen, int *exitval)
{
	char how[64], dur[32];
	worker_describe_exit(w, how, sizeof how);
	*exitval = JOBLOG_EXIT_PROCPOOL; /* protocol */
	if (w->fault == FAULT_TIMEOUT) {
		format_duration(dur, sizeof dur, p->c->timeout);
		snprintf(cause, clen, "timed out after %s (worker %d %s)", dur, (int)w->pid, how);
		snprintf(outcome, olen, "timeout");
		*exitval = JOBLOG_EXIT_TIMEOUT;
	} else if (w->fault == FAULT_PROTOCOL) {
		snprintf(cause, clen, "%s", w->fault_msg);
		snprintf(outcome, olen, "protocol");
	} else if (WIFSIGNALED(w->wstatus)) {
		snprintf(cause, clen, "worker %d %s", (int)w->pid, how);
		snprintf(outcome, olen, "signal %s", signal_name(WTERMSIG(w->wstatus)));
		*exitval = JOBLOG_EXIT_SIGNALED(WTERMSIG(w->wstatus));
	} else if (WEXITSTATUS(w->wstatus) == 0) {
		snprintf(cause, clen, "worker %d exited with status 0 without answering",
			 (int)w->pid);
		snprintf(outcome, olen, "protocol");
	} else {
		snprintf(cause, clen, "worker %d %s", (int)w->pid, how);
		snprintf(outcome, olen, "exit %d", WEXITSTATUS(w->wstatus));
		*exitval = WEXITSTATUS(w->wstatus);
	}
}

/* A gone worker still held tasks: settle each. */
void fault_settle_held(struct pool *p, struct worker *w)
{
	char cause[160], outcome[48];
	int exitval;
	describe(p, w, cause, sizeof cause, outcome, sizeof outcome, &exitval);
	requeue_held(p, w, outcome, exitval, cause);
}

void fault_note_exit(struct pool *p, struct worker *w, bool unexpected)
{
	bool start_failed = !w->ready && (unexpected || w->fault == FAULT_START);
	if (!start_failed && (!unexpected || p->answered_ever))
		return;
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

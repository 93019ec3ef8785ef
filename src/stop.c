/* stop: ending a run early. A first SIGINT/SIGTERM/SIGHUP, --halt soon or
 * a joblog error stops taking tasks: input is no longer read, what waits in
 * the queue is not run, every worker's stdin is closed (as at the end of
 * input), and the tasks in flight get --stop-timeout to finish. Then, or on
 * a second signal, --halt now or a fatal error, the workers are stopped:
 * SIGTERM, and SIGKILL after --kill-grace. Tasks that did not finish are
 * counted as not run and get no joblog row, so --resume runs them again.
 * So procpool is gone within --stop-timeout + --kill-grace of the first
 * signal (plus --kill-grace for a reader of stdout that takes nothing). */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "pool_impl.h"
#include "util.h"

/* Take no new tasks: stop reading, and drop what waits in the queue. */
void stop_soon(struct pool *p)
{
	if (p->stop < STOP_SOON) {
		p->stop = STOP_SOON;
		if (p->c->stop_timeout)
			p->stop_at = p->now + p->c->stop_timeout;
	}
	pool_input_finished(p);
	uint32_t slot;
	while ((slot = tasks_dequeue(&p->ts)) != TASK_NONE)
		outcome_not_run(p, slot);
}

void stop_now(struct pool *p)
{
	stop_soon(p);
	p->stop = STOP_NOW;
	for (unsigned i = 0; i < p->nw; i++)
		if (p->w[i]->state != WORKER_KILLING)
			life_kill(p, p->w[i], SIGTERM);
}

void stop_check_halt(struct pool *p)
{
	const struct config *c = p->c;
	if (c->halt == HALT_NEVER || p->stop == STOP_NOW)
		return;
	uint64_t failed = p->st->failed + p->st->suspect;
	uint64_t ended = failed + p->st->ok;
	bool hit = c->halt_percent ? ended >= 10 && failed * 100 >= (uint64_t)c->halt_fail * ended
				   : failed >= c->halt_fail;
	if (!hit || (c->halt == HALT_SOON && p->stop))
		return;
	log_warn("halting after %llu failed tasks (--halt %s)", (unsigned long long)failed,
		 c->halt == HALT_NOW ? "now" : "soon");
	if (c->halt == HALT_NOW)
		stop_now(p);
	else
		stop_soon(p);
}

/* SIGINT, SIGTERM or SIGHUP: the first stops soon, a second at once. */
void stop_on_signal(struct pool *p, int sig)
{
	if (p->r.signal) {
		stop_now(p);
	} else {
		p->r.signal = sig;
		stop_soon(p);
	}
}

/* The stop's deadline for the tasks in flight: when it passes, stop the
 * workers. Returns the deadline, or -1. */
int64_t stop_timers(struct pool *p)
{
	if (p->stop != STOP_SOON || !p->stop_at)
		return -1;
	if (p->now < p->stop_at)
		return p->stop_at;
	unsigned busy = 0;
	for (unsigned i = 0; i < p->nw; i++)
		busy += p->w[i]->state != WORKER_KILLING;
	if (busy) {
		char dur[32];
		format_duration(dur, sizeof dur, p->c->stop_timeout);
		log_warn("stopping %u worker%s still busy %s after the stop began (--stop-timeout)",
			 busy, busy == 1 ? "" : "s", dur);
	}
	stop_now(p);
	return -1;
}

int pool_exit_status(const struct pool_result *r, const struct stats *st)
{
	if (r->fatal)
		return r->fatal;
	if (r->signal)
		return 128 + r->signal;
	/* Suspect results count as failed: they may be wrong. */
	uint64_t failed = st->failed + st->suspect;
	if (failed)
		return failed > 100 ? EXIT_FAILED_MAX : (int)failed;
	return st->bad_exits ? EXIT_WORKER_FAILED : 0;
}

/* stop: ending a run early. A first SIGINT/SIGTERM/SIGHUP, --halt soon or
 * a joblog error stops taking tasks and lets those in flight finish; a
 * second signal, --halt now or a fatal error stops the workers at once. */
#include <signal.h>

#include "log.h"
#include "pool_impl.h"

/* Take no new tasks: stop reading, and drop what waits in the queue. */
void stop_soon(struct pool *p)
{
	if (p->stop < STOP_SOON)
		p->stop = STOP_SOON;
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
	uint64_t failed = p->st->failed, ended = p->st->failed + p->st->ok;
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

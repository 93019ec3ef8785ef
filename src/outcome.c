/* outcome: how a task ends. An answered task becomes a result, written at
 * once or, with -k, held until its turn; a failed task is one line on
 * stderr and a joblog row; a task a stop left behind is counted as not run.
 * Every ending settles the record's place in the -k order. */
#include <stdarg.h>
#include <stdio.h>

#include "escape.h"
#include "log.h"
#include "pool_impl.h"
#include "util.h"

#define SHOWN_MAX 40 /* bytes of a record's start a message shows */

void outcome_report(uint64_t seq, const char *rec, size_t len, const char *fmt, ...)
{
	char cause[256], shown[ESCAPE_SIZE(SHOWN_MAX)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, sizeof cause, fmt, ap);
	va_end(ap);
	escape_text(shown, SHOWN_MAX, rec, len);
	log_warn("record %llu: %s; input '%s'", (unsigned long long)seq, cause, shown);
}

/* Wall-clock time of an instant of the pool's clock, for the joblog (time
 * spent stopped is added back: exact for instants since the last stop). */
int64_t outcome_wall(const struct pool *p, int64_t t)
{
	return p->wall0 + (t - p->mono0) + sig_paused_ns();
}

static void release(struct pool *p, uint32_t slot)
{
	struct task *t = &p->ts.t[slot];
	p->held -= t->in.len + t->out.len;
	tasks_give_back(&p->ts, slot);
}

/* The joblog row of a task given to a worker, ok so far. */
static struct joblog_entry task_row(const struct pool *p, const struct task *t)
{
	return (struct joblog_entry){.seq = t->seq, .host = JOBLOG_HOST_LOCAL,
				     .start_wall_ns = outcome_wall(p, t->t_sent),
				     .send = t->wire_len, .slot = t->slot, .attempts = t->tries + 1,
				     .outcome = "ok",
				     .input = buf_head(&t->in), .len = t->in.len};
}

static void write_result(struct pool *p, struct task *t, const char *ans, size_t len)
{
	if (output_result(&p->out, buf_head(&t->in), t->in.len, ans, len) < 0 && !p->stop)
		stop_now(p); /* the error itself is reported after the loop */
	if (p->jl) {
		struct joblog_entry e = task_row(p, t);
		e.run_ns = t->run_ns;
		e.receive = len + 1; /* the answer line, newline included */
		joblog_row(p->jl, p->out.queued, &e);
	}
}

/* -k: write every finished task whose turn has come. */
static void drain_order(struct pool *p)
{
	uint32_t m;
	while ((m = tasks_order_peek(&p->ts)) != ORDER_EMPTY) {
		if (m != ORDER_SKIP) {
			struct task *t = &p->ts.t[m];
			write_result(p, t, buf_head(&t->out), t->out.len);
			release(p, m);
		}
		tasks_order_advance(&p->ts);
	}
}

/* A record that will write nothing: failed, skipped or not run. */
static void settle_empty(struct pool *p, uint64_t seq)
{
	if (!p->ts.order)
		return;
	tasks_order_mark(&p->ts, seq, ORDER_SKIP);
	drain_order(p);
}

void outcome_ok(struct pool *p, uint32_t slot, const char *ans, size_t len)
{
	struct task *t = &p->ts.t[slot];
	p->st->ok++;
	if (!p->ts.order || t->seq == p->ts.order_next) {
		write_result(p, t, ans, len);
		release(p, slot);
		if (p->ts.order) {
			tasks_order_advance(&p->ts);
			drain_order(p);
		}
		return;
	}
	if (buf_set(&t->out, ans, len) < 0)
		log_die(EXIT_FATAL, "out of memory holding a result");
	p->held += len;
	t->state = TASK_HELD;
	tasks_order_mark(&p->ts, t->seq, slot);
}

void outcome_failed(struct pool *p, uint32_t slot, const char *outcome, int exitval, int sig,
		    const char *fmt, ...)
{
	struct task *t = &p->ts.t[slot];
	char cause[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, sizeof cause, fmt, ap);
	va_end(ap);
	outcome_report(t->seq, buf_head(&t->in), t->in.len, "%s", cause);
	if (p->jl) {
		struct joblog_entry e = task_row(p, t);
		e.run_ns = p->now - t->t_sent;
		e.exitval = exitval;
		e.signal = sig;
		e.attempts = t->tries;
		e.outcome = outcome;
		joblog_row(p->jl, p->out.queued, &e);
	}
	uint64_t seq = t->seq;
	release(p, slot);
	p->st->failed++;
	settle_empty(p, seq);
	stop_check_halt(p);
}

void outcome_record_failed(struct pool *p, uint64_t seq, const char *rec, size_t len,
			   const char *outcome, const char *why)
{
	outcome_report(seq, rec, len, "%s", why);
	if (p->jl)
		joblog_row(p->jl, p->out.queued,
			   &(struct joblog_entry){.seq = seq, .host = JOBLOG_HOST_LOCAL,
						  .start_wall_ns = outcome_wall(p, p->now),
						  .exitval = JOBLOG_EXIT_PROCPOOL, .outcome = outcome,
						  .input = rec, .len = len});
	p->st->failed++;
	settle_empty(p, seq);
	stop_check_halt(p);
}

void outcome_skipped(struct pool *p, uint64_t seq)
{
	p->st->skipped++;
	settle_empty(p, seq);
}

void outcome_not_run(struct pool *p, uint32_t slot)
{
	uint64_t seq = p->ts.t[slot].seq;
	release(p, slot);
	p->st->not_run++;
	settle_empty(p, seq);
}

void outcome_suspects(struct pool *p, const struct worker *w, const struct seqvec *v,
		      const char *what)
{
	if (v->len == 0)
		return;
	uint64_t lo = v->v[0], hi = v->v[0];
	for (uint32_t i = 0; i < v->len; i++) {
		lo = v->v[i] < lo ? v->v[i] : lo;
		hi = v->v[i] > hi ? v->v[i] : hi;
		if (p->jl)
			joblog_row(p->jl, p->out.queued,
				   &(struct joblog_entry){.seq = v->v[i], .host = JOBLOG_HOST_LOCAL,
							  .start_wall_ns = outcome_wall(p, p->now),
							  .exitval = JOBLOG_EXIT_PROCPOOL,
							  .slot = w->slot, .attempts = 1,
							  .outcome = "suspect", .input = ""});
	}
	log_warn("worker %d %s: the %u results it wrote since it last held no task "
		 "(records %llu-%llu) may belong to other records",
		 (int)w->pid, what, v->len, (unsigned long long)lo, (unsigned long long)hi);
	p->st->ok -= v->len;
	p->st->suspect += v->len;
	stop_check_halt(p);
}

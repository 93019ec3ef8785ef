/* outcome: how a task ends. An answered task becomes a result, a failed
 * one a line on stderr; either is written (as a result, or with --json as
 * an object) at once or, with -k, held until its turn, then gets its joblog
 * row, which follows the output it vouches for. A task a stop left behind
 * is counted as not run. Every ending settles the record's place in the -k
 * order. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "log.h"
#include "pool_impl.h"
#include "util.h"

#define SHOWN_MAX 40 /* bytes of a record shown in a message */

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
	input_recycle(&p->in, &t->in);
	tasks_give_back(&p->ts, slot);
}

/* Where t ran (-S), or ":" (here, or nowhere: a record that failed unrun). */
static const char *host_of(const struct pool *p, const struct task *t)
{
	return t->pid ? fleet_login(p, t->host) : JOBLOG_HOST_LOCAL;
}

/* A failed task's Outcome for the joblog (see struct task), in b if it
 * needs writing out. */
static const char *outcome_text(const struct task *t, char *b, size_t n)
{
	if (!strcmp(t->outcome, "exit"))
		snprintf(b, n, "exit %d", t->exitval);
	else if (!strcmp(t->outcome, "signal"))
		snprintf(b, n, "signal %s", signal_name(t->signal));
	else
		return t->outcome;
	return b;
}

/* Write t's ending: data is its answer (wire form), or the cause of its
 * failure. Then its joblog row, which vouches for what was just written. */
static void emit(struct pool *p, struct task *t, const char *data, size_t len)
{
	int r = 0;
	if (p->c->json)
		r = output_json_result(&p->out, &(struct result_fields){
			.seq = t->seq, .rec = buf_head(&t->in), .rlen = t->in.len,
			.ans = t->failed ? NULL : data, .alen = t->failed ? 0 : len,
			.error = t->failed ? data : NULL, .elen = t->failed ? len : 0,
			.attempts = t->tries + !t->failed,
			.slot = t->slot, .pid = t->pid, .start_ns = outcome_wall(p, t->t_sent),
			.run_ns = t->run_ns, .host = host_of(p, t)});
	else if (!t->failed)
		r = output_result(&p->out, buf_head(&t->in), t->in.len, data, len);
	if (r < 0 && !p->stop)
		stop_now(p); /* the error itself is reported after the loop */
	if (!p->jl)
		return;
	char text[48];
	struct joblog_entry e = {.seq = t->seq, .host = host_of(p, t),
				 .start_wall_ns = outcome_wall(p, t->t_sent), .run_ns = t->run_ns,
				 .send = t->wire_len, .slot = t->slot, .attempts = t->tries + 1,
				 .outcome = "ok", .input = buf_head(&t->in), .len = t->in.len};
	if (t->failed) {
		e.attempts = t->tries;
		e.exitval = t->exitval;
		e.signal = t->signal;
		e.outcome = outcome_text(t, text, sizeof text);
	} else {
		e.receive = len + 1; /* the answer line, newline included */
	}
	joblog_row(p->jl, p->out.queued, &e);
}

/* -k: write every ended task whose turn has come. */
static void drain_order(struct pool *p)
{
	uint32_t m;
	while ((m = tasks_order_peek(&p->ts)) != ORDER_EMPTY) {
		if (m != ORDER_SKIP) {
			struct task *t = &p->ts.t[m];
			emit(p, t, buf_head(&t->out), t->out.len);
			release(p, m);
		}
		tasks_order_advance(&p->ts);
	}
}

/* A record that will write nothing: skipped or not run (or failed, but
 * for --json). */
static void settle_empty(struct pool *p, uint64_t seq)
{
	if (!p->ts.order)
		return;
	tasks_order_mark(&p->ts, seq, ORDER_SKIP);
	drain_order(p);
}

/* t has ended: write it now, or with -k hold it (data copied) for its
 * turn. A failure without --json writes only its joblog row. */
static void end(struct pool *p, uint32_t slot, const char *data, size_t len)
{
	struct task *t = &p->ts.t[slot];
	bool in_turn = !p->ts.order || t->seq == p->ts.order_next;
	if (in_turn || (t->failed && !p->c->json)) {
		emit(p, t, data, len);
		uint64_t seq = t->seq;
		release(p, slot);
		if (!p->ts.order)
			return;
		if (in_turn) {
			tasks_order_advance(&p->ts);
			drain_order(p);
		} else {
			settle_empty(p, seq);
		}
		return;
	}
	if (buf_set(&t->out, data, len) < 0)
		log_die(EXIT_FATAL, "out of memory holding a result");
	p->held += len;
	t->state = TASK_HELD;
	tasks_order_mark(&p->ts, t->seq, slot);
}

void outcome_ok(struct pool *p, uint32_t slot, const char *ans, size_t len)
{
	p->st->ok++;
	if (p->st->nhosts)
		p->st->hosts[p->ts.t[slot].host].ok++;
	p->ts.t[slot].failed = false;
	end(p, slot, ans, len);
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
	t->failed = true;
	t->exitval = (int16_t)exitval;
	t->signal = (uint8_t)sig;
	t->outcome = outcome;
	if (t->state == TASK_RUNNING)
		t->run_ns = p->now - t->t_sent;
	p->st->failed++;
	if (p->st->nhosts && t->pid)
		p->st->hosts[t->host].failed++;
	end(p, slot, cause, strlen(cause));
	stop_check_halt(p);
}

bool outcome_try_again(struct pool *p, uint32_t slot, const struct worker *w, const char *cause)
{
	struct task *t = &p->ts.t[slot];
	t->tries++;
	if (t->tries > p->c->retries || p->stop)
		return false;
	outcome_report(t->seq, buf_head(&t->in), t->in.len, "%s; retrying (attempt %u of %u)",
		       cause, t->tries + 1, p->c->retries + 1);
	p->st->retried++;
	t->avoid_pid = (int32_t)w->pid;
	return true;
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
	uint64_t lo = v->r[0].first, hi = lo;
	for (uint32_t i = 0; i < v->nruns; i++) {
		const struct seqrun *r = &v->r[i];
		lo = r->first < lo ? r->first : lo;
		hi = r->first + r->len - 1 > hi ? r->first + r->len - 1 : hi;
		for (uint64_t seq = r->first; p->jl && seq < r->first + r->len; seq++)
			joblog_row(p->jl, p->out.queued,
				   &(struct joblog_entry){.seq = seq, .host = fleet_login(p, w->host),
							  .start_wall_ns = outcome_wall(p, p->now),
							  .exitval = JOBLOG_EXIT_PROCPOOL,
							  .slot = w->slot, .attempts = 1,
							  .outcome = "suspect", .input = ""});
	}
	log_warn("worker %d %s: the %llu results it wrote since it last held no task "
		 "(records %llu-%llu) may belong to other records",
		 (int)w->pid, what, (unsigned long long)v->len, (unsigned long long)lo,
		 (unsigned long long)hi);
	p->st->ok -= v->len;
	p->st->suspect += v->len;
	stop_check_halt(p);
}

/* The window is full at its task count, or at HOLD_BYTES of task bytes
 * once it holds a record for every worker and one more: records larger
 * than HOLD_BYTES / jobs still keep every worker busy, up to
 * HOLD_BYTES_MAX (plus the record that crosses it). Reading a pipe ahead
 * lets its writer run on; reading a mapped file ahead only scans pages the
 * page cache holds already, and pushes them out of the CPU's cache before
 * a worker reads them: so from a mapped file the bound is HOLD_BYTES_MAPPED. */
bool outcome_window_full(const struct pool *p)
{
	if (!tasks_have_room(&p->ts, p->seq + 1))
		return true;
	size_t hold = input_mapped(&p->in) ? HOLD_BYTES_MAPPED : HOLD_BYTES;
	return p->held >= hold &&
	       (tasks_live(&p->ts) > pool_jobs(p) || p->held >= HOLD_BYTES_MAX);
}

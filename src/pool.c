/* pool: workers, dispatch, scaling, timeouts, failures, shutdown.
 *
 * Invariants:
 * - Every record read is in exactly one place: a free-standing failure or
 *   skip (reported at once), the wait queue, a worker's in-flight FIFO, or
 *   held for -k; and it leaves through exactly one of: written, reported
 *   failed, skipped by --resume, or counted as not run after a stop.
 * - p->running counts the workers in WORKER_RUNNING; p->w holds every worker
 *   not yet gone (running, closing or being killed).
 * - Answers match tasks by position: the head of a worker's FIFO owns the
 *   next answer line it writes.
 *
 * One loop turn: admit records into the window, dispatch, scale, flush,
 * sleep in poll until an fd is ready or the nearest deadline, then timers. */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "base64.h"
#include "input.h"
#include "joblog.h"
#include "log.h"
#include "loop.h"
#include "output.h"
#include "sig.h"
#include "stats.h"
#include "tasks.h"
#include "util.h"
#include "worker.h"

#define WINDOW 4096                  /* task slots: the most tasks read ahead */
#define HOLD_BYTES (16u << 20)       /* stop reading while tasks hold this much */
#define WORKER_PENDING (256u << 10)  /* encoded bytes queued for one worker */
#define DEPTH_MAX 1024
#define BATCH_NS (1 * NS_PER_MS)     /* auto depth: queue about this much work */
#define COALESCE_MIN_NS 100000       /* let answers pile up when workers hold this much */
#define CRASH_LOOP 5                 /* workers dead before answering, in a row */
#define HINT_AFTER_NS (3 * NS_PER_SEC)
#define ORPHAN_PIPE_NS NS_PER_SEC    /* reaped, but a grandchild holds its stdout */
#define FLUSH_DELAY_NS NS_PER_MS     /* longest a result waits for company */
#define EOF_GRACE_NS (250 * NS_PER_MS) /* stdout closed, yet not reaped */
#define LINGER_NOTE_NS (5 * NS_PER_SEC) /* stdin closed, yet not exited */

enum stop { STOP_NONE, STOP_SOON, STOP_NOW };

struct pool {
	const struct config *c;
	struct stats *st;
	struct loop *loop;
	struct spawn_opts so;
	struct input in;
	int in_watch;
	bool in_done;
	struct output out;
	struct tasks ts;
	size_t held; /* bytes held by live tasks */
	struct worker **w;
	unsigned nw, wcap;
	unsigned running;
	unsigned depth;
	int64_t svc_ns; /* estimated service time of one task */
	uint64_t seq;   /* records read */
	struct buf scratch;
	struct joblog *jl;
	struct seqset skip;
	struct progress prog;
	int sig_watch;
	enum stop stop;
	bool closing_all;
	unsigned crash_streak;
	bool hinted;
	int64_t now, mono0, wall0;
	int64_t out_since; /* when unflushed results began to wait, or 0 */
	struct pool_result r;
};

/* ---- reporting -------------------------------------------------------- */

/* The first bytes of a record, escaped for one line of stderr. */
static void shorten(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0, i;
	for (i = 0; i < n && o + 8 < cap && i < 40; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\n')
			o += (size_t)snprintf(dst + o, cap - o, "\\n");
		else if (ch == '\t')
			o += (size_t)snprintf(dst + o, cap - o, "\\t");
		else if (ch == '\\' || ch == '\'')
			o += (size_t)snprintf(dst + o, cap - o, "\\%c", ch);
		else if (ch < 32 || ch >= 127)
			o += (size_t)snprintf(dst + o, cap - o, "\\x%02x", ch);
		else
			dst[o++] = (char)ch;
	}
	if (i < n && o + 4 < cap)
		o += (size_t)snprintf(dst + o, cap - o, "...");
	dst[o] = '\0';
}

static void report(uint64_t seq, const char *rec, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(uint64_t seq, const char *rec, size_t len, const char *fmt, ...)
{
	char cause[256], shown[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, sizeof cause, fmt, ap);
	va_end(ap);
	shorten(shown, sizeof shown, rec, len);
	log_warn("record %llu: %s; input '%s'", (unsigned long long)seq, cause, shown);
}

static void check_halt(struct pool *p);
static void stop_now(struct pool *p);

/* ---- the order of results --------------------------------------------- */

static void release(struct pool *p, uint32_t slot)
{
	struct task *t = &p->ts.t[slot];
	p->held -= t->in.len + t->out.len;
	tasks_give_back(&p->ts, slot);
}

/* Wall-clock time of a monotonic instant, for the joblog. */
static int64_t wall_of(const struct pool *p, int64_t mono)
{
	return p->wall0 + (mono - p->mono0);
}

static void write_result(struct pool *p, struct task *t, const char *ans, size_t len)
{
	if (output_result(&p->out, buf_head(&t->in), t->in.len, ans, len) < 0 && !p->stop)
		stop_now(p); /* the error itself is reported after the loop */
	if (p->jl)
		joblog_row(p->jl, p->out.queued, t->seq, t->pid, wall_of(p, t->t_sent), t->run_ns,
			   t->tries + 1, "ok", buf_head(&t->in), t->in.len);
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

static void finish_ok(struct pool *p, uint32_t slot, const char *ans, size_t len)
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

/* A task failed for good: report it, log it, settle its place. */
static void fail_task(struct pool *p, uint32_t slot, const char *outcome, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail_task(struct pool *p, uint32_t slot, const char *outcome, const char *fmt, ...)
{
	struct task *t = &p->ts.t[slot];
	char cause[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, sizeof cause, fmt, ap);
	va_end(ap);
	report(t->seq, buf_head(&t->in), t->in.len, "%s", cause);
	if (p->jl)
		joblog_row(p->jl, p->out.queued, t->seq, t->pid, wall_of(p, t->t_sent),
			   p->now - t->t_sent, t->tries, outcome, buf_head(&t->in), t->in.len);
	uint64_t seq = t->seq;
	release(p, slot);
	p->st->failed++;
	settle_empty(p, seq);
	check_halt(p);
}

static void not_run(struct pool *p, uint32_t slot)
{
	uint64_t seq = p->ts.t[slot].seq;
	release(p, slot);
	p->st->not_run++;
	settle_empty(p, seq);
}

/* ---- input ------------------------------------------------------------ */

static void set_input_watch(struct pool *p, bool on)
{
	if (p->in_watch >= 0)
		loop_set(p->loop, p->in_watch, on ? POLLIN : 0);
}

static void input_finished(struct pool *p)
{
	p->in_done = true;
	if (p->in_watch >= 0) {
		loop_del(p->loop, p->in_watch);
		p->in_watch = -1;
	}
}

static void on_input(void *ctx, int fd, short revents)
{
	struct pool *p = ctx;
	(void)fd;
	(void)revents;
	if (input_fill(&p->in) < 0 && errno != EAGAIN) {
		/* EAGAIN: a non-blocking stdin someone shares; poll tells when. */
		log_warn("cannot read input: %s", strerror(errno));
		p->r.fatal = EXIT_FATAL;
		p->in.eof = true;
	}
}

/* Why a record cannot travel, or NULL. */
static const char *check_record(struct pool *p, const char *rec, size_t len)
{
	static char why[128];
	const char *raw = rec;
	size_t rawlen = len;

	if (p->c->base64_io) {
		size_t at;
		const char *bad = base64_check(rec, len, &at);
		if (bad) {
			snprintf(why, sizeof why, "invalid base64: %s (at byte %zu)", bad, at + 1);
			return why;
		}
		if (p->c->wire == WIRE_BASE64)
			return NULL;
		buf_trim(&p->scratch, 1 << 20);
		if (buf_reserve(&p->scratch, base64_decoded_max(len)) < 0)
			log_die(EXIT_FATAL, "out of memory");
		rawlen = (size_t)base64_decode(p->scratch.data, rec, len);
		raw = p->scratch.data;
	}
	if (p->c->wire == WIRE_LINE) {
		/* A newline-framed record cannot hold one: skip that scan. */
		bool framed_by_newline = !p->c->base64_io && p->c->sep == '\n';
		if (!framed_by_newline && memchr(raw, '\n', rawlen))
			return "task contains a newline, which the line wire cannot carry "
			       "(try -w base64)";
		if (memchr(raw, '\0', rawlen))
			return "task contains a NUL byte, which the line wire cannot carry "
			       "(try -w base64)";
	}
	return NULL;
}

static void fail_record(struct pool *p, uint64_t seq, const char *rec, size_t len,
			const char *outcome, const char *why)
{
	report(seq, rec, len, "%s", why);
	if (p->jl) {
		joblog_row(p->jl, p->out.queued, seq, 0, wall_of(p, p->now), 0, 0, outcome, rec, len);
	}
	p->st->failed++;
	settle_empty(p, seq);
	check_halt(p);
}

static void admit(struct pool *p, const char *rec, size_t len)
{
	uint64_t seq = ++p->seq;
	p->st->read++;
	if (p->skip.bits && seqset_has(&p->skip, seq)) {
			p->st->skipped++;
		settle_empty(p, seq);
		return;
	}
	const char *why = check_record(p, rec, len);
	if (why) {
		fail_record(p, seq, rec, len, "invalid", why);
		return;
	}
	uint32_t slot = tasks_take(&p->ts, seq);
	struct task *t = &p->ts.t[slot];
	if (buf_set(&t->in, rec, len) < 0)
		log_die(EXIT_FATAL, "out of memory holding record %llu", (unsigned long long)seq);
	p->held += len;
	t->t_read = p->now;
	t->pid = 0;
	tasks_enqueue(&p->ts, slot);
}

/* Move records from the input buffer into the window while it has room. */
static void feed(struct pool *p)
{
	while (!p->in_done) {
		if (!tasks_have_room(&p->ts, p->seq + 1) || p->held >= HOLD_BYTES) {
			set_input_watch(p, false);
			return;
		}
		const char *rec;
		size_t len;
		switch (input_next(&p->in, &rec, &len)) {
		case INPUT_RECORD:
			admit(p, rec, len);
			break;
		case INPUT_TOO_LONG:
					p->st->read++;
			fail_record(p, ++p->seq, rec, len, "toolong", "record longer than --max-record");
			break;
		case INPUT_NEED:
			set_input_watch(p, true);
			return;
		case INPUT_END:
			input_finished(p);
			return;
		}
	}
}

/* ---- workers ---------------------------------------------------------- */

static void on_worker_readable(void *ctx, int fd, short revents);
static void on_worker_writable(void *ctx, int fd, short revents);

/* A worker could not be set up or exec'd: that will not get better. */
static void fatal_spawn(struct pool *p, const struct spawn_error *e)
{
	const struct config *c = p->c;
	char value[32];
	if (e->step == SPAWN_EXEC) {
		log_warn("cannot run '%s': %s", c->argv[0], strerror(e->err));
		p->r.fatal = e->err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
	} else {
		const char *opt = e->step == SPAWN_NICE ? "--nice" : e->step == SPAWN_CPUS ? "--cpus"
				  : e->step == SPAWN_MEM_LIMIT ? "--mem-limit" : NULL;
		if (opt) {
			snprintf(value, sizeof value, "%s", e->step == SPAWN_CPUS ? c->cpus : "");
			log_warn("cannot apply %s%s%s to a worker: %s", opt, *value ? " " : "", value,
				 strerror(e->err));
			p->r.fatal = EXIT_USAGE;
		} else {
			log_warn("cannot set up a worker: %s", strerror(e->err));
			p->r.fatal = EXIT_FATAL;
		}
	}
	stop_now(p);
}

static struct worker *start_worker(struct pool *p)
{
	if (p->nw == p->wcap) {
		unsigned cap = p->wcap ? p->wcap * 2 : 8;
		struct worker **a = realloc(p->w, cap * sizeof *a);
		if (!a)
			return NULL;
		p->w = a;
		p->wcap = cap;
	}
	struct worker *w = malloc(sizeof *w);
	if (!w)
		return NULL;
	struct spawn_error e;
	if (worker_start(w, &p->so, p->now, &e) < 0) {
		int err = errno;
		free(w);
		if (e.step != SPAWN_OK)
			fatal_spawn(p, &e);
		else if (p->nw == 0)
			log_die(EXIT_FATAL, "cannot start a worker: %s", strerror(err));
		return NULL;
	}
	w->owner = p;
	w->from_watch = loop_add(p->loop, w->from_fd, POLLIN, on_worker_readable, w);
	w->to_watch = loop_add(p->loop, w->to_fd, 0, on_worker_writable, w);
	if (w->from_watch < 0 || w->to_watch < 0)
		log_die(EXIT_FATAL, "out of memory");
	p->w[p->nw++] = w;
	p->running++;
	p->st->started++;
	p->st->alive = p->running;
	if (p->nw > p->st->peak)
		p->st->peak = p->nw;
	log_event("worker %d started (%u alive)", (int)w->pid, p->running);
	return w;
}

/* Stop giving w tasks and close its stdin; it exits when done. */
static void retire(struct pool *p, struct worker *w)
{
	if (w->state == WORKER_RUNNING)
		p->running--;
	w->state = WORKER_CLOSING;
	w->closed_at = p->now;
	worker_close_input(w);
	if (w->to_watch >= 0) {
		loop_del(p->loop, w->to_watch);
		w->to_watch = -1;
	}
	p->st->alive = p->running;
}

static void kill_worker(struct pool *p, struct worker *w, int sig)
{
	retire(p, w);
	w->state = WORKER_KILLING;
	worker_signal(w, sig);
	w->kill_at = sig == SIGKILL ? -1 : p->now + p->c->kill_grace;
}

static void protocol_error(struct pool *p, struct worker *w, const char *what)
{
	log_warn("worker %d broke the protocol: %s; stopping it", (int)w->pid, what);
	w->fault = FAULT_PROTOCOL;
	snprintf(w->fault_msg, sizeof w->fault_msg, "worker %d %s", (int)w->pid, what);
	w->discard = true;
	kill_worker(p, w, SIGTERM);
}

/* Encode one task for w's stdin. */
static void encode_task(struct pool *p, struct worker *w, const struct task *t)
{
	const char *s = buf_head(&t->in);
	size_t n = t->in.len;
	struct buf *o = &w->out;
	if (buf_reserve(o, base64_encoded_len(n) + 1) < 0)
		log_die(EXIT_FATAL, "out of memory");
	if (p->c->base64_io == (p->c->wire == WIRE_BASE64)) {
		if (n)
			memcpy(buf_tail(o), s, n);
		o->len += n;
	} else if (p->c->wire == WIRE_BASE64) {
		base64_encode(buf_tail(o), s, n);
		o->len += base64_encoded_len(n);
	} else {
		o->len += (size_t)base64_decode(buf_tail(o), s, n);
	}
	*buf_tail(o) = '\n';
	o->len++;
}

static void give(struct pool *p, struct worker *w, uint32_t slot)
{
	struct task *t = &p->ts.t[slot];
	if (w->fifo_len == 0)
		w->head_since = p->now;
	if (worker_push(w, slot) < 0)
		log_die(EXIT_FATAL, "out of memory");
	encode_task(p, w, t);
	t->state = TASK_RUNNING;
	t->t_sent = p->now;
	hist_add(&p->st->wait, (uint64_t)(p->now - t->t_read));
}

/* Whether w may take another task this turn. A worker is topped up only
 * once it has worked off a quarter of its depth, so each write carries a
 * batch instead of one task per answer read. */
static bool can_take(const struct pool *p, const struct worker *w, bool topping_up)
{
	unsigned low = p->depth - p->depth / 4;
	if (!worker_takes_tasks(w) || w->fifo_len >= p->depth || w->out.len >= WORKER_PENDING)
		return false;
	if (p->c->max_tasks && w->assigned >= p->c->max_tasks)
		return false;
	return topping_up || w->fifo_len == 0 || w->fifo_len < low || p->depth <= 2;
}

static void flush_worker(struct pool *p, struct worker *w)
{
	int r = worker_flush(w);
	if (r < 0) {
		/* EPIPE: it closed its stdin, most likely dying. It takes
		 * nothing more but still counts as alive, and as running when
		 * it is reaped, until its answers or its exit settle what it
		 * holds. */
		worker_close_input(w);
		loop_del(p->loop, w->to_watch);
		w->to_watch = -1;
		return;
	}
	w->want_write = r == 0;
	if (w->to_watch >= 0)
		loop_set(p->loop, w->to_watch, w->want_write ? POLLOUT : 0);
}

/* Queue to workers: each task to the worker with the least in flight. */
static void dispatch(struct pool *p)
{
	while (p->ts.qlen > 0 && p->stop == STOP_NONE) {
		struct worker *best = NULL;
		for (unsigned i = 0; i < p->nw; i++) {
			struct worker *w = p->w[i];
			if (can_take(p, w, w->topping_up) && (!best || w->fifo_len < best->fifo_len))
				best = w;
		}
		if (!best)
			break;
		best->topping_up = true;
		give(p, best, tasks_dequeue(&p->ts));
	}
	for (unsigned i = 0; i < p->nw; i++)
		p->w[i]->topping_up = false;
	for (unsigned i = 0; i < p->nw; i++) {
		struct worker *w = p->w[i];
		if (w->out.len && !w->want_write && w->to_fd >= 0)
			flush_worker(p, w);
	}
}

/* Start workers while tasks wait that no worker can take, and keep --min
 * warm while input may still bring work. Workers still exiting count
 * against --jobs: it caps the processes alive at once. */
static void scale(struct pool *p)
{
	if (p->stop)
		return;
	bool work_may_come = !p->in_done || p->ts.qlen > 0;
	while (p->nw < p->c->jobs && !p->stop) {
		bool want = p->ts.qlen > 0 || (work_may_come && p->running < p->c->min);
		if (!want || !start_worker(p))
			return;
		dispatch(p);
	}
}

/* Auto depth: about BATCH_NS of work in flight per worker, plus the task it
 * is on. Tiny tasks get deep pipelines; a task of a millisecond or more gets
 * 1 or 2, so that load balances and -k never waits behind a long queue. */
static void update_depth(struct pool *p, int64_t per_task)
{
	if (p->c->depth)
		return;
	/* A short memory: a run ramps up from depth 1 in a few reads. */
	p->svc_ns = p->svc_ns ? (p->svc_ns + per_task) / 2 : per_task;
	int64_t d = 1 + (p->svc_ns > 0 ? BATCH_NS / p->svc_ns : DEPTH_MAX);
	unsigned cap = WINDOW / (2 * p->c->jobs);
	if (cap > DEPTH_MAX)
		cap = DEPTH_MAX;
	p->depth = d > (int64_t)cap ? (cap ? cap : 1) : (unsigned)d;
}

/* While every worker holds plenty of work, sleep a little before polling so
 * that answers pile up and are read, and tasks written, in batches: the
 * workers then write into a pipe nobody waits on, which costs them less.
 * Returns how long to wait, 0 when some worker is idle or nearly so. */
static int64_t coalesce_ns(const struct pool *p)
{
	if (p->c->depth || p->svc_ns <= 0 || p->running == 0)
		return 0;
	int64_t least = INT64_MAX;
	for (unsigned i = 0; i < p->nw; i++) {
		const struct worker *w = p->w[i];
		if (w->want_write)
			return 0; /* a worker drains its pipe faster than we nap */
		if (w->state != WORKER_RUNNING)
			continue;
		int64_t left = (int64_t)w->fifo_len * p->svc_ns;
		if (left < least)
			least = left;
	}
	if (least < 2 * COALESCE_MIN_NS)
		return 0;
	return least / 2 < NS_PER_MS ? least / 2 : NS_PER_MS;
}

static void on_answer(struct pool *p, struct worker *w, const char *line, size_t len)
{
	uint32_t slot = worker_pop(w);
	struct task *t = &p->ts.t[slot];
	t->pid = (int32_t)w->pid;
	t->run_ns = p->now - t->t_sent;
	hist_add(&p->st->latency, (uint64_t)t->run_ns);
	if (w->answered++ == 0)
		hist_add(&p->st->startup, (uint64_t)(p->now - w->started_at));
	if (w->fifo_len == 0) {
		w->idle_since = p->now;
		w->idle_noted = false;
	} else {
		w->head_since = p->now;
	}
	p->crash_streak = 0;
	finish_ok(p, slot, line, len);
}

/* A line w may not write: say so and stop w. */
static bool answer_is_bad(struct pool *p, struct worker *w, const char *line, size_t len)
{
	char what[96];
	const char *bad;
	if (w->fifo_len == 0)
		protocol_error(p, w, "wrote output while holding no task");
	else if (len > p->c->max_record)
		protocol_error(p, w, "wrote an answer longer than --max-record");
	else if (p->c->wire == WIRE_BASE64 && (bad = base64_check(line, len, NULL))) {
		snprintf(what, sizeof what, "answered invalid base64 (%s)", bad);
		protocol_error(p, w, what);
	} else
		return false;
	return true;
}

/* Split what w wrote into answer lines. */
static void take_answers(struct pool *p, struct worker *w)
{
	char *head = buf_head(&w->in), *s = head, *end = head + w->in.len, *nl;
	int64_t first_sent = w->fifo_len ? p->ts.t[worker_head(w)].t_sent : p->now;
	int64_t since = w->head_since > first_sent ? w->head_since : first_sent;
	bool warm = w->answered > 0; /* a first answer also carries start-up time */
	unsigned k = 0;

	while (!w->discard && (nl = memchr(s, '\n', (size_t)(end - s)))) {
		if (answer_is_bad(p, w, s, (size_t)(nl - s)))
			break; /* the task stays at the head and fails with the worker */
		on_answer(p, w, s, (size_t)(nl - s));
		s = nl + 1;
		k++;
	}
	if (w->discard) {
		buf_consume(&w->in, w->in.len);
		return;
	}
	buf_consume(&w->in, (size_t)(s - head));
	if (k && warm)
		update_depth(p, (p->now - since) / k);
	if (w->in.len > p->c->max_record + 1) {
		protocol_error(p, w, "wrote an answer longer than --max-record");
		buf_consume(&w->in, w->in.len);
	}
	if (p->c->max_tasks && w->answered >= p->c->max_tasks && w->state == WORKER_RUNNING) {
		log_event("worker %d retired after %llu tasks", (int)w->pid,
			  (unsigned long long)w->answered);
		retire(p, w);
		p->st->retired++;
	}
}

static void finish_worker(struct pool *p, struct worker *w);
static void end_of_output(struct pool *p, struct worker *w);

static void on_worker_readable(void *ctx, int fd, short revents)
{
	struct worker *w = ctx;
	struct pool *p = w->owner;
	(void)fd;
	(void)revents;
	p->now = now_ns();
	ssize_t n = worker_read(w);
	if (n > 0)
		take_answers(p, w);
	else if (n == 0 || errno != EAGAIN)
		end_of_output(p, w);
}

/* w's stdout reached EOF (or failed): no more answers will come. */
static void end_of_output(struct pool *p, struct worker *w)
{
	loop_del(p->loop, w->from_watch);
	w->from_watch = -1;
	close_fd(&w->from_fd);
	w->eof = true;
	w->eof_at = p->now;
	if (w->in.len && !w->discard && w->fifo_len)
		protocol_error(p, w, "ended its last answer without a newline");
	if (worker_is_gone(w))
		finish_worker(p, w);
}

static void on_worker_writable(void *ctx, int fd, short revents)
{
	struct worker *w = ctx;
	(void)fd;
	(void)revents;
	flush_worker(w->owner, w);
}

/* The tasks a gone worker held: the one it was working on counts a try;
 * those queued behind it go back to the front of the queue untouched. */
static void requeue_held(struct pool *p, struct worker *w, const char *outcome, const char *cause)
{
	uint32_t n = w->fifo_len;
	for (uint32_t i = n; i-- > 1;) {
		uint32_t slot = w->fifo[(w->fifo_head + i) % w->fifo_cap];
		if (p->stop)
			not_run(p, slot);
		else
			tasks_enqueue_front(&p->ts, slot);
	}
	uint32_t slot = worker_head(w);
	w->fifo_len = 0;
	struct task *t = &p->ts.t[slot];
	t->pid = (int32_t)w->pid;
	t->tries++;
	if (w->state == WORKER_KILLING && w->fault == FAULT_NONE) {
		not_run(p, slot); /* we stopped it: the task was not at fault */
	} else if (t->tries <= p->c->retries && !p->stop) {
		report(t->seq, buf_head(&t->in), t->in.len, "%s; retrying (attempt %u of %u)", cause,
		       t->tries + 1, p->c->retries + 1);
		p->st->retried++;
		tasks_enqueue_front(&p->ts, slot);
	} else {
		fail_task(p, slot, outcome, "%s", cause);
	}
}

/* Why w's tasks failed, for the report and the joblog. */
static void describe_fault(const struct pool *p, const struct worker *w, char *cause, size_t clen,
			   char *outcome, size_t olen)
{
	char how[64], dur[32];
	worker_describe_exit(w, how, sizeof how);
	if (w->fault == FAULT_TIMEOUT) {
		format_duration(dur, sizeof dur, p->c->timeout);
		snprintf(cause, clen, "timed out after %s (worker %d %s)", dur, (int)w->pid, how);
		snprintf(outcome, olen, "timeout");
	} else if (w->fault == FAULT_PROTOCOL) {
		snprintf(cause, clen, "%s", w->fault_msg);
		snprintf(outcome, olen, "protocol");
	} else if (WIFSIGNALED(w->wstatus)) {
		snprintf(cause, clen, "worker %d %s", (int)w->pid, how);
		snprintf(outcome, olen, "signal %s", signal_name(WTERMSIG(w->wstatus)));
	} else if (WEXITSTATUS(w->wstatus) == 0) {
		snprintf(cause, clen, "worker %d exited with status 0 without answering",
			 (int)w->pid);
		snprintf(outcome, olen, "protocol");
	} else {
		snprintf(cause, clen, "worker %d %s", (int)w->pid, how);
		snprintf(outcome, olen, "exit %d", WEXITSTATUS(w->wstatus));
	}
}

static void note_crash_loop(struct pool *p, struct worker *w, bool unexpected)
{
	if (!unexpected || w->answered > 0)
		return;
	p->crash_streak++;
	if (p->crash_streak < CRASH_LOOP || p->r.fatal)
		return;
	char how[64];
	worker_describe_exit(w, how, sizeof how);
	log_warn("'%s' keeps dying before answering (%u workers in a row, the last %s); giving up",
		 p->c->argv[0], p->crash_streak, how);
	int st = WIFEXITED(w->wstatus) ? WEXITSTATUS(w->wstatus) : 0;
	p->r.fatal = st == EXIT_NOEXEC || st == EXIT_NOTFOUND ? st : EXIT_FATAL;
	stop_now(p);
}

/* w's stdout is closed and its status collected: account and forget it. */
static void finish_worker(struct pool *p, struct worker *w)
{
	bool unexpected = w->state == WORKER_RUNNING;
	if (WIFSIGNALED(w->wstatus))
		log_event("worker %d killed by signal %s", (int)w->pid,
			  signal_name(WTERMSIG(w->wstatus)));
	else
		log_event("worker %d exited with status %d", (int)w->pid, WEXITSTATUS(w->wstatus));
	if (unexpected) {
		p->running--;
		w->state = WORKER_CLOSING; /* counted out; stop_now must not again */
		p->st->alive = p->running;
		p->st->crashed++;
	}
	if (w->fifo_len) {
		char cause[160], outcome[48];
		describe_fault(p, w, cause, sizeof cause, outcome, sizeof outcome);
		requeue_held(p, w, outcome, cause);
	}
	note_crash_loop(p, w, unexpected);
	if (w->from_watch >= 0)
		loop_del(p->loop, w->from_watch);
	if (w->to_watch >= 0)
		loop_del(p->loop, w->to_watch);
	for (unsigned i = 0; i < p->nw; i++)
		if (p->w[i] == w) {
			p->w[i] = p->w[--p->nw];
			break;
		}
	worker_free(w);
	free(w);
}

static void reap(struct pool *p)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (unsigned i = 0; i < p->nw; i++) {
			struct worker *w = p->w[i];
			if (w->pid != pid)
				continue;
			w->reaped = true;
			w->wstatus = status;
			w->reaped_at = p->now;
			if (worker_is_gone(w))
				finish_worker(p, w);
			break;
		}
}

/* ---- stopping --------------------------------------------------------- */

/* Take no new tasks: stop reading, and drop what waits in the queue. */
static void stop_soon(struct pool *p)
{
	if (p->stop < STOP_SOON)
		p->stop = STOP_SOON;
	input_finished(p);
	uint32_t slot;
	while ((slot = tasks_dequeue(&p->ts)) != TASK_NONE)
		not_run(p, slot);
}

static void stop_now(struct pool *p)
{
	stop_soon(p);
	p->stop = STOP_NOW;
	for (unsigned i = 0; i < p->nw; i++)
		if (p->w[i]->state != WORKER_KILLING)
			kill_worker(p, p->w[i], SIGTERM);
}

static void check_halt(struct pool *p)
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

static void on_signal(void *ctx, int fd, short revents)
{
	struct pool *p = ctx;
	(void)fd;
	(void)revents;
	int sig;
	p->now = now_ns();
	while ((sig = sig_next()) != 0) {
		if (sig == SIGCHLD) {
			reap(p);
		} else if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			if (p->r.signal) {
				stop_now(p);
			} else {
				p->r.signal = sig;
				stop_soon(p);
			}
		} else {
			stats_print(p->st, 2, p->now, false);
		}
	}
}

/* ---- timers ----------------------------------------------------------- */

static void hint_buffering(struct pool *p, struct worker *w)
{
	p->hinted = true;
	log_warn("worker %d has answered nothing for %llds; if '%s' buffers its output when "
		 "writing to a pipe, make it flush each line (stdbuf -oL, python3 -u, ...)",
		 (int)w->pid, (long long)(HINT_AFTER_NS / NS_PER_SEC), p->c->argv[0]);
}

static void idle_timer(struct pool *p, struct worker *w)
{
	if (p->running > p->c->min) {
		retire(p, w);
		p->st->retired++;
		log_event("worker %d retired after idle (%u alive)", (int)w->pid, p->running);
	} else if (!w->idle_noted) {
		w->idle_noted = true;
		log_event("worker %d kept alive at min %u", (int)w->pid, p->c->min);
	}
}

/* Act on one worker's due deadlines; return its next one (-1: none). */
static int64_t worker_timers(struct pool *p, struct worker *w)
{
	const struct config *c = p->c;
	int64_t next = -1, t;
#define DUE(when) ((t = (when)) <= p->now || ((next < 0 || t < next) && (next = t, 0)))
	if (w->state == WORKER_RUNNING && w->fifo_len == 0 && !(w->idle_noted && p->running <= c->min) &&
	    DUE(w->idle_since + c->idle_timeout))
		idle_timer(p, w);
	if (c->timeout && w->fifo_len && w->state != WORKER_KILLING &&
	    DUE(w->head_since + c->timeout)) {
		/* The task has failed: an answer it might still write is not
		 * taken, so the outcome doesn't depend on a race. */
		w->fault = FAULT_TIMEOUT;
		w->discard = true;
		kill_worker(p, w, SIGTERM);
	}
	if (w->state == WORKER_KILLING && w->kill_at > 0 && DUE(w->kill_at)) {
		worker_signal(w, SIGKILL);
		w->kill_at = -1;
	}
	if (!p->hinted && w->fifo_len && w->answered == 0 && !w->discard &&
	    DUE(w->head_since + HINT_AFTER_NS))
		hint_buffering(p, w);
	if (w->state == WORKER_CLOSING && !w->reaped && !w->lingering_noted &&
	    DUE(w->closed_at + LINGER_NOTE_NS)) {
		w->lingering_noted = true;
		log_warn("worker %d has not exited %llds after its stdin closed%s", (int)w->pid,
			 (long long)(LINGER_NOTE_NS / NS_PER_SEC),
			 c->timeout ? "; it is stopped after --timeout" : "");
	}
	if (w->state == WORKER_CLOSING && !w->reaped && c->timeout && DUE(w->closed_at + c->timeout))
		kill_worker(p, w, SIGTERM); /* --timeout bounds the goodbye too */
	if (w->eof && !w->reaped && w->fifo_len && !w->discard && DUE(w->eof_at + EOF_GRACE_NS)) {
		/* Not a worker dying (that is reaped at once): one that shut its
		 * stdout and lives on, holding tasks it can no longer answer. */
		protocol_error(p, w, "closed its stdout while holding tasks");
	}
	if (w->reaped && !w->eof && DUE(w->reaped_at + ORPHAN_PIPE_NS)) {
		/* Something it started still holds its stdout: take what is
		 * there and stop waiting for more. */
		if (worker_read(w) > 0)
			take_answers(p, w);
		end_of_output(p, w);
		return -1;
	}
#undef DUE
	return next;
}

/* Run due timers; return the nearest deadline left (-1: none). */
static int64_t timers(struct pool *p)
{
	int64_t next = -1;
	for (unsigned i = 0; i < p->nw;) {
		struct worker *w = p->w[i];
		int64_t t = worker_timers(p, w);
		if (i < p->nw && p->w[i] != w)
			continue; /* it finished and another took its place */
		if (t >= 0 && (next < 0 || t < next))
			next = t;
		i++;
	}
	if (p->c->progress) {
		unsigned busy = 0;
		for (unsigned i = 0; i < p->nw; i++)
			busy += p->w[i]->fifo_len > 0;
		p->st->busy = busy;
		int64_t t = progress_tick(&p->prog, p->st, p->now);
		if (next < 0 || t < next)
			next = t;
	}
	return next;
}

/* ---- the run ---------------------------------------------------------- */

static void close_all(struct pool *p)
{
	p->closing_all = true;
	for (unsigned i = 0; i < p->nw; i++)
		if (p->w[i]->state == WORKER_RUNNING)
			retire(p, p->w[i]);
}

static void flush_output(struct pool *p);

/* Results wait in the buffer while answers are still coming, for at most
 * FLUSH_DELAY_NS, so a lock-step run doesn't pay one write per result; with
 * nothing in flight they go out at once. Returns the flush deadline (or the
 * joblog's), or -1. */
static int64_t output_due(struct pool *p)
{
	if (p->out.buf.len == 0) {
		p->out_since = 0;
		if (p->jl)
			flush_output(p); /* joblog rows may wait for their sync round */
		return p->jl ? joblog_next_ns(p->jl) : -1;
	}
	if (p->out_since == 0)
		p->out_since = p->now;
	bool in_flight = tasks_live(&p->ts) > p->ts.qlen;
	if (in_flight && p->now - p->out_since < FLUSH_DELAY_NS && !p->stop)
		return p->out_since + FLUSH_DELAY_NS;
	flush_output(p);
	p->out_since = 0;
	return p->jl ? joblog_next_ns(p->jl) : -1;
}

static void flush_output(struct pool *p)
{
	if (output_flush(&p->out) < 0) {
		if (!p->stop)
			stop_now(p);
		return;
	}
	if (p->jl && joblog_flush(p->jl, p->out.written, p->out.fd, p->now, false) < 0) {
		log_warn("cannot write the joblog: %s", strerror(errno));
		p->r.fatal = EXIT_FATAL;
		joblog_close(p->jl);
		p->jl = NULL;
		stop_soon(p);
	}
}

static bool pool_done(const struct pool *p)
{
	return p->closing_all && p->nw == 0;
}

static void open_side_files(struct pool *p)
{
	const struct config *c = p->c;
	char why[128];
	if (c->resume || c->resume_failed) {
		if (joblog_load(c->joblog, c->resume, &p->skip, why, sizeof why) < 0)
			log_die(EXIT_FATAL, "cannot read joblog '%s': %s", c->joblog, why);
	}
	if (c->joblog && !(p->jl = joblog_open(c->joblog, why, sizeof why)))
		log_die(EXIT_FATAL, "cannot open joblog '%s': %s", c->joblog, why);
}

static void pool_init(struct pool *p, const struct config *c, int in_fd, int out_fd,
		      struct stats *st)
{
	memset(p, 0, sizeof *p);
	p->c = c;
	p->st = st;
	p->now = p->mono0 = now_ns();
	p->wall0 = wall_ns();
	p->so = (struct spawn_opts){c->argv, c->nice, c->cpus, c->mem_limit};
	p->depth = c->depth ? c->depth : 1;
	p->in_watch = -1;
	p->loop = loop_new();
	if (!p->loop || tasks_init(&p->ts, WINDOW, c->keep_order) < 0)
		log_die(EXIT_FATAL, "out of memory");
	input_init(&p->in, in_fd, c->base64_io ? '\n' : c->sep, c->max_record);
	output_init(&p->out, out_fd, c);
	open_side_files(p);
	int sfd = sig_init();
	if (sfd < 0 || (p->sig_watch = loop_add(p->loop, sfd, POLLIN, on_signal, p)) < 0 ||
	    (p->in_watch = loop_add(p->loop, in_fd, POLLIN, on_input, p)) < 0)
		log_die(EXIT_FATAL, "cannot set up: %s", strerror(errno));
	if (c->progress)
		progress_init(&p->prog, 2, p->now);
}

static void pool_fini(struct pool *p)
{
	if (p->c->progress)
		progress_end(&p->prog, p->st, now_ns());
	if (p->jl) {
		if (!p->r.broken_pipe &&
		    joblog_flush(p->jl, p->out.written, p->out.fd, now_ns(), true) < 0)
			log_warn("cannot write the joblog: %s", strerror(errno));
		joblog_close(p->jl);
	}
	seqset_free(&p->skip);
	for (unsigned i = 0; i < p->nw; i++) {
		worker_free(p->w[i]);
		free(p->w[i]);
	}
	free(p->w);
	tasks_free(&p->ts);
	input_close(&p->in);
	output_free(&p->out);
	buf_free(&p->scratch);
	loop_free(p->loop);
}

/* stdout is gone or failing: say so once and stop everything. */
static bool output_failed(struct pool *p)
{
	if (!p->out.failed)
		return false;
	if (p->out.err == EPIPE) {
		p->r.broken_pipe = true;
	} else if (!p->r.fatal) {
		log_warn("cannot write results: %s", strerror(p->out.err));
		p->r.fatal = EXIT_FATAL;
	}
	return true;
}

struct pool_result pool_run(const struct config *c, int in_fd, int out_fd, struct stats *st)
{
	struct pool p;
	pool_init(&p, c, in_fd, out_fd, st);
	while (!pool_done(&p)) {
		feed(&p);
		dispatch(&p);
		scale(&p);
		if (p.in_done && tasks_live(&p.ts) == 0 && !p.closing_all)
			close_all(&p);
		int64_t flush_at = output_due(&p);
		output_failed(&p); /* then the workers are being stopped and reaped */
		if (pool_done(&p))
			break;
		int64_t deadline = timers(&p), nap = coalesce_ns(&p);
		if (flush_at >= 0 && (deadline < 0 || flush_at < deadline))
			deadline = flush_at;
		if (nap > 0) {
			struct timespec ts = {0, (long)nap};
			nanosleep(&ts, NULL);
			deadline = 0; /* then take whatever is ready */
		}
		if (loop_once(p.loop, deadline) < 0)
			log_die(EXIT_FATAL, "poll: %s", strerror(errno));
		p.now = now_ns();
		timers(&p);
	}
	p.r.wall_ns = now_ns() - p.mono0;
	pool_fini(&p);
	return p.r;
}

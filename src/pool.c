/* pool: the conductor. It sets up the run, reads input into the task
 * window, and turns the loop: admit records, dispatch, scale, flush, sleep
 * in poll until an fd is ready or the nearest deadline, then timers. The
 * rules it applies live in the modules listed in pool_impl.h. */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "autojobs.h"
#include "base64.h"
#include "log.h"
#include "loop.h"
#include "pool_impl.h"
#include "sig.h"
#include "util.h"

/* ---- input ------------------------------------------------------------ */

#define TOOLONG_SHOWN 1000 /* bytes kept of a record over --max-record */

static void set_input_watch(struct pool *p, bool on)
{
	if (p->in_watch >= 0)
		loop_set(p->loop, p->in_watch, on ? POLLIN : 0);
}

void pool_input_finished(struct pool *p)
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
	(void)revents;
	if (input_fill(&p->in) < 0 && errno != EAGAIN) {
		/* EAGAIN: a non-blocking stdin someone shares; poll tells when. */
		log_warn("cannot read input: %s", strerror(errno));
		p->r.fatal = EXIT_FATAL;
		p->in.eof = true;
	}
	if (!p->in.eof && input_fd(&p->in) != fd) { /* an -a file ended: watch the next */
		loop_del(p->loop, p->in_watch);
		if ((p->in_watch = loop_add(p->loop, input_fd(&p->in), POLLIN, on_input, p)) < 0)
			log_die(EXIT_FATAL, "out of memory");
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
		const char *bad = base64_check_from(rec, len, input_alphabet(&p->in, rec), &at);
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

/* The next record into the window: a task queued for a worker, or one that
 * failed already (why: it cannot travel, or is too long; with -k and
 * --json it still takes its turn). */
static void admit(struct pool *p, const char *rec, size_t len, const char *outcome,
		  const char *why)
{
	uint64_t seq = ++p->seq;
	p->st->read++;
	if (p->skip.bits && seqset_has(&p->skip, seq)) {
		outcome_skipped(p, seq);
		return;
	}
	if (!why && (why = check_record(p, rec, len)))
		outcome = "invalid";
	uint32_t slot = tasks_take(&p->ts, seq);
	struct task *t = &p->ts.t[slot];
	if (input_hold(&p->in, rec, len, &t->in) < 0)
		log_die(EXIT_FATAL, "out of memory holding record %llu", (unsigned long long)seq);
	p->held += len;
	t->t_read = t->t_sent = p->now;
	t->pid = 0;
	t->slot = 0;
	t->wire_len = 0;
	t->run_ns = 0;
	t->avoid_pid = 0;
	if (why)
		outcome_failed(p, slot, outcome, JOBLOG_EXIT_PROCPOOL, 0, "%s", why);
	else
		tasks_enqueue(&p->ts, slot);
}

/* Move records from the input buffer into the window while it has room. */
static void feed(struct pool *p)
{
	while (!p->in_done) {
		if (outcome_window_full(p) || sink_backed_up(p)) {
			set_input_watch(p, false);
			return;
		}
		const char *rec;
		size_t len;
		switch (input_next(&p->in, &rec, &len)) {
		case INPUT_RECORD:
			admit(p, rec, len, NULL, NULL);
			break;
		case INPUT_TOO_LONG:
			/* Its first bytes stand for it. */
			admit(p, rec, len < TOOLONG_SHOWN ? len : TOOLONG_SHOWN, "toolong",
			      "record longer than --max-record");
			break;
		case INPUT_NEED:
		case INPUT_LATER: /* a mapped file's watch is always ready */
			set_input_watch(p, true);
			return;
		case INPUT_END:
			pool_input_finished(p);
			return;
		}
	}
}

/* ---- signals and timers ----------------------------------------------- */

static void on_signal(void *ctx, int fd, short revents)
{
	struct pool *p = ctx;
	(void)fd;
	(void)revents;
	int sig;
	p->now = pool_clock();
	while ((sig = sig_next()) != 0) {
		if (sig == SIGCHLD)
			life_reap(p);
		else if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
			stop_on_signal(p, sig);
		else if (sig == SIGUSR2)
			life_restart_all(p);
		else if (sig != SIGCONT) /* back from a stop: the turn goes on */
			stats_print(p->st, 2, p->now, false);
	}
}

/* For the progress line: workers that hold tasks. */
static unsigned busy_workers(const struct pool *p)
{
	unsigned busy = 0;
	for (unsigned i = 0; i < p->nw; i++)
		busy += p->w[i]->fifo_len > 0;
	return busy;
}

/* Run due timers; return the nearest deadline left (-1: none). */
static int64_t timers(struct pool *p)
{
	int64_t next = earliest(earliest(life_timers(p), stop_timers(p)), autojobs_timer(p));
	next = earliest(next, fleet_timers(p, p->now));
	if (p->c->progress) {
		if (p->now >= p->prog.next) /* a redraw: count the busy */
			p->st->busy = busy_workers(p);
		next = earliest(next, progress_tick(&p->prog, p->st, p->now));
	}
	return next;
}

/* ---- the run ---------------------------------------------------------- */

static bool pool_done(struct pool *p)
{
	return p->in_done && tasks_live(&p->ts) == 0 && p->nw == 0 && sink_done(p);
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

static void pool_init(struct pool *p, const struct config *c, const int *in_fds,
		      unsigned n_in, int out_fd, struct stats *st)
{
	memset(p, 0, sizeof *p);
	p->c = c;
	p->st = st;
	p->now = p->mono0 = pool_clock();
	p->wall0 = wall_ns();
	p->so = (struct spawn_opts){c->argv, c->nice, c->cpus, c->mem_limit, !c->keep_buffering,
				    c->jobs, spawn_args_hold_slot(c->argv), c->pin_slots, c->error_prefix};
	slots_init(&p->slots);
	if (stats_slots(st, c->jobs) < 0)
		log_die(EXIT_FATAL, "out of memory");
	srandom((unsigned)(wall_ns() ^ getpid())); /* --max-tasks-jitter */
	p->depth = c->depth ? c->depth : 1;
	p->in_watch = -1;
	p->loop = loop_new(LOOP_POLL_MAX);
	/* Room for a pipeline of 3 on every worker and as much read ahead. */
	p->window = c->jobs > WINDOW / WINDOW_PER_JOB ? c->jobs * WINDOW_PER_JOB : WINDOW;
	if (!p->loop || tasks_init(&p->ts, p->window, c->keep_order) < 0 || dispatch_init(p) < 0)
		log_die(EXIT_FATAL, "out of memory");
	/* Map a file when tasks go to workers as read and nothing else reads
	 * them later (--tag, --json, --joblog would, its pages let go). */
	bool map = c->base64_io == (c->wire == WIRE_BASE64) && !c->tag && !c->json && !c->joblog;
	input_init(&p->in, in_fds, n_in, c->base64_io ? '\n' : c->sep, c->max_record,
		   (map ? INPUT_MAP : 0) | (c->base64_io ? INPUT_BASE64 : 0));
	open_side_files(p);
	int sfd = sig_init();
	if (sfd < 0 || (p->sig_watch = loop_add(p->loop, sfd, POLLIN, on_signal, p)) < 0 ||
	    (p->in_watch = loop_add(p->loop, input_fd(&p->in), POLLIN, on_input, p)) < 0)
		log_die(EXIT_FATAL, "cannot set up: %s", strerror(errno));
	sink_init(p, out_fd);
	fleet_init(p);
	autojobs_init(p);
	if (c->progress)
		progress_init(&p->prog, 2, p->now);
}

static void pool_fini(struct pool *p)
{
	if (p->c->progress) {
		p->st->busy = busy_workers(p);
		progress_end(&p->prog, p->st, now_ns());
	}
	sink_fini(p);
	seqset_free(&p->skip);
	for (unsigned i = 0; i < p->nw; i++) {
		worker_free(p->w[i]);
		free(p->w[i]);
	}
	free(p->w);
	life_fini(p);
	dispatch_fini(p);
	fleet_fini(p);
	tasks_free(&p->ts);
	slots_free(&p->slots);
	input_close(&p->in);
	buf_free(&p->scratch);
	loop_free(p->loop);
}

struct pool_result pool_run(const struct config *c, const int *in_fds, unsigned n_in, int out_fd,
			    struct stats *st)
{
	struct pool p;
	pool_init(&p, c, in_fds, n_in, out_fd, st);
	while (!pool_done(&p)) {
		bool backed_up = sink_backed_up(&p); /* then input and dispatch wait */
		feed(&p);
		dispatch(&p);
		life_restart_step(&p);
		dispatch_scale(&p);
		if (p.in_done && p.ts.qlen == 0)
			life_close_inputs(&p);
		int64_t flush_at = sink_due(&p);
		sink_failed(&p); /* then the workers are being stopped and reaped */
		if (pool_done(&p))
			break;
		int64_t deadline = timers(&p), nap = dispatch_nap_ns(&p);
		deadline = earliest(deadline, earliest(flush_at, sink_deadline(&p)));
		if (backed_up && !sink_backed_up(&p))
			deadline = 0; /* the flush made room: read and dispatch again */
		if (nap > 0) {
			struct timespec ts = {0, (long)nap};
			nanosleep(&ts, NULL);
			deadline = 0; /* then take whatever is ready */
		}
		/* The loop waits on the monotonic clock. */
		if (loop_once(p.loop, deadline < 0 ? -1 : deadline + sig_paused_ns()) < 0)
			log_die(EXIT_FATAL, "poll: %s", strerror(errno));
		p.now = pool_clock();
		timers(&p);
	}
	p.r.wall_ns = pool_clock() - p.mono0;
	pool_fini(&p);
	return p.r;
}

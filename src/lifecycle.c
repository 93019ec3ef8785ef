/* lifecycle: a worker's life as the pool sees it: started (with its watches
 * in the loop), ready (it answered, read its stdin, or wrote the --ready
 * line), closing (stdin closed by us: it will get no more tasks), killing
 * (signalled by us), and gone once its stdout hit EOF and its status was
 * collected. One function per event, and the deadlines each state carries.
 *
 * Until a worker is ready its tasks are not timed by --timeout: start-up
 * (a model that loads for 20 s) is not task time. --start-timeout bounds it
 * instead, counted from its first task (from its start with --ready, which
 * sends nothing before the ready line). A worker that is not ready keeps its
 * stdin open until it reads, so that whether it read can still be told. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "escape.h"
#include "log.h"
#include "loop.h"
#include "pool_impl.h"
#include "slot.h"
#include "util.h"

#define ORPHAN_PIPE_NS NS_PER_SEC       /* reaped, but a grandchild holds its stdout */
#define EOF_GRACE_NS (250 * NS_PER_MS)  /* stdout closed, yet not reaped */
#define LINGER_NOTE_NS (5 * NS_PER_SEC) /* stdin closed, yet not exited */
#define READ_CHECK_NS (20 * NS_PER_MS)  /* how often to see if a starting worker reads */
#define CLOSE_CHECK_NS (2 * NS_PER_MS)  /* the same, while its stdin waits to close */

static void on_readable(void *ctx, int fd, short revents);
static void on_writable(void *ctx, int fd, short revents);

/* A worker could not be set up or exec'd: that will not get better. */
static void fatal_spawn(struct pool *p, const struct spawn_error *e)
{
	const struct config *c = p->c;
	char value[32];
	if (e->step == SPAWN_EXEC) {
		char name[ESCAPE_SIZE(ESCAPE_NAME)];
		log_warn("cannot run '%s': %s", escape_name(name, c->argv[0]), strerror(e->err));
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

/* Room for one more worker in the pool's arrays: 0, or -1. */
static int grow_arrays(struct pool *p)
{
	if (p->nw < p->wcap)
		return 0;
	unsigned cap = p->wcap ? p->wcap * 2 : 8;
	struct worker **a = realloc(p->w, cap * sizeof *a);
	if (a)
		p->w = a;
	struct worker **g = a ? realloc(p->given, cap * sizeof *g) : NULL;
	if (!g)
		return -1;
	p->given = g;
	p->wcap = cap;
	return 0;
}

void life_touch(struct pool *p, struct worker *w)
{
	dispatch_reindex(p, w);
	if (w->touched)
		return;
	if (p->ntouched == p->tcap) {
		/* One looked at may be touched again in the same pass. */
		unsigned cap = p->tcap ? p->tcap * 2 : 16;
		struct worker **t = realloc(p->touched, cap * sizeof *t);
		if (!t)
			log_die(EXIT_FATAL, "out of memory");
		p->touched = t;
		p->tcap = cap;
	}
	w->touched = true;
	w->touched_at = p->ntouched;
	p->touched[p->ntouched++] = w;
}

/* Start w on this machine (without -S). 0, or -1 as worker_start. */
static int spawn_here(struct pool *p, struct worker *w, struct spawn_error *e)
{
	int slot = slots_take(&p->slots);
	if (slot < 0)
		log_die(EXIT_FATAL, "out of memory");
	if (worker_start(w, &p->so, (unsigned)slot, p->now, e) == 0)
		return 0;
	int err = errno;
	slots_give(&p->slots, (unsigned)slot);
	errno = err;
	return -1;
}

void life_fini(struct pool *p)
{
	free(p->touched);
	heap_free(&p->deadlines);
}

struct worker *life_start(struct pool *p)
{
	if (grow_arrays(p) < 0)
		return NULL;
	struct worker *w = malloc(sizeof *w);
	if (!w)
		return NULL;
	struct spawn_error e;
	if ((p->fleet ? fleet_spawn(p, w, &e) : spawn_here(p, w, &e)) < 0) {
		int err = errno;
		free(w);
		if (e.step != SPAWN_OK)
			fatal_spawn(p, &e);
		else if (p->nw == 0 && err != EAGAIN) /* EAGAIN: no host may take one now */
			log_die(EXIT_FATAL, "cannot start a worker: %s", strerror(err));
		return NULL;
	}
	w->owner = p;
	w->generation = p->generation;
	w->max_tasks = p->c->max_tasks;
	if (p->c->max_tasks && p->c->max_tasks_jitter)
		w->max_tasks += (uint64_t)random() % (p->c->max_tasks_jitter + 1);
	silence_reset(w);
	w->from_watch = loop_add(p->loop, w->from_fd, POLLIN, on_readable, w);
	w->to_watch = loop_add(p->loop, w->to_fd, 0, on_writable, w);
	if (w->from_watch < 0 || w->to_watch < 0)
		log_die(EXIT_FATAL, "out of memory");
	if (sig_track_group(w->pid) < 0)
		log_die(EXIT_FATAL, "out of memory");
	loadidx_node_init(&w->ld, w);
	heap_node_init(&w->due, w);
	w->at = p->nw;
	p->w[p->nw++] = w;
	p->inputs_closed = false; /* this one's is open */
	life_touch(p, w);
	p->running++;
	p->st->started++;
	if (w->slot < p->st->nslots)
		p->st->slot_workers[w->slot]++;
	p->st->alive = p->running;
	if (p->nw > p->st->peak)
		p->st->peak = p->nw;
	log_event("worker %d started (%u alive, slot %u%s%s)", (int)w->pid, p->running, w->slot,
		  w->member ? " on " : "", w->member ? fleet_login(p, w->host) : "");
	return w;
}

/* Stop giving w tasks and close its stdin; it exits when done. */
void life_retire(struct pool *p, struct worker *w)
{
	if (w->state == WORKER_RUNNING)
		p->running--;
	w->state = WORKER_CLOSING;
	w->closed_at = p->now;
	if (w->to_watch >= 0) {
		loop_del(p->loop, w->to_watch); /* before the close: see loop.h */
		w->to_watch = -1;
	}
	worker_close_input(w, w->out.len == 0);
	p->st->alive = p->running;
	life_touch(p, w);
}

/* A remote worker is reached through its host (ssh forwards no signal). */
static void signal_worker(struct pool *p, struct worker *w, int sig)
{
	if (w->member)
		fleet_signal(p, w, sig);
	else
		worker_signal(w, sig);
}

void life_kill(struct pool *p, struct worker *w, int sig)
{
	life_retire(p, w);
	w->state = WORKER_KILLING;
	signal_worker(p, w, sig);
	w->kill_at = sig == SIGKILL ? -1 : p->now + p->c->kill_grace;
	life_touch(p, w);
}

void life_ready(struct pool *p, struct worker *w, const char *how)
{
	if (w->ready)
		return;
	w->ready = true;
	w->ready_at = p->now;
	if (w->fifo_len)
		w->head_since = p->now; /* its task's time starts now */
	hist_add(&p->st->startup, (uint64_t)(p->now - w->started_at));
	if (p->fleet)
		fleet_ready(p, w);
	char dur[32];
	format_duration(dur, sizeof dur, p->now - w->started_at);
	log_event("worker %d ready after %s (%s)", (int)w->pid, dur, how);
	life_touch(p, w);
	life_close_if_pending(p, w);
}

/* Whether a starting worker has been seen to read its stdin (a remote
 * worker's is read by ssh: it cannot be). */
static bool seen_reading(struct pool *p, struct worker *w)
{
	if (!w->ready && !p->c->ready_line && !w->member && worker_has_read(w) == 1)
		life_ready(p, w, "read its input");
	return w->ready;
}

void life_close_if_pending(struct pool *p, struct worker *w)
{
	if (!w->close_pending || w->state != WORKER_RUNNING || w->out.len)
		return;
	if (w->fifo_len && !w->member && !seen_reading(p, w))
		return; /* until it reads, its open stdin tells us whether it does */
	life_retire(p, w);
}

/* Input has ended and no task waits: close every worker's stdin once its
 * tasks are written, so that a worker that buffers its output flushes it,
 * and each exits when done. A task requeued later goes to a new worker. */
void life_close_inputs(struct pool *p)
{
	if (p->inputs_closed)
		return; /* until a worker starts */
	p->inputs_closed = true;
	for (unsigned i = 0; i < p->nw; i++) {
		struct worker *w = p->w[i];
		if (w->state != WORKER_RUNNING || w->close_pending)
			continue;
		w->close_pending = true;
		w->check_at = p->now + CLOSE_CHECK_NS;
		life_touch(p, w);
		life_close_if_pending(p, w);
	}
}

/* w's stdout is closed and its status collected: account and forget it. */
static void finish(struct pool *p, struct worker *w)
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
	bool held = w->fifo_len > 0;
	if (held)
		fault_settle_held(p, w);
	/* With -S, what its end says of its host comes first (fleet.c). */
	if (!p->fleet || fleet_worker_ended(p, w))
		fault_note_exit(p, w, unexpected, held);
	if (w->replaced)
		p->replacing--;
	if (w->from_watch >= 0)
		loop_del(p->loop, w->from_watch);
	if (w->to_watch >= 0)
		loop_del(p->loop, w->to_watch);
	dispatch_forget(p, w);
	heap_remove(&p->deadlines, &w->due);
	if (w->touched)
		p->touched[w->touched_at] = NULL;
	p->w[w->at] = p->w[--p->nw];
	p->w[w->at]->at = w->at;
	sig_untrack_group(w->pid);
	if (!p->fleet)
		slots_give(&p->slots, w->slot);
	worker_free(w);
	free(w);
}

/* w's stdout reached EOF (or failed): no more answers will come. */
static void end_of_output(struct pool *p, struct worker *w)
{
	loop_del(p->loop, w->from_watch);
	w->from_watch = -1;
	close_fd(&w->from_fd);
	w->eof = true;
	w->eof_at = p->now;
	life_touch(p, w);
	if (w->in.len && !w->discard && w->fifo_len)
		fault_protocol(p, w, p->c->answer_end ? "ended its last answer without the --answer-end line"
						      : "ended its last answer without a newline");
	if (worker_is_gone(w))
		finish(p, w);
}

static void on_readable(void *ctx, int fd, short revents)
{
	struct worker *w = ctx;
	struct pool *p = w->owner;
	(void)fd;
	(void)revents;
	p->now = pool_clock();
	ssize_t n = worker_read(w);
	if (n > 0) {
		answers_take(p, w);
		life_touch(p, w);
	} else if (n == 0 || errno != EAGAIN) {
		end_of_output(p, w); /* which may free it */
	}
}

static void on_writable(void *ctx, int fd, short revents)
{
	struct worker *w = ctx;
	(void)fd;
	if (!(revents & POLLERR) && dispatch_paced(w->owner, w))
		return;
	dispatch_flush(w->owner, w);
	life_touch(w->owner, w);
}

void life_reap(struct pool *p)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p->fleet && fleet_reaped(p, pid, status))
			continue;
		for (unsigned i = 0; i < p->nw; i++) {
			struct worker *w = p->w[i];
			if (w->pid != pid)
				continue;
			seen_reading(p, w); /* its stdin still says whether it read */
			w->reaped = true;
			w->wstatus = status;
			w->reaped_at = p->now;
			life_touch(p, w);
			if (worker_is_gone(w))
				finish(p, w);
			break;
		}
	}
}

/* SIGUSR2: replace every worker, a few at a time, each once it has answered
 * what it holds: the old one takes no more tasks and is closed; the usual
 * scaling starts its replacement, which takes its slot once it is gone (a
 * slot is a device: the new worker may not share it), so the pool never
 * holds more than -j processes nor fewer than it had. The new one runs
 * COMMAND afresh: a new executable on disk is picked up. */
void life_restart_all(struct pool *p)
{
	p->generation++;
	p->restarting = true;
	log_event("replacing every worker (SIGUSR2)");
}

/* The running worker of an older generation that holds the least. */
static struct worker *next_to_replace(const struct pool *p)
{
	struct worker *best = NULL;
	for (unsigned i = 0; i < p->nw; i++) {
		struct worker *w = p->w[i];
		if (w->generation != p->generation && w->state == WORKER_RUNNING &&
		    !w->close_pending && (!best || w->fifo_len < best->fifo_len))
			best = w;
	}
	return best;
}

void life_restart_step(struct pool *p)
{
	unsigned at_once = 1 + pool_jobs(p) / 8;
	struct worker *old;
	while (p->restarting && !p->stop && p->replacing < at_once) {
		if (!(old = next_to_replace(p))) {
			p->restarting = false; /* every old one is on its way out */
			return;
		}
		old->replaced = true;
		p->replacing++;
		old->close_pending = true;
		old->check_at = p->now;
		log_event("worker %d to be replaced (%u tasks held)", (int)old->pid, old->fifo_len);
		life_touch(p, old);
		life_close_if_pending(p, old);
	}
}

static void idle_timer(struct pool *p, struct worker *w)
{
	if (p->running > p->c->min) {
		life_retire(p, w);
		p->st->retired++;
		log_event("worker %d retired after idle (%u alive)", (int)w->pid, p->running);
	} else if (!w->idle_noted) {
		w->idle_noted = true;
		log_event("worker %d kept alive at min %u", (int)w->pid, p->c->min);
	}
}

/* The moment a starting worker has taken too long, or -1. */
static int64_t start_deadline(const struct pool *p, const struct worker *w)
{
	if (w->ready || !p->c->start_timeout || w->state == WORKER_KILLING)
		return -1;
	int64_t from = p->c->ready_line ? w->started_at : w->first_given;
	return from ? from + p->c->start_timeout : -1;
}

static void start_timed_out(struct pool *p, struct worker *w)
{
	char dur[32];
	format_duration(dur, sizeof dur, p->c->start_timeout);
	log_warn("worker %d was not ready after %s (--start-timeout); stopping it", (int)w->pid,
		 dur);
	w->fault = FAULT_START;
	snprintf(w->fault_msg, sizeof w->fault_msg, "worker %d was not ready after %s",
		 (int)w->pid, dur);
	w->discard = true;
	life_kill(p, w, SIGTERM);
}

/* The last moment w was busy: closing it counts from its last answer. */
static int64_t closed_since(const struct worker *w)
{
	return w->closed_at > w->idle_since ? w->closed_at : w->idle_since;
}

/* Act on one worker's due deadlines; return its next one (-1: none), and
 * in *acted whether something was due (then what was acted on may have
 * moved deadlines looked at before it). */
static int64_t worker_timers(struct pool *p, struct worker *w, bool *acted)
{
	const struct config *c = p->c;
	int64_t next = -1, t;
	*acted = false;
#define DUE(when) \
	((t = (when)) <= p->now ? (*acted = true) : ((next < 0 || t < next) && (next = t, 0)))
	if (!w->ready && w->sent && w->state == WORKER_RUNNING && !w->member && DUE(w->check_at)) {
		w->check_at = p->now + (w->close_pending ? CLOSE_CHECK_NS : READ_CHECK_NS);
		if (seen_reading(p, w))
			life_close_if_pending(p, w);
		else
			(void)DUE(w->check_at);
	}
	if ((t = start_deadline(p, w)) >= 0 && DUE(t))
		start_timed_out(p, w);
	if (w->state == WORKER_RUNNING && w->fifo_len == 0 && !w->close_pending) {
		if (!(w->idle_noted && p->running <= c->min)) {
			if (DUE(w->idle_since + c->idle_timeout))
				idle_timer(p, w);
		} else {
			/* Kept at --min: look again, the pool may have grown. */
			(void)DUE(p->now + c->idle_timeout);
		}
	}
	if (c->timeout && w->ready && w->fifo_len && w->state != WORKER_KILLING &&
	    DUE(w->head_since + c->timeout)) {
		/* The task has failed: an answer it might still write is not
		 * taken, so the outcome doesn't depend on a race. */
		w->fault = FAULT_TIMEOUT;
		w->discard = true;
		life_kill(p, w, SIGTERM);
	}
	if (w->state == WORKER_KILLING && w->kill_at > 0 && DUE(w->kill_at)) {
		signal_worker(p, w, SIGKILL);
		w->kill_at = -1;
	}
	if ((t = silence_due(p, w)) >= 0 && DUE(t))
		silence_check(p, w);
	if (w->refill_at && DUE(w->refill_at))
		dispatch_refill(p, w);
	bool done_closing = w->state == WORKER_CLOSING && !w->reaped && w->fifo_len == 0;
	if (done_closing && !w->lingering_noted && DUE(closed_since(w) + LINGER_NOTE_NS)) {
		w->lingering_noted = true;
		log_warn("worker %d has not exited %llds after its stdin closed%s", (int)w->pid,
			 (long long)(LINGER_NOTE_NS / NS_PER_SEC),
			 c->timeout ? "; it is stopped after --timeout" : "");
	}
	if (done_closing && c->timeout && DUE(closed_since(w) + c->timeout))
		life_kill(p, w, SIGTERM); /* --timeout bounds the goodbye too */
	if (w->eof && !w->reaped && w->fifo_len && !w->discard && DUE(w->eof_at + EOF_GRACE_NS)) {
		/* Not a worker dying (that is reaped at once): one that shut its
		 * stdout and lives on, holding tasks it can no longer answer. */
		fault_protocol(p, w, "closed its stdout while holding tasks");
	}
	if (w->reaped && !w->eof && DUE(w->reaped_at + ORPHAN_PIPE_NS)) {
		/* Something it started still holds its stdout: take what is
		 * there and stop waiting for more. */
		if (worker_read(w) > 0)
			answers_take(p, w);
		end_of_output(p, w);
		return -1;
	}
#undef DUE
	return next;
}

/* Run due worker timers; return the nearest deadline left (-1: none). Only
 * the workers whose deadline is due or whose state changed (life_touch)
 * are looked at: a turn does not visit every worker. */
int64_t life_timers(struct pool *p)
{
	struct heap_node *top;
	while ((top = heap_top(&p->deadlines)) && top->at <= p->now) {
		heap_pop(&p->deadlines);
		life_touch(p, top->owner);
	}
	for (unsigned i = 0; i < p->ntouched; i++) {
		struct worker *w = p->touched[i];
		int64_t t = -1;
		bool acted = true;
		/* A few times over at most, should each act move another. */
		for (int k = 0; w && acted && k < 4; k++) {
			t = worker_timers(p, w, &acted);
			w = p->touched[i]; /* NULL: it finished */
		}
		if (!w)
			continue;
		w->touched = false;
		if (t < 0)
			heap_remove(&p->deadlines, &w->due);
		else if (heap_push(&p->deadlines, &w->due, t) < 0)
			log_die(EXIT_FATAL, "out of memory");
	}
	p->ntouched = 0;
	top = heap_top(&p->deadlines);
	return top ? top->at : -1;
}

/* dispatch: tasks to workers. Each task goes to the worker with the fewest
 * in flight; a worker holds up to the depth (fixed, or auto: about 1 ms of
 * work), is topped up in batches, and its encoded tasks go out in one
 * write. Scaling starts workers while tasks wait that no worker can take. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "autojobs.h"
#include "base64.h"
#include "hist.h"
#include "log.h"
#include "loop.h"
#include "os.h"
#include "pace.h"
#include "pool_impl.h"
#include "util.h"

#define WORKER_PENDING (256u << 10)  /* encoded bytes queued for one worker */
#define BY_REF_MIN (64u << 10)       /* a task this long is written from where it is */
#define DEPTH_MAX 1024
#define BATCH_NS (1 * NS_PER_MS)     /* auto depth: queue about this much work */
#define SHORT_NS (20 * NS_PER_MS)    /* ... and 3 tasks of less than this */
#define COALESCE_MIN_NS 100000       /* let answers pile up when workers hold this much */
#define PACE_BYTES (256u << 10)      /* pace refills while this much waits to go in */

/* Encode one task for w's stdin; returns its length there. A long task
 * that travels as it was read is written from the task's own bytes, not
 * copied: its slot stays put while it runs. */
static size_t encode_task(struct pool *p, struct worker *w, const struct task *t)
{
	const char *s = buf_head(&t->in);
	size_t n = t->in.len, len;
	struct buf *o = &w->out;
	bool as_read = p->c->base64_io == (p->c->wire == WIRE_BASE64);
	bool b64 = p->c->wire == WIRE_BASE64;
	if (as_read && n >= BY_REF_MIN) {
		int fd = -1;
		off_t off = 0;
		input_file_of(&p->in, s, &fd, &off);
		if (worker_queue_ref(w, s, n, fd, off) < 0 || buf_append(o, "\n", 1) < 0)
			log_die(EXIT_FATAL, "out of memory");
		return n + 1;
	}
	if (buf_reserve(o, (as_read ? n : b64 ? base64_encoded_len(n) : base64_decoded_max(n)) + 1) < 0)
		log_die(EXIT_FATAL, "out of memory");
	if (as_read) {
		if (n)
			memcpy(buf_tail(o), s, n);
		len = n;
	} else if (b64) {
		base64_encode(buf_tail(o), s, n);
		len = base64_encoded_len(n);
	} else {
		len = (size_t)base64_decode(buf_tail(o), s, n);
	}
	o->len += len;
	*buf_tail(o) = '\n';
	o->len++;
	return len + 1;
}

static void give(struct pool *p, struct worker *w, uint32_t slot)
{
	struct task *t = &p->ts.t[slot];
	if (w->fifo_len == 0)
		w->head_since = p->now;
	if (!w->first_given)
		w->first_given = p->now;
	if (worker_push(w, slot) < 0)
		log_die(EXIT_FATAL, "out of memory");
	size_t wire = encode_task(p, w, t);
	t->wire_len = (uint32_t)wire;
	w->enqueued += wire;
	t->wire_end = w->enqueued;
	t->state = TASK_RUNNING;
	t->t_sent = p->now;
	t->pid = (int32_t)w->pid;
	t->slot = w->slot;
	t->host = w->host;
	hist_add(&p->st->wait, (uint64_t)(p->now - t->t_read));
	if (!w->topping_up) {
		w->topping_up = true;
		p->given[p->ngiven++] = w;
		life_touch(p, w);
	}
}

/* Whether w may be given tasks at all, whatever it holds: the index of
 * takers holds exactly these. */
static bool takes_any(const struct pool *p, const struct worker *w)
{
	if (!worker_takes_tasks(w) || worker_unsent(w) >= WORKER_PENDING)
		return false;
	if (p->c->ready_line && !w->ready)
		return false; /* it said it would say when */
	if (w->epoch.nruns >= epoch_max_runs(p->c->jobs))
		return false; /* let it drain: see worker.h */
	return !(w->max_tasks && w->assigned >= w->max_tasks);
}

/* Whether what w holds leaves room for another task this round. A worker
 * is topped up only once it has worked off a quarter of its depth, so each
 * write carries a batch instead of one task per answer read. */
static bool has_room(const struct pool *p, const struct worker *w)
{
	unsigned depth = p->depth > w->min_depth ? p->depth : w->min_depth;
	unsigned low = depth - depth / 4;
	if (w->fifo_len >= depth)
		return false;
	return w->topping_up || w->fifo_len == 0 || w->fifo_len < low || depth <= 2;
}

static bool can_take(const struct pool *p, const struct worker *w)
{
	return takes_any(p, w) && has_room(p, w);
}

int dispatch_init(struct pool *p)
{
	return loadidx_init(&p->takers, LOADIDX_MAX);
}

void dispatch_fini(struct pool *p)
{
	free(p->given);
	loadidx_free(&p->takers);
}

void dispatch_reindex(struct pool *p, struct worker *w)
{
	if (!takes_any(p, w))
		loadidx_del(&p->takers, &w->ld);
	else if (!w->ld.in || w->ld.load != w->fifo_len)
		loadidx_set(&p->takers, &w->ld, w->fifo_len);
}

void dispatch_forget(struct pool *p, struct worker *w)
{
	loadidx_del(&p->takers, &w->ld);
	if (w->want_write)
		p->want_write--;
	if (w->min_depth)
		p->fed--;
}

static void set_want_write(struct pool *p, struct worker *w, bool want)
{
	if (w->want_write != want)
		want ? p->want_write++ : p->want_write--;
	w->want_write = want;
}

void dispatch_flush(struct pool *p, struct worker *w)
{
	int r = worker_flush(w);
	if (r < 0) {
		/* EPIPE: it closed its stdin, most likely dying. It takes
		 * nothing more but still counts as alive, and as running when
		 * it is reaped, until its answers or its exit settle what it
		 * holds. */
		loop_del(p->loop, w->to_watch); /* before the close: see loop.h */
		w->to_watch = -1;
		worker_close_input(w, false);
		set_want_write(p, w, false);
		dispatch_reindex(p, w);
		return;
	}
	set_want_write(p, w, r == 0);
	dispatch_reindex(p, w); /* its queue of bytes shrank */
	if (w->to_watch >= 0)
		loop_set(p->loop, w->to_watch, w->want_write ? POLLOUT : 0);
	if (r == 1)
		life_close_if_pending(p, w);
}

bool dispatch_paced(struct pool *p, struct worker *w)
{
	if (!w->want_write || worker_unsent(w) < PACE_BYTES || w->to_watch < 0)
		return false;
	long full = os_pipe_unread(w->to_fd);
	if (full < PACE_BYTES)
		return false; /* not a pipe this large: refill at once */
	w->refill_at = pace_woken(&w->pace, p->now, full);
	loop_set(p->loop, w->to_watch, 0);
	life_touch(p, w);
	return true;
}

void dispatch_refill(struct pool *p, struct worker *w)
{
	w->refill_at = 0;
	if (w->to_fd < 0)
		return;
	long unread = os_pipe_unread(w->to_fd);
	if (unread >= 0)
		pace_refilled(&w->pace, unread);
	dispatch_flush(p, w); /* which waits for POLLOUT again if need be */
}

/* A worker fed past the depth (it buffers its output: silence.c) that can
 * take a task when the least loaded cannot: its room is its own. */
static struct worker *fed_with_room(const struct pool *p)
{
	for (unsigned i = 0; i < p->nw; i++)
		if (p->w[i]->min_depth > p->depth && can_take(p, p->w[i]))
			return p->w[i];
	return NULL;
}

/* The least loaded worker that can take a task, from the index; NULL when
 * it has no room (then none has, all holding as much or more). *next: the
 * load of the next least loaded (UINT32_MAX: none). When best is avoid (a
 * retried task failed on it), *other is that next one if it has room, and
 * else best itself. */
static struct worker *least_loaded(struct pool *p, int32_t avoid, struct worker **other,
				   uint32_t *next)
{
	struct loadidx_node *n = loadidx_least(&p->takers);
	struct worker *best = n && has_room(p, n->owner) ? n->owner : NULL;
	*next = UINT32_MAX;
	if (!best && p->fed)
		best = fed_with_room(p);
	*other = best;
	if (best && best->ld.in) {
		loadidx_del(&p->takers, &best->ld);
		if ((n = loadidx_least(&p->takers)))
			*next = ((struct worker *)n->owner)->fifo_len;
		if (avoid && best->pid == avoid)
			*other = n && has_room(p, n->owner) ? n->owner : NULL;
		dispatch_reindex(p, best);
	}
	return best;
}

/* Whether a worker other than pid takes tasks (if not now, soon). */
static bool another_takes_tasks(const struct pool *p, int32_t pid)
{
	for (unsigned i = 0; i < p->nw; i++)
		if (p->w[i]->pid != pid && worker_takes_tasks(p->w[i]))
			return true;
	return false;
}

/* Queue to workers: each task to the worker with the least in flight, in
 * batches: the least loaded takes consecutive tasks until it holds a
 * little more than the next one (an eighth of the depth), so that a worker
 * answers runs of records (what -k writes next, and what its epoch keeps:
 * worker.h). A task that failed on a worker runs again on another: when
 * only that worker can take a task now, it gets the next task instead, and
 * when there is none, the retried one waits for the other to be free. Then
 * each worker given tasks writes them, in one write. */
void dispatch(struct pool *p)
{
	while (p->ts.qlen > 0 && p->stop == STOP_NONE && !sink_backed_up(p)) {
		struct worker *other, *best;
		uint32_t next;
		int32_t avoid = p->ts.t[tasks_peek(&p->ts)].avoid_pid;
		if (!(best = least_loaded(p, avoid, &other, &next)))
			break;
		if (avoid && other)
			best = other;
		else if (avoid && best->pid == avoid && p->ts.qlen > 1)
			tasks_swap_front(&p->ts);
		else if (avoid && best->pid == avoid && another_takes_tasks(p, avoid))
			break;
		uint32_t upto = next == UINT32_MAX ? UINT32_MAX : next + p->depth / 8 + 1;
		do
			give(p, best, tasks_dequeue(&p->ts));
		while (p->ts.qlen > 0 && best->fifo_len < upto && can_take(p, best) &&
		       !p->ts.t[tasks_peek(&p->ts)].avoid_pid && !sink_backed_up(p));
		dispatch_reindex(p, best); /* once a batch: only least_loaded asks */
	}
	for (unsigned i = 0; i < p->ngiven; i++) {
		struct worker *w = p->given[i];
		w->topping_up = false;
		dispatch_reindex(p, w);
		if (w->out.len && !w->want_write && w->to_fd >= 0)
			dispatch_flush(p, w);
	}
	p->ngiven = 0;
}

/* Tasks the workers still starting under --ready will take once ready: a
 * slow start is capacity on its way, not a reason to start more. */
static uint32_t coming_capacity(const struct pool *p)
{
	uint32_t n = 0;
	if (!p->c->ready_line)
		return 0;
	for (unsigned i = 0; i < p->nw; i++)
		n += !p->w[i]->ready && p->w[i]->state == WORKER_RUNNING;
	return n * p->depth;
}

/* Start workers while tasks wait that no worker can take, and keep --min
 * warm while input may still bring work. Workers still exiting count
 * against --jobs: it caps the processes alive at once. */
void dispatch_scale(struct pool *p)
{
	if (p->stop)
		return;
	bool work_may_come = !p->in_done || p->ts.qlen > 0;
	while (p->nw < autojobs_cap(p) && !p->stop) {
		bool want = p->ts.qlen > coming_capacity(p) ||
			    (work_may_come && p->running < p->c->min);
		if (!want || !life_start(p))
			return;
		dispatch(p);
	}
}

/* Auto depth: about BATCH_NS of work in flight per worker, plus the task it
 * is on. Tiny tasks get deep pipelines; a task of SHORT_NS or more gets 1
 * or 2, so that load balances and -k never waits behind a long queue.
 * Below SHORT_NS a worker holds at least 3: then the next task is in its
 * pipe when it finishes one, and it does not sleep in read(2) waiting for
 * our turn to come round (at -j 1024 a turn takes milliseconds), so a write
 * does not have to wake it: that wake-up was most of what a task cost us. */
void dispatch_learn(struct pool *p, int64_t per_task)
{
	if (p->c->depth)
		return;
	/* A short memory: a run ramps up from depth 1 in a few reads. */
	p->svc_ns = p->svc_ns ? (p->svc_ns + per_task) / 2 : per_task;
	int64_t d = 1 + (p->svc_ns > 0 ? BATCH_NS / p->svc_ns : DEPTH_MAX);
	if (p->svc_ns < SHORT_NS && d < 3)
		d = 3;
	unsigned cap = p->window / (2 * pool_jobs(p));
	if (cap > DEPTH_MAX)
		cap = DEPTH_MAX;
	p->depth = d > (int64_t)cap ? (cap ? cap : 1) : (unsigned)d;
}

/* While every worker holds plenty of work, sleep a little before polling so
 * that answers pile up and are read, and tasks written, in batches: the
 * workers then write into a pipe nobody waits on, which costs them less.
 * Returns how long to wait, 0 when some worker is idle or nearly so. */
int64_t dispatch_nap_ns(const struct pool *p)
{
	/* A worker that drains its pipe faster than we nap: no nap. */
	if (p->c->depth || p->svc_ns <= 0 || p->running == 0 || p->want_write)
		return 0;
	/* The least loaded taker holds the least; none has room to spare
	 * when it is not there: every one holds three quarters of the depth. */
	const struct loadidx_node *n = loadidx_least(&p->takers);
	const struct worker *w = n ? n->owner : NULL;
	unsigned held = w ? w->fifo_len : p->depth - p->depth / 4;
	int64_t least = (int64_t)held * p->svc_ns;
	if (least < 2 * COALESCE_MIN_NS)
		return 0;
	return least / 2 < NS_PER_MS ? least / 2 : NS_PER_MS;
}

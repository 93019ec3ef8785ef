/* dispatch: tasks to workers. Each task goes to the worker with the fewest
 * in flight; a worker holds up to the depth (fixed, or auto: about 1 ms of
 * work), is topped up in batches, and its encoded tasks go out in one
 * write. Scaling starts workers while tasks wait that no worker can take. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "base64.h"
#include "hist.h"
#include "log.h"
#include "loop.h"
#include "pool_impl.h"
#include "util.h"

#define WORKER_PENDING (256u << 10)  /* encoded bytes queued for one worker */
#define BY_REF_MIN (64u << 10)       /* a task this long is written from where it is */
#define DEPTH_MAX 1024
#define BATCH_NS (1 * NS_PER_MS)     /* auto depth: queue about this much work */
#define COALESCE_MIN_NS 100000       /* let answers pile up when workers hold this much */

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
	hist_add(&p->st->wait, (uint64_t)(p->now - t->t_read));
}

/* Whether w may take another task this turn. A worker is topped up only
 * once it has worked off a quarter of its depth, so each write carries a
 * batch instead of one task per answer read. */
static bool can_take(const struct pool *p, const struct worker *w, bool topping_up)
{
	unsigned depth = p->depth > w->min_depth ? p->depth : w->min_depth;
	unsigned low = depth - depth / 4;
	if (!worker_takes_tasks(w) || w->fifo_len >= depth || worker_unsent(w) >= WORKER_PENDING)
		return false;
	if (p->c->ready_line && !w->ready)
		return false; /* it said it would say when */
	if (w->epoch.len >= EPOCH_MAX)
		return false; /* let it drain: see worker.h */
	if (w->max_tasks && w->assigned >= w->max_tasks)
		return false;
	return topping_up || w->fifo_len == 0 || w->fifo_len < low || depth <= 2;
}

void dispatch_flush(struct pool *p, struct worker *w)
{
	int r = worker_flush(w);
	if (r < 0) {
		/* EPIPE: it closed its stdin, most likely dying. It takes
		 * nothing more but still counts as alive, and as running when
		 * it is reaped, until its answers or its exit settle what it
		 * holds. */
		worker_close_input(w, false);
		loop_del(p->loop, w->to_watch);
		w->to_watch = -1;
		return;
	}
	w->want_write = r == 0;
	if (w->to_watch >= 0)
		loop_set(p->loop, w->to_watch, w->want_write ? POLLOUT : 0);
	if (r == 1)
		life_close_if_pending(p, w);
}

/* The worker with the least in flight that can take a task; *next, the
 * least in flight among the others that can (UINT32_MAX: none); *other,
 * the best among those that are not avoid (a retried task failed on it). */
static struct worker *least_loaded(const struct pool *p, int32_t avoid, struct worker **other,
				   uint32_t *next)
{
	struct worker *best = NULL;
	*other = NULL;
	*next = UINT32_MAX;
	for (unsigned i = 0; i < p->nw; i++) {
		struct worker *w = p->w[i];
		if (!can_take(p, w, w->topping_up))
			continue;
		if (!best || w->fifo_len < best->fifo_len) {
			if (best)
				*next = best->fifo_len;
			best = w;
		} else if (w->fifo_len < *next) {
			*next = w->fifo_len;
		}
		if (avoid && w->pid != avoid && (!*other || w->fifo_len < (*other)->fifo_len))
			*other = w;
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
 * batches: the least loaded takes tasks until it holds a little more than
 * the next one (an eighth of the depth), so one scan of the workers serves
 * many tasks. A task that failed on a worker runs again on another: when
 * only that worker can take a task now, it gets the next task instead, and
 * when there is none, the retried one waits for the other to be free. */
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
		do {
			best->topping_up = true;
			give(p, best, tasks_dequeue(&p->ts));
		} while (p->ts.qlen > 0 && best->fifo_len < upto &&
			 !p->ts.t[tasks_peek(&p->ts)].avoid_pid && can_take(p, best, true) &&
			 !sink_backed_up(p));
	}
	for (unsigned i = 0; i < p->nw; i++)
		p->w[i]->topping_up = false;
	for (unsigned i = 0; i < p->nw; i++) {
		struct worker *w = p->w[i];
		if (w->out.len && !w->want_write && w->to_fd >= 0)
			dispatch_flush(p, w);
	}
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
	while (p->nw < p->c->jobs && !p->stop) {
		bool want = p->ts.qlen > coming_capacity(p) ||
			    (work_may_come && p->running < p->c->min);
		if (!want || !life_start(p))
			return;
		dispatch(p);
	}
}

/* Auto depth: about BATCH_NS of work in flight per worker, plus the task it
 * is on. Tiny tasks get deep pipelines; a task of a millisecond or more gets
 * 1 or 2, so that load balances and -k never waits behind a long queue. */
void dispatch_learn(struct pool *p, int64_t per_task)
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
int64_t dispatch_nap_ns(const struct pool *p)
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

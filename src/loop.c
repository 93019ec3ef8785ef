/* loop: the event loop on epoll, or on poll; see loop.h.
 *
 * Watches are indexed by handle. The pollfd array is kept in step with
 * them whatever the backend, so falling back to poll at any time only means
 * passing it to poll(); a watch that is free or paused has fd -1 there,
 * which poll skips. Free handles form a stack: loop_add costs O(1).
 *
 * A turn first gathers what is ready as (handle, generation, revents), then
 * calls back. loop_del bumps the handle's generation, so an entry whose
 * watch an earlier callback deleted (and whose handle it may have reused)
 * is skipped. Entries are called in handle order, as poll's scan did: the
 * signal watch, added first, goes first.
 *
 * With epoll each watch's registered mask is cached, so loop_set with the
 * same events costs no syscall. A pause is one EPOLL_CTL_MOD to
 * EPOLLONESHOT alone, a resume one more. Keeping EPOLLOUT registered and
 * ignoring it would wake every turn: a worker's stdin is paused because
 * nothing waits to be written, so its pipe is writable then. An empty mask
 * would still report errors and hang-ups, every turn; with EPOLLONESHOT
 * such an event comes at most once and is dropped, then the fd is
 * disabled until resumed. DEL/ADD would do as well, at 2.5 times the cost
 * (an allocation and a wait-queue hook in the kernel each time: ~1.0 us a
 * pause and resume against ~0.4 us for MOD/MOD, measured here). Files
 * epoll refuses (regular files, /dev/null: EPERM) are always ready, as poll
 * says of them: they sit on a list that keeps the wait from blocking while
 * they want anything. A second watch on an fd watches a dup of it, since
 * epoll registers an fd only once. */
#define _GNU_SOURCE /* ppoll, epoll_pwait2 */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#if defined(__linux__) && !defined(LOOP_POLL_ONLY)
#define LOOP_EPOLL 1
#include <sys/epoll.h>
_Static_assert(POLLIN == EPOLLIN && POLLOUT == EPOLLOUT && POLLPRI == EPOLLPRI &&
		       POLLERR == EPOLLERR && POLLHUP == EPOLLHUP,
	       "poll and epoll event bits are the same on Linux");
#else
#define LOOP_EPOLL 0
#endif

#define KERNEL_EVENTS (POLLIN | POLLOUT | POLLPRI | POLLERR | POLLHUP)

struct watch {
	loop_fn *fn; /* NULL: the handle is free */
	void *ctx;
	int fd;       /* the caller's */
	uint32_t gen; /* bumped by loop_del */
	int kfd;      /* what epoll watches: the fd or a dup of it; -1: nothing */
	short kmask;  /* the events epoll has for kfd */
	int link;     /* free: the next free handle; always-ready: index in l->always */
};

struct ready {
	int h;
	uint32_t gen;
	short rev;
};

struct loop {
	struct pollfd *pfd;
	struct watch *w;
	struct ready *rd;
	int *always; /* handles of the watches epoll refused */
	int n;       /* handles ever used: pfd[0, n) goes to poll() */
	int cap, free, nalways;
	int live;     /* watches in use */
	int poll_max; /* poll while live <= poll_max; -1: poll for good */
	int epfd;     /* -1: poll */
#if LOOP_EPOLL
	struct epoll_event *ev;
#endif
	struct loop_stats st;
};

static int grow(struct loop *l)
{
	int cap = l->cap ? l->cap * 2 : 16;
	/* Each array only ever grows, so a failure midway leaves them usable. */
#define GROW(a)                                                       \
	do {                                                          \
		void *p_ = realloc(l->a, (size_t)cap * sizeof *l->a); \
		if (!p_)                                              \
			return -1;                                    \
		l->a = p_;                                            \
	} while (0)
	GROW(pfd);
	GROW(w);
	GROW(rd);
	GROW(always);
#if LOOP_EPOLL
	GROW(ev);
#endif
#undef GROW
	l->cap = cap;
	return 0;
}

static void switch_to_epoll(struct loop *l);

struct loop *loop_new(int poll_max)
{
	struct loop *l = calloc(1, sizeof *l);
	if (!l || grow(l) < 0) {
		loop_free(l);
		return NULL;
	}
	l->free = -1;
	l->epfd = -1;
	l->poll_max = LOOP_EPOLL ? (poll_max < 0 ? 0 : poll_max) : -1;
	if (l->poll_max == 0)
		switch_to_epoll(l);
	return l;
}

/* ---- a turn ------------------------------------------------------------- */

#if LOOP_EPOLL || !defined(__linux__)
/* The wait until deadline in milliseconds, for poll and epoll_wait. */
static int timeout_ms(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - now_ns();
	/* Round up: waking a little late beats spinning awake early. */
	int64_t ms = left <= 0 ? 0 : (left + NS_PER_MS - 1) / NS_PER_MS;
	return ms > 3600000 ? 3600000 : (int)ms;
}
#endif

/* The wait until deadline to the nanosecond (a write paced to a worker's
 * reading is due in tens of microseconds); NULL: none. */
static struct timespec *timeout_ts(int64_t deadline, struct timespec *ts)
{
	if (deadline < 0)
		return NULL;
	int64_t left = deadline - now_ns();
	if (left < 0)
		left = 0;
	if (left > 3600 * NS_PER_SEC)
		left = 3600 * NS_PER_SEC;
	ts->tv_sec = (time_t)(left / NS_PER_SEC);
	ts->tv_nsec = (long)(left % NS_PER_SEC);
	return ts;
}

static int gather_poll(struct loop *l, int64_t deadline)
{
	l->st.waits++;
#ifdef __linux__
	struct timespec ts;
	int ready = ppoll(l->pfd, (nfds_t)l->n, timeout_ts(deadline, &ts), NULL);
#else
	int ready = poll(l->pfd, (nfds_t)l->n, timeout_ms(deadline));
#endif
	if (ready < 0)
		return -1;
	int k = 0;
	for (int h = 0; h < l->n && k < ready; h++)
		if (l->pfd[h].revents)
			l->rd[k++] = (struct ready){h, l->w[h].gen, l->pfd[h].revents};
	return k;
}

/* ---- epoll ------------------------------------------------------------- */

#if LOOP_EPOLL
static int ctl(struct loop *l, int op, int fd, int h, short events)
{
	/* The generation rides along: an event of a registration that
	 * outlived its watch (an fd closed first) is told by it. */
	uint64_t data = (uint64_t)l->w[h].gen << 32 | (uint32_t)h;
	uint32_t mask = events ? (uint32_t)events : EPOLLONESHOT; /* paused: see the top */
	struct epoll_event ev = {.events = mask, .data.u64 = data};
	l->st.changes++;
	return epoll_ctl(l->epfd, op, fd, &ev);
}

static void always_add(struct loop *l, int h)
{
	l->w[h].link = l->nalways;
	l->always[l->nalways++] = h;
}

static void always_del(struct loop *l, int h)
{
	int i = l->w[h].link, last = l->always[--l->nalways];
	l->always[i] = last;
	l->w[last].link = i;
}

/* Register watch h with epoll: 0, or -1 with errno. */
static int kernel_add(struct loop *l, int h)
{
	struct watch *w = &l->w[h];
	int fd = w->fd;
	short events = l->pfd[h].events;
	if (ctl(l, EPOLL_CTL_ADD, fd, h, events) == 0) {
		w->kfd = fd;
		w->kmask = events;
		return 0;
	}
	if (errno == EPERM) {
		always_add(l, h);
		return 0;
	}
	if (errno != EEXIST)
		return -1;
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (d < 0)
		return -1;
	if (ctl(l, EPOLL_CTL_ADD, d, h, events) < 0) {
		close_fd(&d);
		return -1;
	}
	w->kfd = d;
	w->kmask = events;
	return 0;
}

/* Give up on epoll: the pollfd array is already what poll() needs. */
static void fall_back_to_poll(struct loop *l)
{
	for (int h = 0; h < l->n; h++) {
		struct watch *w = &l->w[h];
		if (!w->fn)
			continue;
		if (w->kfd >= 0 && w->kfd != w->fd)
			close_fd(&w->kfd);
		w->kfd = -1;
		w->link = -1;
	}
	l->nalways = 0;
	close_fd(&l->epfd);
	l->poll_max = -1;
}

/* Past poll_max watches: register them all with epoll, which serves from
 * then on (a pool that shrank may grow again). When epoll cannot be had,
 * poll serves for good. */
static void switch_to_epoll(struct loop *l)
{
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		l->poll_max = -1;
		return;
	}
	for (int h = 0; h < l->n; h++)
		if (l->w[h].fn && l->w[h].fd >= 0 && kernel_add(l, h) < 0) {
			fall_back_to_poll(l);
			return;
		}
	l->poll_max = -1;
}

static void kernel_set(struct loop *l, int h, short events)
{
	if (ctl(l, EPOLL_CTL_MOD, l->w[h].kfd, h, events) < 0)
		fall_back_to_poll(l); /* its fd was closed first: poll will say so */
	else
		l->w[h].kmask = events;
}

static void kernel_del(struct loop *l, int h)
{
	struct watch *w = &l->w[h];
	if (w->kfd < 0) {
		if (w->link >= 0)
			always_del(l, h);
		return;
	}
	/* It fails when the fd was closed first; nothing more can be done
	 * then, and an orphan shows itself in gather_epoll. */
	(void)ctl(l, EPOLL_CTL_DEL, w->kfd, h, 0);
	if (w->kfd != w->fd)
		close_fd(&w->kfd);
	w->kfd = -1;
}

static int by_handle(const void *a, const void *b)
{
	int x = ((const struct ready *)a)->h, y = ((const struct ready *)b)->h;
	return (x > y) - (x < y);
}

/* The always-ready watches that want something: entries from rd[0]. */
static int gather_always(struct loop *l)
{
	int k = 0;
	for (int i = 0; i < l->nalways; i++) {
		int h = l->always[i];
		short rev = l->pfd[h].events & (POLLIN | POLLOUT);
		if (rev)
			l->rd[k++] = (struct ready){h, l->w[h].gen, rev};
	}
	return k;
}

/* epoll_wait to the nanosecond where the kernel can (Linux 5.11). */
static int wait_epoll(struct loop *l, int64_t deadline)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
	static bool no_pwait2;
	if (!no_pwait2) {
		struct timespec ts;
		int got = epoll_pwait2(l->epfd, l->ev, l->cap, timeout_ts(deadline, &ts), NULL);
		if (got >= 0 || errno != ENOSYS)
			return got;
		no_pwait2 = true;
	}
#endif
	return epoll_wait(l->epfd, l->ev, l->cap, timeout_ms(deadline));
}

static int gather_epoll(struct loop *l, int64_t deadline)
{
	int k, got, dropped;
	bool orphan = false;
	do { /* again while all it brought were hang-ups of paused watches */
		k = gather_always(l);
		dropped = 0;
		l->st.waits++;
		got = wait_epoll(l, k ? 0 : deadline);
		if (got < 0)
			return -1;
		for (int i = 0; i < got; i++) {
			int h = (int)(uint32_t)l->ev[i].data.u64;
			uint32_t gen = (uint32_t)(l->ev[i].data.u64 >> 32);
			if (h >= l->n || !l->w[h].fn || l->w[h].gen != gen)
				orphan = true; /* no callback has run yet: not a deletion */
			else if (!l->pfd[h].events)
				dropped++; /* EPOLLONESHOT has disabled it */
			else
				l->rd[k++] = (struct ready){h, gen,
							    (short)(l->ev[i].events & KERNEL_EVENTS)};
		}
	} while (k == 0 && got > 0 && dropped == got);
	if (orphan)
		fall_back_to_poll(l);
	if (k > 1)
		qsort(l->rd, (size_t)k, sizeof *l->rd, by_handle);
	return k;
}

#else
/* Without epoll the pollfd array is all there is. */
static int kernel_add(struct loop *l, int h)
{
	(void)l, (void)h;
	return 0;
}
static void kernel_set(struct loop *l, int h, short events)
{
	(void)l, (void)h, (void)events;
}
static void kernel_del(struct loop *l, int h)
{
	(void)l, (void)h;
}
static void fall_back_to_poll(struct loop *l)
{
	(void)l;
}
static void switch_to_epoll(struct loop *l)
{
	(void)l;
}
static int gather_epoll(struct loop *l, int64_t deadline)
{
	return gather_poll(l, deadline);
}
#endif

/* ---- watches ------------------------------------------------------------ */

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		fall_back_to_poll(l); /* closes the dups and the epoll fd */
	free(l->pfd);
	free(l->w);
	free(l->rd);
	free(l->always);
#if LOOP_EPOLL
	free(l->ev);
#endif
	free(l);
}

int loop_add(struct loop *l, int fd, short events, loop_fn *fn, void *ctx)
{
	if (l->free < 0 && l->n == l->cap && grow(l) < 0)
		return -1;
	bool fresh = l->free < 0;
	int h = fresh ? l->n : l->free;
	struct watch *w = &l->w[h];
	int next_free = fresh ? -1 : w->link;
	*w = (struct watch){.fn = fn, .ctx = ctx, .fd = fd, .gen = fresh ? 0 : w->gen, .kfd = -1,
			    .link = -1};
	l->pfd[h] = (struct pollfd){.fd = events ? fd : -1, .events = events, .revents = 0};
	if (fd >= 0 && l->epfd >= 0 && kernel_add(l, h) < 0) {
		int err = errno;
		w->fn = NULL;
		w->link = next_free;
		l->pfd[h].fd = -1;
		errno = err;
		return -1;
	}
	if (fresh)
		l->n++;
	else
		l->free = next_free;
	if (++l->live > l->poll_max && l->poll_max >= 0 && l->epfd < 0)
		switch_to_epoll(l);
	return h;
}

void loop_set(struct loop *l, int handle, short events)
{
	struct watch *w = &l->w[handle];
	if (!w->fn)
		return;
	l->pfd[handle].fd = events ? w->fd : -1;
	l->pfd[handle].events = events;
	if (w->kfd >= 0 && w->kmask != events)
		kernel_set(l, handle, events);
}

void loop_del(struct loop *l, int handle)
{
	struct watch *w = &l->w[handle];
	if (!w->fn)
		return;
	kernel_del(l, handle);
	w->fn = NULL;
	w->gen++;
	w->link = l->free;
	l->free = handle;
	l->live--;
	l->pfd[handle] = (struct pollfd){.fd = -1, .events = 0, .revents = 0};
}

int loop_once(struct loop *l, int64_t deadline)
{
	int k = l->epfd >= 0 ? gather_epoll(l, deadline) : gather_poll(l, deadline);
	if (k < 0)
		return errno == EINTR ? 0 : -1;
	int calls = 0;
	for (int i = 0; i < k; i++) {
		struct ready r = l->rd[i];
		struct watch *w = &l->w[r.h];
		if (w->gen != r.gen)
			continue; /* deleted by an earlier callback */
		w->fn(w->ctx, w->fd, r.rev);
		calls++;
	}
	l->st.callbacks += (uint64_t)calls;
	return calls;
}

const char *loop_backend(const struct loop *l)
{
	return l->epfd >= 0 ? "epoll" : "poll";
}

const struct loop_stats *loop_stats(const struct loop *l)
{
	return &l->st;
}

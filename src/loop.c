/* loop: poll(2) event loop; see loop.h.
 *
 * Watches are kept in two parallel arrays so the pollfd array goes to poll()
 * as it is. A deleted watch gets fd -1, which poll() skips, and its slot is
 * reused; callbacks may add and delete watches while the loop dispatches. */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "util.h"

struct watch {
	loop_fn *fn;
	void *ctx;
};

struct loop {
	struct pollfd *pfd;
	struct watch *w;
	int n, cap;
};

struct loop *loop_new(void)
{
	return calloc(1, sizeof(struct loop));
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	free(l->pfd);
	free(l->w);
	free(l);
}

int loop_add(struct loop *l, int fd, short events, loop_fn *fn, void *ctx)
{
	int h;
	for (h = 0; h < l->n; h++)
		if (l->pfd[h].fd < 0)
			break;
	if (h == l->n) {
		if (l->n == l->cap) {
			int cap = l->cap ? l->cap * 2 : 16;
			struct pollfd *p = realloc(l->pfd, (size_t)cap * sizeof *p);
			if (!p)
				return -1;
			l->pfd = p;
			struct watch *w = realloc(l->w, (size_t)cap * sizeof *w);
			if (!w)
				return -1;
			l->w = w;
			l->cap = cap;
		}
		l->n++;
	}
	l->pfd[h] = (struct pollfd){.fd = fd, .events = events, .revents = 0};
	l->w[h] = (struct watch){fn, ctx};
	return h;
}

void loop_set(struct loop *l, int handle, short events)
{
	l->pfd[handle].events = events;
}

void loop_del(struct loop *l, int handle)
{
	l->pfd[handle].fd = -1;
	l->pfd[handle].revents = 0;
	while (l->n > 0 && l->pfd[l->n - 1].fd < 0)
		l->n--;
}

int loop_once(struct loop *l, int64_t deadline)
{
	int timeout = -1;
	if (deadline >= 0) {
		int64_t left = deadline - now_ns();
		/* Round up: waking a little late beats spinning awake early. */
		int64_t ms = left <= 0 ? 0 : (left + NS_PER_MS - 1) / NS_PER_MS;
		timeout = ms > 3600000 ? 3600000 : (int)ms;
	}
	int ready = poll(l->pfd, (nfds_t)l->n, timeout);
	if (ready < 0)
		return errno == EINTR ? 0 : -1;
	int calls = 0;
	for (int h = 0; h < l->n && ready > 0; h++) {
		short rev = l->pfd[h].revents;
		if (!rev || l->pfd[h].fd < 0)
			continue;
		ready--;
		l->pfd[h].revents = 0;
		l->w[h].fn(l->w[h].ctx, l->pfd[h].fd, rev);
		calls++;
	}
	return calls;
}

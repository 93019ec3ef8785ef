/* loop: the only caller of the kernel's readiness API (epoll on Linux, poll
 * elsewhere or when epoll cannot be had). Watches fds and calls back; knows
 * nothing of what the fds are. Timers stay with their owners: each turn the
 * caller passes the nearest deadline it cares about.
 *
 * Level-triggered, as poll is: a watch is called back every turn its fd is
 * ready. Events 0 pauses a watch: it is not called back at all, not even
 * for an error or a hang-up, until it is given events again. (poll reports
 * those to any fd it is given, so a paused stdin whose writer had exited,
 * or a stdout whose reader had, woke every turn.) With epoll a turn costs
 * in proportion to the watches that are ready, not to those that exist.
 *
 * Delete a watch before closing its fd: epoll keeps watching a file as long
 * as any process holds it open. (Should it happen anyway, the loop notices
 * the orphaned registration and falls back to poll rather than spin.) */
#ifndef PROCPOOL_LOOP_H
#define PROCPOOL_LOOP_H

#include <stdint.h>

struct loop;
typedef void loop_fn(void *ctx, int fd, short revents);

/* What the loop has done, for -v and --stats. */
struct loop_stats {
	uint64_t waits;     /* epoll_wait or poll calls */
	uint64_t changes;   /* epoll_ctl calls */
	uint64_t callbacks;
};

/* NULL when out of memory. While at most poll_max watches exist, poll
 * serves: one call over a few fds costs less than epoll, whose wake-up
 * callback runs on every write into a watched pipe, whether or not the loop
 * is waiting (a quarter of the CPU of a pool of two echoing workers,
 * measured here). Past that, epoll serves for good; 0: epoll from the
 * start. */
struct loop *loop_new(int poll_max);
void loop_free(struct loop *l);
/* Watch fd for events (POLLIN/POLLOUT, 0 to pause); a negative fd is never
 * ready. Returns a handle >= 0, or -1 with errno (out of memory, or, when
 * epoll serves, a bad fd; poll reports one as POLLNVAL). */
int loop_add(struct loop *l, int fd, short events, loop_fn *fn, void *ctx);
/* Change what a handle waits for; the same events again cost nothing. */
void loop_set(struct loop *l, int handle, short events);
/* Stop watching; the handle may be reused by a later loop_add. A watch
 * deleted by a callback is not called back, even if it was ready in the
 * same turn. */
void loop_del(struct loop *l, int handle);
/* Wait until an fd is ready or the monotonic deadline (ns, -1: none) passes,
 * then call back every ready fd, in handle order. Callbacks may add and
 * delete watches; one added during a turn is called from the next on.
 * Returns the number of callbacks made, or -1 with errno (EINTR is not an
 * error: it returns 0). */
int loop_once(struct loop *l, int64_t deadline);
/* "epoll" or "poll". */
const char *loop_backend(const struct loop *l);
const struct loop_stats *loop_stats(const struct loop *l);

#endif

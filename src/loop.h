/* loop: the only caller of poll(). Watches fds and calls back; knows nothing
 * of what the fds are. Timers stay with their owners: each turn the caller
 * passes the nearest deadline it cares about. */
#ifndef PROCPOOL_LOOP_H
#define PROCPOOL_LOOP_H

#include <stdint.h>

struct loop;
typedef void loop_fn(void *ctx, int fd, short revents);

struct loop *loop_new(void);
void loop_free(struct loop *l);
/* Watch fd for events (POLLIN/POLLOUT, 0 to pause). Returns a handle >= 0,
 * or -1 when out of memory. */
int loop_add(struct loop *l, int fd, short events, loop_fn *fn, void *ctx);
/* Change what a handle waits for. */
void loop_set(struct loop *l, int handle, short events);
/* Stop watching; the handle may be reused by a later loop_add. */
void loop_del(struct loop *l, int handle);
/* Wait until an fd is ready or the monotonic deadline (ns, -1: none) passes,
 * then call back every ready fd. Returns the number of callbacks made, or
 * -1 with errno (EINTR is not an error: it returns 0). */
int loop_once(struct loop *l, int64_t deadline);

#endif

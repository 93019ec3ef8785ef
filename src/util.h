/* util: small system helpers that retry EINTR and keep errno. */
#ifndef PROCPOOL_UTIL_H
#define PROCPOOL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define NS_PER_SEC 1000000000LL
#define NS_PER_MS 1000000LL

/* Monotonic clock in nanoseconds. */
int64_t now_ns(void);
/* Wall clock in nanoseconds since the epoch. */
int64_t wall_ns(void);
int fd_set_nonblock(int fd);
int fd_set_cloexec(int fd);
/* pipe with both ends close-on-exec. */
int pipe_cloexec(int fds[2]);
/* Write all n bytes to an fd, waiting in poll() if it is non-blocking and
 * full. 0, or -1 with errno. */
int write_all(int fd, const void *p, size_t n);
/* writev() until all cnt buffers are written, as write_all; updates v. */
int writev_all(int fd, struct iovec *v, int cnt);
/* read() that retries EINTR. */
ssize_t read_retry(int fd, void *p, size_t n);
/* close() that keeps errno and sets *fd to -1. */
void close_fd(int *fd);
/* "SIGKILL" for 9; "signal 77" for unknown numbers (static buffer). */
const char *signal_name(int sig);
/* Format a duration for humans: "1.25s", "340ms", "12µs". */
void format_duration(char *dst, size_t len, int64_t ns);
/* Format a long duration in whole units for humans: "45s", "12m05s",
 * "1h35m", "2d03h". Negative counts as 0. */
void format_duration_coarse(char *dst, size_t len, int64_t ns);
/* The width of the terminal on fd in columns; 0 when it is none or unknown. */
unsigned term_columns(int fd);

#endif

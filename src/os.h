/* os: the seam for calls that only some systems have. Linux gets the real
 * thing; elsewhere each call degrades as its comment says. */
#ifndef PROCPOOL_OS_H
#define PROCPOOL_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Number of online CPUs, at least 1. */
unsigned os_online_cpus(void);
/* In a child: close every fd >= 3 except keep. Async-signal-safe. */
void os_close_from(int lowfd, int keep);
/* In a child: ask for SIGKILL when the parent dies (Linux); elsewhere no-op,
 * and the worker ends at EOF on its stdin instead. 0 or -1. */
int os_die_with_parent(void);
/* In a child: pin to the CPUs of a validated list like "0-3,6" (Linux); -1
 * with ENOSYS elsewhere. */
int os_pin_cpus(const char *list);

/* Raise the soft limit on open fds toward want, never past the hard limit;
 * returns the soft limit then in force (want when it is at least that).
 * Call once, before any child. */
uint64_t os_raise_nofile(uint64_t want);
/* In a child: the soft limit on open fds back to what procpool started
 * with, if it raised it, so a worker gets the limits its user set. 0 or -1. */
int os_restore_nofile(void);

/* In a child: pin to the n-th CPU (from 0, wrapping around) of a validated
 * list (Linux); -1 with ENOSYS elsewhere. */
int os_pin_nth_cpu(const char *list, unsigned n);

/* Ask for a pipe buffer of at least size bytes (Linux F_SETPIPE_SZ) where
 * fd is a pipe or FIFO with less; a no-op for other files, elsewhere or
 * when refused: a bigger pipe only saves wake-ups and context switches. */
void os_grow_pipe(int fd, int size);

/* The pipe buffer procpool asks for: Linux's default pipe-max-size, the
 * most an unprivileged process may set. */
#define OS_PIPE_BYTES (1 << 20)

/* Drop the pages of a read-only file mapping in [p, p+n) (page-aligned)
 * from our memory; touched again, they come back from the page cache
 * (Linux MADV_DONTNEED; elsewhere a hint that may do nothing). */
void os_let_go(void *p, size_t n);
/* Hint that a mapping will be read from start to end. */
void os_read_ahead(void *p, size_t n);
/* Map in the pages of a read-only file mapping that [p, p+n) touches
 * now, in one call, rather than fault them in as they are touched (Linux
 * 5.14's MADV_POPULATE_READ; elsewhere nothing). */
void os_map_in(void *p, size_t n);

/* Move n bytes of file fd from offset off into the pipe pipe_fd without
 * copying them through our memory (Linux splice, non-blocking on the
 * pipe). Returns the bytes moved, or -1 with errno (EAGAIN: the pipe is
 * full; ENOSYS: not here, write them instead). */
ssize_t os_splice_file(int fd, off_t off, int pipe_fd, size_t n);

/* Bytes written into a pipe and not yet read, asked at either end (Linux,
 * the BSDs: FIONREAD); -1 when the system does not say. */
long os_pipe_unread(int fd);

/* A read end of the pipe (inode ino) that is process pid's stdin, opened
 * anew (Linux /proc), so that how much of it is left unread can still be
 * asked once our write end is closed; -1 when it cannot be had. */
int os_open_stdin_of(int pid, unsigned long ino);
/* Whether the pipe whose write end is fd has no reader left. */
bool os_pipe_unread_by_all(int fd);

/* Whether process pid, or a process it started (a shell wrapper's child),
 * sleeps in read(2) on the pipe whose inode is ino: 1 yes, 0 no (it runs, or
 * waits for something else), -1 cannot tell (Linux /proc says; elsewhere
 * always -1). */
int os_reads_pipe(int pid, unsigned long ino);

#endif

/* master: procpool's own ssh connections to the hosts ("masters"), in ssh
 * mode (see remote.h), and the private directory their control sockets
 * live in.
 *
 * A master is a child of procpool (ssh -N with ControlMaster=yes), killed
 * with it, that writes REMOTE_MASTER_READY on its stdout once its control
 * socket listens, and ssh's own messages to a log file beside the socket;
 * workers are sessions on it (ControlMaster=no), which start in tens of
 * milliseconds where a connection takes hundreds. A host gets one master,
 * and another once its masters' sessions are all taken: sshd allows
 * MaxSessions (10 by default) per connection and refuses the rest. One
 * session of each master stays free for the signal sessions that reach its
 * workers (see masters_signal), so a master takes limit - 1 workers. A
 * refused session teaches the host's limit: the sessions its master had
 * then. At most one master per host is connecting at a time: sshd drops
 * connections past MaxStartups unauthenticated ones.
 *
 * The loop tells this module what happens: its masters' output through the
 * watches it adds, their exits through masters_reaped() (the pool reaps
 * every child), the time through masters_timers(). It keeps each host's
 * connecting and free_slots counts (host.h) up to date, and reports a
 * master ready or gone through the callback. */
#ifndef PROCPOOL_MASTER_H
#define PROCPOOL_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "host.h"
#include "loop.h"
#include "remote.h"

/* Sessions a master is taken to allow until one is refused (sshd's default). */
#define MASTER_SESSIONS 10
/* A master that has not said it is ready after this long is stopped. */
#define MASTER_READY_NS ((int64_t)(REMOTE_CONNECT_TIMEOUT + 20) * 1000000000LL)

struct master;
struct masters;

enum master_event {
	MASTER_READY, /* it takes sessions */
	MASTER_GONE,  /* it exited (or was stopped); its sessions are gone too */
};

typedef void masters_fn(void *ctx, struct master *m, enum master_event ev);

/* The masters of hosts hs, reached through rs (ssh mode), watched in loop
 * l; fn(ctx, ...) hears of their events. NULL when out of memory. The
 * directory is made when the first master starts. */
struct masters *masters_new(const struct remote_ssh *rs, struct hosts *hs, struct loop *l,
			    masters_fn *fn, void *ctx);
/* Stop every master (SIGTERM), wait up to wait_ns for them to exit, SIGKILL
 * the rest, remove the directory and free everything. Call it once no
 * worker uses them; it reaps the masters itself. */
void masters_free(struct masters *ms, int64_t wait_ns);

/* A session for a new worker on host hi at now: a ready master with room,
 * its count of sessions taken; or NULL, when none has room: a master is
 * connecting for it then (started now unless one already was), and
 * MASTER_READY or MASTER_GONE follows. NULL with errno set when a master
 * cannot even be started (the host's failure: master_error says why). */
struct master *masters_session(struct masters *ms, unsigned hi, int64_t now);
/* A session taken with masters_session ended. started: it got as far as
 * the start marker. A session that did not, on a master that reported a
 * refused session since, was refused (MaxSessions): the host's limit drops
 * to the sessions the master had, and this returns true (start the worker
 * again: neither it nor the host failed). */
bool masters_session_end(struct masters *ms, struct master *m, bool started);

/* Send signal signame ("TERM", "KILL") to the remote worker rpid (its
 * process group) that runs on m, through a session of m's own; signals
 * asked for while one is on its way follow in one session after it. For a
 * worker whose local ssh is killed or died: ssh forwards no signal. 0, or
 * -1 with errno (m is not ready: then the connection is gone, and the
 * remote watchdog ends the worker). */
int masters_signal(struct masters *ms, struct master *m, const char *signame, long rpid);

/* pid was reaped with status: true when it was a master or a signal
 * session (then its events follow), false when it is none of ours. */
bool masters_reaped(struct masters *ms, pid_t pid, int status, int64_t now);
/* Stop masters that took too long to be ready; the next deadline, or -1. */
int64_t masters_timers(struct masters *ms, int64_t now);

unsigned master_host(const struct master *m);
/* Its ControlPath, for remote_worker_argv. */
const char *master_control(const struct master *m);
pid_t master_pid(const struct master *m);
bool master_is_ready(const struct master *m);
/* The last line it wrote other than the ready line (ssh's complaint), or
 * how it ended; "" when none. */
const char *master_error(const struct master *m);
/* Sessions on it now, and the most it takes. */
unsigned master_sessions(const struct master *m);
/* The number of ready masters of host hi, and of all its masters. */
unsigned masters_ready(const struct masters *ms, unsigned hi);
unsigned masters_count(const struct masters *ms, unsigned hi);
/* The host's sessions per master, as learned (MASTER_SESSIONS at first). */
unsigned masters_limit(const struct masters *ms, unsigned hi);
/* The private directory, "" until the first master starts. */
const char *masters_dir(const struct masters *ms);

#endif

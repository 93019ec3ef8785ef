/* master: procpool's ssh masters, their sessions and their directory; see
 * master.h.
 *
 * Ownership: struct masters owns every master; a master owns its output
 * pipe, its watch and its signal session. A master that is gone stays
 * until its last session ended (workers hold pointers to it), then is
 * freed. Its control socket is unlinked when it is gone, so a stale one
 * (a master killed before it could remove it) never meets a new master.
 *
 * A master's stdout carries its ready line; ssh's own messages (its stderr)
 * go to a log file of its own in the directory, read when they matter: to
 * tell a refused session (sshd's "open failed") from one that failed, and
 * to say why the master ended. */
#include "master.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "spawn.h"
#include "util.h"

/* A ControlPath must fit a socket's path (108 bytes on Linux, 104 on the
 * BSDs) with the 17 bytes ssh appends to the temporary name it binds. */
#define CONTROL_MAX 84
#define LOG_SUFFIX ".log"
#define DIR_MAX 64
#define LINE_MAX_KEPT 4096
/* What the master says when sshd refused a session on it. */
#define REFUSED "open failed"
#define SIGNAME_MAX 8

struct pending {
	char signame[SIGNAME_MAX];
	long rpid;
};

struct master {
	struct masters *ms;
	unsigned host, id;
	pid_t pid;            /* -1 once reaped */
	bool ready, gone;
	int out_fd, watch;    /* its stdout; -1 once at EOF */
	struct buf line;      /* the start of a line not yet ended */
	char control[CONTROL_MAX];
	char log[CONTROL_MAX + sizeof LOG_SUFFIX];
	off_t log_read;       /* bytes of its log taken */
	unsigned sessions;    /* open on it: workers and signal sessions */
	unsigned workers;
	unsigned refusals, refusals_seen;
	int64_t started_at, deadline;
	char error[HOST_ERROR_MAX];
	bool stopped;         /* by procpool, error saying why */
	pid_t sig_pid;        /* the signal session on its way, or -1 */
	unsigned sig_sent;    /* how many of pend it carries */
	struct pending *pend; /* signals to send, oldest first */
	unsigned npend, pend_cap;
};

struct masters {
	const struct remote_ssh *rs;
	struct hosts *hs;
	struct loop *loop;
	masters_fn *fn;
	void *ctx;
	char dir[DIR_MAX];
	struct master **m;
	unsigned n, cap;
	unsigned *limit, *next_id; /* per host */
	unsigned busy;             /* inside a callback: free nothing */
};

static void on_output(void *ctx, int fd, short revents);

struct masters *masters_new(const struct remote_ssh *rs, struct hosts *hs, struct loop *l,
			    masters_fn *fn, void *ctx)
{
	struct masters *ms = calloc(1, sizeof *ms);
	if (!ms)
		return NULL;
	ms->limit = calloc(hs->n + 1, sizeof *ms->limit);
	ms->next_id = calloc(hs->n + 1, sizeof *ms->next_id);
	if (!ms->limit || !ms->next_id) {
		free(ms->limit);
		free(ms->next_id);
		free(ms);
		return NULL;
	}
	for (unsigned i = 0; i < hs->n; i++)
		ms->limit[i] = MASTER_SESSIONS;
	ms->rs = rs;
	ms->hs = hs;
	ms->loop = l;
	ms->fn = fn;
	ms->ctx = ctx;
	return ms;
}

/* The workers a master of host hi takes: one session stays for signals. */
static unsigned worker_cap(const struct masters *ms, unsigned hi)
{
	return ms->limit[hi] > 1 ? ms->limit[hi] - 1 : 1;
}

static bool takes_worker(const struct master *m)
{
	return m->ready && !m->gone && m->workers < worker_cap(m->ms, m->host) &&
	       m->sessions < m->ms->limit[m->host];
}

/* Recount host hi's connecting masters and free worker sessions. */
static void update_host(struct masters *ms, unsigned hi)
{
	struct host *h = &ms->hs->h[hi];
	h->connecting = h->free_slots = 0;
	for (unsigned i = 0; i < ms->n; i++) {
		struct master *m = ms->m[i];
		if (m->host != hi || m->gone)
			continue;
		if (!m->ready)
			h->connecting++;
		else if (takes_worker(m))
			h->free_slots += worker_cap(ms, hi) - m->workers;
	}
}

static const char *host_name(const struct masters *ms, unsigned hi)
{
	return ms->hs->h[hi].login;
}

/* The masters whose directory is made and not yet removed: a run that
 * ends in exit() (log_die) removes it too, and stops them. */
static struct masters *with_dir;

/* The masters' sockets and logs, and their directory. */
static void remove_files(struct masters *ms)
{
	for (unsigned i = 0; i < ms->n; i++) {
		unlink(ms->m[i]->control);
		unlink(ms->m[i]->log);
	}
	if (ms->dir[0] && rmdir(ms->dir) < 0)
		log_warn("cannot remove %s: %s", ms->dir, strerror(errno));
	ms->dir[0] = '\0';
	with_dir = NULL;
}

static void signal_all(struct masters *ms, int sig);

static void remove_at_exit(void)
{
	if (with_dir) {
		signal_all(with_dir, SIGTERM);
		remove_files(with_dir);
	}
}

/* The private directory: in $TMPDIR when a socket path fits there and ssh
 * would not read % tokens in it, else in /tmp. 0 or -1 with errno. */
static int make_dir(struct masters *ms)
{
	static bool registered;
	if (ms->dir[0])
		return 0;
	if (!registered && atexit(remove_at_exit) != 0)
		return -1;
	registered = true;
	const char *base = getenv("TMPDIR");
	if (!base || base[0] != '/' || strlen(base) > DIR_MAX - 20 || strpbrk(base, "% \t\n"))
		base = "/tmp";
	snprintf(ms->dir, sizeof ms->dir, "%s/procpool-XXXXXX", base);
	if (!mkdtemp(ms->dir)) {
		ms->dir[0] = '\0';
		return -1;
	}
	with_dir = ms;
	return 0;
}

static void master_free(struct master *m)
{
	if (m->watch >= 0)
		loop_del(m->ms->loop, m->watch);
	close_fd(&m->out_fd);
	buf_free(&m->line);
	free(m->pend);
	free(m);
}

/* Forget m if it is gone and nothing refers to it any more. */
static void release(struct masters *ms, struct master *m)
{
	if (!m->gone || m->sessions || m->pid > 0 || m->sig_pid > 0 || ms->busy)
		return;
	for (unsigned i = 0; i < ms->n; i++)
		if (ms->m[i] == m) {
			ms->m[i] = ms->m[--ms->n];
			break;
		}
	unlink(m->log);
	master_free(m);
}

static void emit(struct masters *ms, struct master *m, enum master_event ev)
{
	update_host(ms, m->host);
	ms->busy++;
	ms->fn(ms->ctx, m, ev);
	ms->busy--;
}

static void set_error(struct master *m, const char *s, size_t n)
{
	if (m->stopped)
		return; /* procpool's reason stands */
	if (n >= sizeof m->error)
		n = sizeof m->error - 1;
	memcpy(m->error, s, n);
	m->error[n] = '\0';
}

/* Stop m for a reason of procpool's own, which becomes its error. */
static void stop(struct master *m, const char *why)
{
	set_error(m, why, strlen(why));
	m->stopped = true;
	if (m->pid > 0)
		kill(m->pid, SIGTERM);
}

/* The ready line: its control socket must be where procpool put it (an -o
 * ControlPath in --ssh would move it out of reach). */
static void became_ready(struct masters *ms, struct master *m, int64_t now)
{
	struct stat st;
	if (stat(m->control, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		stop(m, "its control socket is not where procpool put it (does --ssh set "
			"ControlPath?)");
		return;
	}
	m->ready = true;
	m->error[0] = '\0'; /* what it said while connecting was no failure */
	char dur[32];
	format_duration(dur, sizeof dur, now - m->started_at);
	log_event("connection %u to %s ready after %s (ssh %d)", m->id, host_name(ms, m->host), dur,
		  (int)m->pid);
	emit(ms, m, MASTER_READY);
}

/* Whether needle is in s[0..n). */
static bool holds(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return true;
	return false;
}

/* One line of ssh's log, without its line end. */
static void take_log_line(struct master *m, const char *s, size_t n)
{
	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n == 0)
		return;
	/* "channel 3: open failed: ...": sshd refused a session. */
	if (n > 8 && memcmp(s, "channel ", 8) == 0 && holds(s, n, REFUSED)) {
		m->refusals++;
		return;
	}
	set_error(m, s, n);
}

/* Take the whole lines ssh added to m's log since the last look. */
static void read_log(struct master *m)
{
	char chunk[4096];
	int fd = open(m->log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t r;
	size_t kept = 0;
	while ((r = pread(fd, chunk + kept, sizeof chunk - kept, m->log_read + (off_t)kept)) > 0) {
		size_t len = kept + (size_t)r, at = 0;
		char *nl;
		while ((nl = memchr(chunk + at, '\n', len - at))) {
			take_log_line(m, chunk + at, (size_t)(nl - chunk) - at);
			at = (size_t)(nl - chunk) + 1;
		}
		/* A line longer than the chunk: its start is dropped. */
		if (at == 0 && len == sizeof chunk)
			at = len;
		m->log_read += (off_t)at;
		kept = len - at;
		memmove(chunk, chunk + at, kept);
	}
	close(fd);
}

/* Read the master's stdout until nothing is left now: its ready line. */
static void drain(struct masters *ms, struct master *m, int64_t now)
{
	while (m->out_fd >= 0) {
		if (buf_reserve(&m->line, 4096) < 0)
			return;
		ssize_t r = read_retry(m->out_fd, buf_tail(&m->line), buf_room(&m->line));
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			buf_free(&m->line);
			loop_del(ms->loop, m->watch);
			m->watch = -1;
			close_fd(&m->out_fd);
			return;
		}
		m->line.len += (size_t)r;
		char *nl;
		while ((nl = memchr(buf_head(&m->line), '\n', m->line.len))) {
			size_t len = (size_t)(nl - buf_head(&m->line));
			if (len == strlen(REMOTE_MASTER_READY) &&
			    memcmp(buf_head(&m->line), REMOTE_MASTER_READY, len) == 0 && !m->ready &&
			    !m->gone)
				became_ready(ms, m, now);
			buf_consume(&m->line, len + 1);
		}
		/* Nothing else is written there; a long line is not ours. */
		if (m->line.len > LINE_MAX_KEPT)
			buf_consume(&m->line, m->line.len);
		buf_compact(&m->line);
	}
}

static void on_output(void *ctx, int fd, short revents)
{
	struct master *m = ctx;
	(void)fd;
	(void)revents;
	drain(m->ms, m, now_ns());
}

/* Start child argv with no input; its output to *out_fd (or closed when
 * out_fd is NULL). The pid, or -1 with errno. */
static pid_t start_child(char **argv, int *out_fd)
{
	struct spawn_opts o = {.argv = argv};
	struct spawn_error e;
	int to = -1, from = -1;
	pid_t pid = spawn_worker(&o, 0, &to, &from, &e);
	if (pid < 0)
		return -1;
	close_fd(&to);
	if (out_fd)
		*out_fd = from;
	else
		close_fd(&from);
	return pid;
}

/* Start a new master for host hi. 0, or -1 with errno and the reason in
 * the host's last error. */
static int start_master(struct masters *ms, unsigned hi, int64_t now)
{
	struct host *h = &ms->hs->h[hi];
	struct master *m = NULL;
	char **argv = NULL;
	int err;

	if (ms->n == ms->cap) {
		unsigned cap = ms->cap ? 2 * ms->cap : 8;
		struct master **a = realloc(ms->m, cap * sizeof *a);
		if (!a)
			goto fail;
		ms->m = a;
		ms->cap = cap;
	}
	if (make_dir(ms) < 0 || !(m = calloc(1, sizeof *m)))
		goto fail;
	m->ms = ms;
	m->host = hi;
	m->id = ms->next_id[hi]++;
	m->out_fd = m->watch = -1;
	m->sig_pid = -1;
	snprintf(m->control, sizeof m->control, "%s/%u-%u", ms->dir, hi, m->id);
	snprintf(m->log, sizeof m->log, "%s" LOG_SUFFIX, m->control);
	if (!(argv = remote_master_argv(ms->rs, h, m->control, m->log)))
		goto fail;
	m->pid = start_child(argv, &m->out_fd);
	if (m->pid < 0)
		goto fail;
	free(argv);
	m->watch = loop_add(ms->loop, m->out_fd, POLLIN, on_output, m);
	if (m->watch < 0)
		log_die(EXIT_FATAL, "out of memory");
	m->started_at = now;
	m->deadline = now + MASTER_READY_NS;
	ms->m[ms->n++] = m;
	log_event("connecting to %s (ssh %d)", host_name(ms, hi), (int)m->pid);
	update_host(ms, hi);
	return 0;
fail:
	err = errno;
	snprintf(h->last_error, sizeof h->last_error, "cannot start ssh: %s", strerror(err));
	free(argv);
	free(m);
	errno = err;
	return -1;
}

struct master *masters_session(struct masters *ms, unsigned hi, int64_t now)
{
	bool connecting = false;
	for (unsigned i = 0; i < ms->n; i++) {
		struct master *m = ms->m[i];
		if (m->host != hi || m->gone)
			continue;
		if (takes_worker(m)) {
			m->sessions++;
			m->workers++;
			update_host(ms, hi);
			return m;
		}
		connecting |= !m->ready;
	}
	if (!connecting && start_master(ms, hi, now) < 0)
		return NULL;
	errno = EAGAIN;
	return NULL;
}

static void send_signals(struct masters *ms, struct master *m);

bool masters_session_end(struct masters *ms, struct master *m, bool started)
{
	bool refused = false;
	m->sessions--;
	m->workers--;
	if (!started && !m->gone) {
		/* The master logged its "open failed" before the session exited. */
		read_log(m);
		if (m->refusals > m->refusals_seen) {
			m->refusals_seen++;
			refused = true;
			unsigned had = m->sessions ? m->sessions : 1;
			if (had < ms->limit[m->host]) {
				ms->limit[m->host] = had;
				log_event("%s refused a session: %u per connection", host_name(ms, m->host),
					  had);
			}
		}
	}
	send_signals(ms, m);
	update_host(ms, m->host);
	release(ms, m);
	return refused;
}

/* Start the signal session for the pending signals of the oldest one's
 * name, unless one is on its way or m cannot take it. */
static void send_signals(struct masters *ms, struct master *m)
{
	if (m->sig_pid > 0 || m->npend == 0 || !m->ready || m->gone ||
	    m->sessions >= ms->limit[m->host])
		return;
	long *pids = malloc(m->npend * sizeof *pids);
	if (!pids)
		return;
	/* The ones of the same signal as the first, moved to the front. */
	unsigned k = 0;
	for (unsigned i = 0; i < m->npend; i++)
		if (strcmp(m->pend[i].signame, m->pend[0].signame) == 0) {
			struct pending t = m->pend[i];
			m->pend[i] = m->pend[k];
			m->pend[k] = t;
			pids[k++] = t.rpid;
		}
	char **argv = remote_signal_argv(ms->rs, &ms->hs->h[m->host], m->control,
					 m->pend[0].signame, pids, k);
	free(pids);
	if (!argv)
		return;
	m->sig_pid = start_child(argv, NULL);
	free(argv);
	if (m->sig_pid < 0)
		return;
	m->sig_sent = k;
	m->sessions++;
	update_host(ms, m->host);
}

int masters_signal(struct masters *ms, struct master *m, const char *signame, long rpid)
{
	if (!m->ready || m->gone || strlen(signame) >= SIGNAME_MAX) {
		errno = m->gone ? ENOTCONN : EINVAL;
		return -1;
	}
	if (m->npend == m->pend_cap) {
		unsigned cap = m->pend_cap ? 2 * m->pend_cap : 4;
		struct pending *a = realloc(m->pend, cap * sizeof *a);
		if (!a)
			return -1;
		m->pend = a;
		m->pend_cap = cap;
	}
	struct pending *p = &m->pend[m->npend++];
	snprintf(p->signame, sizeof p->signame, "%s", signame);
	p->rpid = rpid;
	send_signals(ms, m);
	return 0;
}

/* m's signal session ended: its signals are sent, unless sshd refused it
 * (then they wait for the next session that ends on m). */
static void signal_session_ended(struct masters *ms, struct master *m, int status)
{
	m->sig_pid = -1;
	m->sessions--;
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok && !m->gone) {
		read_log(m);
		if (m->refusals > m->refusals_seen)
			m->refusals_seen++;
	}
	if (ok || m->gone) {
		memmove(m->pend, m->pend + m->sig_sent, (m->npend - m->sig_sent) * sizeof *m->pend);
		m->npend -= m->sig_sent;
	}
	m->sig_sent = 0;
	if (ok)
		send_signals(ms, m);
	update_host(ms, m->host);
}

/* m's ssh exited: it and its sessions are gone. */
static void master_ended(struct masters *ms, struct master *m, int status, int64_t now)
{
	/* Gone first: a ready line still in the pipe must not count now. */
	m->pid = -1;
	m->gone = true;
	drain(ms, m, now);
	read_log(m);
	/* A signal is the reason; else what ssh said last, if anything. */
	char how[64] = "";
	if (WIFSIGNALED(status))
		snprintf(how, sizeof how, "ssh was killed by %s", signal_name(WTERMSIG(status)));
	else if (!m->error[0])
		snprintf(how, sizeof how, "ssh exited with status %d", WEXITSTATUS(status));
	if (how[0])
		set_error(m, how, strlen(how));
	unlink(m->control);
	log_event("connection %u to %s gone: %s", m->id, host_name(ms, m->host), m->error);
	emit(ms, m, MASTER_GONE);
}

bool masters_reaped(struct masters *ms, pid_t pid, int status, int64_t now)
{
	for (unsigned i = 0; i < ms->n; i++) {
		struct master *m = ms->m[i];
		if (m->pid == pid)
			master_ended(ms, m, status, now);
		else if (m->sig_pid == pid)
			signal_session_ended(ms, m, status);
		else
			continue;
		release(ms, m);
		return true;
	}
	return false;
}

int64_t masters_timers(struct masters *ms, int64_t now)
{
	int64_t next = -1;
	for (unsigned i = 0; i < ms->n; i++) {
		struct master *m = ms->m[i];
		if (m->ready || m->gone || m->pid <= 0 || m->deadline == 0)
			continue;
		if (m->deadline <= now) {
			char dur[32], why[64];
			format_duration_coarse(dur, sizeof dur, MASTER_READY_NS);
			snprintf(why, sizeof why, "not connected after %s", dur);
			stop(m, why);
			m->deadline = 0;
		} else if (next < 0 || m->deadline < next) {
			next = m->deadline;
		}
	}
	return next;
}

/* Wait until every child of ours is reaped, or until deadline; true when
 * none is left. */
static bool reap_until(struct masters *ms, int64_t deadline)
{
	for (;;) {
		bool left = false;
		for (unsigned i = 0; i < ms->n; i++) {
			struct master *m = ms->m[i];
			pid_t *pids[2] = {&m->pid, &m->sig_pid};
			for (int k = 0; k < 2; k++)
				if (*pids[k] > 0 && waitpid(*pids[k], NULL, WNOHANG) != 0)
					*pids[k] = -1; /* reaped, or not our child after all */
				else
					left |= *pids[k] > 0;
		}
		if (!left || (deadline >= 0 && now_ns() >= deadline))
			return !left;
		struct timespec nap = {0, 10 * NS_PER_MS};
		nanosleep(&nap, NULL);
	}
}

static void signal_all(struct masters *ms, int sig)
{
	for (unsigned i = 0; i < ms->n; i++) {
		if (ms->m[i]->pid > 0)
			kill(ms->m[i]->pid, sig);
		if (ms->m[i]->sig_pid > 0)
			kill(ms->m[i]->sig_pid, sig);
	}
}

void masters_free(struct masters *ms, int64_t wait_ns)
{
	if (!ms)
		return;
	signal_all(ms, SIGTERM);
	if (!reap_until(ms, now_ns() + wait_ns)) {
		signal_all(ms, SIGKILL);
		reap_until(ms, -1);
	}
	remove_files(ms);
	for (unsigned i = 0; i < ms->n; i++)
		master_free(ms->m[i]);
	free(ms->m);
	free(ms->limit);
	free(ms->next_id);
	free(ms);
}

unsigned master_host(const struct master *m) { return m->host; }
const char *master_control(const struct master *m) { return m->control; }
pid_t master_pid(const struct master *m) { return m->pid; }
bool master_is_ready(const struct master *m) { return m->ready && !m->gone; }
const char *master_error(const struct master *m) { return m->error; }
unsigned master_sessions(const struct master *m) { return m->sessions; }

unsigned masters_ready(const struct masters *ms, unsigned hi)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ms->n; i++)
		n += ms->m[i]->host == hi && master_is_ready(ms->m[i]);
	return n;
}

unsigned masters_count(const struct masters *ms, unsigned hi)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ms->n; i++)
		n += ms->m[i]->host == hi && !ms->m[i]->gone;
	return n;
}

unsigned masters_limit(const struct masters *ms, unsigned hi) { return ms->limit[hi]; }
const char *masters_dir(const struct masters *ms) { return ms->dir; }

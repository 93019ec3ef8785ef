/* fleet: hosts as members of the pool (-S, --sshloginfile): where a new
 * worker starts, what a remote worker's start marker and its exit say about
 * its host, and when a host is down, up again, or given up on. The state of
 * a host and the choice of one are host.c's; the command lines remote.c's;
 * procpool's own ssh connections master.c's. Without -S there is no fleet
 * (p->fleet is NULL) and nothing here runs.
 *
 * - Each host has its cap (this machine's is -j) and its own slots: a
 *   worker's PROCPOOL_SLOT is unique on its host, its PROCPOOL_JOBS is the
 *   host's cap, and the pool's cap is the sum of the caps.
 * - A remote worker starts as a session on a ready master of its host
 *   (ssh), or as a connection of its own (another --ssh command). Until its
 *   start marker, what it writes is the login shell's, never an answer.
 *   Its stdin is read by the local ssh, which takes all it is sent: how far
 *   the worker itself read, and whether it waits for input, cannot be told
 *   (w->member says so to the modules that would ask /proc).
 * - A host fails as a unit. Its last ready master gone, or (without
 *   masters) a worker that ends before its marker, puts it down for
 *   --host-retry: its workers that were not ready give their tasks back
 *   uncharged, and the task a ready one held counts one attempt, as a crash
 *   does. Workers that die there before they are ready, HOST_CRASH_LOOP in
 *   a row, put it down too: the pool-wide crash-loop rule is this
 *   machine's. When every host has been down longer than --start-timeout
 *   while tasks wait, the run gives up (124), naming each host's last
 *   error. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape.h"
#include "host.h"
#include "log.h"
#include "master.h"
#include "pool_impl.h"
#include "remote.h"
#include "util.h"

#define LOGIN_FILE_MAX (1u << 20) /* bytes of an --sshloginfile */
#define NOISE_SHOWN 80      /* bytes of a login shell's line shown with -v */
#define NOISE_LINE_MAX 4096 /* an unfinished line before the marker kept */

/* A remote worker, as its host sees it. */
struct fleet_member {
	struct master *master; /* its session's, or NULL: a connection of its own */
	bool started;          /* past its start marker */
	long rpid;             /* the remote worker's pid (and group), from the marker */
};

struct fleet {
	struct hosts hs;
	struct remote_ssh rs;
	struct masters *ms;  /* ssh mode: the hosts' masters */
	struct slots *slots; /* per host */
	unsigned jobs;       /* the sum of the caps (one while a cap is not known) */
	char nonce[17];      /* in every start marker of this run */
};

/* ---- set-up ------------------------------------------------------------ */

static void read_login_file(struct hosts *hs, const char *path)
{
	char shown[ESCAPE_SIZE(ESCAPE_NAME)], err[256];
	struct buf text = BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd < 0 ? -1 : 1;
	while (r > 0 && text.len <= LOGIN_FILE_MAX) {
		if (buf_reserve(&text, 64 << 10) < 0)
			log_die(EXIT_FATAL, "out of memory");
		if ((r = read_retry(fd, buf_tail(&text), buf_room(&text))) > 0)
			text.len += (size_t)r;
	}
	if (r < 0 || text.len > LOGIN_FILE_MAX)
		log_die(EXIT_FATAL, "cannot read --sshloginfile '%s': %s", escape_name(shown, path),
			r < 0 ? strerror(errno) : "larger than 1 MiB");
	close(fd);
	if (hosts_add_text(hs, buf_head(&text), text.len, err, sizeof err) < 0)
		log_die(EXIT_USAGE, "--sshloginfile '%s': %s", escape_name(shown, path), err);
	buf_free(&text);
}

/* A nonce no login shell's noise can guess. */
static void make_nonce(char *dst)
{
	unsigned char b[8];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_retry(fd, b, sizeof b) != (ssize_t)sizeof b)
		for (unsigned i = 0; i < sizeof b; i++)
			b[i] = (unsigned char)random();
	if (fd >= 0)
		close(fd);
	for (unsigned i = 0; i < sizeof b; i++)
		snprintf(dst + 2 * i, 3, "%02x", b[i]);
}

/* The pool's cap, kept as the hosts' caps become known. */
static void count_jobs(struct fleet *f)
{
	f->jobs = 0;
	for (unsigned i = 0; i < f->hs.n; i++)
		f->jobs += f->hs.h[i].cap ? f->hs.h[i].cap : 1;
}

static void on_master(void *ctx, struct master *m, enum master_event ev);

void fleet_init(struct pool *p)
{
	const struct config *c = p->c;
	char err[256];
	if (!c->nsshlogins && !c->nsshloginfiles)
		return;
	struct fleet *f = calloc(1, sizeof *f);
	if (!f)
		log_die(EXIT_FATAL, "out of memory");
	for (unsigned i = 0; i < c->nsshlogins; i++)
		if (hosts_add_list(&f->hs, c->sshlogins[i], err, sizeof err) < 0)
			log_die(EXIT_USAGE, "%s", err);
	for (unsigned i = 0; i < c->nsshloginfiles; i++)
		read_login_file(&f->hs, c->sshloginfiles[i]);
	if (f->hs.n == 0)
		log_die(EXIT_USAGE, "--sshloginfile names no host to run workers on");
	if (remote_ssh_parse(&f->rs, c->ssh, err, sizeof err) < 0)
		log_die(EXIT_USAGE, "%s", err);
	f->slots = calloc(f->hs.n, sizeof *f->slots);
	if (!f->slots || stats_hosts(p->st, f->hs.n) < 0)
		log_die(EXIT_FATAL, "out of memory");
	for (unsigned i = 0; i < f->hs.n; i++) {
		struct host *h = &f->hs.h[i];
		if (h->local && !h->cap_given)
			h->cap = c->jobs;
		h->direct = !f->rs.ssh;
		slots_init(&f->slots[i]);
		if (!(p->st->hosts[i].name = strdup(h->login)))
			log_die(EXIT_FATAL, "out of memory");
	}
	if (f->rs.ssh && !(f->ms = masters_new(&f->rs, &f->hs, p->loop, on_master, p)))
		log_die(EXIT_FATAL, "out of memory");
	make_nonce(f->nonce);
	count_jobs(f);
	p->fleet = f;
}

void fleet_fini(struct pool *p)
{
	struct fleet *f = p->fleet;
	if (!f)
		return;
	masters_free(f->ms, p->c->kill_grace);
	for (unsigned i = 0; i < f->hs.n; i++)
		slots_free(&f->slots[i]);
	free(f->slots);
	hosts_free(&f->hs);
	remote_ssh_free(&f->rs);
	free(f);
	p->fleet = NULL;
}

unsigned fleet_jobs(const struct pool *p)
{
	return p->fleet->jobs;
}

/* ---- hosts up and down --------------------------------------------------- */

/* Host hi failed as a unit: down until --host-retry has passed. Said once
 * each time it goes down; its failed retries only with -v. */
static void host_failed(struct pool *p, unsigned hi, const char *why)
{
	struct host *h = &p->fleet->hs.h[hi];
	bool was_up = h->state == HOST_UP;
	host_mark_down(h, p->now, p->c->host_retry, why && *why ? why : NULL);
	p->st->hosts[hi].downs = h->downs;
	char dur[32];
	format_duration_coarse(dur, sizeof dur, p->c->host_retry);
	if (was_up)
		log_warn("host %s is down: %s; trying it again in %s (--host-retry)", h->login,
			 h->last_error, dur);
	else
		log_event("host %s is still down: %s; trying it again in %s", h->login, h->last_error,
			  dur);
}

static void host_up(struct pool *p, unsigned hi)
{
	struct host *h = &p->fleet->hs.h[hi];
	if (h->state == HOST_UP)
		return;
	host_mark_up(h);
	log_event("host %s is up again", h->login);
}

static void on_master(void *ctx, struct master *m, enum master_event ev)
{
	struct pool *p = ctx;
	unsigned hi = master_host(m);
	p->now = pool_clock();
	if (ev == MASTER_READY)
		host_up(p, hi);
	else if (masters_ready(p->fleet->ms, hi) == 0)
		host_failed(p, hi, master_error(m));
}

bool fleet_reaped(struct pool *p, pid_t pid, int status)
{
	return p->fleet->ms && masters_reaped(p->fleet->ms, pid, status, p->now);
}

/* Every host down (none of them this machine) for longer than
 * --start-timeout while tasks wait: give up. Returns when that will be, or
 * -1 when it will not. */
static int64_t give_up_timer(struct pool *p, int64_t now)
{
	const struct fleet *f = p->fleet;
	int64_t since = 0;
	if (!p->c->start_timeout || p->stop || p->ts.qlen == 0)
		return -1;
	for (unsigned i = 0; i < f->hs.n; i++) {
		const struct host *h = &f->hs.h[i];
		if (h->local || h->state == HOST_UP || h->live > 0)
			return -1;
		if (h->down_since > since)
			since = h->down_since;
	}
	if (now < since + p->c->start_timeout)
		return since + p->c->start_timeout;
	for (unsigned i = 0; i < f->hs.n; i++)
		log_warn("host %s: %s", f->hs.h[i].login, f->hs.h[i].last_error);
	char dur[32];
	format_duration_coarse(dur, sizeof dur, p->c->start_timeout);
	log_warn("every host has been down for longer than %s (--start-timeout); giving up", dur);
	p->r.fatal = EXIT_FATAL;
	stop_now(p);
	return -1;
}

int64_t fleet_timers(struct pool *p, int64_t now)
{
	struct fleet *f = p->fleet;
	if (!f)
		return -1;
	int64_t next = f->ms ? masters_timers(f->ms, now) : -1, retry_at;
	hosts_pick(&f->hs, now, &retry_at); /* when a host that is down may be tried */
	next = earliest(next, retry_at);
	return earliest(next, give_up_timer(p, now));
}

/* ---- starting a worker ---------------------------------------------------- */

/* The --ssh command (or a master's ssh) cannot run at all: that will not
 * get better. */
static bool cannot_run(int err)
{
	return err == ENOENT || err == EACCES || err == ENOEXEC || err == ENOTDIR;
}

static void fatal_ssh(struct pool *p, int err)
{
	char name[ESCAPE_SIZE(ESCAPE_NAME)];
	log_warn("cannot run '%s' (--ssh): %s", escape_name(name, p->fleet->rs.words[0]),
		 strerror(err));
	p->r.fatal = err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
	stop_now(p);
}

/* Start w on host hi with the options so (argv set), over master m (or
 * NULL). 0, or -1 with errno and e as worker_start sets them. */
static int start_on(struct pool *p, struct worker *w, unsigned hi, struct spawn_opts *so,
		    struct master *m, struct spawn_error *e)
{
	struct fleet *f = p->fleet;
	struct host *h = &f->hs.h[hi];
	int slot = slots_take(&f->slots[hi]);
	if (slot < 0)
		log_die(EXIT_FATAL, "out of memory");
	so->jobs = h->cap;
	char **argv = NULL;
	if (!h->local) {
		struct remote_start st = {.control = m ? master_control(m) : NULL,
					  .nonce = f->nonce, .ask_cpus = !h->cap,
					  .unbuffered_env = p->so.unbuffered_env,
					  .slot = (unsigned)slot, .jobs = h->cap,
					  .error_prefix = p->c->error_prefix};
		if (!(argv = remote_worker_argv(&f->rs, h, &st, (const char *const *)p->c->argv)))
			log_die(EXIT_FATAL, "out of memory");
		so->argv = argv;
	}
	int r = worker_start(w, so, (unsigned)slot, p->now, e);
	free(argv);
	if (r < 0) {
		slots_give(&f->slots[hi], (unsigned)slot);
		return -1;
	}
	w->host = hi;
	h->live++;
	p->st->hosts[hi].workers++;
	if (h->local)
		return 0;
	if (!(w->member = calloc(1, sizeof *w->member)))
		log_die(EXIT_FATAL, "out of memory");
	w->member->master = m;
	h->starting++;
	return 0;
}

/* What this machine's workers get is COMMAND as it is; a remote worker's
 * local process is ssh, which takes none of the settings meant for the
 * worker (they would bind ssh, not the worker). */
static struct spawn_opts remote_opts(const struct spawn_opts *so)
{
	return (struct spawn_opts){.argv = so->argv, .slot_args = so->slot_args};
}

int fleet_spawn(struct pool *p, struct worker *w, struct spawn_error *e)
{
	struct fleet *f = p->fleet;
	int64_t retry_at;
	int hi;
	e->step = SPAWN_OK;
	while ((hi = hosts_pick(&f->hs, p->now, &retry_at)) >= 0) {
		struct host *h = &f->hs.h[hi];
		struct spawn_opts so = h->local ? p->so : remote_opts(&p->so);
		struct master *m = NULL;
		if (!h->local && f->ms && !(m = masters_session(f->ms, (unsigned)hi, p->now))) {
			if (errno == EAGAIN)
				continue; /* it connects; another host may take the worker */
			if (cannot_run(errno)) {
				fatal_ssh(p, errno);
				break;
			}
			host_failed(p, (unsigned)hi, h->last_error);
			continue;
		}
		if (start_on(p, w, (unsigned)hi, &so, m, e) == 0)
			return 0;
		int err = errno;
		if (m)
			masters_session_end(f->ms, m, false);
		if (!h->local && e->step == SPAWN_EXEC) {
			fatal_ssh(p, err);
			e->step = SPAWN_OK;
			break;
		}
		errno = err;
		return -1;
	}
	errno = EAGAIN; /* no host may take one now */
	return -1;
}

/* ---- a remote worker's start marker --------------------------------------- */

static void marked(struct pool *p, struct worker *w, const struct remote_marker *mk)
{
	struct host *h = &p->fleet->hs.h[w->host];
	w->member->started = true;
	w->member->rpid = mk->pid;
	h->starting--;
	if (mk->ncpus) {
		host_learn_cpus(h, mk->ncpus);
		count_jobs(p->fleet);
	}
	host_up(p, w->host);
	char dur[32];
	format_duration(dur, sizeof dur, p->now - w->started_at);
	log_event("worker %d runs on %s as pid %ld (after %s)", (int)w->pid, h->login, mk->pid,
		  dur);
}

static void noise(const struct pool *p, const struct worker *w, const char *s, size_t n)
{
	char shown[ESCAPE_SIZE(NOISE_SHOWN)];
	if (!n)
		return;
	escape_text(shown, NOISE_SHOWN, s, n);
	log_event("worker %d on %s: before the worker started: %s", (int)w->pid,
		  fleet_login(p, w->host), shown);
}

bool fleet_past_marker(struct pool *p, struct worker *w)
{
	struct buf *b = &w->in;
	char *nl;
	if (w->member->started)
		return true;
	while ((nl = memchr(buf_head(b), '\n', b->len))) {
		size_t len = (size_t)(nl - buf_head(b));
		struct remote_marker mk;
		bool is_marker = remote_is_marker(buf_head(b), len, p->fleet->nonce, &mk);
		if (!is_marker)
			noise(p, w, buf_head(b), len);
		buf_consume(b, len + 1);
		if (is_marker) {
			marked(p, w, &mk);
			return true;
		}
	}
	/* An unfinished line that cannot become the marker is noise too (the
	 * marker starts a line of its own). */
	size_t k = strlen(REMOTE_MARKER);
	if (b->len && (memcmp(buf_head(b), REMOTE_MARKER, b->len < k ? b->len : k) != 0 ||
		       b->len > NOISE_LINE_MAX)) {
		noise(p, w, buf_head(b), b->len);
		buf_consume(b, b->len);
	}
	return false;
}

void fleet_ready(struct pool *p, struct worker *w)
{
	host_note_answer(&p->fleet->hs.h[w->host]);
	hist_add(&p->st->hosts[w->host].startup, (uint64_t)(p->now - w->started_at));
}

/* ---- stopping and ending ---------------------------------------------------- */

void fleet_signal(struct pool *p, struct worker *w, int sig)
{
	struct fleet_member *mb = w->member;
	/* ssh forwards no signal: a session of the master carries it. A
	 * SIGKILL goes to the local ssh as well, which the remote watchdog
	 * then follows, should the master be stuck. */
	if (mb && mb->started && mb->master &&
	    masters_signal(p->fleet->ms, mb->master, signal_name(sig) + 3, mb->rpid) == 0 &&
	    sig != SIGKILL)
		return;
	worker_signal(w, sig);
}

/* A remote worker that died before it was ready, for a reason that is
 * neither procpool's nor its connection's: HOST_CRASH_LOOP in a row put the
 * host down. */
static void host_crash(struct pool *p, const struct worker *w)
{
	struct host *h = &p->fleet->hs.h[w->host];
	if (!host_note_crash(h))
		return;
	char how[64], why[HOST_ERROR_MAX];
	worker_describe_exit(w, how, sizeof how);
	snprintf(why, sizeof why, "its workers keep dying before answering (%u in a row, the last %s)",
		 HOST_CRASH_LOOP, how);
	host_failed(p, w->host, why);
}

/* What a remote worker's end says about its host; true when the pool's own
 * rules for a worker's exit apply too: it was ready, and its connection
 * did not fail (ssh's own failures exit 255). */
static bool remote_ended(struct pool *p, struct worker *w, struct fleet_member *mb)
{
	struct fleet *f = p->fleet;
	struct host *h = &f->hs.h[w->host];
	if (!mb->started)
		h->starting--;
	bool master_gone = mb->master && !master_is_ready(mb->master);
	/* Its local ssh was killed: the worker there lives on unless told. */
	if (mb->started && WIFSIGNALED(w->wstatus) && mb->master && !master_gone)
		masters_signal(f->ms, mb->master, "TERM", mb->rpid);
	/* Last: a master that is gone is freed with its last session. */
	bool refused = mb->master && masters_session_end(f->ms, mb->master, mb->started);
	if (w->ready)
		return !master_gone && !(WIFEXITED(w->wstatus) && WEXITSTATUS(w->wstatus) == 255);
	bool stopped_by_us = w->state == WORKER_KILLING && w->fault == FAULT_NONE;
	if (refused || stopped_by_us || master_gone)
		return false; /* start it again; or its master's end is the host's */
	bool not_found = WIFEXITED(w->wstatus) && WEXITSTATUS(w->wstatus) == EXIT_NOTFOUND;
	if (!mb->master && !mb->started && !not_found) {
		char how[64], why[HOST_ERROR_MAX];
		worker_describe_exit(w, how, sizeof how);
		snprintf(why, sizeof why, "'%s' %s before the worker started", f->rs.words[0], how);
		host_failed(p, w->host, why);
		return false;
	}
	host_crash(p, w);
	return false;
}

bool fleet_worker_ended(struct pool *p, struct worker *w)
{
	struct fleet *f = p->fleet;
	struct fleet_member *mb = w->member;
	f->hs.h[w->host].live--;
	slots_give(&f->slots[w->host], w->slot);
	if (!mb)
		return true;
	w->member = NULL;
	bool own = remote_ended(p, w, mb);
	free(mb);
	return own;
}

const char *fleet_login(const struct pool *p, unsigned host)
{
	return p->fleet ? p->fleet->hs.h[host].login : JOBLOG_HOST_LOCAL;
}

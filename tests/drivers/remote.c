/* remote-driver: the host, remote and master modules driven the way the
 * pool will drive them, for tests/bats/remote.bats, against the private
 * sshd instances of tests/sshd.bash.
 *
 *   remote-driver [--ssh CMD] -S LOGIN[,LOGIN...]...
 *
 * Commands on stdin, one a line (S: a session number, H: a host's index
 * among the -S entries; CMD in shell words, as --ssh is split):
 *   start H CMD...    start a worker session running CMD on host H: over a
 *                     master in ssh mode (waiting for one if need be)
 *   direct H CMD...   the same over a connection of its own (no master)
 *   send S TEXT       write TEXT and a newline to its stdin
 *   close S           close its stdin
 *   kill S SIG        send SIG (a number) to its local ssh
 *   rkill S NAME      send signal NAME to its remote worker (masters_signal)
 *   mkill S SIG       send SIG to the master its session runs on
 *   hosts             one line per host: its masters, ready ones, limit
 *   quit              close every stdin, wait for the sessions, stop the
 *                     masters, remove their directory, exit
 *   die               exit(3) at once, as log_die does: the masters are
 *                     stopped and their directory removed on the way out
 * Events on stdout, one a line:
 *   session S waiting | spawned PID | noise TEXT | line TEXT
 *   session S start RPID CPUS MS conn C     (its marker: MS after spawning)
 *   session S refused LIMIT | exit STATUS|SIGNAME | failed WHY
 *   master H ready PID | master H gone WHY | host H down WHY
 *   host H masters N ready R limit L | quit DIR gone|left | die DIR
 * A session refused by sshd (MaxSessions) starts again at once, as the
 * pool would start the worker again. Exit 0, or 2 on a usage error. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "host.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "remote.h"
#include "sig.h"
#include "spawn.h"
#include "util.h"

#define SESSIONS_MAX 256

struct session {
	unsigned id, host;
	char **cmd;       /* its argv, one allocation */
	bool direct;
	struct master *m; /* the master it runs on, or NULL */
	bool waiting;     /* for a master */
	pid_t pid;        /* its local ssh; -1 when none */
	int to_fd, from_fd, watch;
	struct buf in;
	bool started, eof, reaped;
	long rpid;        /* the remote worker, from its marker */
	int status;
	int64_t spawned_at;
};

static struct {
	struct hosts hs;
	struct remote_ssh rs;
	struct masters *ms;
	struct loop *loop;
	char nonce[17];
	struct session *s[SESSIONS_MAX];
	unsigned ns;
	struct buf cmdline;
	bool quitting, stdin_done;
} d;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void try_start(struct session *s);

static void on_session_output(void *ctx, int fd, short revents);

/* The session's process is gone and its output read: account for it. */
static void session_done(struct session *s)
{
	/* ssh forwards no signal: the remote worker lives on unless told. */
	if (s->m && s->started && WIFSIGNALED(s->status) &&
	    masters_signal(d.ms, s->m, "TERM", s->rpid) == 0)
		say("session %u signalled TERM %ld", s->id, s->rpid);
	bool refused = s->m && masters_session_end(d.ms, s->m, s->started);
	if (s->watch >= 0)
		loop_del(d.loop, s->watch);
	s->watch = -1;
	close_fd(&s->to_fd);
	close_fd(&s->from_fd);
	buf_free(&s->in);
	s->m = NULL;
	s->pid = -1;
	if (refused) {
		say("session %u refused %u", s->id, masters_limit(d.ms, s->host));
		s->eof = s->reaped = false;
		try_start(s);
	} else if (WIFSIGNALED(s->status)) {
		say("session %u exit %s", s->id, signal_name(WTERMSIG(s->status)));
	} else {
		say("session %u exit %d", s->id, WEXITSTATUS(s->status));
	}
}

static void session_line(struct session *s, const char *p, size_t n)
{
	struct remote_marker mk;
	if (s->started) {
		say("session %u line %.*s", s->id, (int)n, p);
	} else if (remote_is_marker(p, n, d.nonce, &mk)) {
		s->started = true;
		s->rpid = mk.pid;
		if (mk.ncpus)
			host_learn_cpus(&d.hs.h[s->host], mk.ncpus);
		say("session %u start %ld %u %lld conn %s", s->id, mk.pid, mk.ncpus,
		    (long long)((now_ns() - s->spawned_at) / NS_PER_MS),
		    s->m ? master_control(s->m) : "direct");
	} else {
		say("session %u noise %.*s", s->id, (int)n, p);
	}
}

static void on_session_output(void *ctx, int fd, short revents)
{
	struct session *s = ctx;
	(void)fd;
	(void)revents;
	if (buf_reserve(&s->in, 4096) < 0)
		log_die(EXIT_FATAL, "out of memory");
	ssize_t r = read_retry(s->from_fd, buf_tail(&s->in), buf_room(&s->in));
	if (r < 0 && errno == EAGAIN)
		return;
	if (r <= 0) {
		loop_del(d.loop, s->watch);
		s->watch = -1;
		s->eof = true;
		if (s->reaped)
			session_done(s);
		return;
	}
	s->in.len += (size_t)r;
	char *nl;
	while ((nl = memchr(buf_head(&s->in), '\n', s->in.len))) {
		size_t len = (size_t)(nl - buf_head(&s->in));
		session_line(s, buf_head(&s->in), len);
		buf_consume(&s->in, len + 1);
	}
	buf_compact(&s->in);
}

/* Spawn the session's ssh now that it knows how it goes. */
static void spawn_session(struct session *s)
{
	struct host *h = &d.hs.h[s->host];
	struct remote_start st = {.control = s->m ? master_control(s->m) : NULL,
				  .nonce = d.nonce, .ask_cpus = !h->cap};
	char **argv = remote_worker_argv(&d.rs, h, &st, (const char *const *)s->cmd);
	struct spawn_opts o = {.argv = argv};
	struct spawn_error e;
	if (!argv)
		log_die(EXIT_FATAL, "out of memory");
	s->pid = spawn_worker(&o, s->id, &s->to_fd, &s->from_fd, &e);
	free(argv);
	if (s->pid < 0) {
		say("session %u failed %s", s->id, strerror(errno));
		return;
	}
	s->spawned_at = now_ns();
	s->watch = loop_add(d.loop, s->from_fd, POLLIN, on_session_output, s);
	say("session %u spawned %d", s->id, (int)s->pid);
}

static void try_start(struct session *s)
{
	struct host *h = &d.hs.h[s->host];
	s->started = false;
	if (h->state == HOST_DOWN) {
		s->waiting = false;
		say("session %u failed host down", s->id);
		return;
	}
	if (d.rs.ssh && !s->direct) {
		s->m = masters_session(d.ms, s->host, now_ns());
		if (!s->m) {
			if (errno != EAGAIN) {
				say("session %u failed %s", s->id, h->last_error);
				return;
			}
			if (!s->waiting)
				say("session %u waiting", s->id);
			s->waiting = true;
			return;
		}
	}
	s->waiting = false;
	spawn_session(s);
}

static void on_master(void *ctx, struct master *m, enum master_event ev)
{
	unsigned hi = master_host(m);
	(void)ctx;
	if (ev == MASTER_READY) {
		host_mark_up(&d.hs.h[hi]);
		say("master %u ready %d", hi, (int)master_pid(m));
	} else {
		say("master %u gone %s", hi, master_error(m));
		if (masters_ready(d.ms, hi) == 0) {
			host_mark_down(&d.hs.h[hi], now_ns(), 30 * NS_PER_SEC, master_error(m));
			say("host %u down %s", hi, d.hs.h[hi].last_error);
		}
	}
	for (unsigned i = 0; i < d.ns; i++)
		if (d.s[i]->waiting && d.s[i]->host == hi)
			try_start(d.s[i]);
}

static void reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (masters_reaped(d.ms, pid, status, now_ns()))
			continue;
		for (unsigned i = 0; i < d.ns; i++) {
			struct session *s = d.s[i];
			if (s->pid != pid)
				continue;
			s->reaped = true;
			s->status = status;
			if (s->eof)
				session_done(s);
			break;
		}
	}
}

static void on_signal(void *ctx, int fd, short revents)
{
	int sig;
	(void)ctx;
	(void)fd;
	(void)revents;
	while ((sig = sig_next()) != 0)
		if (sig == SIGCHLD)
			reap();
		else
			log_die(128 + sig, "stopped by %s", signal_name(sig));
}

static struct session *session_arg(const char *arg)
{
	char *end;
	unsigned long i = strtoul(arg ? arg : "", &end, 10);
	if (!arg || *end || i >= d.ns) {
		say("error no session '%s'", arg ? arg : "");
		return NULL;
	}
	return d.s[i];
}

/* start/direct H CMD...: words[1] the host, the rest the command. */
static void cmd_start(char **words, unsigned n, bool direct)
{
	char *end;
	unsigned long hi = n > 2 ? strtoul(words[1], &end, 10) : 0;
	if (n < 3 || *end || hi >= d.hs.n || d.hs.h[hi].local || d.ns == SESSIONS_MAX) {
		say("error usage: %s H CMD...", words[0]);
		return;
	}
	struct session *s = calloc(1, sizeof *s);
	char *const *cmd = words + 2;
	/* The command's words, copied into one block as argv. */
	size_t bytes = 0;
	for (unsigned i = 2; i < n; i++)
		bytes += strlen(words[i]) + 1;
	if (!s || !(s->cmd = malloc((n - 1) * sizeof(char *) + bytes)))
		log_die(EXIT_FATAL, "out of memory");
	char *w = (char *)(s->cmd + (n - 1));
	for (unsigned i = 0; i < n - 2; i++) {
		s->cmd[i] = strcpy(w, cmd[i]);
		w += strlen(w) + 1;
	}
	s->cmd[n - 2] = NULL;
	s->id = d.ns;
	s->host = (unsigned)hi;
	s->direct = direct;
	s->pid = -1;
	s->to_fd = s->from_fd = s->watch = -1;
	d.s[d.ns++] = s;
	try_start(s);
}

static void cmd_hosts(void)
{
	for (unsigned i = 0; i < d.hs.n; i++)
		say("host %u masters %u ready %u limit %u cap %u", i, masters_count(d.ms, i),
		    masters_ready(d.ms, i), masters_limit(d.ms, i), d.hs.h[i].cap);
}

static void run_command(char *line)
{
	struct remote_ssh words;
	char err[200];
	if (remote_ssh_parse(&words, line, err, sizeof err) < 0) {
		say("error %s", err);
		return;
	}
	char **w = words.words, *verb = w[0];
	unsigned n = words.nwords;
	struct session *s = NULL;
	bool takes_session = strcmp(verb, "send") == 0 || strcmp(verb, "close") == 0 ||
			     strcmp(verb, "kill") == 0 || strcmp(verb, "rkill") == 0 ||
			     strcmp(verb, "mkill") == 0;
	if (takes_session && !(s = session_arg(w[1])))
		goto out;
	if (strcmp(verb, "start") == 0 || strcmp(verb, "direct") == 0) {
		cmd_start(w, n, verb[0] == 'd');
	} else if (strcmp(verb, "send") == 0) {
		/* The rest of the line after "send S ", as it is. */
		const char *text = strchr(strchr(line, ' ') + 1, ' ');
		text = text ? text + 1 : "";
		if (s->to_fd < 0 || write_all(s->to_fd, text, strlen(text)) < 0 ||
		    write_all(s->to_fd, "\n", 1) < 0)
			say("error session %u takes no input", s->id);
	} else if (strcmp(verb, "close") == 0) {
		close_fd(&s->to_fd);
	} else if (strcmp(verb, "kill") == 0 && n == 3) {
		if (s->pid > 0)
			kill(s->pid, atoi(w[2]));
	} else if (strcmp(verb, "rkill") == 0 && n == 3) {
		if (!s->m || !s->rpid || masters_signal(d.ms, s->m, w[2], s->rpid) < 0)
			say("error session %u: no signal sent", s->id);
	} else if (strcmp(verb, "mkill") == 0 && n == 3 && s->m) {
		kill(master_pid(s->m), atoi(w[2]));
	} else if (strcmp(verb, "hosts") == 0) {
		cmd_hosts();
	} else if (strcmp(verb, "quit") == 0) {
		d.quitting = true;
	} else if (strcmp(verb, "die") == 0) {
		say("die %s", masters_dir(d.ms)[0] ? masters_dir(d.ms) : "-");
		exit(3);
	} else {
		say("error unknown command '%s'", verb);
	}
out:
	remote_ssh_free(&words);
}

/* Commands from stdin, one a line. */
static void on_stdin(void *ctx, int fd, short revents)
{
	(void)ctx;
	(void)revents;
	if (buf_reserve(&d.cmdline, 4096) < 0)
		log_die(EXIT_FATAL, "out of memory");
	ssize_t r = read_retry(fd, buf_tail(&d.cmdline), buf_room(&d.cmdline));
	if (r < 0 && errno == EAGAIN)
		return;
	if (r <= 0) {
		d.stdin_done = d.quitting = true;
		return;
	}
	d.cmdline.len += (size_t)r;
	char *nl;
	while (!d.quitting && (nl = memchr(buf_head(&d.cmdline), '\n', d.cmdline.len))) {
		*nl = '\0';
		run_command(buf_head(&d.cmdline));
		buf_consume(&d.cmdline, (size_t)(nl - buf_head(&d.cmdline)) + 1);
	}
	buf_compact(&d.cmdline);
}

static bool sessions_left(void)
{
	for (unsigned i = 0; i < d.ns; i++)
		if (d.s[i]->pid > 0)
			return true;
	return false;
}

/* quit: every session's stdin closed, 10 s for them to end, then the
 * masters stopped and their directory removed. */
static int quit(void)
{
	int64_t deadline = now_ns() + 10 * NS_PER_SEC;
	for (unsigned i = 0; i < d.ns; i++)
		close_fd(&d.s[i]->to_fd);
	while (sessions_left() && now_ns() < deadline)
		loop_once(d.loop, now_ns() + 100 * NS_PER_MS);
	for (unsigned i = 0; i < d.ns; i++)
		if (d.s[i]->pid > 0) {
			say("session %u still running: killed", i);
			kill(d.s[i]->pid, SIGKILL);
		}
	char dir[128];
	snprintf(dir, sizeof dir, "%s", masters_dir(d.ms));
	masters_free(d.ms, 5 * NS_PER_SEC);
	struct stat st;
	say("quit %s %s", dir[0] ? dir : "-", dir[0] && stat(dir, &st) == 0 ? "left" : "gone");
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: remote-driver [--ssh CMD] -S LOGIN[,LOGIN...]...\n");
	exit(2);
}

static void make_nonce(void)
{
	unsigned char b[8] = {0};
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_retry(fd, b, sizeof b) != (ssize_t)sizeof b)
		log_die(EXIT_FATAL, "cannot read /dev/urandom");
	close(fd);
	for (int i = 0; i < 8; i++)
		snprintf(d.nonce + 2 * i, 3, "%02x", b[i]);
}

int main(int argc, char **argv)
{
	const char *ssh = "ssh";
	char err[256];
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ssh") == 0 && i + 1 < argc)
			ssh = argv[++i];
		else if (strcmp(argv[i], "-S") == 0 && i + 1 < argc) {
			if (hosts_add_list(&d.hs, argv[++i], err, sizeof err) < 0) {
				fprintf(stderr, "remote-driver: %s\n", err);
				return 2;
			}
		} else
			usage();
	}
	if (d.hs.n == 0)
		usage();
	if (remote_ssh_parse(&d.rs, ssh, err, sizeof err) < 0) {
		fprintf(stderr, "remote-driver: %s\n", err);
		return 2;
	}
	for (unsigned i = 0; i < d.hs.n; i++)
		d.hs.h[i].direct = !d.rs.ssh;
	make_nonce();
	log_verbose = getenv("DRIVER_VERBOSE") != NULL;
	int sfd = sig_init();
	d.loop = loop_new(0);
	d.ms = d.loop ? masters_new(&d.rs, &d.hs, d.loop, on_master, NULL) : NULL;
	if (sfd < 0 || !d.ms || fd_set_nonblock(0) < 0 ||
	    loop_add(d.loop, sfd, POLLIN, on_signal, NULL) < 0 ||
	    loop_add(d.loop, 0, POLLIN, on_stdin, NULL) < 0)
		log_die(EXIT_FATAL, "cannot set up: %s", strerror(errno));
	while (!d.quitting) {
		int64_t next = masters_timers(d.ms, now_ns());
		if (loop_once(d.loop, next) < 0)
			log_die(EXIT_FATAL, "poll: %s", strerror(errno));
	}
	int st = quit();
	for (unsigned i = 0; i < d.ns; i++) {
		free(d.s[i]->cmd);
		buf_free(&d.s[i]->in);
		free(d.s[i]);
	}
	buf_free(&d.cmdline);
	remote_ssh_free(&d.rs);
	hosts_free(&d.hs);
	loop_free(d.loop);
	return st;
}

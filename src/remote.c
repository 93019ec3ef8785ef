/* remote: --ssh's words, the argv of workers, masters and signals on a host,
 * quoting for the remote shell, the start marker; see remote.h.
 *
 * The remote scripts are one line, with no ' or \: quoted, each is one
 * plain '...' that any login shell (csh and fish included) reads back
 * whole, and that reads well in ps. */
#include "remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define HOST_WORD "{host}"
#define SHOWN_MAX 60

/* Run by `sh -c SCRIPT procpool NONCE FLAGS SLOT JOBS PREFIX COMMAND ARG...`
 * as the login shell's own process, so $PPID is the connection's process
 * (sshd's, for ssh). FLAGS: c to report the CPUs, u for PYTHONUNBUFFERED,
 * e for PROCPOOL_ERROR_PREFIX=PREFIX, or -.
 * JOBS 0: the host's cap is not known yet; it is its CPUs when asked for.
 * - What procpool sets in a local worker's environment, set there too:
 *   ssh passes no variable (unless sshd's AcceptEnv lets it).
 * - The watchdog is a subshell that holds none of the session's fds (the
 *   session ends when the worker does, not when the watchdog next wakes).
 *   Once a second it checks that the worker lives and still has that
 *   parent; when the parent has gone (the connection dropped, or procpool
 *   and so its master died), it kills the worker's process group (sshd
 *   made the worker a session leader), itself ignoring the SIGTERM. It
 *   runs only where ps shows the parent it expects.
 * - A command not found there exits 127 before the marker, so that the
 *   start failure is told apart from a worker that ran and exited.
 * - The marker starts with a newline: rc noise without one of its own
 *   stays on a line apart from it. */
static const char worker_script[] =
	"m=$1 f=$2 w=$$ p=$PPID n=0; "
	"case $f in *c*) "
	"n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null) || n=0;; esac; "
	"j=$4; case $j in 0) j=$n;; esac; "
	"case $j in 0) ;; *) export PROCPOOL_SLOT=$3 PROCPOOL_JOBS=$j;; esac; "
	"case $f in *e*) export PROCPOOL_ERROR_PREFIX=\"$5\";; esac; shift 5; "
	"case $f in *u*) export PYTHONUNBUFFERED=${PYTHONUNBUFFERED-1};; esac; "
	"command -v \"$1\" >/dev/null 2>&1 || "
	"{ echo \"procpool: command not found on $(uname -n): $1\" >&2; exit 127; }; "
	"q=$(ps -o ppid= -p $w 2>/dev/null); "
	"if [ \"$p\" -gt 1 ] && [ \"${q##* }\" = \"$p\" ]; then "
	"(trap \"\" HUP INT TERM; exec </dev/null >/dev/null 2>&1; "
	"while sleep 1 && kill -0 $w; do "
	"q=$(ps -o ppid= -p $w) || continue; [ \"${q##* }\" = \"$p\" ] && continue; "
	"kill -s TERM -- -$w || kill -s TERM $w; sleep 2; kill -s KILL -- -$w || kill -s KILL $w; "
	"done) & fi; "
	"echo; echo \"" REMOTE_MARKER " $m $w $n\"; exec \"$@\"";

/* `sh -c SCRIPT procpool SIG PID...`: each worker's group, else the pid
 * alone (a worker that is no group leader); gone ones are no error. */
static const char signal_script[] =
	"s=$1; shift; for p; do kill -s \"$s\" -- \"-$p\" 2>/dev/null || "
	"kill -s \"$s\" \"$p\" 2>/dev/null; done; exit 0";

/* Words being built: each NUL-terminated in text, packed at the end into
 * one allocation. An allocation failure sticks, and pack says so. */
struct words {
	struct buf text;
	unsigned n;
	bool oom;
};

static void put(struct words *b, const char *s, size_t n)
{
	if (!b->oom && buf_append(&b->text, s, n) < 0)
		b->oom = true;
}

static void put_str(struct words *b, const char *s)
{
	put(b, s, strlen(s));
}

static void end_word(struct words *b)
{
	put(b, "", 1);
	b->n++;
}

static void word(struct words *b, const char *s)
{
	put_str(b, s);
	end_word(b);
}

/* -o NAME=VALUE as two words. */
static void option(struct words *b, const char *name, const char *value)
{
	word(b, "-o");
	put_str(b, name);
	put(b, "=", 1);
	put_str(b, value);
	end_word(b);
}

static void quoted(struct words *b, const char *s)
{
	if (!b->oom && remote_quote(&b->text, s) < 0)
		b->oom = true;
}

/* The words as a NULL-terminated argv in one allocation, or NULL. */
static char **pack(struct words *b)
{
	char **v = NULL;
	size_t table = ((size_t)b->n + 1) * sizeof *v;
	if (!b->oom)
		v = malloc(table + b->text.len);
	if (v) {
		char *s = (char *)v + table;
		memcpy(s, buf_head(&b->text), b->text.len);
		for (unsigned i = 0; i < b->n; i++) {
			v[i] = s;
			s += strlen(s) + 1;
		}
		v[b->n] = NULL;
	}
	buf_free(&b->text);
	return v;
}

/* --- --ssh ------------------------------------------------------------ */

/* One word of cmd from *s on, shell-like, into b: '...' literal, "..." with
 * \ before $ ` " \ only, \ quoting any byte outside quotes. 1: a word,
 * 0: no more, -1: unterminated quote or trailing backslash. */
static int next_word(const char **s, struct words *b)
{
	const char *p = *s + strspn(*s, " \t\n");
	if (!*p)
		return 0;
	while (*p && !strchr(" \t\n", *p)) {
		if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (!end)
				return -1;
			put(b, p + 1, (size_t)(end - p - 1));
			p = end + 1;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (!*p)
					return -1;
				if (*p == '\\' && p[1] && strchr("$`\"\\", p[1]))
					p++;
				put(b, p, 1);
			}
			p++;
		} else if (*p == '\\') {
			if (!p[1])
				return -1;
			put(b, p + 1, 1);
			p += 2;
		} else {
			put(b, p++, 1);
		}
	}
	end_word(b);
	*s = p;
	return 1;
}

static bool is_ssh(const char *w)
{
	const char *base = strrchr(w, '/');
	return strcmp(base ? base + 1 : w, "ssh") == 0;
}

int remote_ssh_parse(struct remote_ssh *rs, const char *cmd, char *err, size_t errlen)
{
	struct words b = {BUF_INIT, 0, false};
	const char *s = cmd;
	int r;

	memset(rs, 0, sizeof *rs);
	while ((r = next_word(&s, &b)) > 0)
		;
	char shown[ESCAPE_SIZE(SHOWN_MAX)];
	escape_text(shown, SHOWN_MAX, cmd, strlen(cmd));
	if (r < 0 || b.n == 0) {
		buf_free(&b.text);
		escape_message(err, errlen, "invalid --ssh '%s': %s", shown,
		     r < 0 ? "a quote is not closed, or it ends in a backslash" : "no command");
		return -1;
	}
	unsigned n = b.n;
	rs->words = pack(&b);
	if (!rs->words) {
		escape_message(err, errlen, "out of memory");
		return -1;
	}
	rs->nwords = n;
	rs->ssh = is_ssh(rs->words[0]);
	if (!rs->ssh)
		return 0;
	/* ssh takes the host before the command: a {host} can only end it. */
	for (unsigned i = 0; i < n; i++)
		if (strstr(rs->words[i], HOST_WORD) && (i + 1 < n || strcmp(rs->words[i], HOST_WORD))) {
			remote_ssh_free(rs);
			escape_message(err, errlen, "invalid --ssh '%s': with ssh, " HOST_WORD
			     " can only be the last word", shown);
			return -1;
		}
	if (strcmp(rs->words[n - 1], HOST_WORD) == 0)
		rs->words[--rs->nwords] = NULL;
	return 0;
}

void remote_ssh_free(struct remote_ssh *rs)
{
	free(rs->words);
	rs->words = NULL;
	rs->nwords = 0;
}

/* --- quoting ----------------------------------------------------------- */

/* Characters that mean nothing to sh, bash, zsh, fish or csh in a word
 * (an = only after the first: zsh expands a leading one). */
static bool is_plain(const char *s)
{
	if (!*s || *s == '=')
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:,+@=",
			    *s))
			return false;
	return true;
}

int remote_quote(struct buf *b, const char *word)
{
	if (is_plain(word))
		return buf_append(b, word, strlen(word));
	if (!*word)
		return buf_append(b, "''", 2);
	/* Runs in single quotes; ' and \ each alone, backslashed, outside
	 * them: fish reads \\ and \' inside single quotes as escapes. */
	for (const char *s = word; *s;) {
		size_t n = strcspn(s, "'\\");
		if (n && (buf_append(b, "'", 1) < 0 || buf_append(b, s, n) < 0 ||
			  buf_append(b, "'", 1) < 0))
			return -1;
		s += n;
		if (*s) {
			char esc[2] = {'\\', *s++};
			if (buf_append(b, esc, 2) < 0)
				return -1;
		}
	}
	return 0;
}

/* --- argv -------------------------------------------------------------- */

/* ssh's options for a connection of procpool's own (a master, or a
 * worker's when there is no master): no prompt, a dead link found within
 * seconds, none of the user's forwardings (they belong to the user's own
 * connections). The user's words come first, so their -o options win,
 * but for ControlMaster and ControlPath, which procpool owns. */
static void connection_options(struct words *b)
{
	char n[16];
	word(b, "-T");
	option(b, "BatchMode", "yes");
	snprintf(n, sizeof n, "%d", REMOTE_CONNECT_TIMEOUT);
	option(b, "ConnectTimeout", n);
	snprintf(n, sizeof n, "%d", REMOTE_ALIVE_INTERVAL);
	option(b, "ServerAliveInterval", n);
	snprintf(n, sizeof n, "%d", REMOTE_ALIVE_COUNT);
	option(b, "ServerAliveCountMax", n);
	option(b, "ClearAllForwardings", "yes");
}

/* A session over a master: never a connection of its own. When the master
 * refuses it (MaxSessions) or is gone, ssh would silently connect
 * directly; the ProxyCommand makes that fail at once instead. Quiet: what
 * goes wrong with the connection, its master says. */
static void session_options(struct words *b, const char *control)
{
	word(b, "-T");
	option(b, "BatchMode", "yes");
	option(b, "ControlMaster", "no");
	option(b, "ControlPath", control);
	option(b, "ProxyCommand", "false");
	option(b, "LogLevel", "QUIET");
	option(b, "ClearAllForwardings", "yes");
}

static void user_words(struct words *b, const struct remote_ssh *rs)
{
	for (unsigned i = 0; i < rs->nwords; i++)
		word(b, rs->words[i]);
}

/* ssh's host: -l USER -p PORT -- NAME (a name is never read as an option). */
static void ssh_host(struct words *b, const struct host *h)
{
	if (h->user) {
		word(b, "-l");
		word(b, h->user);
	}
	if (h->port) {
		word(b, "-p");
		word(b, h->port);
	}
	word(b, "--");
	word(b, h->name);
}

/* The user's words with each {host} replaced by h's login, which is
 * appended when no word holds one. */
static void command_words(struct words *b, const struct remote_ssh *rs, const struct host *h)
{
	bool placed = false;
	for (unsigned i = 0; i < rs->nwords; i++) {
		const char *s = rs->words[i], *at;
		while ((at = strstr(s, HOST_WORD))) {
			put(b, s, (size_t)(at - s));
			put_str(b, h->login);
			s = at + strlen(HOST_WORD);
			placed = true;
		}
		put_str(b, s);
		end_word(b);
	}
	if (!placed)
		word(b, h->login);
}

/* `sh -c SCRIPT procpool ARG...`: as words, or as one string quoted for
 * the login shell, which execs the sh (so the sh is its process). */
static void remote_sh(struct words *b, bool one_string, const char *script,
		      const char *const *args)
{
	if (!one_string) {
		word(b, "sh");
		word(b, "-c");
		word(b, script);
		word(b, "procpool");
		for (; *args; args++)
			word(b, *args);
		return;
	}
	put_str(b, "exec sh -c ");
	quoted(b, script);
	put_str(b, " procpool");
	for (; *args; args++) {
		put(b, " ", 1);
		quoted(b, *args);
	}
	end_word(b);
}

/* The argv of cmd on h: how to reach h, then `sh -c script procpool
 * lead... cmd...` (nlead words of lead). */
static char **run_on(const struct remote_ssh *rs, const struct host *h, const char *control,
		     const char *script, const char *const *lead, size_t nlead,
		     const char *const *cmd)
{
	struct words b = {BUF_INIT, 0, false};
	size_t n = 0;
	while (cmd[n])
		n++;
	const char **args = malloc((nlead + n + 1) * sizeof *args);
	if (!args)
		return NULL;
	memcpy((void *)args, lead, nlead * sizeof *args);
	memcpy((void *)(args + nlead), cmd, (n + 1) * sizeof *args);
	if (rs->ssh) {
		user_words(&b, rs);
		if (control)
			session_options(&b, control);
		else {
			connection_options(&b);
			option(&b, "ControlMaster", "no");
			option(&b, "ControlPath", "none");
		}
		ssh_host(&b, h);
	} else {
		command_words(&b, rs, h);
	}
	remote_sh(&b, rs->ssh, script, args);
	free((void *)args);
	return pack(&b);
}

char **remote_worker_argv(const struct remote_ssh *rs, const struct host *h,
			  const struct remote_start *st, const char *const *cmd)
{
	char flags[4] = "-", slot[16], jobs[16];
	char *f = flags;
	if (st->ask_cpus)
		*f++ = 'c';
	if (st->unbuffered_env)
		*f++ = 'u';
	if (st->error_prefix)
		*f++ = 'e';
	snprintf(slot, sizeof slot, "%u", st->slot);
	snprintf(jobs, sizeof jobs, "%u", st->jobs);
	const char *lead[] = {st->nonce, flags, slot, jobs,
			      st->error_prefix ? st->error_prefix : ""};
	return run_on(rs, h, rs->ssh ? st->control : NULL, worker_script, lead, 5, cmd);
}

char **remote_master_argv(const struct remote_ssh *rs, const struct host *h, const char *control,
			  const char *log)
{
	struct words b = {BUF_INIT, 0, false};
	/* Its stderr to the log, not ssh -E: ssh writes some of its messages
	 * ("Connection to HOST closed by remote host.") to stderr whatever -E
	 * says. */
	word(&b, "sh");
	word(&b, "-c");
	word(&b, "exec \"$@\" 2>>\"$0\"");
	word(&b, log);
	user_words(&b, rs);
	connection_options(&b);
	word(&b, "-N");
	option(&b, "ControlMaster", "yes");
	option(&b, "ControlPath", control);
	/* It would fork into the background, out of procpool's reach. */
	option(&b, "ControlPersist", "no");
	/* Run once the control socket listens: the master says it is ready. */
	option(&b, "PermitLocalCommand", "yes");
	option(&b, "LocalCommand", "echo " REMOTE_MASTER_READY);
	ssh_host(&b, h);
	return pack(&b);
}

char **remote_signal_argv(const struct remote_ssh *rs, const struct host *h, const char *control,
			  const char *signame, const long *pids, unsigned n)
{
	char **v = NULL, *digits = malloc((size_t)n * 24 + 1);
	const char **args = calloc((size_t)n + 1, sizeof *args);
	if (args && digits) {
		for (unsigned i = 0; i < n; i++) {
			char *d = digits + (size_t)i * 24;
			snprintf(d, 24, "%ld", pids[i]);
			args[i] = d;
		}
		v = run_on(rs, h, control, signal_script, &signame, 1, args);
	}
	free((void *)args);
	free(digits);
	return v;
}

/* --- the start marker -------------------------------------------------- */

/* Digits at *s, as a number; advances *s. -1 when none, or too many. */
static long digits(const char **s, const char *end)
{
	long v = 0;
	const char *p = *s;
	while (p < end && *p >= '0' && *p <= '9' && p - *s < 12)
		v = v * 10 + (*p++ - '0');
	if (p == *s || (p < end && *p >= '0' && *p <= '9'))
		return -1;
	*s = p;
	return v;
}

bool remote_is_marker(const char *line, size_t len, const char *nonce, struct remote_marker *m)
{
	const char *s = line, *end = line + len;
	size_t mlen = strlen(REMOTE_MARKER), nlen = strlen(nonce);
	if (len < mlen + nlen + 5 || memcmp(s, REMOTE_MARKER " ", mlen + 1))
		return false;
	s += mlen + 1;
	if (memcmp(s, nonce, nlen) || s[nlen] != ' ')
		return false;
	s += nlen + 1;
	long pid = digits(&s, end);
	if (pid <= 0 || s == end || *s++ != ' ')
		return false;
	long ncpus = digits(&s, end);
	if (ncpus < 0 || ncpus > 1000000 || s != end)
		return false;
	m->pid = pid;
	m->ncpus = (unsigned)ncpus;
	return true;
}

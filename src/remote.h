/* remote: the command lines that reach a host. Pure: builds argv vectors and
 * strings, runs nothing.
 *
 * --ssh CMD is split into words as a shell would (quotes and backslashes,
 * no expansions). When its first word is ssh it is "ssh mode": procpool
 * adds its own options, a worker is a session on one of procpool's masters
 * (see master.h), and the worker's command line travels as one string that
 * the remote login shell parses, each word quoted once. Otherwise the
 * command (srun, kubectl exec, ...) runs words as given: a {host} in a word
 * stands for the host (else the host is appended), and the worker's words
 * follow as separate arguments.
 *
 * Either way the remote side runs a small POSIX sh script, as the login
 * shell's own process (exec, so its parent is the connection's): it starts a
 * watchdog that kills the worker (its process group: SIGTERM, SIGKILL 2 s
 * later) once the connection has gone (the shell's parent is no longer the
 * one it had), writes the start marker line, and execs the worker. Lines the
 * login shell's rc files print come before the marker, and are not answers. */
#ifndef PROCPOOL_REMOTE_H
#define PROCPOOL_REMOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "host.h"

/* ssh's keepalives on procpool's connections: a link that went silent is
 * found within about REMOTE_ALIVE_INTERVAL * (REMOTE_ALIVE_COUNT + 1) s. */
#define REMOTE_ALIVE_INTERVAL 2
#define REMOTE_ALIVE_COUNT 3
#define REMOTE_CONNECT_TIMEOUT 10
/* What a master writes on its stdout once it takes sessions. */
#define REMOTE_MASTER_READY "procpool-master-ready"
/* The first word of the start marker line. */
#define REMOTE_MARKER "procpool-start"

struct remote_ssh {
	char **words; /* NULL-terminated; one allocation */
	unsigned nwords;
	bool ssh;     /* ssh mode */
};

/* Split CMD (--ssh) into rs. 0, or -1 with a message. */
int remote_ssh_parse(struct remote_ssh *rs, const char *cmd, char *err, size_t errlen);
void remote_ssh_free(struct remote_ssh *rs);

/* What a worker's start needs besides the host. */
struct remote_start {
	const char *control; /* ssh mode: the master's ControlPath; NULL: connect directly */
	const char *nonce;   /* in the marker, so noise cannot pass for one */
	bool ask_cpus;       /* the marker also reports the host's online CPUs */
	bool unbuffered_env; /* PYTHONUNBUFFERED=1 there unless its environment sets it */
	unsigned slot, jobs; /* PROCPOOL_SLOT and PROCPOOL_JOBS there; jobs 0: the
			      * CPUs there when ask_cpus, else neither */
	const char *error_prefix; /* PROCPOOL_ERROR_PREFIX there, or NULL */
};

/* argv that runs the worker cmd (NULL-terminated) on h. One allocation:
 * free() it. NULL when out of memory. */
char **remote_worker_argv(const struct remote_ssh *rs, const struct host *h,
			  const struct remote_start *st, const char *const *cmd);
/* ssh mode: argv of a master for h listening on control, with ssh's own
 * messages (its stderr) appended to the file log. */
char **remote_master_argv(const struct remote_ssh *rs, const struct host *h, const char *control,
			  const char *log);
/* ssh mode: argv of a session over control that sends signal signame
 * ("TERM") to each of the n remote workers pids (their process groups). */
char **remote_signal_argv(const struct remote_ssh *rs, const struct host *h, const char *control,
			  const char *signame, const long *pids, unsigned n);

/* Append word to b quoted for a remote shell: as it is when it holds only
 * characters no shell treats specially, else in single quotes, with each '
 * and \ outside them, so that sh, bash, dash, ksh, zsh and fish all read
 * back the same bytes. 0 or -1 (out of memory). */
int remote_quote(struct buf *b, const char *word);

/* What a start marker says. */
struct remote_marker {
	long pid;       /* the remote worker's pid (and process group) */
	unsigned ncpus; /* the host's online CPUs; 0: not asked or unknown */
};

/* Whether line (len bytes, without its newline) is the start marker for
 * nonce; fills m when it is. */
bool remote_is_marker(const char *line, size_t len, const char *nonce, struct remote_marker *m);

#endif

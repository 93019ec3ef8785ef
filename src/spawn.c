/* spawn: start one worker; see spawn.h.
 *
 * On Linux the child is made with vfork: it shares procpool's memory until
 * its exec, so nothing is copied (no page tables, no copy-on-write faults,
 * no teardown at exec), which is most of what a fork costs. procpool is
 * suspended meanwhile, and learns how the exec went when it resumes: a
 * failed step is written where the parent reads it, and the child exits.
 * That buys an exact, immediate "command not found" instead of a dead
 * worker to puzzle over. The child may therefore only make system calls:
 * its arguments ({%} replaced) and environment are built before the vfork,
 * and signals stay blocked until its handlers are reset. Elsewhere a plain
 * fork runs the same child, and the failed step comes back through a
 * close-on-exec pipe. */
#define _GNU_SOURCE /* execvpe */
#include "spawn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os.h"
#include "sig.h"
#include "util.h"

extern char **environ;

/* What the child runs, all built in the parent. */
struct child_plan {
	const struct spawn_opts *o;
	unsigned slot;
	int in, out, errfd; /* errfd: -1 under vfork */
	char **argv, **envp;
	char vars[4][64]; /* PROCPOOL_SLOT=..., PROCPOOL_JOBS=..., ... */
	struct spawn_error *e;
};

static void free_argv(char **argv)
{
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* COMMAND's arguments with every {%} replaced by the slot; NULL when out
 * of memory. */
static char **slot_argv(char **argv, unsigned slot)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **out = calloc(n + 1, sizeof *out), digits[16];
	if (!out)
		return NULL;
	int dlen = snprintf(digits, sizeof digits, "%u", slot);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(argv[i]) * (size_t)(dlen > 3 ? dlen : 3) + 1;
		char *a = out[i] = malloc(len), *o = a;
		if (!a)
			return free_argv(out), NULL;
		for (const char *p = argv[i]; *p;)
			if (strncmp(p, "{%}", 3) == 0) {
				memcpy(o, digits, (size_t)dlen);
				o += dlen;
				p += 3;
			} else {
				*o++ = *p++;
			}
		*o = '\0';
	}
	return out;
}

/* Whether environment entry v sets the variable name (given with its =). */
static bool sets(const char *v, const char *name)
{
	return strncmp(v, name, strlen(name)) == 0;
}

/* The worker's environment: procpool's, with PROCPOOL_SLOT, PROCPOOL_JOBS
 * and PROCPOOL_ERROR_PREFIX set, and PYTHONUNBUFFERED=1 unless it is set
 * already (Python buffers stdout in a pipe, and forgetting -u is the first
 * mistake a Python worker makes). 0, or -1 when out of memory. */
static int plan_env(struct child_plan *c)
{
	const struct spawn_opts *o = c->o;
	size_t n = 0, k = 0, nv = 0;
	bool python_set = false;
	while (environ[n])
		n++;
	if (!(c->envp = malloc((n + 5) * sizeof *c->envp)))
		return -1;
	snprintf(c->vars[nv++], sizeof c->vars[0], "PROCPOOL_SLOT=%u", c->slot);
	snprintf(c->vars[nv++], sizeof c->vars[0], "PROCPOOL_JOBS=%u", o->jobs);
	for (size_t i = 0; i < n; i++) {
		const char *v = environ[i];
		python_set |= sets(v, "PYTHONUNBUFFERED=");
		if (!sets(v, "PROCPOOL_SLOT=") && !sets(v, "PROCPOOL_JOBS=") &&
		    !(o->error_prefix && sets(v, "PROCPOOL_ERROR_PREFIX=")))
			c->envp[k++] = environ[i];
	}
	if (o->unbuffered_env && !python_set)
		snprintf(c->vars[nv++], sizeof c->vars[0], "PYTHONUNBUFFERED=1");
	for (size_t i = 0; i < nv; i++)
		c->envp[k++] = c->vars[i];
	c->envp[k] = NULL;
	return 0;
}

/* The prefix may be long: it goes in its own allocation. */
static char *prefix_var(const char *prefix)
{
	static const char name[] = "PROCPOOL_ERROR_PREFIX=";
	char *v = malloc(sizeof name + strlen(prefix));
	if (v)
		strcat(strcpy(v, name), prefix);
	return v;
}

/* Runs in the child; only system calls (see the top). Reports the failed
 * step (in *c->e, or on errfd) and exits. */
static void child(const struct child_plan *c)
{
	const struct spawn_opts *o = c->o;
	struct spawn_error e = {SPAWN_SETUP, 0};
	sig_reset_child();
	/* Own process group: the terminal's ^C reaches procpool alone, which
	 * then winds the workers down in order; and a timeout can signal the
	 * worker together with anything it started. */
	setpgid(0, 0);
	if (os_die_with_parent() < 0 || dup2(c->in, 0) < 0 || dup2(c->out, 1) < 0 ||
	    os_restore_nofile() < 0)
		goto fail;
	os_close_from(3, c->errfd);
	e.step = SPAWN_NICE;
	errno = 0;
	if (o->nice && nice(o->nice) == -1 && errno)
		goto fail;
	e.step = SPAWN_CPUS;
	if (o->cpus && (o->pin_slots ? os_pin_nth_cpu(o->cpus, c->slot) : os_pin_cpus(o->cpus)) < 0)
		goto fail;
	e.step = SPAWN_MEM_LIMIT;
	if (o->mem_limit) {
		struct rlimit rl = {(rlim_t)o->mem_limit, (rlim_t)o->mem_limit};
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			goto fail;
	}
	e.step = SPAWN_EXEC;
	execvpe(c->argv[0], c->argv, c->envp);
fail:
	e.err = errno;
	if (c->errfd >= 0)
		(void)!write(c->errfd, &e, sizeof e);
	else
		*c->e = e;
	_exit(e.step == SPAWN_EXEC && e.err == ENOENT ? 127 : 126);
}

/* Start the child of plan c: its pid, or -1 with errno; c->e says whether
 * a step in the child failed (the child is then reaped). */
static pid_t run_child(struct child_plan *c)
{
	sigset_t mask;
	sig_block_all(&mask);
#ifdef __linux__
	pid_t pid = vfork();
	if (pid == 0)
		child(c);
	int fork_errno = errno;
#else
	int err[2];
	pid_t pid = -1;
	int fork_errno = errno;
	if (pipe_cloexec(err) == 0) {
		c->errfd = err[1];
		pid = fork();
		if (pid == 0)
			child(c);
		fork_errno = errno;
		close(err[1]);
		if (pid > 0 && read_retry(err[0], c->e, sizeof *c->e) != (ssize_t)sizeof *c->e)
			c->e->step = SPAWN_OK;
		close(err[0]);
	}
#endif
	sig_restore(&mask);
	if (pid < 0) {
		errno = fork_errno;
		return -1;
	}
	if (c->e->step != SPAWN_OK) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = c->e->err;
		return -1;
	}
	return pid;
}

bool spawn_args_hold_slot(char **argv)
{
	for (; *argv; argv++)
		if (strstr(*argv, "{%}"))
			return true;
	return false;
}

pid_t spawn_worker(const struct spawn_opts *o, unsigned slot, int *to_fd, int *from_fd,
		   struct spawn_error *e)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	pid_t pid, started = -1;
	struct child_plan c = {.o = o, .slot = slot, .errfd = -1, .argv = o->argv, .e = e};
	char *prefix = NULL;

	e->step = SPAWN_OK;
	e->err = 0;
	if (pipe_cloexec(in) < 0 || pipe_cloexec(out) < 0)
		goto fail;
	c.in = in[0];
	c.out = out[1];
	errno = ENOMEM;
	if (o->slot_args && !(c.argv = slot_argv(o->argv, slot)))
		goto fail;
	if (plan_env(&c) < 0)
		goto fail;
	if (o->error_prefix) {
		/* plan_env left room for it, before the NULL */
		size_t k = 0;
		while (c.envp[k])
			k++;
		if (!(prefix = prefix_var(o->error_prefix)))
			goto fail;
		c.envp[k] = prefix;
		c.envp[k + 1] = NULL;
	}
	if ((pid = run_child(&c)) < 0)
		goto fail;
	close_fd(&in[0]);
	close_fd(&out[1]);
	if (fd_set_nonblock(in[1]) < 0 || fd_set_nonblock(out[0]) < 0)
		goto fail; /* cannot happen on a fresh pipe */
	/* Large tasks cross in fewer, larger pipe loads. */
	os_grow_pipe(in[1], OS_PIPE_BYTES);
	os_grow_pipe(out[0], OS_PIPE_BYTES);
	*to_fd = in[1];
	*from_fd = out[0];
	in[1] = out[0] = -1;
	started = pid;
fail:
	if (c.argv != o->argv)
		free_argv(c.argv);
	free(c.envp);
	free(prefix);
	for (int i = 0; i < 2; i++) {
		close_fd(&in[i]);
		close_fd(&out[i]);
	}
	return started;
}

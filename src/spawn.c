/* spawn: fork and exec one worker; see spawn.h.
 *
 * Exec failure comes back through a close-on-exec pipe: the child writes its
 * errno there when execvp fails, and the parent reads EOF when it succeeds.
 * That costs the parent a wait until the exec, and buys an exact, immediate
 * "command not found" instead of a dead worker to puzzle over. */
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

#define PIPE_BYTES (1 << 20)

/* In the child: COMMAND's arguments with every {%} replaced by the slot
 * (procpool is single-threaded, so malloc after fork is safe). */
static char **slot_argv(char **argv, unsigned slot)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **out = calloc(n + 1, sizeof *out), digits[16];
	if (!out)
		return argv;
	int dlen = snprintf(digits, sizeof digits, "%u", slot);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(argv[i]) * (size_t)(dlen > 3 ? dlen : 3) + 1;
		char *a = malloc(len), *o = a;
		if (!a)
			return argv;
		for (const char *p = argv[i]; *p;)
			if (strncmp(p, "{%}", 3) == 0) {
				memcpy(o, digits, (size_t)dlen);
				o += dlen;
				p += 3;
			} else {
				*o++ = *p++;
			}
		*o = '\0';
		out[i] = a;
	}
	return out;
}

/* Runs in the child; reports the failed step on errfd and exits. */
static void child(const struct spawn_opts *o, unsigned slot, int in, int out, int errfd)
{
	struct spawn_error e = {SPAWN_SETUP, 0};
	sig_reset_child();
	/* Own process group: the terminal's ^C reaches procpool alone, which
	 * then winds the workers down in order; and a timeout can signal the
	 * worker together with anything it started. */
	setpgid(0, 0);
	if (os_die_with_parent() < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    os_restore_nofile() < 0)
		goto fail;
	os_close_from(3, errfd);
	/* Python buffers stdout in a pipe, and forgetting -u is the first
	 * mistake a Python worker makes. (procpool is single-threaded, so
	 * setenv after fork is safe; and before --mem-limit,
	 * which could leave too little room for it.) */
	if (o->unbuffered_env)
		setenv("PYTHONUNBUFFERED", "1", 0);
	char num[16];
	snprintf(num, sizeof num, "%u", slot);
	setenv("PROCPOOL_SLOT", num, 1);
	snprintf(num, sizeof num, "%u", o->jobs);
	setenv("PROCPOOL_JOBS", num, 1);
	if (o->error_prefix)
		setenv("PROCPOOL_ERROR_PREFIX", o->error_prefix, 1);
	char **argv = o->slot_args ? slot_argv(o->argv, slot) : o->argv;
	e.step = SPAWN_NICE;
	errno = 0;
	if (o->nice && nice(o->nice) == -1 && errno)
		goto fail;
	e.step = SPAWN_CPUS;
	if (o->cpus && (o->pin_slots ? os_pin_nth_cpu(o->cpus, slot) : os_pin_cpus(o->cpus)) < 0)
		goto fail;
	e.step = SPAWN_MEM_LIMIT;
	if (o->mem_limit) {
		struct rlimit rl = {(rlim_t)o->mem_limit, (rlim_t)o->mem_limit};
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			goto fail;
	}
	e.step = SPAWN_EXEC;
	execvp(argv[0], argv);
fail:
	e.err = errno;
	(void)!write(errfd, &e, sizeof e);
	_exit(e.step == SPAWN_EXEC && e.err == ENOENT ? 127 : 126);
}

pid_t spawn_worker(const struct spawn_opts *o, unsigned slot, int *to_fd, int *from_fd,
		   struct spawn_error *e)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	sigset_t mask;
	pid_t pid = -1;

	e->step = SPAWN_OK;
	e->err = 0;
	if (pipe_cloexec(in) < 0 || pipe_cloexec(out) < 0 || pipe_cloexec(err) < 0)
		goto fail;
	sig_block_all(&mask);
	pid = fork();
	if (pid == 0)
		child(o, slot, in[0], out[1], err[1]);
	int fork_errno = errno;
	sig_restore(&mask);
	if (pid < 0) {
		errno = fork_errno;
		goto fail;
	}
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	if (read_retry(err[0], e, sizeof *e) == (ssize_t)sizeof *e) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e->err;
		pid = -1;
		goto fail;
	}
	e->step = SPAWN_OK;
	close_fd(&err[0]);
	if (fd_set_nonblock(in[1]) < 0 || fd_set_nonblock(out[0]) < 0)
		goto fail; /* cannot happen on a fresh pipe */
	/* Large tasks cross in fewer, larger pipe loads. */
	os_grow_pipe(in[1], PIPE_BYTES);
	os_grow_pipe(out[0], PIPE_BYTES);
	*to_fd = in[1];
	*from_fd = out[0];
	return pid;
fail:
	for (int i = 0; i < 2; i++) {
		close_fd(&in[i]);
		close_fd(&out[i]);
		close_fd(&err[i]);
	}
	return -1;
}

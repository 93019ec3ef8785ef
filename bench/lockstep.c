/*
 * lockstep: the smallest correct coordinator, the latency floor.
 *
 *   lockstep COMMAND [ARG]... < tasks > results
 *
 * Forks one worker speaking the procpool line protocol, then for each stdin
 * line: write the line to the worker, flush, block until its one answer line
 * arrives, copy the answer to stdout.  Exactly one task is ever in flight,
 * so a run costs (tasks x one pipe round trip + the worker's own work);
 * procpool -j1 --depth 1 does the same dance and is compared against it.
 * Results go to stdout through stdio's full buffering (the only batching).
 *
 * Exit status: 0 when every task got an answer and the worker exited 0;
 * 1 on a worker or I/O failure; 2 on usage; 127 if the worker cannot start.
 */
#define _POSIX_C_SOURCE 200809L
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t worker_start(char **argv, FILE **to, FILE **from)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* dup2 clears close-on-exec on the two ends the worker keeps. */
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "lockstep: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*to = fdopen(in[1], "w");
	*from = fdopen(out[0], "r");
	if (*to == NULL || *from == NULL)
		return -1;
	return pid;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: lockstep COMMAND [ARG]... < tasks > results\n");
		return 2;
	}
	FILE *to, *from;
	pid_t pid = worker_start(argv + 1, &to, &from);
	if (pid < 0) {
		perror("lockstep: starting worker");
		return 1;
	}
	/* A dead worker must show up as a write error, not kill us silently. */
	signal(SIGPIPE, SIG_IGN);

	char *task = NULL, *answer = NULL;
	size_t task_cap = 0, answer_cap = 0;
	ssize_t len;
	int failed = 0;
	while ((len = getline(&task, &task_cap, stdin)) > 0) {
		fwrite(task, 1, (size_t)len, to);
		if (task[len - 1] != '\n')
			putc('\n', to);
		if (fflush(to) != 0) {
			perror("lockstep: writing to worker");
			failed = 1;
			break;
		}
		len = getline(&answer, &answer_cap, from);
		if (len <= 0) {
			fprintf(stderr, "lockstep: worker closed its stdout early\n");
			failed = 1;
			break;
		}
		fwrite(answer, 1, (size_t)len, stdout);
	}
	if (ferror(stdin)) {
		perror("lockstep: reading tasks");
		failed = 1;
	}
	if (fflush(stdout) != 0) {
		perror("lockstep: writing results");
		failed = 1;
	}
	fclose(to); /* EOF tells the worker to exit */
	fclose(from);
	free(task);
	free(answer);

	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("lockstep: waitpid");
			return 1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return 127;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "lockstep: worker failed (status %d)\n", status);
		failed = 1;
	}
	return failed;
}

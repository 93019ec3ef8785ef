/* Unit tests for remote.c: --ssh's words; the argv of masters, sessions and
 * commands that are not ssh; quoting, checked by running the quoted
 * command line through real shells (sh, bash, zsh, fish where installed)
 * and comparing the worker's argv byte for byte; the start marker; and the
 * watchdog, by killing the process that plays the connection. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "remote.h"
#include "test.h"

static char err[256];

/* argv as one string, words separated by '|', for comparisons. */
static const char *joined(char **v)
{
	static char s[8192];
	size_t at = 0;
	s[0] = '\0';
	for (; *v && at < sizeof s; v++)
		at += (size_t)snprintf(s + at, sizeof s - at, "%s%s", at ? "|" : "", *v);
	return s;
}

static void check_words(const char *cmd, const char *want, bool ssh, int line)
{
	struct remote_ssh rs;
	test_checks++;
	if (remote_ssh_parse(&rs, cmd, err, sizeof err) < 0) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED '%s': %s\n", __FILE__, line, cmd, err);
		return;
	}
	if (strcmp(want, joined(rs.words)) || rs.ssh != ssh) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED '%s': expected %s%s, got %s%s\n", __FILE__, line, cmd,
			want, ssh ? " (ssh)" : "", joined(rs.words), rs.ssh ? " (ssh)" : "");
	}
	remote_ssh_free(&rs);
}
#define WORDS(cmd, want, ssh) check_words(cmd, want, ssh, __LINE__)

static void check_bad_words(const char *cmd, const char *msg, int line)
{
	struct remote_ssh rs;
	test_checks++;
	if (remote_ssh_parse(&rs, cmd, err, sizeof err) == 0) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED '%s' was taken\n", __FILE__, line, cmd);
		remote_ssh_free(&rs);
	} else if (strcmp(msg, err)) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED '%s': expected \"%s\", got \"%s\"\n", __FILE__, line,
			cmd, msg, err);
	}
}
#define BAD_WORDS(cmd, msg) check_bad_words(cmd, msg, __LINE__)

static void test_ssh_words(void)
{
	WORDS("ssh", "ssh", true);
	WORDS("  ssh  -F 'my config'\t-o \"A=b \\\"c\\\" \\x\" ", "ssh|-F|my config|-o|A=b \"c\" \\x",
	      true);
	WORDS("/usr/bin/ssh -p 22", "/usr/bin/ssh|-p|22", true);
	WORDS("ssh {host}", "ssh", true);
	WORDS("ssh -v {host}", "ssh|-v", true);
	WORDS("sshpass ssh", "sshpass|ssh", false);
	WORDS("srun -N1 -n1 --exclusive -w {host}", "srun|-N1|-n1|--exclusive|-w|{host}", false);
	WORDS("kubectl exec -i {host} --", "kubectl|exec|-i|{host}|--", false);
	WORDS("a\\ b '' \"\" c", "a b|||c", false);
	BAD_WORDS("", "invalid --ssh '': no command");
	BAD_WORDS(" \t", "invalid --ssh ' \\t': no command");
	BAD_WORDS("ssh 'open",
		  "invalid --ssh 'ssh \\'open': a quote is not closed, or it ends in a backslash");
	BAD_WORDS("ssh \"open",
		  "invalid --ssh 'ssh \"open': a quote is not closed, or it ends in a backslash");
	BAD_WORDS("ssh a\\",
		  "invalid --ssh 'ssh a\\\\': a quote is not closed, or it ends in a backslash");
	BAD_WORDS("ssh {host} -v",
		  "invalid --ssh 'ssh {host} -v': with ssh, {host} can only be the last word");
	BAD_WORDS("ssh -o Host={host}",
		  "invalid --ssh 'ssh -o Host={host}': with ssh, {host} can only be the last word");
}

static void check_quote(const char *in, const char *want, int line)
{
	struct buf b = BUF_INIT;
	test_checks++;
	if (remote_quote(&b, in) < 0 || b.len != strlen(want) || memcmp(b.data, want, b.len)) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED quote \"%s\": expected %s, got %.*s\n", __FILE__, line,
			in, want, (int)b.len, b.data);
	}
	buf_free(&b);
}
#define QUOTE(in, want) check_quote(in, want, __LINE__)

static void test_quote(void)
{
	QUOTE("plain-word_1.2/x:y,z+@", "plain-word_1.2/x:y,z+@");
	QUOTE("a=b", "a=b");
	QUOTE("=b", "'=b'");
	QUOTE("", "''");
	QUOTE("a b", "'a b'");
	QUOTE("$HOME", "'$HOME'");
	QUOTE("~", "'~'");
	QUOTE("it's", "'it'\\''s'");
	QUOTE("'", "\\'");
	QUOTE("back\\slash", "'back'\\\\'slash'");
	QUOTE("\\'\\", "\\\\\\'\\\\");
	QUOTE("caf\xc3\xa9", "'caf\xc3\xa9'");
	QUOTE("a\nb", "'a\nb'");
}

static struct host host_of(const char *entry)
{
	struct host h;
	if (host_parse(&h, entry, strlen(entry), err, sizeof err) < 0)
		fprintf(stderr, "%s\n", err), abort();
	return h;
}

static struct remote_ssh ssh_of(const char *cmd)
{
	struct remote_ssh rs;
	if (remote_ssh_parse(&rs, cmd, err, sizeof err) < 0)
		fprintf(stderr, "%s\n", err), abort();
	return rs;
}

#define CONN_OPTS "-T|-o|BatchMode=yes|-o|ConnectTimeout=10|-o|ServerAliveInterval=2|-o|" \
	"ServerAliveCountMax=3|-o|ClearAllForwardings=yes"

static void test_master_argv(void)
{
	struct remote_ssh rs = ssh_of("ssh -F cfg");
	struct host h = host_of("3/bob@db1:2222");
	char **v = remote_master_argv(&rs, &h, "/tmp/pp/0-0", "/tmp/pp/0-0.log");
	CHECK_STR("sh|-c|exec \"$@\" 2>>\"$0\"|/tmp/pp/0-0.log|ssh|-F|cfg|" CONN_OPTS
		  "|-N|-o|ControlMaster=yes|-o|"
		  "ControlPath=/tmp/pp/0-0|-o|ControlPersist=no|-o|PermitLocalCommand=yes|-o|"
		  "LocalCommand=echo procpool-master-ready|-l|bob|-p|2222|--|db1", joined(v));
	free(v);
	host_free(&h);
	h = host_of("[::1]");
	v = remote_master_argv(&rs, &h, "c", "l");
	CHECK(strstr(joined(v), "|--|::1") && !strstr(joined(v), "|-l|"));
	free(v);
	host_free(&h);
	remote_ssh_free(&rs);
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends(const char *s, const char *suffix)
{
	return strlen(s) >= strlen(suffix) && strcmp(s + strlen(s) - strlen(suffix), suffix) == 0;
}

/* The last word of argv (ssh's remote command line). */
static const char *last(char **v)
{
	while (v[1])
		v++;
	return *v;
}

static void test_session_argv(void)
{
	struct remote_ssh rs = ssh_of("ssh");
	struct host h = host_of("db1");
	const char *cmd[] = {"python3", "-u", "my worker.py", NULL};
	struct remote_start st = {"/tmp/pp/0-1", "abc123", false, false, 0, 0, NULL};
	char **v = remote_worker_argv(&rs, &h, &st, cmd);
	const char *s = joined(v);
	CHECK(starts(s, "ssh|-T|-o|BatchMode=yes|-o|ControlMaster=no|-o|ControlPath=/tmp/pp/0-1|-o|"
			"ProxyCommand=false|-o|LogLevel=QUIET|-o|ClearAllForwardings=yes|--|db1|"
			"exec sh -c 'm=$1 "));
	CHECK(ends(last(v), "\"$@\"' procpool abc123 - 0 0 '' python3 -u 'my worker.py'"));
	free(v);
	/* No master: a connection of its own, with ssh's options for one. */
	st.control = NULL;
	st.ask_cpus = st.unbuffered_env = true;
	st.slot = 3;
	st.jobs = 8;
	v = remote_worker_argv(&rs, &h, &st, cmd);
	CHECK(starts(joined(v), "ssh|" CONN_OPTS "|-o|ControlMaster=no|-o|ControlPath=none|--|db1|"));
	CHECK(strstr(last(v), " procpool abc123 cu 3 8 '' python3 "));
	free(v);
	long pids[] = {41, 4242};
	v = remote_signal_argv(&rs, &h, "/tmp/pp/0-1", "TERM", pids, 2);
	CHECK(strstr(joined(v), "|ControlPath=/tmp/pp/0-1|") && starts(last(v), "exec sh -c 's=$1") &&
	      ends(last(v), "' procpool TERM 41 4242"));
	free(v);
	host_free(&h);
	remote_ssh_free(&rs);
}

static void test_command_argv(void)
{
	struct host h = host_of("4/node7");
	const char *cmd[] = {"./w", "a b", NULL};
	struct remote_start st = {"/ignored", "n1", false, false, 0, 0, NULL};
	struct remote_ssh rs = ssh_of("srun -N1 -n1 --exclusive -w {host}");
	char **v = remote_worker_argv(&rs, &h, &st, cmd);
	/* Not ssh: the words as they are, the worker's as separate words. */
	CHECK(starts(joined(v), "srun|-N1|-n1|--exclusive|-w|node7|sh|-c|m=$1 "));
	CHECK(strcmp(v[9], "procpool") == 0 && strcmp(v[10], "n1") == 0 &&
	      strcmp(v[11], "-") == 0 && strcmp(v[12], "0") == 0 && strcmp(v[13], "0") == 0 &&
	      strcmp(v[14], "") == 0 && strcmp(v[15], "./w") == 0 && strcmp(v[16], "a b") == 0 &&
	      !v[17]);
	free(v);
	remote_ssh_free(&rs);
	rs = ssh_of("kubectl exec -i pod/{host}-{host} --");
	v = remote_worker_argv(&rs, &h, &st, cmd);
	CHECK(starts(joined(v), "kubectl|exec|-i|pod/node7-node7|--|sh|-c|"));
	free(v);
	remote_ssh_free(&rs);
	rs = ssh_of("rsh");
	v = remote_worker_argv(&rs, &h, &st, cmd);
	CHECK(starts(joined(v), "rsh|node7|sh|-c|"));
	free(v);
	remote_ssh_free(&rs);
	host_free(&h);
}

static void test_marker(void)
{
	struct remote_marker m = {0, 0};
	const char *line = "procpool-start f00d 4321 8";
	CHECK(remote_is_marker(line, strlen(line), "f00d", &m));
	CHECK_INT(4321, m.pid);
	CHECK_UINT(8, m.ncpus);
	line = "procpool-start f00d 7 0";
	CHECK(remote_is_marker(line, strlen(line), "f00d", &m));
	CHECK_INT(7, m.pid);
	CHECK_UINT(0, m.ncpus);
	static const char *bad[] = {
		"procpool-start beef 4321 8", "procpool-start f00d 4321", "procpool-start f00d 4321 8 ",
		"procpool-start f00d 0 8", "procpool-start f00d x 8", "procpool-start f00d  4321 8",
		"procpool-start f00dd 4321 8", "procpool-start f00d 4321 8x", " procpool-start f00d 1 1",
		"noiseprocpool-start f00d 1 1", "procpool-start f00d 1234567890123 1", "",
		"procpool-start", "procpool-start f00d 1 -1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (remote_is_marker(bad[i], strlen(bad[i]), "f00d", &m))
			TEST_FAIL_("'%s' taken for a marker", bad[i]);
	/* The length given counts, not a NUL. */
	CHECK(!remote_is_marker("procpool-start f00d 1 12", 23, "f00d", &m) ||
	      m.ncpus == 1);
}

/* Run argv with stdout to a pipe; its output into out (cap bytes at
 * most), its wait status returned. */
static int run(char **argv, char *out, size_t cap, size_t *len)
{
	int fds[2];
	if (pipe(fds) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	*len = 0;
	ssize_t r;
	while ((r = read(fds[0], out + *len, cap - *len)) > 0)
		*len += (size_t)r;
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	return status;
}

static bool installed(const char *shell)
{
	return access(shell, X_OK) == 0;
}

/* The worker: each of its arguments, NUL-terminated. */
static const char *const dump_args[] = {"printf", "%s\\0", NULL};

/* cmd's words after printf's, run on "this machine" through the login
 * shell `shell -c LINE` (ssh mode's remote command line) and directly as
 * words (other commands): argv must come back byte for byte, after the
 * marker. */
static void round_trip(const char *shell, const char *const *args, int line)
{
	struct remote_ssh rs = ssh_of(shell ? "ssh" : "sh");
	struct host h = host_of("localhost");
	struct remote_start st = {NULL, "0123abcd", false, false, 0, 0, NULL};
	size_t n = 0;
	while (args[n])
		n++;
	const char **cmd = calloc(n + 3, sizeof *cmd);
	memcpy((void *)cmd, dump_args, 2 * sizeof *cmd);
	memcpy((void *)(cmd + 2), args, n * sizeof *cmd);
	char **v = remote_worker_argv(&rs, &h, &st, cmd);
	/* ssh mode: the login shell gets the last word; else run the words
	 * after the host ("sh localhost sh -c ..."). */
	char *login[] = {(char *)shell, (char *)"-c", (char *)last(v), NULL};
	char **argv = shell ? login : v + 2;
	static char out[1 << 16];
	size_t len;
	int status = run(argv, out, sizeof out, &len);
	test_checks++;
	static char want[1 << 16];
	const char *nl = len > 1 ? memchr(out + 1, '\n', len - 1) : NULL;
	size_t head = nl ? (size_t)(nl - out) + 1 : 0;
	size_t body = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(want + body, args[i], strlen(args[i]) + 1);
		body += strlen(args[i]) + 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !nl ||
	    !starts(out, "\nprocpool-start 0123abcd ") || len - head != body ||
	    memcmp(out + head, want, body)) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED through %s: status %d, got %zu bytes \"%s\"\n", __FILE__,
			line, shell ? shell : "words", status, len, test_esc(out, len));
	}
	free(v);
	free((void *)cmd);
	host_free(&h);
	remote_ssh_free(&rs);
}

static void test_round_trips(void)
{
	static const char *const args[] = {
		"plain", "two words", "", "it's", "\"dq\"", "$HOME", "$(id)", "`id`", "a;b", "a|b&c",
		"*", "~", "=x", "-n", "--", "back\\slash", "\\'\\", "'", "tab\there", "new\nline",
		"caf\xc3\xa9 \xe6\x97\xa5", "\x01\x7f\x80\xff", "{host}", "!x", "#c", "%s", NULL,
	};
	static const char *shells[] = {"/bin/sh", "/bin/dash", "/bin/bash", "/usr/bin/zsh",
				       "/bin/zsh", "/usr/bin/fish"};
	round_trip(NULL, args, __LINE__);
	for (size_t i = 0; i < sizeof shells / sizeof shells[0]; i++)
		if (installed(shells[i]))
			round_trip(shells[i], args, __LINE__);
		else
			printf("  (%s not installed)\n", shells[i]);
	/* Random bytes (no NUL), each argument up to 40 of them. */
	for (int round = 0; round < 20; round++) {
		static char bytes[8][41];
		const char *rnd[9] = {NULL};
		for (int a = 0; a < 8; a++) {
			size_t len = test_below(41);
			for (size_t i = 0; i < len; i++)
				bytes[a][i] = (char)(1 + test_below(255));
			bytes[a][len] = '\0';
			rnd[a] = bytes[a];
		}
		round_trip("/bin/sh", rnd, __LINE__);
		if (installed("/bin/bash"))
			round_trip("/bin/bash", rnd, __LINE__);
	}
}

/* What procpool puts in a local worker's environment is set there too: the
 * slot and -j when jobs is given, PYTHONUNBUFFERED=1 when asked unless it
 * is set. */
static void check_env(bool unbuffered, unsigned slot, unsigned jobs, const char *python_env,
		      const char *want, int line)
{
	struct remote_ssh rs = ssh_of("sh");
	struct host h = host_of("here");
	struct remote_start st = {NULL, "ee", false, unbuffered, slot, jobs, NULL};
	const char *cmd[] = {"sh", "-c",
			     "echo \"${PROCPOOL_SLOT-none} ${PROCPOOL_JOBS-none} "
			     "${PYTHONUNBUFFERED-none}\"", NULL};
	char **v = remote_worker_argv(&rs, &h, &st, cmd);
	size_t n = 0;
	while (v[n])
		n++;
	/* env -u ... then the words after the host, with PYTHONUNBUFFERED
	 * as python_env says (NULL: unset). */
	const char *pre[] = {"env", "-u", "PROCPOOL_SLOT", "-u", "PROCPOOL_JOBS", "-u",
			     "PYTHONUNBUFFERED", python_env};
	size_t npre = python_env ? 8 : 7;
	char **argv = calloc(npre + n, sizeof *argv);
	memcpy((void *)argv, pre, npre * sizeof *argv);
	memcpy((void *)(argv + npre), v + 2, (n - 1) * sizeof *argv);
	static char out[4096];
	size_t len;
	int status = run(argv, out, sizeof out - 1, &len);
	out[len] = '\0';
	const char *body = strchr(out + 1, '\n');
	test_checks++;
	if (status || !body || strcmp(body + 1, want)) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED environment: expected \"%s\", got \"%s\"\n", __FILE__,
			line, want, test_esc(out, len));
	}
	free((void *)argv);
	free(v);
	host_free(&h);
	remote_ssh_free(&rs);
}
#define ENV(u, slot, jobs, py, want) check_env(u, slot, jobs, py, want, __LINE__)

static void test_environment(void)
{
	ENV(false, 0, 0, NULL, "none none none\n");
	ENV(false, 3, 8, NULL, "3 8 none\n");
	ENV(true, 0, 2, NULL, "0 2 1\n");
	ENV(true, 0, 0, "PYTHONUNBUFFERED=", "none none \n");
	ENV(true, 0, 0, "PYTHONUNBUFFERED=0", "none none 0\n");
	ENV(false, 0, 0, "PYTHONUNBUFFERED=7", "none none 7\n");
}

/* The marker reports this machine's online CPUs when asked, and a command
 * that is not there exits 127 before any marker. */
static void test_remote_side(void)
{
	struct remote_ssh rs = ssh_of("sh");
	struct host h = host_of("here");
	struct remote_start st = {NULL, "aa", true, false, 0, 0, NULL};
	const char *cmd[] = {"true", NULL};
	char **v = remote_worker_argv(&rs, &h, &st, cmd);
	static char out[4096];
	size_t len;
	CHECK_INT(0, run(v + 2, out, sizeof out - 1, &len));
	out[len] = '\0';
	struct remote_marker m;
	CHECK(len > 2 && remote_is_marker(out + 1, len - 2, "aa", &m) &&
	      m.ncpus == (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
	free(v);
	/* The first worker on a host of unknown cap: PROCPOOL_JOBS is its CPUs. */
	const char *env[] = {"sh", "-c", "echo \"$PROCPOOL_SLOT $PROCPOOL_JOBS\"", NULL};
	v = remote_worker_argv(&rs, &h, &st, env);
	CHECK_INT(0, run(v + 2, out, sizeof out - 1, &len));
	out[len] = '\0';
	char want[64];
	snprintf(want, sizeof want, "0 %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	const char *body = strchr(out + 1, '\n');
	CHECK(body && strcmp(body + 1, want) == 0);
	free(v);
	/* --error-prefix: PROCPOOL_ERROR_PREFIX there too, any bytes. */
	const char *prefix[] = {"sh", "-c", "printf '%s|' \"$PROCPOOL_ERROR_PREFIX\"", NULL};
	st.error_prefix = "ERR 'it' $x: ";
	v = remote_worker_argv(&rs, &h, &st, prefix);
	CHECK_INT(0, run(v + 2, out, sizeof out - 1, &len));
	out[len] = '\0';
	body = strchr(out + 1, '\n');
	CHECK(body && strcmp(body + 1, "ERR 'it' $x: |") == 0);
	free(v);
	st.error_prefix = NULL;
	const char *missing[] = {"procpool-no-such-command", NULL};
	v = remote_worker_argv(&rs, &h, &st, missing);
	int status = run(v + 2, out, sizeof out - 1, &len);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
	CHECK_UINT(0, len);
	free(v);
	host_free(&h);
	remote_ssh_free(&rs);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The watchdog, with a process of this test in sshd's place: it starts the
 * remote side as a session leader, as sshd does. When it dies the worker
 * (busy, reading nothing) is killed within seconds; while it lives the
 * worker is left alone. This test is the subreaper, so the orphans come
 * here and are reaped (else init would hold their zombies). */
static void test_watchdog(void)
{
#ifdef __linux__
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		printf("  (no subreaper: watchdog test skipped)\n");
		return;
	}
	struct remote_ssh rs = ssh_of("sh");
	struct host h = host_of("here");
	struct remote_start st = {NULL, "bb", false, false, 0, 0, NULL};
	const char *cmd[] = {"sleep", "300", NULL};
	char **v = remote_worker_argv(&rs, &h, &st, cmd);
	int fds[2];
	if (pipe(fds) < 0)
		abort();
	pid_t conn = fork();
	if (conn == 0) {
		pid_t s = fork();
		if (s == 0) {
			setsid();
			dup2(fds[1], 1);
			close(fds[0]);
			close(fds[1]);
			execvp(v[2], v + 2);
			_exit(127);
		}
		pause();
		_exit(0);
	}
	close(fds[1]);
	char out[256];
	size_t len = 0;
	ssize_t r;
	while (len < sizeof out - 1 && (r = read(fds[0], out + len, sizeof out - 1 - len)) > 0 &&
	       !memchr(out + 1, '\n', (len += (size_t)r) - 1))
		;
	out[len] = '\0';
	struct remote_marker m = {0, 0};
	CHECK(len > 2 && remote_is_marker(out + 1, strcspn(out + 1, "\n"), "bb", &m));
	/* Alive a while with its connection. */
	usleep(1500 * 1000);
	CHECK_INT(0, kill((pid_t)m.pid, 0));
	kill(conn, SIGKILL);
	waitpid(conn, NULL, 0);
	int64_t start = mono_ms(), gone = -1;
	while (gone < 0 && mono_ms() - start < 10000) {
		int status;
		pid_t p;
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == (pid_t)m.pid) {
				gone = mono_ms() - start;
				CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
			}
		usleep(20 * 1000);
	}
	printf("  worker killed %lld ms after its connection died\n", (long long)gone);
	CHECK(gone >= 0 && gone < 5000);
	if (gone < 0)
		kill((pid_t)m.pid, SIGKILL);
	close(fds[0]);
	/* Let the watchdog see the worker gone, and reap it. */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	free(v);
	host_free(&h);
	remote_ssh_free(&rs);
#endif
}

int main(void)
{
	test_seed(7);
	TEST_RUN(test_ssh_words);
	TEST_RUN(test_quote);
	TEST_RUN(test_master_argv);
	TEST_RUN(test_session_argv);
	TEST_RUN(test_command_argv);
	TEST_RUN(test_marker);
	TEST_RUN(test_round_trips);
	TEST_RUN(test_remote_side);
	TEST_RUN(test_environment);
	TEST_RUN(test_watchdog);
	return TEST_REPORT();
}

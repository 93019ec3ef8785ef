/* Unit tests for config.c: the value parsers and config_parse's defaults,
 * option rules and error messages. */
#include <stdarg.h>

#include "config.h"
#include "test.h"

static void check_duration(const char *s, int64_t want, int line)
{
	int64_t ns = -12345;
	int r = config_duration(s, &ns);
	test_checks++;
	if (want >= 0 ? r != 0 || ns != want : r != -1 || ns != -12345) {
		test_failures++;
		fflush(stdout);
		fprintf(stderr, "%s:%d: FAILED config_duration(\"%s\"): expected %s%jd, got %d, %jd\n",
			__FILE__, line, s, want >= 0 ? "0, " : "-1 (untouched)", (intmax_t)want, r,
			(intmax_t)ns);
	}
}
#define DURATION(s, ns) check_duration(s, ns, __LINE__)
#define BAD_DURATION(s) check_duration(s, -1, __LINE__)

static void test_duration(void)
{
	DURATION("250ms", 250000000);
	DURATION("3s", 3000000000);
	DURATION("2m", 120000000000);
	DURATION("1.5", 1500000000);
	DURATION("1h", 3600000000000);
	DURATION("0", 0);
	DURATION("10", 10000000000);
	DURATION("0.25s", 250000000);
	DURATION(".5", 500000000);
	DURATION("10us", 10000);
	DURATION("1000000h", 3600000000000000000);
	BAD_DURATION("");
	BAD_DURATION("abc");
	BAD_DURATION("3x");
	BAD_DURATION("-1");
	BAD_DURATION("+1");
	BAD_DURATION(" 1");
	BAD_DURATION("1 s");
	BAD_DURATION("1s ");
	BAD_DURATION("s");
	BAD_DURATION("ms");
	BAD_DURATION(".");
	BAD_DURATION("3S");
	BAD_DURATION("3sec");
	BAD_DURATION("1e400");
	BAD_DURATION("nan");
	BAD_DURATION("inf");
	BAD_DURATION("3000000h"); /* past INT64_MAX ns */
}

static void check_size(const char *s, int64_t want, int line)
{
	uint64_t b = 12345;
	int r = config_size(s, &b);
	test_checks++;
	if (want >= 0 ? r != 0 || b != (uint64_t)want : r != -1 || b != 12345) {
		test_failures++;
		fflush(stdout);
		fprintf(stderr, "%s:%d: FAILED config_size(\"%s\"): expected %s%jd, got %d, %ju\n",
			__FILE__, line, s, want >= 0 ? "0, " : "-1 (untouched)", (intmax_t)want, r,
			(uintmax_t)b);
	}
}
#define SIZE(s, n) check_size(s, n, __LINE__)
#define BAD_SIZE(s) check_size(s, -1, __LINE__)

static void test_size(void)
{
	SIZE("64M", 64 << 20);
	SIZE("1k", 1024);
	SIZE("1K", 1024);
	SIZE("1G", 1 << 30);
	SIZE("512", 512);
	SIZE("0", 0);
	SIZE("64MiB", 64 << 20);
	SIZE("64MB", 64 << 20);
	SIZE("64m", 64 << 20);
	SIZE("2T", 2ll << 40);
	SIZE("1.5k", 1536);
	SIZE("8589934592", 8589934592);
	BAD_SIZE("");
	BAD_SIZE("abc");
	BAD_SIZE("-1");
	BAD_SIZE("+1");
	BAD_SIZE("1.5"); /* no fractional bytes */
	BAD_SIZE("64X");
	BAD_SIZE("64Mb");
	BAD_SIZE("64MiBs");
	BAD_SIZE("64 M");
	BAD_SIZE("64M ");
	BAD_SIZE("M");
	BAD_SIZE("MiB");
	BAD_SIZE("99999999T"); /* past UINT64_MAX */
	BAD_SIZE("1e400");
}

static void check_count(const char *s, uint64_t min, uint64_t max, int ok, uint64_t want,
			int line)
{
	uint64_t n = 12345;
	int r = config_count(s, min, max, &n);
	test_checks++;
	if (ok ? r != 0 || n != want : r != -1 || n != 12345) {
		test_failures++;
		fflush(stdout);
		fprintf(stderr, "%s:%d: FAILED config_count(\"%s\", %ju, %ju): expected %s %ju, "
			"got %d, %ju\n", __FILE__, line, s, (uintmax_t)min, (uintmax_t)max,
			ok ? "0," : "-1 (untouched)", (uintmax_t)want, r, (uintmax_t)n);
	}
}
#define COUNT(s, min, max, n) check_count(s, min, max, 1, n, __LINE__)
#define BAD_COUNT(s, min, max) check_count(s, min, max, 0, 12345, __LINE__)

static void test_count(void)
{
	COUNT("5", 0, 10, 5);
	COUNT("0", 0, 10, 0);
	COUNT("10", 0, 10, 10);
	COUNT("007", 0, 10, 7);
	COUNT("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	BAD_COUNT("0", 1, 10);
	BAD_COUNT("11", 0, 10);
	BAD_COUNT("", 0, 10);
	BAD_COUNT("-1", 0, 10);
	BAD_COUNT("+1", 0, 10);
	BAD_COUNT(" 1", 0, 10);
	BAD_COUNT("1 ", 0, 10);
	BAD_COUNT("1x", 0, 10);
	BAD_COUNT("1.0", 0, 10);
	BAD_COUNT("0x5", 0, 10);
	BAD_COUNT("18446744073709551616", 0, UINT64_MAX);
	BAD_COUNT("99999999999999999999999", 0, UINT64_MAX);
}

static void check_cpus(const char *s, int highest, int line)
{
	unsigned top = 12345;
	int r = config_cpu_list(s, &top);
	test_checks++;
	if (highest >= 0 ? r != 0 || top != (unsigned)highest : r != -1) {
		test_failures++;
		fflush(stdout);
		char want[32] = "-1";
		if (highest >= 0)
			snprintf(want, sizeof want, "0, highest %d", highest);
		fprintf(stderr, "%s:%d: FAILED config_cpu_list(\"%s\"): expected %s, got %d, "
			"highest %u\n", __FILE__, line, s, want, r, top);
	}
}
#define CPUS(s, top) check_cpus(s, top, __LINE__)
#define BAD_CPUS(s) check_cpus(s, -1, __LINE__)

static void test_cpu_list(void)
{
	CPUS("1-3,6", 6);
	CPUS("0", 0);
	CPUS("3,1", 3);
	CPUS("2-2", 2);
	CPUS("0-4095", 4095);
	CPUS("7,0-1", 7);
	BAD_CPUS("3-1");
	BAD_CPUS("a");
	BAD_CPUS("");
	BAD_CPUS("-1");
	BAD_CPUS("1-");
	BAD_CPUS(",1");
	BAD_CPUS("1,,2");
	BAD_CPUS("1-2-3");
	BAD_CPUS("1 ");
	BAD_CPUS("4096");
	BAD_CPUS("99999999999999999999");
	BAD_CPUS("1,"); /* os_pin_cpus would read the empty tail as CPU 0 */
	BAD_CPUS("1-3,");
}

/* config_parse on a fresh, writable, NULL-terminated copy of the arguments.
 * The copies live until the end of main: getopt may keep pointers into
 * them. */
static char **arenas[512];
static size_t narenas;
static char err[256];
static struct config c;

static enum config_result parse(unsigned ncpus, ...)
{
	const char *args[32];
	size_t argc = 0, bytes = 0;
	va_list ap;

	va_start(ap, ncpus);
	while (argc < 31 && (args[argc] = va_arg(ap, const char *)))
		bytes += strlen(args[argc++]) + 1;
	va_end(ap);
	char **argv = malloc((argc + 1) * sizeof *argv + bytes);
	char *s = (char *)(argv + argc + 1);
	for (size_t i = 0; i < argc; i++) {
		argv[i] = strcpy(s, args[i]);
		s += strlen(s) + 1;
	}
	argv[argc] = NULL;
	if (narenas < sizeof arenas / sizeof arenas[0])
		arenas[narenas++] = argv;
	strcpy(err, "(untouched)");
	config_free(&c);
	return config_parse(&c, (int)argc, argv, ncpus, err, sizeof err);
}
#define PARSE(ncpus, ...) parse(ncpus, "procpool", __VA_ARGS__, (const char *)NULL)
#define PARSE_OK(ncpus, ...) CHECK_INT(CONFIG_RUN, PARSE(ncpus, __VA_ARGS__))
#define PARSE_ERR(msg, ...) do { CHECK_INT(CONFIG_ERROR, PARSE(4, __VA_ARGS__)); \
	CHECK_STR(msg, err); } while (0)

/* c.argv holds exactly the given words. */
static void check_argv(const char *const *want, int line)
{
	size_t i = 0;
	for (; want[i]; i++)
		if (!c.argv || !c.argv[i] || strcmp(c.argv[i], want[i]))
			break;
	test_checks++;
	if (want[i] || !c.argv || c.argv[i]) {
		test_failures++;
		fflush(stdout);
		fprintf(stderr, "%s:%d: FAILED COMMAND word %zu: expected \"%s\", got \"%s\"\n",
			__FILE__, line, i, want[i] ? want[i] : "(end)",
			c.argv && c.argv[i] ? c.argv[i] : "(end)");
	}
}
#define CHECK_ARGV(...) check_argv((const char *const[]){__VA_ARGS__, NULL}, __LINE__)

static void test_parse_defaults(void)
{
	PARSE_OK(4, "cmd");
	CHECK_ARGV("cmd");
	CHECK_UINT(4, c.jobs);
	CHECK_UINT(1, c.min);
	CHECK_INT(10000000000, c.idle_timeout);
	CHECK_UINT(0, c.depth);
	CHECK_INT(WIRE_LINE, c.wire);
	CHECK(!c.base64_io && !c.keep_order && !c.tag && !c.resume && !c.bench);
	CHECK_INT('\n', c.sep);
	CHECK_UINT(64 << 20, c.max_record);
	CHECK_INT(2000000000, c.kill_grace);
	CHECK_INT(0, c.timeout);
	CHECK_INT(HALT_NEVER, c.halt);
	CHECK(c.narg_files == 0 && c.joblog == NULL && c.cpus == NULL);
	PARSE_OK(1, "cmd");
	CHECK_UINT(1, c.jobs);
	PARSE_OK(0, "cmd"); /* unknown CPU count: still one worker */
	CHECK_UINT(1, c.jobs);
	CHECK_UINT(1, c.min);
	PARSE_OK(4, "-b", "cmd");
	CHECK(c.base64_io);
	CHECK_INT(WIRE_BASE64, c.wire);
	PARSE_OK(4, "-b", "-w", "line", "cmd");
	CHECK_INT(WIRE_LINE, c.wire);
	PARSE_OK(4, "--wire=base64", "cmd");
	CHECK_INT(WIRE_BASE64, c.wire);
	CHECK(!c.base64_io);
	PARSE_OK(4, "-0", "-a", "list", "cmd");
	CHECK_INT('\0', c.sep);
	CHECK_UINT(1, c.narg_files);
	CHECK_STR("list", c.arg_files[0]);
	CHECK_INT(CONFIG_HELP, PARSE(4, "-h"));
	CHECK_INT(CONFIG_HELP, PARSE(4, "--help", "cmd"));
	CHECK_INT(CONFIG_VERSION, PARSE(4, "-V"));
	CHECK_INT(CONFIG_VERSION, PARSE(4, "--version"));
}

static void test_parse_jobs(void)
{
	PARSE_OK(4, "-j", "50%", "cmd");
	CHECK_UINT(2, c.jobs);
	PARSE_OK(4, "-j", "1%", "cmd");
	CHECK_UINT(1, c.jobs);
	PARSE_OK(4, "-j", "250%", "cmd");
	CHECK_UINT(10, c.jobs);
	PARSE_OK(4, "-j", "3", "cmd");
	CHECK_UINT(3, c.jobs);
	PARSE_OK(4, "-j7", "cmd");
	CHECK_UINT(7, c.jobs);
	PARSE_OK(4, "--jobs=5", "cmd");
	CHECK_UINT(5, c.jobs);
	PARSE_OK(4, "--jobs", "64", "cmd");
	CHECK_UINT(64, c.jobs);
	PARSE_ERR("invalid --jobs '0': must be at least 1", "-j", "0", "cmd");
	PARSE_ERR("invalid --jobs 'abc': expected N, N% or auto", "-j", "abc", "cmd");
	PARSE_ERR("invalid --jobs '%': expected N, N% or auto", "-j", "%", "cmd");
	PARSE_ERR("invalid --jobs '-2': expected N, N% or auto", "--jobs=-2", "cmd");
	PARSE_ERR("invalid --jobs '5x': expected N, N% or auto", "-j", "5x", "cmd");
	PARSE_ERR("invalid --jobs '': expected N, N% or auto", "--jobs=", "cmd");
}

static void test_parse_errors(void)
{
	PARSE_ERR("unknown option '--frobnicate'", "--frobnicate", "cmd");
	PARSE_ERR("unknown option '--frobnicate'", "--frobnicate=3", "cmd");
	PARSE_ERR("unknown option '-x'", "-x", "cmd");
	PARSE_ERR("option '--jobs' needs a value", "-j");
	PARSE_ERR("option '--jobs' needs a value", "--jobs");
	PARSE_ERR("option '--halt' needs a value", "--halt");
	PARSE_ERR("option '--arg-file' needs a value", "-k", "-a");
	PARSE_ERR("missing COMMAND", "-k");
	PARSE_ERR("missing COMMAND", "-k", "--");
	CHECK_INT(CONFIG_ERROR, parse(4, "procpool", (const char *)NULL));
	CHECK_STR("missing COMMAND", err);
	PARSE_ERR("invalid --depth '0': expected auto or a number from 1 to 65536", "--depth", "0",
		  "cmd");
	PARSE_ERR("invalid --wire 'morse': expected line or base64", "-w", "morse", "cmd");
	PARSE_ERR("invalid --timeout '0': expected a duration above 0, such as 30s or 2m",
		  "--timeout", "0", "cmd");
	PARSE_ERR("invalid --max-record '0': expected a size from 1 to 1T, such as 64M",
		  "--max-record", "0", "cmd");
	PARSE_ERR("invalid --idle-timeout '3x': expected a duration such as 250ms, 10s or 2m", "-i",
		  "3x", "cmd");
	PARSE_ERR("invalid --cpus '3-1': expected CPU numbers and ranges below 4096, such as 0-3,6",
		  "--cpus", "3-1", "cmd");
	PARSE_ERR("invalid --nice '40': expected a number from 0 to 39", "--nice", "40", "cmd");
	PARSE_ERR("invalid --retries '1001': expected a number from 0 to 1000", "--retries=1001",
		  "cmd");
	PARSE_ERR("invalid --mem-limit '1k': expected a size from 4k, such as 512M", "--mem-limit",
		  "1k", "cmd");
	PARSE_ERR("invalid --max-tasks '0': expected a number of 1 or more", "--max-tasks", "0", "cmd");
	PARSE_ERR("invalid --total '0': expected a number of 1 or more", "--total", "0", "cmd");
	PARSE_ERR("invalid --bench-runs '0': expected a number from 1 to 1000", "--bench-runs", "0",
		  "cmd");
	PARSE_ERR("invalid --kill-grace '-1': expected a duration such as 500ms or 2s",
		  "--kill-grace", "-1", "cmd");
}

/* Values and names the user typed are shown escaped, as escape.h says. */
static void test_parse_errors_escaped(void)
{
	PARSE_ERR("invalid --jobs '\\x1b[2J': expected N, N% or auto", "-j", "\x1b[2J", "cmd");
	PARSE_ERR("invalid --nice 'caf\xc3\xa9\\n': expected a number from 0 to 39", "--nice",
		  "caf\xc3\xa9\n", "cmd");
	PARSE_ERR("unknown option '--x\\ty'", "--x\ty=1", "cmd");
	PARSE_ERR("unknown option '-\\xc3'", "-\xc3\xa9", "cmd");
	PARSE_ERR("invalid --halt '\\'': expected never, soon,fail=N[%] or now,fail=N[%]",
		  "--halt", "'", "cmd");
}

/* An abbreviation of several long options names them; an exact name, or an
 * abbreviation of one, is that option. */
static void test_parse_ambiguous(void)
{
	PARSE_ERR("option '--jo' is ambiguous (--jobs, --joblog)", "--jo", "2", "cmd");
	PARSE_ERR("option '--jo' is ambiguous (--jobs, --joblog)", "--jo=2", "cmd");
	PARSE_ERR("option '--res' is ambiguous (--resume, --resume-failed)", "--res", "cmd");
	PARSE_ERR("option '--bench-j' is ambiguous (--bench-jobs, --bench-json)", "--bench-j", "x",
		  "cmd");
	PARSE_ERR("option '--m' is ambiguous (--max-record, --min, --max-jobs, --max-tasks, --max-tasks-jitter, --mem-limit)",
		  "--m", "1", "cmd");
	PARSE_ERR("unknown option '--jobz'", "--jobz", "2", "cmd");
	PARSE_ERR("option '--job' is ambiguous (--jobs, --joblog)", "--job", "3", "cmd");
	PARSE_OK(4, "--jobs", "3", "cmd");
	CHECK_UINT(3, c.jobs);
	PARSE_OK(4, "--jobl", "j.tsv", "cmd");
	CHECK_STR("j.tsv", c.joblog);
	PARSE_OK(4, "--resume", "--joblog", "j", "cmd");
	CHECK(c.resume && !c.resume_failed);
	PARSE_OK(4, "--resume-f", "--joblog", "j", "cmd");
	CHECK(!c.resume && c.resume_failed);
	PARSE_OK(4, "--bench", "cmd");
	CHECK(c.bench);
	PARSE_OK(4, "--stats", "cmd");
	CHECK(c.stats && !c.stats_json);
}

static void test_parse_arg_files(void)
{
	PARSE_OK(4, "-a", "one", "--arg-file=two", "-a-", "-athree", "cmd");
	CHECK_UINT(4, c.narg_files);
	if (c.narg_files == 4) {
		CHECK_STR("one", c.arg_files[0]);
		CHECK_STR("two", c.arg_files[1]);
		CHECK_STR("-", c.arg_files[2]);
		CHECK_STR("three", c.arg_files[3]);
	}
	/* Past the first few the array grows: every name is kept, in order. */
	PARSE_OK(4, "-a", "f0", "-a", "f1", "-a", "f2", "-a", "f3", "-a", "f4", "-a", "f5", "-a",
		 "f6", "-a", "f7", "-a", "f8", "-af9", "-af10", "-af11", "-af12", "-af13", "-af14",
		 "-af15", "-af16", "cmd");
	CHECK_UINT(17, c.narg_files);
	for (unsigned i = 0; i < c.narg_files && i < 17; i++) {
		char want[8];
		snprintf(want, sizeof want, "f%u", i);
		CHECK_STR(want, c.arg_files[i]);
	}
	PARSE_ERR("-a - given twice: stdin can be read only once", "-a", "-", "-a", "x", "-a", "-",
		  "cmd");
}

/* Hosts: -S lists kept in order (checked now), files kept for set-up,
 * --ssh checked and named once, --host-retry a duration. */
static void test_parse_hosts(void)
{
	PARSE_OK(4, "cmd");
	CHECK(c.nsshlogins == 0 && c.nsshloginfiles == 0);
	CHECK_STR("ssh", c.ssh);
	CHECK_INT(30000000000, c.host_retry);
	PARSE_OK(4, "-S", "2/a,:", "--sshlogin=bob@b:2222", "-Sc", "--sshloginfile", "farm",
		 "--ssh", "srun -w {host}", "--host-retry", "2m", "cmd");
	CHECK_UINT(3, c.nsshlogins);
	if (c.nsshlogins == 3) {
		CHECK_STR("2/a,:", c.sshlogins[0]);
		CHECK_STR("bob@b:2222", c.sshlogins[1]);
		CHECK_STR("c", c.sshlogins[2]);
	}
	CHECK_UINT(1, c.nsshloginfiles);
	CHECK_STR("farm", c.sshloginfiles[0]);
	CHECK_STR("srun -w {host}", c.ssh);
	CHECK_INT(120000000000, c.host_retry);
	CHECK_ARGV("cmd");
	PARSE_ERR("invalid --sshlogin 'b c': expected [N/][user@]host[:port] or :, the host a name "
		  "or address", "-S", "a,b c", "cmd");
	PARSE_ERR("invalid --sshlogin '0/a': N/ must be a number of workers from 1 to 100000",
		  "--sshlogin", "0/a", "cmd");
	PARSE_ERR("invalid --ssh 'ssh \\'x': a quote is not closed, or it ends in a backslash",
		  "--ssh", "ssh 'x", "cmd");
	PARSE_ERR("--ssh given twice", "--ssh", "ssh", "--ssh", "rsh", "cmd");
	PARSE_ERR("invalid --host-retry '0': expected a duration above 0, such as 30s or 5m",
		  "--host-retry", "0", "cmd");
	PARSE_ERR("option '--sshlogin' needs a value", "-S");
	PARSE_ERR("option '--ss' is ambiguous (--sshlogin, --sshloginfile, --ssh)", "--ss", "x",
		  "cmd");
}

/* A later value replaces an earlier one, but a file to write is named once. */
static void test_parse_twice(void)
{
	PARSE_OK(4, "-j", "2", "-j", "3", "cmd");
	CHECK_UINT(3, c.jobs);
	PARSE_ERR("--joblog given twice", "--joblog", "a", "--joblog", "b", "cmd");
	PARSE_ERR("--stats-json given twice", "--stats-json", "a", "--stats-json=a", "cmd");
	PARSE_ERR("--bench-json given twice", "--bench-json", "a", "--bench-json", "b", "cmd");
}

/* A value given to an option that takes none is named as the user wrote it,
 * not as the short option it maps to (or a NUL for long-only ones). */
static void test_parse_value_for_flag(void)
{
	static const char *const cases[][2] = {
		{"--keep-order=3", "--keep-order"}, {"--tag=1", "--tag"}, {"--null=x", "--null"},
		{"--stats=1", "--stats"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK_INT(CONFIG_ERROR, PARSE(4, cases[i][0], "cmd"));
		test_checks++;
		if (!strstr(err, cases[i][1])) {
			test_failures++;
			fflush(stdout);
			fprintf(stderr, "%s:%d: FAILED %s: message \"%s\" does not name %s\n",
				__FILE__, __LINE__, cases[i][0], test_esc(err, strlen(err)),
				cases[i][1]);
		}
	}
}

static void test_parse_command(void)
{
	PARSE_OK(4, "-k", "sh", "-c", "x");
	CHECK(c.keep_order);
	CHECK_ARGV("sh", "-c", "x");
	PARSE_OK(4, "sh", "-j", "3");
	CHECK_UINT(4, c.jobs);
	CHECK_ARGV("sh", "-j", "3");
	PARSE_OK(4, "--", "-k");
	CHECK(!c.keep_order);
	CHECK_ARGV("-k");
	PARSE_OK(4, "-j", "2", "--", "cmd", "--", "-x");
	CHECK_UINT(2, c.jobs);
	CHECK_ARGV("cmd", "--", "-x");
	PARSE_OK(4, "-kv", "--tag", "cmd", "-v");
	CHECK(c.keep_order && c.tag);
	CHECK_INT(1, c.verbose);
	CHECK_ARGV("cmd", "-v");
}

static void test_parse_min(void)
{
	PARSE_ERR("--min 5 is above --jobs 2", "-j", "2", "-m", "5", "cmd");
	PARSE_ERR("--min 5 is above --jobs 2", "-m", "5", "-j", "2", "cmd");
	PARSE_ERR("--min 3 is above --jobs 2", "-m", "3", "-j", "50%", "cmd");
	PARSE_OK(4, "-m", "2", "-j", "2", "cmd");
	CHECK_UINT(2, c.min);
	CHECK_UINT(2, c.jobs);
	PARSE_OK(4, "-m", "3", "cmd");
	CHECK_UINT(3, c.min);
	CHECK_UINT(4, c.jobs);
	PARSE_OK(4, "--min=0", "cmd");
	CHECK_UINT(0, c.min);
	/* Only --min: the default -j (the CPUs) rises to it. */
	PARSE_OK(2, "-m", "8", "cmd");
	CHECK_UINT(8, c.min);
	CHECK_UINT(8, c.jobs);
	PARSE_ERR("invalid --min '-1': expected a number from 0 to 100000", "-m", "-1", "cmd");
}

static void test_parse_jobs_auto(void)
{
	/* Every bound is sized for the ceiling: 32 per CPU by default. */
	PARSE_OK(2, "-j", "auto", "cmd");
	CHECK(c.jobs_auto);
	CHECK_UINT(64, c.jobs);
	PARSE_OK(2, "-j", "auto", "--max-jobs", "500", "cmd");
	CHECK_UINT(500, c.jobs);
	/* The last -j wins, as for every option that takes a value. */
	PARSE_OK(2, "-j", "auto", "-j", "3", "cmd");
	CHECK(!c.jobs_auto);
	CHECK_UINT(3, c.jobs);
	PARSE_ERR("--max-jobs needs -j auto", "--max-jobs", "8", "cmd");
	PARSE_ERR("--min 9 is above --max-jobs 8", "-j", "auto", "--max-jobs", "8", "-m", "9",
		  "cmd");
	PARSE_ERR("invalid --max-jobs '0': expected a number from 1 to 100000", "-j", "auto",
		  "--max-jobs", "0", "cmd");
	PARSE_ERR("-j auto cannot be used with --bench, which measures the sizes --bench-jobs "
		  "lists", "-j", "auto", "--bench", "cmd");
}

static void test_parse_resume(void)
{
	PARSE_ERR("--resume needs --joblog FILE", "--resume", "cmd");
	PARSE_ERR("--resume-failed needs --joblog FILE", "--resume-failed", "cmd");
	PARSE_ERR("--resume and --resume-failed exclude each other", "--resume",
		  "--resume-failed", "--joblog", "j", "cmd");
	PARSE_OK(4, "--resume", "--joblog", "j.tsv", "cmd");
	CHECK(c.resume);
	CHECK_STR("j.tsv", c.joblog);
}

static void test_parse_halt(void)
{
	PARSE_OK(4, "--halt", "never", "cmd");
	CHECK_INT(HALT_NEVER, c.halt);
	PARSE_OK(4, "--halt", "soon,fail=3", "cmd");
	CHECK_INT(HALT_SOON, c.halt);
	CHECK_UINT(3, c.halt_fail);
	CHECK(!c.halt_percent);
	PARSE_OK(4, "--halt=now,fail=10%", "cmd");
	CHECK_INT(HALT_NOW, c.halt);
	CHECK_UINT(10, c.halt_fail);
	CHECK(c.halt_percent);
	PARSE_OK(4, "--halt", "now,fail=100%", "cmd");
	CHECK_UINT(100, c.halt_fail);
	static const char *const bad[] = {
		"", "soon", "now", "soon,fail=", "soon,fail=0", "now,fail=101%", "now,fail=0%",
		"later,fail=1", "now,fail=x", "soon,fail=3,", "now,fail=%", "soon,fail=-1",
		"never,fail=1", "Soon,fail=1", "soon,fail=1%%", "soon,fail=99999999999999999999",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[160];
		snprintf(want, sizeof want, "invalid --halt '%s': expected never, soon,fail=N[%%] "
			 "or now,fail=N[%%]", bad[i]);
		PARSE_ERR(want, "--halt", bad[i], "cmd");
	}
}

static void test_parse_other_values(void)
{
	PARSE_OK(4, "--depth", "auto", "--max-record", "1k", "--timeout", "250ms", "-i", "2m",
		 "--cpus", "0-1", "--nice", "5", "--retries", "2", "cmd");
	CHECK_UINT(0, c.depth);
	CHECK_UINT(1024, c.max_record);
	CHECK_INT(250000000, c.timeout);
	CHECK_INT(120000000000, c.idle_timeout);
	CHECK_STR("0-1", c.cpus);
	CHECK_INT(5, c.nice);
	CHECK_UINT(2, c.retries);
	PARSE_OK(4, "--depth", "16", "cmd");
	CHECK_UINT(16, c.depth);
	PARSE_OK(8, "--bench", "cmd");
	CHECK_UINT(3, c.nbench_jobs);
	PARSE_ERR("invalid --cpus '1,': expected CPU numbers and ranges below 4096, such as 0-3,6",
		  "--cpus", "1,", "cmd");
	PARSE_ERR("invalid --bench-jobs '1,': expected pool sizes from 1 to 100000, such as 1,2,8 "
		  "(16 at most)", "--bench-jobs", "1,", "cmd");
}

/* config_parse may be called again whatever the previous call saw, even
 * when it stopped in the middle of a group of short options. */
static void test_parse_again(void)
{
	CHECK_INT(CONFIG_HELP, PARSE(4, "-hk", "cmd"));
	PARSE_OK(4, "-j", "2", "cmd");
	CHECK_UINT(2, c.jobs);
	CHECK(!c.keep_order);
	CHECK_ARGV("cmd");
	PARSE_ERR("unknown option '-x'", "-xk", "cmd");
	PARSE_OK(4, "-j", "3", "cmd");
	CHECK_UINT(3, c.jobs);
	CHECK(!c.keep_order);
	CHECK_ARGV("cmd");
}

int main(void)
{
	TEST_RUN(test_duration);
	TEST_RUN(test_size);
	TEST_RUN(test_count);
	TEST_RUN(test_cpu_list);
	TEST_RUN(test_parse_defaults);
	TEST_RUN(test_parse_jobs);
	TEST_RUN(test_parse_errors);
	TEST_RUN(test_parse_errors_escaped);
	TEST_RUN(test_parse_ambiguous);
	TEST_RUN(test_parse_arg_files);
	TEST_RUN(test_parse_hosts);
	TEST_RUN(test_parse_twice);
	TEST_RUN(test_parse_value_for_flag);
	TEST_RUN(test_parse_command);
	TEST_RUN(test_parse_min);
	TEST_RUN(test_parse_jobs_auto);
	TEST_RUN(test_parse_resume);
	TEST_RUN(test_parse_halt);
	TEST_RUN(test_parse_other_values);
	TEST_RUN(test_parse_again); /* last: what it trips on must not spill into the others */
	config_free(&c);
	for (size_t i = 0; i < narenas; i++)
		free(arenas[i]);
	return TEST_REPORT();
}

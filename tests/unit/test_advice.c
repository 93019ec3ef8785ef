/* Unit tests for advice.c: the program behind wrappers, and its fix. */
#include "advice.h"
#include "test.h"

/* The program named for a command line given as words. */
static const char *program_of(const char *const *words)
{
	static struct advice a;
	advice_for((char *const *)words, &a);
	return a.program;
}

#define PROGRAM(expect, ...) do { const char *w_[] = {__VA_ARGS__, NULL}; \
	CHECK_STR(expect, program_of(w_)); } while (0)

static void test_plain(void)
{
	PROGRAM("python3", "python3", "worker.py");
	PROGRAM("tr", "/usr/bin/tr", "1", "x");
	PROGRAM("perl", "perl", "-ne", "print");
}

static void test_wrappers(void)
{
	PROGRAM("perl", "stdbuf", "-oL", "perl", "-ne", "print");
	PROGRAM("perl", "stdbuf", "-o", "L", "perl");
	PROGRAM("perl", "stdbuf", "--output=L", "perl");
	PROGRAM("python3", "env", "-i", "A=1", "B=2", "python3", "w.py");
	PROGRAM("python3", "env", "-u", "PYTHONUNBUFFERED", "python3");
	PROGRAM("sed", "nice", "-n", "5", "sed", "s/a/b/");
	PROGRAM("sed", "nice", "sed");
	PROGRAM("jq", "timeout", "5", "jq", ".");
	PROGRAM("jq", "timeout", "-k", "2", "5s", "jq", ".");
	PROGRAM("jq", "timeout", "--signal=KILL", "5", "jq");
	PROGRAM("mawk", "setsid", "-w", "mawk", "{print}");
	PROGRAM("tr", "taskset", "0x3", "tr", "a", "b");
	PROGRAM("tr", "taskset", "-c", "0,1", "tr", "a", "b");
	PROGRAM("tr", "env", "nice", "-n", "3", "timeout", "9", "stdbuf", "-oL", "tr");
	PROGRAM("tr", "/usr/bin/env", "--", "tr");
}

static void test_shell_scripts(void)
{
	PROGRAM("python3", "sh", "-c", "python3 w.py");
	PROGRAM("sed", "bash", "-c", "sed -e s/a/b/");
	PROGRAM("a program in the script", "sh", "-c", "while read l; do echo $l; done");
	PROGRAM("sh", "sh", "worker.sh");
}

static void test_fixes(void)
{
	struct advice a;
	const char *py[] = {"python3.11", "w.py", NULL};
	advice_for((char *const *)py, &a);
	CHECK(a.fix && strstr(a.fix, "python3 -u"));
	const char *perl[] = {"stdbuf", "-oL", "perl", "-ne", "print", NULL};
	advice_for((char *const *)perl, &a);
	CHECK(a.fix && strstr(a.fix, "$| = 1"));
	CHECK(!strstr(a.fix, "stdbuf"));
	const char *mawk[] = {"mawk", "{print $2}", NULL};
	advice_for((char *const *)mawk, &a);
	CHECK(a.fix && strstr(a.fix, "-W interactive"));
	const char *jq[] = {"jq", ".", NULL};
	advice_for((char *const *)jq, &a);
	CHECK(a.fix && strstr(a.fix, "--unbuffered"));
	const char *own[] = {"./my-worker", NULL};
	advice_for((char *const *)own, &a);
	CHECK_STR("my-worker", a.program);
	CHECK(a.fix == NULL);
}

int main(void)
{
	TEST_RUN(test_plain);
	TEST_RUN(test_wrappers);
	TEST_RUN(test_shell_scripts);
	TEST_RUN(test_fixes);
	return TEST_REPORT();
}

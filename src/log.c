/* log: stderr messages; see log.h. Each message goes out with one write so
 * lines from procpool and from the workers (which share stderr) don't mix
 * within a line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int log_verbose;

static void emit(const char *stamp, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void emit(const char *stamp, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "procpool: %s", stamp);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	ssize_t w;
	for (size_t off = 0; off < len; off += (size_t)w)
		if ((w = write(2, line + off, len - off)) <= 0)
			return;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

noreturn void log_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
	exit(status);
}

void log_event(const char *fmt, ...)
{
	if (!log_verbose)
		return;
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	snprintf(stamp, sizeof stamp, "%02d:%02d:%02d.%03d ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(tv.tv_usec / 1000));
	va_list ap;
	va_start(ap, fmt);
	emit(stamp, fmt, ap);
	va_end(ap);
}

/* log: stderr messages and the status line; see log.h. Each message goes out
 * with one write so lines from procpool and from the workers (which share
 * stderr) don't mix within a line; on a terminal with a status line that one
 * write also clears the line before the message and draws it again after. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int log_verbose;

#define CLEAR_LINE "\r\033[K"   /* to column 0, erase to the end of the line */
#define ERASE_REST "\033[K"

/* The status line, kept with a leading \r so that it is drawn from column 0
 * even on a terminal that does not turn \n into \r\n. */
static struct {
	int fd;            /* its terminal; -1: no status line */
	char line[LOG_STATUS_MAX];
	size_t len;
	bool shown;        /* it is on the screen now */
	bool midline;      /* the last write left the cursor inside a line: a
			    * status line drawn there would be glued to that
			    * output, and clearing it would erase the output */
	int other_fd;      /* the last other fd asked about, and whether it */
	bool other_same;   /* writes to the same terminal */
} sline = {.fd = -1, .other_fd = -1};

static bool same_terminal(int a, int b)
{
	struct stat sa, sb;
	return isatty(a) && isatty(b) && fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_rdev == sb.st_rdev;
}

static bool on_status_terminal(int fd)
{
	if (sline.fd < 0)
		return false;
	if (fd == sline.fd)
		return true;
	if (fd != sline.other_fd) {
		sline.other_fd = fd;
		sline.other_same = same_terminal(fd, sline.fd);
	}
	return sline.other_same;
}

int log_write(int fd, const void *p, size_t n)
{
	if (!on_status_terminal(fd))
		return write_all(fd, p, n);
	bool was_shown = sline.shown;
	if (n)
		sline.midline = ((const char *)p)[n - 1] != '\n';
	sline.shown = !sline.midline;
	struct iovec v[] = {
		{(void *)CLEAR_LINE, was_shown ? strlen(CLEAR_LINE) : 0},
		{(void *)p, n},
		{sline.line, sline.shown ? sline.len : 0},
	};
	return writev_all(fd, v, 3);
}

void log_status(int fd, const char *text, size_t len)
{
	if (sline.fd != fd) {
		sline.fd = fd;
		sline.other_fd = -1;
	}
	if (len > LOG_STATUS_MAX - 1)
		len = LOG_STATUS_MAX - 1;
	sline.line[0] = '\r';
	memcpy(sline.line + 1, text, len);
	sline.len = len + 1;
	if (sline.midline)
		return;
	sline.shown = true;
	struct iovec v[] = {{sline.line, sline.len}, {(void *)ERASE_REST, strlen(ERASE_REST)}};
	writev_all(fd, v, 2);
}

/* Forget the status line; first end it with a newline (keep) or erase it. */
static void status_stop(bool keep)
{
	if (sline.fd >= 0 && sline.shown)
		write_all(sline.fd, keep ? "\n" : CLEAR_LINE, keep ? 1 : strlen(CLEAR_LINE));
	sline.fd = -1;
	sline.shown = false;
}

void log_status_end(void)
{
	status_stop(true);
}

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
	log_write(2, line, len);
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
	status_stop(false); /* the run ends here: no stale line under the message */
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

/* joblog: TSV task log and --resume sets; see joblog.h.
 *
 * Row: Seq Pid Start Runtime Attempts Outcome Input, tab-separated. Start is
 * seconds since the epoch and Runtime seconds, both with milliseconds. The
 * input is escaped (\t \n \r \\ and \xHH for other control bytes) so a row
 * stays one line. When a task appears in several rows (a resumed run appends
 * to the same file), the last row counts. */
#include "joblog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

static const char header[] = "Seq\tPid\tStart\tRuntime\tAttempts\tOutcome\tInput\n";

#define INPUT_SHOWN 1000 /* bytes of input kept in a row */

struct joblog {
	int fd;
	struct buf rows;
};

struct joblog *joblog_open(const char *path)
{
	struct joblog *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct stat st;
	if (j->fd < 0 || fstat(j->fd, &st) < 0)
		goto fail;
	if (st.st_size == 0 && write_all(j->fd, header, sizeof header - 1) < 0)
		goto fail;
	return j;
fail:
	close_fd(&j->fd);
	free(j);
	return NULL;
}

static void escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t shown = n > INPUT_SHOWN ? INPUT_SHOWN : n;
	if (buf_reserve(b, shown * 4 + 8) < 0)
		return;
	char *o = buf_tail(b);
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
				  : c == '\\' ? "\\\\" : NULL;
		if (esc) {
			*o++ = esc[0];
			*o++ = esc[1];
		} else if (c < 32 || c == 127) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	if (shown < n) {
		memcpy(o, "...", 3);
		o += 3;
	}
	b->len = (size_t)(o - b->data) - b->off;
}

void joblog_row(struct joblog *j, uint64_t seq, pid_t pid, int64_t wall_start_ns, int64_t run_ns,
		unsigned attempts, const char *outcome, const char *input, size_t len)
{
	char head[160];
	int n = snprintf(head, sizeof head, "%" PRIu64 "\t%d\t%" PRId64 ".%03d\t%" PRId64 ".%03d\t%u\t%s\t",
			 seq, (int)pid, (int64_t)(wall_start_ns / NS_PER_SEC),
			 (int)(wall_start_ns % NS_PER_SEC / NS_PER_MS), (int64_t)(run_ns / NS_PER_SEC),
			 (int)(run_ns % NS_PER_SEC / NS_PER_MS), attempts, outcome);
	if (n < 0 || buf_append(&j->rows, head, (size_t)n) < 0)
		return;
	escape(&j->rows, input, len);
	buf_append(&j->rows, "\n", 1);
}

int joblog_flush(struct joblog *j)
{
	if (j->rows.len == 0)
		return 0;
	int r = write_all(j->fd, buf_head(&j->rows), j->rows.len);
	buf_consume(&j->rows, j->rows.len);
	return r;
}

void joblog_close(struct joblog *j)
{
	if (!j)
		return;
	close_fd(&j->fd);
	buf_free(&j->rows);
	free(j);
}

static int seqset_put(struct seqset *s, uint64_t seq, bool on)
{
	if (seq >= s->nbits) {
		if (!on)
			return 0;
		uint64_t nbits = s->nbits ? s->nbits : 1024;
		while (nbits <= seq)
			nbits *= 2;
		uint8_t *b = realloc(s->bits, nbits / 8);
		if (!b)
			return -1;
		memset(b + s->nbits / 8, 0, (nbits - s->nbits) / 8);
		s->bits = b;
		s->nbits = nbits;
	}
	if (on)
		s->bits[seq / 8] |= (uint8_t)(1u << (seq % 8));
	else
		s->bits[seq / 8] &= (uint8_t)~(1u << (seq % 8));
	return 0;
}

bool seqset_has(const struct seqset *s, uint64_t seq)
{
	return seq < s->nbits && (s->bits[seq / 8] >> (seq % 8) & 1);
}

void seqset_free(struct seqset *s)
{
	free(s->bits);
	s->bits = NULL;
	s->nbits = 0;
}

/* One row: the seq and whether its outcome is "ok". 0, or -1 if malformed. */
static int parse_row(const char *line, uint64_t *seq, bool *ok)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(line, &end, 10);
	if (errno || end == line || *end != '\t' || v == 0)
		return -1;
	const char *f = end;
	for (int field = 1; field < 5; field++) {
		f = strchr(f + 1, '\t');
		if (!f)
			return -1;
	}
	*seq = v;
	*ok = strncmp(f + 1, "ok\t", 3) == 0;
	return 0;
}

int joblog_load(const char *path, bool also_failed, struct seqset *skip)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	bool first = true;
	while ((n = getline(&line, &cap, f)) > 0) {
		uint64_t seq;
		bool ok;
		if (first && strcmp(line, header) == 0) {
			first = false;
			continue;
		}
		first = false;
		if (parse_row(line, &seq, &ok) < 0) {
			if (line[n - 1] != '\n')
				break; /* a row cut short by a kill: that task did not end */
			errno = EINVAL;
			rc = -1;
			break;
		}
		if (seqset_put(skip, seq, ok || also_failed) < 0) {
			rc = -1;
			break;
		}
	}
	int e = errno;
	free(line);
	fclose(f);
	errno = e;
	return rc;
}

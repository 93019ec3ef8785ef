/* joblog: TSV task log and --resume sets; see joblog.h.
 *
 * Row: GNU parallel's Seq Host Starttime JobRuntime Send Receive Exitval
 * Signal Command, in its formats (Starttime seconds since the epoch with
 * milliseconds, JobRuntime seconds with milliseconds padded to 10 columns,
 * as its "%10.3f"), then procpool's Slot Attempts Outcome; tab-separated.
 * Command is the input and Host the host name, both escaped (\t \n \r \\ and
 * \xHH for other control bytes) so a row stays one line. When a task appears
 * in several rows (a resumed run appends to the same file), the last row
 * counts. Only a newline ends a row: bytes after the last one are a row a
 * kill cut short, ignored on load and cut off before appending, so the next
 * row cannot glue onto them.
 *
 * Rows wait in one buffer. Marks, oldest first, say up to which byte of it
 * the rows need how much output written: as out_pos never decreases, the
 * rows that may go are always a prefix of the buffer. */
#include "joblog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "util.h"

static const char header[] = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal"
			     "\tCommand\tSlot\tAttempts\tOutcome\n";
#define HEADER_LEN (sizeof header - 1)
/* The header before the format became GNU parallel's: recognised, to say so. */
static const char old_header[] = "Seq\tPid\tStart\tRuntime\tAttempts\tOutcome\tInput\n";
#define OLD_HEADER_LEN (sizeof old_header - 1)
#define OLD_FORMAT "in the format of an older procpool (Seq Pid Start ...): convert it " \
		   "or move it aside, see procpool(1)"
#define NOT_JOBLOG "not a procpool joblog"

#define FIELDS 12
#define OUTCOME_FIELD 11 /* from 0 */
#define INPUT_SHOWN 1000 /* bytes of input kept in a row */
#define HOST_SHOWN 255   /* bytes of a host name kept */
#define OUTCOME_MAX 32
/* The fields but Host and Command, tabs and newline included: at most 210. */
#define NUMBERS_MAX 256
/* Escaping at most quadruples, and a cut adds "...". */
#define ESCAPED_MAX(n) ((n) * 4 + 3)
/* The longest row written, newline included. */
#define ROW_MAX (NUMBERS_MAX + ESCAPED_MAX(HOST_SHOWN) + ESCAPED_MAX(INPUT_SHOWN))
#define SYNC_EVERY_NS NS_PER_SEC
/* Rows held for their sync beyond this many bytes go out at once. */
#define BACKLOG (1u << 20)

struct mark {
	uint64_t out_pos; /* output that must be written first */
	uint64_t end;     /* by the rows up to this byte, counted as in queued */
};

struct joblog {
	int fd;
	struct buf rows;   /* rows not yet written */
	uint64_t queued;   /* row bytes ever buffered */
	struct mark *m;    /* m[0, nm): the marks of the buffered rows */
	size_t nm, mcap;
	int out_regular;   /* stdout is a regular file: 1, 0, or -1 not known yet */
	bool held;         /* rows that may go wait for the next sync round */
	bool dirty;        /* rows written since the file was last synced */
	int64_t synced_at; /* the last sync round */
	int err;           /* a row could not be buffered */
};

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* ---- opening: a file that ends on a row boundary ----------------------- */

/* pread exactly n bytes (the file shrinking meanwhile is EIO). 0 or -1. */
static int pread_full(int fd, char *b, size_t n, off_t at)
{
	while (n > 0) {
		ssize_t got = pread(fd, b, n, at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			errno = got < 0 ? errno : EIO;
			return -1;
		}
		b += got;
		n -= (size_t)got;
		at += got;
	}
	return 0;
}

/* The offset just past the last newline among the first size bytes (0:
 * none), or -1 with errno. */
static off_t last_line_end(int fd, off_t size)
{
	char b[4096];
	for (off_t at = size; at > 0;) {
		size_t n = at < (off_t)sizeof b ? (size_t)at : sizeof b;
		at -= (off_t)n;
		if (pread_full(fd, b, n, at) < 0)
			return -1;
		for (size_t i = n; i > 0; i--)
			if (b[i - 1] == '\n')
				return at + (off_t)i;
	}
	return 0;
}

/* Whether s, n bytes, and h, hlen, agree as far as both go. */
static bool agree(const char *s, size_t n, const char *h, size_t hlen)
{
	return memcmp(s, h, n < hlen ? n : hlen) == 0;
}

/* Make the file a joblog ending on a row boundary: cut off what follows the
 * last newline (a row, or the header, a kill cut short), then write the
 * header if nothing is left. A file that does not start with the header is
 * left alone. 0, or -1 with the reason in why. */
static int settle_end(int fd, const char *path, char *why, size_t whylen)
{
	struct stat st;
	char head[HEADER_LEN];
	off_t keep = 0;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (S_ISREG(st.st_mode) && st.st_size > 0) { /* a FIFO, a terminal: just append */
		size_t n = st.st_size < (off_t)HEADER_LEN ? (size_t)st.st_size : HEADER_LEN;
		if (pread_full(fd, head, n, 0) < 0)
			goto fail;
		if (!agree(head, n, header, HEADER_LEN)) {
			/* Rows of two formats under one header would be misread. */
			say(why, whylen, "%s",
			    agree(head, n, old_header, OLD_HEADER_LEN) ? OLD_FORMAT : NOT_JOBLOG);
			return -1;
		}
		if (n == HEADER_LEN && (keep = last_line_end(fd, st.st_size)) < 0)
			goto fail;
		if (keep < st.st_size && ftruncate(fd, keep) < 0)
			goto fail;
		if (keep < st.st_size)
			log_event("joblog '%s': cut off the %lld bytes after its last complete row",
				  path, (long long)(st.st_size - keep));
	}
	if (keep == 0 && write_all(fd, header, HEADER_LEN) < 0)
		goto fail;
	return 0;
fail:
	say(why, whylen, "%s", strerror(errno));
	return -1;
}

struct joblog *joblog_open(const char *path, char *why, size_t whylen)
{
	struct joblog *j = calloc(1, sizeof *j);
	if (!j) {
		say(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	j->out_regular = -1;
	j->synced_at = INT64_MIN / 2; /* long ago: the first rows sync at once */
	/* Read and write: settle_end reads the end it may cut off. */
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		say(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	if (settle_end(j->fd, path, why, whylen) < 0)
		goto fail;
	return j;
fail:
	close_fd(&j->fd);
	free(j);
	return NULL;
}

/* ---- rows ------------------------------------------------------------- */

/* Append s escaped, at most max bytes of it (room reserved). */
static void escape(struct buf *b, const char *s, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t shown = n > max ? max : n;
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

/* Room for one more mark. 0 or -1. */
static int marks_reserve(struct joblog *j)
{
	if (j->nm < j->mcap)
		return 0;
	size_t cap = j->mcap ? j->mcap * 2 : 64;
	struct mark *m = realloc(j->m, cap * sizeof *m);
	if (!m)
		return -1;
	j->m = m;
	j->mcap = cap;
	return 0;
}

/* Append a formatted field or run of fields (room reserved). 0, or -1. */
static int put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf_tail(b), buf_room(b), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= buf_room(b))
		return -1;
	b->len += (size_t)n;
	return 0;
}

/* Append the row of e (room reserved). 0, or -1. */
static int put_row(struct buf *b, const struct joblog_entry *e)
{
	if (put(b, "%" PRIu64 "\t", e->seq) < 0)
		return -1;
	escape(b, e->host, strlen(e->host), HOST_SHOWN);
	if (put(b, "\t%" PRId64 ".%03d\t%6" PRId64 ".%03d\t%" PRIu64 "\t%" PRIu64 "\t%d\t%d\t",
		(int64_t)(e->start_wall_ns / NS_PER_SEC), (int)(e->start_wall_ns % NS_PER_SEC / NS_PER_MS),
		(int64_t)(e->run_ns / NS_PER_SEC), (int)(e->run_ns % NS_PER_SEC / NS_PER_MS), e->send,
		e->receive, e->exitval, e->signal) < 0)
		return -1;
	escape(b, e->input, e->len, INPUT_SHOWN);
	return put(b, "\t%u\t%u\t%.*s\n", e->slot, e->attempts, OUTCOME_MAX, e->outcome);
}

void joblog_row(struct joblog *j, uint64_t out_pos, const struct joblog_entry *e)
{
	if (j->err)
		return;
	if (buf_reserve(&j->rows, ROW_MAX) < 0 || marks_reserve(j) < 0) {
		/* Reported by the next joblog_flush: a row missing would be a
		 * task run again, a silent surprise. */
		j->err = errno;
		return;
	}
	size_t before = j->rows.len;
	if (put_row(&j->rows, e) < 0) {
		j->rows.len = before;
		j->err = EOVERFLOW; /* ROW_MAX is too small: a bug */
		return;
	}
	j->queued += j->rows.len - before;
	/* A row at the last mark's position (or, out of order, before it: it
	 * waits the longer) extends that mark. */
	if (j->nm && out_pos <= j->m[j->nm - 1].out_pos)
		j->m[j->nm - 1].end = j->queued;
	else
		j->m[j->nm++] = (struct mark){out_pos, j->queued};
}

/* How many marks (oldest first) have their output written. */
static size_t marks_ready(const struct joblog *j, uint64_t out_written)
{
	size_t lo = 0, hi = j->nm;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->m[mid].out_pos <= out_written)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Write the rows of the first k marks. 0, or -1 with errno. */
static int write_rows(struct joblog *j, size_t k)
{
	size_t n = (size_t)(j->m[k - 1].end - (j->queued - j->rows.len));
	int r = write_all(j->fd, buf_head(&j->rows), n);
	buf_consume(&j->rows, n);
	if (j->rows.len == 0)
		buf_trim(&j->rows, 2 * BACKLOG);
	j->nm -= k;
	memmove(j->m, j->m + k, j->nm * sizeof *j->m);
	j->dirty = true;
	return r;
}

/* fdatasync, retrying EINTR. An fd that cannot be synced (EINVAL: a FIFO,
 * a terminal) has nothing on disk to wait for. 0, or -1 with errno. */
static int sync_fd(int fd)
{
	while (fdatasync(fd) < 0) {
		if (errno == EINVAL)
			return 0;
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static bool is_regular(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int joblog_flush(struct joblog *j, uint64_t out_written, int out_fd, int64_t now_ns, bool final)
{
	if (j->err) {
		errno = j->err;
		return -1;
	}
	bool due = final || now_ns - j->synced_at >= SYNC_EVERY_NS;
	size_t k = marks_ready(j, out_written);
	if (k > 0 && j->out_regular < 0)
		j->out_regular = is_regular(out_fd);
	/* On a regular file the results must reach the disk before their rows:
	 * one fdatasync per round, not per task. */
	j->held = k > 0 && j->out_regular && !due && j->rows.len < BACKLOG;
	if (k > 0 && !j->held) {
		if ((j->out_regular && sync_fd(out_fd) < 0) || write_rows(j, k) < 0)
			return -1;
	}
	if (j->dirty && due) {
		if (sync_fd(j->fd) < 0)
			return -1;
		j->dirty = false;
		j->synced_at = now_ns;
	}
	return 0;
}

int64_t joblog_next_ns(const struct joblog *j)
{
	return j->held || j->dirty ? j->synced_at + SYNC_EVERY_NS : -1;
}

void joblog_close(struct joblog *j)
{
	if (!j)
		return;
	close_fd(&j->fd);
	buf_free(&j->rows);
	free(j->m);
	free(j);
}

/* ---- loading ---------------------------------------------------------- */

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

/* Lines of a file, read through a buffer one row long: memory stays
 * bounded whatever the file holds. */
struct lines {
	int fd;
	unsigned long no;     /* the number of the line last returned */
	size_t start, len;    /* unread bytes: b[start, start + len) */
	char b[ROW_MAX + 1];  /* a full row fits, with a byte to spare */
};

/* The next line, without its newline: 1. A line too long for the buffer
 * comes back cut, longer than any row. 0 at the end, where bytes without a
 * newline (a row a kill cut short) are left out; -1 with errno. */
static int lines_next(struct lines *r, const char **s, size_t *n)
{
	for (;;) {
		char *p = r->b + r->start, *nl = memchr(p, '\n', r->len);
		if (nl || r->len == sizeof r->b) {
			*s = p;
			*n = nl ? (size_t)(nl - p) : r->len;
			size_t used = nl ? *n + 1 : r->len;
			r->start += used;
			r->len -= used;
			r->no++;
			return 1;
		}
		memmove(r->b, p, r->len);
		r->start = 0;
		ssize_t got = read_retry(r->fd, r->b + r->len, sizeof r->b - r->len);
		if (got <= 0)
			return (int)got;
		r->len += (size_t)got;
	}
}

/* A record number: digits, no leading zero, short enough not to overflow. */
static bool parse_seq(const char *s, size_t n, uint64_t *seq)
{
	uint64_t v = 0;
	if (n == 0 || n > 19 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*seq = v;
	return true;
}

/* One row (without its newline): its Seq and whether its Outcome is "ok".
 * 0, or -1 if it is not a row: FIELDS fields, a Seq, an Outcome. */
static int parse_row(const char *s, size_t n, uint64_t *seq, bool *ok)
{
	const char *f[FIELDS + 1]; /* where each field starts, and one past the end */
	unsigned nf = 1;
	if (n >= ROW_MAX)
		return -1;
	f[0] = s;
	for (const char *p = s; (p = memchr(p, '\t', (size_t)(s + n - p))); p++) {
		if (nf == FIELDS)
			return -1;
		f[nf++] = p + 1;
	}
	if (nf != FIELDS)
		return -1;
	f[FIELDS] = s + n + 1;
	const char *outcome = f[OUTCOME_FIELD];
	size_t outcome_len = (size_t)(f[OUTCOME_FIELD + 1] - outcome) - 1;
	if (!parse_seq(f[0], (size_t)(f[1] - f[0]) - 1, seq) || outcome_len == 0)
		return -1;
	*ok = outcome_len == 2 && memcmp(outcome, "ok", 2) == 0;
	return 0;
}

int joblog_load(const char *path, bool also_failed, struct seqset *skip, char *why, size_t whylen)
{
	struct lines r = {.fd = open(path, O_RDONLY | O_CLOEXEC)};
	if (r.fd < 0) {
		if (errno == ENOENT)
			return 0;
		say(why, whylen, "%s", strerror(errno));
		return -1;
	}
	const char *s = NULL;
	size_t n = 0;
	int got = 0, rc = 0;
	while (rc == 0 && (got = lines_next(&r, &s, &n)) > 0) {
		uint64_t seq;
		bool ok;
		if (r.no == 1) {
			if (n + 1 != HEADER_LEN || !agree(s, n, header, HEADER_LEN)) {
				bool old = n + 1 == OLD_HEADER_LEN && agree(s, n, old_header, OLD_HEADER_LEN);
				say(why, whylen, "%s", old ? OLD_FORMAT : NOT_JOBLOG);
				rc = -1;
			}
		} else if (parse_row(s, n, &seq, &ok) < 0) {
			say(why, whylen, "line %lu is not a joblog row", r.no);
			rc = -1;
		} else if (seqset_put(skip, seq, ok || also_failed) < 0) {
			say(why, whylen, "%s", strerror(errno));
			rc = -1;
		}
	}
	if (rc == 0 && got < 0) {
		say(why, whylen, "%s", strerror(errno));
		rc = -1;
	}
	close(r.fd);
	return rc;
}

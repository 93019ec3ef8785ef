/* input: block reads and record framing; see input.h. */
#include "input.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "os.h"
#include "util.h"

#define READ_SIZE (128 * 1024) /* at most, a read: what follows a record is copied */
#define TAKE_MIN (64 * 1024)   /* a record this long is taken, not copied */
/* Mapped pages kept behind the reading: more than the pool lets queued
 * tasks hold (HOLD_BYTES), so that what it copies to a worker is still in. */
#define LET_GO_LAG (20u << 20)
#define LET_GO_STEP (1u << 20) /* let go of them this many at a time */
/* Mapped bytes scanned for a record's end at most per call: a record of
 * many megabytes is found over several turns, so that the loop keeps the
 * workers' pipes full meanwhile (a 64 MiB record takes ~15 ms to scan). */
#define SCAN_STEP (1u << 20)
/* Mapped bytes mapped in ahead of the scan, MAP_IN_STEP or more a call:
 * touched as the scan goes, small pages of the page cache fault in 16 a
 * trap (Linux's fault-around); one madvise maps 256 without a trap each,
 * and procpool's CPU for 1 MiB base64 records falls by a fifth. */
#define MAP_IN_AHEAD (4u << 20)
#define MAP_IN_STEP (1u << 20)

void input_init(struct input *in, const int *fds, unsigned nfds, char sep, size_t max_record,
		unsigned flags)
{
	in->map = flags & INPUT_MAP;
	in->fds = fds;
	in->nfds = nfds;
	in->at = 0;
	in->at_boundary = true;
	in->eof = nfds == 0;
	in->buf = (struct buf)BUF_INIT;
	in->last = NULL;
	in->maps = NULL;
	in->nmaps = in->mapped_upto = 0;
	in->mapped = false;
	in->later = false;
	in->nspare = 0;
	frame_init(&in->fr, sep, max_record);
	in->fr.base64 = flags & INPUT_BASE64;
	for (unsigned i = 0; i < nfds; i++)
		os_grow_pipe(fds[i], OS_PIPE_BYTES); /* its writer puts more in a wake-up */
}

void input_close(struct input *in)
{
	buf_free(&in->buf);
	while (in->nspare)
		buf_free(&in->spare[--in->nspare]);
	for (unsigned i = 0; i < in->nmaps; i++)
		munmap(in->maps[i].p, in->maps[i].len);
	free(in->maps);
	in->maps = NULL;
	in->nmaps = 0;
	in->mapped = false;
}

/* A mapped file that shrinks under us faults on the pages it lost: say so
 * and go, rather than die of SIGBUS unexplained. */
static void on_sigbus(int sig)
{
	static const char msg[] = "procpool: the input file shrank while it was read\n";
	(void)sig;
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more to say */
	}
	_exit(EXIT_FATAL);
}

/* Map the regular file being read, from its offset to its end, for buf to
 * show; false when it is no regular file or cannot be mapped (it is read). */
static bool map_file(struct input *in)
{
	int fd = in->fds[in->at];
	struct stat st;
	off_t off = lseek(fd, 0, SEEK_CUR);
	long page = sysconf(_SC_PAGESIZE);
	if (!in->map || in->at < in->mapped_upto || off < 0 || page <= 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_size <= off)
		return false;
	in->mapped_upto = in->at + 1;
	if (!in->maps && !(in->maps = calloc(in->nfds, sizeof *in->maps)))
		return false;
	off_t base = off - off % page;
	if ((uintmax_t)(st.st_size - base) > SIZE_MAX)
		return false; /* larger than memory can show */
	size_t len = (size_t)(st.st_size - base);
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, base);
	if (m == MAP_FAILED)
		return false;
	os_read_ahead(m, len);
	struct sigaction sa = {.sa_handler = on_sigbus};
	sigaction(SIGBUS, &sa, NULL);
	in->maps[in->nmaps++] = (struct input_map){m, len, fd, base};
	buf_free(&in->buf);
	in->shown = (size_t)(st.st_size - off);
	buf_borrow(&in->buf, (char *)m + (off - base), in->shown);
	in->mapped = true;
	in->map_end = st.st_size;
	in->let_go = 0;
	in->mapped_in = 0;
	return true;
}

/* The mapped bytes before where the reading stands: their pages may go
 * but for the last LET_GO_LAG. (buf.off is no measure: an emptied buf
 * starts again at 0.) */
static size_t past(const struct input *in)
{
	return in->shown - in->buf.len;
}

/* Let go of the pages of the mapped bytes before the LET_GO_LAG last of
 * those looked at. */
static void let_go(struct input *in)
{
	size_t upto = past(in) > LET_GO_LAG ? past(in) - LET_GO_LAG : 0;
	const char *first = in->buf.data; /* a borrowed buf's data does not move */
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t from = ((uintptr_t)first + in->let_go + page - 1) / page * page;
	uintptr_t to = ((uintptr_t)first + upto) / page * page;
	if (to > from)
		os_let_go((void *)from, to - from);
	if (upto > in->let_go)
		in->let_go = upto;
}

/* Map in the mapped bytes up to MAP_IN_AHEAD past where the scan stands,
 * once that is MAP_IN_STEP more than is in (or the mapping's end). */
static void map_in(struct input *in)
{
	size_t want = past(in) + in->fr.scanned + MAP_IN_AHEAD;
	if (want > in->shown)
		want = in->shown;
	if (want <= in->mapped_in || (want - in->mapped_in < MAP_IN_STEP && want < in->shown))
		return;
	os_map_in((char *)in->buf.data + in->mapped_in, want - in->mapped_in);
	in->mapped_in = want;
}

/* The mapping is all looked at, bar a last record without its separator:
 * that goes into a buffer of its own, and the file is read on from the
 * mapping's end (0 bytes, unless it grew). */
static int leave_mapping(struct input *in)
{
	struct buf rest = BUF_INIT;
	if (buf_append(&rest, buf_head(&in->buf), in->buf.len) < 0)
		return -1;
	let_go(in);
	in->at_boundary = in->buf.data[in->shown - 1] == in->fr.sep; /* as a read would say */
	in->buf = rest;
	in->mapped = false;
	return lseek(in->fds[in->at], in->map_end, SEEK_SET) < 0 ? -1 : 0;
}

int input_fd(const struct input *in)
{
	return in->at < in->nfds ? in->fds[in->at] : -1;
}

ssize_t input_read(struct input *in, char *p, size_t n)
{
	if (in->eof)
		return 0;
	ssize_t r = read_retry(in->fds[in->at], p, n);
	if (r > 0) {
		in->at_boundary = p[r - 1] == in->fr.sep;
		return r;
	}
	if (r < 0)
		return -1;
	r = !in->at_boundary;
	if (r)
		p[0] = in->fr.sep;
	in->at_boundary = true;
	in->eof = ++in->at == in->nfds;
	return r;
}

ssize_t input_fill(struct input *in)
{
	if (in->later) {
		in->later = false;
		return (ssize_t)in->buf.len;
	}
	if (in->mapped && leave_mapping(in) < 0)
		return -1;
	if (in->buf.len == 0 && !in->eof && map_file(in))
		return (ssize_t)in->buf.len;
	if (in->buf.len == 0)
		in->buf.off = 0;
	if (buf_reserve_block(&in->buf, READ_SIZE) < 0)
		return -1;
	size_t room = buf_room(&in->buf);
	ssize_t n = input_read(in, buf_tail(&in->buf), room < READ_SIZE ? room : READ_SIZE);
	if (n > 0)
		in->buf.len += (size_t)n;
	return n;
}

enum input_kind input_next(struct input *in, const char **rec, size_t *len)
{
	/* The records before buf.off have been held (and looked at): their
	 * pages may go; those ahead of the scan are mapped in. */
	if (in->mapped) {
		if (past(in) > in->let_go + LET_GO_LAG + LET_GO_STEP)
			let_go(in);
		map_in(in);
	}
	in->later = false;
	for (;;) {
		size_t used, n = in->buf.len;
		bool some = in->mapped && n - in->fr.scanned > SCAN_STEP;
		if (some)
			n = in->fr.scanned + SCAN_STEP;
		enum frame_kind k = frame_next(&in->fr, buf_head(&in->buf), n, in->eof && !some,
					       &used, rec, len);
		in->last = NULL;
		buf_consume(&in->buf, used);
		switch (k) {
		case FRAME_RECORD:
			in->last = *rec;
			return INPUT_RECORD;
		case FRAME_TOO_LONG:
			*rec = buf_head(&in->buf); /* its first bytes, for the report */
			*len = in->buf.len < in->fr.max ? in->buf.len : in->fr.max;
			return INPUT_TOO_LONG;
		case FRAME_SKIPPED:
			continue;
		case FRAME_MORE:
			if (some)
				return (in->later = true), INPUT_LATER;
			return in->eof && in->buf.len == 0 ? INPUT_END : INPUT_NEED;
		}
	}
}

int input_hold(struct input *in, const char *rec, size_t len, struct buf *dst)
{
	if (rec == in->last && in->mapped) {
		buf_free(dst);
		buf_borrow(dst, rec, len);
		return 0;
	}
	if (rec != in->last || len < TAKE_MIN)
		return buf_set(dst, rec, len);
	/* The bytes after it are at most a read's. */
	struct buf rest = BUF_INIT;
	if (in->nspare)
		rest = in->spare[--in->nspare];
	if (buf_reserve(&rest, in->buf.len > READ_SIZE ? in->buf.len : READ_SIZE) < 0) {
		input_recycle(in, &rest);
		buf_free(&rest);
		return -1;
	}
	if (in->buf.len)
		memcpy(rest.data, buf_head(&in->buf), in->buf.len);
	rest.len = in->buf.len;
	buf_free(dst);
	*dst = in->buf;
	dst->off = (size_t)(rec - in->buf.data);
	dst->len = len;
	in->buf = rest;
	in->last = NULL;
	return 0;
}

void input_recycle(struct input *in, struct buf *b)
{
	if (b->cap < TAKE_MIN || in->nspare == INPUT_SPARES || in->eof)
		return; /* what a task's small record costs: one test */
	size_t kept = b->cap;
	for (unsigned i = 0; i < in->nspare; i++)
		kept += in->spare[i].cap;
	if (in->nspare && kept > INPUT_SPARE_BYTES)
		return;
	b->off = b->len = 0;
	in->spare[in->nspare++] = *b;
	*b = (struct buf)BUF_INIT;
}

size_t input_alphabet(const struct input *in, const char *rec)
{
	return rec == in->last ? in->fr.last_alpha : 0;
}

bool input_file_of(const struct input *in, const char *p, int *fd, off_t *off)
{
	for (unsigned i = 0; i < in->nmaps; i++) {
		const struct input_map *m = &in->maps[i];
		if (p >= (const char *)m->p && p < (const char *)m->p + m->len) {
			*fd = m->fd;
			*off = m->off + (p - (const char *)m->p);
			return true;
		}
	}
	return false;
}

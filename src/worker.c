/* worker: one worker's pipes, buffers and in-flight FIFO; see worker.h. */
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os.h"
#include "util.h"

#define READ_CHUNK (64 * 1024)

int worker_start(struct worker *w, const struct spawn_opts *o, unsigned slot, int64_t now,
		 struct spawn_error *e)
{
	memset(w, 0, sizeof *w);
	w->to_fd = w->from_fd = w->peek_fd = -1;
	w->to_watch = w->from_watch = -1;
	w->slot = slot;
	w->pid = spawn_worker(o, slot, &w->to_fd, &w->from_fd, e);
	if (w->pid < 0)
		return -1;
	w->state = WORKER_RUNNING;
	w->started_at = w->idle_since = w->head_since = now;
	struct stat st;
	if (fstat(w->to_fd, &st) == 0)
		w->stdin_ino = (unsigned long)st.st_ino;
	return 0;
}

void worker_free(struct worker *w)
{
	free(w->epoch.r);
	free(w->last_epoch.r);
	w->epoch = w->last_epoch = (struct seqvec){NULL, 0, 0, 0};
	close_fd(&w->to_fd);
	close_fd(&w->from_fd);
	close_fd(&w->peek_fd);
	buf_free(&w->out);
	buf_free(&w->in);
	free(w->refs);
	w->refs = NULL;
	w->nrefs = w->refs_cap = 0;
	free(w->fifo);
	w->fifo = NULL;
	w->fifo_cap = w->fifo_len = w->fifo_head = 0;
}

int worker_push(struct worker *w, uint32_t slot)
{
	if (w->fifo_len == w->fifo_cap) {
		uint32_t cap = w->fifo_cap ? w->fifo_cap * 2 : 16;
		uint32_t *f = malloc(cap * sizeof *f);
		if (!f)
			return -1;
		for (uint32_t i = 0; i < w->fifo_len; i++)
			f[i] = w->fifo[(w->fifo_head + i) % w->fifo_cap];
		free(w->fifo);
		w->fifo = f;
		w->fifo_cap = cap;
		w->fifo_head = 0;
	}
	w->fifo[(w->fifo_head + w->fifo_len) % w->fifo_cap] = slot;
	w->fifo_len++;
	w->assigned++;
	return 0;
}

int worker_note_answer(struct worker *w, uint64_t seq)
{
	struct seqvec *e = &w->epoch;
	struct seqrun *last = e->nruns ? &e->r[e->nruns - 1] : NULL;
	if (last && last->first + last->len == seq) {
		last->len++;
	} else {
		if (e->nruns == e->cap) {
			uint32_t cap = e->cap ? e->cap * 2 : 16;
			struct seqrun *r = realloc(e->r, cap * sizeof *r);
			if (!r)
				return -1;
			e->r = r;
			e->cap = cap;
		}
		e->r[e->nruns++] = (struct seqrun){seq, 1};
	}
	e->len++;
	if (w->fifo_len == 0) {
		struct seqvec before = w->last_epoch;
		w->last_epoch = w->epoch;
		w->epoch = before;
		w->epoch.len = w->epoch.nruns = 0;
	}
	return 0;
}

int64_t worker_read_to(const struct worker *w)
{
	if (w->to_fd < 0) {
		/* Closed by us once every task was written, it may read on: as
		 * far as its stdin's read end says, or, when that could not be
		 * kept, one that exited by itself with status 0 read to the end.
		 * Gone as a reader (EPIPE), it read what it had then. */
		if (!w->closed_by_us)
			return w->read_to_at_close;
		long unread = w->peek_fd >= 0 ? os_pipe_unread(w->peek_fd) : -1;
		if (unread >= 0)
			return (int64_t)(w->sent - (uint64_t)unread);
		if (w->read_final || (uint64_t)w->read_to_at_close == w->sent)
			return w->read_to_at_close;
		bool read_all = w->reaped && WIFEXITED(w->wstatus) && WEXITSTATUS(w->wstatus) == 0;
		return read_all ? (int64_t)w->sent : -1;
	}
	long unread = os_pipe_unread(w->to_fd);
	return unread < 0 ? -1 : (int64_t)(w->sent - (uint64_t)unread);
}

uint32_t worker_pop(struct worker *w)
{
	uint32_t slot = w->fifo[w->fifo_head];
	w->fifo_head = (w->fifo_head + 1) % w->fifo_cap;
	w->fifo_len--;
	return slot;
}

/* The bytes of ref r not yet written. */
static size_t ref_left(const struct worker *w, const struct wref *r)
{
	return r->at >= w->sent ? r->n : (size_t)(r->at + r->n - w->sent);
}

int worker_queue_ref(struct worker *w, const char *p, size_t n, int fd, off_t off)
{
	if (w->nrefs == w->refs_cap) {
		uint32_t cap = w->refs_cap ? w->refs_cap * 2 : 4;
		struct wref *r = realloc(w->refs, cap * sizeof *r);
		if (!r)
			return -1;
		w->refs = r;
		w->refs_cap = cap;
	}
	uint64_t at = w->sent + worker_unsent(w);
	w->refs[w->nrefs++] = (struct wref){at, p, n, fd, off};
	return 0;
}

uint64_t worker_unsent(const struct worker *w)
{
	uint64_t n = w->out.len;
	for (uint32_t i = 0; i < w->nrefs; i++)
		n += ref_left(w, &w->refs[i]);
	return n;
}

#define GATHER 16 /* iovecs a write takes at most */

/* The next bytes to write, in order: out's between the refs, and the
 * refs' own, up to the first ref to splice from its file. Returns the
 * iovecs filled; 0 with *file set when such a ref comes first. */
static int gather(struct worker *w, struct iovec *v, struct wref **file)
{
	uint64_t pos = w->sent;
	size_t o = 0;
	int k = 0;
	uint32_t i = 0;
	*file = NULL;
	for (; i < w->nrefs && k + 2 < GATHER; i++) {
		struct wref *r = &w->refs[i];
		if (pos < r->at) {
			v[k++] = (struct iovec){buf_head(&w->out) + o, (size_t)(r->at - pos)};
			o += (size_t)(r->at - pos);
			pos = r->at;
		}
		if (r->fd >= 0) {
			*file = k ? NULL : r;
			return k;
		}
		size_t done = (size_t)(pos - r->at);
		v[k++] = (struct iovec){(void *)(uintptr_t)(r->p + done), r->n - done};
		pos = r->at + r->n;
	}
	if (i == w->nrefs && o < w->out.len) /* what follows the last ref */
		v[k++] = (struct iovec){buf_head(&w->out) + o, w->out.len - o};
	return k;
}

/* Splice what is left of ref r from its file; where the system or the
 * file will not, r is written from memory from now on. */
static ssize_t splice_ref(struct worker *w, struct wref *r)
{
	size_t done = (size_t)(w->sent - r->at);
	ssize_t n = os_splice_file(r->fd, r->off + (off_t)done, w->to_fd, r->n - done);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR || errno == EPIPE)))
		return n;
	r->fd = -1; /* not spliceable (or it shrank: then reading it says so) */
	errno = EINTR;
	return -1;
}

/* n more bytes are in the pipe: drop them from out and the refs. */
static void advance(struct worker *w, size_t n)
{
	uint64_t to = w->sent + n;
	size_t by_ref = 0;
	uint32_t done = 0;
	for (uint32_t i = 0; i < w->nrefs && w->refs[i].at < to; i++) {
		const struct wref *r = &w->refs[i];
		uint64_t from = r->at > w->sent ? r->at : w->sent, end = r->at + r->n;
		by_ref += (size_t)((end < to ? end : to) - from);
		done += end <= to;
	}
	buf_consume(&w->out, n - by_ref);
	w->sent = to;
	if (done) {
		w->nrefs -= done;
		memmove(w->refs, w->refs + done, w->nrefs * sizeof *w->refs);
	}
}

int worker_flush(struct worker *w)
{
	while (w->out.len > 0) {
		struct iovec v[GATHER];
		struct wref *file = NULL;
		int k = w->nrefs ? gather(w, v, &file) : 0;
		ssize_t n = file ? splice_ref(w, file)
			  : k ? writev(w->to_fd, v, k)
			      : write(w->to_fd, buf_head(&w->out), w->out.len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		advance(w, (size_t)n);
	}
	return 1;
}

ssize_t worker_read(struct worker *w)
{
	if (buf_reserve_block(&w->in, READ_CHUNK) < 0)
		return -1;
	ssize_t n = read_retry(w->from_fd, buf_tail(&w->in), buf_room(&w->in));
	if (n > 0)
		w->in.len += (size_t)n;
	return n;
}

void worker_close_input(struct worker *w, bool ours)
{
	w->read_to_at_close = worker_read_to(w);
	w->closed_by_us = ours;
	/* It may read on after the close: keep a read end of its stdin to
	 * learn later how far (a worker that never reads, such as echo). */
	if (ours && !w->member && w->read_to_at_close >= 0 &&
	    (uint64_t)w->read_to_at_close < w->sent) {
		w->peek_fd = os_open_stdin_of(w->pid, w->stdin_ino);
		/* No reader left (it has exited): it read what it read. */
		w->read_final = w->peek_fd < 0 && os_pipe_unread_by_all(w->to_fd);
	}
	close_fd(&w->to_fd);
	buf_trim(&w->out, 0);
	w->nrefs = 0;
}

int worker_has_read(const struct worker *w)
{
	if (w->sent == 0)
		return 0;
	if (w->to_fd < 0)
		return -1;
	long unread = os_pipe_unread(w->to_fd);
	return unread < 0 ? -1 : (uint64_t)unread < w->sent;
}

int worker_waits_for_input(const struct worker *w)
{
	if (w->to_fd < 0 || w->out.len || w->reaped)
		return 0;
	long unread = os_pipe_unread(w->to_fd);
	if (unread > 0)
		return 0; /* it has not read what it has */
	return os_reads_pipe(w->pid, w->stdin_ino);
}

void worker_signal(struct worker *w, int sig)
{
	if (w->reaped)
		return;
	/* The group first, to reach a shell wrapper's children too; the pid
	 * alone when the worker left its group. */
	if (kill(-w->pid, sig) < 0)
		kill(w->pid, sig);
}

void worker_describe_exit(const struct worker *w, char *dst, size_t len)
{
	if (!w->reaped)
		snprintf(dst, len, "closed its stdout");
	else if (WIFSIGNALED(w->wstatus))
		snprintf(dst, len, "killed by signal %s", signal_name(WTERMSIG(w->wstatus)));
	else
		snprintf(dst, len, "exited with status %d", WEXITSTATUS(w->wstatus));
}

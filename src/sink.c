/* sink: the pool's side of stdout. Results wait in the output buffer while
 * answers are still coming (at most FLUSH_DELAY_NS, so lock-step runs don't
 * pay a write per result), then go out without blocking; while the reader is
 * slow the fd is watched for room, and the pool stops making results once a
 * megabyte waits. Joblog rows follow the results they vouch for. A stopping
 * run gives up on a reader that has taken nothing for --kill-grace. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "os.h"
#include "pool_impl.h"
#include "util.h"

#define FLUSH_DELAY_NS NS_PER_MS /* longest a result waits for company */

static void on_writable(void *ctx, int fd, short revents)
{
	struct pool *p = ctx;
	(void)fd;
	(void)revents;
	output_has_room(&p->out); /* the loop turn flushes */
	loop_set(p->loop, p->out_watch, 0);
}

void sink_init(struct pool *p, int out_fd)
{
	output_init(&p->out, out_fd, p->c);
	os_grow_pipe(p->out.fd, OS_PIPE_BYTES); /* a pipe's reader gets more a wake-up */
	p->out_watch = loop_add(p->loop, p->out.fd, 0, on_writable, p);
	if (p->out_watch < 0)
		log_die(EXIT_FATAL, "out of memory");
	p->out_moved_at = p->now;
}

/* Write the joblog rows whose results are out. */
static void flush_joblog(struct pool *p)
{
	if (!p->jl || joblog_flush(p->jl, p->out.written, p->out.fd, p->now, false) == 0)
		return;
	log_warn("cannot write the joblog: %s", strerror(errno));
	p->r.fatal = EXIT_FATAL;
	joblog_close(p->jl);
	p->jl = NULL;
	stop_soon(p);
}

static void flush(struct pool *p)
{
	uint64_t before = p->out.written;
	int r = output_flush(&p->out);
	if (p->out.written != before)
		p->out_moved_at = p->now;
	if (r < 0) {
		if (!p->stop)
			stop_now(p); /* the error itself is reported after the loop */
		return;
	}
	loop_set(p->loop, p->out_watch, r == 0 ? POLLOUT : 0);
	flush_joblog(p);
}

/* Flush when due; returns the next deadline of the flush or of the joblog
 * (its rows wait for their round of syncing), or -1. */
int64_t sink_due(struct pool *p)
{
	if (p->out.buf.len == 0) {
		p->out_since = 0;
		flush_joblog(p);
		return p->jl ? joblog_next_ns(p->jl) : -1;
	}
	if (p->out.full) {
		/* poll says when the reader has made room */
		loop_set(p->loop, p->out_watch, POLLOUT);
		return -1;
	}
	if (p->out_since == 0)
		p->out_since = p->now;
	bool in_flight = tasks_live(&p->ts) > p->ts.qlen;
	if (in_flight && p->now - p->out_since < FLUSH_DELAY_NS && !p->stop &&
	    !output_backed_up(&p->out))
		return p->out_since + FLUSH_DELAY_NS;
	flush(p);
	p->out_since = 0;
	return p->jl ? joblog_next_ns(p->jl) : -1;
}

bool sink_backed_up(const struct pool *p)
{
	return output_backed_up(&p->out);
}

/* Whether the results are out, or there is no point waiting any longer. */
bool sink_done(struct pool *p)
{
	if (p->out.buf.len == 0 || p->out.failed || p->out_given_up)
		return true;
	if (!p->stop || p->now - p->out_moved_at < p->c->kill_grace)
		return false;
	log_warn("stdout has taken nothing for %llds; %zu bytes of results not written",
		 (long long)((p->now - p->out_moved_at) / NS_PER_SEC), p->out.buf.len);
	p->out_given_up = true;
	return true;
}

/* The deadline sink_done waits for, or -1. */
int64_t sink_deadline(const struct pool *p)
{
	if (!p->stop || p->out.buf.len == 0 || p->out.failed || p->out_given_up)
		return -1;
	return p->out_moved_at + p->c->kill_grace;
}

/* stdout is gone or failing: say so once. */
bool sink_failed(struct pool *p)
{
	if (!p->out.failed)
		return false;
	if (p->out.err == EPIPE) {
		p->r.broken_pipe = true;
	} else if (!p->r.fatal) {
		log_warn("cannot write results: %s", strerror(p->out.err));
		p->r.fatal = EXIT_FATAL;
	}
	return true;
}

void sink_fini(struct pool *p)
{
	if (p->jl) {
		if (!p->r.broken_pipe &&
		    joblog_flush(p->jl, p->out.written, p->out.fd, now_ns(), true) < 0)
			log_warn("cannot write the joblog: %s", strerror(errno));
		joblog_close(p->jl);
	}
	output_free(&p->out);
}

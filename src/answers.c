/* answers: what a worker wrote, split into answers. An answer is one line,
 * or with --answer-end every line before a line equal to it. The head of
 * the worker's FIFO owns the next answer. An answer that starts with
 * --error-prefix fails its task and the worker goes on. An answer the
 * worker may not write (while holding no task, too long, bad base64 on that
 * wire) is a protocol violation that stops the worker. */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "escape.h"
#include "hist.h"
#include "joblog.h"
#include "log.h"
#include "pool_impl.h"
#include "util.h"

#define MESSAGE_SHOWN 200 /* bytes of a worker's error message shown */

/* The head task has its answer: account for it and return its slot. */
static uint32_t took_answer(struct pool *p, struct worker *w)
{
	uint32_t slot = worker_pop(w);
	struct task *t = &p->ts.t[slot];
	if (worker_note_answer(w, t->seq) < 0)
		log_die(EXIT_FATAL, "out of memory");
	t->run_ns = p->now - t->t_sent;
	hist_add(&p->st->latency, (uint64_t)t->run_ns);
	w->latency_sum += t->run_ns;
	if (w->slot < p->st->nslots)
		p->st->slot_tasks[w->slot]++;
	w->answered++;
	silence_reset(w);
	p->answered_ever = true;
	if (!w->ready)
		life_ready(p, w, "answered");
	if (w->fifo_len == 0) {
		w->idle_since = p->now;
		w->idle_noted = false;
	} else {
		w->head_since = p->now;
	}
	if (!w->member)
		p->crash_streak = 0; /* the crash-loop rule is this machine's (fleet.c) */
	return slot;
}

/* The length of the error message in an answer that is one, else -1. */
static long error_message(const struct pool *p, const char *a, size_t len, const char **msg)
{
	const char *prefix = p->c->error_prefix;
	size_t plen = prefix ? strlen(prefix) : 0;
	if (!prefix || len < plen || memcmp(a, prefix, plen) != 0)
		return -1;
	const char *nl = memchr(a, '\n', len); /* --answer-end: its first line */
	*msg = a + plen;
	return (long)((nl ? (size_t)(nl - a) : len) - plen);
}

/* The worker says the task failed: run it again elsewhere, or fail it. */
static void on_error(struct pool *p, struct worker *w, const char *msg, size_t len)
{
	uint32_t slot = took_answer(p, w);
	char shown[ESCAPE_SIZE(MESSAGE_SHOWN)], cause[ESCAPE_SIZE(MESSAGE_SHOWN) + 48];
	escape_text(shown, MESSAGE_SHOWN, msg, len);
	snprintf(cause, sizeof cause, "worker %d reported: %s", (int)w->pid, shown);
	if (outcome_try_again(p, slot, w, cause))
		tasks_enqueue_front(&p->ts, slot);
	else
		outcome_failed(p, slot, "error", JOBLOG_EXIT_ERROR, 0, "%s", cause);
}

/* An answer w may not write: say so and stop w. */
static bool answer_is_bad(struct pool *p, struct worker *w, const char *a, size_t len,
			  bool error)
{
	char what[96];
	const char *bad;
	if (w->fifo_len == 0) {
		outcome_suspects(p, w, &w->last_epoch, "wrote more answers than it had tasks");
		fault_protocol(p, w, "wrote output while holding no task");
	} else if (w->nrefs && p->ts.t[worker_head(w)].wire_end > w->sent) {
		/* Its bytes may still be written from the task's own: it must
		 * not end before then. And no worker answers a line unread. */
		fault_protocol(p, w, "answered a task before it was written whole");
	} else if (len > p->c->max_record) {
		fault_protocol(p, w, "wrote an answer longer than --max-record");
	} else if (p->c->wire == WIRE_BASE64 && !error && (bad = base64_check(a, len, NULL))) {
		snprintf(what, sizeof what, "answered invalid base64 (%s)", bad);
		fault_protocol(p, w, what);
	} else {
		return false;
	}
	return true;
}

/* The next whole answer at s: its length, and where the one after starts;
 * -1 when it is not all there yet. w->scanned keeps how far an unfinished
 * answer was looked through, so a long one that comes in many reads is
 * scanned once. */
static long next_answer(const struct pool *p, struct worker *w, char *s, char *end, char **next)
{
	char *nl;
	if (!p->c->answer_end) {
		char *from = s + w->scanned;
		if (!(nl = memchr(from, '\n', (size_t)(end - from)))) {
			w->scanned = (size_t)(end - s);
			return -1;
		}
		w->scanned = 0;
		*next = nl + 1;
		return nl - s;
	}
	const char *mark = p->c->answer_end;
	size_t mlen = strlen(mark);
	for (char *line = s + w->scanned; (nl = memchr(line, '\n', (size_t)(end - line)));
	     line = nl + 1) {
		if ((size_t)(nl - line) == mlen && memcmp(line, mark, mlen) == 0) {
			w->scanned = 0;
			*next = nl + 1;
			return line - s; /* its lines, each with its newline */
		}
		w->scanned = (size_t)(nl + 1 - s);
	}
	return -1;
}

/* --ready: until the ready line, what w writes is its banner: shown on
 * stderr, never taken as answers. Returns where the answers begin. */
static char *take_banner(struct pool *p, struct worker *w, char *s, char *end)
{
	const char *ready = p->c->ready_line;
	size_t rlen = strlen(ready);
	char *nl, shown[ESCAPE_SIZE(MESSAGE_SHOWN)];
	while (!w->ready && (nl = memchr(s, '\n', (size_t)(end - s)))) {
		size_t len = (size_t)(nl - s);
		if (len == rlen && memcmp(s, ready, len) == 0) {
			life_ready(p, w, "wrote the --ready line");
		} else {
			escape_text(shown, MESSAGE_SHOWN, s, len);
			log_warn("worker %d: %s", (int)w->pid, shown);
		}
		s = nl + 1;
	}
	return s;
}

/* Split what w wrote into answers. */
void answers_take(struct pool *p, struct worker *w)
{
	if (w->member && !fleet_past_marker(p, w))
		return; /* what its host's login shell printed */
	char *head = buf_head(&w->in), *s = head, *end = head + w->in.len, *next;
	if (!w->ready && p->c->ready_line && (s = take_banner(p, w, s, end)) != head)
		w->scanned = 0; /* it counted from a banner line now gone */
	else if (!w->ready && s < end)
		life_ready(p, w, "wrote output"); /* even a bad answer shows it started */
	int64_t first_sent = w->fifo_len ? p->ts.t[worker_head(w)].t_sent : p->now;
	int64_t since = w->head_since > first_sent ? w->head_since : first_sent;
	bool warm = w->answered > 0; /* a first answer also carries start-up time */
	unsigned k = 0;
	long len;

	while (!w->discard && (len = next_answer(p, w, s, end, &next)) >= 0) {
		const char *msg;
		long mlen = error_message(p, s, (size_t)len, &msg);
		if (answer_is_bad(p, w, s, (size_t)len, mlen >= 0))
			break; /* the task stays at the head and fails with the worker */
		if (mlen >= 0)
			on_error(p, w, msg, (size_t)mlen);
		else
			outcome_ok(p, took_answer(p, w), s, (size_t)len);
		s = next;
		k++;
	}
	if (w->discard) {
		buf_consume(&w->in, w->in.len);
		w->scanned = 0;
		return;
	}
	buf_consume(&w->in, (size_t)(s - head));
	if (k && warm)
		dispatch_learn(p, (p->now - since) / k);
	size_t marker = p->c->answer_end ? strlen(p->c->answer_end) + 1 : 0;
	if (w->in.len > p->c->max_record + marker + 1) {
		fault_protocol(p, w, "wrote an answer longer than --max-record");
		buf_consume(&w->in, w->in.len);
		w->scanned = 0;
	}
	if (w->max_tasks && w->answered >= w->max_tasks && w->state == WORKER_RUNNING) {
		log_event("worker %d retired after %llu tasks", (int)w->pid,
			  (unsigned long long)w->answered);
		life_retire(p, w);
		p->st->retired++;
	}
}

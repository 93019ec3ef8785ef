/* answers: what a worker wrote, split into answer lines. The head of the
 * worker's FIFO owns the next line; a line the worker may not write (while
 * holding no task, too long, bad base64 on that wire) is a protocol
 * violation that stops the worker. */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "hist.h"
#include "log.h"
#include "pool_impl.h"
#include "util.h"

static void on_answer(struct pool *p, struct worker *w, const char *line, size_t len)
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
	p->crash_streak = 0;
	outcome_ok(p, slot, line, len);
}

/* A line w may not write: say so and stop w. */
static bool answer_is_bad(struct pool *p, struct worker *w, const char *line, size_t len)
{
	char what[96];
	const char *bad;
	if (w->fifo_len == 0) {
		outcome_suspects(p, w, &w->last_epoch, "wrote more answers than it had tasks");
		fault_protocol(p, w, "wrote output while holding no task");
	}
	else if (len > p->c->max_record)
		fault_protocol(p, w, "wrote an answer longer than --max-record");
	else if (p->c->wire == WIRE_BASE64 && (bad = base64_check(line, len, NULL))) {
		snprintf(what, sizeof what, "answered invalid base64 (%s)", bad);
		fault_protocol(p, w, what);
	} else
		return false;
	return true;
}

/* --ready: until the ready line, what w writes is its banner: shown on
 * stderr, never taken as answers. Returns where the answers begin. */
static char *take_banner(struct pool *p, struct worker *w, char *s, char *end)
{
	const char *ready = p->c->ready_line;
	size_t rlen = strlen(ready);
	char *nl;
	while (!w->ready && (nl = memchr(s, '\n', (size_t)(end - s)))) {
		size_t len = (size_t)(nl - s);
		if (len == rlen && memcmp(s, ready, len) == 0)
			life_ready(p, w, "wrote the --ready line");
		else
			log_warn("worker %d: %.*s", (int)w->pid, (int)len, s);
		s = nl + 1;
	}
	return s;
}

/* Split what w wrote into answer lines. */
void answers_take(struct pool *p, struct worker *w)
{
	char *head = buf_head(&w->in), *s = head, *end = head + w->in.len, *nl;
	if (!w->ready && p->c->ready_line)
		s = take_banner(p, w, s, end);
	else if (!w->ready && s < end)
		life_ready(p, w, "wrote output"); /* even a bad answer shows it started */
	int64_t first_sent = w->fifo_len ? p->ts.t[worker_head(w)].t_sent : p->now;
	int64_t since = w->head_since > first_sent ? w->head_since : first_sent;
	bool warm = w->answered > 0; /* a first answer also carries start-up time */
	unsigned k = 0;

	while (!w->discard && (nl = memchr(s, '\n', (size_t)(end - s)))) {
		if (answer_is_bad(p, w, s, (size_t)(nl - s)))
			break; /* the task stays at the head and fails with the worker */
		on_answer(p, w, s, (size_t)(nl - s));
		s = nl + 1;
		k++;
	}
	if (w->discard) {
		buf_consume(&w->in, w->in.len);
		return;
	}
	buf_consume(&w->in, (size_t)(s - head));
	if (k && warm)
		dispatch_learn(p, (p->now - since) / k);
	if (w->in.len > p->c->max_record + 1) {
		fault_protocol(p, w, "wrote an answer longer than --max-record");
		buf_consume(&w->in, w->in.len);
	}
	if (w->max_tasks && w->answered >= w->max_tasks && w->state == WORKER_RUNNING) {
		log_event("worker %d retired after %llu tasks", (int)w->pid,
			  (unsigned long long)w->answered);
		life_retire(p, w);
		p->st->retired++;
	}
}

/* silence: a worker that holds tasks and says nothing. What the worker is
 * doing tells the cases apart (does it sleep in read(2) on its stdin,
 * having read all it was sent?):
 *
 * - It is busy (running, or waiting for something else): a slow task.
 *   Leave it alone, and look again less often.
 * - It waits for more input without answering what it holds: it buffers
 *   its output (C stdio, Python and perl do when stdout is a pipe, and write
 *   in bursts of 4 or 8 KiB), or it batches tasks on purpose. Feed it more,
 *   a deeper pipeline, so its buffer fills and it writes. When no more can
 *   be sent (the window is full, or input is slow) for a while, close its
 *   stdin so that it flushes and exits, and let a new worker take over;
 *   tell the user once. A worker that skips answers (a filter such as grep)
 *   looks the same, and is caught when it exits holding tasks.
 *
 * When the system cannot tell what a worker is doing, a quiet worker is
 * taken to be waiting: feeding a slow worker more only delays its queue. */
#include <stdio.h>
#include <string.h>

#include "advice.h"
#include "escape.h"
#include "log.h"
#include "pool_impl.h"
#include "util.h"

#define QUIET_MIN_NS (10 * NS_PER_MS)   /* first look at a worker that never answered */
#define QUIET_MAX_NS NS_PER_SEC         /* looks at a busy one back off to this */
#define FLUSH_AFTER_NS NS_PER_SEC       /* starved, nothing to send: close its stdin */
#define FLUSH_FACTOR 20                 /* ... or this many times its mean answer time */
#define HINT_AFTER_NS (3 * NS_PER_SEC)  /* starved this long: say so */
#define FEED_CAP (WINDOW / 2)           /* most tasks one starved worker may hold */

/* The mean time of w's answers so far, 0 before its first. */
static int64_t mean_answer(const struct worker *w)
{
	return w->answered ? w->latency_sum / (int64_t)w->answered : 0;
}

/* A worker that answered before is looked at once quiet for four times
 * its usual answer: sooner is only a slow task. */
static int64_t first_look(const struct worker *w)
{
	int64_t t = 4 * mean_answer(w);
	return t > QUIET_MIN_NS ? t : QUIET_MIN_NS;
}

static int64_t flush_after(const struct worker *w)
{
	int64_t t = FLUSH_FACTOR * mean_answer(w);
	return t > FLUSH_AFTER_NS ? t : FLUSH_AFTER_NS;
}

int64_t silence_due(const struct pool *p, const struct worker *w)
{
	(void)p;
	if (w->state != WORKER_RUNNING || !w->fifo_len || w->discard || !w->ready ||
	    w->close_pending)
		return -1;
	return w->quiet_at ? w->quiet_at : w->head_since + first_look(w);
}

void silence_reset(struct worker *w)
{
	w->quiet_at = 0;
	w->quiet_wait = QUIET_MIN_NS;
	w->starved_since = 0;
}

static void hint(struct pool *p, struct worker *w, bool closing)
{
	struct advice a;
	if (p->hinted || p->c->no_hints)
		return;
	p->hinted = true;
	advice_for(p->c->argv, &a);
	char prog[ESCAPE_SIZE(sizeof a.program)];
	escape_text(prog, sizeof a.program, a.program, strlen(a.program));
	char how[400];
	if (a.fix)
		snprintf(how, sizeof how, "%s", a.fix);
	else
		snprintf(how, sizeof how, "make it flush after each answer (stdbuf -oL %s, if it "
					  "writes with C stdio)", prog);
	log_warn("worker %d (%s) holds %u tasks and has answered none of them while it waits "
		 "for more input%s; %s may be buffering its output when writing to a pipe: %s "
		 "(--no-hints silences this)",
		 (int)w->pid, prog, w->fifo_len,
		 closing ? ", and no more can be sent: closing its stdin so it flushes, and "
			   "starting another worker" : "",
		 prog, how);
}

/* Let a starved worker hold twice what it holds. false: it holds all it may. */
static bool feed_more(struct worker *w)
{
	unsigned want = w->fifo_len * 2 > FEED_CAP ? FEED_CAP : w->fifo_len * 2;
	if (w->min_depth >= want)
		return false;
	w->min_depth = want;
	return true;
}

void silence_check(struct pool *p, struct worker *w)
{
	/* A remote worker's stdin is read by ssh: what it waits for cannot be told. */
	if (!w->member && worker_waits_for_input(w) == 0) {
		/* Busy: a slow task. */
		w->starved_since = 0;
		w->quiet_wait = w->quiet_wait * 2 > QUIET_MAX_NS ? QUIET_MAX_NS : w->quiet_wait * 2;
		w->quiet_at = p->now + w->quiet_wait;
		return;
	}
	if (!w->starved_since)
		w->starved_since = p->now;
	w->quiet_at = p->now + QUIET_MIN_NS;
	bool fed_before = w->min_depth > 0;
	if (p->ts.qlen > 0 && feed_more(w)) {
		p->fed += !fed_before;
		return;
	}
	/* Nothing more can be sent. When the window is full, that will not
	 * change until this worker answers: close it now. When input is slow,
	 * give a worker that batches on purpose its time first. */
	int64_t starved = p->now - w->starved_since;
	if (!p->in_done && (outcome_window_full(p) ? starved > 0 : starved >= flush_after(w))) {
		hint(p, w, true);
		log_event("worker %d closed to make it flush (%u tasks held)", (int)w->pid,
			  w->fifo_len);
		life_retire(p, w);
		p->st->retired++;
		return;
	}
	if (starved >= HINT_AFTER_NS)
		hint(p, w, false);
}

/* autojobs: -j auto in the pool. The sizer (sizer.c) decides; this module
 * feeds it and acts on its answer. It samples the pool's throughput only
 * while tasks wait (otherwise the pool measures its input, not itself),
 * caps scaling at the size wanted, and gives workers back when fewer are
 * wanted: the least busy are closed once what they hold is written, so no
 * task is lost or run twice. */
#include "autojobs.h"

#include "log.h"
#include "os.h"
#include "pool_impl.h"

void autojobs_init(struct pool *p)
{
	const struct config *c = p->c;
	if (!c->jobs_auto)
		return;
	unsigned start = os_online_cpus();
	sizer_init(&p->sizer, c->min ? c->min : 1, c->jobs, start, p->now);
	stats_note_size(p->st, sizer_want(&p->sizer), sizer_reason(&p->sizer));
	p->st->size_holds = p->sizer.cur;
	log_event("-j auto: %s (at most %u, --max-jobs)", sizer_reason(&p->sizer), c->jobs);
}

unsigned autojobs_cap(const struct pool *p)
{
	return p->c->jobs_auto ? sizer_want(&p->sizer) : pool_jobs(p);
}

/* Workers that do work now: running, ready, and not on their way out. */
static unsigned in_use(const struct pool *p)
{
	unsigned n = 0;
	for (unsigned i = 0; i < p->nw; i++) {
		const struct worker *w = p->w[i];
		n += w->state == WORKER_RUNNING && w->ready && !w->close_pending;
	}
	return n;
}

/* Close the n running workers that hold the least. */
static void give_back(struct pool *p, unsigned n)
{
	while (n--) {
		struct worker *least = NULL;
		for (unsigned i = 0; i < p->nw; i++) {
			struct worker *w = p->w[i];
			if (w->state == WORKER_RUNNING && !w->close_pending &&
			    (!least || w->fifo_len < least->fifo_len))
				least = w;
		}
		if (!least)
			return;
		least->close_pending = true;
		p->st->retired++;
		log_event("worker %d given back (-j auto, %u tasks held)", (int)least->pid,
			  least->fifo_len);
		life_touch(p, least);
		life_close_if_pending(p, least);
	}
}

static unsigned open_running(const struct pool *p)
{
	unsigned n = 0;
	for (unsigned i = 0; i < p->nw; i++)
		n += p->w[i]->state == WORKER_RUNNING && !p->w[i]->close_pending;
	return n;
}

int64_t autojobs_timer(struct pool *p)
{
	struct sizer *s = &p->sizer;
	if (!p->c->jobs_auto || p->stop || (p->in_done && p->ts.qlen == 0))
		return -1;
	if (p->now < sizer_due(s))
		return sizer_due(s);
	if (p->ts.qlen == 0) {
		sizer_pause(s, p->now);
		return sizer_due(s);
	}
	unsigned before = sizer_want(s), held = s->cur;
	unsigned want = sizer_sample(s, p->now, p->st->ok + p->st->failed, in_use(p));
	p->st->size_holds = s->cur;
	if (s->have_base)
		p->st->size_rate = s->base.rate;
	if (want != before || s->cur != held) {
		stats_note_size(p->st, want, sizer_reason(s));
		log_event("-j auto: %s", sizer_reason(s));
	}
	unsigned open = open_running(p);
	if (want < open)
		give_back(p, open - want);
	return sizer_due(s);
}

/* hint: telling the user what a silent worker is likely doing. A worker
 * that holds a task and has answered nothing at all for a while most
 * likely buffers its output in a pipe; say so once per run. */
#include "log.h"
#include "pool_impl.h"
#include "util.h"

#define HINT_AFTER_NS (3 * NS_PER_SEC)

bool hint_due(const struct pool *p, const struct worker *w, int64_t *at)
{
	if (p->hinted || !w->fifo_len || w->answered || w->discard)
		return false;
	*at = w->head_since + HINT_AFTER_NS;
	return true;
}

void hint_buffering(struct pool *p, struct worker *w)
{
	p->hinted = true;
	log_warn("worker %d has answered nothing for %llds; if '%s' buffers its output when "
		 "writing to a pipe, make it flush each line (stdbuf -oL, python3 -u, ...)",
		 (int)w->pid, (long long)(HINT_AFTER_NS / NS_PER_SEC), p->c->argv[0]);
}

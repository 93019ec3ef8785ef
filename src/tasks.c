/* tasks: slot table, wait queue and order ring; see tasks.h. */
#include "tasks.h"

#include <stdlib.h>
#include <string.h>

/* A slot keeps buffers up to this size for the next task; larger ones go
 * back to the allocator so one huge record doesn't pin its memory. */
#define KEEP_BYTES 4096

int tasks_init(struct tasks *ts, uint32_t cap, bool ordered)
{
	memset(ts, 0, sizeof *ts);
	ts->t = calloc(cap, sizeof *ts->t);
	ts->free_slots = malloc(cap * sizeof *ts->free_slots);
	ts->queue = malloc(cap * sizeof *ts->queue);
	if (ordered)
		ts->order = malloc(cap * sizeof *ts->order);
	if (!ts->t || !ts->free_slots || !ts->queue || (ordered && !ts->order)) {
		tasks_free(ts);
		return -1;
	}
	ts->cap = cap;
	for (uint32_t i = 0; i < cap; i++)
		ts->free_slots[i] = cap - 1 - i; /* slot 0 on top */
	ts->nfree = cap;
	if (ordered)
		for (uint32_t i = 0; i < cap; i++)
			ts->order[i] = ORDER_EMPTY;
	ts->order_next = 1;
	return 0;
}

void tasks_free(struct tasks *ts)
{
	if (ts->t)
		for (uint32_t i = 0; i < ts->cap; i++) {
			buf_free(&ts->t[i].in);
			buf_free(&ts->t[i].out);
		}
	free(ts->t);
	free(ts->free_slots);
	free(ts->queue);
	free(ts->order);
	memset(ts, 0, sizeof *ts);
}

bool tasks_have_room(const struct tasks *ts, uint64_t seq)
{
	if (ts->nfree == 0)
		return false;
	return !ts->order || seq - ts->order_next < ts->cap;
}

uint32_t tasks_take(struct tasks *ts, uint64_t seq)
{
	uint32_t slot = ts->free_slots[--ts->nfree];
	struct task *t = &ts->t[slot];
	t->seq = seq;
	t->tries = 0;
	t->state = TASK_QUEUED;
	return slot;
}

void tasks_give_back(struct tasks *ts, uint32_t slot)
{
	struct task *t = &ts->t[slot];
	buf_trim(&t->in, KEEP_BYTES);
	buf_trim(&t->out, KEEP_BYTES);
	t->state = TASK_FREE;
	ts->free_slots[ts->nfree++] = slot;
}

void tasks_enqueue(struct tasks *ts, uint32_t slot)
{
	ts->queue[(ts->qhead + ts->qlen) % ts->cap] = slot;
	ts->qlen++;
	ts->t[slot].state = TASK_QUEUED;
}

void tasks_enqueue_front(struct tasks *ts, uint32_t slot)
{
	ts->qhead = (ts->qhead + ts->cap - 1) % ts->cap;
	ts->queue[ts->qhead] = slot;
	ts->qlen++;
	ts->t[slot].state = TASK_QUEUED;
}

uint32_t tasks_dequeue(struct tasks *ts)
{
	if (ts->qlen == 0)
		return TASK_NONE;
	uint32_t slot = ts->queue[ts->qhead];
	ts->qhead = (ts->qhead + 1) % ts->cap;
	ts->qlen--;
	return slot;
}

void tasks_order_mark(struct tasks *ts, uint64_t seq, uint32_t mark)
{
	ts->order[seq % ts->cap] = mark;
}

void tasks_order_advance(struct tasks *ts)
{
	ts->order[ts->order_next % ts->cap] = ORDER_EMPTY;
	ts->order_next++;
}

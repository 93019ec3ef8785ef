/* loadidx: see loadidx.h. List b holds the members whose load, capped at
 * max, is b; bits and top are kept in step with which lists are non-empty
 * by list_add() and list_drop() alone. */
#include "loadidx.h"

#include <stdlib.h>

int loadidx_init(struct loadidx *ix, unsigned max)
{
	if (max > LOADIDX_MAX)
		max = LOADIDX_MAX;
	size_t lists = (size_t)max + 1, words = (lists + 63) / 64;
	*ix = (struct loadidx){.max = max};
	ix->head = calloc(lists, sizeof *ix->head);
	ix->tail = calloc(lists, sizeof *ix->tail);
	ix->bits = calloc(words, sizeof *ix->bits);
	if (!ix->head || !ix->tail || !ix->bits) {
		loadidx_free(ix);
		return -1;
	}
	return 0;
}

void loadidx_free(struct loadidx *ix)
{
	free(ix->head);
	free(ix->tail);
	free(ix->bits);
	*ix = (struct loadidx){0};
}

static unsigned list_of(const struct loadidx *ix, unsigned load)
{
	return load < ix->max ? load : ix->max;
}

static void list_add(struct loadidx *ix, struct loadidx_node *x)
{
	unsigned b = list_of(ix, x->load);
	x->prev = ix->tail[b];
	x->next = NULL;
	if (x->prev)
		x->prev->next = x;
	else
		ix->head[b] = x;
	ix->tail[b] = x;
	ix->bits[b / 64] |= (uint64_t)1 << (b % 64);
	ix->top |= (uint64_t)1 << (b / 64);
	x->in = true;
	ix->count++;
}

static void list_drop(struct loadidx *ix, struct loadidx_node *x)
{
	unsigned b = list_of(ix, x->load);
	if (x->prev)
		x->prev->next = x->next;
	else
		ix->head[b] = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		ix->tail[b] = x->prev;
	if (!ix->head[b]) {
		ix->bits[b / 64] &= ~((uint64_t)1 << (b % 64));
		if (!ix->bits[b / 64])
			ix->top &= ~((uint64_t)1 << (b / 64));
	}
	x->prev = x->next = NULL;
	x->in = false;
	ix->count--;
}

void loadidx_set(struct loadidx *ix, struct loadidx_node *x, unsigned load)
{
	if (x->in)
		list_drop(ix, x);
	x->load = load;
	list_add(ix, x);
}

void loadidx_del(struct loadidx *ix, struct loadidx_node *x)
{
	if (x->in)
		list_drop(ix, x);
}

struct loadidx_node *loadidx_least(const struct loadidx *ix)
{
	if (!ix->top)
		return NULL;
	unsigned w = (unsigned)__builtin_ctzll(ix->top);
	unsigned b = w * 64 + (unsigned)__builtin_ctzll(ix->bits[w]);
	return ix->head[b];
}

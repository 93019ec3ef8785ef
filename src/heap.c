/* heap: see heap.h. The usual array heap, children of i at 2i+1 and 2i+2;
 * every move of a node goes through place(), which keeps its idx true. */
#include "heap.h"

#include <stdlib.h>

static void place(struct heap *h, uint32_t i, struct heap_node *x)
{
	h->a[i] = x;
	x->idx = i;
}

/* Move x up from i while its parent is later. */
static void sift_up(struct heap *h, uint32_t i, struct heap_node *x)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (h->a[parent]->at <= x->at)
			break;
		place(h, i, h->a[parent]);
		i = parent;
	}
	place(h, i, x);
}

/* Move x down from i while a child is earlier. */
static void sift_down(struct heap *h, uint32_t i, struct heap_node *x)
{
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->a[c + 1]->at < h->a[c]->at)
			c++;
		if (x->at <= h->a[c]->at)
			break;
		place(h, i, h->a[c]);
		i = c;
	}
	place(h, i, x);
}

/* Put x, already in the array at i, where its deadline belongs. */
static void settle(struct heap *h, uint32_t i, struct heap_node *x)
{
	if (i > 0 && h->a[(i - 1) / 2]->at > x->at)
		sift_up(h, i, x);
	else
		sift_down(h, i, x);
}

void heap_free(struct heap *h)
{
	free(h->a);
	*h = (struct heap)HEAP_INIT;
}

int heap_push(struct heap *h, struct heap_node *x, int64_t at)
{
	if (heap_has(x)) {
		heap_update(h, x, at);
		return 0;
	}
	if (h->n == h->cap) {
		if (h->cap > HEAP_NONE / 2)
			return -1; /* an idx must stay below HEAP_NONE */
		uint32_t cap = h->cap ? h->cap * 2 : 16;
		struct heap_node **a = realloc(h->a, (size_t)cap * sizeof *a);
		if (!a)
			return -1;
		h->a = a;
		h->cap = cap;
	}
	x->at = at;
	sift_up(h, h->n++, x);
	return 0;
}

void heap_update(struct heap *h, struct heap_node *x, int64_t at)
{
	if (!heap_has(x))
		return;
	x->at = at;
	settle(h, x->idx, x);
}

void heap_remove(struct heap *h, struct heap_node *x)
{
	if (!heap_has(x))
		return;
	uint32_t i = x->idx;
	struct heap_node *last = h->a[--h->n];
	x->idx = HEAP_NONE;
	if (last != x)
		settle(h, i, last);
}

struct heap_node *heap_top(const struct heap *h)
{
	return h->n ? h->a[0] : NULL;
}

struct heap_node *heap_pop(struct heap *h)
{
	struct heap_node *x = heap_top(h);
	if (x)
		heap_remove(h, x);
	return x;
}

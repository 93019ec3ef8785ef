/* heap: an indexed binary min-heap of deadlines, for timers whose cost does
 * not grow with their number. Pure: no I/O, no globals.
 *
 * Owners embed a struct heap_node (one per deadline they keep) and the heap
 * holds pointers to the nodes; each node knows its place in the heap, so
 * moving or removing any one of them is O(log n), and the nearest deadline
 * is O(1). The heap owns only its array, never the nodes. */
#ifndef PROCPOOL_HEAP_H
#define PROCPOOL_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HEAP_NONE UINT32_MAX

struct heap_node {
	int64_t at;   /* the deadline */
	void *owner;  /* whose it is; the heap never looks */
	uint32_t idx; /* its place in the heap, or HEAP_NONE */
};

struct heap {
	struct heap_node **a;
	uint32_t n, cap;
};

#define HEAP_INIT {NULL, 0, 0}

static inline void heap_node_init(struct heap_node *x, void *owner)
{
	*x = (struct heap_node){0, owner, HEAP_NONE};
}

static inline bool heap_has(const struct heap_node *x)
{
	return x->idx != HEAP_NONE;
}

/* Frees the array without touching the nodes, which may be gone already. */
void heap_free(struct heap *h);
/* Put x in at deadline at (moves it when it is in already): 0, or -1 when
 * out of memory (x is then left out). */
int heap_push(struct heap *h, struct heap_node *x, int64_t at);
/* Move x to deadline at; nothing when it is not in (see heap_push). */
void heap_update(struct heap *h, struct heap_node *x, int64_t at);
/* Take x out; nothing when it is not in. */
void heap_remove(struct heap *h, struct heap_node *x);
/* The node with the nearest deadline (ties in no set order), or NULL. */
struct heap_node *heap_top(const struct heap *h);
/* Take out and return the top, or NULL. */
struct heap_node *heap_pop(struct heap *h);

#endif

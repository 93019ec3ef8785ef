/* loadidx: workers indexed by load (tasks in flight), answering "which
 * eligible worker has the least load?" in O(1), so dispatch costs the same
 * at -j 1024 as at -j 2. Pure: no I/O, no globals.
 *
 * Eligibility is membership: the owner adds a worker when it may take
 * tasks and deletes it when it may not (starting, full, closing). Each load
 * has a list of the members at that load, and a two-level bitmap says which
 * lists are non-empty, so the least load is two find-first-set operations
 * away, and moving a member to any load (by one, as a task goes out or an
 * answer comes back, or by more) is O(1) too. Members of one load come out
 * in the order they reached it, so ties go round the workers in turn.
 * Loads at or above the index's maximum share its last list. */
#ifndef PROCPOOL_LOADIDX_H
#define PROCPOOL_LOADIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOADIDX_MAX 4095 /* the most loads one index can tell apart */

struct loadidx_node {
	struct loadidx_node *prev, *next;
	void *owner;   /* whose it is; the index never looks */
	unsigned load; /* as last set */
	bool in;
};

struct loadidx {
	struct loadidx_node **head, **tail; /* by list: one per load, to max */
	uint64_t *bits;                     /* bit l: list l is not empty */
	uint64_t top;                       /* bit w: bits[w] is not 0 */
	unsigned max;
	unsigned count; /* members */
};

static inline void loadidx_node_init(struct loadidx_node *x, void *owner)
{
	*x = (struct loadidx_node){NULL, NULL, owner, 0, false};
}

/* Loads 0..max told apart (max at most LOADIDX_MAX): 0, or -1 when out of
 * memory. */
int loadidx_init(struct loadidx *ix, unsigned max);
/* Frees the lists without touching the nodes. */
void loadidx_free(struct loadidx *ix);
/* Make x a member at load (moving it if it is one): it goes last among
 * those at that load. */
void loadidx_set(struct loadidx *ix, struct loadidx_node *x, unsigned load);
/* Take x out; nothing when it is not in. */
void loadidx_del(struct loadidx *ix, struct loadidx_node *x);
/* The member with the least load (the longest there among equals), or
 * NULL when there is none. */
struct loadidx_node *loadidx_least(const struct loadidx *ix);

#endif

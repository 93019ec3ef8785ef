/* slot: each live worker's slot number, unique among the live ones and the
 * lowest free when a worker starts, so a replacement takes the slot of the
 * worker it replaces once that one is gone. 0-based, as device indices are
 * (cuda:0, a NUMA node). Pure: no I/O. */
#ifndef PROCPOOL_SLOT_H
#define PROCPOOL_SLOT_H

#include <stdbool.h>
#include <stdint.h>

struct slots {
	uint64_t *words; /* bit k set: slot k is taken */
	unsigned nwords;
	unsigned lowest_free; /* no free slot below this */
};

void slots_init(struct slots *s);
void slots_free(struct slots *s);
/* Take the lowest free slot; -1 when out of memory. */
int slots_take(struct slots *s);
/* Give slot k back (its worker is gone). */
void slots_give(struct slots *s, unsigned k);
bool slots_taken(const struct slots *s, unsigned k);

#endif

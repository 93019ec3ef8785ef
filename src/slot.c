/* slot: the lowest-free slot table; see slot.h. A bitmap: taking scans from
 * the lowest free word, which a pool of -j workers keeps in a few words. */
#include "slot.h"

#include <stdlib.h>
#include <string.h>

void slots_init(struct slots *s)
{
	memset(s, 0, sizeof *s);
}

void slots_free(struct slots *s)
{
	free(s->words);
	slots_init(s);
}

int slots_take(struct slots *s)
{
	unsigned w = s->lowest_free / 64;
	while (w < s->nwords && s->words[w] == UINT64_MAX)
		w++;
	if (w == s->nwords) {
		unsigned n = s->nwords ? s->nwords * 2 : 1;
		uint64_t *words = realloc(s->words, n * sizeof *words);
		if (!words)
			return -1;
		memset(words + s->nwords, 0, (n - s->nwords) * sizeof *words);
		s->words = words;
		s->nwords = n;
	}
	unsigned bit = 0;
	while (s->words[w] >> bit & 1)
		bit++;
	s->words[w] |= (uint64_t)1 << bit;
	unsigned k = w * 64 + bit;
	s->lowest_free = k + 1;
	return (int)k;
}

void slots_give(struct slots *s, unsigned k)
{
	if (!slots_taken(s, k))
		return;
	s->words[k / 64] &= ~((uint64_t)1 << (k % 64));
	if (k < s->lowest_free)
		s->lowest_free = k;
}

bool slots_taken(const struct slots *s, unsigned k)
{
	return k / 64 < s->nwords && (s->words[k / 64] >> (k % 64) & 1);
}

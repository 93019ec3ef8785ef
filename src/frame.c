/* frame: record splitting; see frame.h. */
#include "frame.h"

#include <string.h>

void frame_init(struct framer *f, char sep, size_t max)
{
	f->sep = sep;
	f->max = max;
	f->skipping = false;
	f->scanned = 0;
}

enum frame_kind frame_next(struct framer *f, const char *p, size_t n, bool eof,
			   size_t *used, const char **rec, size_t *len)
{
	*used = 0;
	if (n == 0)
		return FRAME_MORE;
	if (f->skipping) {
		const char *end = memchr(p, f->sep, n);
		f->skipping = end == NULL;
		*used = end ? (size_t)(end - p) + 1 : n;
		return FRAME_SKIPPED;
	}
	size_t look = n <= f->max ? n : f->max + 1;
	const char *end = f->scanned < look ? memchr(p + f->scanned, f->sep, look - f->scanned) : NULL;
	if (end) {
		f->scanned = 0;
		*rec = p;
		*len = (size_t)(end - p);
		*used = *len + 1;
		return FRAME_RECORD;
	}
	f->scanned = look;
	if (n > f->max) {
		/* Nothing consumed: the next call skips from here. */
		f->skipping = true;
		f->scanned = 0;
		return FRAME_TOO_LONG;
	}
	if (eof) {
		f->scanned = 0;
		*rec = p;
		*len = n;
		*used = n;
		return FRAME_RECORD;
	}
	return FRAME_MORE;
}

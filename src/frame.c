/* frame: record splitting; see frame.h. */
#include "frame.h"

#include <string.h>

#include "b64scan.h"

void frame_init(struct framer *f, char sep, size_t max)
{
	f->sep = sep;
	f->max = max;
	f->skipping = false;
	f->scanned = 0;
	f->base64 = false;
	f->alpha = f->last_alpha = 0;
}

/* Where the separator ends the record at p, among p[0..look). */
static const char *find_end(struct framer *f, const char *p, size_t look)
{
	/* (A separator in the alphabet would be run through: memchr then.) */
	if (f->base64 && f->alpha == f->scanned && !b64scan_span(&f->sep, 1)) {
		f->alpha += b64scan_span(p + f->alpha, look - f->alpha);
		f->scanned = f->alpha;
		if (f->alpha < look && p[f->alpha] == f->sep)
			return p + f->alpha;
	}
	return f->scanned < look ? memchr(p + f->scanned, f->sep, look - f->scanned) : NULL;
}

/* The record at p, of len bytes, is returned: start the next. */
static enum frame_kind record(struct framer *f, const char *p, size_t len, const char **rec,
			      size_t *rlen)
{
	f->last_alpha = f->alpha < len ? f->alpha : len;
	f->alpha = f->scanned = 0;
	*rec = p;
	*rlen = len;
	return FRAME_RECORD;
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
	const char *end = find_end(f, p, look);
	if (end) {
		*used = (size_t)(end - p) + 1;
		return record(f, p, (size_t)(end - p), rec, len);
	}
	f->scanned = look;
	if (n > f->max) {
		/* Nothing consumed: the next call skips from here. */
		f->skipping = true;
		f->scanned = f->alpha = 0;
		return FRAME_TOO_LONG;
	}
	if (eof) {
		*used = n;
		return record(f, p, n, rec, len);
	}
	return FRAME_MORE;
}

/* frame: split an input byte stream into records. Pure: the caller owns the
 * bytes and the reading; this only decides where records end.
 *
 * A record ends at the separator byte; the last record of the input may lack
 * one. A record longer than max bytes is reported once as too long and its
 * bytes are skipped up to and including its separator, so memory stays
 * bounded by max whatever the input holds. */
#ifndef PROCPOOL_FRAME_H
#define PROCPOOL_FRAME_H

#include <stdbool.h>
#include <stddef.h>

struct framer {
	char sep;
	size_t max;    /* longest record accepted */
	bool skipping; /* inside a too-long record */
	size_t scanned; /* bytes of the unfinished record already looked at */
	/* Base64 records (set base64 after frame_init): the scan for the
	 * separator first runs through the record while it holds only base64
	 * alphabet characters, so that checking it need not look at those
	 * again. alpha: how many lead the unfinished record; last_alpha: the
	 * record last returned. */
	bool base64;
	size_t alpha, last_alpha;
};

enum frame_kind {
	FRAME_MORE,     /* need more bytes (or, at EOF, the input is done) */
	FRAME_SKIPPED,  /* consumed bytes of a too-long record; call again */
	FRAME_RECORD,   /* *rec, *len is a record */
	FRAME_TOO_LONG, /* a record longer than max starts here; call again */
};

void frame_init(struct framer *f, char sep, size_t max);

/* Look at the n unread bytes at p; eof says no more will come. Sets *used to
 * the bytes the caller must consume before the next call. The next call's
 * bytes must start with the ones left unread by this one (moved, perhaps,
 * and with more after them): a record that spans many reads is scanned
 * once, not again from its start at every call. */
enum frame_kind frame_next(struct framer *f, const char *p, size_t n, bool eof,
			   size_t *used, const char **rec, size_t *len);

#endif

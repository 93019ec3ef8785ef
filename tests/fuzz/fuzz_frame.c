/* fuzz_frame: frame_next over arbitrary bytes, chunking and max.
 *
 * Input: byte 0 picks the separator (and with bit 0x40, base64 mode, in
 * which each record must also say how many alphabet characters lead it),
 * byte 1 the longest record, byte 2 how the stream is cut into reads (0:
 * all at once, 1..127: 1 to 16 bytes, more: up to 1k); the rest is the
 * stream. The framer is driven the way input.c
 * drives it, each call seeing a fresh heap copy of exactly the unread bytes
 * (so ASan catches any read past them), and what it reports must match the
 * input split by hand: every record at its offset with its length, every
 * too-long record reported once and then skipped through its separator, and
 * nothing else. Any mismatch aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64scan.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct event {
	char kind; /* 'R' record, 'T' too long */
	size_t start, len;
};

#define FAIL(...) (fprintf(stderr, "fuzz_frame: " __VA_ARGS__), fputc('\n', stderr), abort())

/* The specification: split at each separator; a last piece without one
 * counts when not empty. Returns the number of events. */
static size_t reference(struct event *ev, const char *in, size_t n, char sep, size_t max)
{
	size_t k = 0;
	for (size_t start = 0; start < n;) {
		const char *e = memchr(in + start, sep, n - start);
		size_t len = e ? (size_t)(e - in) - start : n - start;
		ev[k++] = (struct event){len > max ? 'T' : 'R', start, len};
		start += len + 1;
	}
	return k;
}

static uint32_t next_chunk(uint32_t *state, uint32_t most)
{
	*state = *state * 1103515245u + 12345u;
	return 1 + (*state >> 16) % most;
}

/* Drive the framer; returns the number of events, aborts on a broken rule. */
static size_t drive(struct event *ev, const char *in, size_t n, char sep, size_t max,
		    uint8_t mode, bool b64)
{
	struct framer f;
	size_t k = 0, fed = 0, done = 0, limit = 4 * n + 16;
	uint32_t rng = mode;
	bool eof = false, skipping = false;

	frame_init(&f, sep, max);
	f.base64 = b64;
	for (size_t calls = 0;; calls++) {
		if (calls > limit)
			FAIL("no end after %zu calls", calls);
		size_t avail = fed - done, used = (size_t)-1, len = (size_t)-1;
		const char *rec = NULL;
		char *p = malloc(avail ? avail : 1);
		if (!p)
			abort();
		memcpy(p, in + done, avail);
		enum frame_kind kind = frame_next(&f, p, avail, eof, &used, &rec, &len);
		if (used > avail)
			FAIL("used %zu of %zu", used, avail);
		switch (kind) {
		case FRAME_RECORD:
			if (skipping || rec != p || len > max || len > avail)
				FAIL("bad record of %zu at %zu (max %zu, %zu unread)", len, done, max,
				     avail);
			if (used == len + 1 ? p[len] != sep : !(eof && used == len && len == avail))
				FAIL("record of %zu used %zu of %zu, eof %d", len, used, avail, eof);
			if (memchr(rec, sep, len))
				FAIL("separator inside a record at %zu", done);
			if (b64 && !b64scan_span(&sep, 1) && f.last_alpha != b64scan_span(rec, len))
				FAIL("record at %zu: %zu alphabet characters lead it, said %zu", done,
				     b64scan_span(rec, len), f.last_alpha);
			ev[k++] = (struct event){'R', done, len};
			break;
		case FRAME_TOO_LONG:
			if (skipping || used || avail <= max)
				FAIL("too long at %zu: used %zu of %zu, max %zu", done, used, avail, max);
			ev[k++] = (struct event){'T', done, 0};
			skipping = true;
			break;
		case FRAME_SKIPPED:
			if (!skipping || !used || (memchr(p, sep, used - 1)))
				FAIL("skipped %zu of %zu at %zu", used, avail, done);
			skipping = p[used - 1] != sep;
			ev[k - 1].len += used - !skipping;
			break;
		case FRAME_MORE:
			if (used || (eof && avail))
				FAIL("more with %zu unread at eof %d, used %zu", avail, eof, used);
			break;
		default:
			FAIL("unknown kind %d", (int)kind);
		}
		free(p);
		done += used;
		if (kind != FRAME_MORE)
			continue;
		if (eof)
			break;
		if (fed == n)
			eof = true;
		else if (mode == 0)
			fed = n;
		else {
			size_t c = next_chunk(&rng, mode < 128 ? mode % 16 + 1u : (mode % 16 + 1u) * 64);
			fed += c < n - fed ? c : n - fed;
		}
	}
	if (done != n)
		FAIL("consumed %zu of %zu", done, n);
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	char sep = data[0] % 3 == 0 ? '\n' : data[0] % 3 == 1 ? '\0' : (char)data[0];
	size_t max = data[1] == 255 ? SIZE_MAX : data[1] < 192 ? data[1] % 48 : (data[1] - 192u) * 64u;
	const char *in = (const char *)data + 3;
	size_t n = size - 3;

	struct event *want = malloc((n + 1) * sizeof *want), *got = malloc((n + 1) * sizeof *got);
	if (!want || !got)
		abort();
	size_t nwant = reference(want, in, n, sep, max);
	size_t ngot = drive(got, in, n, sep, max, data[2], data[0] & 0x40);
	for (size_t i = 0; i < nwant || i < ngot; i++) {
		if (i >= nwant || i >= ngot || want[i].kind != got[i].kind ||
		    want[i].start != got[i].start || want[i].len != got[i].len)
			FAIL("event %zu: expected %c %zu+%zu, got %c %zu+%zu (sep 0x%02x, max %zu)", i,
			     i < nwant ? want[i].kind : '-', i < nwant ? want[i].start : 0,
			     i < nwant ? want[i].len : 0, i < ngot ? got[i].kind : '-',
			     i < ngot ? got[i].start : 0, i < ngot ? got[i].len : 0,
			     (unsigned char)sep, max);
	}
	free(want);
	free(got);
	return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif

/* fuzz_base64: the codec over arbitrary bytes, taken both ways.
 *
 * As text: base64_check and base64_decode must agree, never read past the
 * text nor write past base64_decoded_max bytes (exact-size heap buffers, so
 * ASan sees it), report an offset inside the text (its end for a bad length),
 * and a text they accept must be the one encoding of what it decodes to.
 * As data: encoding then decoding gives the bytes back. Any mismatch
 * aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...) (fprintf(stderr, "fuzz_base64: " __VA_ARGS__), fputc('\n', stderr), abort())

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void as_text(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size);
	memcpy(text, data, size);
	size_t where = (size_t)-1, dmax = base64_decoded_max(size);
	const char *why = base64_check(text, size, &where);
	uint8_t *out = xmalloc(dmax);
	long got = base64_decode(out, text, size);

	if (why) {
		if (where > size || (size % 4 ? where != size : where == size))
			FAIL("\"%s\" at %zu in %zu bytes", why, where, size);
		if (!base64_check(text, size, NULL))
			FAIL("invalid with where, valid without");
		if (got != -1)
			FAIL("decoded %ld bytes of an invalid text (%s at %zu)", got, why, where);
	} else {
		if (where != (size_t)-1)
			FAIL("valid, yet where was set to %zu", where);
		size_t pad = size && text[size - 1] == '=' ? 1 + (text[size - 2] == '=') : 0;
		if (got < 0 || (size_t)got != dmax - pad)
			FAIL("valid %zu bytes with %zu '=' decoded to %ld", size, pad, got);
		char *again = xmalloc(base64_encoded_len((size_t)got));
		base64_encode(again, out, (size_t)got);
		if (base64_encoded_len((size_t)got) != size || memcmp(again, text, size))
			FAIL("valid text of %zu bytes is not the encoding of what it decodes to", size);
		free(again);
	}
	free(out);
	free(text);
}

static void as_data(const uint8_t *data, size_t size)
{
	size_t elen = base64_encoded_len(size);
	char *text = xmalloc(elen);
	base64_encode(text, data, size);
	size_t where = 0;
	const char *why = base64_check(text, elen, &where);
	if (why)
		FAIL("encoding of %zu bytes rejected: %s at %zu", size, why, where);
	uint8_t *back = xmalloc(base64_decoded_max(elen));
	long got = base64_decode(back, text, elen);
	if (got != (long)size || memcmp(back, data, size))
		FAIL("round trip of %zu bytes gave %ld", size, got);
	free(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_text(data, size);
	as_data(data, size);
	return 0;
}

#ifdef FUZZ_REPLAY
#include "replay.h"
#endif

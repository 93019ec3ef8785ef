/* Unit tests for frame.c: separators, the last record at EOF, empty records,
 * too-long records, and independence from how the input is chunked. */
#include <stdbool.h>

#include "frame.h"
#include "test.h"

/* A transcript of what the framer reported, in a form that compares with
 * memcmp: "R<len>:<bytes>" per record, "T" per too-long record. SKIPPED is
 * left out: how many times it comes depends on the chunking. */
struct transcript {
	char s[8192];
	size_t len;
	bool broken; /* an invariant failed; details went to stderr */
};

/* Note a record, or with rec NULL a too-long one. */
static void note(struct transcript *t, const char *rec, size_t n)
{
	if (t->len + n + 24 > sizeof t->s) {
		t->broken = true;
		return;
	}
	if (!rec) {
		t->s[t->len++] = 'T';
		return;
	}
	t->len += (size_t)sprintf(t->s + t->len, "R%zu:", n);
	memcpy(t->s + t->len, rec, n);
	t->len += n;
}

#define BREAK(t, ...) (test_failures++, (t)->broken = true, fflush(stdout), \
	fprintf(stderr, "%s:%d: FAILED ", __FILE__, __LINE__), fprintf(stderr, __VA_ARGS__), \
	fputc('\n', stderr))

/* Feed in[0..n) the way input.c does: the unread bytes, chunk by chunk
 * (chunk 0: random sizes 1..17), then EOF. Each call gets a fresh heap copy of
 * exactly the unread bytes, so a read past them trips ASan. */
static void frame_all(struct transcript *t, char sep, size_t max, const char *in, size_t n,
		      size_t chunk)
{
	struct framer f;
	size_t fed = 0, done = 0, calls = 0;
	bool eof = false, skipping = false;

	frame_init(&f, sep, max);
	t->len = 0;
	t->broken = false;
	while (calls++ < 4 * n + 100) {
		size_t avail = fed - done, used = 99, len = 0;
		const char *rec = NULL;
		char *p = malloc(avail ? avail : 1);
		memcpy(p, in + done, avail);
		enum frame_kind k = frame_next(&f, p, avail, eof, &used, &rec, &len);
		if (used > avail)
			BREAK(t, "used %zu of %zu bytes", used, avail);
		switch (k) {
		case FRAME_RECORD:
			if (skipping)
				BREAK(t, "record while skipping");
			if (rec != p || len > max || memchr(rec, sep, len))
				BREAK(t, "bad record: %p of %zu bytes, input at %p", (const void *)rec, len,
				      (void *)p);
			else if (used == len + 1 ? p[len] != sep : !(eof && used == avail && len == avail))
				BREAK(t, "record of %zu used %zu of %zu bytes", len, used, avail);
			note(t, rec, len);
			break;
		case FRAME_TOO_LONG:
			if (used != 0 || avail <= max || skipping)
				BREAK(t, "too long: used %zu of %zu, max %zu", used, avail, max);
			skipping = true;
			note(t, NULL, 0);
			break;
		case FRAME_SKIPPED:
			if (!skipping || used == 0)
				BREAK(t, "skipped %zu bytes outside a too-long record", used);
			skipping = used == 0 || p[used - 1] != sep;
			break;
		case FRAME_MORE:
			if (used != 0 || (eof && avail))
				BREAK(t, "more: used %zu, %zu unread at eof %d", used, avail, eof);
			break;
		}
		free(p);
		done += used < avail ? used : avail;
		if (k != FRAME_MORE)
			continue;
		if (eof)
			return;
		if (fed == n) {
			eof = true;
		} else {
			size_t c = chunk ? chunk : 1 + test_below(17);
			fed += c < n - fed ? c : n - fed;
		}
	}
	BREAK(t, "no end after %zu calls", calls);
}

/* The same input split by hand: the reference transcript. */
static void frame_reference(struct transcript *t, char sep, size_t max, const char *in, size_t n)
{
	t->len = 0;
	for (size_t start = 0; start < n;) {
		const char *e = memchr(in + start, sep, n - start);
		size_t len = e ? (size_t)(e - in) - start : n - start;
		if (len > max)
			note(t, NULL, 0);
		else
			note(t, in + start, len);
		start += len + 1;
	}
}

#define CHECK_FRAMES(sep, max, in, expected) do { \
	struct transcript t_; \
	for (size_t c_ = 0; c_ < 3; c_++) { \
		frame_all(&t_, (sep), (max), (in), sizeof(in) - 1, c_ ? c_ * 1000 - 999 : 0); \
		CHECK_MEM((expected), sizeof(expected) - 1, t_.s, t_.len); \
	} } while (0)

static void test_newline_records(void)
{
	CHECK_FRAMES('\n', 100, "a\nbb\nccc\n", "R1:aR2:bbR3:ccc");
	CHECK_FRAMES('\n', 100, "a\nbb\nccc", "R1:aR2:bbR3:ccc"); /* last one at EOF */
	CHECK_FRAMES('\n', 100, "a b\tc\r\n", "R6:a b\tc\r");
	CHECK_FRAMES('\n', 100, "x\0y\n", "R3:x\0y");
}

static void test_nul_records(void)
{
	CHECK_FRAMES('\0', 100, "a\0b\nc\0", "R1:aR3:b\nc");
	CHECK_FRAMES('\0', 100, "a\0\0b", "R1:aR0:R1:b");
}

static void test_empty_records(void)
{
	CHECK_FRAMES('\n', 100, "", "");
	CHECK_FRAMES('\n', 100, "\n", "R0:");
	CHECK_FRAMES('\n', 100, "\n\n", "R0:R0:");
	CHECK_FRAMES('\n', 100, "a\n\nb\n\n", "R1:aR0:R1:bR0:");
	CHECK_FRAMES('\n', 0, "\n\na\n\n", "R0:R0:TR0:");
}

static void test_last_record_only_at_eof(void)
{
	struct framer f;
	size_t used = 99, len = 0;
	const char *rec = NULL;

	frame_init(&f, '\n', 100);
	CHECK_INT(FRAME_MORE, frame_next(&f, "abc", 3, false, &used, &rec, &len));
	CHECK_UINT(0, used);
	CHECK_INT(FRAME_RECORD, frame_next(&f, "abc", 3, true, &used, &rec, &len));
	CHECK_MEM("abc", 3, rec, len);
	CHECK_UINT(3, used);
	CHECK_INT(FRAME_MORE, frame_next(&f, "", 0, true, &used, &rec, &len));
	CHECK_UINT(0, used);
	CHECK_INT(FRAME_MORE, frame_next(&f, NULL, 0, false, &used, &rec, &len));
	/* A separator at the very end leaves no empty record behind. */
	CHECK_INT(FRAME_RECORD, frame_next(&f, "ab\n", 3, true, &used, &rec, &len));
	CHECK_UINT(3, used);
	CHECK_INT(FRAME_MORE, frame_next(&f, "", 0, true, &used, &rec, &len));
}

static void test_too_long_then_skipped(void)
{
	struct framer f;
	size_t used = 99, len = 0;
	const char *rec = NULL;
	const char in[] = "abcdefg\nxy\n";

	frame_init(&f, '\n', 3);
	CHECK_INT(FRAME_TOO_LONG, frame_next(&f, in, 11, false, &used, &rec, &len));
	CHECK_UINT(0, used);
	CHECK_INT(FRAME_SKIPPED, frame_next(&f, in, 11, false, &used, &rec, &len));
	CHECK_UINT(8, used); /* through the separator */
	CHECK_INT(FRAME_RECORD, frame_next(&f, in + 8, 3, false, &used, &rec, &len));
	CHECK_MEM("xy", 2, rec, len);
	/* Skipping across reads: the tail of the long record comes later. */
	frame_init(&f, '\n', 3);
	CHECK_INT(FRAME_TOO_LONG, frame_next(&f, "abcd", 4, false, &used, &rec, &len));
	CHECK_INT(FRAME_SKIPPED, frame_next(&f, "abcd", 4, false, &used, &rec, &len));
	CHECK_UINT(4, used);
	CHECK_INT(FRAME_SKIPPED, frame_next(&f, "ef", 2, false, &used, &rec, &len));
	CHECK_UINT(2, used);
	CHECK_INT(FRAME_SKIPPED, frame_next(&f, "g\nxy\n", 5, false, &used, &rec, &len));
	CHECK_UINT(2, used);
	CHECK_INT(FRAME_RECORD, frame_next(&f, "xy\n", 3, false, &used, &rec, &len));
	CHECK_MEM("xy", 2, rec, len);
}

static void test_max_record(void)
{
	/* Exactly max bytes is fine, one more is too long, with or without EOF. */
	CHECK_FRAMES('\n', 3, "abc\nabcd\nxyz", "R3:abcTR3:xyz");
	CHECK_FRAMES('\n', 3, "ab\nabcdefgh\n\nq", "R2:abTR0:R1:q");
	CHECK_FRAMES('\n', 3, "ab\nabcdefgh", "R2:abT");
	CHECK_FRAMES('\n', 3, "abcd", "T");
	CHECK_FRAMES('\n', 3, "abc", "R3:abc");
	CHECK_FRAMES('\n', 3, "abcd\nabcd\n", "TT");
	CHECK_FRAMES('\0', 1, "xy\0z\0", "TR1:z");
	CHECK_FRAMES('\n', 0, "a", "T");
	/* A separator within reach of max bytes is found however long the rest. */
	CHECK_FRAMES('\n', 2, "a\nbcdefghijklmnopqrstuvwxyz", "R1:aT");
}

static void test_random_chunking(void)
{
	static const char syms[] = {'a', 'b', '\n', '\0'};
	char in[600];
	struct transcript whole, bytes, random, ref;

	for (int round = 0; round < 3000; round++) {
		size_t n = test_below(sizeof in);
		char sep = test_below(2) ? '\n' : '\0';
		size_t max = test_below(4) ? test_below(12) : test_below(1000);
		for (size_t i = 0; i < n; i++)
			in[i] = syms[test_below(round % 2 ? 4 : 3)];
		frame_reference(&ref, sep, max, in, n);
		frame_all(&whole, sep, max, in, n, n ? n : 1);
		frame_all(&bytes, sep, max, in, n, 1);
		frame_all(&random, sep, max, in, n, 0);
		CHECK_MEM(ref.s, ref.len, whole.s, whole.len);
		CHECK_MEM(ref.s, ref.len, bytes.s, bytes.len);
		CHECK_MEM(ref.s, ref.len, random.s, random.len);
		if (whole.broken || bytes.broken || random.broken || test_failures) {
			fprintf(stderr, "  input %s, sep 0x%02x, max %zu\n", test_esc(in, n), sep, max);
			return;
		}
	}
}

/* Base64 mode: the same records, however the bytes come, and for each the
 * alphabet characters it begins with. */
static void test_base64_alphabet(void)
{
	static const char in[] = "QUJD\nQU==\nab!c+/\n\nZm9v";
	static const size_t want_len[] = {4, 4, 6, 0, 4}, want_alpha[] = {4, 2, 2, 0, 4};
	for (size_t chunk = 1; chunk <= 6; chunk++) {
		struct framer f;
		frame_init(&f, '\n', 100);
		f.base64 = true;
		size_t done = 0, fed = 0, k = 0;
		for (int calls = 0; calls < 200 && k < 5; calls++) {
			bool eof = fed == sizeof in - 1;
			size_t used, len;
			const char *rec;
			enum frame_kind kind = frame_next(&f, in + done, fed - done, eof, &used, &rec, &len);
			done += used;
			if (kind == FRAME_RECORD) {
				CHECK_UINT(want_len[k], len);
				CHECK_UINT(want_alpha[k], f.last_alpha);
				k++;
			} else if (kind == FRAME_MORE) {
				fed += chunk < sizeof in - 1 - fed ? chunk : sizeof in - 1 - fed;
			}
		}
		CHECK_UINT(5, k);
	}
}

int main(void)
{
	test_seed(20240601);
	TEST_RUN(test_newline_records);
	TEST_RUN(test_nul_records);
	TEST_RUN(test_empty_records);
	TEST_RUN(test_last_record_only_at_eof);
	TEST_RUN(test_too_long_then_skipped);
	TEST_RUN(test_max_record);
	TEST_RUN(test_random_chunking);
	TEST_RUN(test_base64_alphabet);
	return TEST_REPORT();
}

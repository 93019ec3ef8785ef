/* Unit tests for base64.c: RFC 4648 vectors, round trips, strict rejection
 * and the offset and description base64_check reports; and b64scan.c's
 * alphabet spans. */
#include <stdbool.h>

#include "b64scan.h"
#include "base64.h"
#include "test.h"

static const char *const why_length = "length is not a multiple of 4";
static const char *const why_alphabet = "character outside the alphabet";
static const char *const why_padding = "padding before the end";
static const char *const why_bits = "non-zero bits after the last byte";

/* Decode text into a fresh buffer; return the length or -1. */
static long decode(const char *text, char *out)
{
	return base64_decode(out, text, strlen(text));
}

static void test_rfc4648_vectors(void)
{
	static const struct { const char *plain, *coded; } v[] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = strlen(v[i].plain);
		char enc[16] = "", dec[16] = "";
		CHECK_UINT(strlen(v[i].coded), base64_encoded_len(n));
		base64_encode(enc, v[i].plain, n);
		CHECK_MEM(v[i].coded, strlen(v[i].coded), enc, base64_encoded_len(n));
		CHECK_STR(NULL, base64_check(v[i].coded, strlen(v[i].coded), NULL));
		long got = decode(v[i].coded, dec);
		CHECK_INT((long)n, got);
		CHECK_MEM(v[i].plain, n, dec, got < 0 ? 0 : (size_t)got);
		CHECK(base64_decoded_max(strlen(v[i].coded)) >= n);
	}
}

static void test_all_bytes(void)
{
	unsigned char all[256], back[256];
	char enc[344];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	base64_encode(enc, all, sizeof all);
	CHECK_UINT(344, base64_encoded_len(256));
	CHECK_INT(256, base64_decode(back, enc, 344));
	CHECK_MEM(all, 256, back, 256);
	/* The encoding of these 48 bytes is the alphabet itself, in order. */
	static const unsigned char ramp[] = {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b,
		0x30, 0xd3, 0x8f, 0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9b, 0x71, 0xd7,
		0x9f, 0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf, 0xc3,
		0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf};
	char ramp_enc[64];
	base64_encode(ramp_enc, ramp, sizeof ramp);
	CHECK_MEM("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 64,
		  ramp_enc, 64);
	unsigned char ramp_back[48];
	CHECK_INT(48, base64_decode(ramp_back, ramp_enc, 64));
	CHECK_MEM(ramp, 48, ramp_back, 48);
}

static void test_random_round_trips(void)
{
	unsigned char src[300], back[300];
	char enc[400];
	for (int round = 0; round < 20; round++)
		for (size_t n = 0; n <= sizeof src; n++) {
			for (size_t i = 0; i < n; i++)
				src[i] = (unsigned char)test_rand();
			size_t elen = base64_encoded_len(n);
			memset(enc, '#', sizeof enc);
			base64_encode(enc, src, n);
			CHECK(elen == sizeof enc || enc[elen] == '#'); /* wrote no further */
			size_t where = 12345;
			CHECK_STR(NULL, base64_check(enc, elen, &where));
			CHECK_UINT(12345, where); /* untouched when valid */
			long got = base64_decode(back, enc, elen);
			CHECK_INT((long)n, got);
			CHECK_MEM(src, n, back, got < 0 ? 0 : (size_t)got);
			CHECK(base64_decoded_max(elen) >= n && base64_decoded_max(elen) < n + 3);
		}
}

/* One bad text: its description and offset, and decode refusing it. */
static void expect_bad(const char *text, const char *why, size_t at, int line)
{
	char out[64];
	size_t where = (size_t)-1;
	const char *got = base64_check(text, strlen(text), &where);
	if (!got || strcmp(got, why) || where != at) {
		test_failures++;
		fflush(stdout);
		fprintf(stderr, "%s:%d: FAILED base64_check(\"%s\"): expected \"%s\" at %zu, "
			"got \"%s\" at %zu\n", __FILE__, line, test_esc(text, strlen(text)), why, at,
			got ? got : "(null)", where);
	}
	test_checks++;
	CHECK_INT(-1, base64_decode(out, text, strlen(text)));
	CHECK(base64_check(text, strlen(text), NULL) != NULL); /* where may be NULL */
}
#define EXPECT_BAD(text, why, at) expect_bad(text, why, at, __LINE__)

static void test_rejects_bad_length(void)
{
	EXPECT_BAD("Z", why_length, 1);
	EXPECT_BAD("Zg", why_length, 2);
	EXPECT_BAD("Zg=", why_length, 3);
	EXPECT_BAD("Zm9vY", why_length, 5);
	EXPECT_BAD("Zg===", why_length, 5);
}

static void test_rejects_outside_alphabet(void)
{
	EXPECT_BAD("Zm9v!mFy", why_alphabet, 4);
	EXPECT_BAD("Zm-v", why_alphabet, 2);       /* base64url is not accepted */
	EXPECT_BAD("Zm9_", why_alphabet, 3);
	EXPECT_BAD("Zm9vYmF\n", why_alphabet, 7);
	EXPECT_BAD(" Zm9", why_alphabet, 0);
	EXPECT_BAD("Zm9vYmE\x80", why_alphabet, 7);
	EXPECT_BAD("Z.==", why_alphabet, 1);
	static const char nul[] = "Zm\0v";
	size_t where = 0;
	CHECK_STR(why_alphabet, base64_check(nul, 4, &where));
	CHECK_UINT(2, where);
}

static void test_rejects_misplaced_padding(void)
{
	EXPECT_BAD("====", why_padding, 0);
	EXPECT_BAD("Z===", why_padding, 1);        /* more than two '=' */
	EXPECT_BAD("Zg==Zm8=", why_padding, 2);    /* padding in the middle */
	EXPECT_BAD("Zm8=Zm8=", why_padding, 3);
	EXPECT_BAD("Zg=A", why_padding, 2);
	EXPECT_BAD("Z=9v", why_padding, 1);
	EXPECT_BAD("=m9v", why_padding, 0);
	/* The first bad byte is reported, whatever follows it. */
	EXPECT_BAD("Zg=.", why_padding, 2);
	EXPECT_BAD("!=m9", why_alphabet, 0);
}

static void test_rejects_trailing_bits(void)
{
	EXPECT_BAD("Zh==", why_bits, 1);  /* 'h' = 33: low 4 bits set */
	EXPECT_BAD("Zm9=", why_bits, 2);  /* '9' = 61: low 2 bits set */
	EXPECT_BAD("Zm9vYh==", why_bits, 5);
	char out[4];
	CHECK_INT(1, decode("Zg==", out)); /* 'g' = 32: the low 4 bits are zero */
	CHECK_INT(2, decode("Zm8=", out));
	/* Exactly one of the 16 (resp. 4) last symbols is canonical per value. */
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int ok1 = 0, ok2 = 0;
	for (int i = 0; i < 64; i++) {
		char one[] = {'Q', alphabet[i], '=', '='}, two[] = {'Q', 'Q', alphabet[i], '='};
		ok1 += base64_check(one, 4, NULL) == NULL;
		ok2 += base64_check(two, 4, NULL) == NULL;
		CHECK((base64_check(one, 4, NULL) == NULL) == (i % 16 == 0));
		CHECK((base64_check(two, 4, NULL) == NULL) == (i % 4 == 0));
	}
	CHECK_INT(4, ok1);
	CHECK_INT(16, ok2);
}

/* The specification of base64_check, written the slow and obvious way: the
 * first byte that is neither an alphabet character nor final padding, else
 * the symbol holding non-zero unused bits. */
static const char *reference_check(const char *s, size_t n, size_t *where)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (n % 4)
		return *where = n, why_length;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=') {
			if (i + 2 < n || (i + 2 == n && s[n - 1] != '='))
				return *where = i, why_padding;
		} else if (!s[i] || !strchr(alphabet, s[i])) {
			return *where = i, why_alphabet;
		}
	}
	size_t pad = n && s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
	if (pad) {
		size_t last = n - pad - 1;
		int v = (int)(strchr(alphabet, s[last]) - alphabet);
		if (v & (pad == 2 ? 15 : 3))
			return *where = last, why_bits;
	}
	return NULL;
}

/* Every 4-symbol text over a few representative bytes, alone and after a
 * valid quad, against the reference: that covers each branch of the
 * last-quad checks, and the body loop. */
static void test_check_matches_reference(void)
{
	static const char sym[] = {'A', 'Q', 'g', 'B', '=', '!', '\0'};
	enum { NSYM = sizeof sym };
	int shown = 0;
	for (int k = 0; k < NSYM * NSYM * NSYM * NSYM; k++) {
		char text[8] = {'Z', 'm', '9', 'v'};
		for (int j = 0, r = k; j < 4; j++, r /= NSYM)
			text[4 + j] = sym[r % NSYM];
		for (size_t skip = 0; skip <= 4; skip += 4) {
			const char *t = text + skip;
			size_t n = 8 - skip, got_at = (size_t)-1, exp_at = (size_t)-1;
			const char *got = base64_check(t, n, &got_at);
			const char *exp = reference_check(t, n, &exp_at);
			test_checks++;
			if (!got != !exp || (exp && (strcmp(got, exp) || got_at != exp_at))) {
				test_failures++;
				fflush(stdout);
				if (shown++ < 10)
					fprintf(stderr, "%s:%d: FAILED base64_check(\"%s\"): expected "
						"\"%s\" at %zu, got \"%s\" at %zu\n", __FILE__, __LINE__,
						test_esc(t, n), exp ? exp : "(valid)", exp ? exp_at : 0,
						got ? got : "(valid)", got ? got_at : 0);
			}
			char out[8];
			CHECK_INT(exp ? -1 : (long)(n / 4 * 3 - (t[n - 1] == '=') - (t[n - 2] == '=')),
				  base64_decode(out, t, n));
		}
	}
	if (shown > 10)
		fprintf(stderr, "... and %d more mismatches\n", shown - 10);
}

/* b64scan_span, vectorised, against a byte-at-a-time reference: every byte
 * value at every position of texts of every length up to 300 (the blocks
 * of 128 and 32 with AVX2, of 64 and 16 with SSE2, and the tail), each on
 * an odd address (unaligned loads). */
static void test_span_matches_reference(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char buf[320];
	for (int c = 0; c < 256; c++) {
		bool good = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '+' || c == '/';
		for (size_t n = 1; n <= 300; n += n < 70 ? 1 : n < 140 ? 3 : 13)
			for (size_t at = 0; at < n; at++) {
				char *t = buf + 1;
				for (size_t i = 0; i < n; i++)
					t[i] = alphabet[(i * 7 + n) % 64];
				t[at] = (char)c;
				CHECK_UINT(good ? n : at, b64scan_span(t, n));
			}
	}
	CHECK_UINT(0, b64scan_span(buf, 0));
}

int main(void)
{
	test_seed(4648);
	TEST_RUN(test_rfc4648_vectors);
	TEST_RUN(test_all_bytes);
	TEST_RUN(test_random_round_trips);
	TEST_RUN(test_rejects_bad_length);
	TEST_RUN(test_rejects_outside_alphabet);
	TEST_RUN(test_rejects_misplaced_padding);
	TEST_RUN(test_rejects_trailing_bits);
	TEST_RUN(test_check_matches_reference);
	TEST_RUN(test_span_matches_reference);
	return TEST_REPORT();
}

/* Unit tests for json.c: exact renderings of what is kept and what is
 * escaped; every byte alone and every pair of bytes read back exactly
 * through an independent strict parser (json_parse.h), as a string when it
 * is valid UTF-8 and in base64 when it is not; every kind of invalid UTF-8;
 * long strings; numbers; and a failed append leaving the buffer as it was. */
#include <errno.h>
#include <stdbool.h>

#include "base64.h"
#include "json.h"
#include "json_parse.h"
#include "test.h"

static struct buf out = BUF_INIT;

/* {"v":...} of json_text or json_bytes on s[0..n), NUL-terminated in out. */
static const char *one(bool bytes, const char *s, size_t n)
{
	struct json j;
	out.len = 0;
	json_begin(&j, &out);
	if (bytes)
		json_bytes(&j, "v", s, n);
	else
		json_text(&j, "v", s, n);
	CHECK_INT(0, json_end(&j));
	buf_append(&out, "", 1);
	out.len--;
	return buf_head(&out);
}

static void check_text(const char *in, size_t n, const char *want, int line)
{
	char expect[256];
	snprintf(expect, sizeof expect, "{\"v\":%s}", want);
	const char *got = one(false, in, n);
	test_checks++;
	if (strcmp(got, expect) != 0) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED json_text(\"%s\"): expected %s, got %s\n", __FILE__,
			line, test_esc(in, n), test_esc(expect, strlen(expect)),
			test_esc(got, strlen(got)));
	}
}
#define TEXT(in, want) check_text(in, sizeof in - 1, want, __LINE__)

/* The bytes json_bytes wrote for s[0..n) as read back by the parser: the
 * string when "v" is one, else base64 "v_base64" decoded. Sets *as_text. */
static size_t read_back(const char *s, size_t n, char *dst, bool *as_text)
{
	struct jp_object o;
	const char *text = one(true, s, n);
	if (jp_parse(text, out.len, &o) < 0) {
		TEST_FAIL_("parsing %s: %s at %zu", test_esc(text, out.len), o.why, o.at);
		jp_free(&o);
		return (size_t)-1;
	}
	const struct jp_member *v = jp_get(&o, "v"), *b = jp_get(&o, "v_base64");
	size_t len = (size_t)-1;
	CHECK(o.n == 2 && v && b);
	if (o.n == 2 && v && b) {
		*as_text = v->type == JP_STRING;
		CHECK(*as_text ? b->type == JP_NULL : v->type == JP_NULL && b->type == JP_STRING);
		if (*as_text) {
			memcpy(dst, v->val, v->len);
			len = v->len;
		} else if (b->type == JP_STRING) {
			len = (size_t)base64_decode(dst, b->val, b->len);
		}
	}
	jp_free(&o);
	return len;
}

/* s[0..n) survives json_bytes exactly, as text exactly when it is UTF-8. */
static bool round_trips(const char *s, size_t n)
{
	static char back[1 << 16];
	bool as_text = false;
	size_t len = read_back(s, n, back, &as_text);
	bool ok = len == n && memcmp(back, s, n) == 0 && as_text == jp_is_utf8(s, n);
	test_checks++;
	if (!ok)
		TEST_FAIL_("json_bytes(\"%s\") read back as %s \"%s\"", test_esc(s, n),
			   as_text ? "text" : "base64", len == (size_t)-1 ? "?" : test_esc(back, len));
	return ok;
}

static void test_ascii(void)
{
	TEXT("", "\"\"");
	TEXT("hello, world", "\"hello, world\"");
	TEXT(" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~", "\" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\"");
	TEXT("say \"hi\"", "\"say \\\"hi\\\"\"");
	TEXT("back\\slash/", "\"back\\\\slash/\"");
	TEXT("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	TEXT("\0", "\"\\u0000\"");
	TEXT("a\0b", "\"a\\u0000b\"");
	TEXT("\x01\x1b[31m\x1f", "\"\\u0001\\u001b[31m\\u001f\"");
	TEXT("\v\a", "\"\\u000b\\u0007\"");
	TEXT("\x7f", "\"\\u007f\"");
}

static void test_utf8(void)
{
	TEXT("caf\xc3\xa9", "\"caf\xc3\xa9\"");            /* é stays as it is */
	TEXT("\xc2\xa0", "\"\xc2\xa0\"");                  /* U+00A0, after C1 */
	TEXT("\xe2\x82\xac", "\"\xe2\x82\xac\"");          /* € */
	TEXT("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");  /* emoji, 4 bytes */
	TEXT("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");  /* U+10FFFF */
	TEXT("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");          /* U+FFFD itself */
	TEXT("\xe2\x80\x8f\xe2\x80\xae", "\"\xe2\x80\x8f\xe2\x80\xae\""); /* bidi: valid JSON */
	TEXT("\xc2\x80\xc2\x85\xc2\x9f", "\"\\u0080\\u0085\\u009f\"");   /* C1 controls */
	TEXT("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");          /* line, paragraph sep */
	TEXT("\xe2\x80\xa7\xe2\x80\xaa", "\"\xe2\x80\xa7\xe2\x80\xaa\""); /* their neighbours */
}

/* json_text: each byte outside valid UTF-8 is one U+FFFD. */
static void test_text_invalid(void)
{
	TEXT("\x80", "\"\\ufffd\"");
	TEXT("a\xff" "b", "\"a\\ufffdb\"");
	TEXT("\xc0\x80", "\"\\ufffd\\ufffd\"");              /* overlong NUL */
	TEXT("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");   /* surrogate */
	TEXT("\xe2\x82", "\"\\ufffd\\ufffd\"");              /* truncated at the end */
	TEXT("\xe2\x82z", "\"\\ufffd\\ufffdz\"");            /* truncated in the middle */
	TEXT("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
	TEXT("\xc3\xa9\xe9", "\"\xc3\xa9\\ufffd\"");         /* Latin-1 after UTF-8 */
	CHECK_STR("{\"v\":null}", one(false, NULL, 0));
}

/* json_bytes: the string, or null and base64; null and null for NULL. */
static void test_bytes_forms(void)
{
	CHECK_STR("{\"v\":\"a\\nb\",\"v_base64\":null}", one(true, "a\nb", 3));
	CHECK_STR("{\"v\":\"\",\"v_base64\":null}", one(true, "", 0));
	CHECK_STR("{\"v\":null,\"v_base64\":\"/w==\"}", one(true, "\xff", 1));
	CHECK_STR("{\"v\":null,\"v_base64\":\"YcOp6Q==\"}", one(true, "a\xc3\xa9\xe9", 4));
	CHECK_STR("{\"v\":null,\"v_base64\":null}", one(true, NULL, 0));
}

static void test_every_byte(void)
{
	for (int c = 0; c < 256; c++) {
		char s[1] = {(char)c};
		round_trips(s, 1);
		/* Alone, a byte from 0x80 up is never UTF-8. */
		const char *t = one(false, s, 1);
		if (c >= 0x80)
			CHECK_STR("{\"v\":\"\\ufffd\"}", t);
		char run[300];
		memset(run, c, sizeof run);
		round_trips(run, sizeof run);
	}
}

static void test_every_pair(void)
{
	int bad = 0;
	for (int a = 0; a < 256; a++)
		for (int b = 0; b < 256; b++) {
			char s[4] = {(char)a, (char)b, 'x', (char)a};
			bad += !round_trips(s, 2) + !round_trips(s, 4);
		}
	CHECK_INT(0, bad);
}

/* Every kind of invalid UTF-8, alone and inside text: base64, exactly. */
static void test_invalid_kinds(void)
{
	static const char *const bad[] = {
		"\x80", "\xbf", "\x80\x80",                   /* stray continuation bytes */
		"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", /* overlong */
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\x80\xed\xb0\x80", /* surrogates, a pair */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
		"\xc3", "\xe2\x82", "\xf0\x9f\x98",           /* truncated */
		"\xc3z", "\xe2z\xac", "\xf0\x9f\x98z",        /* cut by another byte */
		"\xe9t\xe9",                                  /* Latin-1 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char s[64];
		size_t n = strlen(bad[i]);
		CHECK(!jp_is_utf8(bad[i], n));
		round_trips(bad[i], n);
		int m = snprintf(s, sizeof s, "ok \xc3\xa9 %s \"\n\\", bad[i]);
		round_trips(s, (size_t)m);
	}
}

/* Random byte strings built of UTF-8 pieces, valid and not. */
static size_t random_text(char *s, size_t n)
{
	static const char *const piece[] = {"a", "\"", "\\", "\n", "\0", "\x7f", "\xc3\xa9",
					    "\xc2\x85", "\xe2\x80\xa8", "\xe2\x82\xac",
					    "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf",
					    "\xe2\x82", "\x80", "\xff"};
	static const size_t plen[] = {1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 3, 2, 2, 1, 1};
	size_t o = 0;
	while (o + 4 <= n) {
		size_t k = test_below(sizeof plen / sizeof plen[0]);
		memcpy(s + o, piece[k], plen[k]);
		o += plen[k];
	}
	return o;
}

static void test_random(void)
{
	static char s[4096];
	int bad = 0, valid = 0;
	for (int i = 0; i < 3000; i++) {
		size_t n = random_text(s, 4 + test_below(i % 10 ? 40 : sizeof s - 4));
		valid += jp_is_utf8(s, n);
		bad += !round_trips(s, n);
	}
	CHECK_INT(0, bad);
	CHECK(valid > 100); /* both forms were exercised */
}

/* 16 MiB: every byte of it back, as text, then as base64 once one byte is
 * not UTF-8; the output is exactly as long as measured. */
static void test_long(void)
{
	size_t n = 16u << 20;
	char *s = malloc(n);
	for (size_t i = 0; i < n; i += 4)
		memcpy(s + i, i % 64 ? "\xe2\x82\xac" "a" : "\n\"\\\x01", 4);
	struct jp_object o;
	one(true, s, n);
	CHECK_INT(0, jp_parse(buf_head(&out), out.len, &o));
	const struct jp_member *v = jp_get(&o, "v");
	CHECK(v && v->type == JP_STRING && v->len == n && memcmp(v->val, s, n) == 0);
	/* 4 bytes become 4 but one in 16 fours becomes \n\"\\\u0001: 2+2+2+6 */
	CHECK_UINT(strlen("{\"v\":\"\",\"v_base64\":null}") + n + n / 64 * 8, out.len);
	jp_free(&o);
	s[n - 1] = '\xff';
	one(true, s, n);
	CHECK_INT(0, jp_parse(buf_head(&out), out.len, &o));
	const struct jp_member *b = jp_get(&o, "v_base64");
	char *back = malloc(n);
	CHECK(b && b->type == JP_STRING && base64_decode(back, b->val, b->len) == (long)n &&
	      memcmp(back, s, n) == 0);
	jp_free(&o);
	free(back);
	free(s);
}

static const char *numbers(void (*fn)(struct json *, const char *, int64_t), int64_t v)
{
	struct json j;
	out.len = 0;
	json_begin(&j, &out);
	fn(&j, "n", v);
	json_end(&j);
	buf_append(&out, "", 1);
	return buf_head(&out);
}

static void ms(struct json *j, const char *key, int64_t ns) { json_seconds(j, key, ns, 3); }
static void us(struct json *j, const char *key, int64_t ns) { json_seconds(j, key, ns, 6); }
static void ns9(struct json *j, const char *key, int64_t ns) { json_seconds(j, key, ns, 9); }
static void whole(struct json *j, const char *key, int64_t ns) { json_seconds(j, key, ns, 0); }
static void uint_(struct json *j, const char *key, int64_t v) { json_uint(j, key, (uint64_t)v); }

static void test_numbers(void)
{
	CHECK_STR("{\"n\":0}", numbers(json_int, 0));
	CHECK_STR("{\"n\":-42}", numbers(json_int, -42));
	CHECK_STR("{\"n\":9223372036854775807}", numbers(json_int, INT64_MAX));
	CHECK_STR("{\"n\":-9223372036854775808}", numbers(json_int, INT64_MIN));
	CHECK_STR("{\"n\":18446744073709551615}", numbers(uint_, -1));
	CHECK_STR("{\"n\":1700000000.123}", numbers(ms, 1700000000123999999));
	CHECK_STR("{\"n\":0.000}", numbers(ms, 999999));
	CHECK_STR("{\"n\":0.000}", numbers(ms, -999999)); /* no "-0.000" */
	CHECK_STR("{\"n\":-1.500}", numbers(ms, -1500000000));
	CHECK_STR("{\"n\":0.000123}", numbers(us, 123456));
	CHECK_STR("{\"n\":12.000001}", numbers(us, 12000001999));
	CHECK_STR("{\"n\":1.000000001}", numbers(ns9, 1000000001));
	CHECK_STR("{\"n\":-9223372036.854775808}", numbers(ns9, INT64_MIN));
	CHECK_STR("{\"n\":-9223372036}", numbers(whole, INT64_MIN));
	CHECK_STR("{\"n\":3}", numbers(whole, 3999999999));
	struct jp_object o;
	CHECK_INT(0, jp_parse(buf_head(&out), out.len - 1, &o)); /* a JSON number */
	jp_free(&o);
}

/* Members: commas between, none after "{"; a failed append takes the
 * buffer back to what came before the object. */
static void test_object(void)
{
	struct json j;
	out.len = 0;
	json_begin(&j, &out);
	CHECK_INT(0, json_end(&j));
	CHECK_MEM("{}", 2, buf_head(&out), out.len);
	out.len = 0;
	buf_append(&out, "before\n", 7);
	json_begin(&j, &out);
	json_uint(&j, "seq", 7);
	json_null(&j, "error");
	json_text(&j, "host", ":", 1);
	CHECK_INT(0, json_end(&j));
	const char *want = "before\n{\"seq\":7,\"error\":null,\"host\":\":\"}";
	CHECK_MEM(want, strlen(want), buf_head(&out), out.len);

	out.len = 7;
	json_begin(&j, &out);
	json_uint(&j, "seq", 8);
	/* Too long to measure: never read, the writer only fails. */
	json_bytes(&j, "input", "", SIZE_MAX / 4);
	json_uint(&j, "attempts", 1);
	errno = 0;
	CHECK_INT(-1, json_end(&j));
	CHECK_INT(ENOMEM, errno);
	CHECK_MEM("before\n", 7, buf_head(&out), out.len);
}

int main(void)
{
	test_seed(20240601);
	TEST_RUN(test_ascii);
	TEST_RUN(test_utf8);
	TEST_RUN(test_text_invalid);
	TEST_RUN(test_bytes_forms);
	TEST_RUN(test_every_byte);
	TEST_RUN(test_every_pair);
	TEST_RUN(test_invalid_kinds);
	TEST_RUN(test_random);
	TEST_RUN(test_long);
	TEST_RUN(test_numbers);
	TEST_RUN(test_object);
	buf_free(&out);
	return TEST_REPORT();
}

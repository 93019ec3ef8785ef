/* Unit tests for output.c's --json rendering (output_json_result): one
 * exact line per task, read back through the strict parser of
 * json_parse.h; records and answers decoded from base64 when they travel
 * in it (-b, -w base64), and JSON lines whatever the separator. */
#include <stdbool.h>
#include <unistd.h>

#include "base64.h"
#include "json_parse.h"
#include "output.h"
#include "test.h"

static char path[] = "/tmp/test_output.XXXXXX";
static struct output o;
static char *text;   /* what the last run wrote */
static size_t text_len;

static void start(char sep, bool b64_io, enum wire wire)
{
	struct config c;
	memset(&c, 0, sizeof c);
	c.sep = sep;
	c.base64_io = b64_io;
	c.wire = wire;
	int fd = mkstemp(path);
	output_init(&o, fd, &c);
}

/* Flush, read back what was written, and compare with the count queued. */
static void finish(void)
{
	CHECK_INT(1, output_flush(&o));
	free(text);
	text = malloc(o.written + 1);
	text_len = (size_t)pread(o.fd, text, o.written + 1, 0);
	text[text_len] = '\0';
	CHECK_UINT(o.queued, text_len);
	CHECK_UINT(o.written, text_len);
	close(o.fd);
	unlink(path);
	output_free(&o);
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
}

static struct result_fields ok_task(uint64_t seq, const char *rec, const char *ans)
{
	return (struct result_fields){seq, rec, strlen(rec), ans, strlen(ans), NULL, 0, 1, 1,
				      4242, 1700000000123456789, 1234567, NULL};
}

/* The n-th line (from 0) of the output, parsed into *p. */
static bool line(int n, struct jp_object *p)
{
	char *s = text, *nl;
	for (int k = 0; k < n && (nl = strchr(s, '\n')); k++)
		s = nl + 1;
	nl = strchr(s, '\n');
	if (!nl || jp_parse(s, (size_t)(nl - s), p) < 0) {
		TEST_FAIL_("line %d of %s: %s", n, test_esc(text, text_len), nl ? p->why : "missing");
		return false;
	}
	return true;
}

/* Member key of line n is the string want[0..wlen), or null when want is NULL. */
static void check_member(int n, const char *key, const char *want, size_t wlen, int at)
{
	struct jp_object p;
	if (!line(n, &p))
		return;
	const struct jp_member *m = jp_get(&p, key);
	test_checks++;
	if (!m || (want ? m->type != JP_STRING || m->len != wlen || memcmp(m->val, want, wlen)
			: m->type != JP_NULL))
		TEST_FAIL_("line %d (test_output.c:%d): %s is %s, expected %s", n, at, key,
			   !m ? "missing" : m->type == JP_NULL ? "null" : test_esc(m->val, m->len),
			   want ? test_esc(want, wlen) : "null");
	jp_free(&p);
}
#define MEMBER(n, key, want) check_member(n, key, want, sizeof want - 1, __LINE__)
#define NULL_MEMBER(n, key) check_member(n, key, NULL, 0, __LINE__)

static void test_ok_and_failed(void)
{
	start('\n', false, WIRE_LINE);
	struct result_fields r = ok_task(1, "h\xc3\xa9llo", "H\xc3\x89LLO");
	CHECK_INT(0, output_json_result(&o, &r));
	r = (struct result_fields){2, "crash", 5, NULL, 0, "worker 4243 killed by signal SIGSEGV",
				   36, 2, 3, 4243, 1700000001000000000, 2000000, "h1"};
	CHECK_INT(0, output_json_result(&o, &r));
	/* Failed before any worker took it: no slot, no pid. */
	r = (struct result_fields){3, "a\nb", 3, NULL, 0, "task contains a newline", 23, 0, 0, 0,
				   1700000002000000000, 0, NULL};
	CHECK_INT(0, output_json_result(&o, &r));
	finish();
	CHECK_STR("{\"seq\":1,\"status\":\"ok\",\"error\":null,\"attempts\":1,\"slot\":1,"
		  "\"pid\":4242,\"host\":\":\",\"start\":1700000000.123,\"runtime\":0.001234,"
		  "\"input\":\"h\xc3\xa9llo\",\"input_base64\":null,"
		  "\"output\":\"H\xc3\x89LLO\",\"output_base64\":null}\n"
		  "{\"seq\":2,\"status\":\"failed\",\"error\":\"worker 4243 killed by signal "
		  "SIGSEGV\",\"attempts\":2,\"slot\":3,\"pid\":4243,\"host\":\"h1\","
		  "\"start\":1700000001.000,\"runtime\":0.002000,\"input\":\"crash\","
		  "\"input_base64\":null,\"output\":null,\"output_base64\":null}\n"
		  "{\"seq\":3,\"status\":\"failed\",\"error\":\"task contains a newline\","
		  "\"attempts\":0,\"slot\":null,\"pid\":null,\"host\":\":\",\"start\":1700000002.000,"
		  "\"runtime\":0.000000,\"input\":\"a\\nb\",\"input_base64\":null,\"output\":null,"
		  "\"output_base64\":null}\n",
		  text);
}

/* -b: the record and the answer are decoded; bytes that are not UTF-8 come
 * back in base64 (the same line, since base64 is canonical), the rest as
 * strings. A record that is not valid base64 shows as read. */
static void test_base64_io(void)
{
	char all[256], all64[base64_encoded_len(256) + 1];
	for (int c = 0; c < 256; c++)
		all[c] = (char)c;
	base64_encode(all64, all, 256);
	all64[sizeof all64 - 1] = '\0';
	start('\n', true, WIRE_BASE64);
	struct result_fields r = ok_task(1, all64, "//4=");
	output_json_result(&o, &r);
	r = ok_task(2, "aGk=", "SEk=");
	output_json_result(&o, &r);
	r = ok_task(3, "", "");
	output_json_result(&o, &r);
	r = (struct result_fields){4, "not base64!", 11, NULL, 0, "invalid base64", 14, 0, 0, 0, 0,
				   0, NULL};
	output_json_result(&o, &r);
	finish();
	NULL_MEMBER(0, "input");
	check_member(0, "input_base64", all64, strlen(all64), __LINE__);
	NULL_MEMBER(0, "output");
	MEMBER(0, "output_base64", "//4=");
	MEMBER(1, "input", "hi");
	MEMBER(1, "output", "HI");
	NULL_MEMBER(1, "output_base64");
	MEMBER(2, "input", "");
	MEMBER(2, "output", "");
	MEMBER(3, "input", "not base64!");
	NULL_MEMBER(3, "output");
	NULL_MEMBER(3, "output_base64");
}

/* -b -w line: the record is decoded, the answer is its raw line. */
static void test_base64_io_line_wire(void)
{
	start('\n', true, WIRE_LINE);
	struct result_fields r = ok_task(1, "/w==", "x\xff");
	output_json_result(&o, &r);
	finish();
	MEMBER(0, "input_base64", "/w==");
	MEMBER(0, "output_base64", "eP8=");
}

/* -0 -w base64: JSON lines all the same; the answer is decoded. */
static void test_null_sep(void)
{
	start('\0', false, WIRE_BASE64);
	struct result_fields r = ok_task(1, "a\nb", "YQpi");
	output_json_result(&o, &r);
	r = ok_task(2, "", "");
	r.rec = NULL; /* a record buffer never filled */
	output_json_result(&o, &r);
	finish();
	CHECK(memchr(text, '\0', text_len) == NULL);
	CHECK(text_len > 0 && text[text_len - 1] == '\n');
	MEMBER(0, "input", "a\nb");
	MEMBER(0, "output", "a\nb");
	MEMBER(1, "input", "");
	MEMBER(1, "output", "");
}

/* A 3 MiB base64 record is decoded through a scratch buffer that is not
 * kept afterwards; its bytes come back whole. */
static void test_large(void)
{
	size_t n = 3u << 20;
	char *raw = malloc(n), *b64 = malloc(base64_encoded_len(n) + 1), *back = malloc(n);
	for (size_t i = 0; i < n; i++)
		raw[i] = (char)(i * 7 % 251);
	base64_encode(b64, raw, n);
	b64[base64_encoded_len(n)] = '\0';
	start('\n', true, WIRE_BASE64);
	struct result_fields r = ok_task(1, b64, "");
	output_json_result(&o, &r);
	CHECK_UINT(0, o.scratch.cap);
	finish();
	struct jp_object p;
	if (line(0, &p)) {
		const struct jp_member *m = jp_get(&p, "input_base64");
		CHECK(m && m->type == JP_STRING && base64_decode(back, m->val, m->len) == (long)n &&
		      memcmp(back, raw, n) == 0);
		jp_free(&p);
	}
	free(raw);
	free(b64);
	free(back);
}

int main(void)
{
	TEST_RUN(test_ok_and_failed);
	TEST_RUN(test_base64_io);
	TEST_RUN(test_base64_io_line_wire);
	TEST_RUN(test_null_sep);
	TEST_RUN(test_large);
	free(text);
	return TEST_REPORT();
}

/* Unit tests for escape.c: what is kept, what is escaped and how, where the
 * budget cuts, and, on random bytes, that the result is one clean line of
 * valid UTF-8 from which the input can be read back. */
#include <stdbool.h>

#include "escape.h"
#include "test.h"

#define BIG 1000

static char out[ESCAPE_SIZE(BIG)];

static void check(const char *in, size_t n, size_t max, const char *want, int line)
{
	memset(out, 'Z', sizeof out);
	size_t len = escape_text(out, max, in, n);
	test_checks++;
	if (len != strlen(want) || memcmp(out, want, len + 1) != 0) {
		test_failures++;
		fflush(stdout);
		fprintf(stderr, "%s:%d: FAILED escape_text(\"%s\", max %zu): expected \"%s\", got "
			"%zu bytes \"%s\"\n", __FILE__, line, test_esc(in, n), max,
			test_esc(want, strlen(want)), len, test_esc(out, len));
	}
}
/* Literal input (may hold NULs: its size less the terminator counts). */
#define ESC(in, want) check(in, sizeof in - 1, BIG, want, __LINE__)
#define ESC_MAX(in, max, want) check(in, sizeof in - 1, max, want, __LINE__)

static void test_ascii(void)
{
	ESC("", "");
	ESC("hello, world", "hello, world");
	ESC(" ~!\"#$%&()*+,-./09:;<=>?@AZ[]^_`az{|}", " ~!\"#$%&()*+,-./09:;<=>?@AZ[]^_`az{|}");
	ESC("a\nb", "a\\nb");
	ESC("\t", "\\t");
	ESC("crlf\r\n", "crlf\\r\\n");
	ESC("back\\slash", "back\\\\slash");
	ESC("it's", "it\\'s");
	ESC("\0", "\\x00");
	ESC("a\0b", "a\\x00b");
	ESC("\x01\x1b[31m\x1f", "\\x01\\x1b[31m\\x1f");
	ESC("\x7f", "\\x7f");
	ESC("\v\f\b\a", "\\x0b\\x0c\\x08\\x07");
}

static void test_utf8_kept(void)
{
	ESC("caf\xc3\xa9", "caf\xc3\xa9");                      /* é */
	ESC("\xc2\xa0", "\xc2\xa0");                            /* U+00A0, after C1 */
	ESC("\xd0\x9f\xd1\x80\xd0\xb8", "\xd0\x9f\xd1\x80\xd0\xb8"); /* Cyrillic */
	ESC("\xe2\x82\xac", "\xe2\x82\xac");                    /* € */
	ESC("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"); /* Japanese */
	ESC("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");            /* emoji, 4 bytes */
	ESC("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");            /* U+10FFFF */
	ESC("\xef\xbf\xbd", "\xef\xbf\xbd");                    /* U+FFFD */
	ESC("\xe2\x80\xa7", "\xe2\x80\xa7");                    /* U+2027, next to U+2028 */
	ESC("\xe2\x80\xaf", "\xe2\x80\xaf");                    /* U+202F, after U+202E */
	ESC("\xe2\x80\x8d", "\xe2\x80\x8d");                    /* U+200D, before U+200E */
	ESC("\xe2\x81\xa5", "\xe2\x81\xa5");                    /* U+2065, before U+2066 */
	ESC("\xe2\x81\xaa", "\xe2\x81\xaa");                    /* U+206A, after U+2069 */
	ESC("\xed\x9f\xbf", "\xed\x9f\xbf");                    /* U+D7FF, before surrogates */
	ESC("\xee\x80\x80", "\xee\x80\x80");                    /* U+E000, after them */
}

static void test_utf8_escaped(void)
{
	ESC("\xc2\x80", "\\xc2\\x80");                 /* C1 controls */
	ESC("\xc2\x85", "\\xc2\\x85");                 /* NEL: a line break to some */
	ESC("\xc2\x9b" "31m", "\\xc2\\x9b" "31m");     /* CSI */
	ESC("\xc2\x9f", "\\xc2\\x9f");
	ESC("\xe2\x80\xa8", "\\xe2\\x80\\xa8");        /* line separator */
	ESC("\xe2\x80\xa9", "\\xe2\\x80\\xa9");        /* paragraph separator */
	ESC("\xe2\x80\xaa", "\\xe2\\x80\\xaa");        /* LRE */
	ESC("\xe2\x80\xae" "txt.exe", "\\xe2\\x80\\xae" "txt.exe"); /* RLO */
	ESC("\xe2\x81\xa6", "\\xe2\\x81\\xa6");        /* LRI */
	ESC("\xe2\x81\xa9", "\\xe2\\x81\\xa9");        /* PDI */
	ESC("\xe2\x80\x8e", "\\xe2\\x80\\x8e");        /* LRM */
	ESC("\xe2\x80\x8f", "\\xe2\\x80\\x8f");        /* RLM */
	ESC("\xd8\x9c", "\\xd8\\x9c");                 /* ALM */
}

static void test_invalid(void)
{
	ESC("\x80", "\\x80");                           /* lone continuation */
	ESC("\xbf" "a", "\\xbf" "a");
	ESC("\xc3", "\\xc3");                           /* cut short at the end */
	ESC("\xc3" "a", "\\xc3" "a");                   /* cut short by ASCII */
	ESC("\xe2\x82", "\\xe2\\x82");
	ESC("\xe2\x82" "\xc3\xa9", "\\xe2\\x82" "\xc3\xa9"); /* resyncs at the next start */
	ESC("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	ESC("\xc0\x80", "\\xc0\\x80");                  /* overlong NUL */
	ESC("\xc1\xbf", "\\xc1\\xbf");                  /* overlong DEL */
	ESC("\xe0\x80\xaf", "\\xe0\\x80\\xaf");         /* overlong '/' */
	ESC("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf");         /* overlong U+07FF */
	ESC("\xe0\xa0\x80", "\xe0\xa0\x80");            /* U+0800: the first 3-byte one */
	ESC("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf"); /* overlong U+FFFF */
	ESC("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");    /* U+10000 */
	ESC("\xed\xa0\x80", "\\xed\\xa0\\x80");         /* surrogate U+D800 */
	ESC("\xed\xbf\xbf", "\\xed\\xbf\\xbf");         /* surrogate U+DFFF */
	ESC("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* U+110000 */
	ESC("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
	ESC("\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80");
	ESC("\xfe\xff", "\\xfe\\xff");
	ESC("\xc3\xa9\xc3", "\xc3\xa9\\xc3");
}

static void test_budget(void)
{
	ESC_MAX("0123456789", 10, "0123456789");       /* fits exactly: no "..." */
	ESC_MAX("0123456789A", 10, "0123456789...");
	ESC_MAX("abc", 0, "...");
	ESC_MAX("", 0, "");
	/* The budget counts the bytes of the input, not of their escapes. */
	ESC_MAX("ab\ncd", 3, "ab\\n...");
	ESC_MAX("\x01\x02\x03", 3, "\\x01\\x02\\x03");
	ESC_MAX("\x01\x02\x03", 2, "\\x01\\x02...");
	/* A character is never cut: é is 2 bytes, € 3, the emoji 4. */
	ESC_MAX("a\xc3\xa9", 2, "a...");
	ESC_MAX("a\xc3\xa9", 3, "a\xc3\xa9");
	ESC_MAX("\xe2\x82\xac\xe2\x82\xac", 5, "\xe2\x82\xac...");
	ESC_MAX("\xf0\x9f\x98\x80!", 3, "...");
	ESC_MAX("\xf0\x9f\x98\x80!", 4, "\xf0\x9f\x98\x80...");
	/* An escaped character is one unit too. */
	ESC_MAX("x\xe2\x80\xae", 3, "x...");
	ESC_MAX("x\xe2\x80\xae", 4, "x\\xe2\\x80\\xae");
	/* An invalid sequence is cut byte by byte: each is a unit of its own. */
	ESC_MAX("x\xe2\x80", 2, "x\\xe2...");
	/* 40 bytes, as the failure messages show. */
	ESC_MAX("0000000000000000000000000000000000000000", 40,
		"0000000000000000000000000000000000000000");
	ESC_MAX("00000000000000000000000000000000000000000", 40,
		"0000000000000000000000000000000000000000...");
	/* The worst case fills ESCAPE_SIZE exactly. */
	ESC_MAX("\xff\xff\xff\xff", 3, "\\xff\\xff\\xff...");
	CHECK_UINT(16, ESCAPE_SIZE(3));
	CHECK_UINT(15, strlen(out));
}

/* ---- properties on random bytes -------------------------------------- */

/* The length of the valid UTF-8 sequence at s, written apart from
 * escape.c's decoder; 0 if none. Sets *cp. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len = s[0] < 0x80 ? 1 : s[0] < 0xc0 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3
		     : s[0] < 0xf8 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	*cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[k] & 0x3f);
	}
	if (*cp < least[len] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

/* s is valid UTF-8 with no control byte and none of the characters that
 * must be escaped. */
static bool valid_utf8_line(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_len(s + i, n - i, &cp);
		if (len == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c ||
		    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return false;
		i += len;
	}
	return true;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Undo the escapes; -1 if s holds one that escape_text does not write. */
static long unescape(unsigned char *dst, const char *s, size_t n)
{
	static const char letter[] = "ntr\\'", named[] = "\n\t\r\\'";
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			dst[o++] = (unsigned char)s[i];
			continue;
		}
		if (++i == n)
			return -1;
		const char *k = strchr(letter, s[i]);
		if (k && *k) {
			dst[o++] = (unsigned char)named[k - letter];
		} else if (s[i] == 'x' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			dst[o++] = (unsigned char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			return -1;
		}
	}
	return (long)o;
}

/* Random bytes, biased toward the interesting ones. */
static size_t random_input(unsigned char *in, size_t cap)
{
	static const unsigned char pool[] = {
		'a', ' ', '\\', '\'', '\n', '\t', '\r', 0, 0x1b, 0x7f, 0x80, 0x9f, 0xbf, 0xc0,
		0xc2, 0xc3, 0xa9, 0xd8, 0x9c, 0xe0, 0xe2, 0x80, 0xa8, 0xae, 0x81, 0xa6, 0xed,
		0xa0, 0xf0, 0x9f, 0x98, 0xf4, 0x90, 0xf5, 0xff,
	};
	size_t n = test_below(cap + 1);
	for (size_t i = 0; i < n; i++)
		in[i] = test_below(3) ? pool[test_below(sizeof pool)] : (unsigned char)test_rand();
	return n;
}

/* The input bytes of the unit at s: a valid character's, else 1. */
static size_t unit_bytes(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = utf8_len(s, n, &cp);
	return len ? len : 1;
}

static void test_random(void)
{
	unsigned char in[64], back[ESCAPE_SIZE(64)];
	char full[ESCAPE_SIZE(64)], again[ESCAPE_SIZE(64)];
	for (int round = 0; round < 200000; round++) {
		size_t n = random_input(in, sizeof in);
		size_t max = test_below(4) ? 64 : test_below(70);
		size_t flen = escape_text(full, 64, (const char *)in, n); /* never cut */
		memset(out, 'Z', sizeof out);
		size_t len = escape_text(out, max, (const char *)in, n);
		bool cut = n > max;
		size_t body = cut ? len - 3 : len;
		long m = unescape(back, out, body);
		bool ok = out[len] == '\0' && len < ESCAPE_SIZE(max) &&
			  valid_utf8_line((unsigned char *)out, len) && memcmp(out, full, body) == 0 &&
			  m >= 0 && (size_t)m <= max && memcmp(back, in, (size_t)m) == 0 &&
			  (cut ? (size_t)m < n : (size_t)m == n && len == flen);
		/* Cut between units, and only when the next would not fit: the
		 * bytes shown, escaped alone, give the same text. */
		if (ok && cut)
			ok = escape_text(again, 64, (const char *)in, (size_t)m) == body &&
			     memcmp(again, out, body) == 0 &&
			     (size_t)m + unit_bytes(in + m, n - (size_t)m) > max;
		test_checks++;
		if (!ok) {
			test_failures++;
			fflush(stdout);
			fprintf(stderr, "%s:%d: FAILED round %d, max %zu: \"%s\" gave \"%s\"\n",
				__FILE__, __LINE__, round, max, test_esc(in, n), test_esc(out, len));
			return;
		}
	}
}

int main(void)
{
	test_seed(20261121);
	TEST_RUN(test_ascii);
	TEST_RUN(test_utf8_kept);
	TEST_RUN(test_utf8_escaped);
	TEST_RUN(test_invalid);
	TEST_RUN(test_budget);
	TEST_RUN(test_random);
	return TEST_REPORT();
}

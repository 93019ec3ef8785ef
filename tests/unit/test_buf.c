/* Unit tests for buf.c: append, consume, compact, reserve, set, trim. */
#include <errno.h>

#include "buf.h"
#include "test.h"

#define CHECK_BUF(b, s) CHECK_MEM(s, sizeof(s) - 1, buf_head(&(b)), (b).len)

static void test_empty(void)
{
	struct buf b = BUF_INIT;
	CHECK_UINT(0, b.len);
	CHECK_UINT(0, b.cap);
	CHECK_UINT(0, buf_room(&b));
	CHECK_INT(0, buf_append(&b, NULL, 0));
	CHECK_UINT(0, b.len);
	buf_consume(&b, 10);
	buf_compact(&b);
	buf_trim(&b, 0);
	buf_free(&b);
	CHECK(b.data == NULL);
}

static void test_append_and_consume(void)
{
	struct buf b = BUF_INIT;
	CHECK_INT(0, buf_append(&b, "hello", 5));
	CHECK_BUF(b, "hello");
	CHECK(b.cap >= 5);
	CHECK_INT(0, buf_append(&b, ", world", 7));
	CHECK_BUF(b, "hello, world");
	CHECK(buf_tail(&b) == buf_head(&b) + 12);
	CHECK_UINT(b.cap - 12, buf_room(&b));
	buf_consume(&b, 7);
	CHECK_BUF(b, "world");
	CHECK_UINT(7, b.off);
	CHECK_INT(0, buf_append(&b, "!", 1));
	CHECK_BUF(b, "world!");
	buf_consume(&b, 0);
	CHECK_BUF(b, "world!");
	buf_consume(&b, 6); /* all of it: the cursor goes back to the front */
	CHECK_UINT(0, b.len);
	CHECK_UINT(0, b.off);
	CHECK_INT(0, buf_append(&b, "ab", 2));
	buf_consume(&b, 100); /* more than there is */
	CHECK_UINT(0, b.len);
	CHECK_UINT(0, b.off);
	buf_free(&b);
	CHECK(b.data == NULL && b.off == 0 && b.len == 0 && b.cap == 0);
}

static void test_compact(void)
{
	struct buf b = BUF_INIT;
	CHECK_INT(0, buf_append(&b, "0123456789", 10));
	buf_consume(&b, 4);
	char *data = b.data;
	buf_compact(&b);
	CHECK_UINT(0, b.off);
	CHECK(b.data == data);
	CHECK_BUF(b, "456789");
	buf_compact(&b); /* nothing to do */
	CHECK_BUF(b, "456789");
	buf_free(&b);
}

static void test_reserve(void)
{
	struct buf b = BUF_INIT;
	CHECK_INT(0, buf_reserve(&b, 1));
	CHECK_UINT(24, b.cap); /* malloc's smallest chunk: a slot of the window keeps one */
	CHECK_INT(0, buf_reserve(&b, 100));
	CHECK(b.cap >= 100);
	size_t cap = b.cap;
	char *data = b.data;
	/* Room after the cursor suffices: nothing moves. */
	CHECK_INT(0, buf_append(&b, "abcdefgh", 8));
	CHECK_INT(0, buf_reserve(&b, cap - 8));
	CHECK(b.data == data && b.cap == cap);
	/* Room only once compacted: slide down rather than grow. */
	buf_consume(&b, 6);
	CHECK_INT(0, buf_reserve(&b, cap - 2));
	CHECK(b.cap == cap);
	CHECK_UINT(0, b.off);
	CHECK_BUF(b, "gh");
	CHECK(buf_room(&b) >= cap - 2);
	/* Not enough either way: grow, keeping the bytes. */
	CHECK_INT(0, buf_reserve(&b, cap));
	CHECK(b.cap > cap);
	CHECK(buf_room(&b) >= cap);
	CHECK_BUF(b, "gh");
	/* Impossible sizes fail with ENOMEM and leave the buffer alone. */
	cap = b.cap;
	errno = 0;
	CHECK_INT(-1, buf_reserve(&b, SIZE_MAX));
	CHECK_INT(ENOMEM, errno);
	CHECK_INT(-1, buf_reserve(&b, SIZE_MAX / 2));
	CHECK_INT(-1, buf_append(&b, "x", SIZE_MAX - 1));
	CHECK(b.cap == cap);
	CHECK_BUF(b, "gh");
	buf_free(&b);
}

static void test_set(void)
{
	struct buf b = BUF_INIT;
	CHECK_INT(0, buf_append(&b, "old contents", 12));
	buf_consume(&b, 4);
	CHECK_INT(0, buf_set(&b, "new", 3));
	CHECK_BUF(b, "new");
	CHECK_UINT(0, b.off);
	CHECK_INT(0, buf_set(&b, "", 0));
	CHECK_UINT(0, b.len);
	buf_free(&b);
}

static void test_trim(void)
{
	struct buf b = BUF_INIT;
	CHECK_INT(0, buf_append(&b, "small", 5));
	size_t cap = b.cap;
	buf_trim(&b, 4096); /* small: keep the storage */
	CHECK_UINT(0, b.len);
	CHECK_UINT(0, b.off);
	CHECK_UINT(cap, b.cap);
	CHECK(b.data != NULL);
	CHECK_INT(0, buf_append(&b, "again", 5));
	CHECK_BUF(b, "again");
	buf_trim(&b, cap); /* exactly keep: still kept */
	CHECK_UINT(cap, b.cap);
	buf_trim(&b, cap - 1); /* larger than keep: freed */
	CHECK(b.data == NULL);
	CHECK_UINT(0, b.cap);
	CHECK_INT(0, buf_append(&b, "fresh", 5));
	CHECK_BUF(b, "fresh");
	buf_free(&b);
}

/* Random operations against a model kept in a plain array. */
/* A borrowed buffer shows bytes it does not own: consuming works on it,
 * trimming and freeing leave them alone, and growing it copies them into
 * storage of its own first. The lender's bytes are read-only here. */
static void test_borrow(void)
{
	static const char lent[] = "borrowed bytes";
	struct buf b = BUF_INIT;
	buf_borrow(&b, lent, 8);
	CHECK_MEM("borrowed", 8, buf_head(&b), b.len);
	buf_consume(&b, 3);
	CHECK_MEM("rowed", 5, buf_head(&b), b.len);
	CHECK(buf_head(&b) == lent + 3);
	CHECK_INT(0, buf_append(&b, "!", 1));
	CHECK_MEM("rowed!", 6, buf_head(&b), b.len);
	CHECK(b.cap > 0 && (b.data < lent || b.data >= lent + sizeof lent));
	buf_free(&b);
	buf_borrow(&b, lent, 8);
	buf_trim(&b, 4096);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	CHECK_INT(0, buf_set(&b, "own", 3));
	CHECK_MEM("own", 3, buf_head(&b), b.len);
	buf_free(&b);
	buf_borrow(&b, lent, 8);
	buf_free(&b); /* must not free lent */
	CHECK(b.data == NULL);
}

static void test_random_against_model(void)
{
	enum { MAX = 1 << 14 };
	static char model[MAX], chunk[512];
	size_t mlen = 0;
	struct buf b = BUF_INIT;

	for (int step = 0; step < 20000 && !test_failures; step++) {
		size_t n = test_below(sizeof chunk);
		switch (test_below(5)) {
		case 0:
		case 1:
			if (mlen + n > MAX)
				break;
			for (size_t i = 0; i < n; i++)
				chunk[i] = (char)test_rand();
			CHECK_INT(0, buf_append(&b, chunk, n));
			memcpy(model + mlen, chunk, n);
			mlen += n;
			break;
		case 2:
			buf_consume(&b, n);
			n = n < mlen ? n : mlen;
			memmove(model, model + n, mlen - n);
			mlen -= n;
			break;
		case 3:
			CHECK_INT(0, buf_reserve(&b, n));
			CHECK(buf_room(&b) >= n);
			break;
		default:
			if (test_below(10) == 0)
				buf_compact(&b);
			else if (test_below(20) == 0)
				buf_trim(&b, 1024), mlen = 0;
		}
		CHECK(b.off + b.len <= b.cap);
		CHECK_MEM(model, mlen, buf_head(&b), b.len);
	}
	buf_free(&b);
}

int main(void)
{
	test_seed(1);
	TEST_RUN(test_empty);
	TEST_RUN(test_append_and_consume);
	TEST_RUN(test_compact);
	TEST_RUN(test_reserve);
	TEST_RUN(test_set);
	TEST_RUN(test_trim);
	TEST_RUN(test_borrow);
	TEST_RUN(test_random_against_model);
	return TEST_REPORT();
}

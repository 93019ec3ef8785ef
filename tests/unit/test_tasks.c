/* Unit tests for tasks.c: the slot stack, the wait queue and the -k order
 * ring. */
#include "tasks.h"
#include "test.h"

static void test_take_and_give_back(void)
{
	struct tasks ts;
	CHECK_INT(0, tasks_init(&ts, 4, false));
	CHECK_UINT(0, tasks_live(&ts));
	CHECK(tasks_have_room(&ts, 1));
	uint32_t a = tasks_take(&ts, 1), b = tasks_take(&ts, 2);
	CHECK_UINT(0, a); /* slot 0 first */
	CHECK_UINT(1, b);
	CHECK_UINT(2, tasks_live(&ts));
	CHECK_UINT(1, ts.t[a].seq);
	CHECK_UINT(2, ts.t[b].seq);
	CHECK_INT(TASK_QUEUED, ts.t[a].state);
	ts.t[a].tries = 3;
	ts.t[a].state = TASK_RUNNING;
	tasks_give_back(&ts, a);
	CHECK_INT(TASK_FREE, ts.t[a].state);
	CHECK_UINT(1, tasks_live(&ts));
	uint32_t c = tasks_take(&ts, 3);
	CHECK_UINT(a, c);
	CHECK_UINT(0, ts.t[c].tries); /* a new task starts afresh */
	CHECK_UINT(3, ts.t[c].seq);
	tasks_free(&ts);
	CHECK(ts.t == NULL && ts.cap == 0);
}

static void test_free_slots_are_a_stack(void)
{
	struct tasks ts;
	CHECK_INT(0, tasks_init(&ts, 8, false));
	uint32_t s[8];
	for (uint32_t i = 0; i < 8; i++) {
		s[i] = tasks_take(&ts, i + 1);
		CHECK_UINT(i, s[i]);
	}
	CHECK(!tasks_have_room(&ts, 9));
	tasks_give_back(&ts, 5);
	tasks_give_back(&ts, 2);
	tasks_give_back(&ts, 7);
	CHECK(tasks_have_room(&ts, 9));
	CHECK_UINT(7, tasks_take(&ts, 9)); /* last given back, first taken */
	CHECK_UINT(2, tasks_take(&ts, 10));
	CHECK_UINT(5, tasks_take(&ts, 11));
	CHECK(!tasks_have_room(&ts, 12));
	/* Few tasks in flight keep touching the same low slots. */
	for (uint32_t i = 0; i < 8; i++)
		tasks_give_back(&ts, 7 - i);
	for (int round = 0; round < 5; round++) {
		uint32_t x = tasks_take(&ts, 100), y = tasks_take(&ts, 101);
		CHECK_UINT(0, x);
		CHECK_UINT(1, y);
		tasks_give_back(&ts, y);
		tasks_give_back(&ts, x);
	}
	tasks_free(&ts);
}

static void test_give_back_keeps_small_buffers(void)
{
	struct tasks ts;
	CHECK_INT(0, tasks_init(&ts, 2, false));
	uint32_t a = tasks_take(&ts, 1);
	CHECK_INT(0, buf_append(&ts.t[a].in, "hello", 5));
	CHECK_INT(0, buf_append(&ts.t[a].out, "world", 5));
	tasks_give_back(&ts, a);
	CHECK_UINT(0, ts.t[a].in.len);
	CHECK_UINT(0, ts.t[a].out.len);
	CHECK(ts.t[a].in.data != NULL); /* small: kept for reuse */
	a = tasks_take(&ts, 2);
	static char big[100000];
	CHECK_INT(0, buf_append(&ts.t[a].in, big, sizeof big));
	tasks_give_back(&ts, a);
	CHECK(ts.t[a].in.data == NULL); /* large: freed */
	CHECK_UINT(0, ts.t[a].in.cap);
	tasks_free(&ts);
}

static void test_queue_fifo(void)
{
	struct tasks ts;
	CHECK_INT(0, tasks_init(&ts, 4, false));
	CHECK_UINT(TASK_NONE, tasks_dequeue(&ts));
	for (uint32_t i = 0; i < 4; i++)
		tasks_take(&ts, i + 1);
	/* Many rounds, so the ring wraps in both directions. */
	for (int round = 0; round < 10; round++) {
		tasks_enqueue(&ts, 2);
		tasks_enqueue(&ts, 0);
		tasks_enqueue_front(&ts, 3); /* a retry goes first */
		tasks_enqueue(&ts, 1);
		CHECK_UINT(4, ts.qlen);
		CHECK_INT(TASK_QUEUED, ts.t[3].state);
		CHECK_UINT(3, tasks_dequeue(&ts));
		CHECK_UINT(2, tasks_dequeue(&ts));
		tasks_enqueue_front(&ts, 2);
		CHECK_UINT(2, tasks_dequeue(&ts));
		CHECK_UINT(0, tasks_dequeue(&ts));
		CHECK_UINT(1, tasks_dequeue(&ts));
		CHECK_UINT(TASK_NONE, tasks_dequeue(&ts));
		CHECK_UINT(0, ts.qlen);
		tasks_enqueue_front(&ts, 1);
		tasks_enqueue_front(&ts, 0);
		CHECK_UINT(0, tasks_dequeue(&ts));
		CHECK_UINT(1, tasks_dequeue(&ts));
		tasks_enqueue(&ts, 3); /* odd count: shift the head each round */
		CHECK_UINT(3, tasks_dequeue(&ts));
	}
	tasks_free(&ts);
}

/* Against a model: an array used as a deque. */
static void test_queue_random(void)
{
	enum { CAP = 7 };
	struct tasks ts;
	uint32_t model[CAP];
	uint32_t n = 0;
	CHECK_INT(0, tasks_init(&ts, CAP, false));
	for (uint32_t i = 0; i < CAP; i++)
		tasks_take(&ts, i + 1);
	for (int step = 0; step < 20000 && !test_failures; step++) {
		uint32_t slot = (uint32_t)test_below(CAP);
		switch (test_below(3)) {
		case 0:
			if (n == CAP)
				break;
			tasks_enqueue(&ts, slot);
			model[n++] = slot;
			break;
		case 1:
			if (n == CAP)
				break;
			tasks_enqueue_front(&ts, slot);
			memmove(model + 1, model, n++ * sizeof *model);
			model[0] = slot;
			break;
		default:
			CHECK_UINT(n ? model[0] : TASK_NONE, tasks_dequeue(&ts));
			if (n)
				memmove(model, model + 1, --n * sizeof *model);
		}
		CHECK_UINT(n, ts.qlen);
	}
	tasks_free(&ts);
}

static void test_order_ring(void)
{
	struct tasks ts;
	CHECK_INT(0, tasks_init(&ts, 4, true));
	CHECK_UINT(1, ts.order_next);
	CHECK_UINT(ORDER_EMPTY, tasks_order_peek(&ts));
	uint32_t s1 = tasks_take(&ts, 1), s2 = tasks_take(&ts, 2), s3 = tasks_take(&ts, 3);
	/* 3 then 2 finish first: nothing to write until 1 does. */
	tasks_order_mark(&ts, 3, s3);
	tasks_order_mark(&ts, 2, ORDER_SKIP);
	CHECK_UINT(ORDER_EMPTY, tasks_order_peek(&ts));
	tasks_order_mark(&ts, 1, s1);
	CHECK_UINT(s1, tasks_order_peek(&ts));
	tasks_order_advance(&ts);
	tasks_give_back(&ts, s1);
	CHECK_UINT(2, ts.order_next);
	CHECK_UINT(ORDER_SKIP, tasks_order_peek(&ts));
	tasks_order_advance(&ts);
	tasks_give_back(&ts, s2);
	CHECK_UINT(s3, tasks_order_peek(&ts));
	tasks_order_advance(&ts);
	tasks_give_back(&ts, s3);
	CHECK_UINT(4, ts.order_next);
	CHECK_UINT(ORDER_EMPTY, tasks_order_peek(&ts));
	/* The ring wraps: seq 4..11 reuse positions, each cleared on advance. */
	for (uint64_t seq = 4; seq < 12; seq++) {
		CHECK(tasks_have_room(&ts, seq));
		uint32_t s = tasks_take(&ts, seq);
		CHECK_UINT(ORDER_EMPTY, tasks_order_peek(&ts));
		tasks_order_mark(&ts, seq, s);
		CHECK_UINT(s, tasks_order_peek(&ts));
		tasks_order_advance(&ts);
		tasks_give_back(&ts, s);
	}
	CHECK_UINT(12, ts.order_next);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_UINT(ORDER_EMPTY, ts.order[i]);
	tasks_free(&ts);
}

static void test_have_room(void)
{
	struct tasks ts;
	/* Unordered: only free slots count, however far seq runs ahead. */
	CHECK_INT(0, tasks_init(&ts, 3, false));
	CHECK(tasks_have_room(&ts, 1000000));
	uint32_t s[3];
	for (int i = 0; i < 3; i++)
		s[i] = tasks_take(&ts, (uint64_t)i + 1);
	CHECK(!tasks_have_room(&ts, 4));
	tasks_give_back(&ts, s[1]);
	CHECK(tasks_have_room(&ts, 4));
	tasks_free(&ts);

	/* Ordered: also no further than cap past the next seq to write. */
	CHECK_INT(0, tasks_init(&ts, 3, true));
	CHECK(tasks_have_room(&ts, 1));
	CHECK(tasks_have_room(&ts, 3));
	CHECK(!tasks_have_room(&ts, 4)); /* seq - order_next == cap */
	CHECK(!tasks_have_room(&ts, 100));
	s[0] = tasks_take(&ts, 1);
	s[1] = tasks_take(&ts, 2);
	tasks_order_mark(&ts, 2, ORDER_SKIP); /* 2 is done, 1 still runs */
	tasks_give_back(&ts, s[1]);
	CHECK(tasks_have_room(&ts, 3));
	s[2] = tasks_take(&ts, 3);
	CHECK_UINT(2, tasks_live(&ts));
	CHECK(!tasks_have_room(&ts, 4)); /* a slot is free, but 4 - 1 >= 3 */
	tasks_order_mark(&ts, 1, s[0]);
	tasks_order_advance(&ts);
	tasks_give_back(&ts, s[0]);
	CHECK_UINT(ORDER_SKIP, tasks_order_peek(&ts));
	CHECK(tasks_have_room(&ts, 4));
	CHECK(!tasks_have_room(&ts, 5));
	tasks_free(&ts);
}

int main(void)
{
	test_seed(7);
	TEST_RUN(test_take_and_give_back);
	TEST_RUN(test_free_slots_are_a_stack);
	TEST_RUN(test_give_back_keeps_small_buffers);
	TEST_RUN(test_queue_fifo);
	TEST_RUN(test_queue_random);
	TEST_RUN(test_order_ring);
	TEST_RUN(test_have_room);
	return TEST_REPORT();
}

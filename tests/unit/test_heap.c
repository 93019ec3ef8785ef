/* Unit tests for heap.c: random operations checked against a brute-force
 * reference, the heap property and every node's idx after each one. */
#include "heap.h"
#include "test.h"

enum { NODES = 200 };

/* The reference: which nodes are in, at which deadline. */
struct ref {
	struct heap_node node[NODES];
	bool in[NODES];
	int64_t at[NODES];
};

static int64_t ref_min(const struct ref *r, int *count)
{
	int64_t m = INT64_MAX;
	*count = 0;
	for (int i = 0; i < NODES; i++)
		if (r->in[i]) {
			(*count)++;
			m = r->at[i] < m ? r->at[i] : m;
		}
	return m;
}

/* The heap agrees with the reference and with itself. */
static void check(const struct heap *h, const struct ref *r)
{
	int count;
	int64_t m = ref_min(r, &count);
	CHECK_INT(count, h->n);
	CHECK(count ? heap_top(h) && heap_top(h)->at == m : !heap_top(h));
	for (uint32_t i = 0; i < h->n; i++) {
		CHECK_UINT(i, h->a[i]->idx);
		if (i)
			CHECK(h->a[(i - 1) / 2]->at <= h->a[i]->at);
	}
	for (int i = 0; i < NODES; i++) {
		CHECK(heap_has(&r->node[i]) == r->in[i]);
		if (r->in[i])
			CHECK_INT(r->at[i], r->node[i].at);
	}
}

/* Deadlines from a narrow range, so that ties are common. */
static int64_t some_deadline(void)
{
	return (int64_t)test_below(test_below(2) ? 50 : 1000000) - 20;
}

static void random_op(struct heap *h, struct ref *r)
{
	int i = (int)test_below(NODES);
	int64_t at = some_deadline();
	switch (test_below(5)) {
	case 0: /* push (a move when it is in) */
		CHECK_INT(0, heap_push(h, &r->node[i], at));
		r->in[i] = true;
		r->at[i] = at;
		break;
	case 1:
		heap_update(h, &r->node[i], at);
		if (r->in[i])
			r->at[i] = at;
		break;
	case 2:
		heap_remove(h, &r->node[i]);
		r->in[i] = false;
		break;
	default: { /* pop, twice as often: drains the heap now and then */
		int count;
		int64_t m = ref_min(r, &count);
		struct heap_node *x = heap_pop(h);
		CHECK(count ? x != NULL : x == NULL);
		if (!x)
			break;
		int k = (int)(x - r->node);
		CHECK(k >= 0 && k < NODES && r->in[k]);
		CHECK_INT(m, x->at);
		CHECK(x->owner == &r->in[k]);
		CHECK(!heap_has(x));
		r->in[k] = false;
	}
	}
}

static void test_against_reference(void)
{
	for (int round = 0; round < 20; round++) {
		static struct ref r;
		struct heap h = HEAP_INIT;
		for (int i = 0; i < NODES; i++) {
			heap_node_init(&r.node[i], &r.in[i]);
			r.in[i] = false;
		}
		for (int op = 0; op < 5000; op++) {
			random_op(&h, &r);
			check(&h, &r);
		}
		heap_free(&h);
	}
}

static void test_empty(void)
{
	struct heap h = HEAP_INIT;
	struct heap_node x;
	heap_node_init(&x, NULL);
	CHECK(!heap_top(&h));
	CHECK(!heap_pop(&h));
	heap_remove(&h, &x); /* not in: nothing */
	heap_update(&h, &x, 5);
	CHECK(!heap_has(&x));
	CHECK_INT(0, h.n);
	heap_free(&h);
}

/* Pops come out in deadline order: a heap sort of 10000 deadlines. */
static void test_pop_order(void)
{
	enum { N = 10000 };
	static struct heap_node x[N];
	struct heap h = HEAP_INIT;
	for (int i = 0; i < N; i++) {
		heap_node_init(&x[i], NULL);
		CHECK_INT(0, heap_push(&h, &x[i], (int64_t)test_rand()));
	}
	int64_t last = INT64_MIN;
	for (int i = 0; i < N; i++) {
		struct heap_node *t = heap_pop(&h);
		CHECK(t && t->at >= last);
		last = t ? t->at : last;
	}
	CHECK(!heap_pop(&h));
	heap_free(&h);
}

int main(void)
{
	test_seed(11);
	TEST_RUN(test_empty);
	TEST_RUN(test_against_reference);
	TEST_RUN(test_pop_order);
	return TEST_REPORT();
}

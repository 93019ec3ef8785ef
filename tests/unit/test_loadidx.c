/* Unit tests for loadidx.c: random joins, leaves and load changes checked
 * against a brute-force reference, which picks the member with the least
 * load (capped at the maximum) that has been there longest. */
#include "loadidx.h"
#include "test.h"

enum { NODES = 100 };

struct ref {
	struct loadidx_node node[NODES];
	bool in[NODES];
	unsigned load[NODES];
	uint64_t since[NODES]; /* when it reached its list */
	uint64_t clock;
};

static unsigned capped(unsigned load, unsigned max)
{
	return load < max ? load : max;
}

static int ref_least(const struct ref *r, unsigned max)
{
	int best = -1;
	for (int i = 0; i < NODES; i++) {
		if (!r->in[i])
			continue;
		unsigned li = capped(r->load[i], max);
		if (best < 0 || li < capped(r->load[best], max) ||
		    (li == capped(r->load[best], max) && r->since[i] < r->since[best]))
			best = i;
	}
	return best;
}

static void set(struct loadidx *ix, struct ref *r, int i, unsigned load)
{
	loadidx_set(ix, &r->node[i], load);
	r->in[i] = true;
	r->load[i] = load;
	r->since[i] = ++r->clock;
}

/* Mostly what dispatch does: one more in flight, one fewer. */
static void random_op(struct loadidx *ix, struct ref *r, unsigned max)
{
	int i = (int)test_below(NODES);
	unsigned l = r->load[i];
	switch (test_below(8)) {
	case 0:
		loadidx_del(ix, &r->node[i]);
		r->in[i] = false;
		break;
	case 1:
		set(ix, r, i, (unsigned)test_below(max + 3)); /* past max too */
		break;
	case 2:
	case 3:
	case 4:
		set(ix, r, i, l + 1);
		break;
	default:
		set(ix, r, i, l ? l - 1 : 0);
	}
}

static void check(const struct loadidx *ix, const struct ref *r, unsigned max)
{
	int want = ref_least(r, max);
	struct loadidx_node *got = loadidx_least(ix);
	CHECK_INT(want, got ? (int)(got - r->node) : -1);
	unsigned count = 0;
	for (int i = 0; i < NODES; i++) {
		count += r->in[i];
		CHECK(r->node[i].in == r->in[i]);
	}
	CHECK_UINT(count, ix->count);
}

static void run(unsigned max)
{
	static struct ref r;
	struct loadidx ix;
	CHECK_INT(0, loadidx_init(&ix, max));
	r = (struct ref){0};
	for (int i = 0; i < NODES; i++)
		loadidx_node_init(&r.node[i], &r);
	for (int op = 0; op < 50000; op++) {
		random_op(&ix, &r, max);
		check(&ix, &r, max);
	}
	CHECK(r.node[0].owner == &r);
	loadidx_free(&ix);
}

static void test_against_reference(void)
{
	run(0);    /* one list: round robin alone */
	run(3);    /* loads pile up at the cap */
	run(64);   /* one bitmap word and the next */
	run(1024); /* the pool's deepest depth */
	run(LOADIDX_MAX);
}

static void test_empty_and_cap(void)
{
	struct loadidx ix;
	CHECK_INT(0, loadidx_init(&ix, 100000)); /* capped at LOADIDX_MAX */
	CHECK_UINT(LOADIDX_MAX, ix.max);
	CHECK(!loadidx_least(&ix));
	struct loadidx_node a, b;
	loadidx_node_init(&a, NULL);
	loadidx_node_init(&b, NULL);
	loadidx_del(&ix, &a); /* not in: nothing */
	loadidx_set(&ix, &a, 9000);
	loadidx_set(&ix, &b, LOADIDX_MAX);
	CHECK(loadidx_least(&ix) == &a); /* both in the last list; a came first */
	loadidx_set(&ix, &b, LOADIDX_MAX - 1);
	CHECK(loadidx_least(&ix) == &b);
	loadidx_del(&ix, &b);
	loadidx_del(&ix, &a);
	CHECK(!loadidx_least(&ix));
	CHECK_UINT(0, ix.count);
	loadidx_free(&ix);
}

int main(void)
{
	test_seed(13);
	TEST_RUN(test_empty_and_cap);
	TEST_RUN(test_against_reference);
	return TEST_REPORT();
}

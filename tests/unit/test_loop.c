/* Unit tests for loop.c, driven with pipes. CMake builds this file twice:
 * test_loop on the loop's default backend (epoll on Linux) and test_loop_poll
 * with LOOP_POLL_ONLY, so both backends pass the same tests. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "loop.h"
#include "test.h"
#include "util.h"

#if defined(__linux__) && !defined(LOOP_POLL_ONLY)
#define BACKEND "epoll"
#else
#define BACKEND "poll"
#endif

/* What one watch saw; its callback may also act on the loop. */
struct seen {
	struct loop *l;
	int calls, fd;
	short rev;
	void (*then)(struct seen *s);
	int arg, arg2;
};

static void on_ready(void *ctx, int fd, short rev)
{
	struct seen *s = ctx;
	s->calls++;
	s->fd = fd;
	s->rev = rev;
	if (s->then)
		s->then(s);
}

static void make_pipe(int fds[2])
{
	if (pipe(fds) < 0) {
		perror("pipe");
		exit(2);
	}
}

static void put(int fd)
{
	if (write(fd, "x", 1) != 1) {
		perror("write");
		exit(2);
	}
}

/* A deadline ms milliseconds from now. */
static int64_t in_ms(int ms)
{
	return now_ns() + ms * NS_PER_MS;
}

static void test_backend(void)
{
	struct loop *l = loop_new(0);
	CHECK_STR(BACKEND, loop_backend(l));
	loop_free(l);
}

static void test_ready_and_paused(void)
{
	struct loop *l = loop_new(0);
	int p[2];
	make_pipe(p);
	struct seen s = {0};
	int h = loop_add(l, p[0], POLLIN, on_ready, &s);
	CHECK(h >= 0);
	CHECK_INT(0, loop_once(l, 0)); /* nothing to read yet */
	put(p[1]);
	CHECK_INT(1, loop_once(l, in_ms(5000)));
	CHECK_INT(1, s.calls);
	CHECK_INT(p[0], s.fd);
	CHECK_INT(POLLIN, s.rev);
	CHECK_INT(1, loop_once(l, in_ms(5000))); /* level-triggered: still unread */
	loop_set(l, h, 0);
	CHECK_INT(0, loop_once(l, 0));
	loop_set(l, h, POLLIN);
	CHECK_INT(1, loop_once(l, 0));
	CHECK_INT(3, s.calls);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

/* A paused watch hears nothing, not even a hang-up, until it is resumed;
 * and the wait does not return early for it. */
static void test_hangup_while_paused(void)
{
	struct loop *l = loop_new(0);
	int p[2], q[2];
	make_pipe(p);
	make_pipe(q);
	struct seen r = {0}, w = {0};
	int hr = loop_add(l, p[0], 0, on_ready, &r);
	int hw = loop_add(l, q[1], POLLOUT, on_ready, &w);
	loop_set(l, hw, 0);
	close(p[1]); /* p[0] hangs up */
	close(q[0]); /* q[1] has an error */
	for (int i = 0; i < 3; i++) {
		int64_t t0 = now_ns();
		CHECK_INT(0, loop_once(l, in_ms(20)));
		CHECK(now_ns() - t0 >= 20 * NS_PER_MS);
	}
	loop_set(l, hr, POLLIN);
	loop_set(l, hw, POLLOUT);
	CHECK_INT(2, loop_once(l, in_ms(5000)));
	CHECK_INT(POLLHUP, r.rev);
	CHECK(w.rev & POLLERR);
	CHECK_INT(1, r.calls);
	CHECK_INT(1, w.calls);
	loop_free(l);
	close(p[0]);
	close(q[1]);
}

static void test_deadline(void)
{
	struct loop *l = loop_new(0);
	int p[2];
	make_pipe(p);
	struct seen s = {0};
	loop_add(l, p[0], POLLIN, on_ready, &s);
	int64_t t0 = now_ns();
	CHECK_INT(0, loop_once(l, in_ms(30)));
	CHECK(now_ns() - t0 >= 30 * NS_PER_MS);
	CHECK_INT(0, loop_once(l, t0)); /* passed: does not wait */
	CHECK_INT(0, s.calls);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

static void del_other(struct seen *s)
{
	loop_del(s->l, s->arg);
}

/* Both are ready; the first deletes the second, which is not called. */
static void test_deleted_while_ready(void)
{
	struct loop *l = loop_new(0);
	int a[2], b[2];
	make_pipe(a);
	make_pipe(b);
	struct seen sa = {.l = l, .then = del_other}, sb = {0};
	int ha = loop_add(l, a[0], POLLIN, on_ready, &sa);
	int hb = loop_add(l, b[0], POLLIN, on_ready, &sb);
	CHECK(ha < hb);
	sa.arg = hb;
	put(b[1]); /* ready first, called second: callbacks run in handle order */
	put(a[1]);
	CHECK_INT(1, loop_once(l, in_ms(5000)));
	CHECK_INT(1, sa.calls);
	CHECK_INT(0, sb.calls);
	loop_free(l);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

/* The first deletes the second and reuses its handle on another ready fd:
 * the stale readiness of the old watch is not handed to the new one. */
static void reuse_other(struct seen *s)
{
	loop_del(s->l, s->arg);
	s->arg2 = loop_add(s->l, s->arg2, POLLIN, on_ready, s + 1);
}

static void test_handle_reused_during_turn(void)
{
	struct loop *l = loop_new(0);
	int a[2], b[2], c[2];
	make_pipe(a);
	make_pipe(b);
	make_pipe(c);
	struct seen s[2] = {{.l = l, .then = reuse_other}, {0}}, sb = {0};
	int ha = loop_add(l, a[0], POLLIN, on_ready, &s[0]);
	int hb = loop_add(l, b[0], POLLIN, on_ready, &sb);
	s[0].arg = hb;
	s[0].arg2 = c[0];
	put(a[1]);
	put(b[1]);
	put(c[1]);
	CHECK_INT(1, loop_once(l, in_ms(5000)));
	CHECK_INT(hb, s[0].arg2); /* the freed handle came back */
	CHECK_INT(0, sb.calls);
	CHECK_INT(0, s[1].calls);
	loop_del(l, ha);
	CHECK_INT(1, loop_once(l, in_ms(5000))); /* the new watch, next turn */
	CHECK_INT(1, s[1].calls);
	CHECK_INT(c[0], s[1].fd);
	loop_free(l);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]), close(c[0]), close(c[1]);
}

static void add_one(struct seen *s)
{
	if (s->calls == 1)
		s->arg2 = loop_add(s->l, s->arg, POLLIN, on_ready, s + 1);
}

/* A watch added by a callback on a ready fd waits for the next turn. */
static void test_added_during_turn(void)
{
	struct loop *l = loop_new(0);
	int a[2], b[2];
	make_pipe(a);
	make_pipe(b);
	struct seen s[2] = {{.l = l, .then = add_one, .arg = b[0]}, {0}};
	loop_add(l, a[0], POLLIN, on_ready, &s[0]);
	put(a[1]);
	put(b[1]);
	CHECK_INT(1, loop_once(l, in_ms(5000)));
	CHECK_INT(0, s[1].calls);
	CHECK(s[0].arg2 >= 0);
	CHECK_INT(2, loop_once(l, in_ms(5000)));
	CHECK_INT(1, s[1].calls);
	loop_free(l);
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

static void del_self(struct seen *s)
{
	loop_del(s->l, s->arg);
}

/* Many watches come and go, each deleting itself when called: handles are
 * reused and nothing is called twice or after its deletion. */
static void test_churn(void)
{
	struct loop *l = loop_new(0);
	enum { N = 64 };
	int p[N][2];
	struct seen s[N];
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < N; i++) {
			make_pipe(p[i]);
			s[i] = (struct seen){.l = l, .then = del_self};
			s[i].arg = loop_add(l, p[i][0], POLLIN, on_ready, &s[i]);
			CHECK(s[i].arg >= 0 && s[i].arg < N); /* reused, never more */
		}
		for (int i = 0; i < N; i++)
			if (test_below(2))
				put(p[i][1]);
		int calls = 0;
		while (loop_once(l, 0) > 0)
			calls++;
		for (int i = 0; i < N; i++) {
			CHECK(s[i].calls <= 1);
			if (!s[i].calls)
				loop_del(l, s[i].arg);
			close(p[i][0]);
			close(p[i][1]);
		}
		CHECK(calls <= 1);
	}
	loop_free(l);
}

/* Raise the soft fd limit to fit n more; the n that fits. */
static int fds_for(int n)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)n > r.rlim_cur - 64)
		n = (int)(r.rlim_cur - 64);
	return n;
}

/* 1000 watches, 3 ready: 3 callbacks, no more, and epoll is asked once. */
static void test_many_watches_few_ready(void)
{
	int n = fds_for(2000) / 2;
	if (n < 1000)
		printf("only %d watches fit under ulimit -n\n", n);
	struct loop *l = loop_new(0);
	int(*p)[2] = calloc((size_t)n, sizeof *p);
	struct seen *s = calloc((size_t)n, sizeof *s);
	for (int i = 0; i < n; i++) {
		make_pipe(p[i]);
		CHECK(loop_add(l, p[i][0], POLLIN, on_ready, &s[i]) == i);
	}
	int pick[3] = {n - 1, n / 2, 7};
	for (int i = 0; i < 3; i++)
		put(p[pick[i]][1]);
	uint64_t waits = loop_stats(l)->waits;
	CHECK_INT(3, loop_once(l, in_ms(5000)));
	CHECK_UINT(waits + 1, loop_stats(l)->waits);
	int total = 0;
	for (int i = 0; i < n; i++)
		total += s[i].calls;
	CHECK_INT(3, total);
	for (int i = 0; i < 3; i++)
		CHECK_INT(1, s[pick[i]].calls);
	loop_free(l);
	for (int i = 0; i < n; i++)
		close(p[i][0]), close(p[i][1]);
	free(p);
	free(s);
}

/* The same events again cost no syscall; a pause and a resume one each. */
static void test_set_is_cached(void)
{
	struct loop *l = loop_new(0);
	int p[2];
	make_pipe(p);
	struct seen s = {0};
	int h = loop_add(l, p[1], POLLOUT, on_ready, &s);
	uint64_t c0 = loop_stats(l)->changes;
	for (int i = 0; i < 1000; i++)
		loop_set(l, h, POLLOUT);
	CHECK_UINT(c0, loop_stats(l)->changes);
	loop_set(l, h, 0);
	loop_set(l, h, 0);
	CHECK_INT(0, loop_once(l, 0)); /* writable, but paused */
	loop_set(l, h, POLLOUT);
	CHECK_UINT(c0 + (BACKEND[0] == 'e' ? 2 : 0), loop_stats(l)->changes);
	CHECK_INT(1, loop_once(l, 0));
	CHECK_INT(POLLOUT, s.rev);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

/* epoll refuses regular files; poll calls them always ready, and so does
 * the loop on either backend. */
static void test_regular_file(void)
{
	char path[] = "/tmp/test_loop.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	struct loop *l = loop_new(0);
	struct seen s = {0};
	int h = loop_add(l, fd, POLLIN, on_ready, &s);
	CHECK(h >= 0);
	CHECK_INT(1, loop_once(l, in_ms(5000)));
	CHECK_INT(POLLIN, s.rev);
	loop_set(l, h, 0);
	int64_t t0 = now_ns();
	CHECK_INT(0, loop_once(l, in_ms(20))); /* paused: the wait blocks */
	CHECK(now_ns() - t0 >= 20 * NS_PER_MS);
	loop_set(l, h, POLLIN | POLLOUT);
	CHECK_INT(1, loop_once(l, in_ms(5000)));
	CHECK_INT(POLLIN | POLLOUT, s.rev);
	loop_del(l, h);
	CHECK_INT(0, loop_once(l, 0));
	CHECK_INT(2, s.calls);
	loop_free(l);
	close(fd);
}

/* Two watches on one fd (epoll registers an fd once): both are called. */
static void test_same_fd_twice(void)
{
	struct loop *l = loop_new(0);
	int p[2];
	make_pipe(p);
	struct seen a = {0}, b = {0};
	int ha = loop_add(l, p[0], POLLIN, on_ready, &a);
	int hb = loop_add(l, p[0], POLLIN, on_ready, &b);
	CHECK(ha >= 0 && hb >= 0 && ha != hb);
	put(p[1]);
	CHECK_INT(2, loop_once(l, in_ms(5000)));
	CHECK_INT(p[0], b.fd); /* the caller's fd, whatever epoll watches */
	loop_del(l, ha);
	CHECK_INT(1, loop_once(l, in_ms(5000)));
	CHECK_INT(1, a.calls);
	CHECK_INT(2, b.calls);
	loop_free(l);
	close(p[0]);
	close(p[1]);
}

/* An fd closed before its watch is deleted, while another fd (as a child
 * process would) keeps the pipe open: epoll would report it forever. The
 * loop falls back to poll and waits as it should. */
static void test_closed_before_deleted(void)
{
	struct loop *l = loop_new(0);
	int p[2], q[2];
	make_pipe(p);
	make_pipe(q);
	int held = dup(p[0]);
	struct seen s = {0}, other = {0};
	int h = loop_add(l, p[0], POLLIN, on_ready, &s);
	loop_add(l, q[0], POLLIN, on_ready, &other);
	put(p[1]);
	close(p[0]);
	loop_del(l, h);
	CHECK_INT(0, loop_once(l, in_ms(30))); /* epoll: the orphan, seen at once */
	int64_t t0 = now_ns();
	CHECK_INT(0, loop_once(l, in_ms(30)));
	CHECK(now_ns() - t0 >= 30 * NS_PER_MS);
	CHECK_STR("poll", loop_backend(l));
	put(q[1]);
	CHECK_INT(1, loop_once(l, in_ms(5000))); /* the others still work */
	CHECK_INT(0, s.calls);
	CHECK_INT(1, other.calls);
	loop_free(l);
	close(held), close(p[1]), close(q[0]), close(q[1]);
}

/* A few watches on poll; one past poll_max and epoll serves (where it
 * can), for good: the watches keep what they wait for, a paused one stays
 * paused, and fewer watches again do not go back. */
static void test_poll_then_epoll(void)
{
	struct loop *l = loop_new(3);
	int p[4][2];
	struct seen s[4] = {{0}};
	int h[4];
	for (int i = 0; i < 4; i++)
		make_pipe(p[i]);
	for (int i = 0; i < 3; i++)
		h[i] = loop_add(l, p[i][0], POLLIN, on_ready, &s[i]);
	CHECK_STR("poll", loop_backend(l));
	loop_set(l, h[1], 0);
	put(p[0][1]);
	put(p[1][1]);
	CHECK_INT(1, loop_once(l, in_ms(5000)));
	h[3] = loop_add(l, p[3][0], POLLIN, on_ready, &s[3]);
	CHECK_STR(BACKEND, loop_backend(l));
	put(p[3][1]);
	CHECK_INT(2, loop_once(l, in_ms(5000))); /* 0 and 3; 1 is paused */
	CHECK_INT(2, s[0].calls);
	CHECK_INT(0, s[1].calls);
	CHECK_INT(1, s[3].calls);
	loop_set(l, h[1], POLLIN);
	loop_del(l, h[3]);
	loop_del(l, h[2]);
	CHECK_STR(BACKEND, loop_backend(l));
	CHECK_INT(2, loop_once(l, in_ms(5000)));
	CHECK_INT(1, s[1].calls);
	loop_free(l);
	for (int i = 0; i < 4; i++)
		close(p[i][0]), close(p[i][1]);
}

static void test_bad_fd(void)
{
	struct loop *l = loop_new(0);
	struct seen s = {0};
	int h = loop_add(l, -1, POLLIN, on_ready, &s); /* never ready */
	CHECK(h >= 0);
	CHECK_INT(0, loop_once(l, 0));
	loop_del(l, h);
	loop_del(l, h); /* twice is harmless */
	loop_free(l);
}

int main(void)
{
	test_seed(7);
	TEST_RUN(test_backend);
	TEST_RUN(test_ready_and_paused);
	TEST_RUN(test_hangup_while_paused);
	TEST_RUN(test_deadline);
	TEST_RUN(test_deleted_while_ready);
	TEST_RUN(test_handle_reused_during_turn);
	TEST_RUN(test_added_during_turn);
	TEST_RUN(test_churn);
	TEST_RUN(test_many_watches_few_ready);
	TEST_RUN(test_set_is_cached);
	TEST_RUN(test_regular_file);
	TEST_RUN(test_same_fd_twice);
	TEST_RUN(test_closed_before_deleted);
	TEST_RUN(test_poll_then_epoll);
	TEST_RUN(test_bad_fd);
	return TEST_REPORT();
}

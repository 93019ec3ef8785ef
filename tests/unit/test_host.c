/* Unit tests for host.c: --sshlogin entries and files, good and bad; a
 * host's state; and hosts_pick's choice over caps, live counts, hosts that
 * are down and connections being set up. */
#include "host.h"
#include "test.h"

static char err[256];

/* Parse entry; on success check its parts (NULL: none). */
static void check_entry(const char *entry, const char *login, const char *user, const char *name,
			const char *port, unsigned cap, int line)
{
	struct host h;
	test_checks++;
	if (host_parse(&h, entry, strlen(entry), err, sizeof err) < 0) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED '%s': %s\n", __FILE__, line, entry, err);
		return;
	}
	CHECK_STR(login, h.login);
	CHECK_STR(user, h.user);
	CHECK_STR(name, h.name);
	CHECK_STR(port, h.port);
	CHECK_UINT(cap, h.cap);
	CHECK_INT(cap > 0, h.cap_given);
	CHECK_INT(name == NULL, h.local);
	CHECK_INT(HOST_UP, h.state);
	host_free(&h);
}
#define ENTRY(e, login, user, name, port, cap) check_entry(e, login, user, name, port, cap, __LINE__)

static void check_bad(const char *entry, const char *msg, int line)
{
	struct host h;
	test_checks++;
	if (host_parse(&h, entry, strlen(entry), err, sizeof err) == 0) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED '%s' was taken\n", __FILE__, line, entry);
		host_free(&h);
		return;
	}
	if (msg && strcmp(msg, err)) {
		test_failures++;
		fprintf(stderr, "%s:%d: FAILED '%s': expected \"%s\", got \"%s\"\n", __FILE__, line,
			entry, msg, err);
	}
}
#define BAD(e, msg) check_bad(e, msg, __LINE__)

static void test_entries(void)
{
	ENTRY("db1", "db1", NULL, "db1", NULL, 0);
	ENTRY("bob@db1", "bob@db1", "bob", "db1", NULL, 0);
	ENTRY("db1.example.com:2222", "db1.example.com:2222", NULL, "db1.example.com", "2222", 0);
	ENTRY("8/bob@10.0.0.7:22", "bob@10.0.0.7:22", "bob", "10.0.0.7", "22", 8);
	ENTRY(":", ":", NULL, NULL, NULL, 0);
	ENTRY("4/:", ":", NULL, NULL, NULL, 4);
	ENTRY("[::1]:2200", "[::1]:2200", NULL, "::1", "2200", 0);
	ENTRY("[fe80::1%eth0]", "[fe80::1%eth0]", NULL, "fe80::1%eth0", NULL, 0);
	ENTRY("::1", "::1", NULL, "::1", NULL, 0);
	ENTRY("100000/w.x_y-z", "w.x_y-z", NULL, "w.x_y-z", NULL, 100000);
	ENTRY("srv$@h", "srv$@h", "srv$", "h", NULL, 0);
}

static void test_bad_entries(void)
{
	BAD("", "invalid --sshlogin '': expected [N/][user@]host[:port] or :, the host a name or "
		"address");
	BAD("0/h", "invalid --sshlogin '0/h': N/ must be a number of workers from 1 to 100000");
	BAD("100001/h", NULL);
	BAD("x/h", NULL);
	BAD("08/h", NULL);
	BAD("4/", "invalid --sshlogin '4/': no host after N/");
	BAD("bob@", "invalid --sshlogin 'bob@': no host name");
	BAD("@h", NULL);
	BAD("b b@h", NULL);
	BAD("-oProxyCommand=x@h", NULL);
	BAD("-h", NULL);
	BAD(".h", NULL);
	BAD("h:", NULL);
	BAD("h:0", "invalid --sshlogin 'h:0': the port must be a number from 1 to 65535");
	BAD("h:65536", NULL);
	BAD("h:22x", NULL);
	BAD("[::1", NULL);
	BAD("[::1]x", NULL);
	BAD("[::1]:", NULL);
	BAD("a b", NULL);
	BAD("h;rm", NULL);
	BAD("h\n", "invalid --sshlogin 'h\\n': expected [N/][user@]host[:port] or :, the host a "
		   "name or address");
	BAD("caf\xc3\xa9", NULL);
	BAD("4/4/h", NULL);
	BAD("bob@:", NULL);
	BAD("a@b@h", NULL);
}

static void test_lists(void)
{
	struct hosts hs = HOSTS_INIT;
	CHECK_INT(0, hosts_add_list(&hs, "a,bob@b:2,3/:", err, sizeof err));
	CHECK_UINT(3, hs.n);
	CHECK_STR("bob@b:2", hs.h[1].login);
	CHECK_INT(2, hosts_local(&hs));
	/* The same login again is the same host; its last N/ counts. */
	CHECK_INT(0, hosts_add_list(&hs, "2/a,a", err, sizeof err));
	CHECK_INT(0, hosts_add_list(&hs, "5/a", err, sizeof err));
	CHECK_UINT(3, hs.n);
	CHECK_UINT(5, hs.h[0].cap);
	CHECK_INT(-1, hosts_add_list(&hs, "c,,d", err, sizeof err));
	CHECK_STR("invalid --sshlogin '': expected [N/][user@]host[:port] or :, the host a name "
		  "or address", err);
	CHECK_INT(-1, hosts_add_list(&hs, "c,d e", err, sizeof err));
	CHECK_STR("invalid --sshlogin 'd e': expected [N/][user@]host[:port] or :, the host a "
		  "name or address", err);
	/* c was added before the bad entry. */
	CHECK_UINT(4, hs.n);
	hosts_free(&hs);
	CHECK_UINT(0, hs.n);
	CHECK_INT(-1, hosts_local(&hs));
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof name, "h%d", i);
		CHECK_INT(0, hosts_add_list(&hs, name, err, sizeof err));
	}
	CHECK_UINT(40, hs.n);
	CHECK_STR("h39", hs.h[39].login);
	hosts_free(&hs);
}

static void test_file_text(void)
{
	struct hosts hs = HOSTS_INIT;
	static const char text[] = "# build farm\n\n  a  \n\t2/bob@b\r\n   # off: c\n:";
	CHECK_INT(0, hosts_add_text(&hs, text, sizeof text - 1, err, sizeof err));
	CHECK_UINT(3, hs.n);
	CHECK_STR("a", hs.h[0].login);
	CHECK_STR("bob@b", hs.h[1].login);
	CHECK_UINT(2, hs.h[1].cap);
	CHECK(hs.h[2].local);
	static const char bad[] = "a\n\nb c\n";
	CHECK_INT(-1, hosts_add_text(&hs, bad, sizeof bad - 1, err, sizeof err));
	CHECK_STR("line 3: invalid entry 'b c': expected [N/][user@]host[:port] or :, the host a "
		  "name or address", err);
	CHECK_INT(0, hosts_add_text(&hs, "", 0, err, sizeof err));
	hosts_free(&hs);
}

/* Hosts for the pick: this machine (cap 2), then r1 (cap 4), r2 (cap 4). */
static void three_hosts(struct hosts *hs)
{
	CHECK_INT(0, hosts_add_list(hs, "2/:,4/r1,4/r2", err, sizeof err));
}

static void test_pick_by_share(void)
{
	struct hosts hs = HOSTS_INIT;
	int64_t retry;
	three_hosts(&hs);
	struct host *l = &hs.h[0], *r1 = &hs.h[1], *r2 = &hs.h[2];
	CHECK_INT(0, hosts_pick(&hs, 0, &retry)); /* all empty: the first */
	CHECK_INT(-1, retry);
	l->live = 1;
	CHECK_INT(1, hosts_pick(&hs, 0, &retry));
	r1->live = 1;
	CHECK_INT(2, hosts_pick(&hs, 0, &retry));
	r2->live = 2; /* 1/2, 1/4, 2/4 */
	CHECK_INT(1, hosts_pick(&hs, 0, &retry));
	r1->live = 2; /* 1/2 ties 2/4: the first listed */
	CHECK_INT(0, hosts_pick(&hs, 0, &retry));
	l->live = 2;  /* full */
	CHECK_INT(1, hosts_pick(&hs, 0, &retry));
	r1->live = r2->live = 4;
	CHECK_INT(-1, hosts_pick(&hs, 0, &retry));
	hosts_free(&hs);
}

static void test_pick_unknown_cap(void)
{
	struct hosts hs = HOSTS_INIT;
	int64_t retry;
	CHECK_INT(0, hosts_add_list(&hs, "r", err, sizeof err));
	struct host *r = &hs.h[0];
	CHECK_INT(0, hosts_pick(&hs, 0, &retry));
	r->live = 1; /* one worker until its CPUs are known */
	CHECK_INT(-1, hosts_pick(&hs, 0, &retry));
	host_learn_cpus(r, 3);
	CHECK_UINT(3, r->cap);
	CHECK_INT(0, hosts_pick(&hs, 0, &retry));
	host_learn_cpus(r, 0);
	CHECK_UINT(1, r->cap);
	hosts_free(&hs);
	CHECK_INT(0, hosts_add_list(&hs, "2/r", err, sizeof err));
	host_learn_cpus(&hs.h[0], 64);
	CHECK_UINT(2, hs.h[0].cap);
	hosts_free(&hs);
}

static void test_pick_down(void)
{
	struct hosts hs = HOSTS_INIT;
	int64_t retry;
	three_hosts(&hs);
	struct host *l = &hs.h[0], *r1 = &hs.h[1], *r2 = &hs.h[2];
	l->live = 2;
	host_mark_down(r1, 100, 30, "Connection refused");
	CHECK_INT(HOST_DOWN, r1->state);
	CHECK_INT(100, r1->down_since);
	CHECK_INT(130, r1->retry_at);
	CHECK_UINT(1, r1->downs);
	CHECK_STR("Connection refused", r1->last_error);
	CHECK_INT(2, hosts_pick(&hs, 110, &retry));
	CHECK_INT(130, retry);
	r2->live = 4;
	CHECK_INT(-1, hosts_pick(&hs, 129, &retry));
	CHECK_INT(130, retry);
	/* Its retry time: one probe, and no more while that one lives. */
	CHECK_INT(1, hosts_pick(&hs, 130, &retry));
	CHECK_INT(-1, retry);
	r1->live = 1;
	CHECK_INT(-1, hosts_pick(&hs, 140, &retry));
	CHECK_INT(-1, retry);
	/* The probe failed: down again, still since the first time. */
	r1->live = 0;
	host_mark_down(r1, 150, 30, NULL);
	CHECK_INT(100, r1->down_since);
	CHECK_INT(180, r1->retry_at);
	CHECK_UINT(1, r1->downs);
	CHECK_STR("Connection refused", r1->last_error);
	host_mark_up(r1);
	CHECK_INT(HOST_UP, r1->state);
	CHECK_INT(1, hosts_pick(&hs, 150, &retry));
	host_mark_down(r1, 200, 30, "x");
	CHECK_UINT(2, r1->downs);
	/* This machine never goes down. */
	host_mark_down(l, 200, 30, "no");
	CHECK_INT(HOST_UP, l->state);
	char longer[400];
	memset(longer, 'e', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	host_mark_down(r2, 0, 1, longer);
	CHECK_UINT(HOST_ERROR_MAX - 1, strlen(r2->last_error));
	hosts_free(&hs);
}

static void test_pick_connections(void)
{
	struct hosts hs = HOSTS_INIT;
	int64_t retry;
	CHECK_INT(0, hosts_add_list(&hs, "9/r", err, sizeof err));
	struct host *r = &hs.h[0];
	/* Over masters: none yet, so a first one may be started. */
	CHECK_INT(0, hosts_pick(&hs, 0, &retry));
	r->connecting = 1;
	CHECK_INT(-1, hosts_pick(&hs, 0, &retry));
	r->free_slots = 2;
	CHECK_INT(0, hosts_pick(&hs, 0, &retry));
	r->connecting = 0;
	r->free_slots = 0;
	r->live = 3;
	CHECK_INT(0, hosts_pick(&hs, 0, &retry)); /* full masters: another may start */
	/* Each worker its own connection: a few handshakes at once. */
	r->direct = true;
	r->starting = HOST_HANDSHAKES - 1;
	CHECK_INT(0, hosts_pick(&hs, 0, &retry));
	r->starting = HOST_HANDSHAKES;
	CHECK_INT(-1, hosts_pick(&hs, 0, &retry));
	CHECK(!host_may_start(r, 0));
	hosts_free(&hs);
}

static void test_crash_loop(void)
{
	struct host h;
	CHECK_INT(0, host_parse(&h, "r", 1, err, sizeof err));
	for (int i = 1; i < HOST_CRASH_LOOP; i++)
		CHECK(!host_note_crash(&h));
	host_note_answer(&h);
	for (int i = 1; i < HOST_CRASH_LOOP; i++)
		CHECK(!host_note_crash(&h));
	CHECK(host_note_crash(&h));
	host_mark_down(&h, 0, 1, NULL);
	CHECK_UINT(0, h.crash_streak);
	host_free(&h);
}

int main(void)
{
	TEST_RUN(test_entries);
	TEST_RUN(test_bad_entries);
	TEST_RUN(test_lists);
	TEST_RUN(test_file_text);
	TEST_RUN(test_pick_by_share);
	TEST_RUN(test_pick_unknown_cap);
	TEST_RUN(test_pick_down);
	TEST_RUN(test_pick_connections);
	TEST_RUN(test_crash_loop);
	return TEST_REPORT();
}

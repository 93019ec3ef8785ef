/* host: parsing --sshlogin entries, a host's state, and where the next
 * worker may start; see host.h. */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define ENTRY_SHOWN 60
#define CAP_MAX 100000

/* Bytes a host name or address may hold: letters, digits, and the
 * punctuation of names, IPv4, IPv6 (with a %zone) addresses. Nothing a
 * shell or ssh's option parser would read otherwise. */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%",
			    s[i]) || s[i] == '\0')
			return false;
	return true;
}

/* User names: POSIX's portable set, and $ (machine accounts). */
static bool user_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-$",
			    s[i]) || s[i] == '\0')
			return false;
	return true;
}

/* A decimal number from lo to hi, all of s[0..n). */
static bool number_ok(const char *s, size_t n, unsigned long lo, unsigned long hi,
		      unsigned long *v)
{
	unsigned long x = 0;
	if (n == 0 || n > 6 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (unsigned long)(s[i] - '0');
	}
	*v = x;
	return x >= lo && x <= hi;
}

/* The parts of an entry, as offsets into it. */
struct parts {
	size_t cap_len;                /* digits before the '/', 0: none */
	size_t login;                  /* where the login starts */
	size_t user, user_len;         /* user_len 0: none */
	size_t name, name_len;
	size_t port, port_len;         /* port_len 0: none */
};

/* Split host[:port], [v6]:port or a bare IPv6 address at s[at..n). */
static int split_name(const char *s, size_t at, size_t n, struct parts *p)
{
	const char *colon = memchr(s + at, ':', n - at);
	if (s[at] == '[') {
		const char *close = memchr(s + at, ']', n - at);
		if (!close)
			return -1;
		p->name = at + 1;
		p->name_len = (size_t)(close - s) - p->name;
		size_t after = (size_t)(close - s) + 1;
		if (after == n)
			return 0;
		if (s[after] != ':')
			return -1;
		p->port = after + 1;
		p->port_len = n - p->port;
		return p->port_len ? 0 : -1;
	}
	p->name = at;
	/* Two colons or more: an IPv6 address, which takes no port unbracketed. */
	if (colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s))) {
		p->name_len = (size_t)(colon - s) - at;
		p->port = (size_t)(colon - s) + 1;
		p->port_len = n - p->port;
		return p->port_len ? 0 : -1;
	}
	p->name_len = n - at;
	return 0;
}

#define SYNTAX "expected [N/][user@]host[:port] or :, the host a name or address"

/* What is wrong with an entry, or NULL when nothing is. */
static const char *check_parts(const char *s, size_t n, struct parts *p, unsigned long *cap)
{
	memset(p, 0, sizeof *p);
	const char *slash = memchr(s, '/', n);
	if (slash) {
		p->cap_len = (size_t)(slash - s);
		if (!number_ok(s, p->cap_len, 1, CAP_MAX, cap))
			return "N/ must be a number of workers from 1 to 100000";
		p->login = p->cap_len + 1;
	}
	if (p->login == n)
		return slash ? "no host after N/" : SYNTAX;
	if (n - p->login == 1 && s[p->login] == ':')
		return NULL; /* this machine */
	const char *at = NULL;
	for (size_t i = p->login; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	size_t host_at = p->login;
	if (at) {
		p->user = p->login;
		p->user_len = (size_t)(at - s) - p->login;
		if (!user_ok(s + p->user, p->user_len))
			return "the user name holds a character other than letters, digits, '.', '_', "
			       "'-' and '$'";
		host_at = (size_t)(at - s) + 1;
	}
	if (host_at == n)
		return "no host name";
	unsigned long port;
	if (split_name(s, host_at, n, p) < 0 || !name_ok(s + p->name, p->name_len))
		return SYNTAX;
	if (p->port_len && !number_ok(s + p->port, p->port_len, 1, 65535, &port))
		return "the port must be a number from 1 to 65535";
	return NULL;
}

/* A copy of s[at..at+n) into *w, NUL-terminated; returns where it starts. */
static const char *take(char **w, const char *s, size_t at, size_t n)
{
	char *start = *w;
	memcpy(start, s + at, n);
	start[n] = '\0';
	*w += n + 1;
	return start;
}

/* host_parse, with what starting its message ("invalid --sshlogin"). */
static int parse_as(struct host *h, const char *entry, size_t len, const char *what, char *err,
		    size_t errlen)
{
	struct parts p;
	unsigned long cap = 0;
	char shown[ESCAPE_SIZE(ENTRY_SHOWN)];

	memset(h, 0, sizeof *h);
	const char *why = check_parts(entry, len, &p, &cap);
	if (why) {
		escape_text(shown, ENTRY_SHOWN, entry, len);
		escape_message(err, errlen, "%s '%s': %s", what, shown, why);
		return -1;
	}
	/* login, user, name, port: each a NUL-terminated copy in one block. */
	char *block = malloc(4 * (len + 1)), *w = block;
	if (!block) {
		escape_message(err, errlen, "out of memory");
		return -1;
	}
	h->login = take(&w, entry, p.login, len - p.login);
	h->local = p.name_len == 0;
	if (p.user_len)
		h->user = take(&w, entry, p.user, p.user_len);
	if (!h->local)
		h->name = take(&w, entry, p.name, p.name_len);
	if (p.port_len)
		h->port = take(&w, entry, p.port, p.port_len);
	h->cap = (unsigned)cap;
	h->cap_given = cap > 0;
	h->state = HOST_UP;
	return 0;
}

int host_parse(struct host *h, const char *entry, size_t len, char *err, size_t errlen)
{
	return parse_as(h, entry, len, "invalid --sshlogin", err, errlen);
}

void host_free(struct host *h)
{
	free((char *)h->login);
	h->login = h->user = h->name = h->port = NULL;
}

/* Add one parsed host, or merge it into the same login given before. */
static int add_host(struct hosts *hs, struct host *h, char *err, size_t errlen)
{
	for (unsigned i = 0; i < hs->n; i++)
		if (strcmp(hs->h[i].login, h->login) == 0) {
			if (h->cap_given) {
				hs->h[i].cap = h->cap;
				hs->h[i].cap_given = true;
			}
			host_free(h);
			return 0;
		}
	if (hs->n == hs->cap) {
		unsigned cap = hs->cap ? 2 * hs->cap : 8;
		struct host *a = realloc(hs->h, cap * sizeof *a);
		if (!a) {
			host_free(h);
			escape_message(err, errlen, "out of memory");
			return -1;
		}
		hs->h = a;
		hs->cap = cap;
	}
	hs->h[hs->n++] = *h;
	return 0;
}

static int add_entry(struct hosts *hs, const char *s, size_t n, const char *what, char *err,
		     size_t errlen)
{
	struct host h;
	if (parse_as(&h, s, n, what, err, errlen) < 0)
		return -1;
	return add_host(hs, &h, err, errlen);
}

int hosts_add_list(struct hosts *hs, const char *list, char *err, size_t errlen)
{
	const char *s = list;
	for (;;) {
		size_t n = strcspn(s, ",");
		if (add_entry(hs, s, n, "invalid --sshlogin", err, errlen) < 0)
			return -1;
		if (s[n] == '\0')
			return 0;
		s += n + 1;
	}
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int hosts_add_text(struct hosts *hs, const char *text, size_t len, char *err, size_t errlen)
{
	size_t at = 0;
	for (unsigned line = 1; at < len; line++) {
		const char *s = text + at, *nl = memchr(s, '\n', len - at);
		size_t n = nl ? (size_t)(nl - s) : len - at;
		at += n + 1;
		while (n && is_blank(*s))
			s++, n--;
		while (n && is_blank(s[n - 1]))
			n--;
		if (n == 0 || *s == '#')
			continue;
		char what[48];
		snprintf(what, sizeof what, "line %u: invalid entry", line);
		if (add_entry(hs, s, n, what, err, errlen) < 0)
			return -1;
	}
	return 0;
}

void hosts_free(struct hosts *hs)
{
	for (unsigned i = 0; i < hs->n; i++)
		host_free(&hs->h[i]);
	free(hs->h);
	hs->h = NULL;
	hs->n = hs->cap = 0;
}

int hosts_local(const struct hosts *hs)
{
	for (unsigned i = 0; i < hs->n; i++)
		if (hs->h[i].local)
			return (int)i;
	return -1;
}

/* Its cap, with one worker while a remote host's CPUs are not known. */
static unsigned cap_of(const struct host *h)
{
	return h->cap ? h->cap : 1;
}

bool host_may_start(const struct host *h, int64_t now)
{
	if (h->live >= cap_of(h))
		return false;
	if (h->local)
		return true;
	/* A host that is down gets one probe once its retry time comes. */
	if (h->state == HOST_DOWN && (now < h->retry_at || h->live > 0))
		return false;
	if (h->direct)
		return h->starting < HOST_HANDSHAKES;
	/* Over masters: a free session, or else a new master, one at a time. */
	return h->free_slots > 0 || h->connecting == 0;
}

int hosts_pick(const struct hosts *hs, int64_t now, int64_t *retry_at)
{
	int best = -1;
	*retry_at = -1;
	for (unsigned i = 0; i < hs->n; i++) {
		const struct host *h = &hs->h[i];
		if (h->state == HOST_DOWN && h->live == 0 && h->retry_at > now &&
		    (*retry_at < 0 || h->retry_at < *retry_at))
			*retry_at = h->retry_at;
		if (!host_may_start(h, now))
			continue;
		/* Fewer workers for its cap: live/cap below the best's. */
		const struct host *b = best < 0 ? NULL : &hs->h[best];
		if (!b || (uint64_t)h->live * cap_of(b) < (uint64_t)b->live * cap_of(h))
			best = (int)i;
	}
	return best;
}

void host_mark_down(struct host *h, int64_t now, int64_t retry_ns, const char *why)
{
	if (h->local)
		return;
	if (h->state == HOST_UP) {
		h->state = HOST_DOWN;
		h->down_since = now;
		h->downs++;
	}
	h->retry_at = now + retry_ns;
	h->crash_streak = 0;
	if (why)
		snprintf(h->last_error, sizeof h->last_error, "%s", why);
}

void host_mark_up(struct host *h)
{
	h->state = HOST_UP;
	h->down_since = h->retry_at = 0;
}

void host_learn_cpus(struct host *h, unsigned ncpus)
{
	if (!h->cap_given)
		h->cap = ncpus ? (ncpus > CAP_MAX ? CAP_MAX : ncpus) : 1;
}

bool host_note_crash(struct host *h)
{
	return ++h->crash_streak >= HOST_CRASH_LOOP;
}

void host_note_answer(struct host *h)
{
	h->crash_streak = 0;
}

/* host: the machines workers run on, as --sshlogin names them, and the
 * state of each: its cap, whether it is up, when a host that is down may be
 * tried again, why it went down, and the counts that decide where the next
 * worker may start. Pure: no I/O, no clock (callers pass the time), no
 * globals.
 *
 * An entry is [N/][user@]host[:port], or [N/]: for this machine. N caps the
 * workers there; without it a remote host's cap is its online CPUs, which
 * its first worker reports (until then one worker runs there). A host named
 * twice is one host: the last N/ given for it counts.
 *
 * A host fails as a unit: host_mark_down() takes it out until its retry
 * time, when one worker may start there as a probe; the first worker that
 * starts there brings it back (host_mark_up). The local host never goes
 * down: its failures are those of its workers. */
#ifndef PROCPOOL_HOST_H
#define PROCPOOL_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Workers that may be connecting to one host at once when each makes its
 * own connection (a --ssh command that is not ssh): sshd drops new
 * connections past MaxStartups (10 by default) unauthenticated ones. */
#define HOST_HANDSHAKES 3
/* Workers in a row that die there before answering: a crash loop. */
#define HOST_CRASH_LOOP 5
#define HOST_ERROR_MAX 160

enum host_state { HOST_UP, HOST_DOWN };

struct host {
	/* From the entry; the strings live in one block owned by the host. */
	const char *login; /* the entry without its N/: "bob@db1:2222", ":" */
	const char *user;  /* NULL: ssh's default */
	const char *name;  /* host name or address; NULL for this machine */
	const char *port;  /* NULL: ssh's default */
	bool local;
	unsigned cap;      /* most workers at once; 0: not known yet */
	bool cap_given;    /* N/ was given */

	/* State: host.c's transitions. */
	enum host_state state;
	int64_t down_since, retry_at; /* while down */
	unsigned downs;               /* times it went down */
	unsigned crash_streak;        /* workers in a row dead before answering */
	char last_error[HOST_ERROR_MAX];

	/* Counts the pool keeps up to date, read by hosts_pick. */
	unsigned live;       /* workers alive there, starting ones included */
	unsigned starting;   /* of those, not yet past their start marker */
	unsigned connecting; /* connections (ssh masters) being set up */
	unsigned free_slots; /* sessions free on its ready connections */
	bool direct;         /* each worker makes its own connection (no master) */
};

struct hosts {
	struct host *h;
	unsigned n, cap;
};

#define HOSTS_INIT {NULL, 0, 0}

/* Parse one entry (len bytes, no NUL needed) into h, which then owns a copy
 * of its strings (host_free releases them). 0, or -1 with a message. */
int host_parse(struct host *h, const char *entry, size_t len, char *err, size_t errlen);
void host_free(struct host *h);

/* Add the comma-separated entries of one --sshlogin value. 0, or -1 with a
 * message naming the entry. */
int hosts_add_list(struct hosts *hs, const char *list, char *err, size_t errlen);
/* Add the entries of an --sshloginfile's text: one a line, blank lines and
 * lines starting with # skipped. 0, or -1 with a message naming the line. */
int hosts_add_text(struct hosts *hs, const char *text, size_t len, char *err, size_t errlen);
void hosts_free(struct hosts *hs);
/* The index of this machine among the hosts, or -1 when it is not one. */
int hosts_local(const struct hosts *hs);

/* Where a new worker should start at time now: the index of the host, or
 * -1 when no host may take one now. Of the hosts that may, the one with the
 * fewest workers for its cap (the first listed on a tie). *retry_at: the
 * earliest time a host that is down may be tried again, -1 when none is
 * waiting for that. */
int hosts_pick(const struct hosts *hs, int64_t now, int64_t *retry_at);

/* Whether h may take one more worker at now (hosts_pick's rule for one host). */
bool host_may_start(const struct host *h, int64_t now);

/* h has failed as a unit: down from now (if it was up), tried again after
 * retry_ns; why (may be NULL) becomes its last error. */
void host_mark_down(struct host *h, int64_t now, int64_t retry_ns, const char *why);
/* A worker has started on h: it is up. */
void host_mark_up(struct host *h);
/* The online CPUs h reported; its cap unless N/ was given (0: unknown, 1). */
void host_learn_cpus(struct host *h, unsigned ncpus);
/* A worker on h died before answering: true when that makes a crash loop
 * there (HOST_CRASH_LOOP in a row). */
bool host_note_crash(struct host *h);
/* A worker on h answered: the crash streak ends. */
void host_note_answer(struct host *h);

#endif

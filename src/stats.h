/* stats: what the pool counts and times, and the ways it is shown: the
 * --stats summary, the --stats-json object, the --progress line and the
 * SIGUSR1 report. The pool only updates fields; this module only reads
 * them. */
#ifndef PROCPOOL_STATS_H
#define PROCPOOL_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"

/* One host's share (-S), by its index among the hosts. */
struct host_stats {
	char *name;          /* its login; ":" for this machine */
	uint64_t workers;    /* started there */
	uint64_t ok, failed; /* tasks that ended there */
	unsigned downs;      /* times it went down */
	struct hist startup; /* spawn to ready, of its workers */
};

struct stats {
	int64_t t0;           /* monotonic ns at start */
	uint64_t read, ok, failed, retried, skipped, not_run;
	uint64_t suspect;     /* results that may belong to other records */
	uint64_t bad_exits;   /* workers that failed as they exited, holding nothing */
	uint64_t started, retired, crashed;
	unsigned alive, busy, peak;
	uint64_t total;       /* expected tasks, 0 when unknown */
	struct hist latency;  /* dispatch to answer */
	struct hist wait;     /* read to dispatch */
	struct hist startup;  /* spawn to first answer */
	uint64_t cpu_user_ns, cpu_sys_ns; /* of the workers, at the end */
	uint64_t self_user_ns, self_sys_ns; /* procpool's own, at the end */
	uint64_t self_maxrss_kib;           /* procpool's own peak RSS */
	int64_t wall_ns;      /* at the end */
	unsigned nslots;      /* per slot (stats_slots): workers started, tasks answered */
	uint64_t *slot_workers, *slot_tasks;
	/* -j auto: the sizes it asked for, in order, and why the last */
	unsigned sizes[32], nsizes;
	unsigned size_holds;  /* the size it settled on last */
	double size_rate;     /* tasks/s it measured there */
	char size_why[96];
	unsigned nhosts;      /* with -S (stats_hosts) */
	struct host_stats *hosts;
};

void stats_init(struct stats *s, int64_t now, uint64_t total);
/* Count per slot, for n slots: 0, or -1 when out of memory. */
int stats_slots(struct stats *s, unsigned n);
/* Count per host, for n hosts (names set by the caller, freed here): 0, or
 * -1 when out of memory. */
int stats_hosts(struct stats *s, unsigned n);
void stats_free(struct stats *s);
/* -j auto asked for size, for the reason why. */
void stats_note_size(struct stats *s, unsigned size, const char *why);
/* The human summary (--stats, and SIGUSR1 with final false). */
void stats_print(const struct stats *s, int fd, int64_t now, bool final);
/* The JSON object (--stats-json), written to fd, which it closes. 0 or -1
 * with errno. */
int stats_write_json(const struct stats *s, int fd);

/* --progress: on a terminal, the log's status line, redrawn in place and
 * fitted to the terminal's width; otherwise a plain line every few seconds.
 * Both end with a last line. */
struct progress {
	int fd;
	bool tty;
	int64_t next;  /* monotonic ns of the next redraw */
};
void progress_init(struct progress *p, int fd, int64_t now);
/* Redraw when due; returns the next deadline. */
int64_t progress_tick(struct progress *p, const struct stats *s, int64_t now);
/* The last line: on a terminal, left there with a newline. */
void progress_end(struct progress *p, const struct stats *s, int64_t now);

#endif

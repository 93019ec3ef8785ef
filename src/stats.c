/* stats: summaries of what the pool counted; see stats.h. */
#include "stats.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void stats_init(struct stats *s, int64_t now, uint64_t total)
{
	memset(s, 0, sizeof *s);
	s->t0 = now;
	s->total = total;
	hist_init(&s->latency);
	hist_init(&s->wait);
	hist_init(&s->startup);
}

static void free_slots(struct stats *s)
{
	free(s->slot_workers);
	free(s->slot_tasks);
	s->slot_workers = s->slot_tasks = NULL;
	s->nslots = 0;
}

int stats_slots(struct stats *s, unsigned n)
{
	free_slots(s);
	s->slot_workers = calloc(n, sizeof *s->slot_workers);
	s->slot_tasks = calloc(n, sizeof *s->slot_tasks);
	if (!s->slot_workers || !s->slot_tasks) {
		free_slots(s);
		return -1;
	}
	s->nslots = n;
	return 0;
}

int stats_hosts(struct stats *s, unsigned n)
{
	if (!(s->hosts = calloc(n, sizeof *s->hosts)))
		return -1;
	s->nhosts = n;
	for (unsigned i = 0; i < n; i++)
		hist_init(&s->hosts[i].startup);
	return 0;
}

void stats_free(struct stats *s)
{
	free_slots(s);
	for (unsigned i = 0; i < s->nhosts; i++)
		free(s->hosts[i].name);
	free(s->hosts);
	s->hosts = NULL;
	s->nhosts = 0;
}

/* --stats: a line per host, after the summary. */
static void print_hosts(const struct stats *s, int fd)
{
	for (unsigned i = 0; i < s->nhosts; i++) {
		const struct host_stats *h = &s->hosts[i];
		char su[32], line[400];
		format_duration(su, sizeof su, (int64_t)hist_percentile(&h->startup, 50));
		int n = snprintf(line, sizeof line,
				 "  host      %s: %llu ok, %llu failed, %llu workers, start-up median "
				 "%s, down %u times\n",
				 h->name ? h->name : "?", (unsigned long long)h->ok,
				 (unsigned long long)h->failed, (unsigned long long)h->workers, su,
				 h->downs);
		if (n > 0)
			log_write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	}
}

static double rate(const struct stats *s, int64_t elapsed)
{
	return elapsed > 0 ? (double)(s->ok + s->failed) * 1e9 / (double)elapsed : 0;
}

static void dur(char *dst, size_t len, uint64_t ns)
{
	format_duration(dst, len, (int64_t)ns);
}

void stats_note_size(struct stats *s, unsigned size, const char *why)
{
	bool again = s->nsizes && s->sizes[s->nsizes - 1] == size;
	if (!again && s->nsizes < sizeof s->sizes / sizeof s->sizes[0])
		s->sizes[s->nsizes++] = size;
	snprintf(s->size_why, sizeof s->size_why, "%s", why);
}

/* "  -j auto   asked for 2 4 8 16; now 16: why\n" at buf, or nothing. */
static int print_sizes(const struct stats *s, char *buf, size_t len)
{
	if (!s->nsizes)
		return 0;
	int n = snprintf(buf, len, "  -j auto   asked for");
	for (unsigned i = 0; i < s->nsizes && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, " %u", s->sizes[i]);
	if (n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "; holds %u; last: %s\n", s->size_holds,
			      s->size_why);
	return n;
}

void stats_print(const struct stats *s, int fd, int64_t now, bool final)
{
	int64_t elapsed = final && s->wall_ns ? s->wall_ns : now - s->t0;
	const struct hist *l = &s->latency;
	char wall[32], p50[32], p90[32], p99[32], p999[32], mx[32], w50[32], w99[32], su[32];
	dur(wall, sizeof wall, (uint64_t)elapsed);
	dur(p50, sizeof p50, hist_percentile(l, 50));
	dur(p90, sizeof p90, hist_percentile(l, 90));
	dur(p99, sizeof p99, hist_percentile(l, 99));
	dur(p999, sizeof p999, hist_percentile(l, 99.9));
	dur(mx, sizeof mx, l->count ? l->max : 0);
	dur(w50, sizeof w50, hist_percentile(&s->wait, 50));
	dur(w99, sizeof w99, hist_percentile(&s->wait, 99));
	dur(su, sizeof su, hist_percentile(&s->startup, 50));
	char text[2048], suspect[48] = "", bad_exits[48] = "";
	if (s->suspect)
		snprintf(suspect, sizeof suspect, ", %llu suspect", (unsigned long long)s->suspect);
	if (s->bad_exits)
		snprintf(bad_exits, sizeof bad_exits, ", %llu failed at exit",
			 (unsigned long long)s->bad_exits);
	int n = snprintf(text, sizeof text,
		"procpool: %s\n"
		"  tasks     %llu ok, %llu failed%s, %llu retried, %llu skipped, %llu not run (%llu read)\n"
		"  time      %s wall, %.0f tasks/s\n"
		"  latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n"
		"  queued    p50 %s  p99 %s\n"
		"  workers   %llu started, %llu retired, %llu crashed%s, peak %u, %u alive now\n"
		"  start-up  median %s (spawn to ready)\n",
		final ? "statistics" : "statistics so far", (unsigned long long)s->ok,
		(unsigned long long)s->failed, suspect, (unsigned long long)s->retried,
		(unsigned long long)s->skipped, (unsigned long long)s->not_run,
		(unsigned long long)s->read, wall, rate(s, elapsed), p50, p90, p99, p999, mx, w50,
		w99, (unsigned long long)s->started, (unsigned long long)s->retired,
		(unsigned long long)s->crashed, bad_exits, s->peak, s->alive, su);
	if (n > 0 && (size_t)n < sizeof text)
		n += print_sizes(s, text + n, sizeof text - (size_t)n);
	if (n > 0 && (size_t)n < sizeof text && final)
		n += snprintf(text + n, sizeof text - (size_t)n,
			      "  cpu       %.2fs user, %.2fs system (workers)\n"
			      "  procpool  %.2fs user, %.2fs system, %.1f MiB peak RSS\n",
			      (double)s->cpu_user_ns / 1e9, (double)s->cpu_sys_ns / 1e9,
			      (double)s->self_user_ns / 1e9, (double)s->self_sys_ns / 1e9,
			      (double)s->self_maxrss_kib / 1024);
	/* One write, through log: a --progress line must make way for it. */
	if (n > 0)
		log_write(fd, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
	print_hosts(s, fd);
}

static void json_hist(FILE *f, const char *name, const struct hist *h)
{
	fprintf(f,
		"  \"%s\": {\"count\": %llu, \"p50\": %llu, \"p90\": %llu, \"p99\": %llu, "
		"\"p999\": %llu, \"max\": %llu},\n",
		name, (unsigned long long)h->count, (unsigned long long)hist_percentile(h, 50),
		(unsigned long long)hist_percentile(h, 90), (unsigned long long)hist_percentile(h, 99),
		(unsigned long long)hist_percentile(h, 99.9), (unsigned long long)(h->count ? h->max : 0));
}

int stats_write_json(const struct stats *s, int fd)
{
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close_fd(&fd);
		return -1;
	}
	fprintf(f, "{\n  \"tasks\": {\"read\": %llu, \"ok\": %llu, \"failed\": %llu, "
		   "\"suspect\": %llu, \"retried\": %llu, \"skipped\": %llu, \"not_run\": %llu},\n",
		(unsigned long long)s->read, (unsigned long long)s->ok, (unsigned long long)s->failed,
		(unsigned long long)s->suspect, (unsigned long long)s->retried,
		(unsigned long long)s->skipped, (unsigned long long)s->not_run);
	fprintf(f, "  \"wall_ns\": %lld,\n  \"tasks_per_s\": %.1f,\n", (long long)s->wall_ns,
		rate(s, s->wall_ns));
	json_hist(f, "latency_ns", &s->latency);
	json_hist(f, "queue_wait_ns", &s->wait);
	json_hist(f, "startup_ns", &s->startup);
	fprintf(f, "  \"workers\": {\"started\": %llu, \"retired\": %llu, \"crashed\": %llu, "
		   "\"failed_exits\": %llu, \"peak\": %u},\n",
		(unsigned long long)s->started, (unsigned long long)s->retired,
		(unsigned long long)s->crashed, (unsigned long long)s->bad_exits, s->peak);
	fprintf(f, "  \"slots\": [");
	for (unsigned k = 0, n = 0; k < s->nslots; k++)
		if (s->slot_workers[k])
			fprintf(f, "%s{\"slot\": %u, \"workers\": %llu, \"tasks\": %llu}",
				n++ ? ", " : "", k, (unsigned long long)s->slot_workers[k],
				(unsigned long long)s->slot_tasks[k]);
	fprintf(f, "],\n");
	if (s->nsizes) {
		fprintf(f, "  \"jobs_auto\": {\"asked\": [");
		for (unsigned i = 0; i < s->nsizes; i++)
			fprintf(f, "%s%u", i ? ", " : "", s->sizes[i]);
		/* The reason is procpool's own text: no quotes, no control bytes. */
		fprintf(f, "], \"holds\": %u, \"tasks_per_s_held\": %.1f, \"why\": \"%s\"},\n",
			s->size_holds, s->size_rate, s->size_why);
	}
	if (s->nhosts) {
		/* Logins hold no byte JSON would escape (host.c checks them). */
		fprintf(f, "  \"hosts\": [");
		for (unsigned i = 0; i < s->nhosts; i++) {
			const struct host_stats *h = &s->hosts[i];
			fprintf(f, "%s\n    {\"host\": \"%s\", \"workers\": %llu, \"ok\": %llu, "
				   "\"failed\": %llu, \"downs\": %u, \"startup_p50_ns\": %llu}",
				i ? "," : "", h->name ? h->name : "", (unsigned long long)h->workers,
				(unsigned long long)h->ok, (unsigned long long)h->failed, h->downs,
				(unsigned long long)hist_percentile(&h->startup, 50));
		}
		fprintf(f, "\n  ],\n");
	}
	fprintf(f, "  \"cpu_ns\": {\"user\": %llu, \"system\": %llu},\n",
		(unsigned long long)s->cpu_user_ns, (unsigned long long)s->cpu_sys_ns);
	fprintf(f, "  \"self_cpu_ns\": {\"user\": %llu, \"system\": %llu},\n"
		   "  \"self_maxrss_kib\": %llu\n}\n",
		(unsigned long long)s->self_user_ns, (unsigned long long)s->self_sys_ns,
		(unsigned long long)s->self_maxrss_kib);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

#define REDRAW_TTY (100 * NS_PER_MS)
#define REDRAW_PLAIN (5 * NS_PER_SEC)

void progress_init(struct progress *p, int fd, int64_t now)
{
	p->fd = fd;
	p->tty = isatty(fd);
	p->next = now + (p->tty ? REDRAW_TTY : REDRAW_PLAIN);
}

/* The parts of the progress line, in the order they go when the terminal is
 * too narrow for them all: the last first. Each but the first brings its
 * own separator. */
enum { PART_TASKS, PART_PERCENT, PART_ETA, PART_FAILED, PART_RATE, PART_BUSY, PARTS };
#define PART_LEN 48
/* The order they are shown in. */
static const int part_order[PARTS] = {PART_TASKS, PART_PERCENT, PART_RATE,
				      PART_ETA,   PART_FAILED,  PART_BUSY};

static void progress_parts(char part[PARTS][PART_LEN], const struct stats *s, int64_t now)
{
	uint64_t done = s->ok + s->failed + s->skipped;
	double r = rate(s, now - s->t0);
	for (int i = 0; i < PARTS; i++)
		part[i][0] = '\0';
	/* Past the total, the total was wrong: no fraction, percentage or ETA. */
	if (s->total && done <= s->total) {
		snprintf(part[PART_TASKS], PART_LEN, "%llu/%llu tasks", (unsigned long long)done,
			 (unsigned long long)s->total);
		snprintf(part[PART_PERCENT], PART_LEN, " (%llu%%)",
			 (unsigned long long)(done * 100 / s->total));
		if (done < s->total) {
			char eta[32] = "?";
			if (r > 0) {
				/* A year stands for any longer ETA (and keeps the
				 * cast defined). */
				double left = (double)(s->total - done) / r, year = 365 * 86400.0;
				format_duration_coarse(eta, sizeof eta,
						       (int64_t)((left < year ? left : year) * 1e9));
			}
			snprintf(part[PART_ETA], PART_LEN, ", ETA %s", eta);
		}
	} else {
		snprintf(part[PART_TASKS], PART_LEN, "%llu tasks", (unsigned long long)done);
	}
	snprintf(part[PART_RATE], PART_LEN, ", %.0f/s", r);
	snprintf(part[PART_FAILED], PART_LEN, ", %llu failed", (unsigned long long)s->failed);
	snprintf(part[PART_BUSY], PART_LEN, ", %u/%u workers busy", s->busy, s->alive);
}

/* The parts joined in their order into dst (PARTS * PART_LEN bytes), the
 * least important left out while the line is wider than width; the first
 * alone is cut to it. Returns the length. */
static size_t progress_fit(char *dst, char part[PARTS][PART_LEN], size_t width)
{
	int keep = PARTS;
	size_t n;
	for (;; keep--) {
		n = 0;
		for (int i = 0; i < keep; i++)
			n += strlen(part[i]);
		if (n <= width || keep == 1)
			break;
	}
	n = 0;
	for (int i = 0; i < PARTS; i++) {
		const char *t = part[part_order[i]];
		if (part_order[i] < keep) {
			memcpy(dst + n, t, strlen(t));
			n += strlen(t);
		}
	}
	return n < width ? n : width; /* the first part alone may still be too wide */
}

static void draw(struct progress *p, const struct stats *s, int64_t now)
{
	char part[PARTS][PART_LEN], line[PARTS * PART_LEN + 16];
	progress_parts(part, s, now);
	if (p->tty) {
		/* One column spare: a line as wide as the terminal leaves the
		 * cursor waiting to wrap. Read each time, to follow a resize. */
		unsigned cols = term_columns(p->fd);
		log_status(p->fd, line, progress_fit(line, part, cols ? cols - 1 : SIZE_MAX));
	} else {
		size_t n = strlen("procpool: ");
		memcpy(line, "procpool: ", n);
		n += progress_fit(line + n, part, SIZE_MAX);
		line[n++] = '\n';
		log_write(p->fd, line, n);
	}
}

int64_t progress_tick(struct progress *p, const struct stats *s, int64_t now)
{
	if (now >= p->next) {
		draw(p, s, now);
		p->next = now + (p->tty ? REDRAW_TTY : REDRAW_PLAIN);
	}
	return p->next;
}

void progress_end(struct progress *p, const struct stats *s, int64_t now)
{
	draw(p, s, now);
	if (p->tty)
		log_status_end();
}

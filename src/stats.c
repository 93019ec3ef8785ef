/* stats: summaries of what the pool counted; see stats.h. */
#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static double rate(const struct stats *s, int64_t elapsed)
{
	return elapsed > 0 ? (double)(s->ok + s->failed) * 1e9 / (double)elapsed : 0;
}

static void dur(char *dst, size_t len, uint64_t ns)
{
	format_duration(dst, len, (int64_t)ns);
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
	dprintf(fd,
		"procpool: %s\n"
		"  tasks     %llu ok, %llu failed, %llu retried, %llu skipped, %llu not run (%llu read)\n"
		"  time      %s wall, %.0f tasks/s\n"
		"  latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n"
		"  queued    p50 %s  p99 %s\n"
		"  workers   %llu started, %llu retired, %llu crashed, peak %u, %u alive now\n"
		"  start-up  median %s (spawn to first answer)\n",
		final ? "statistics" : "statistics so far", (unsigned long long)s->ok,
		(unsigned long long)s->failed, (unsigned long long)s->retried,
		(unsigned long long)s->skipped, (unsigned long long)s->not_run,
		(unsigned long long)s->read, wall, rate(s, elapsed), p50, p90, p99, p999, mx, w50,
		w99, (unsigned long long)s->started, (unsigned long long)s->retired,
		(unsigned long long)s->crashed, s->peak, s->alive, su);
	if (final)
		dprintf(fd,
			"  cpu       %.2fs user, %.2fs system (workers)\n"
			"  procpool  %.2fs user, %.2fs system, %.1f MiB peak RSS\n",
			(double)s->cpu_user_ns / 1e9, (double)s->cpu_sys_ns / 1e9,
			(double)s->self_user_ns / 1e9, (double)s->self_sys_ns / 1e9,
			(double)s->self_maxrss_kib / 1024);
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

int stats_write_json(const struct stats *s, const char *path)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f, "{\n  \"tasks\": {\"read\": %llu, \"ok\": %llu, \"failed\": %llu, "
		   "\"retried\": %llu, \"skipped\": %llu, \"not_run\": %llu},\n",
		(unsigned long long)s->read, (unsigned long long)s->ok, (unsigned long long)s->failed,
		(unsigned long long)s->retried, (unsigned long long)s->skipped,
		(unsigned long long)s->not_run);
	fprintf(f, "  \"wall_ns\": %lld,\n  \"tasks_per_s\": %.1f,\n", (long long)s->wall_ns,
		rate(s, s->wall_ns));
	json_hist(f, "latency_ns", &s->latency);
	json_hist(f, "queue_wait_ns", &s->wait);
	json_hist(f, "startup_ns", &s->startup);
	fprintf(f, "  \"workers\": {\"started\": %llu, \"retired\": %llu, \"crashed\": %llu, "
		   "\"peak\": %u},\n",
		(unsigned long long)s->started, (unsigned long long)s->retired,
		(unsigned long long)s->crashed, s->peak);
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
	p->drawn = false;
	p->width = 0;
}

static int progress_line(char *dst, size_t len, const struct stats *s, int64_t now)
{
	uint64_t done = s->ok + s->failed + s->skipped;
	int64_t elapsed = now - s->t0;
	double r = rate(s, elapsed);
	char eta[32] = "?";
	int n;
	if (s->total && r > 0 && done <= s->total)
		format_duration(eta, sizeof eta, (int64_t)((double)(s->total - done) / r * 1e9));
	if (s->total)
		n = snprintf(dst, len, "%llu/%llu tasks (%.0f%%), %.0f/s, ETA %s, %llu failed, "
				       "%u/%u workers busy",
			     (unsigned long long)done, (unsigned long long)s->total,
			     100.0 * (double)done / (double)s->total, r, eta,
			     (unsigned long long)s->failed, s->busy, s->alive);
	else
		n = snprintf(dst, len, "%llu tasks, %.0f/s, %llu failed, %u/%u workers busy",
			     (unsigned long long)done, r, (unsigned long long)s->failed, s->busy,
			     s->alive);
	return n < 0 ? 0 : n >= (int)len ? (int)len - 1 : n;
}

static void draw(struct progress *p, const struct stats *s, int64_t now)
{
	char line[256], out[300];
	int n = progress_line(line, sizeof line, s, now);
	int m;
	if (p->tty) {
		/* \r, the line, and blanks over what a longer last line left. */
		size_t pad = p->width > (size_t)n ? p->width - (size_t)n : 0;
		m = snprintf(out, sizeof out, "\r%s%*s", line, (int)pad, "");
		p->width = (size_t)n;
		p->drawn = true;
	} else {
		m = snprintf(out, sizeof out, "procpool: %s\n", line);
	}
	if (m > 0)
		write_all(p->fd, out, (size_t)m < sizeof out ? (size_t)m : sizeof out - 1);
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
	if (!p->tty)
		return;
	draw(p, s, now);
	write_all(p->fd, "\n", 1);
}

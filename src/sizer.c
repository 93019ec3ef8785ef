/* sizer: see sizer.h for how it decides. Here: samples are counted into a
 * measurement (counted, measured); a measurement at the size held is a
 * baseline (baseline), one at a size tried is judged against it (verdict,
 * judge), and the search moves on from either (try_next, accept, reject,
 * failed, hold). */
#include "sizer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BETA 0.5 /* the marginal gain at which a worker is worth having */
#define Z 2.0    /* how many standard errors make a difference clear */
#define Z_EARLY 3.0 /* the same, for a try that stops before its planned end */
#define MIN_SAMPLES 2
#define MAX_SAMPLES 16
#define GIVE_UP 4        /* samples the pool may stay short of want */
#define MOVED 0.25       /* a held throughput that moves this much */
#define HOLD_MIN_NS (4 * 1000000000LL)
#define HOLD_MAX_NS (64 * 1000000000LL)

static unsigned umax(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

static unsigned umin(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* Set the reason, or add to it after a "; ". */
__attribute__((format(printf, 3, 4))) static void say(struct sizer *s, bool add, const char *fmt,
						      ...)
{
	size_t at = 0;
	if (add) {
		at = strlen(s->why);
		at += (size_t)snprintf(s->why + at, sizeof s->why - at, "; ");
	}
	if (at >= sizeof s->why)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why + at, sizeof s->why - at, fmt, ap);
	va_end(ap);
}

static void restart_measurement(struct sizer *s)
{
	s->k = 0;
	s->tasks = s->secs = s->sum_r = s->sum_r2 = 0;
}

static void ask(struct sizer *s, unsigned want)
{
	if (want != s->want)
		s->still = 0; /* what was measured until now was at another size */
	s->want = want;
	restart_measurement(s);
}

void sizer_init(struct sizer *s, unsigned min, unsigned max, unsigned start, int64_t now)
{
	min = umax(min, 1);
	max = umax(max, min);
	*s = (struct sizer){.min = min, .max = max, .due = now + SIZER_INTERVAL_NS};
	s->cur = s->want = umin(umax(start, min), max);
	s->noise2 = 0.05 * 0.05; /* until samples say otherwise */
	s->dir = 1;
	s->step = s->cur; /* doubling */
	s->hold_ns = HOLD_MIN_NS;
	say(s, false, "starting at %u", s->cur);
}

/* The relative standard error a measurement needs for the step being
 * tried to show: Z * sqrt(2) * se / dn stays within a quarter, half the
 * way from a marginal gain of 1 to BETA. */
static double se_wanted(const struct sizer *s)
{
	double se = 0.25 * s->step / s->cur / (Z * M_SQRT2);
	return s->again ? se / 2 : se; /* the first time was not enough */
}

/* The measurement so far; with its spread folded into the noise when it
 * is final. */
static struct sizer_meas measured(struct sizer *s, unsigned size, bool final)
{
	struct sizer_meas m = {s->secs > 0 ? s->tasks / s->secs : 0, 1.0, size};
	double mean = s->sum_r / s->k;
	if (s->tasks <= 0 || mean <= 0)
		return m;
	double var = fmax(0, (s->sum_r2 / s->k - mean * mean) * s->k / (s->k - 1));
	double noise2 = 0.7 * s->noise2 + 0.3 * var / (mean * mean);
	if (final)
		s->noise2 = noise2;
	m.se2 = fmax(noise2, s->k / s->tasks) / s->k; /* Poisson: of one sample */
	return m;
}

/* The smallest step the noise lets MAX_SAMPLES samples tell (as
 * se_wanted, solved for the step). */
static unsigned min_step(const struct sizer *s)
{
	double dn = Z * M_SQRT2 * sqrt(s->noise2 / MAX_SAMPLES) / 0.25;
	return (unsigned)ceil(dn * s->cur);
}

/* Hold at cur, trying again at try_at. */
static void hold(struct sizer *s, int64_t now)
{
	s->holding = true;
	s->try_at = now + s->hold_ns;
	s->step = umin(umax(umax(1, s->cur / 8), min_step(s)), s->cur);
	s->dir = 1;
	s->turned = false;
}

/* The try in s->dir did not work (or could not be made). */
static void failed(struct sizer *s, int64_t now)
{
	if (!s->turned) {
		s->dir = -s->dir;
		s->turned = true;
		return;
	}
	if (s->holding) {
		s->hold_ns = s->hold_ns * 2 > HOLD_MAX_NS ? HOLD_MAX_NS : s->hold_ns * 2;
		hold(s, now);
		return;
	}
	s->step /= 2;
	s->dir = 1;
	s->turned = false;
	if (s->step < umax(umax(1, s->cur / 16), min_step(s))) {
		s->hold_ns = HOLD_MIN_NS;
		hold(s, now);
	}
}

/* From cur, ask for the next size to try, unless the search holds; add
 * says so after the reason already given. */
static void try_next(struct sizer *s, int64_t now, bool add)
{
	for (int tries = 0; tries < 2; tries++) {
		if (s->holding && now < s->try_at)
			break;
		/* at most doubling or halving in one try */
		unsigned down = umin(umin(s->step, s->cur / 2), s->cur - s->min);
		unsigned to = s->dir > 0 ? umin(s->max, s->cur + s->step) : s->cur - down;
		if (to != s->cur) {
			ask(s, to);
			if (add)
				say(s, true, "trying %u", to);
			else
				say(s, false, "trying %u (from %u)", to, s->cur);
			return;
		}
		failed(s, now); /* at a bound: that way is closed */
	}
	ask(s, s->cur);
	if (s->holding)
		say(s, add, "holding %u, trying again in %llds", s->cur,
		    (long long)((s->try_at - now + 999999999) / 1000000000));
}

static void baseline(struct sizer *s, const struct sizer_meas *m, int64_t now)
{
	const struct sizer_meas *b = &s->base;
	double moved = b->rate > 0 ? m->rate / b->rate - 1 : 0;
	/* twice the usual margin: a held size is measured over and over */
	bool restart = s->holding && s->have_base && b->size == m->size &&
		       fabs(moved) > MOVED && fabs(moved) > 2 * Z * sqrt(b->se2 + m->se2);
	s->base = *m;
	s->have_base = true;
	if (restart) {
		s->holding = false;
		s->hold_ns = HOLD_MIN_NS;
		s->step = umax(1, s->cur / 2);
		s->dir = 1;
		s->turned = false;
		say(s, false, "throughput at %u moved %+.0f%%", s->cur, 100 * moved);
	}
	try_next(s, now, restart);
}

static void accept(struct sizer *s, const struct sizer_meas *m, int64_t now)
{
	s->cur = m->size;
	s->base = *m;
	s->step = umin(s->step * 2, s->cur);
	s->turned = true; /* the way back is known to be worse */
	if (s->holding) {
		s->holding = false;
		s->hold_ns = HOLD_MIN_NS;
	}
	try_next(s, now, true);
}

static void reject(struct sizer *s, int64_t now)
{
	failed(s, now);
	ask(s, s->cur); /* back, and measure it afresh before the next try */
}

/* Whether the size tried worked against the baseline: +1 clearly, -1
 * clearly not, 0 not yet clear. */
static int verdict(const struct sizer *s, const struct sizer_meas *m, double z)
{
	const struct sizer_meas *base = &s->base;
	bool up = m->size > base->size;
	const struct sizer_meas *a = up ? base : m, *b = up ? m : base;
	if (a->size == b->size || a->rate <= 0)
		return 0;
	double dn = (double)(b->size - a->size) / a->size;
	double e = (b->rate / a->rate - 1) / dn, se = z * sqrt(a->se2 + b->se2) / dn;
	int sign = up ? 1 : -1; /* down works where e is low */
	if (sign * (e - BETA) > se)
		return 1;
	return sign * (e - BETA) < -se ? -1 : 0;
}

/* m was measured at a size tried: keep it or go back. */
static void judge(struct sizer *s, const struct sizer_meas *m, int v, int64_t now)
{
	const struct sizer_meas *base = &s->base;
	unsigned from = s->cur;
	bool up = m->size > base->size;
	if (m->size == base->size || base->rate <= 0 || m->rate <= 0) {
		say(s, false, "could not tell %u from %u: staying", s->want, from);
		reject(s, now);
		return;
	}
	/* as seen from the size held: what the change of size did */
	char what[48];
	snprintf(what, sizeof what, "%+.0f%% for %+.0f%% workers", 100 * (m->rate / base->rate - 1),
		 100 * ((double)m->size / base->size - 1));
	const char *how = v > 0 ? (up ? "paid" : "did as well")
				: v < 0 ? (up ? "did not pay" : "lost too much") : "was not clear";
	say(s, false, "%u -> %u %s: %s", from, m->size, how, what);
	if (v == 0 && !s->again) {
		s->again = true; /* back, measure both longer, and try it again */
		ask(s, s->cur);
		return;
	}
	s->again = false;
	if (v > 0)
		accept(s, m, now);
	else
		reject(s, now);
}

/* Count the interval that ends now into the measurement under way, unless
 * the size in use changed in it or the one before, or the pool is still on
 * its way to want. Whether it was counted. */
static bool counted(struct sizer *s, int64_t now, uint64_t done, unsigned size)
{
	bool still = s->started && size == s->size0;
	double secs = (double)(now - s->t0) / 1e9, n = (double)(done - s->done0);
	s->started = true;
	s->t0 = now;
	s->done0 = done;
	s->size0 = size;
	s->still = still ? s->still + 1 : 0;
	if (s->still < 2 || secs <= 0)
		return false;
	if (size != s->want && s->still < GIVE_UP) {
		say(s, false, "waiting for %u workers (%u in use)", s->want, size);
		return false;
	}
	s->k++;
	s->tasks += n;
	s->secs += secs;
	s->sum_r += n / secs;
	s->sum_r2 += (n / secs) * (n / secs);
	return true;
}

unsigned sizer_sample(struct sizer *s, int64_t now, uint64_t done, unsigned size)
{
	if (now < s->due)
		return s->want;
	s->due = now + SIZER_INTERVAL_NS;
	if (!counted(s, now, done, size) || s->k < MIN_SAMPLES)
		return s->want;
	bool trial = s->want != s->cur && s->have_base;
	struct sizer_meas m = measured(s, size, false);
	double se = se_wanted(s);
	bool enough = m.se2 <= se * se || s->k >= MAX_SAMPLES;
	int v = trial ? verdict(s, &m, enough ? Z : Z_EARLY) : 0;
	if (!enough && v == 0)
		return s->want; /* measure on; a try that is clear early stops */
	m = measured(s, size, true);
	if (trial)
		judge(s, &m, v, now);
	else
		baseline(s, &m, now);
	return s->want;
}

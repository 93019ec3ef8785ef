/* replay.h: a main() for a harness built without libFuzzer (-DFUZZ_REPLAY).
 *
 * Runs LLVMFuzzerTestOneInput on every file named on the command line, and
 * on every file of a directory named there, each in an exact-size heap copy.
 * With FUZZ_RANDOM_RUNS=N in the environment it then tries N more inputs
 * (or as many as fit in FUZZ_RANDOM_SECONDS=S): random mutations of those
 * files and plain random bytes (FUZZ_SEED picks the sequence); a poor man's
 * fuzzer for hosts without clang. With
 * FUZZ_DUMP=FILE each random input is written to FILE before it runs, so
 * after a crash FILE holds the input that caused it. A failing input makes
 * the harness abort (a file's name is printed before it runs). Needs
 * _XOPEN_SOURCE=700 on the command line (for dirent). */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

static uint8_t **replay_inputs;
static size_t *replay_sizes, replay_n, replay_cap;

static void replay_keep(uint8_t *p, size_t n)
{
	if (replay_n == replay_cap) {
		replay_cap = replay_cap ? 2 * replay_cap : 64;
		replay_inputs = realloc(replay_inputs, replay_cap * sizeof *replay_inputs);
		replay_sizes = realloc(replay_sizes, replay_cap * sizeof *replay_sizes);
		if (!replay_inputs || !replay_sizes)
			abort();
	}
	replay_inputs[replay_n] = p;
	replay_sizes[replay_n++] = n;
}

static void replay_file(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		perror(path);
		exit(2);
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.') {
				char sub[4096];
				snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
				replay_file(sub);
			}
		if (d)
			closedir(d);
		return;
	}
	FILE *f = fopen(path, "rb");
	uint8_t *p = malloc((size_t)st.st_size + 1);
	size_t n = f && p ? fread(p, 1, (size_t)st.st_size, f) : 0;
	if (!f || !p || n != (size_t)st.st_size) {
		perror(path);
		exit(2);
	}
	fclose(f);
	fprintf(stderr, "replay %s (%zu bytes)\n", path, n);
	uint8_t *exact = realloc(p, n ? n : 1); /* so ASan flags a read at [n] */
	LLVMFuzzerTestOneInput(exact, n);
	replay_keep(exact, n);
}

static uint64_t replay_rng;
static uint64_t replay_rand(void)
{
	replay_rng ^= replay_rng << 13;
	replay_rng ^= replay_rng >> 7;
	return replay_rng ^= replay_rng << 17;
}

/* One random input: a mutated known input, or fresh bytes. */
static size_t replay_make(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	if (replay_n && replay_rand() % 4) {
		size_t k = replay_rand() % replay_n;
		n = replay_sizes[k] < cap ? replay_sizes[k] : cap;
		memcpy(buf, replay_inputs[k], n);
		for (int m = (int)(replay_rand() % 8); m >= 0; m--) {
			size_t at = n ? replay_rand() % n : 0;
			unsigned op = (unsigned)(replay_rand() % 4);
			if (op == 0 && n) { /* flip a bit */
				buf[at] ^= (uint8_t)(1u << replay_rand() % 8);
			} else if (op == 1 && n) { /* change a byte */
				buf[at] = (uint8_t)replay_rand();
			} else if (op == 2 && n < cap) { /* insert a byte */
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = (uint8_t)replay_rand();
				n++;
			} else if (n) { /* drop a byte */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
		}
	} else {
		n = replay_rand() % cap;
		uint8_t span = (uint8_t)(replay_rand() % 4 ? 4 + replay_rand() % 64 : 255);
		uint8_t base = (uint8_t)replay_rand();
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(base + replay_rand() % span);
	}
	return n;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		replay_file(argv[i]);
	const char *runs = getenv("FUZZ_RANDOM_RUNS"), *seed = getenv("FUZZ_SEED");
	const char *dump = getenv("FUZZ_DUMP");
	const char *secs = getenv("FUZZ_RANDOM_SECONDS");
	unsigned long nruns = runs ? strtoul(runs, NULL, 10) : secs ? (unsigned long)-1 : 0;
	time_t stop = secs ? time(NULL) + (time_t)strtol(secs, NULL, 10) : 0;
	replay_rng = seed ? strtoull(seed, NULL, 0) | 1 : 0x9e3779b97f4a7c15u;
	static uint8_t buf[4096];
	unsigned long r = 0;
	for (; r < nruns && !(stop && (r & 255) == 0 && time(NULL) >= stop); r++) {
		size_t n = replay_make(buf, sizeof buf);
		uint8_t *exact = malloc(n ? n : 1);
		memcpy(exact, buf, n);
		FILE *f = dump ? fopen(dump, "wb") : NULL;
		if (f) {
			fwrite(buf, 1, n, f);
			fclose(f);
		}
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	fprintf(stderr, "%s: %zu files and %lu random inputs passed\n", argv[0], replay_n, r);
	for (size_t i = 0; i < replay_n; i++)
		free(replay_inputs[i]);
	free(replay_inputs);
	free(replay_sizes);
	return 0;
}

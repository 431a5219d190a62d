/*
 * bench/store.c - build/bench-store: what one visited-set operation of checker/store.c costs,
 * next to what the memory system allows.
 *
 *   build/bench-store COUNT [--width W]      (COUNT takes k, M, G suffixes: 10M = 10^7)
 *
 * Inserts COUNT distinct pseudo-random W-byte vectors (labels of 12 bytes, as the search
 * stores a struct fl_step), then looks each one up again; an insert and a lookup are timed
 * with their XXH3 hash, as the search pays it. The vectors are made before the clock starts.
 * Then, as the hardware's limit, random 8-byte reads and random read-modify-writes over a
 * plain array as large as the store's slot table (filled first, so no page is the shared
 * zero page). One JSON line on stdout; bad arguments: one line on stderr and exit 2.
 */
#include "../checker/fl.h"
#include "../checker/run.h"
#include "../checker/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LABEL_SIZE 12
#define MAX_WIDTH 4096
#define MIN_RANDOM_OPS (1u << 22) /* enough random accesses to time, whatever COUNT is */

/* Keeps the loops' results alive: the compiler cannot drop what is stored here. */
static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "bench-store: %s%s%s (usage: bench-store COUNT [--width W])\n", msg,
		arg ? ": " : "", arg ? arg : "");
	return FL_EXIT_USAGE;
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A bijection on b-bit numbers (1 <= b <= 64): xor-shifts and odd multipliers modulo 2^b
 * are each invertible, so distinct indices give distinct vectors. */
static uint64_t permute(uint64_t x, unsigned b)
{
	uint64_t m = b == 64 ? ~0ull : ((uint64_t)1 << b) - 1;
	unsigned s = b > 1 ? b / 2 : 1;
	x = (x ^ (x >> s)) & m;
	x = (x * 0xBF58476D1CE4E5B9ull) & m;
	x = (x ^ (x >> s)) & m;
	x = (x * 0x94D049BB133111EBull) & m;
	return (x ^ (x >> s)) & m;
}

/* Vector i: its first min(W, 8) bytes are permute(i), so vectors are distinct; the rest is
 * noise from i. */
static void make_vector(uint8_t *v, size_t w, uint64_t i)
{
	unsigned head = w < 8 ? (unsigned)w : 8;
	uint64_t p = permute(i, 8 * head), seed = i ^ 0x5DEECE66Dull;
	for (unsigned k = 0; k < head; k++)
		v[k] = (uint8_t)(p >> (8 * k));
	for (size_t k = head; k < w; k += 8) {
		uint64_t r = splitmix(&seed);
		for (size_t j = k; j < w && j < k + 8; j++)
			v[j] = (uint8_t)(r >> (8 * (j - k)));
	}
}

static int parse(int argc, char **argv, size_t *count, size_t *width)
{
	double v;
	*width = 8;
	if (argc < 2)
		return usage("give the number of vectors", NULL);
	if (fl_run_parse_count(argv[1], 0, &v) || v < 1 || v != (double)(size_t)v ||
	    v > (double)(UINT32_MAX - 2))
		return usage("COUNT must be a whole number from 1 to 4294967293 (k, M, G suffixes)",
			     argv[1]);
	*count = (size_t)v;
	for (int i = 2; i < argc; i += 2) {
		if (strcmp(argv[i], "--width"))
			return usage("unknown option", argv[i]);
		if (i + 1 >= argc)
			return usage("missing value after", argv[i]);
		char *end;
		errno = 0;
		long w = strtol(argv[i + 1], &end, 10);
		if (end == argv[i + 1] || *end || errno || w < 1 || w > MAX_WIDTH)
			return usage("--width takes a whole number of bytes from 1 to 4096", argv[i + 1]);
		*width = (size_t)w;
	}
	if (*width < 8 && (double)*count > (double)((uint64_t)1 << (8 * *width)))
		return usage("COUNT is more than the distinct vectors of that width", argv[1]);
	return FL_OK;
}

struct figures {
	double insert_s, find_s, read_s, rmw_s;
	size_t ops;     /* random reads, and random read-modify-writes */
	size_t nslots;
	size_t store_bytes;
};

/* Inserts then finds every vector; returns 0, or -1 with a message on stderr. */
static int time_store(const uint8_t *vecs, size_t count, size_t w, struct figures *f)
{
	struct fl_store st;
	if (fl_store_init(&st, w, LABEL_SIZE, 0) != FL_OK)
		return fprintf(stderr, "bench-store: out of memory\n"), -1;
	uint8_t label[LABEL_SIZE] = {0};
	size_t idx, bad = 0;
	double t0 = now();
	for (size_t i = 0; i < count; i++) {
		const uint8_t *v = vecs + i * w;
		memcpy(label, &i, sizeof i < LABEL_SIZE ? sizeof i : LABEL_SIZE);
		uint32_t parent = i ? (uint32_t)(i - 1) : FL_NO_PARENT;
		int rc = fl_store_insert(&st, v, fl_store_hash(&st, v), parent, label, &idx);
		if (rc != FL_STORE_NEW) {
			fl_store_fini(&st);
			fprintf(stderr, "bench-store: insert %zu: %s\n", i,
				rc == FL_STORE_OLD ? "a duplicate vector" : "out of memory");
			return -1;
		}
	}
	double t1 = now();
	uint64_t sum = 0;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *v = vecs + i * w;
		long at = fl_store_find(&st, v, fl_store_hash(&st, v));
		bad += at != (long)i;
		sum += (uint64_t)at;
	}
	double t2 = now();
	sink = sum;
	f->insert_s = t1 - t0;
	f->find_s = t2 - t1;
	f->nslots = 0; /* every stripe's table together */
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++)
		f->nslots += atomic_load(&st.stripes[k].table)->n;
	f->store_bytes = fl_store_bytes(&st);
	fl_store_fini(&st);
	if (bad)
		return fprintf(stderr, "bench-store: %zu lookups did not find their vector\n", bad), -1;
	return 0;
}

/* Random reads, then random read-modify-writes, over nslots 8-byte words. */
static int time_memory(size_t nslots, struct figures *f)
{
	uint64_t *a = malloc(nslots * sizeof *a);
	if (!a)
		return fprintf(stderr, "bench-store: out of memory\n"), -1;
	for (size_t i = 0; i < nslots; i++)
		a[i] = i * 0x9E3779B97F4A7C15ull;
	size_t mask = nslots - 1, n = f->ops;
	uint64_t x = 42, sum = 0;
	double t0 = now();
	for (size_t i = 0; i < n; i++)
		sum += a[splitmix(&x) & mask];
	double t1 = now();
	for (size_t i = 0; i < n; i++) {
		uint64_t r = splitmix(&x);
		a[r & mask] += r;
	}
	double t2 = now();
	for (size_t i = 0; i < nslots; i += 4096 / sizeof *a)
		sum += a[i];
	sink = sum;
	f->read_s = t1 - t0;
	f->rmw_s = t2 - t1;
	free(a);
	return 0;
}

static double rate(size_t n, double s) { return s > 0 ? (double)n / s : 0.0; }

int main(int argc, char **argv)
{
	size_t count = 0, w = 8;
	if (parse(argc, argv, &count, &w) != FL_OK)
		return FL_EXIT_USAGE;
	uint8_t *vecs = malloc(count * w);
	if (!vecs)
		return fprintf(stderr, "bench-store: out of memory for %zu vectors\n", count),
		       FL_EXIT_INTERNAL;
	for (size_t i = 0; i < count; i++)
		make_vector(vecs + i * w, w, i);
	struct figures f = {.ops = count > MIN_RANDOM_OPS ? count : MIN_RANDOM_OPS};
	int rc = time_store(vecs, count, w, &f);
	free(vecs);
	if (rc || time_memory(f.nslots, &f))
		return FL_EXIT_INTERNAL;
	printf("{\"bench\":\"store\",\"count\":%zu,\"width\":%zu,\"insert_per_sec\":%.1f,"
	       "\"ns_per_insert\":%.2f,\"find_per_sec\":%.1f,\"random_reads_per_sec\":%.1f,"
	       "\"random_rmw_per_sec\":%.1f,\"store_bytes\":%zu,\"bytes_per_state\":%.2f}\n",
	       count, w, rate(count, f.insert_s), f.insert_s * 1e9 / (double)count,
	       rate(count, f.find_s), rate(f.ops, f.read_s), rate(f.ops, f.rmw_s), f.store_bytes,
	       (double)f.store_bytes / (double)count);
	return 0;
}

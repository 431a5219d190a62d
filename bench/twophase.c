/*
 * bench/twophase.c - build/bench-twophase: BFS over TwoPhase.tla with N resource managers
 * (test/twophase.c), one JSON line of figures on stdout.
 *
 *   build/bench-twophase N [--threads T] [--storage exact|fingerprint|bitstate]
 *                          [--max-memory BYTES]
 *
 * "ok" is a complete run with TLC's published count (N = 3..10; for other N, a complete run).
 * Exit codes: 0 ok, 1 the line says ok:false (incomplete, or a count that differs), 2 bad
 * arguments (one line on stderr), 4 the search failed (one line on stderr, no JSON).
 */
#include "../checker/run.h"
#include "../checker/search.h"
#include "../test/twophase.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const storage_names[] = {"exact", "fingerprint", "bitstate", NULL};

struct args {
	int n;
	int threads;
	int storage;       /* enum fl_storage */
	size_t max_memory; /* 0 = no limit */
};

static int usage(const char *msg, const char *arg)
{
	fprintf(stderr, "bench-twophase: %s%s%s (usage: bench-twophase N [--threads T] "
		"[--storage exact|fingerprint|bitstate] [--max-memory BYTES])\n", msg,
		arg ? ": " : "", arg ? arg : "");
	return FL_EXIT_USAGE;
}

/* A whole number in lo..hi, or -1. */
static long whole(const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < lo || v > hi)
		return -1;
	return v;
}

static int parse(int argc, char **argv, struct args *a)
{
	*a = (struct args){.threads = 1, .storage = FL_STORAGE_EXACT};
	if (argc < 2)
		return usage("give the number of resource managers", NULL);
	long n = whole(argv[1], TWOPHASE_MIN_RM, TWOPHASE_MAX_RM);
	if (n < 0)
		return usage("N must be a whole number from 1 to 15", argv[1]);
	a->n = (int)n;
	for (int i = 2; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(opt, "--threads") && strcmp(opt, "--storage") && strcmp(opt, "--max-memory"))
			return usage("unknown option", opt);
		if (!val)
			return usage("missing value after", opt);
		if (!strcmp(opt, "--threads")) {
			long t = whole(val, 1, 1024);
			if (t < 0)
				return usage("--threads takes a whole number from 1 to 1024", val);
			a->threads = (int)t;
		} else if (!strcmp(opt, "--storage")) {
			int k = 0;
			while (storage_names[k] && strcmp(storage_names[k], val))
				k++;
			if (!storage_names[k])
				return usage("--storage takes exact, fingerprint or bitstate", val);
			a->storage = k;
		} else {
			double v;
			if (fl_run_parse_count(val, 1, &v) || v < 1 || v > 1e18)
				return usage("--max-memory takes a size in bytes (K, M, G suffixes)", val);
			a->max_memory = (size_t)v;
		}
	}
	return FL_OK;
}

static void print_line(const struct args *a, const struct fl_result *r)
{
	size_t expected = twophase_expected_states(a->n);
	int ok = r->complete && (!expected || r->states == expected);
	double secs = r->seconds > 0 ? r->seconds : 1e-9;
	printf("{\"bench\":\"twophase-%d\",\"states\":%zu,\"expected_states\":", a->n, r->states);
	if (expected)
		printf("%zu", expected);
	else
		printf("null");
	printf(",\"ok\":%s,\"transitions\":%zu,\"seconds\":%.6f,\"states_per_sec\":%.1f,"
	       "\"bytes_per_state\":%.2f,\"peak_rss_bytes\":%ld,\"store_bytes\":%zu,\"threads\":%d,"
	       "\"storage\":\"%s\",\"complete\":%s}\n",
	       ok ? "true" : "false", r->transitions, r->seconds, (double)r->states / secs,
	       r->states ? (double)r->peak_rss / (double)r->states : 0.0, r->peak_rss,
	       r->store_bytes, a->threads, storage_names[a->storage], r->complete ? "true" : "false");
}

int main(int argc, char **argv)
{
	struct args a;
	if (parse(argc, argv, &a) != FL_OK)
		return FL_EXIT_USAGE;
	struct fl_sys s;
	struct fl_err e = {0};
	if (twophase_sys(&s, a.n, &e) != FL_OK) {
		fprintf(stderr, "bench-twophase: %s\n", e.msg);
		return FL_EXIT_INTERNAL;
	}
	struct fl_search_opts so = {.mode = FL_BFS, .max_memory = a.max_memory, .progress = 0,
				    .threads = a.threads, .storage = a.storage};
	struct fl_store st;
	struct fl_result r;
	int rc = fl_search_run(&s, &so, &st, &r, &e);
	int ok = rc == FL_OK && r.complete;
	size_t expected = twophase_expected_states(a.n);
	ok = ok && (!expected || r.states == expected);
	if (rc == FL_OK)
		print_line(&a, &r);
	else
		fprintf(stderr, "bench-twophase: %s\n", e.msg);
	fl_result_fini(&r);
	fl_store_fini(&st);
	fl_sys_free(&s);
	return rc != FL_OK ? FL_EXIT_INTERNAL : ok ? 0 : 1;
}

/*
 * bench/tree.c - microbenchmark of checker/tree.c: build/bench-tree COUNT [--width W] [--changes C]
 *
 * Generates a random walk of COUNT vectors of W bytes (default 265), each a copy of a random
 * earlier one with C (default 2) random 4-byte words changed, like a model's successors. Then:
 * plain compression of all of them into a fresh tree; expansion of every vector's parent
 * (random earlier keys); and, into a second fresh tree, the search's pattern: expand the
 * parent with fl_tree_expand_ref, compress the child with fl_tree_compress_ref (timed as
 * that loop less the same expansions alone). Times are CPU time. Prints one JSON line; exits
 * 1 if a key does not come back as its vector.
 */
#include "../checker/fl.h"
#include "../checker/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void) /* splitmix64 */
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* CPU time, not wall time: the figures should not depend on what else the machine runs. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "2M", "500k", "1000": a count; 0 when malformed. */
static size_t parse_count(const char *s)
{
	char *end;
	unsigned long long n = strtoull(s, &end, 10);
	if (end == s)
		return 0;
	if (*end == 'k' || *end == 'K')
		n *= 1000, end++;
	else if (*end == 'M' || *end == 'm')
		n *= 1000000, end++;
	else if (*end == 'G' || *end == 'g')
		n *= 1000000000, end++;
	return *end ? 0 : (size_t)n;
}

struct walk {
	size_t count, width;
	uint8_t *vs;       /* count * width */
	uint32_t *parent;  /* per vector; [0] = 0 */
};

static int make_walk(struct walk *w, unsigned changes)
{
	w->vs = malloc(w->count * w->width);
	w->parent = malloc(w->count * sizeof *w->parent);
	if (!w->vs || !w->parent)
		return FL_ENOMEM;
	size_t words = (w->width + 3) / 4;
	for (size_t i = 0; i < w->width; i++)
		w->vs[i] = (uint8_t)next();
	w->parent[0] = 0;
	for (size_t i = 1; i < w->count; i++) {
		uint8_t *v = w->vs + i * w->width;
		w->parent[i] = (uint32_t)(next() % i);
		memcpy(v, w->vs + (size_t)w->parent[i] * w->width, w->width);
		for (unsigned c = 0; c < changes; c++) {
			size_t off = (size_t)(next() % words) * 4;
			uint32_t x = (uint32_t)next();
			memcpy(v + off, &x, w->width - off < 4 ? w->width - off : 4);
		}
	}
	return FL_OK;
}

static int run(const struct walk *w)
{
	struct fl_tree a, b;
	struct fl_tree_ref ref;
	uint64_t *ka = malloc(w->count * sizeof *ka), *kb = malloc(w->count * sizeof *kb);
	uint8_t *out = malloc(w->width);
	if (!ka || !kb || !out || fl_tree_init(&a, w->width, 0) || fl_tree_init(&b, w->width, 0) ||
	    fl_tree_ref_init(&ref, &b)) {
		fprintf(stderr, "bench-tree: out of memory\n");
		return 1;
	}
	double t0 = now();
	for (size_t i = 0; i < w->count; i++)
		if (fl_tree_compress(&a, w->vs + i * w->width, &ka[i]) != FL_OK)
			return fprintf(stderr, "bench-tree: compress failed\n"), 1;
	double t_plain = now() - t0;

	t0 = now();
	for (size_t i = 0; i < w->count; i++)
		fl_tree_expand(&a, ka[w->parent[i]], out);
	double t_expand = now() - t0;

	/* The search's pattern; compress_ref's share is the loop less the same expansions alone. */
	t0 = now();
	for (size_t i = 0; i < w->count; i++) {
		if (i)
			fl_tree_expand_ref(&b, kb[w->parent[i]], out, &ref);
		if (fl_tree_compress_ref(&b, w->vs + i * w->width, &ref, &kb[i]) != FL_OK)
			return fprintf(stderr, "bench-tree: compress_ref failed\n"), 1;
	}
	double t_both = now() - t0;
	t0 = now();
	for (size_t i = 1; i < w->count; i++)
		fl_tree_expand_ref(&b, kb[w->parent[i]], out, &ref);
	double t_ref = t_both - (now() - t0);

	int bad = fl_tree_nodes(&a) != fl_tree_nodes(&b);
	for (size_t i = 0; i < w->count && !bad; i += 1 + i / 64) {
		uint64_t k;
		fl_tree_expand(&b, kb[i], out);
		bad = memcmp(out, w->vs + i * w->width, w->width) != 0 ||
		      fl_tree_compress(&b, w->vs + i * w->width, &k) != FL_OK || k != kb[i];
		fl_tree_expand(&a, ka[i], out);
		bad |= memcmp(out, w->vs + i * w->width, w->width) != 0;
	}
	if (bad)
		return fprintf(stderr, "bench-tree: a key does not give its vector back\n"), 1;

	double n = (double)w->count;
	printf("{\"bench\":\"tree\",\"count\":%zu,\"width\":%zu,\"nodes\":%zu,\"bytes\":%zu,"
	       "\"bytes_per_vector\":%.2f,\"compress_per_sec\":%.0f,\"compress_ref_per_sec\":%.0f,"
	       "\"expand_per_sec\":%.0f}\n",
	       w->count, w->width, fl_tree_nodes(&a), fl_tree_bytes(&a), (double)fl_tree_bytes(&a) / n,
	       n / t_plain, n / t_ref, n / t_expand);
	fl_tree_ref_fini(&ref);
	fl_tree_fini(&a);
	fl_tree_fini(&b);
	free(out);
	free(kb);
	free(ka);
	return 0;
}

int main(int argc, char **argv)
{
	struct walk w = {.width = 265};
	unsigned long changes = 2;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--width") && i + 1 < argc)
			w.width = (size_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--changes") && i + 1 < argc)
			changes = strtoul(argv[++i], NULL, 10);
		else if (!w.count)
			w.count = parse_count(argv[i]);
		else
			w.count = 0;
	}
	if (!w.count || w.count > UINT32_MAX || !w.width) {
		fprintf(stderr, "usage: bench-tree COUNT [--width W] [--changes C]\n");
		return 2;
	}
	if (make_walk(&w, (unsigned)changes) != FL_OK) {
		fprintf(stderr, "bench-tree: out of memory\n");
		return 1;
	}
	int rc = run(&w);
	free(w.vs);
	free(w.parent);
	return rc;
}

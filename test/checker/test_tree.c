/*
 * test_tree.c - tree compression against plain byte comparison.
 *
 * Vectors come from deterministic random walks (each a copy of an earlier one with a few
 * bytes or words changed, like a model's successors), so subtrees are shared a lot. Keys are
 * checked for exactness against sorting (equal vectors <=> equal keys), every key is expanded
 * back, the incremental (_ref) functions are checked against the plain ones, two threads
 * compress overlapping sets at once, and the memory cap and allocation failures are walked.
 */
#include "../../checker/fl.h"
#include "../../checker/tree.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static size_t rnd_below(size_t n) { return (size_t)(rnd() % n); }

static void rnd_bytes(uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (uint8_t)rnd();
}

/*
 * count vectors of width w: the first random, each next a copy of a random earlier one with
 * 1..max_changes bytes set to values in [0, alphabet) (alphabet 256: any byte).
 */
static uint8_t *walk(size_t count, size_t w, unsigned max_changes, unsigned alphabet)
{
	uint8_t *vs = malloc(count * w);
	cr_assert(vs);
	rnd_bytes(vs, w);
	for (size_t i = 1; i < count; i++) {
		uint8_t *v = vs + i * w;
		memcpy(v, vs + rnd_below(i) * w, w);
		unsigned c = 1 + (unsigned)rnd_below(max_changes);
		for (unsigned j = 0; j < c; j++)
			v[rnd_below(w)] = (uint8_t)rnd_below(alphabet);
	}
	return vs;
}

static void check_round_trip(size_t w, size_t count)
{
	struct fl_tree t;
	cr_assert_eq(fl_tree_init(&t, w, 0), FL_OK);
	uint8_t *vs = walk(count, w, 3, 256);
	uint64_t *keys = malloc(count * sizeof *keys);
	uint8_t *out = malloc(w);
	cr_assert(keys && out);
	for (size_t i = 0; i < count; i++) {
		if (i % 4 == 3)
			rnd_bytes(vs + i * w, w); /* some unrelated vectors too */
		cr_assert_eq(fl_tree_compress(&t, vs + i * w, &keys[i]), FL_OK);
	}
	for (size_t i = 0; i < count; i++) {
		memset(out, 0xA5, w);
		fl_tree_expand(&t, keys[i], out);
		cr_assert(memcmp(out, vs + i * w, w) == 0, "width %zu: vector %zu comes back changed", w, i);
	}
	if (w <= 8)
		cr_assert_eq(fl_tree_nodes(&t), 0, "width %zu needs no node", w);
	free(out);
	free(keys);
	free(vs);
	fl_tree_fini(&t);
}

Test(tree, round_trip)
{
	static const size_t widths[] = {1, 3, 8, 9, 12, 16, 17, 265};
	rng_state = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < sizeof widths / sizeof *widths; i++)
		check_round_trip(widths[i], widths[i] > 100 ? 3000 : 5000);
}

Test(tree, width_up_to_8_is_the_vector)
{
	struct fl_tree t;
	const uint8_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint64_t key;
	cr_assert_eq(fl_tree_init(&t, 3, 0), FL_OK);
	cr_assert_eq(fl_tree_compress(&t, v, &key), FL_OK);
	uint32_t w = 0;
	memcpy(&w, v, 3);
	cr_assert_eq(key, w);
	fl_tree_fini(&t);
	cr_assert_eq(fl_tree_init(&t, 8, 0), FL_OK);
	cr_assert_eq(fl_tree_compress(&t, v, &key), FL_OK);
	uint32_t hi, lo;
	memcpy(&hi, v, 4);
	memcpy(&lo, v + 4, 4);
	cr_assert_eq(key, (uint64_t)hi << 32 | lo);
	fl_tree_fini(&t);
}

/* A vector of k distinct random words interns exactly k - 2 nodes (the root is the key). */
Test(tree, node_count_known_answer)
{
	struct fl_tree t;
	uint8_t v[265];
	uint64_t key;
	rng_state = 77;
	rnd_bytes(v, sizeof v);
	cr_assert_eq(fl_tree_init(&t, sizeof v, 0), FL_OK);
	cr_assert_eq(fl_tree_compress(&t, v, &key), FL_OK);
	cr_assert_eq(fl_tree_nodes(&t), 67 - 2);
	cr_assert_eq(fl_tree_compress(&t, v, &key), FL_OK);
	cr_assert_eq(fl_tree_nodes(&t), 67 - 2, "compressing it again adds nothing");
	cr_assert_gt(fl_tree_bytes(&t), 65 * 8);
	fl_tree_fini(&t);
}

/* --- exactness against sorting --------------------------------------------------------- */

struct entry {
	uint64_t key;
	const uint8_t *v;
};

static size_t cmp_width;

static int by_vector(const void *a, const void *b)
{
	return memcmp(((const struct entry *)a)->v, ((const struct entry *)b)->v, cmp_width);
}

static int by_key_then_vector(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return by_vector(a, b);
}

Test(tree, keys_are_exact)
{
	enum { N = 200000, W = 48 };
	struct fl_tree t;
	rng_state = 12345;
	uint8_t base[W];
	rnd_bytes(base, W);
	uint8_t *vs = malloc((size_t)N * W);
	struct entry *e = malloc(N * sizeof *e);
	cr_assert(vs && e);
	/* One or two bytes off a base, from a small set of positions and values: many repeats,
	 * and many vectors that share all but one word. */
	for (size_t i = 0; i < N; i++) {
		uint8_t *v = vs + i * W;
		memcpy(v, base, W);
		v[rnd_below(W)] = (uint8_t)rnd_below(8);
		if (rnd() & 1)
			v[rnd_below(W)] = (uint8_t)rnd_below(8);
	}
	cr_assert_eq(fl_tree_init(&t, W, 0), FL_OK);
	for (size_t i = 0; i < N; i++) {
		e[i].v = vs + i * W;
		cr_assert_eq(fl_tree_compress(&t, e[i].v, &e[i].key), FL_OK);
	}
	cmp_width = W;
	size_t distinct = 1;
	qsort(e, N, sizeof *e, by_vector);
	for (size_t i = 1; i < N; i++) {
		int eq = by_vector(&e[i - 1], &e[i]) == 0;
		distinct += !eq;
		if (eq)
			cr_assert_eq(e[i - 1].key, e[i].key, "equal vectors, different keys");
	}
	qsort(e, N, sizeof *e, by_key_then_vector);
	for (size_t i = 1; i < N; i++)
		if (e[i - 1].key == e[i].key)
			cr_assert(by_vector(&e[i - 1], &e[i]) == 0, "different vectors, one key");
	cr_assert_gt(distinct, 1000, "the set repeats but is not trivial");
	cr_assert_lt(distinct, N / 2);
	free(e);
	free(vs);
	fl_tree_fini(&t);
}

/* --- the incremental path -------------------------------------------------------------- */

static void check_ref(size_t w, size_t steps)
{
	struct fl_tree t;
	struct fl_tree_ref r;
	cr_assert_eq(fl_tree_init(&t, w, 0), FL_OK);
	cr_assert_eq(fl_tree_ref_init(&r, &t), FL_OK);
	uint64_t *keys = malloc(steps * sizeof *keys);
	uint8_t *v = malloc(w), *back = malloc(w), *out = malloc(w);
	cr_assert(keys && v && back && out);
	rnd_bytes(v, w);
	cr_assert_eq(fl_tree_compress_ref(&t, v, &r, &keys[0]), FL_OK, "an unused ref is ignored");
	for (size_t i = 1; i < steps; i++) {
		size_t parent = rnd_below(i);
		if (i % 7 == 0) /* the same key twice: the second comes from r whole */
			fl_tree_expand_ref(&t, keys[parent], v, &r);
		memset(v, 0xA5, w); /* whatever expand_ref copies from r must still be written */
		fl_tree_expand_ref(&t, keys[parent], v, &r);
		fl_tree_expand(&t, keys[parent], back);
		cr_assert(memcmp(v, back, w) == 0);
		unsigned c = (unsigned)rnd_below(4); /* 0: the parent itself */
		for (unsigned j = 0; j < c; j++)
			v[rnd_below(w)] = (uint8_t)rnd();
		uint64_t plain;
		cr_assert_eq(fl_tree_compress_ref(&t, v, &r, &keys[i]), FL_OK);
		cr_assert_eq(fl_tree_compress(&t, v, &plain), FL_OK);
		cr_assert_eq(keys[i], plain, "width %zu step %zu: _ref and plain keys differ", w, i);
		fl_tree_expand(&t, keys[i], out);
		cr_assert(memcmp(out, v, w) == 0);
	}
	free(out);
	free(back);
	free(v);
	free(keys);
	fl_tree_ref_fini(&r);
	fl_tree_fini(&t);
}

/* Expanding siblings one after another (BFS order) reuses r's subtrees; the bytes must not
 * notice. */
Test(tree, expand_ref_of_siblings)
{
	enum { W = 265, N = 3000 };
	struct fl_tree t;
	struct fl_tree_ref r;
	rng_state = 2024;
	uint8_t *vs = walk(N, W, 2, 4), out[W];
	uint64_t *keys = malloc(N * sizeof *keys);
	cr_assert(keys);
	cr_assert_eq(fl_tree_init(&t, W, 0), FL_OK);
	cr_assert_eq(fl_tree_ref_init(&r, &t), FL_OK);
	for (size_t i = 0; i < N; i++)
		cr_assert_eq(fl_tree_compress(&t, vs + i * W, &keys[i]), FL_OK);
	for (size_t i = 0; i < N; i++) {
		size_t j = i % 5 ? i : rnd_below(N); /* mostly neighbours, sometimes a jump */
		memset(out, 0x5A, W);
		fl_tree_expand_ref(&t, keys[j], out, &r);
		cr_assert(memcmp(out, vs + j * W, W) == 0, "expansion %zu (vector %zu) differs", i, j);
		cr_assert(memcmp(r.w, vs + j * W, W) == 0, "r remembers the vector");
	}
	free(keys);
	free(vs);
	fl_tree_ref_fini(&r);
	fl_tree_fini(&t);
}

Test(tree, ref_gives_the_plain_keys)
{
	static const size_t widths[] = {1, 3, 8, 9, 12, 16, 17, 265};
	rng_state = 4242;
	for (size_t i = 0; i < sizeof widths / sizeof *widths; i++)
		check_ref(widths[i], 5000);
}

/* --- two threads ----------------------------------------------------------------------- */

enum { TN = 30000, TW = 100 };

struct worker {
	struct fl_tree *t;
	const uint8_t *vs;
	uint64_t *keys; /* TN, filled where the worker compressed */
	int id, use_ref, rc;
	atomic_int *go;
};

/* Compresses vector i when i % 3 == id or i % 3 == 2 (shared by both), in order. */
static void *work(void *arg)
{
	struct worker *wk = arg;
	struct fl_tree_ref r;
	uint8_t out[TW];
	wk->rc = fl_tree_ref_init(&r, wk->t);
	atomic_fetch_add(wk->go, 1);
	while (atomic_load(wk->go) < 2)
		;
	size_t last = TN; /* the vector compressed before, expanded as the ref */
	for (size_t i = 0; i < TN && wk->rc == FL_OK; i++) {
		if (i % 3 != (size_t)wk->id && i % 3 != 2)
			continue;
		if (wk->use_ref && last < TN)
			fl_tree_expand_ref(wk->t, wk->keys[last], out, &r);
		last = i;
		wk->rc = fl_tree_compress_ref(wk->t, wk->vs + i * TW, wk->use_ref ? &r : NULL, &wk->keys[i]);
		fl_tree_expand(wk->t, wk->keys[i], out);
		if (memcmp(out, wk->vs + i * TW, TW) != 0)
			wk->rc = FL_EINTERNAL;
	}
	fl_tree_ref_fini(&r);
	return NULL;
}

Test(tree, two_threads_agree)
{
	struct fl_tree t;
	atomic_int go = 0;
	rng_state = 99;
	uint8_t *vs = walk(TN, TW, 3, 256);
	uint64_t *keys[2] = {calloc(TN, sizeof(uint64_t)), calloc(TN, sizeof(uint64_t))};
	cr_assert(keys[0] && keys[1]);
	cr_assert_eq(fl_tree_init(&t, TW, 0), FL_OK);
	struct worker wk[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		wk[i] = (struct worker){.t = &t, .vs = vs, .keys = keys[i], .id = i, .use_ref = i, .go = &go};
		cr_assert_eq(pthread_create(&th[i], NULL, work, &wk[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		cr_assert_eq(wk[i].rc, FL_OK, "worker %d failed", i);
	}
	size_t nodes = fl_tree_nodes(&t);
	for (size_t i = 0; i < TN; i++) {
		uint64_t key;
		cr_assert_eq(fl_tree_compress(&t, vs + i * TW, &key), FL_OK);
		if (i % 3 == 2)
			cr_assert_eq(keys[0][i], keys[1][i], "vector %zu: the threads disagree", i);
		else
			cr_assert_eq(keys[i % 3][i], key, "vector %zu: a later compress disagrees", i);
	}
	cr_assert_eq(fl_tree_nodes(&t), nodes, "every node was interned once");
	free(keys[0]);
	free(keys[1]);
	free(vs);
	fl_tree_fini(&t);
}

/* --- limits ---------------------------------------------------------------------------- */

Test(tree, memory_cap_gives_ebound)
{
	enum { W = 265, MAX = 96 * 1024 };
	struct fl_tree t;
	rng_state = 5;
	cr_assert_eq(fl_tree_init(&t, W, MAX), FL_OK);
	cr_assert_lt(fl_tree_bytes(&t), MAX);
	uint8_t *vs = malloc(4000 * W), out[W];
	uint64_t keys[4000];
	cr_assert(vs);
	rnd_bytes(vs, 4000 * W);
	size_t n = 0;
	int rc = FL_OK;
	for (; n < 4000 && (rc = fl_tree_compress(&t, vs + n * W, &keys[n])) == FL_OK; n++)
		cr_assert_leq(fl_tree_bytes(&t), MAX);
	cr_assert_eq(rc, FL_EBOUND);
	cr_assert_gt(n, 10);
	cr_assert_leq(fl_tree_bytes(&t), MAX);
	for (size_t i = 0; i < n; i++) {
		uint64_t again;
		fl_tree_expand(&t, keys[i], out);
		cr_assert(memcmp(out, vs + i * W, W) == 0, "keys returned before the cap stay valid");
		cr_assert_eq(fl_tree_compress(&t, vs + i * W, &again), FL_OK, "known vectors still compress");
		cr_assert_eq(again, keys[i]);
	}
	cr_assert_eq(fl_tree_compress(&t, vs + n * W, &keys[n]), FL_EBOUND);
	free(vs);
	fl_tree_fini(&t);

	/* A cap below the empty tree's own size: nothing can be interned, small widths still work. */
	uint8_t v[W] = {1};
	cr_assert_eq(fl_tree_init(&t, W, 1000), FL_OK);
	cr_assert_eq(fl_tree_compress(&t, v, &keys[0]), FL_EBOUND);
	fl_tree_fini(&t);
	cr_assert_eq(fl_tree_init(&t, 8, 1000), FL_OK);
	cr_assert_eq(fl_tree_compress(&t, v, &keys[0]), FL_OK);
	fl_tree_fini(&t);
}

Test(tree, allocation_failures)
{
	struct fl_tree t;
	struct fl_tree_ref r;
	for (long n = 1; n <= 3; n++) {
		fl_alloc_fail_at(n);
		cr_assert_eq(fl_tree_init(&t, 40, 0), FL_ENOMEM, "allocation %ld failing", n);
		fl_alloc_fail_at(0);
	}
	cr_assert_eq(fl_tree_init(&t, 40, 0), FL_OK);
	fl_alloc_fail_at(1);
	cr_assert_eq(fl_tree_ref_init(&r, &t), FL_ENOMEM);
	fl_alloc_fail_at(2);
	cr_assert_eq(fl_tree_ref_init(&r, &t), FL_ENOMEM);
	fl_alloc_fail_at(0);

	/* A sub-table that cannot grow: FL_ENOMEM, and the tree goes on once memory is back. */
	uint8_t v[40];
	uint64_t key;
	int rc = FL_OK;
	rng_state = 31;
	fl_alloc_fail_at(1);
	for (int i = 0; i < 100000 && rc == FL_OK; i++) {
		rnd_bytes(v, sizeof v);
		rc = fl_tree_compress(&t, v, &key);
	}
	fl_alloc_fail_at(0);
	cr_assert_eq(rc, FL_ENOMEM);
	cr_assert_eq(fl_tree_compress(&t, v, &key), FL_OK);
	uint8_t out[40];
	fl_tree_expand(&t, key, out);
	cr_assert(memcmp(out, v, sizeof v) == 0);
	fl_tree_fini(&t);
}

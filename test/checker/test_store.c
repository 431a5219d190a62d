/*
 * test_store.c - the visited store against a naive reference set.
 *
 * State vectors are drawn from a small alphabet so that a random stream of them repeats a
 * lot; each vector is fully determined by a small integer code, so the reference set is a
 * direct-address table indexed by that code (plus the insertion order), independent of the
 * store's hashing and probing. Runs are large enough to grow both the arena and the slot
 * table several times.
 */
#include "../../checker/fl.h"
#include "../../checker/store.h"

#include "../support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* The initial sizes store.c starts from (not exported); used only to check growth happened. */
#define STORE_INITIAL_STATES 1024u
#define STORE_INITIAL_SLOTS 2048u

#define MAXW 64
#define LABEL 5

/* A vector family: `width` bytes, the first `digits` of them random digits in [0, base). */
struct family {
	size_t width;
	unsigned base;
	unsigned digits;
};

static size_t family_codes(const struct family *f)
{
	size_t n = 1;
	for (unsigned i = 0; i < f->digits; i++)
		n *= f->base;
	return n;
}

/* Vector for code c: its base-`base` digits, then filler bytes that depend on c. */
static void make_vec(const struct family *f, size_t c, uint8_t *v)
{
	size_t x = c;
	for (unsigned i = 0; i < f->digits; i++) {
		v[i] = (uint8_t)(x % f->base);
		x /= f->base;
	}
	for (size_t i = f->digits; i < f->width; i++)
		v[i] = (uint8_t)((c * 31u + i * 7u) & 0xffu);
}

static void make_label(size_t c, uint8_t *l)
{
	for (size_t i = 0; i < LABEL; i++)
		l[i] = (uint8_t)((c >> (i * 3)) ^ (0xa5u + i));
}

/* Deterministic xorshift, so a failure can be reproduced. */
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

/* The reference: code -> index (or -1), and per index its code, parent and depth. */
struct ref {
	long *idx_of;     /* per code */
	size_t *code_of;  /* per index */
	uint32_t *parent; /* per index */
	uint32_t *depth;  /* per index */
	size_t count;
};

static void ref_init(struct ref *r, size_t ncodes)
{
	r->idx_of = malloc(ncodes * sizeof *r->idx_of);
	r->code_of = malloc(ncodes * sizeof *r->code_of);
	r->parent = malloc(ncodes * sizeof *r->parent);
	r->depth = malloc(ncodes * sizeof *r->depth);
	cr_assert(r->idx_of && r->code_of && r->parent && r->depth);
	for (size_t i = 0; i < ncodes; i++)
		r->idx_of[i] = -1;
	r->count = 0;
}

static void ref_fini(struct ref *r)
{
	free(r->idx_of);
	free(r->code_of);
	free(r->parent);
	free(r->depth);
}

/* Every stored state, its bytes, hash, parent, depth and label against the reference. */
static void check_all(const struct fl_store *st, const struct family *f, const struct ref *r,
		      size_t label_size)
{
	uint8_t v[MAXW], l[LABEL];
	cr_assert_eq(st->count, r->count, "store holds %zu states, reference %zu", st->count,
		     r->count);
	cr_assert_leq(st->count * 8, st->nslots * 5, "slot table more than 5/8 full");
	for (size_t i = 0; i < r->count; i++) {
		make_vec(f, r->code_of[i], v);
		cr_assert_eq(memcmp(fl_store_state(st, i), v, f->width), 0,
			     "state %zu does not hold the bytes inserted", i);
		cr_assert_eq(st->hashes[i], fl_store_hash(st, v));
		cr_assert_eq(st->parents[i], r->parent[i], "parent of %zu", i);
		cr_assert_eq(st->depths[i], r->depth[i], "depth of %zu", i);
		if (label_size) {
			make_label(r->code_of[i], l);
			cr_assert_eq(memcmp(fl_store_label(st, i), l, LABEL), 0, "label of %zu", i);
		}
		cr_assert_eq(fl_store_find(st, v, fl_store_hash(st, v)), (long)i, "find state %zu", i);
	}
}

/*
 * Inserts nops random vectors (parents drawn among stored states), checking every result
 * against the reference as it goes. hash_mask narrows the hash to force collisions.
 */
static void random_run(const struct family *f, size_t nops, size_t label_size, uint64_t hash_mask,
		       struct fl_store *st, struct ref *r)
{
	size_t ncodes = family_codes(f);
	uint8_t v[MAXW], l[LABEL], probe[MAXW];
	size_t news = 0, olds = 0;
	for (size_t op = 0; op < nops; op++) {
		size_t c = rnd_below(ncodes);
		make_vec(f, c, v);
		make_label(c, l);
		uint64_t h = fl_store_hash(st, v) & hash_mask;
		uint32_t parent = r->count && rnd_below(4) ? (uint32_t)rnd_below(r->count) : FL_NO_PARENT;
		if (rnd_below(3) == 0) {
			/* A lookup without inserting. */
			long got = fl_store_find(st, v, h);
			cr_assert_eq(got, r->idx_of[c], "find(code %zu) = %ld, reference %ld", c, got,
				     r->idx_of[c]);
			continue;
		}
		size_t idx = (size_t)-1;
		int rc = fl_store_insert(st, v, h, parent, label_size ? l : NULL, &idx);
		if (r->idx_of[c] < 0) {
			cr_assert_eq(rc, FL_STORE_NEW, "code %zu is new, insert returned %d", c, rc);
			cr_assert_eq(idx, r->count, "new states get the next index");
			r->idx_of[c] = (long)idx;
			r->code_of[idx] = c;
			r->parent[idx] = parent;
			r->depth[idx] = parent == FL_NO_PARENT ? 0 : r->depth[parent] + 1;
			r->count++;
			news++;
		} else {
			cr_assert_eq(rc, FL_STORE_OLD, "code %zu was stored, insert returned %d", c, rc);
			cr_assert_eq(idx, (size_t)r->idx_of[c], "index of an old state moved");
			olds++;
		}
		cr_assert_eq(st->count, r->count);
		/* The vector just inserted reads back, even after growth moved the arena. */
		memcpy(probe, fl_store_state(st, idx), f->width);
		cr_assert_eq(memcmp(probe, v, f->width), 0);
	}
	cr_assert_gt(news, 0);
	if (nops > 2 * ncodes)
		cr_assert_gt(olds, 0, "the run should repeat states");
}

static void run_family(const struct family *f, size_t nops, size_t label_size, uint64_t seed)
{
	struct fl_store st;
	struct ref r;
	rng_state = seed;
	ref_init(&r, family_codes(f));
	cr_assert_eq(fl_store_init(&st, f->width, label_size, 0), FL_OK);
	random_run(f, nops, label_size, UINT64_MAX, &st, &r);
	check_all(&st, f, &r, label_size);
	/* Codes never inserted are absent. */
	uint8_t v[MAXW];
	size_t absent = 0;
	for (size_t c = 0; c < family_codes(f); c++)
		if (r.idx_of[c] < 0) {
			make_vec(f, c, v);
			cr_assert_eq(fl_store_find(&st, v, fl_store_hash(&st, v)), -1, "code %zu", c);
			absent++;
		}
	cr_log_info("width %zu: %zu ops, %zu states, %zu absent, cap %zu, %zu slots", f->width,
		    nops, r.count, absent, st.cap, st.nslots);
	fl_store_fini(&st);
	cr_assert_null(st.states);
	cr_assert_null(st.slots);
	ref_fini(&r);
	fl_test_no_leaks();
}

Test(store, empty_store_finds_nothing)
{
	struct fl_store st;
	uint8_t v[3] = {1, 2, 3};
	cr_assert_eq(fl_store_init(&st, sizeof v, 0, 0), FL_OK);
	cr_assert_eq(st.count, 0);
	cr_assert_eq(fl_store_find(&st, v, fl_store_hash(&st, v)), -1);
	fl_store_fini(&st);
}

Test(store, first_insert_is_root)
{
	struct fl_store st;
	uint8_t a[4] = {9, 8, 7, 6}, b[4] = {9, 8, 7, 5};
	uint8_t la[2] = {1, 2}, lb[2] = {3, 4};
	size_t ia = 99, ib = 99, ic = 99;
	cr_assert_eq(fl_store_init(&st, 4, 2, 0), FL_OK);
	cr_assert_eq(fl_store_insert(&st, a, fl_store_hash(&st, a), FL_NO_PARENT, la, &ia), FL_STORE_NEW);
	cr_assert_eq(ia, 0);
	cr_assert_eq(fl_store_insert(&st, b, fl_store_hash(&st, b), 0, lb, &ib), FL_STORE_NEW);
	cr_assert_eq(ib, 1);
	/* Inserting a again with another parent and label changes nothing. */
	cr_assert_eq(fl_store_insert(&st, a, fl_store_hash(&st, a), 1, lb, &ic), FL_STORE_OLD);
	cr_assert_eq(ic, 0);
	cr_assert_eq(st.count, 2);
	cr_assert_eq(st.parents[0], FL_NO_PARENT);
	cr_assert_eq(st.depths[0], 0);
	cr_assert_eq(st.parents[1], 0);
	cr_assert_eq(st.depths[1], 1);
	cr_assert_eq(memcmp(fl_store_label(&st, 0), la, 2), 0);
	cr_assert_eq(memcmp(fl_store_label(&st, 1), lb, 2), 0);
	cr_assert_eq(fl_store_find(&st, b, fl_store_hash(&st, b)), 1);
	fl_store_fini(&st);
}

Test(store, random_width_1)
{
	/* Every one-byte value, many times over. */
	struct family f = {1, 256, 1};
	run_family(&f, 3000, LABEL, 0x1234567u);
}

Test(store, random_width_3)
{
	struct family f = {3, 16, 3}; /* 4096 codes */
	run_family(&f, 16000, 0, 0xdeadbeefu);
}

Test(store, random_width_7)
{
	struct family f = {7, 4, 7}; /* 16384 codes */
	run_family(&f, 24000, LABEL, 0xfeedfaceu);
}

Test(store, random_width_13)
{
	struct family f = {13, 2, 13}; /* 8192 codes */
	run_family(&f, 20000, LABEL, 0xc0ffeeu);
}

Test(store, random_width_61_grows_arena_and_slots)
{
	struct family f = {61, 3, 9}; /* 19683 codes */
	struct fl_store st;
	struct ref r;
	rng_state = 0xabcdefu;
	ref_init(&r, family_codes(&f));
	cr_assert_eq(fl_store_init(&st, f.width, LABEL, 0), FL_OK);
	size_t nslots0 = st.nslots;
	random_run(&f, 30000, LABEL, UINT64_MAX, &st, &r);
	check_all(&st, &f, &r, LABEL);
	/* More than 5120 states: the arena grew 1024 -> 8192, the slots 2048 -> 16384. */
	cr_assert_gt(r.count, 5200, "the run should store enough states to grow (%zu)", r.count);
	cr_assert_geq(st.cap, 8 * STORE_INITIAL_STATES, "arena cap %zu", st.cap);
	cr_assert_eq(nslots0, STORE_INITIAL_SLOTS);
	cr_assert_geq(st.nslots, 8 * STORE_INITIAL_SLOTS, "slots %zu", st.nslots);
	cr_assert_geq(fl_store_bytes(&st), st.cap * f.width + st.nslots * sizeof *st.slots);
	fl_store_fini(&st);
	ref_fini(&r);
}

/* Runs with a weakened hash (hash & mask): states must never merge, lookups stay exact. */
static void collisions(uint64_t mask, uint64_t seed)
{
	struct family f = {5, 4, 5}; /* 1024 codes */
	struct fl_store st;
	struct ref r;
	rng_state = seed;
	ref_init(&r, family_codes(&f));
	cr_assert_eq(fl_store_init(&st, f.width, 0, 0), FL_OK);
	random_run(&f, 4000, 0, mask, &st, &r);
	cr_assert_gt(r.count, 600);
	cr_assert_eq(st.count, r.count);
	uint8_t v[MAXW];
	for (size_t c = 0; c < family_codes(&f); c++) {
		make_vec(&f, c, v);
		cr_assert_eq(fl_store_find(&st, v, fl_store_hash(&st, v) & mask), r.idx_of[c], "code %zu", c);
	}
	for (size_t i = 0; i < r.count; i++) {
		make_vec(&f, r.code_of[i], v);
		cr_assert_eq(memcmp(fl_store_state(&st, i), v, f.width), 0);
	}
	fl_store_fini(&st);
	ref_fini(&r);
}

Test(store, hash_collisions_never_merge_states)
{
	/* Only 4 distinct hash values: every lookup is settled by comparing bytes. */
	collisions(3, 42);
}

Test(store, equal_low_hash_bits_never_merge_states)
{
	/* Every state starts probing at the same slot; only the high bits tell them apart. */
	collisions(0xFFFFFFFF00000000ull, 43);
}

Test(store, equal_high_hash_bits_never_merge_states)
{
	/* The high half is zero for all, the low half is a real hash. */
	collisions(0x00000000FFFFFFFFull, 44);
}

/* Inserts distinct vectors (code order) until an insert fails; returns its code and rc. */
static size_t fill_until_failure(struct fl_store *st, const struct family *f, struct ref *r,
				 int *rc_out)
{
	uint8_t v[MAXW], l[LABEL];
	size_t c;
	for (c = 0; c < family_codes(f); c++) {
		make_vec(f, c, v);
		make_label(c, l);
		uint32_t parent = r->count ? (uint32_t)(r->count / 2) : FL_NO_PARENT;
		size_t idx = (size_t)-1;
		int rc = fl_store_insert(st, v, fl_store_hash(st, v), parent, l, &idx);
		if (rc < 0) {
			*rc_out = rc;
			return c;
		}
		cr_assert_eq(rc, FL_STORE_NEW);
		cr_assert_eq(idx, r->count);
		r->idx_of[c] = (long)idx;
		r->code_of[idx] = c;
		r->parent[idx] = parent;
		r->depth[idx] = parent == FL_NO_PARENT ? 0 : r->depth[parent] + 1;
		r->count++;
	}
	*rc_out = FL_OK;
	return c;
}

/* Sizes the store's accounting uses, measured rather than assumed. */
struct sizes {
	size_t slots0; /* bytes of the initial slot table (an empty store) */
	size_t per;    /* bytes per state of arena capacity */
};

static struct sizes measure(const struct family *f, size_t label_size)
{
	struct fl_store st;
	uint8_t v[MAXW], l[LABEL] = {0};
	size_t idx;
	cr_assert_eq(fl_store_init(&st, f->width, label_size, 0), FL_OK);
	struct sizes z = {.slots0 = fl_store_bytes(&st)};
	cr_assert_eq(st.cap, 0);
	cr_assert_eq(st.nslots, STORE_INITIAL_SLOTS);
	cr_assert_eq(z.slots0, st.nslots * sizeof *st.slots);
	make_vec(f, 0, v);
	cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), FL_NO_PARENT, l, &idx), FL_STORE_NEW);
	cr_assert_eq(st.cap, STORE_INITIAL_STATES);
	z.per = (fl_store_bytes(&st) - z.slots0) / st.cap;
	/* At least the state, its label, hash, parent and depth. */
	cr_assert_geq(z.per, f->width + label_size + 8 + 4 + 4);
	fl_store_fini(&st);
	return z;
}

/* A store bounded by max_bytes: the insert that would pass it fails, nothing is lost. */
static void bounded(size_t max_bytes, size_t expect_min, size_t expect_max)
{
	struct family f = {7, 4, 7};
	struct fl_store st;
	struct ref r;
	ref_init(&r, family_codes(&f));
	cr_assert_eq(fl_store_init(&st, f.width, LABEL, max_bytes), FL_OK);
	size_t initial = fl_store_bytes(&st);
	int rc;
	size_t c = fill_until_failure(&st, &f, &r, &rc);
	cr_assert_eq(rc, FL_EBOUND, "insert should fail with FL_EBOUND, got %d", rc);
	cr_assert_geq(r.count, expect_min, "stored %zu before the bound", r.count);
	cr_assert_leq(r.count, expect_max, "stored %zu before the bound", r.count);
	/* The initial slot table is allocated by init, whatever the bound. */
	if (max_bytes >= initial)
		cr_assert_leq(fl_store_bytes(&st), max_bytes, "store uses %zu bytes, bound %zu",
			      fl_store_bytes(&st), max_bytes);
	check_all(&st, &f, &r, LABEL);
	/* Old states are still found and reported old; the new one still does not fit. */
	uint8_t v[MAXW], l[LABEL];
	size_t idx = 0;
	if (r.count) {
		make_vec(&f, r.code_of[0], v);
		cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), FL_NO_PARENT, l, &idx),
			     FL_STORE_OLD);
		cr_assert_eq(idx, 0);
	}
	make_vec(&f, c, v);
	make_label(c, l);
	cr_assert_eq(fl_store_find(&st, v, fl_store_hash(&st, v)), -1);
	cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), FL_NO_PARENT, l, &idx), FL_EBOUND);
	cr_assert_eq(st.count, r.count);
	check_all(&st, &f, &r, LABEL);
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
}

static const struct family bounded_family = {7, 4, 7};

Test(store, max_bytes_below_first_arena)
{
	/* Not even the first arena fits: the very first insert fails. */
	bounded(1000, 0, 0);
}

Test(store, max_bytes_stops_arena_growth)
{
	/* Room for the first arena (1024 states) but not for doubling it. */
	struct sizes z = measure(&bounded_family, LABEL);
	bounded(z.slots0 + STORE_INITIAL_STATES * z.per + 100, STORE_INITIAL_STATES,
		STORE_INITIAL_STATES);
}

Test(store, max_bytes_stops_slot_growth)
{
	/* Room for the arena to double (2048 states), not for the slot table to double too,
	 * which it must before 2048 states (it stays at most 5/8 full). */
	struct sizes z = measure(&bounded_family, LABEL);
	bounded(z.slots0 + 2 * STORE_INITIAL_STATES * z.per + 1000, STORE_INITIAL_STATES + 1,
		2 * STORE_INITIAL_STATES - 1);
}

Test(store, allocation_failures)
{
	struct family f = {9, 4, 7}; /* 16384 codes; we insert the first 3000 */
	const size_t want = 3000;
	int succeeded = 0;
	long n;
	for (n = 1; n < 200 && !succeeded; n++) {
		struct fl_store st;
		struct ref r;
		ref_init(&r, family_codes(&f));
		fl_alloc_fail_at(n);
		int rc = fl_store_init(&st, f.width, LABEL, 0);
		if (rc != FL_OK) {
			fl_alloc_fail_at(0);
			cr_assert_eq(rc, FL_ENOMEM, "n=%ld: init returned %d", n, rc);
			cr_assert_eq(n, 1, "init makes a single allocation");
			ref_fini(&r);
			continue;
		}
		uint8_t v[MAXW], l[LABEL];
		size_t c, idx;
		for (c = 0; c < want; c++) {
			make_vec(&f, c, v);
			make_label(c, l);
			uint32_t parent = c ? (uint32_t)(c - 1) : FL_NO_PARENT;
			rc = fl_store_insert(&st, v, fl_store_hash(&st, v), parent, l, &idx);
			if (rc < 0)
				break;
			cr_assert_eq(rc, FL_STORE_NEW);
			r.idx_of[c] = (long)idx;
			r.code_of[idx] = c;
			r.parent[idx] = parent;
			r.depth[idx] = (uint32_t)c;
			r.count++;
		}
		fl_alloc_fail_at(0);
		if (c == want) {
			succeeded = 1;
		} else {
			cr_assert_eq(rc, FL_ENOMEM, "n=%ld: insert %zu returned %d", n, c, rc);
			cr_assert_eq(st.count, r.count, "a failed insert stored something");
			check_all(&st, &f, &r, LABEL);
			/* The store stays usable: the rest goes in once memory is back. */
			for (; c < want; c++) {
				make_vec(&f, c, v);
				make_label(c, l);
				uint32_t parent = c ? (uint32_t)(c - 1) : FL_NO_PARENT;
				cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), parent, l, &idx),
					     FL_STORE_NEW, "n=%ld: insert %zu after recovery", n, c);
				r.idx_of[c] = (long)idx;
				r.code_of[idx] = c;
				r.parent[idx] = parent;
				r.depth[idx] = (uint32_t)c;
				r.count++;
			}
		}
		check_all(&st, &f, &r, LABEL);
		fl_store_fini(&st);
		ref_fini(&r);
	}
	cr_assert(succeeded, "no run succeeded within %ld injected failures", n);
	/* init (1) + three arena growths (5 arrays each) + two slot growths = 18 allocations. */
	cr_assert_geq(n - 1, 19, "only %ld runs: the failure points were not all reached", n - 1);
	fl_test_no_leaks();
}

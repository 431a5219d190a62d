/*
 * test_store.c - the visited store against a naive reference set.
 *
 * State vectors are drawn from a small alphabet so that a random stream of them repeats a
 * lot; each vector is fully determined by a small integer code, so the reference set is a
 * direct-address table indexed by that code (plus the insertion order), independent of the
 * store's hashing and probing. Runs are large enough to grow the slot tables (stripes) several
 * times and, in places, to fill more than one block of states.
 *
 * The three modes are checked against the same reference: EXACT never merges two states,
 * FINGERPRINT merges only states passed with the same hash, BITSTATE may miss states (report a
 * new one OLD) but never reports a stored one NEW.
 */
#include "../../checker/fl.h"
#include "../../checker/search.h"
#include "../../checker/store.h"

#include "../support.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAXW 64
#define LABEL 5
#define MISSED (-2) /* reference: a code BITSTATE reported OLD when first inserted */

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

/* The code a vector was made from (its digits). */
static size_t code_of_vec(const struct family *f, const uint8_t *v)
{
	size_t c = 0;
	for (unsigned i = f->digits; i-- > 0;)
		c = c * f->base + v[i];
	return c;
}

static void make_label(size_t c, uint8_t *l)
{
	for (size_t i = 0; i < LABEL; i++)
		l[i] = (uint8_t)((c >> (i * 3)) ^ (0xa5u + i));
}

/* Deterministic xorshift, so a failure can be reproduced. */
static uint64_t rng_state;

static uint64_t rnd_r(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t rnd(void) { return rnd_r(&rng_state); }
static size_t rnd_below(size_t n) { return (size_t)(rnd() % n); }

static size_t count_of(const struct fl_store *st) { return atomic_load(&st->count); }

/* The reference: code -> index (or -1, or MISSED), and per index its code, parent and depth. */
struct ref {
	long *idx_of;     /* per code */
	size_t *code_of;  /* per index */
	uint32_t *parent; /* per index */
	uint32_t *depth;  /* per index */
	size_t count;
	size_t misses;    /* BITSTATE: new codes reported OLD */
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
	r->misses = 0;
}

static void ref_fini(struct ref *r)
{
	free(r->idx_of);
	free(r->code_of);
	free(r->parent);
	free(r->depth);
}

static void ref_add(struct ref *r, size_t c, size_t idx, uint32_t parent)
{
	cr_assert_eq(idx, r->count, "new states get the next index (%zu, expected %zu)", idx, r->count);
	r->idx_of[c] = (long)idx;
	r->code_of[idx] = c;
	r->parent[idx] = parent;
	r->depth[idx] = parent == FL_NO_PARENT ? 0 : r->depth[parent] + 1;
	r->count++;
}

/* A stripe's current slot table. */
static struct fl_slots *tab(const struct fl_stripe *sp)
{
	return atomic_load(&((struct fl_stripe *)sp)->table);
}

/* What the store has allocated, from its own tables: slots, blocks, meta blocks, bits. */
static size_t allocated_bytes(const struct fl_store *st)
{
	size_t n = 0;
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++)
		if (tab(&st->stripes[k]))
			n += sizeof(struct fl_slots) + tab(&st->stripes[k])->n * sizeof(uint64_t);
	for (size_t b = 0; b < st->nblocks; b++) {
		if (atomic_load(&st->blocks[b]))
			n += st->block * st->width;
		if (atomic_load(&st->metas[b]))
			n += st->block * st->meta_size;
	}
	if (st->bits)
		n += st->nbits / 8;
	return n;
}

/* Slot tables: powers of two, at most 3/4 full, `used` right, one slot per stored state. */
static void check_stripes(const struct fl_store *st)
{
	size_t total = 0;
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++) {
		const struct fl_stripe *sp = &st->stripes[k];
		cr_assert_not_null(tab(sp));
		cr_assert_eq(tab(sp)->n & (tab(sp)->n - 1), 0, "stripe %u: %zu slots", k, tab(sp)->n);
		cr_assert_leq(sp->used * 4, tab(sp)->n * 3, "stripe %u more than 3/4 full (%zu of %zu)", k,
			      sp->used, tab(sp)->n);
		size_t full = 0;
		for (size_t s = 0; s < tab(sp)->n; s++)
			full += tab(sp)->s[s] != 0;
		cr_assert_eq(full, sp->used, "stripe %u: %zu slots in use, counted %zu", k, full, sp->used);
		total += sp->used;
	}
	cr_assert_eq(total, count_of(st), "slots in use %zu, states %zu", total, count_of(st));
}

/* State i's record against the reference (vector too when `vectors`). */
static void check_state(const struct fl_store *st, const struct family *f, const struct ref *r,
			size_t i, size_t label_size, int vectors)
{
	uint8_t v[MAXW], l[LABEL], got[LABEL];
	make_vec(f, r->code_of[i], v);
	if (vectors)
		cr_assert_eq(memcmp(fl_store_state(st, i), v, f->width), 0,
			     "state %zu does not hold the bytes inserted", i);
	if (vectors) /* the hash is recomputed from the vector: not for retired states */
		cr_assert_eq(fl_store_hash_of(st, i), fl_store_hash(st, v), "hash of %zu", i);
	cr_assert_eq(fl_store_parent(st, i), r->parent[i], "parent of %zu", i);
	cr_assert_eq(fl_store_depth(st, i), r->depth[i], "depth of %zu", i);
	if (label_size) {
		make_label(r->code_of[i], l);
		fl_store_label(st, i, got);
		cr_assert_eq(memcmp(got, l, LABEL), 0, "label of %zu", i);
	}
}

/* Every stored state, its bytes, hash, parent, depth and label against the reference. */
static void check_all(const struct fl_store *st, const struct family *f, const struct ref *r,
		      size_t label_size)
{
	uint8_t v[MAXW];
	cr_assert_eq(count_of(st), r->count, "store holds %zu states, reference %zu", count_of(st),
		     r->count);
	if (st->mode != FL_STORAGE_BITSTATE)
		check_stripes(st);
	cr_assert_eq(fl_store_bytes(st), allocated_bytes(st), "fl_store_bytes %zu, allocated %zu",
		     fl_store_bytes(st), allocated_bytes(st));
	for (size_t i = 0; i < r->count; i++) {
		check_state(st, f, r, i, label_size, 1);
		if (st->mode == FL_STORAGE_EXACT) {
			make_vec(f, r->code_of[i], v);
			cr_assert_eq(fl_store_find(st, v, fl_store_hash(st, v)), (long)i, "find state %zu", i);
		}
	}
}

/*
 * Inserts nops random vectors (parents drawn among stored states), checking every result
 * against the reference as it goes, in the store's mode. hash_mask narrows the hash to force
 * collisions (EXACT only: the other modes merge such states).
 */
static void random_run(const struct family *f, size_t nops, size_t label_size, uint64_t hash_mask,
		       struct fl_store *st, struct ref *r)
{
	size_t ncodes = family_codes(f);
	uint8_t v[MAXW], l[LABEL], probe[MAXW];
	size_t news = 0, olds = 0;
	int mode = st->mode;
	for (size_t op = 0; op < nops; op++) {
		size_t c = rnd_below(ncodes);
		make_vec(f, c, v);
		make_label(c, l);
		uint64_t h = fl_store_hash(st, v) & hash_mask;
		uint32_t parent = r->count && rnd_below(4) ? (uint32_t)rnd_below(r->count) : FL_NO_PARENT;
		if (rnd_below(3) == 0) {
			/* A lookup without inserting (EXACT: the index; otherwise never known). */
			long got = fl_store_find(st, v, h);
			long want = mode == FL_STORAGE_EXACT && r->idx_of[c] >= 0 ? r->idx_of[c] : -1;
			cr_assert_eq(got, want, "find(code %zu) = %ld, reference %ld", c, got, want);
			continue;
		}
		size_t idx = (size_t)-1;
		int rc = fl_store_insert(st, v, h, parent, label_size ? l : NULL, &idx);
		if (r->idx_of[c] == -1 && !(mode == FL_STORAGE_BITSTATE && rc == FL_STORE_OLD)) {
			cr_assert_eq(rc, FL_STORE_NEW, "code %zu is new, insert returned %d", c, rc);
			ref_add(r, c, idx, parent);
			news++;
		} else if (r->idx_of[c] == -1) {
			/* BITSTATE missed it: all its bits were set by others. */
			cr_assert_eq(idx, FL_NO_PARENT);
			r->idx_of[c] = MISSED;
			r->misses++;
			olds++;
			continue;
		} else {
			cr_assert_eq(rc, FL_STORE_OLD, "code %zu was stored, insert returned %d", c, rc);
			if (mode == FL_STORAGE_EXACT)
				cr_assert_eq(idx, (size_t)r->idx_of[c], "index of an old state moved");
			else
				cr_assert_eq(idx, FL_NO_PARENT, "mode %d: old states have no index", mode);
			olds++;
			if (r->idx_of[c] == MISSED)
				continue;
			idx = (size_t)r->idx_of[c];
		}
		cr_assert_eq(count_of(st), r->count);
		/* The vector inserted reads back. */
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
	cr_log_info("width %zu: %zu ops, %zu states, %zu absent, %zu bytes", f->width, nops, r.count,
		    absent, fl_store_bytes(&st));
	fl_store_fini(&st);
	cr_assert_null(st.blocks);
	cr_assert_null(st.stripes);
	cr_assert_eq(st.spill, -1);
	ref_fini(&r);
	fl_test_no_leaks();
}

Test(store, empty_store_finds_nothing)
{
	struct fl_store st;
	uint8_t v[3] = {1, 2, 3};
	cr_assert_eq(fl_store_init(&st, sizeof v, 0, 0), FL_OK);
	cr_assert_eq(count_of(&st), 0);
	cr_assert_eq(st.mode, FL_STORAGE_EXACT);
	cr_assert_eq(fl_store_find(&st, v, fl_store_hash(&st, v)), -1);
	cr_assert_eq(fl_store_bytes(&st), allocated_bytes(&st));
	cr_assert_eq(fl_store_expected_misses(&st), 0.0);
	check_stripes(&st);
	fl_store_fini(&st);
}

Test(store, first_insert_is_root)
{
	struct fl_store st;
	uint8_t a[4] = {9, 8, 7, 6}, b[4] = {9, 8, 7, 5};
	uint8_t la[2] = {1, 2}, lb[2] = {3, 4}, got[2];
	size_t ia = 99, ib = 99, ic = 99;
	cr_assert_eq(fl_store_init(&st, 4, 2, 0), FL_OK);
	cr_assert_eq(fl_store_insert(&st, a, fl_store_hash(&st, a), FL_NO_PARENT, la, &ia), FL_STORE_NEW);
	cr_assert_eq(ia, 0);
	cr_assert_eq(fl_store_insert(&st, b, fl_store_hash(&st, b), 0, lb, &ib), FL_STORE_NEW);
	cr_assert_eq(ib, 1);
	/* Inserting a again with another parent and label changes nothing. */
	cr_assert_eq(fl_store_insert(&st, a, fl_store_hash(&st, a), 1, lb, &ic), FL_STORE_OLD);
	cr_assert_eq(ic, 0);
	cr_assert_eq(count_of(&st), 2);
	cr_assert_eq(fl_store_parent(&st, 0), FL_NO_PARENT);
	cr_assert_eq(fl_store_depth(&st, 0), 0);
	cr_assert_eq(fl_store_parent(&st, 1), 0);
	cr_assert_eq(fl_store_depth(&st, 1), 1);
	cr_assert_eq(fl_store_hash_of(&st, 0), fl_store_hash(&st, a));
	cr_assert_eq(fl_store_hash_of(&st, 1), fl_store_hash(&st, b));
	fl_store_label(&st, 0, got);
	cr_assert_eq(memcmp(got, la, 2), 0);
	fl_store_label(&st, 1, got);
	cr_assert_eq(memcmp(got, lb, 2), 0);
	cr_assert_eq(fl_store_find(&st, b, fl_store_hash(&st, b)), 1);
	cr_assert_eq(memcmp(fl_store_state(&st, 1), b, 4), 0);
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

Test(store, random_width_61_grows_stripes_blocks_never_move)
{
	struct family f = {61, 3, 10}; /* 59049 codes */
	struct fl_store st;
	struct ref r;
	rng_state = 0xabcdefu;
	ref_init(&r, family_codes(&f));
	cr_assert_eq(fl_store_init(&st, f.width, LABEL, 0), FL_OK);
	size_t nslots0 = tab(&st.stripes[0])->n;
	/* A first batch, then a pointer into the first block, then many more inserts. */
	random_run(&f, 2000, LABEL, UINT64_MAX, &st, &r);
	const uint8_t *p0 = fl_store_state(&st, 0), *p1 = fl_store_state(&st, r.count - 1);
	uint8_t c0[MAXW], c1[MAXW];
	memcpy(c0, p0, f.width);
	memcpy(c1, p1, f.width);
	size_t last = r.count - 1;
	random_run(&f, 40000, LABEL, UINT64_MAX, &st, &r);
	check_all(&st, &f, &r, LABEL);
	/* More than one block of states, every stripe grew several times. */
	cr_assert_gt(r.count, st.block + 100, "the run should fill a block (%zu)", r.count);
	cr_assert_not_null(atomic_load(&st.blocks[1]));
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++)
		cr_assert_geq(tab(&st.stripes[k])->n, 4 * nslots0, "stripe %u: %zu slots", k,
			      tab(&st.stripes[k])->n);
	cr_assert_eq(fl_store_state(&st, 0), p0, "block 0 moved");
	cr_assert_eq(fl_store_state(&st, last), p1, "block 0 moved");
	cr_assert_eq(memcmp(p0, c0, f.width), 0);
	cr_assert_eq(memcmp(p1, c1, f.width), 0);
	cr_assert_geq(st.meta_size, LABEL + 4 + 4);
	cr_assert_geq(fl_store_bytes(&st), 2 * st.block * (f.width + LABEL + 8));
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
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
	cr_assert_eq(count_of(&st), r.count);
	check_stripes(&st);
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
	/* The high half is zero for all (one stripe, one tag), the low half is a real hash. */
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
		ref_add(r, c, idx, parent);
	}
	*rc_out = FL_OK;
	return c;
}

static const struct family bounded_family = {7, 4, 7}; /* 16384 codes */

/* Bytes of the tables an empty store starts with, and of one block of states with records. */
static void measure(size_t *slots0, size_t *block)
{
	struct fl_store st;
	uint8_t v[MAXW], l[LABEL] = {0};
	size_t idx;
	cr_assert_eq(fl_store_init(&st, bounded_family.width, LABEL, 0), FL_OK);
	*slots0 = fl_store_bytes(&st);
	make_vec(&bounded_family, 0, v);
	cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), FL_NO_PARENT, l, &idx), FL_STORE_NEW);
	*block = fl_store_bytes(&st) - *slots0;
	/* At least the states, their labels, parents and depths. */
	cr_assert_geq(*block, FL_STORE_BLOCK * (bounded_family.width + LABEL + 4 + 4));
	fl_store_fini(&st);
}

/* A store bounded by max_bytes: the insert that would pass it fails, nothing is lost. */
static void bounded(size_t max_bytes, size_t expect_min, size_t expect_max)
{
	const struct family *f = &bounded_family;
	struct fl_store st;
	struct ref r;
	ref_init(&r, family_codes(f));
	cr_assert_eq(fl_store_init(&st, f->width, LABEL, max_bytes), FL_OK);
	int rc;
	size_t c = fill_until_failure(&st, f, &r, &rc);
	cr_assert_eq(rc, FL_EBOUND, "insert should fail with FL_EBOUND, got %d", rc);
	cr_assert_geq(r.count, expect_min, "stored %zu before the bound", r.count);
	cr_assert_leq(r.count, expect_max, "stored %zu before the bound", r.count);
	cr_assert_leq(fl_store_bytes(&st), max_bytes, "store uses %zu bytes, bound %zu",
		      fl_store_bytes(&st), max_bytes);
	check_all(&st, f, &r, LABEL);
	/* Old states are still found and reported old; the new one still does not fit. */
	uint8_t v[MAXW], l[LABEL];
	size_t idx = 0;
	if (r.count) {
		make_vec(f, r.code_of[0], v);
		cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), FL_NO_PARENT, l, &idx),
			     FL_STORE_OLD);
		cr_assert_eq(idx, 0);
	}
	make_vec(f, c, v);
	make_label(c, l);
	cr_assert_eq(fl_store_find(&st, v, fl_store_hash(&st, v)), -1);
	cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), FL_NO_PARENT, l, &idx), FL_EBOUND);
	cr_assert_eq(count_of(&st), r.count);
	check_all(&st, f, &r, LABEL);
	/* The store stays usable: with the bound lifted the rest goes in. */
	st.max_bytes = 0;
	for (; c < family_codes(f) && c < r.count + 2000; c++) {
		make_vec(f, c, v);
		make_label(c, l);
		uint32_t parent = r.count ? 0 : FL_NO_PARENT;
		cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), parent, l, &idx), FL_STORE_NEW);
		ref_add(&r, c, idx, parent);
	}
	check_all(&st, f, &r, LABEL);
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
}

Test(store, max_bytes_below_first_block)
{
	/* The initial slot tables fit, not the first block: the very first insert fails. */
	size_t slots0, block;
	measure(&slots0, &block);
	bounded(slots0 + block - 1, 0, 0);
}

Test(store, max_bytes_below_initial_tables)
{
	/* Not even the initial slot tables fit: open reports it. */
	struct fl_store st;
	cr_assert_eq(fl_store_init(&st, 7, LABEL, 1000), FL_ENOMEM);
	fl_test_no_leaks();
}

Test(store, max_bytes_stops_block_growth)
{
	/* Room for one block (and the slot tables to grow for it), not for a second block. A
	 * block is allocated FL_STORE_STRIPES states ahead of need. */
	size_t slots0, block;
	measure(&slots0, &block);
	bounded(slots0 + block + block * 7 / 8, FL_STORE_BLOCK - FL_STORE_STRIPES, FL_STORE_BLOCK - 1);
}

Test(store, max_bytes_stops_slot_growth)
{
	/* Room for the first block, not for any stripe to double (a stripe of 64 slots holds
	 * 48 states; they grow before the 49th). */
	size_t slots0, block;
	measure(&slots0, &block);
	bounded(slots0 + block + 100, 48, 48 * FL_STORE_STRIPES);
}

/*
 * Injects an allocation failure at every allocation point: open is tried with the 1st, 2nd,
 * ... allocation failing until it succeeds (a failed open frees what it took), then every
 * insert of codes [0, want) likewise. An insert that fails must leave the store unchanged
 * (the next try is the proof it stays usable); at the end every state is checked. Returns
 * the allocation points found in open and in the inserts.
 */
static void failures(const struct family *f, size_t want, int mode, long *in_open, long *in_inserts)
{
	struct fl_store st;
	struct ref r;
	long n;
	int rc;
	ref_init(&r, family_codes(f));
	/* open: its three tables, then the stripes' slot tables, made by one loop: its first,
	 * second, a middle and the last (a failed open costs a walk over every block entry, so
	 * not all 64), then the first n that no allocation reaches. */
	static const long open_points[] = {1, 2, 3, 4, 5, 3 + FL_STORE_STRIPES / 2,
					   2 + FL_STORE_STRIPES, 3 + FL_STORE_STRIPES, 4 + FL_STORE_STRIPES};
	*in_open = 0;
	for (size_t k = 0; k < sizeof open_points / sizeof *open_points; k++) {
		n = open_points[k];
		fl_alloc_fail_at(n);
		rc = fl_store_open(&st, f->width, LABEL, 0, mode, 0, 4096);
		fl_alloc_fail_at(0);
		if (rc == FL_OK)
			break;
		cr_assert_eq(rc, FL_ENOMEM, "n=%ld: open returned %d", n, rc);
		cr_assert_null(st.blocks, "a failed open leaves the store empty");
		*in_open = n;
	}
	cr_assert_eq(rc, FL_OK, "open still fails at n=%ld", n);
	*in_inserts = 0;
	fl_test_no_leaks();
	uint8_t v[MAXW], l[LABEL];
	size_t idx;
	for (size_t c = 0; c < want; c++) {
		make_vec(f, c, v);
		make_label(c, l);
		uint32_t parent = c ? (uint32_t)(c - 1) : FL_NO_PARENT;
		for (n = 1;; n++) {
			size_t bytes = fl_store_bytes(&st);
			fl_alloc_fail_at(n);
			rc = fl_store_insert(&st, v, fl_store_hash(&st, v), parent, l, &idx);
			fl_alloc_fail_at(0);
			if (rc != FL_ENOMEM)
				break;
			(*in_inserts)++;
			cr_assert_eq(count_of(&st), r.count, "insert %zu, n=%ld: a failed insert stored something", c, n);
			cr_assert_leq(fl_store_bytes(&st), bytes + FL_STORE_BLOCK * (f->width + st.meta_size),
				      "insert %zu, n=%ld", c, n);
			cr_assert_eq(fl_store_bytes(&st), allocated_bytes(&st));
			if (mode == FL_STORAGE_EXACT)
				cr_assert_eq(fl_store_find(&st, v, fl_store_hash(&st, v)), -1);
			if (c)
				check_state(&st, f, &r, c - 1, LABEL, 1);
		}
		cr_assert_eq(rc, FL_STORE_NEW, "insert %zu returned %d", c, rc);
		ref_add(&r, c, idx, parent);
	}
	check_all(&st, f, &r, LABEL);
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
}

Test(store, allocation_failures)
{
	/* open (3 tables + 64 stripes); two blocks (2 each, one at FL_STORE_BLOCK - 63 states);
	 * every stripe doubling 3 times (64 -> 512 slots). */
	struct family f = {9, 4, 8}; /* 65536 codes */
	long in_open, in_inserts;
	failures(&f, FL_STORE_BLOCK + 100, FL_STORAGE_EXACT, &in_open, &in_inserts);
	cr_assert_eq(in_open, 3 + FL_STORE_STRIPES);
	cr_assert_geq(in_inserts, 2 + 2 + 3 * FL_STORE_STRIPES, "only %ld allocation points", in_inserts);
}

Test(store, allocation_failures_fingerprint)
{
	struct family f = {9, 4, 7};
	long in_open, in_inserts;
	failures(&f, 4000, FL_STORAGE_FINGERPRINT, &in_open, &in_inserts);
	cr_assert_eq(in_open, 3 + FL_STORE_STRIPES);
	cr_assert_geq(in_inserts, 2 + FL_STORE_STRIPES / 2, "only %ld allocation points", in_inserts);
}

/* --- FINGERPRINT ----------------------------------------------------------------------- */

static void run_mode(const struct family *f, size_t nops, int mode, size_t bits_bytes,
		     uint64_t seed, struct fl_store *st, struct ref *r)
{
	rng_state = seed;
	ref_init(r, family_codes(f));
	cr_assert_eq(fl_store_open(st, f->width, LABEL, 0, mode, 0, bits_bytes), FL_OK);
	cr_assert_eq(st->mode, mode);
	random_run(f, nops, LABEL, UINT64_MAX, st, r);
	check_all(st, f, r, LABEL);
}

Test(store, fingerprint_answers_as_reference)
{
	struct family f = {7, 4, 7}; /* 16384 codes */
	struct fl_store st;
	struct ref r;
	run_mode(&f, 24000, FL_STORAGE_FINGERPRINT, 0, 0x5eed5u, &st, &r);
	/* n^2 / 2^65 */
	double n = (double)r.count, want = n * n / 36893488147419103232.0;
	cr_assert_float_eq(fl_store_expected_misses(&st), want, want * 1e-12);
	cr_assert_gt(fl_store_expected_misses(&st), 0.0);
	/* Every stored vector is old, with no index; the rest are new. */
	uint8_t v[MAXW], l[LABEL];
	size_t idx;
	for (size_t c = 0; c < family_codes(&f); c++) {
		make_vec(&f, c, v);
		make_label(c, l);
		int rc = fl_store_insert(&st, v, fl_store_hash(&st, v), 0, l, &idx);
		if (r.idx_of[c] >= 0) {
			cr_assert_eq(rc, FL_STORE_OLD, "code %zu", c);
			cr_assert_eq(idx, FL_NO_PARENT);
		} else {
			cr_assert_eq(rc, FL_STORE_NEW, "code %zu", c);
			ref_add(&r, c, idx, 0);
		}
	}
	check_all(&st, &f, &r, LABEL);
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
}

Test(store, fingerprint_merges_equal_hashes)
{
	struct fl_store st;
	uint8_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {6, 5, 4, 3, 2, 1}, la[LABEL] = {1}, lb[LABEL] = {2};
	uint8_t got[LABEL];
	size_t idx = 7;
	cr_assert_eq(fl_store_open(&st, 6, LABEL, 0, FL_STORAGE_FINGERPRINT, 0, 0), FL_OK);
	uint64_t h = fl_store_hash(&st, a);
	cr_assert_eq(fl_store_insert(&st, a, h, FL_NO_PARENT, la, &idx), FL_STORE_NEW);
	cr_assert_eq(idx, 0);
	/* b passed with a's hash: the documented merge, b is taken as seen. */
	cr_assert_eq(fl_store_insert(&st, b, h, 0, lb, &idx), FL_STORE_OLD);
	cr_assert_eq(idx, FL_NO_PARENT);
	cr_assert_eq(count_of(&st), 1);
	/* With its own hash b is new. */
	cr_assert_eq(fl_store_insert(&st, b, fl_store_hash(&st, b), 0, lb, &idx), FL_STORE_NEW);
	cr_assert_eq(idx, 1);
	cr_assert_eq(fl_store_insert(&st, a, h, 1, lb, &idx), FL_STORE_OLD);
	cr_assert_eq(idx, FL_NO_PARENT);
	cr_assert_eq(fl_store_find(&st, a, h), -1, "find is for EXACT only");
	fl_store_label(&st, 0, got);
	cr_assert_eq(memcmp(got, la, LABEL), 0);
	cr_assert_eq(fl_store_parent(&st, 1), 0);
	cr_assert_eq(fl_store_depth(&st, 1), 1);
	cr_assert_eq(memcmp(fl_store_state(&st, 1), b, 6), 0);
	fl_store_fini(&st);
}

/*
 * Small hashes (one stripe, even values 0..254, 0 included): FINGERPRINT answers NEW exactly
 * for a hash not passed before, across the stripe's growth; then as BITSTATE every stored
 * state stays OLD.
 */
Test(store, fingerprint_small_hashes_across_growth)
{
	struct family f = {6, 8, 6}; /* 262144 codes */
	struct fl_store st;
	long first[256];
	for (int i = 0; i < 256; i++)
		first[i] = -1;
	cr_assert_eq(fl_store_open(&st, f.width, 0, 0, FL_STORAGE_FINGERPRINT, 0, 0), FL_OK);
	uint8_t v[MAXW];
	size_t idx, news = 0;
	rng_state = 99;
	for (int op = 0; op < 3000; op++) {
		size_t c = rnd_below(family_codes(&f));
		make_vec(&f, c, v);
		uint64_t h = fl_store_hash(&st, v) & 0xFE;
		int rc = fl_store_insert(&st, v, h, FL_NO_PARENT, NULL, &idx);
		if (first[h] < 0) {
			cr_assert_eq(rc, FL_STORE_NEW, "op %d: hash %#llx is new", op, (unsigned long long)h);
			first[h] = (long)c;
			news++;
		} else {
			cr_assert_eq(rc, FL_STORE_OLD, "op %d: hash %#llx was passed before", op,
				     (unsigned long long)h);
		}
	}
	cr_assert_eq(news, 128);
	cr_assert_eq(count_of(&st), 128);
	cr_assert_geq(tab(&st.stripes[0])->n, 256, "stripe 0 should have grown");
	check_stripes(&st);
	cr_assert_eq(fl_store_degrade(&st, 1 << 16, 0), FL_OK);
	cr_assert_eq(st.mode, FL_STORAGE_BITSTATE);
	for (uint64_t h = 0; h < 256; h += 2) {
		make_vec(&f, (size_t)first[h], v);
		cr_assert_eq(fl_store_insert(&st, v, h, FL_NO_PARENT, NULL, &idx), FL_STORE_OLD,
			     "hash %#llx was stored", (unsigned long long)h);
	}
	fl_store_fini(&st);
}

/* --- BITSTATE -------------------------------------------------------------------------- */

Test(store, bitstate_no_false_new)
{
	struct family f = {7, 4, 7};
	struct fl_store st;
	struct ref r;
	run_mode(&f, 24000, FL_STORAGE_BITSTATE, 1 << 20, 0xb175u, &st, &r);
	cr_assert_eq(st.nbits, (size_t)8 << 20);
	/* Whatever it reported, everything inserted before is old now. */
	uint8_t v[MAXW];
	size_t idx;
	for (size_t c = 0; c < family_codes(&f); c++)
		if (r.idx_of[c] != -1) {
			make_vec(&f, c, v);
			cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), 0, NULL, &idx),
				     FL_STORE_OLD, "code %zu", c);
		}
	cr_assert_eq(count_of(&st), r.count);
	cr_log_info("bitstate: %zu states, %zu missed, expected %g", r.count, r.misses,
		    fl_store_expected_misses(&st));
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
}

Test(store, bitstate_tiny_array_misses)
{
	struct family f = {7, 4, 7};
	struct fl_store st;
	struct ref r;
	run_mode(&f, 6000, FL_STORAGE_BITSTATE, 64, 0x71u, &st, &r); /* 512 bits */
	cr_assert_eq(st.nbits, 512);
	cr_assert_gt(r.misses, 0, "a 512-bit array must miss states");
	cr_assert_lt(r.count, 512);
	cr_assert_gt(fl_store_expected_misses(&st), 0.0);
	cr_assert_leq(atomic_load(&st.bits_set), st.nbits);
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
}

/* --- retire ---------------------------------------------------------------------------- */

/* Records of states below `below` are read back from the spill file (a read per field):
 * every 8th of them, and the first and last of each block; every state above. */
static void check_retired(const struct fl_store *st, const struct family *f, const struct ref *r,
			  size_t below)
{
	for (size_t i = 0; i < r->count; i++) {
		size_t j = i & (FL_STORE_BLOCK - 1);
		if (i >= below || i % 8 == 0 || j == 0 || j == FL_STORE_BLOCK - 1)
			check_state(st, f, r, i, LABEL, i >= below);
	}
}

static void retire_in(int mode)
{
	struct family f = {8, 256, 3}; /* codes inserted in order: all distinct */
	struct fl_store st;
	struct ref r;
	const size_t n = 3 * FL_STORE_BLOCK + 500;
	ref_init(&r, n + 2000);
	cr_assert_eq(fl_store_open(&st, f.width, LABEL, 0, mode, 0, 1 << 20), FL_OK);
	uint8_t v[MAXW], l[LABEL];
	size_t idx;
	/* BITSTATE may miss a state (all its bits set by others): it then has no index. */
	for (size_t c = 0; c < n; c++) {
		make_vec(&f, c, v);
		make_label(c, l);
		uint32_t parent = r.count ? (uint32_t)(r.count / 2) : FL_NO_PARENT;
		int rc = fl_store_insert(&st, v, fl_store_hash(&st, v), parent, l, &idx);
		if (mode == FL_STORAGE_BITSTATE && rc == FL_STORE_OLD)
			continue;
		cr_assert_eq(rc, FL_STORE_NEW, "code %zu", c);
		ref_add(&r, c, idx, parent);
	}
	cr_assert_gt(r.count, 3 * FL_STORE_BLOCK);
	size_t before = fl_store_bytes(&st), block = FL_STORE_BLOCK * (st.width + st.meta_size);
	cr_assert_eq(fl_store_retire(&st, FL_STORE_BLOCK + 5), FL_OK);
	cr_assert_eq(fl_store_bytes(&st), before - block);
	cr_assert_eq(fl_store_retire(&st, 2 * FL_STORE_BLOCK), FL_OK);
	cr_assert_eq(fl_store_bytes(&st), before - 2 * block, "bytes %zu, before %zu",
		     fl_store_bytes(&st), before);
	cr_assert_eq(fl_store_bytes(&st), allocated_bytes(&st));
	cr_assert_null(atomic_load(&st.blocks[0]));
	cr_assert_null(atomic_load(&st.blocks[1]));
	cr_assert_geq(st.spill, 0);
	/* Retiring less than what is retired changes nothing. */
	cr_assert_eq(fl_store_retire(&st, FL_STORE_BLOCK), FL_OK);
	cr_assert_eq(fl_store_bytes(&st), before - 2 * block);
	check_retired(&st, &f, &r, 2 * FL_STORE_BLOCK);
	/* Inserts go on: old vectors (retired ones too) are old, new ones get the next index,
	 * with parents among the retired states (their depth is read back). */
	for (size_t c = 0; c < n + 2000; c++) {
		make_vec(&f, c, v);
		make_label(c, l);
		uint32_t parent = (uint32_t)(c % (2 * FL_STORE_BLOCK));
		int rc = fl_store_insert(&st, v, fl_store_hash(&st, v), parent, l, &idx);
		if (c < n) {
			cr_assert_eq(rc, FL_STORE_OLD, "code %zu", c);
		} else if (mode == FL_STORAGE_BITSTATE && rc == FL_STORE_OLD) {
			continue;
		} else {
			cr_assert_eq(rc, FL_STORE_NEW, "code %zu", c);
			ref_add(&r, c, idx, parent);
		}
	}
	cr_assert_eq(count_of(&st), r.count);
	check_retired(&st, &f, &r, 2 * FL_STORE_BLOCK);
	/* A second retire goes on from there. */
	cr_assert_eq(fl_store_retire(&st, 3 * FL_STORE_BLOCK), FL_OK);
	cr_assert_eq(fl_store_bytes(&st), allocated_bytes(&st));
	check_retired(&st, &f, &r, 3 * FL_STORE_BLOCK);
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
}

Test(store, retire_fingerprint) { retire_in(FL_STORAGE_FINGERPRINT); }
Test(store, retire_bitstate) { retire_in(FL_STORAGE_BITSTATE); }

Test(store, retire_is_noop_in_exact)
{
	struct family f = {7, 4, 7};
	struct fl_store st;
	struct ref r;
	run_mode(&f, 40000, FL_STORAGE_EXACT, 0, 0x7e7u, &st, &r);
	cr_assert_gt(r.count, 10000);
	size_t before = fl_store_bytes(&st);
	cr_assert_eq(fl_store_retire(&st, r.count), FL_OK);
	cr_assert_eq(fl_store_bytes(&st), before);
	cr_assert_eq(st.retired, 0);
	cr_assert_eq(st.spill, -1);
	check_all(&st, &f, &r, LABEL);
	fl_store_fini(&st);
	ref_fini(&r);
}

/* --- degrade --------------------------------------------------------------------------- */

/* Every stored vector is OLD; codes never inserted are NEW, or (BITSTATE) possibly OLD. */
static void check_answers_after_degrade(struct fl_store *st, const struct family *f, struct ref *r)
{
	uint8_t v[MAXW], l[LABEL] = {0};
	size_t idx;
	for (size_t i = 0; i < r->count; i++) {
		make_vec(f, r->code_of[i], v);
		cr_assert_eq(fl_store_insert(st, v, fl_store_hash(st, v), 0, l, &idx), FL_STORE_OLD,
			     "state %zu", i);
		cr_assert_eq(idx, FL_NO_PARENT);
	}
	cr_assert_eq(count_of(st), r->count);
	size_t news = 0, tries = 0;
	for (size_t c = 0; c < family_codes(f) && tries < 500; c++) {
		if (r->idx_of[c] != -1)
			continue;
		tries++;
		make_vec(f, c, v);
		make_label(c, l);
		int rc = fl_store_insert(st, v, fl_store_hash(st, v), 1, l, &idx);
		if (st->mode == FL_STORAGE_BITSTATE && rc == FL_STORE_OLD) {
			r->idx_of[c] = MISSED;
			continue;
		}
		cr_assert_eq(rc, FL_STORE_NEW, "code %zu", c);
		ref_add(r, c, idx, 1);
		news++;
		/* and now it is old */
		cr_assert_eq(fl_store_insert(st, v, fl_store_hash(st, v), 0, l, &idx), FL_STORE_OLD);
	}
	cr_assert_gt(news, 400);
	check_all(st, f, r, LABEL);
}

Test(store, degrade_exact_to_fingerprint_to_bitstate)
{
	struct family f = {7, 4, 7};
	struct fl_store st;
	struct ref r;
	run_mode(&f, 8000, FL_STORAGE_EXACT, 0, 0xde9u, &st, &r);
	cr_assert_gt(r.count, 4000);
	cr_assert_eq(fl_store_degrade(&st, 0, 0), FL_OK);
	cr_assert_eq(st.mode, FL_STORAGE_FINGERPRINT);
	check_all(&st, &f, &r, LABEL); /* count, indices, records and vectors kept */
	check_answers_after_degrade(&st, &f, &r);
	cr_assert_gt(fl_store_expected_misses(&st), 0.0);

	cr_assert_eq(fl_store_degrade(&st, 1 << 20, 0), FL_OK);
	cr_assert_eq(st.mode, FL_STORAGE_BITSTATE);
	cr_assert_eq(st.nbits, (size_t)8 << 20);
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++)
		cr_assert_null(tab(&st.stripes[k]));
	check_all(&st, &f, &r, LABEL);
	check_answers_after_degrade(&st, &f, &r);
	cr_assert_eq(fl_store_degrade(&st, 1 << 20, 0), FL_EBOUND, "nothing below BITSTATE");
	fl_store_fini(&st);
	ref_fini(&r);
	fl_test_no_leaks();
}

/* Degrading at the memory bound (where the search does it) works, or changes nothing. */
Test(store, degrade_at_the_bound)
{
	const struct family *f = &bounded_family;
	size_t slots0, block;
	measure(&slots0, &block);
	struct fl_store st;
	struct ref r;
	ref_init(&r, family_codes(f));
	cr_assert_eq(fl_store_init(&st, f->width, LABEL, slots0 + block + 100), FL_OK);
	int rc;
	fill_until_failure(&st, f, &r, &rc);
	cr_assert_eq(rc, FL_EBOUND);
	rc = fl_store_degrade(&st, 0, 0);
	cr_assert(rc == FL_OK || rc == FL_ENOMEM, "degrade returned %d", rc);
	if (rc != FL_OK)
		cr_assert_eq(st.mode, FL_STORAGE_EXACT, "a failed degrade changed the mode");
	check_all(&st, f, &r, LABEL);
	uint8_t v[MAXW], l[LABEL] = {0};
	size_t idx;
	for (size_t i = 0; i < r.count; i++) {
		make_vec(f, r.code_of[i], v);
		cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), 0, l, &idx), FL_STORE_OLD,
			     "state %zu", i);
	}
	fl_store_fini(&st);
	ref_fini(&r);
}

/* Allocation failures during degrade leave the store as it was. */
Test(store, degrade_allocation_failures)
{
	struct family f = {7, 4, 7};
	for (long n = 1; n <= 3; n++) {
		struct fl_store st;
		struct ref r;
		run_mode(&f, 6000, FL_STORAGE_EXACT, 0, 0xfa11u, &st, &r);
		fl_alloc_fail_at(n);
		int rc = fl_store_degrade(&st, 0, 0);
		fl_alloc_fail_at(0);
		cr_assert(rc == FL_OK || rc == FL_ENOMEM, "n=%ld: degrade returned %d", n, rc);
		cr_assert_eq(st.mode, rc == FL_OK ? FL_STORAGE_FINGERPRINT : FL_STORAGE_EXACT,
			     "n=%ld: rc %d, mode %d", n, rc, st.mode);
		check_all(&st, &f, &r, LABEL);
		check_answers_after_degrade(&st, &f, &r);
		/* to BITSTATE: its one allocation */
		fl_alloc_fail_at(1);
		rc = fl_store_degrade(&st, 4096, 0);
		fl_alloc_fail_at(0);
		cr_assert_eq(rc, FL_ENOMEM);
		cr_assert_eq(st.mode, FL_STORAGE_FINGERPRINT);
		check_all(&st, &f, &r, LABEL);
		check_answers_after_degrade(&st, &f, &r);
		fl_store_fini(&st);
		ref_fini(&r);
	}
	fl_test_no_leaks();
}

/* --- shared mode ----------------------------------------------------------------------- */

#define SHARED_RANGE 12000 /* codes 1..SHARED_RANGE; code 0 is the root */
#define SHARED_OPS 8000    /* per thread */

struct worker {
	struct fl_store *st;
	const struct family *f;
	size_t *codes; /* SHARED_OPS */
	int *rc;
	size_t *idx;
};

static void *shared_worker(void *arg)
{
	struct worker *w = arg;
	uint8_t v[MAXW], l[LABEL];
	for (size_t k = 0; k < SHARED_OPS; k++) {
		make_vec(w->f, w->codes[k], v);
		make_label(w->codes[k], l);
		w->rc[k] = fl_store_insert(w->st, v, fl_store_hash(w->st, v), 0, l, &w->idx[k]);
	}
	return NULL;
}

static void shared(int nthreads, int mode, uint64_t seed)
{
	struct family f = {8, 16, 5}; /* 1M codes, we use the first SHARED_RANGE + 1 */
	struct fl_store st;
	struct worker w[4];
	pthread_t tid[4];
	cr_assert_eq(fl_store_open(&st, f.width, LABEL, 0, mode, 1, 0), FL_OK);
	uint8_t v[MAXW], l[LABEL];
	size_t idx;
	make_vec(&f, 0, v);
	make_label(0, l);
	cr_assert_eq(fl_store_insert(&st, v, fl_store_hash(&st, v), FL_NO_PARENT, l, &idx), FL_STORE_NEW);
	/* The reference: the union of what the threads insert. */
	char *in = calloc(SHARED_RANGE + 1, 1);
	long *index_of = malloc((SHARED_RANGE + 1) * sizeof *index_of);
	cr_assert(in && index_of);
	in[0] = 1;
	size_t want = 1;
	for (int t = 0; t < nthreads; t++) {
		uint64_t s = seed + (uint64_t)t * (uint64_t)0x9e3779b97f4a7c15u;
		w[t] = (struct worker){&st, &f, malloc(SHARED_OPS * sizeof(size_t)),
				       malloc(SHARED_OPS * sizeof(int)), malloc(SHARED_OPS * sizeof(size_t))};
		cr_assert(w[t].codes && w[t].rc && w[t].idx);
		for (size_t k = 0; k < SHARED_OPS; k++) {
			size_t c = 1 + (size_t)(rnd_r(&s) % SHARED_RANGE);
			w[t].codes[k] = c;
			want += !in[c];
			in[c] = 1;
		}
	}
	for (int t = 0; t < nthreads; t++)
		cr_assert_eq(pthread_create(&tid[t], NULL, shared_worker, &w[t]), 0);
	for (int t = 0; t < nthreads; t++)
		pthread_join(tid[t], NULL);

	size_t count = count_of(&st);
	cr_assert_eq(count, want, "%d threads: %zu states, reference %zu", nthreads, count, want);
	/* Every index holds a distinct vector of the union, with its record. */
	for (size_t c = 0; c <= SHARED_RANGE; c++)
		index_of[c] = -1;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *s = fl_store_state(&st, i);
		size_t c = code_of_vec(&f, s);
		cr_assert_leq(c, SHARED_RANGE, "index %zu holds code %zu", i, c);
		make_vec(&f, c, v);
		cr_assert_eq(memcmp(s, v, f.width), 0, "index %zu holds the wrong bytes", i);
		cr_assert(in[c], "index %zu holds code %zu, never inserted", i, c);
		cr_assert_eq(index_of[c], -1, "code %zu got indices %ld and %zu", c, index_of[c], i);
		index_of[c] = (long)i;
		cr_assert_eq(fl_store_hash_of(&st, i), fl_store_hash(&st, v));
		cr_assert_eq(fl_store_parent(&st, i), c ? 0 : FL_NO_PARENT);
		cr_assert_eq(fl_store_depth(&st, i), c ? 1 : 0);
		uint8_t got[LABEL];
		make_label(c, l);
		fl_store_label(&st, i, got);
		cr_assert_eq(memcmp(got, l, LABEL), 0, "label of %zu", i);
	}
	/* Each insert's answer: exactly one NEW per distinct vector, with its index. */
	size_t news = 0;
	for (int t = 0; t < nthreads; t++)
		for (size_t k = 0; k < SHARED_OPS; k++) {
			size_t c = w[t].codes[k];
			cr_assert(w[t].rc[k] == FL_STORE_NEW || w[t].rc[k] == FL_STORE_OLD, "rc %d",
				  w[t].rc[k]);
			if (w[t].rc[k] == FL_STORE_NEW) {
				news++;
				cr_assert_eq(w[t].idx[k], (size_t)index_of[c]);
			} else if (mode == FL_STORAGE_EXACT) {
				cr_assert_eq(w[t].idx[k], (size_t)index_of[c]);
			} else {
				cr_assert_eq(w[t].idx[k], FL_NO_PARENT);
			}
		}
	cr_assert_eq(news + 1, count);
	if (mode == FL_STORAGE_EXACT) {
		check_stripes(&st);
		for (size_t c = 0; c <= SHARED_RANGE; c++) {
			make_vec(&f, c, v);
			cr_assert_eq(fl_store_find(&st, v, fl_store_hash(&st, v)), in[c] ? index_of[c] : -1,
				     "find code %zu", c);
		}
	}
	cr_assert_gt(fl_store_bytes(&st), allocated_bytes(&st), "resizes left old tables to free");
	fl_store_quiesce(&st); /* the tables resizes replaced, kept for lookups in flight */
	cr_assert_eq(fl_store_bytes(&st), allocated_bytes(&st));
	for (int t = 0; t < nthreads; t++) {
		free(w[t].codes);
		free(w[t].rc);
		free(w[t].idx);
	}
	free(in);
	free(index_of);
	fl_store_fini(&st);
	fl_test_no_leaks();
}

Test(store, shared_2_threads) { shared(2, FL_STORAGE_EXACT, 0x2222u); }
Test(store, shared_4_threads) { shared(4, FL_STORAGE_EXACT, 0x4444u); }
Test(store, shared_4_threads_fingerprint) { shared(4, FL_STORAGE_FINGERPRINT, 0x4f4fu); }

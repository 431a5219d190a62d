/*
 * store.c - the visited set over blocks of states (see store.h).
 *
 * Invariants: every index in [0, count) has its vector (until retired) and record written
 * before any slot names it; in EXACT and FINGERPRINT mode every stripe stays at most 3/4 full,
 * so probes are short and a free slot always exists. A block for index i exists before i is
 * handed out: the inserter makes sure the blocks up to count + FL_STORE_STRIPES exist first,
 * and at most one state per stripe (one per lock holder) is being inserted at a time.
 */
#include "store.h"

#include "fl.h"
#include "search.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define INITIAL_SLOTS 64
#define NBLOCKS (((size_t)1 << 32) >> FL_STORE_BLOCK_BITS)
#define DEFAULT_BITS_BYTES ((size_t)64 << 20)

/* Offsets inside a meta block: labels, then parents, depths and hashes. */
static size_t meta_parents(const struct fl_store *st) { return FL_STORE_BLOCK * st->label_size; }
static size_t meta_depths(const struct fl_store *st) { return meta_parents(st) + FL_STORE_BLOCK * 4; }
static size_t meta_hashes(const struct fl_store *st) { return meta_depths(st) + FL_STORE_BLOCK * 4; }
static size_t meta_bytes(const struct fl_store *st) { return FL_STORE_BLOCK * st->meta_size; }

static void lock(const struct fl_store *st, struct fl_stripe *sp)
{
	if (st->shared)
		while (atomic_flag_test_and_set_explicit(&sp->lock, memory_order_acquire))
			;
}

static void unlock(const struct fl_store *st, struct fl_stripe *sp)
{
	if (st->shared)
		atomic_flag_clear_explicit(&sp->lock, memory_order_release);
}

/* Counts n more bytes against the limit; 0 or FL_EBOUND (nothing counted). */
static int charge(struct fl_store *st, size_t n)
{
	size_t now = atomic_fetch_add(&st->bytes, n);
	if (st->max_bytes && now + n > st->max_bytes) {
		atomic_fetch_sub(&st->bytes, n);
		return FL_EBOUND;
	}
	return FL_OK;
}

static void *alloc_charged(struct fl_store *st, size_t n, int *rc)
{
	*rc = charge(st, n);
	if (*rc != FL_OK)
		return NULL;
	void *p = fl_calloc(1, n);
	if (!p) {
		atomic_fetch_sub(&st->bytes, n);
		*rc = FL_ENOMEM;
	}
	return p;
}

static void free_charged(struct fl_store *st, void *p, size_t n)
{
	if (p)
		atomic_fetch_sub(&st->bytes, n);
	fl_free(p);
}

static int alloc_slots(struct fl_store *st)
{
	int rc = FL_OK;
	for (unsigned i = 0; i < FL_STORE_STRIPES && rc == FL_OK; i++) {
		struct fl_stripe *sp = &st->stripes[i];
		sp->slots = alloc_charged(st, INITIAL_SLOTS * sizeof *sp->slots, &rc);
		sp->nslots = INITIAL_SLOTS;
		sp->used = 0;
	}
	return rc;
}

static int alloc_bits(struct fl_store *st, size_t bytes)
{
	size_t n = 8;
	while (n * 2 <= (bytes ? bytes : DEFAULT_BITS_BYTES))
		n *= 2;
	int rc;
	st->bits = alloc_charged(st, n, &rc);
	st->nbits = n * 8;
	atomic_store(&st->bits_set, 0);
	return rc;
}

int fl_store_open(struct fl_store *st, size_t width, size_t label_size, size_t max_bytes,
		  int mode, int shared, size_t bitstate_bytes)
{
	*st = (struct fl_store){.width = width, .label_size = label_size, .mode = mode,
				.shared = shared, .max_bytes = max_bytes, .spill = -1,
				.meta_size = label_size + 4 + 4 + 8, .nblocks = NBLOCKS};
	pthread_mutex_init(&st->grow, NULL);
	st->blocks = fl_calloc(NBLOCKS, sizeof *st->blocks);
	st->metas = fl_calloc(NBLOCKS, sizeof *st->metas);
	st->stripes = fl_calloc(FL_STORE_STRIPES, sizeof *st->stripes);
	if (!st->blocks || !st->metas || !st->stripes)
		return fl_store_fini(st), FL_ENOMEM;
	for (unsigned i = 0; i < FL_STORE_STRIPES; i++)
		atomic_flag_clear(&st->stripes[i].lock);
	int rc = mode == FL_STORAGE_BITSTATE ? alloc_bits(st, bitstate_bytes) : alloc_slots(st);
	if (rc != FL_OK)
		fl_store_fini(st);
	return rc == FL_EBOUND ? FL_ENOMEM : rc;
}

int fl_store_init(struct fl_store *st, size_t width, size_t label_size, size_t max_bytes)
{
	return fl_store_open(st, width, label_size, max_bytes, FL_STORAGE_EXACT, 0, 0);
}

static void free_slots(struct fl_store *st)
{
	for (unsigned i = 0; st->stripes && i < FL_STORE_STRIPES; i++) {
		free_charged(st, st->stripes[i].slots, st->stripes[i].nslots * sizeof(uint64_t));
		st->stripes[i].slots = NULL;
	}
}

void fl_store_fini(struct fl_store *st)
{
	/* blocks and metas are tested apart: a failed open may have allocated one, not the other */
	for (size_t b = 0; st->blocks && st->metas && b < st->nblocks; b++) {
		fl_free(atomic_load(&st->blocks[b]));
		fl_free(atomic_load(&st->metas[b]));
	}
	free_slots(st);
	fl_free(st->blocks);
	fl_free(st->metas);
	fl_free(st->stripes);
	fl_free((void *)st->bits);
	if (st->spill >= 0)
		close(st->spill);
	pthread_mutex_destroy(&st->grow);
	*st = (struct fl_store){.spill = -1};
}

uint64_t fl_store_hash(const struct fl_store *st, const uint8_t *v)
{
	return XXH3_64bits(v, st->width);
}

/* Makes sure blocks (and meta blocks) exist for every index below `upto`. */
static int ensure_blocks(struct fl_store *st, size_t upto)
{
	size_t last = (upto - 1) >> FL_STORE_BLOCK_BITS;
	if (last >= st->nblocks)
		return FL_EBOUND;
	if (atomic_load_explicit(&st->metas[last], memory_order_acquire))
		return FL_OK;
	int rc = FL_OK;
	pthread_mutex_lock(&st->grow);
	for (size_t b = st->retired; b <= last && rc == FL_OK; b++) {
		if (atomic_load(&st->metas[b]))
			continue;
		uint8_t *v = alloc_charged(st, FL_STORE_BLOCK * st->width, &rc);
		uint8_t *m = v ? alloc_charged(st, meta_bytes(st), &rc) : NULL;
		if (!m) {
			free_charged(st, v, FL_STORE_BLOCK * st->width);
			break;
		}
		atomic_store_explicit(&st->blocks[b], v, memory_order_release);
		atomic_store_explicit(&st->metas[b], m, memory_order_release);
	}
	pthread_mutex_unlock(&st->grow);
	return rc;
}

static struct fl_stripe *stripe_of(const struct fl_store *st, uint64_t hash)
{
	return &st->stripes[hash >> (64 - FL_STORE_STRIPE_BITS)];
}

static uint64_t exact_slot(uint64_t hash, size_t i)
{
	return ((hash >> 26) & 0xFFFFFFFFull) << 32 | (i + 1);
}

/* A fingerprint is never 0 (the empty slot). Hash 0 becomes a value with the same stripe
 * (top bits) and the same home slot (low bits) as 0, so that a table rebuilt from fingerprints
 * (resize) places it where probe looks for it; 1 did not (hash 0 was reported NEW again after
 * its stripe grew). */
#define FP_OF_ZERO ((uint64_t)1 << (63 - FL_STORE_STRIPE_BITS))
static uint64_t fp_of(uint64_t hash) { return hash ? hash : FP_OF_ZERO; }

/* The slot value stored for state i with hash h, in the store's current mode. */
static uint64_t slot_value(const struct fl_store *st, uint64_t h, size_t i)
{
	return st->mode == FL_STORAGE_EXACT ? exact_slot(h, i) : fp_of(h);
}

static uint64_t *meta_at(const struct fl_store *st, size_t i, size_t field, size_t size)
{
	uint8_t *m = atomic_load_explicit(&st->metas[i >> FL_STORE_BLOCK_BITS], memory_order_acquire);
	return (uint64_t *)(void *)(m + field + (i & (FL_STORE_BLOCK - 1)) * size);
}

/* Reads `size` bytes of state i's record at `field` into out, from memory or the spill file. */
static void read_meta(const struct fl_store *st, size_t i, size_t field, size_t size, void *out)
{
	size_t b = i >> FL_STORE_BLOCK_BITS;
	if (atomic_load_explicit(&st->metas[b], memory_order_acquire)) {
		memcpy(out, meta_at(st, i, field, size), size);
		return;
	}
	off_t off = (off_t)(b * meta_bytes(st) + field + (i & (FL_STORE_BLOCK - 1)) * size);
	if (st->spill < 0 || pread(st->spill, out, size, off) != (ssize_t)size)
		memset(out, 0xFF, size); /* cannot happen for a retired block: the write was checked */
}

uint32_t fl_store_parent(const struct fl_store *st, size_t i)
{
	uint32_t p;
	read_meta(st, i, meta_parents(st), 4, &p);
	return p;
}

uint32_t fl_store_depth(const struct fl_store *st, size_t i)
{
	uint32_t d;
	read_meta(st, i, meta_depths(st), 4, &d);
	return d;
}

void fl_store_label(const struct fl_store *st, size_t i, void *out)
{
	read_meta(st, i, 0, st->label_size, out);
}

uint64_t fl_store_hash_of(const struct fl_store *st, size_t i)
{
	uint64_t h;
	read_meta(st, i, meta_hashes(st), 8, &h);
	return h;
}

/* Slot where v (EXACT) or its fingerprint lives in sp, or the empty slot where it would go. */
static size_t probe(const struct fl_store *st, const struct fl_stripe *sp, const uint8_t *v,
		    uint64_t hash)
{
	size_t mask = sp->nslots - 1, s = (size_t)hash & mask;
	if (st->mode != FL_STORAGE_EXACT) {
		uint64_t fp = fp_of(hash);
		while (sp->slots[s] && sp->slots[s] != fp)
			s = (s + 1) & mask;
		return s;
	}
	uint64_t tag = exact_slot(hash, 0) & 0xFFFFFFFF00000000ull;
	for (;; s = (s + 1) & mask) {
		uint64_t e = sp->slots[s];
		if (!e)
			return s;
		size_t i = (size_t)(uint32_t)e - 1;
		if ((e & 0xFFFFFFFF00000000ull) == tag && memcmp(fl_store_state(st, i), v, st->width) == 0)
			return s;
	}
}

/* The hash a slot was placed by: EXACT slots name a state whose record has it. */
static uint64_t slot_hash(const struct fl_store *st, uint64_t e)
{
	return st->mode == FL_STORAGE_EXACT ? fl_store_hash_of(st, (size_t)(uint32_t)e - 1) : e;
}

/* Rehashes sp into a table of n slots (a power of two, above its use). */
static int resize(struct fl_store *st, struct fl_stripe *sp, size_t n)
{
	int rc;
	uint64_t *slots = alloc_charged(st, n * sizeof *slots, &rc);
	if (!slots)
		return rc;
	for (size_t k = 0; k < sp->nslots; k++) {
		uint64_t e = sp->slots[k];
		if (!e)
			continue;
		size_t s = (size_t)slot_hash(st, e) & (n - 1);
		while (slots[s])
			s = (s + 1) & (n - 1);
		slots[s] = e;
	}
	free_charged(st, sp->slots, sp->nslots * sizeof *sp->slots);
	sp->slots = slots;
	sp->nslots = n;
	return FL_OK;
}

/* Writes state i: vector (when the mode keeps it), label, parent, depth and hash. */
static void write_state(struct fl_store *st, size_t i, const uint8_t *v, uint64_t hash,
			uint32_t parent, const void *label)
{
	uint8_t *b = atomic_load_explicit(&st->blocks[i >> FL_STORE_BLOCK_BITS], memory_order_acquire);
	memcpy(b + (i & (FL_STORE_BLOCK - 1)) * st->width, v, st->width);
	if (st->label_size)
		memcpy(meta_at(st, i, 0, st->label_size), label, st->label_size);
	uint32_t depth = parent == FL_NO_PARENT ? 0 : fl_store_depth(st, parent) + 1;
	memcpy(meta_at(st, i, meta_parents(st), 4), &parent, 4);
	memcpy(meta_at(st, i, meta_depths(st), 4), &depth, 4);
	memcpy(meta_at(st, i, meta_hashes(st), 8), &hash, 8);
}

/* Hands out the next index, with its block; FL_OK, or the error with nothing handed out. */
static int reserve(struct fl_store *st, size_t *i)
{
	size_t n = atomic_load(&st->count);
	if (n + FL_STORE_STRIPES >= (size_t)UINT32_MAX - 1)
		return FL_EBOUND;
	int rc = ensure_blocks(st, n + FL_STORE_STRIPES);
	if (rc != FL_OK)
		return rc;
	*i = atomic_fetch_add(&st->count, 1);
	return FL_OK;
}

/* BITSTATE: bit j of the k bits of hash h (double hashing). The bits are those of h's
 * fingerprint, as FINGERPRINT -> BITSTATE only knows fingerprints (hash 0 found NEW after). */
static size_t bit_pos(const struct fl_store *st, uint64_t h, unsigned j)
{
	h = fp_of(h);
	uint64_t h2 = (h >> 32 | h << 32) | 1;
	return (size_t)(h + j * h2) & (st->nbits - 1);
}

/* BITSTATE: sets the k bits of h; 1 if every one was set already. */
static int set_bits(struct fl_store *st, uint64_t h)
{
	int seen = 1;
	for (unsigned j = 0; j < FL_STORE_BITS_K; j++) {
		size_t p = bit_pos(st, h, j);
		uint64_t m = (uint64_t)1 << (p & 63);
		if (!(atomic_fetch_or_explicit(&st->bits[p >> 6], m, memory_order_relaxed) & m)) {
			seen = 0;
			atomic_fetch_add_explicit(&st->bits_set, 1, memory_order_relaxed);
		}
	}
	return seen;
}

static int insert_bits(struct fl_store *st, struct fl_stripe *sp, const uint8_t *v, uint64_t hash,
		       uint32_t parent, const void *label, size_t *idx)
{
	*idx = FL_NO_PARENT;
	int all = 1;
	for (unsigned j = 0; j < FL_STORE_BITS_K && all; j++) {
		size_t p = bit_pos(st, hash, j);
		all = (atomic_load_explicit(&st->bits[p >> 6], memory_order_relaxed) >> (p & 63)) & 1;
	}
	if (all)
		return FL_STORE_OLD;
	size_t i;
	int rc = reserve(st, &i);
	if (rc != FL_OK)
		return rc;
	(void)sp;
	set_bits(st, hash);
	write_state(st, i, v, hash, parent, label);
	*idx = i;
	return FL_STORE_NEW;
}

int fl_store_insert(struct fl_store *st, const uint8_t *v, uint64_t hash, uint32_t parent,
		    const void *label, size_t *idx)
{
	struct fl_stripe *sp = stripe_of(st, hash);
	lock(st, sp);
	int rc;
	if (st->mode == FL_STORAGE_BITSTATE) {
		rc = insert_bits(st, sp, v, hash, parent, label, idx);
		unlock(st, sp);
		return rc;
	}
	size_t s = probe(st, sp, v, hash), i;
	if (sp->slots[s]) {
		uint64_t e = sp->slots[s];
		*idx = st->mode == FL_STORAGE_EXACT ? (size_t)(uint32_t)e - 1 : FL_NO_PARENT;
		unlock(st, sp);
		return FL_STORE_OLD;
	}
	rc = FL_OK;
	if ((sp->used + 1) * 4 > sp->nslots * 3) {
		rc = resize(st, sp, sp->nslots * 2);
		if (rc == FL_OK)
			s = probe(st, sp, v, hash);
	}
	if (rc == FL_OK)
		rc = reserve(st, &i);
	if (rc != FL_OK) {
		unlock(st, sp);
		return rc;
	}
	write_state(st, i, v, hash, parent, label);
	sp->slots[s] = slot_value(st, hash, i);
	sp->used++;
	unlock(st, sp);
	*idx = i;
	return FL_STORE_NEW;
}

long fl_store_find(const struct fl_store *st, const uint8_t *v, uint64_t hash)
{
	if (st->mode != FL_STORAGE_EXACT)
		return -1;
	const struct fl_stripe *sp = stripe_of(st, hash);
	uint64_t e = sp->slots[probe(st, sp, v, hash)];
	return e ? (long)(uint32_t)e - 1 : -1;
}

static int open_spill(struct fl_store *st)
{
	if (st->spill >= 0)
		return FL_OK;
	const char *dir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/faultline-store-XXXXXX", dir && *dir ? dir : "/tmp");
	st->spill = mkstemp(path);
	if (st->spill < 0)
		return FL_ENOMEM;
	unlink(path);
	return FL_OK;
}

int fl_store_retire(struct fl_store *st, size_t below)
{
	if (st->mode == FL_STORAGE_EXACT)
		return FL_OK;
	size_t end = below >> FL_STORE_BLOCK_BITS;
	if (end <= st->retired)
		return FL_OK;
	if (open_spill(st) != FL_OK)
		return FL_ENOMEM;
	for (size_t b = st->retired; b < end; b++) {
		uint8_t *m = atomic_load(&st->metas[b]);
		size_t n = meta_bytes(st);
		if (pwrite(st->spill, m, n, (off_t)(b * n)) != (ssize_t)n)
			return FL_ENOMEM;
		atomic_store(&st->metas[b], NULL);
		free_charged(st, m, n);
		free_charged(st, atomic_exchange(&st->blocks[b], NULL), FL_STORE_BLOCK * st->width);
		st->retired = b + 1;
	}
	return FL_OK;
}

/*
 * EXACT -> FINGERPRINT: every stripe's slots become the states' hashes, in place. An entry's
 * home slot is its hash's low bits in both modes (fp_of keeps them), so every entry stays
 * where probing finds it and nothing needs allocating. (Rebuilding each stripe with resize
 * could fail part-way, at the memory bound where the search degrades, leaving the stripes
 * after the failing one with EXACT values in a FINGERPRINT store: their states read as NEW.)
 */
static int to_fingerprints(struct fl_store *st)
{
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++) {
		struct fl_stripe *sp = &st->stripes[k];
		for (size_t s = 0; s < sp->nslots; s++)
			if (sp->slots[s])
				sp->slots[s] = fp_of(fl_store_hash_of(st, (size_t)(uint32_t)sp->slots[s] - 1));
	}
	st->mode = FL_STORAGE_FINGERPRINT;
	return FL_OK;
}

/* FINGERPRINT -> BITSTATE: every fingerprint sets its bits. */
static int to_bits(struct fl_store *st, size_t bitstate_bytes)
{
	int rc = alloc_bits(st, bitstate_bytes);
	if (rc != FL_OK)
		return rc;
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++)
		for (size_t s = 0; s < st->stripes[k].nslots; s++)
			if (st->stripes[k].slots[s])
				set_bits(st, st->stripes[k].slots[s]);
	free_slots(st);
	st->mode = FL_STORAGE_BITSTATE;
	return FL_OK;
}

int fl_store_degrade(struct fl_store *st, size_t bitstate_bytes)
{
	if (st->mode == FL_STORAGE_EXACT)
		return to_fingerprints(st);
	if (st->mode == FL_STORAGE_FINGERPRINT)
		return to_bits(st, bitstate_bytes);
	return FL_EBOUND;
}

size_t fl_store_bytes(const struct fl_store *st)
{
	return atomic_load(&st->bytes);
}

double fl_store_expected_misses(const struct fl_store *st)
{
	double n = (double)atomic_load(&st->count);
	if (st->mode == FL_STORAGE_FINGERPRINT)
		return n * n / 36893488147419103232.0; /* 2^65 */
	if (st->mode == FL_STORAGE_BITSTATE) {
		double f = (double)atomic_load(&st->bits_set) / (double)st->nbits, p = 1;
		for (int j = 0; j < FL_STORE_BITS_K; j++)
			p *= f;
		return n * p;
	}
	return 0;
}

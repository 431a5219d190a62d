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
#define HUGE_BYTES ((size_t)4 << 20)
#define BLOCK_TARGET ((size_t)256 << 10) /* bytes of vectors per block, about */
#define DEFAULT_BITS_BYTES ((size_t)16 << 20) /* 2^27 bits, as SPIN's -w27 */

/* Offsets inside a meta block: labels, then parents and depths. */
static size_t meta_parents(const struct fl_store *st) { return st->block * st->label_size; }
static size_t meta_depths(const struct fl_store *st) { return meta_parents(st) + st->block * 4; }
static size_t meta_bytes(const struct fl_store *st) { return st->block * st->meta_size; }

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

static size_t table_bytes(size_t n) { return sizeof(struct fl_slots) + n * sizeof(uint64_t); }

static struct fl_slots *new_table(struct fl_store *st, size_t n, int *rc)
{
	struct fl_slots *t = alloc_charged(st, table_bytes(n), rc);
	if (!t)
		return NULL;
	t->n = n;
	while (((size_t)1 << t->bits) < n)
		t->bits++;
	if (table_bytes(n) >= HUGE_BYTES) /* random probes: fewer TLB misses and page faults */
		fl_advise_huge(t, table_bytes(n));
	return t;
}

static int alloc_slots(struct fl_store *st)
{
	int rc = FL_OK;
	for (unsigned i = 0; i < FL_STORE_STRIPES && rc == FL_OK; i++) {
		struct fl_stripe *sp = &st->stripes[i];
		atomic_store(&sp->table, new_table(st, INITIAL_SLOTS, &rc));
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
				.meta_size = label_size + 4 + 4};
	/* Blocks of about BLOCK_TARGET bytes, so the memory limit is met closely even for wide
	 * states: at least 64 states, at most FL_STORE_BLOCK. */
	st->block_bits = FL_STORE_BLOCK_BITS;
	while (st->block_bits > 6 && ((size_t)1 << st->block_bits) * (width ? width : 1) > BLOCK_TARGET)
		st->block_bits--;
	st->block = (size_t)1 << st->block_bits;
	st->nblocks = ((size_t)1 << 32) >> st->block_bits;
	pthread_mutex_init(&st->grow, NULL);
	st->blocks = fl_calloc(st->nblocks, sizeof *st->blocks);
	st->metas = fl_calloc(st->nblocks, sizeof *st->metas);
	/* stripes on cache-line boundaries, so each half of one is one line (store.h) */
	st->stripes_mem = fl_calloc(FL_STORE_STRIPES + 1, sizeof *st->stripes);
	if (st->stripes_mem)
		st->stripes = (struct fl_stripe *)(((uintptr_t)st->stripes_mem + 63) & ~(uintptr_t)63);
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

void fl_store_quiesce(struct fl_store *st)
{
	for (struct fl_slots *t = atomic_exchange(&st->old_tables, NULL), *next; t; t = next) {
		next = t->next;
		free_charged(st, t, table_bytes(t->n));
	}
}

static void free_slots(struct fl_store *st)
{
	fl_store_quiesce(st);
	for (unsigned i = 0; st->stripes && i < FL_STORE_STRIPES; i++) {
		struct fl_slots *t = atomic_exchange(&st->stripes[i].table, NULL);
		if (t)
			free_charged(st, t, table_bytes(t->n));
	}
}

void fl_store_fini(struct fl_store *st)
{
	/* either array may be missing after a failed open */
	size_t used = st->blocks && st->metas
		      ? ((atomic_load(&st->count) + FL_STORE_STRIPES) >> st->block_bits) + 1 : 0;
	for (size_t b = 0; b < used && b < st->nblocks; b++) {
		fl_free(atomic_load(&st->blocks[b]));
		fl_free(atomic_load(&st->metas[b]));
	}
	free_slots(st);
	fl_free(st->blocks);
	fl_free(st->metas);
	fl_free(st->stripes_mem);
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
	size_t last = (upto - 1) >> st->block_bits;
	if (last >= st->nblocks)
		return FL_EBOUND;
	if (atomic_load_explicit(&st->metas[last], memory_order_acquire))
		return FL_OK;
	int rc = FL_OK;
	pthread_mutex_lock(&st->grow);
	for (size_t b = st->retired; b <= last && rc == FL_OK; b++) {
		if (atomic_load(&st->metas[b]))
			continue;
		uint8_t *v = alloc_charged(st, st->block * st->width, &rc);
		uint8_t *m = v ? alloc_charged(st, meta_bytes(st), &rc) : NULL;
		if (!m) {
			free_charged(st, v, st->block * st->width);
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

/* A fingerprint is never 0 (an empty slot): hash 0 becomes 1, which has the same stripe and
 * home (the low bit is never a home bit). Bit positions are taken from it too. */
static uint64_t fp_of(uint64_t hash) { return hash ? hash : 1; }

/* Where hash h starts probing in t: the hash bits just below the stripe's, so that in EXACT
 * mode they are the tag's top bits and a slot alone says where it belongs (slot_home). */
static size_t home(const struct fl_slots *t, uint64_t h)
{
	return (size_t)((h << FL_STORE_STRIPE_BITS) >> (64 - t->bits));
}

static size_t slot_home(const struct fl_store *st, const struct fl_slots *t, uint64_t e)
{
	return st->mode == FL_STORAGE_EXACT ? (size_t)((e >> 32) >> (32 - t->bits)) : home(t, e);
}

/* The slot value stored for state i with hash h, in the store's current mode. */
static uint64_t slot_value(const struct fl_store *st, uint64_t h, size_t i)
{
	return st->mode == FL_STORAGE_EXACT ? exact_slot(h, i) : fp_of(h);
}

static uint64_t *meta_at(const struct fl_store *st, size_t i, size_t field, size_t size)
{
	uint8_t *m = atomic_load_explicit(&st->metas[i >> st->block_bits], memory_order_acquire);
	return (uint64_t *)(void *)(m + field + (i & (st->block - 1)) * size);
}

/* Reads `size` bytes of state i's record at `field` into out, from memory or the spill file. */
static void read_meta(const struct fl_store *st, size_t i, size_t field, size_t size, void *out)
{
	size_t b = i >> st->block_bits;
	if (atomic_load_explicit(&st->metas[b], memory_order_acquire)) {
		memcpy(out, meta_at(st, i, field, size), size);
		return;
	}
	off_t off = (off_t)(b * meta_bytes(st) + field + (i & (st->block - 1)) * size);
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
	return fl_store_hash(st, fl_store_state(st, i));
}

static uint64_t load_slot(const struct fl_slots *t, size_t k)
{
	return __atomic_load_n(&t->s[k], __ATOMIC_ACQUIRE);
}

/* Slot where v (EXACT) or its fingerprint lives in t, or the empty slot where it would go. */
static size_t probe(const struct fl_store *st, const struct fl_slots *t, const uint8_t *v,
		    uint64_t hash)
{
	size_t mask = t->n - 1, s = home(t, hash);
	if (st->mode != FL_STORAGE_EXACT) {
		uint64_t fp = fp_of(hash), e;
		while ((e = load_slot(t, s)) && e != fp)
			s = (s + 1) & mask;
		return s;
	}
	uint64_t tag = exact_slot(hash, 0) & 0xFFFFFFFF00000000ull;
	for (;; s = (s + 1) & mask) {
		uint64_t e = load_slot(t, s);
		if (!e)
			return s;
		size_t i = (size_t)(uint32_t)e - 1;
		if ((e & 0xFFFFFFFF00000000ull) == tag && memcmp(fl_store_state(st, i), v, st->width) == 0)
			return s;
	}
}

/* Replaces sp's table by one of n slots (a power of two, above its use). With concurrent
 * readers the old table waits for fl_store_quiesce. */
static int resize(struct fl_store *st, struct fl_stripe *sp, size_t n)
{
	int rc;
	struct fl_slots *t = new_table(st, n, &rc), *old = atomic_load(&sp->table);
	if (!t)
		return rc;
	for (size_t k = 0; k < old->n; k++) {
		uint64_t e = old->s[k];
		if (!e)
			continue;
		size_t s = slot_home(st, t, e);
		while (t->s[s])
			s = (s + 1) & (n - 1);
		t->s[s] = e;
	}
	atomic_store_explicit(&sp->table, t, memory_order_release);
	if (!st->shared) {
		free_charged(st, old, table_bytes(old->n));
		return FL_OK;
	}
	old->next = atomic_load(&st->old_tables);
	while (!atomic_compare_exchange_weak(&st->old_tables, &old->next, old))
		;
	return FL_OK;
}

/* Writes state i: vector, label, parent and depth. */
static void write_state(struct fl_store *st, size_t i, const uint8_t *v, uint32_t parent,
			const void *label)
{
	uint8_t *b = atomic_load_explicit(&st->blocks[i >> st->block_bits], memory_order_acquire);
	memcpy(b + (i & (st->block - 1)) * st->width, v, st->width);
	if (st->label_size)
		memcpy(meta_at(st, i, 0, st->label_size), label, st->label_size);
	uint32_t depth = parent == FL_NO_PARENT ? 0 : fl_store_depth(st, parent) + 1;
	memcpy(meta_at(st, i, meta_parents(st), 4), &parent, 4);
	memcpy(meta_at(st, i, meta_depths(st), 4), &depth, 4);
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

/* BITSTATE: bit j of the k bits of hash h (double hashing). */
static size_t bit_pos(const struct fl_store *st, uint64_t h, unsigned j)
{
	h = fp_of(h); /* as the fingerprints a degrade sets bits from */
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

static int insert_bits(struct fl_store *st, const uint8_t *v, uint64_t hash,
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
	set_bits(st, hash);
	write_state(st, i, v, parent, label);
	*idx = i;
	return FL_STORE_NEW;
}

/* The answer for an old state found in slot value e. */
static int old_state(const struct fl_store *st, uint64_t e, size_t *idx)
{
	*idx = st->mode == FL_STORAGE_EXACT ? (size_t)(uint32_t)e - 1 : FL_NO_PARENT;
	return FL_STORE_OLD;
}

int fl_store_insert(struct fl_store *st, const uint8_t *v, uint64_t hash, uint32_t parent,
		    const void *label, size_t *idx)
{
	struct fl_stripe *sp = stripe_of(st, hash);
	int rc;
	if (st->mode == FL_STORAGE_BITSTATE) {
		lock(st, sp);
		rc = insert_bits(st, v, hash, parent, label, idx);
		unlock(st, sp);
		return rc;
	}
	/* Most states are old: look without the lock first (a state inserted meanwhile is
	 * found again below, under it). */
	struct fl_slots *t = atomic_load_explicit(&sp->table, memory_order_acquire);
	uint64_t e = load_slot(t, probe(st, t, v, hash));
	if (e)
		return old_state(st, e, idx);
	lock(st, sp);
	t = atomic_load_explicit(&sp->table, memory_order_acquire);
	size_t s = probe(st, t, v, hash), i;
	if ((e = load_slot(t, s))) {
		unlock(st, sp);
		return old_state(st, e, idx);
	}
	rc = FL_OK;
	if ((sp->used + 1) * 4 > t->n * 3) {
		rc = resize(st, sp, t->n * 2);
		t = atomic_load(&sp->table);
		if (rc == FL_OK)
			s = probe(st, t, v, hash);
	}
	if (rc == FL_OK)
		rc = reserve(st, &i);
	if (rc != FL_OK) {
		unlock(st, sp);
		return rc;
	}
	write_state(st, i, v, parent, label);
	__atomic_store_n(&t->s[s], slot_value(st, hash, i), __ATOMIC_RELEASE);
	sp->used++;
	unlock(st, sp);
	*idx = i;
	return FL_STORE_NEW;
}

void fl_store_prefetch(const struct fl_store *st, uint64_t hash)
{
	const struct fl_stripe *sp = stripe_of(st, hash);
	if (st->mode == FL_STORAGE_BITSTATE) {
		__builtin_prefetch((const void *)&st->bits[bit_pos(st, hash, 0) >> 6]);
		return;
	}
	const struct fl_slots *t = atomic_load_explicit(&sp->table, memory_order_acquire);
	if (t) /* a replaced table stays readable until fl_store_quiesce: a stale hint is harmless */
		__builtin_prefetch(&t->s[home(t, hash)]);
}

long fl_store_find(const struct fl_store *st, const uint8_t *v, uint64_t hash)
{
	if (st->mode != FL_STORAGE_EXACT)
		return -1;
	const struct fl_slots *t = atomic_load(&stripe_of(st, hash)->table);
	uint64_t e = load_slot(t, probe(st, t, v, hash));
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
	size_t end = below >> st->block_bits;
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
		free_charged(st, atomic_exchange(&st->blocks[b], NULL), st->block * st->width);
		st->retired = b + 1;
	}
	return FL_OK;
}

/* EXACT -> FINGERPRINT: every stripe's slots become the states' hashes, in place (the limit
 * was reached: nothing is allocated). An exact slot's home is its tag's top bits, which are
 * the hash bits a fingerprint's home is read from (home, slot_home): every entry stays where
 * lookups find it. Then the vectors below `below` are freed. */
static int to_fingerprints(struct fl_store *st, size_t below)
{
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++) {
		struct fl_slots *t = atomic_load(&st->stripes[k].table);
		for (size_t s = 0; s < t->n; s++)
			if (t->s[s])
				t->s[s] = fp_of(fl_store_hash_of(st, (size_t)(uint32_t)t->s[s] - 1));
	}
	st->mode = FL_STORAGE_FINGERPRINT;
	return fl_store_retire(st, below);
}

/* FINGERPRINT -> BITSTATE: every fingerprint sets its bits. */
static int to_bits(struct fl_store *st, size_t bitstate_bytes)
{
	int rc = alloc_bits(st, bitstate_bytes);
	if (rc != FL_OK)
		return rc;
	for (unsigned k = 0; k < FL_STORE_STRIPES; k++) {
		const struct fl_slots *t = atomic_load(&st->stripes[k].table);
		for (size_t s = 0; s < t->n; s++)
			if (t->s[s])
				set_bits(st, t->s[s]);
	}
	free_slots(st);
	st->mode = FL_STORAGE_BITSTATE;
	return FL_OK;
}

int fl_store_degrade(struct fl_store *st, size_t bitstate_bytes, size_t below)
{
	int rc = FL_EBOUND;
	if (st->mode == FL_STORAGE_EXACT)
		return to_fingerprints(st, below);
	if (st->mode == FL_STORAGE_FINGERPRINT && (rc = to_bits(st, bitstate_bytes)) == FL_OK)
		rc = fl_store_retire(st, below);
	return rc;
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

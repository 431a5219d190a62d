/*
 * tree.c - tree compression of state vectors (see tree.h for what is stored and the rules).
 *
 * Invariants: a node's pair is written before its id is put in a slot, and never changes; an
 * id is in exactly one slot, in the sub-table its pair's hash selects; a sub-table is at most
 * 3/4 full and is read or written only under its lock. The shape of the tree is implicit: a
 * subtree over n words has its left n - n/2 words first, and inner nodes are numbered in
 * pre-order (a node p's left child is p + 1, its right child p + nl), which is how a
 * struct fl_tree_ref files their ids without any table.
 */
#include "tree.h"

#include "fl.h"

#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#define INITIAL_SLOTS 16u                     /* per sub-table */
#define MAX_NODES ((uint64_t)1 << 32)         /* ids are 32 bits */
#define MIN_RESERVE ((size_t)1 << 20)

_Static_assert(sizeof(struct fl_tree_sub) == 64, "a sub-table is one cache line");
_Static_assert(SIZE_MAX >= MAX_NODES * sizeof(uint64_t), "size_t spans 2^32 nodes");
_Static_assert((FL_TREE_SUBS & (FL_TREE_SUBS - 1)) == 0, "FL_TREE_SUBS is a power of two");

#if defined(__x86_64__) || defined(__i386__)
static inline void cpu_relax(void) { __builtin_ia32_pause(); }
#else
static inline void cpu_relax(void) {}
#endif

/* splitmix64's finaliser: two multiplies, and every input bit reaches every output bit. */
static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static size_t sub_slots(const struct fl_tree_sub *s) { return (size_t)1 << (32 - s->shift); }

static void lock(struct fl_tree_sub *s)
{
	for (unsigned spins = 0;; spins++) {
		if (!atomic_load_explicit(&s->lock, memory_order_relaxed) &&
		    !atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
			return;
		if (spins < 64)
			cpu_relax();
		else
			sched_yield(); /* the holder may be growing its sub-table */
	}
}

static void unlock(struct fl_tree_sub *s) { atomic_store_explicit(&s->lock, 0, memory_order_release); }

/* Takes n bytes from the max_bytes budget; FL_EBOUND when they would pass it. */
static int reserve(struct fl_tree *t, size_t n)
{
	size_t cur = atomic_load_explicit(&t->bytes, memory_order_relaxed);
	do {
		if (t->max_bytes && (cur + n > t->max_bytes || cur + n < cur))
			return FL_EBOUND;
	} while (!atomic_compare_exchange_weak_explicit(&t->bytes, &cur, cur + n, memory_order_relaxed,
							 memory_order_relaxed));
	return FL_OK;
}

static void release(struct fl_tree *t, size_t n) { atomic_fetch_sub_explicit(&t->bytes, n, memory_order_relaxed); }

/* A fresh id (and its 8 bytes of budget), or FL_EBOUND. */
static int take_id(struct fl_tree *t, uint32_t *id)
{
	if (reserve(t, sizeof(uint64_t)) != FL_OK)
		return FL_EBOUND;
	uint64_t c = atomic_load_explicit(&t->count, memory_order_relaxed);
	do {
		if (c >= t->max_nodes) {
			release(t, sizeof(uint64_t));
			return FL_EBOUND;
		}
	} while (!atomic_compare_exchange_weak_explicit(&t->count, &c, c + 1, memory_order_relaxed,
							 memory_order_relaxed));
	*id = (uint32_t)c;
	return FL_OK;
}

/* The slot holding pair, or the empty slot where it goes. Under s's lock. */
static size_t find(const struct fl_tree *t, const struct fl_tree_sub *s, uint32_t tag, uint64_t pair)
{
	size_t mask = sub_slots(s) - 1, i = tag >> s->shift;
	for (;; i = (i + 1) & mask) {
		uint64_t e = s->slots[i];
		if (!e || ((uint32_t)(e >> 32) == tag &&
			   atomic_load_explicit(&t->nodes[(uint32_t)e], memory_order_relaxed) == pair))
			return i;
	}
}

/*
 * Doubles s's slot table. The home slot is the tag's top bits, so rehashing reads only the
 * slots (never the node array) and keeps their order: it is a nearly sequential pass.
 */
static int grow(struct fl_tree *t, struct fl_tree_sub *s)
{
	size_t old = sub_slots(s), n = old * 2, mask = n - 1;
	uint32_t shift = s->shift - 1;
	if (reserve(t, n * sizeof(uint64_t)) != FL_OK)
		return FL_EBOUND;
	uint64_t *slots = fl_alloc(n * sizeof *slots);
	if (!slots) {
		release(t, n * sizeof(uint64_t));
		return FL_ENOMEM;
	}
	for (size_t j = 0; j < old; j++) {
		uint64_t e = s->slots[j];
		if (!e)
			continue;
		size_t i = (uint32_t)(e >> 32) >> shift;
		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = e;
	}
	fl_free(s->slots);
	release(t, old * sizeof(uint64_t));
	s->slots = slots;
	s->shift = shift;
	return FL_OK;
}

/* Under s's lock: appends pair as a new node and files it in empty slot i. */
static int insert(struct fl_tree *t, struct fl_tree_sub *s, uint32_t tag, uint64_t pair, size_t i,
		  uint32_t *id)
{
	int rc;
	if ((s->count + 1) * 4 > sub_slots(s) * 3) {
		if ((rc = grow(t, s)) != FL_OK)
			return rc;
		i = find(t, s, tag, pair);
	}
	if ((rc = take_id(t, id)) != FL_OK)
		return rc;
	atomic_store_explicit(&t->nodes[*id], pair, memory_order_relaxed);
	s->slots[i] = (uint64_t)tag << 32 | *id;
	s->count++;
	return FL_OK;
}

/* The id of pair, interned if new. */
static int intern(struct fl_tree *t, uint64_t pair, uint32_t *id)
{
	uint64_t h = mix(pair);
	struct fl_tree_sub *s = &t->subs[h & (FL_TREE_SUBS - 1)];
	uint32_t tag = (uint32_t)(h >> 32) | 1u; /* never 0: 0 marks an empty slot */
	lock(s);
	size_t i = find(t, s, tag, pair);
	int rc = FL_OK;
	if (s->slots[i])
		*id = (uint32_t)s->slots[i];
	else
		rc = insert(t, s, tag, pair, i, id);
	unlock(s);
	return rc;
}

/* --- the tree's shape ------------------------------------------------------------------ */

static size_t left_words(size_t n) { return n - n / 2; }

/* Bytes of word i that lie inside the vector (4, or fewer for the last word). */
static size_t word_len(const struct fl_tree *t, size_t i)
{
	size_t off = i * 4;
	return t->width - off < 4 ? t->width - off : 4;
}

static uint32_t get_word(const struct fl_tree *t, const uint8_t *v, size_t i)
{
	uint32_t w = 0;
	memcpy(&w, v + i * 4, word_len(t, i));
	return w;
}

static void put_word(const struct fl_tree *t, uint8_t *out, size_t i, uint32_t w)
{
	memcpy(out + i * 4, &w, word_len(t, i));
}

/* Whether v's words [lo, lo + n) equal r's. */
static int same(const struct fl_tree *t, const uint8_t *v, const struct fl_tree_ref *r, size_t lo,
		size_t n)
{
	size_t end = (lo + n) * 4 < t->width ? (lo + n) * 4 : t->width;
	return memcmp(v + lo * 4, (const uint8_t *)r->w + lo * 4, end - lo * 4) == 0;
}

static int fold(struct fl_tree *t, const uint8_t *v, const struct fl_tree_ref *r, size_t lo,
		size_t n, size_t p, uint64_t *pair);

/*
 * The value of the subtree over words [lo, lo + n), pre-order number p: its word (n == 1) or
 * its pair's id. With r, a subtree whose words equal r's takes r's id without a lookup.
 */
static int value(struct fl_tree *t, const uint8_t *v, const struct fl_tree_ref *r, size_t lo,
		 size_t n, size_t p, uint32_t *out)
{
	if (n == 1) {
		*out = get_word(t, v, lo);
		return FL_OK;
	}
	if (r && same(t, v, r, lo, n)) {
		*out = r->ids[p];
		return FL_OK;
	}
	uint64_t pair;
	int rc = fold(t, v, r, lo, n, p, &pair);
	return rc != FL_OK ? rc : intern(t, pair, out);
}

/* The pair of the subtree over words [lo, lo + n), n >= 2. */
static int fold(struct fl_tree *t, const uint8_t *v, const struct fl_tree_ref *r, size_t lo,
		size_t n, size_t p, uint64_t *pair)
{
	size_t nl = left_words(n);
	uint32_t a, b;
	int rc = value(t, v, r, lo, nl, p + 1, &a);
	if (rc == FL_OK)
		rc = value(t, v, r, lo + nl, n - nl, p + nl, &b);
	if (rc == FL_OK)
		*pair = (uint64_t)a << 32 | b;
	return rc;
}

static void unfold_pair(const struct fl_tree *t, uint64_t pair, size_t lo, size_t n, size_t p,
			uint8_t *out, struct fl_tree_ref *r);

/* Copies r's words [lo, lo + n) to out. */
static void copy_words(const struct fl_tree *t, const struct fl_tree_ref *r, size_t lo, size_t n,
		       uint8_t *out)
{
	size_t end = (lo + n) * 4 < t->width ? (lo + n) * 4 : t->width;
	memcpy(out + lo * 4, (const uint8_t *)r->w + lo * 4, end - lo * 4);
}

/*
 * Writes the subtree over words [lo, lo + n) whose value is x; with r, files words and ids.
 * A subtree with the id r already has at p is r's words already (an id names one content at
 * one position): they are copied, not decoded. Subtrees are disjoint, so r's entries for this
 * one are still those of r's previous vector when they are compared.
 */
static void unfold(const struct fl_tree *t, uint32_t x, size_t lo, size_t n, size_t p, uint8_t *out,
		   struct fl_tree_ref *r)
{
	if (n == 1) {
		put_word(t, out, lo, x);
		if (r)
			r->w[lo] = x;
		return;
	}
	if (r && r->valid && r->ids[p] == x) {
		copy_words(t, r, lo, n, out);
		return;
	}
	if (r)
		r->ids[p] = x;
	unfold_pair(t, atomic_load_explicit(&t->nodes[x], memory_order_relaxed), lo, n, p, out, r);
}

static void unfold_pair(const struct fl_tree *t, uint64_t pair, size_t lo, size_t n, size_t p,
			uint8_t *out, struct fl_tree_ref *r)
{
	size_t nl = left_words(n);
	unfold(t, (uint32_t)(pair >> 32), lo, nl, p + 1, out, r);
	unfold(t, (uint32_t)pair, lo + nl, n - nl, p + nl, out, r);
}

/* --- the interface --------------------------------------------------------------------- */

/*
 * Reserves address space for the node array: enough for max_bytes, at most 2^32 nodes. It is
 * mmap'ed rather than taken from fl_alloc because it must never move and its pages must only
 * be committed when written; where the system refuses the size it is halved, down to 1 MiB.
 */
static int reserve_nodes(struct fl_tree *t)
{
	size_t want = (size_t)(MAX_NODES * sizeof(uint64_t));
	if (t->max_bytes && t->max_bytes < want)
		want = (t->max_bytes + 4095) & ~(size_t)4095;
	size_t floor = want < MIN_RESERVE ? want : MIN_RESERVE;
	for (;;) {
		void *p = mmap(NULL, want, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED) {
			t->nodes = p;
			t->reserved = want;
			t->max_nodes = want / sizeof(uint64_t);
			return FL_OK;
		}
		if (want == floor)
			return FL_ENOMEM;
		want = want / 2 < floor ? floor : want / 2;
	}
}

int fl_tree_init(struct fl_tree *t, size_t width, size_t max_bytes)
{
	*t = (struct fl_tree){.width = width, .words = (width + 3) / 4, .max_bytes = max_bytes};
	size_t subs_bytes = FL_TREE_SUBS * sizeof(struct fl_tree_sub) + 63;
	t->subs_mem = fl_alloc(subs_bytes);
	if (!t->subs_mem)
		return FL_ENOMEM;
	t->subs = (struct fl_tree_sub *)(((uintptr_t)t->subs_mem + 63) & ~(uintptr_t)63);
	size_t bytes = subs_bytes;
	for (size_t i = 0; i < FL_TREE_SUBS; i++) {
		struct fl_tree_sub *s = &t->subs[i];
		s->shift = 32 - 4; /* INITIAL_SLOTS = 2^4 */
		s->slots = fl_alloc(INITIAL_SLOTS * sizeof *s->slots);
		if (!s->slots) {
			fl_tree_fini(t);
			return FL_ENOMEM;
		}
		bytes += INITIAL_SLOTS * sizeof *s->slots;
	}
	atomic_init(&t->bytes, bytes);
	if (reserve_nodes(t) != FL_OK) {
		fl_tree_fini(t);
		return FL_ENOMEM;
	}
	return FL_OK;
}

_Static_assert(INITIAL_SLOTS == 1u << 4, "fl_tree_init's shift");

void fl_tree_fini(struct fl_tree *t)
{
	if (t->subs)
		for (size_t i = 0; i < FL_TREE_SUBS; i++)
			fl_free(t->subs[i].slots);
	fl_free(t->subs_mem);
	if (t->nodes)
		munmap((void *)t->nodes, t->reserved);
	*t = (struct fl_tree){0};
}

size_t fl_tree_bytes(const struct fl_tree *t)
{
	return atomic_load_explicit(&((struct fl_tree *)t)->bytes, memory_order_relaxed);
}

size_t fl_tree_nodes(const struct fl_tree *t)
{
	return (size_t)atomic_load_explicit(&((struct fl_tree *)t)->count, memory_order_relaxed);
}

int fl_tree_compress(struct fl_tree *t, const uint8_t *v, uint64_t *key)
{
	return fl_tree_compress_ref(t, v, NULL, key);
}

int fl_tree_compress_ref(struct fl_tree *t, const uint8_t *v, const struct fl_tree_ref *r,
			 uint64_t *key)
{
	if (r && !r->valid)
		r = NULL;
	if (t->words <= 1) {
		*key = t->words ? get_word(t, v, 0) : 0;
		return FL_OK;
	}
	if (r && same(t, v, r, 0, t->words)) {
		*key = r->key;
		return FL_OK;
	}
	return fold(t, v, r, 0, t->words, 0, key);
}

void fl_tree_expand(const struct fl_tree *t, uint64_t key, uint8_t *out)
{
	if (t->words == 1)
		put_word(t, out, 0, (uint32_t)key);
	else if (t->words > 1)
		unfold_pair(t, key, 0, t->words, 0, out, NULL);
}

void fl_tree_expand_ref(const struct fl_tree *t, uint64_t key, uint8_t *out, struct fl_tree_ref *r)
{
	if (r->valid && r->key == key) {
		copy_words(t, r, 0, t->words, out);
		return;
	}
	if (t->words == 1) {
		put_word(t, out, 0, (uint32_t)key);
		r->w[0] = (uint32_t)key;
	} else if (t->words > 1) {
		unfold_pair(t, key, 0, t->words, 0, out, r);
	}
	r->key = key;
	r->valid = 1;
}

int fl_tree_ref_init(struct fl_tree_ref *r, const struct fl_tree *t)
{
	size_t k = t->words ? t->words : 1;
	*r = (struct fl_tree_ref){.words = t->words};
	r->w = fl_alloc(k * sizeof *r->w);
	r->ids = fl_alloc(k * sizeof *r->ids);
	if (!r->w || !r->ids) {
		fl_tree_ref_fini(r);
		return FL_ENOMEM;
	}
	return FL_OK;
}

void fl_tree_ref_fini(struct fl_tree_ref *r)
{
	fl_free(r->w);
	fl_free(r->ids);
	*r = (struct fl_tree_ref){0};
}

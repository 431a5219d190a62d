/*
 * store.h - the visited-state store: every state the search has seen, once.
 *
 * States are fixed-width byte vectors numbered in discovery order, so an index is a stable name
 * for a state (BFS walks the indices as its queue). Each state carries the index of the state
 * it was first reached from, its depth and an opaque edge label (the step taken), so traces can
 * be rebuilt by walking parents back to the root. Its XXH3-64 hash is recomputed when needed.
 *
 * Memory: per-state data lives in blocks of `block` states (a power of two up to
 * FL_STORE_BLOCK, about 256 KiB of vectors) that never move once
 * allocated (so several threads may read states while others insert). Lookup is open
 * addressing with linear probing over FL_STORE_STRIPES independent slot tables (stripes),
 * chosen by the hash's top bits, each with its own lock and power-of-two size. Lookups read
 * a stripe without its lock; inserts take it (struct fl_stripe).
 *
 * Three ways to remember a state (enum fl_storage in search.h):
 *   EXACT: a slot holds the state's index and 32 bits of its hash; a tag match is confirmed by
 *     comparing the stored bytes, so two states are never merged.
 *   FINGERPRINT: a slot holds the state's 64-bit hash alone; two states with the same hash
 *     are merged (the second is missed). States and their parent/step records are kept only
 *     until the search retires them (fl_store_retire): records then go to a temporary file,
 *     read back for traces. Per state in memory: the slot (8 bytes at up to 3/4 load).
 *   BITSTATE: FL_STORE_BITS_K bits per state in one bit array (Holzmann's supertrace); a
 *     state whose bits are all set already is taken as seen. Retiring as in FINGERPRINT.
 *
 * Thread safety: with `shared` set, fl_store_insert and fl_store_prefetch may run in several
 * threads at once; a state's bytes, parent, label and depth are written before its slot is
 * published, and a replaced table stays readable until fl_store_quiesce. Everything
 * else (init, retire, find, fini, the accessors for states being inserted) is for one thread,
 * or for states inserted before the readers' last synchronisation point (a barrier).
 */
#ifndef FL_STORE_H
#define FL_STORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FL_NO_PARENT UINT32_MAX
#define FL_STORE_BLOCK_BITS 14
#define FL_STORE_BLOCK ((size_t)1 << FL_STORE_BLOCK_BITS)
#define FL_STORE_STRIPE_BITS 6
#define FL_STORE_STRIPES (1u << FL_STORE_STRIPE_BITS)
#define FL_STORE_BITS_K 3

/* One stripe's slot table: n slots, a power of two (EXACT: high 32 bits tag, low 32 index + 1;
 * FINGERPRINT: the hash; 0: empty). Replaced tables wait on a list until fl_store_quiesce. */
struct fl_slots {
	size_t n;
	unsigned bits;  /* n = 2^bits */
	struct fl_slots *next;
	char pad[64 - 2 * sizeof(size_t) - sizeof(void *)]; /* the header's line is read-only */
	uint64_t s[];
};

/* A lookup reads `table` and the slots without the lock (a slot is published after the state
 * it names); an insert takes the lock. The two halves sit on separate cache lines, so the
 * lock's writes do not evict every thread's copy of the table pointer. */
struct fl_stripe {
	_Atomic(struct fl_slots *) table;
	char pad0[64 - sizeof(void *)];
	size_t used;
	atomic_flag lock;
	char pad1[64 - sizeof(size_t) - sizeof(atomic_flag)];
};

struct fl_store {
	size_t width;            /* bytes per state */
	size_t label_size;       /* bytes per edge label */
	int mode;                /* enum fl_storage */
	int shared;              /* 1: inserts may run concurrently (locks are taken) */
	size_t max_bytes;        /* 0 = no limit; growth past it fails with FL_EBOUND */
	/* The two counters every insert may write sit on lines of their own: the fields around
	 * them are read by every lookup of every thread. */
	char pad0[64];
	_Atomic size_t count;    /* states stored (indices handed out) */
	char pad1[64];
	_Atomic size_t bytes;    /* bytes allocated */
	char pad2[64];
	size_t meta_size;        /* bytes of one state's record: label, parent, depth, hash */
	_Atomic(uint8_t *) *blocks;  /* per block: the vectors */
	_Atomic(uint8_t *) *metas;   /* per block: labels, then parents, depths, hashes */
	size_t nblocks;          /* entries of blocks/metas (covers 2^32 states) */
	unsigned block_bits;     /* states per block: block = 2^block_bits */
	size_t block;
	size_t retired;          /* blocks below this one were retired */
	pthread_mutex_t grow;    /* allocating a block */
	struct fl_stripe *stripes;   /* 64-byte aligned, inside stripes_mem */
	void *stripes_mem;
	_Atomic(struct fl_slots *) old_tables; /* replaced while others may still read them */
	_Atomic uint64_t *bits;  /* BITSTATE */
	size_t nbits;            /* a power of two */
	char pad3[64];
	_Atomic size_t bits_set; /* BITSTATE: bits set, for the fill ratio */
	char pad4[64];
	int spill;               /* file descriptor of retired records, or -1 */
};

enum { FL_STORE_OLD = 0, FL_STORE_NEW = 1 };

/* Initialises st for exact storage of states of `width` bytes, for one thread; returns FL_OK
 * or FL_ENOMEM. */
int fl_store_init(struct fl_store *st, size_t width, size_t label_size, size_t max_bytes);

/* As fl_store_init with a storage mode (enum fl_storage) and `shared` for concurrent inserts.
 * bitstate_bytes sizes the bit array (rounded down to a power of two; 0: 16 MiB). */
int fl_store_open(struct fl_store *st, size_t width, size_t label_size, size_t max_bytes,
		  int mode, int shared, size_t bitstate_bytes);
void fl_store_fini(struct fl_store *st);

/* The hash the store uses for a state vector (XXH3-64). */
uint64_t fl_store_hash(const struct fl_store *st, const uint8_t *v);

/*
 * Looks v up and inserts it if absent. Returns FL_STORE_NEW (stored as a new state whose
 * parent/depth/label are as given), FL_STORE_OLD (already present; nothing changes), or a
 * negative code: FL_ENOMEM, or FL_EBOUND when growing would pass max_bytes (the store is then
 * unchanged). hash must be fl_store_hash(st, v) in a store that may degrade (the change of
 * mode recomputes it); tests may weaken it in EXACT mode. *idx receives the state's index on success (EXACT only for an old state: the
 * other modes do not know it and write FL_NO_PARENT). v must not point into the store.
 */
int fl_store_insert(struct fl_store *st, const uint8_t *v, uint64_t hash, uint32_t parent,
		    const void *label, size_t *idx);

/* A hint: the slot of a state with this hash will be looked up soon (any thread). */
void fl_store_prefetch(const struct fl_store *st, uint64_t hash);

/* Frees the slot tables that resizes replaced. Call where no insert or lookup runs (the search
 * calls it between BFS levels). */
void fl_store_quiesce(struct fl_store *st);

/* Index of v, or -1 if absent (EXACT only). */
long fl_store_find(const struct fl_store *st, const uint8_t *v, uint64_t hash);

/*
 * FINGERPRINT and BITSTATE: frees the vectors of every state below index `below` and moves
 * their records to the spill file (traces read them back). Returns FL_OK or FL_ENOMEM (no
 * temporary file could be written; nothing is retired). No-op for EXACT.
 */
int fl_store_retire(struct fl_store *st, size_t below);

/*
 * Turns an EXACT store into a FINGERPRINT one (or a FINGERPRINT one into BITSTATE with a bit
 * array of bitstate_bytes), keeping every state's index and record, and retires the states
 * below `below` (fl_store_retire). The search calls it when the memory limit is reached, from
 * one thread. Returns FL_OK; or FL_ENOMEM/FL_EBOUND: from FINGERPRINT the store is unchanged,
 * from EXACT its tables may be left unusable (the caller stops inserting).
 */
int fl_store_degrade(struct fl_store *st, size_t bitstate_bytes, size_t below);

/* State i's vector (not retired). */
static inline const uint8_t *fl_store_state(const struct fl_store *st, size_t i)
{
	uint8_t *b = atomic_load_explicit(&st->blocks[i >> st->block_bits], memory_order_acquire);
	return b + (i & (st->block - 1)) * st->width;
}

/* State i's parent, depth and label (read back from the spill file when retired), and its
 * hash (recomputed from the vector: not for a retired state). */
uint32_t fl_store_parent(const struct fl_store *st, size_t i);
uint32_t fl_store_depth(const struct fl_store *st, size_t i);
void fl_store_label(const struct fl_store *st, size_t i, void *out);
uint64_t fl_store_hash_of(const struct fl_store *st, size_t i);

/* Bytes currently allocated by the store (in memory; the spill file is not counted). */
size_t fl_store_bytes(const struct fl_store *st);

/* How many states the run may have missed through hash collisions, expected (an upper
 * bound): 0 for EXACT; n^2 / 2^65 for n fingerprints; the sum over inserts of the chance that
 * all k bits were already set (from the final fill) for BITSTATE. Below 1 it also bounds the
 * probability that any state was missed. */
double fl_store_expected_misses(const struct fl_store *st);

#endif

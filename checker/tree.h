/*
 * tree.h - exact compression of fixed-width state vectors into 8-byte keys (tree compression,
 * after LTSmin's tree_dbs: Blom, Lisser, van de Pol, Weber 2009; Laarman, van de Pol, Weber 2011).
 *
 * What is stored. A vector of `width` bytes is read as k = ceil(width / 4) 32-bit words, the
 * last zero-padded. It is folded as a balanced binary tree: a subtree over n words splits into
 * a left half of n - n/2 words and a right half of n/2. The value of a subtree is its word
 * when n == 1, otherwise the index (id) of its 64-bit pair (value(left) << 32 | value(right))
 * in one node table shared by every level; decoding is positional, so sharing is safe. The
 * root's pair is not interned: it is the key. So widths <= 8 need no node and the key is the
 * vector itself, and a vector of k > 2 words interns k - 2 nodes, most of them shared.
 * The table is exact: two vectors get the same key if and only if they are equal.
 *
 * Memory per node: 8 bytes in an append-only array (an id is its index) plus an 8-byte slot
 * (32-bit tag, 32-bit id) in an open-addressing index kept at most 3/4 full: 8 + 10.7..21.3
 * bytes per node, about 24 on average. fl_tree_bytes counts it all (the array by the nodes
 * in it: its address space is reserved, its pages are committed when first written).
 *
 * Limits. At most 2^32 nodes (ids are 32 bits) and, when max_bytes is not 0, at most
 * max_bytes allocated. Past either, fl_tree_compress returns FL_EBOUND and produces no key;
 * nodes it interned before failing stay (harmless), every key already returned stays valid,
 * and compressing a vector whose nodes all exist still succeeds.
 *
 * Threads. fl_tree_compress, fl_tree_compress_ref, fl_tree_expand and fl_tree_expand_ref may
 * run in any number of threads at once on one tree. The index is split into FL_TREE_SUBS
 * sub-tables chosen by hash bits, each behind its own spinlock and growing on its own;
 * expanding takes no lock (the array never moves and a node never changes once its id is
 * known). A key may be expanded by any thread that received it after the fl_tree_compress
 * that returned it (through the usual release/acquire hand-over: a lock, a queue). A
 * struct fl_tree_ref belongs to one thread. init and fini must not overlap anything else.
 */
#ifndef FL_TREE_H
#define FL_TREE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FL_TREE_SUBS 256 /* index sub-tables (a power of two), one lock each */

/* One sub-table of the index; 64 bytes so two locks never share a cache line. */
struct fl_tree_sub {
	atomic_int lock;  /* 0 free, 1 held */
	uint32_t shift;   /* 32 - log2(slots): a tag's top bits give its home slot */
	size_t count;     /* slots in use */
	uint64_t *slots;  /* high 32 bits: tag (never 0), low 32: node id; 0 = empty */
	char pad[64 - sizeof(atomic_int) - sizeof(uint32_t) - sizeof(size_t) - sizeof(uint64_t *)];
};

struct fl_tree {
	size_t width;                   /* bytes per vector */
	size_t words;                   /* k = ceil(width / 4) */
	size_t max_bytes;               /* 0 = no limit */
	uint64_t max_nodes;             /* ids available: min(2^32, reserved array / 8) */
	_Atomic uint64_t *nodes;        /* the pairs, by id; reserved address space, never moves */
	size_t reserved;                /* bytes of address space behind nodes */
	atomic_uint_fast64_t count;     /* nodes interned */
	atomic_size_t bytes;            /* nodes * 8 + index slots * 8 + the sub-table array */
	struct fl_tree_sub *subs;       /* FL_TREE_SUBS entries, 64-byte aligned inside subs_mem */
	void *subs_mem;
};

/*
 * A thread's memory of the last vector it expanded with fl_tree_expand_ref: its words and the
 * id of every inner node, so fl_tree_compress_ref looks up only the paths to changed words.
 */
struct fl_tree_ref {
	size_t words;      /* k of the tree it was made for */
	int valid;         /* 0 until the first fl_tree_expand_ref */
	uint64_t key;      /* the remembered vector's key */
	uint32_t *w;       /* its k words, zero-padded (the vector's bytes, in order) */
	uint32_t *ids;     /* inner nodes' values in pre-order; [0] (the root) unused */
};

/*
 * Initialises an empty tree for vectors of `width` bytes; max_bytes caps fl_tree_bytes (0: no
 * cap). Returns FL_OK or FL_ENOMEM (the allocation failed, or no address space could be
 * reserved). Where the system refuses 32 GiB of address space the reservation is halved until
 * it succeeds (to 1 MiB); max_nodes then says how many nodes fit.
 */
int fl_tree_init(struct fl_tree *t, size_t width, size_t max_bytes);
void fl_tree_fini(struct fl_tree *t);

/*
 * Compresses the width-byte vector v into *key, interning the inner nodes it needs. Equal
 * vectors give equal keys, different vectors different keys. Returns FL_OK, FL_ENOMEM (an
 * index sub-table could not grow), or FL_EBOUND (max_bytes or 2^32 nodes would be passed).
 * Thread-safe.
 */
int fl_tree_compress(struct fl_tree *t, const uint8_t *v, uint64_t *key);

/* Writes the width bytes of the vector whose key is key to out. key must come from
 * fl_tree_compress (or _ref) on this tree. Thread-safe; takes no lock. */
void fl_tree_expand(const struct fl_tree *t, uint64_t key, uint8_t *out);

/* Bytes allocated: the node array's used part, the index and its sub-table array. */
size_t fl_tree_bytes(const struct fl_tree *t);

/* Inner nodes interned. */
size_t fl_tree_nodes(const struct fl_tree *t);

/* Makes r ready for t (allocates its two arrays, k words each). FL_OK or FL_ENOMEM. */
int fl_tree_ref_init(struct fl_tree_ref *r, const struct fl_tree *t);
void fl_tree_ref_fini(struct fl_tree_ref *r);

/* fl_tree_expand, and remembers the vector and its node ids in r. Subtrees that r's previous
 * vector shares (siblings expanded one after another share most) are copied from r, not
 * decoded. */
void fl_tree_expand_ref(const struct fl_tree *t, uint64_t key, uint8_t *out, struct fl_tree_ref *r);

/*
 * fl_tree_compress giving the same key, but every subtree whose words equal those of r's
 * vector reuses r's id, so only the paths to changed words are looked up. r is not changed
 * (successors of one expanded state all compress against it). Before r's first
 * fl_tree_expand_ref this is fl_tree_compress.
 */
int fl_tree_compress_ref(struct fl_tree *t, const uint8_t *v, const struct fl_tree_ref *r,
			 uint64_t *key);

#endif

/*
 * store.h - the visited-state store: every state the search has seen, once.
 *
 * States are fixed-width byte vectors kept in one arena in discovery order, so an index is a
 * stable name for a state (BFS walks the arena as its queue). Each state carries its XXH3-64
 * hash, the index of the state it was first reached from, its depth and an opaque edge label
 * (the step taken), so traces can be rebuilt by walking parents back to the root.
 * Lookup is open addressing with linear probing over a power-of-two slot table. A slot holds
 * the state's index and the top 32 bits of its hash, so a probe rarely touches the arena; a
 * tag match is confirmed by a full byte comparison, so a collision never merges two states.
 * The store owns every stored state; callers keep indices, because the arena moves on growth.
 */
#ifndef FL_STORE_H
#define FL_STORE_H

#include <stddef.h>
#include <stdint.h>

#define FL_NO_PARENT UINT32_MAX

struct fl_store {
	size_t width;       /* bytes per state */
	size_t label_size;  /* bytes per edge label */
	size_t count;       /* states stored */
	size_t cap;         /* states the arena can hold before growing */
	size_t nslots;      /* slot table size, a power of two */
	size_t max_bytes;   /* 0 = no limit; growth past it fails with FL_EBOUND */
	uint8_t *states;    /* cap * width bytes */
	uint8_t *labels;    /* cap * label_size bytes */
	uint64_t *hashes;   /* per state */
	uint32_t *parents;  /* per state; FL_NO_PARENT for roots */
	uint32_t *depths;   /* per state; 0 for roots */
	uint64_t *slots;    /* high 32 bits: hash tag; low 32: state index + 1 (0 = empty) */
};

enum { FL_STORE_OLD = 0, FL_STORE_NEW = 1 };

/* Initialises st for states of `width` bytes; returns FL_OK or FL_ENOMEM. */
int fl_store_init(struct fl_store *st, size_t width, size_t label_size, size_t max_bytes);
void fl_store_fini(struct fl_store *st);

/* The hash the store uses for a state vector (XXH3-64). */
uint64_t fl_store_hash(const struct fl_store *st, const uint8_t *v);

/*
 * Looks v up and inserts it if absent. Returns FL_STORE_NEW (stored as a new state whose
 * parent/depth/label are as given), FL_STORE_OLD (already present; nothing changes), or a
 * negative code: FL_ENOMEM, or FL_EBOUND when growing would pass max_bytes. *idx receives
 * the state's index on success. v must not point into the store (it may move).
 */
int fl_store_insert(struct fl_store *st, const uint8_t *v, uint64_t hash, uint32_t parent,
		    const void *label, size_t *idx);

/* Index of v, or -1 if absent. */
long fl_store_find(const struct fl_store *st, const uint8_t *v, uint64_t hash);

static inline const uint8_t *fl_store_state(const struct fl_store *st, size_t i)
{
	return st->states + i * st->width;
}

static inline const void *fl_store_label(const struct fl_store *st, size_t i)
{
	return st->labels + i * st->label_size;
}

/* Bytes currently allocated by the store. */
size_t fl_store_bytes(const struct fl_store *st);

#endif

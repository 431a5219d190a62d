/*
 * store.c - open-addressing visited set over an append-only arena of states (see store.h).
 *
 * Invariant: every index in [0, count) is reachable from exactly one slot, and the slot table
 * stays at most 5/8 full, so probes are short and a free slot always exists.
 */
#include "store.h"

#include "fl.h"

#include <string.h>
#include <xxhash.h>

#define INITIAL_STATES 1024
#define INITIAL_SLOTS 2048

static size_t per_state_bytes(const struct fl_store *st)
{
	return st->width + st->label_size + sizeof(uint64_t) + 2 * sizeof(uint32_t);
}

size_t fl_store_bytes(const struct fl_store *st)
{
	return st->cap * per_state_bytes(st) + st->nslots * sizeof(uint64_t);
}

int fl_store_init(struct fl_store *st, size_t width, size_t label_size, size_t max_bytes)
{
	*st = (struct fl_store){.width = width, .label_size = label_size, .max_bytes = max_bytes};
	st->slots = fl_alloc(INITIAL_SLOTS * sizeof *st->slots);
	if (!st->slots)
		return FL_ENOMEM;
	st->nslots = INITIAL_SLOTS;
	return FL_OK;
}

void fl_store_fini(struct fl_store *st)
{
	fl_free(st->states);
	fl_free(st->labels);
	fl_free(st->hashes);
	fl_free(st->parents);
	fl_free(st->depths);
	fl_free(st->slots);
	*st = (struct fl_store){0};
}

uint64_t fl_store_hash(const struct fl_store *st, const uint8_t *v)
{
	return XXH3_64bits(v, st->width);
}

/* Grows one per-state array to hold ncap entries of `size` bytes; NULL-safe on failure. */
static int grow_array(void *pp, size_t ncap, size_t size)
{
	void **p = pp;
	void *q = fl_realloc(*p, ncap * size);
	if (!q)
		return FL_ENOMEM;
	*p = q;
	return FL_OK;
}

static int grow_arena(struct fl_store *st)
{
	size_t ncap = st->cap ? st->cap * 2 : INITIAL_STATES;
	size_t extra = (ncap - st->cap) * per_state_bytes(st);
	if (st->max_bytes && fl_store_bytes(st) + extra > st->max_bytes)
		return FL_EBOUND;
	if (grow_array(&st->states, ncap, st->width) || grow_array(&st->labels, ncap, st->label_size) ||
	    grow_array(&st->hashes, ncap, sizeof *st->hashes) ||
	    grow_array(&st->parents, ncap, sizeof *st->parents) ||
	    grow_array(&st->depths, ncap, sizeof *st->depths))
		return FL_ENOMEM;
	st->cap = ncap;
	return FL_OK;
}

static uint64_t slot_of(uint64_t hash, size_t i) { return (hash & 0xFFFFFFFF00000000ull) | (i + 1); }

static int grow_slots(struct fl_store *st)
{
	size_t n = st->nslots * 2;
	if (st->max_bytes && fl_store_bytes(st) + n * sizeof(uint64_t) > st->max_bytes)
		return FL_EBOUND;
	uint64_t *slots = fl_alloc(n * sizeof *slots);
	if (!slots)
		return FL_ENOMEM;
	for (size_t i = 0; i < st->count; i++) {
		size_t s = (size_t)st->hashes[i] & (n - 1);
		while (slots[s])
			s = (s + 1) & (n - 1);
		slots[s] = slot_of(st->hashes[i], i);
	}
	fl_free(st->slots);
	st->slots = slots;
	st->nslots = n;
	return FL_OK;
}

/* Slot where v lives, or the empty slot where it would go. */
static size_t probe(const struct fl_store *st, const uint8_t *v, uint64_t hash)
{
	size_t mask = st->nslots - 1, s = (size_t)hash & mask;
	uint64_t tag = hash & 0xFFFFFFFF00000000ull;
	for (;; s = (s + 1) & mask) {
		uint64_t e = st->slots[s];
		if (!e)
			return s;
		size_t i = (size_t)(uint32_t)e - 1;
		if ((e & 0xFFFFFFFF00000000ull) == tag && memcmp(fl_store_state(st, i), v, st->width) == 0)
			return s;
	}
}

long fl_store_find(const struct fl_store *st, const uint8_t *v, uint64_t hash)
{
	uint64_t e = st->slots[probe(st, v, hash)];
	return e ? (long)(uint32_t)e - 1 : -1;
}

int fl_store_insert(struct fl_store *st, const uint8_t *v, uint64_t hash, uint32_t parent,
		    const void *label, size_t *idx)
{
	size_t s = probe(st, v, hash);
	if (st->slots[s]) {
		*idx = (size_t)(uint32_t)st->slots[s] - 1;
		return FL_STORE_OLD;
	}
	if (st->count >= UINT32_MAX - 1)
		return FL_EBOUND;
	int rc;
	if (st->count == st->cap && (rc = grow_arena(st)) != FL_OK)
		return rc;
	if ((st->count + 1) * 8 > st->nslots * 5) {
		if ((rc = grow_slots(st)) != FL_OK)
			return rc;
		s = probe(st, v, hash);
	}
	size_t i = st->count++;
	memcpy(st->states + i * st->width, v, st->width);
	if (st->label_size)
		memcpy(st->labels + i * st->label_size, label, st->label_size);
	st->hashes[i] = hash;
	st->parents[i] = parent;
	st->depths[i] = parent == FL_NO_PARENT ? 0 : st->depths[parent] + 1;
	st->slots[s] = slot_of(hash, i);
	*idx = i;
	return FL_STORE_NEW;
}

/*
 * copies.c - a database's copies of the records (see model.h): presence bitsets and one FIFO
 * of pending replication per copy, laid out inside the database's slice:
 *   plen[n], bits[n][nb], pend[n][cap]
 * Items are keyed by record id: a copy holds a record or not (a second put changes nothing).
 */
#include "model.h"

#include <string.h>

size_t copies_layout(struct copies *c, const struct fl_sys *s, int n, size_t at)
{
	c->n = n;
	c->nb = model_bitset_bytes(s);
	c->cap = s->nrecords;
	c->o_plen = at;
	c->o_bits = c->o_plen + (size_t)n;
	c->o_pend = c->o_bits + (size_t)n * (size_t)c->nb;
	return (size_t)n * (1 + (size_t)c->nb + (size_t)c->cap);
}

static uint8_t *bits(const struct copies *c, const uint8_t *slice, int k)
{
	return (uint8_t *)(uintptr_t)(slice + c->o_bits + (size_t)k * (size_t)c->nb);
}

static uint8_t *pend(const struct copies *c, const uint8_t *slice, int k)
{
	return (uint8_t *)(uintptr_t)(slice + c->o_pend + (size_t)k * (size_t)c->cap);
}

static uint8_t *plen(const struct copies *c, const uint8_t *slice, int k)
{
	return (uint8_t *)(uintptr_t)(slice + c->o_plen + (size_t)k);
}

int copies_has(const struct copies *c, const uint8_t *slice, int k, int rec)
{
	return model_bit(bits(c, slice, k), rec);
}

int copies_any(const struct copies *c, const uint8_t *slice, int rec)
{
	for (int k = 0; k < c->n; k++)
		if (copies_has(c, slice, k, rec))
			return 1;
	return 0;
}

void copies_put(const struct copies *c, uint8_t *slice, int k, int rec)
{
	model_set_bit(bits(c, slice, k), rec);
}

static int is_pending(const struct copies *c, const uint8_t *slice, int k, int rec)
{
	return memchr(pend(c, slice, k), rec, *plen(c, slice, k)) != NULL;
}

void copies_queue(const struct copies *c, uint8_t *slice, int k, int rec)
{
	if (copies_has(c, slice, k, rec) || is_pending(c, slice, k, rec))
		return;
	uint8_t *n = plen(c, slice, k);
	pend(c, slice, k)[*n] = (uint8_t)rec;
	*n = (uint8_t)(*n + 1);
}

int copies_pending(const struct copies *c, const uint8_t *slice, int k) { return *plen(c, slice, k); }

int copies_head(const struct copies *c, const uint8_t *slice, int k)
{
	return *plen(c, slice, k) ? pend(c, slice, k)[0] : 0;
}

/* Drops the i-th pending record of copy k, keeping the FIFO order and the zero tail. */
static void drop(const struct copies *c, uint8_t *slice, int k, int i)
{
	uint8_t *p = pend(c, slice, k), *n = plen(c, slice, k);
	memmove(p + i, p + i + 1, (size_t)(*n - i - 1));
	*n = (uint8_t)(*n - 1);
	p[*n] = 0;
}

int copies_replicate(const struct copies *c, uint8_t *slice, int k)
{
	int rec = copies_head(c, slice, k);
	if (!rec)
		return 0;
	drop(c, slice, k, 0);
	copies_put(c, slice, k, rec);
	return rec;
}

void copies_lose(const struct copies *c, uint8_t *slice, int k)
{
	memset(bits(c, slice, k), 0, (size_t)c->nb);
	memset(pend(c, slice, k), 0, (size_t)c->cap);
	*plen(c, slice, k) = 0;
	for (int j = 0; j < c->n; j++)
		for (int i = copies_pending(c, slice, j) - 1; i >= 0; i--)
			if (!copies_any(c, slice, pend(c, slice, j)[i]))
				drop(c, slice, j, i);
	for (int rec = 1; rec <= c->cap; rec++)
		if (copies_any(c, slice, rec))
			copies_queue(c, slice, k, rec);
}

void copies_describe(const struct copies *c, const uint8_t *slice, int k, struct fl_buf *b)
{
	const char *sep = "";
	fl_buf_puts(b, "{");
	for (int rec = 1; rec <= c->cap; rec++)
		if (copies_has(c, slice, k, rec)) {
			fl_buf_printf(b, "%s%d", sep, rec);
			sep = " ";
		}
	fl_buf_puts(b, "}");
	if (!copies_pending(c, slice, k))
		return;
	fl_buf_puts(b, " <- replicating [");
	for (int i = 0; i < copies_pending(c, slice, k); i++)
		fl_buf_printf(b, "%s%d", i ? " " : "", pend(c, slice, k)[i]);
	fl_buf_puts(b, "]");
}

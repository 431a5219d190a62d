/*
 * util.c - error values, text buffers, the allocation wrapper and "did you mean" hints.
 *
 * The allocation wrapper counts calls so tests can inject the Nth failure and check that every
 * error path returns cleanly and leaks nothing.
 */
#include "fl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

int fl_fail(struct fl_err *e, int code, const char *fmt, ...)
{
	if (e && e->code == FL_OK) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
		e->code = code;
	}
	return code;
}

static long fail_countdown;

void fl_alloc_fail_at(long nth) { fail_countdown = nth; }

static int should_fail(void)
{
	if (fail_countdown <= 0)
		return 0;
	return --fail_countdown == 0;
}

void *fl_alloc(size_t n)
{
	if (should_fail())
		return NULL;
	return calloc(1, n ? n : 1);
}

void *fl_calloc(size_t n, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

void *fl_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void fl_free(void *p) { free(p); }

void fl_advise_huge(void *p, size_t n)
{
	uintptr_t lo = ((uintptr_t)p + 0x1FFFFF) & ~(uintptr_t)0x1FFFFF;
	uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)0x1FFFFF;
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

char *fl_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = fl_alloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static int buf_reserve(struct fl_buf *b, size_t extra)
{
	if (b->oom)
		return 0;
	if (b->len + extra + 1 <= b->cap)
		return 1;
	size_t cap = b->cap ? b->cap : 128;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = fl_realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return 0;
	}
	b->p = p;
	b->cap = cap;
	return 1;
}

void fl_buf_printf(struct fl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void fl_buf_puts(struct fl_buf *b, const char *s)
{
	size_t n = strlen(s);
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

void fl_buf_reset(struct fl_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

const char *fl_buf_str(const struct fl_buf *b) { return b->p ? b->p : ""; }

void fl_buf_fini(struct fl_buf *b)
{
	fl_free(b->p);
	*b = (struct fl_buf){0};
}

static int min2(int x, int y) { return x < y ? x : y; }

/* Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring letters each cost one ("tabel" is one edit from "table"). */
int fl_edit_distance(const char *a, const char *b)
{
	enum { MAXL = 64 };
	size_t la = strlen(a), lb = strlen(b);
	if (la >= MAXL || lb >= MAXL)
		return MAXL;
	int d[MAXL + 1][MAXL + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			d[i][j] = min2(min2(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				d[i][j] = min2(d[i][j], d[i - 2][j - 2] + 1);
		}
	return d[la][lb];
}

const char *fl_suggest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	int bestd = 1 + (int)strlen(word) / 3; /* allow about one typo in three letters */
	for (; cands && *cands; cands++) {
		int d = fl_edit_distance(word, *cands);
		if (d < bestd) {
			best = *cands;
			bestd = d;
		}
	}
	return best;
}

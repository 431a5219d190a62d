/*
 * minimize.c - delta debugging over a counterexample (Zeller and Hildebrandt's ddmin, the
 * complement-only form): try the trace without one of g groups of steps; keep the first
 * candidate that still breaks the same spec (fl_trace_check), else split into 2g groups,
 * until the groups are single steps and none can go. The replay is the oracle, so what is
 * left is a real counterexample by construction.
 */
#include "trace.h"

#include <string.h>

/* The trace t restricted to the steps whose keep[] is set, into c (steps preallocated). */
static void restrict_to(const struct fl_trace *t, const unsigned char *keep, struct fl_trace *c)
{
	int n = 0, loop = -1;
	for (int k = 0; k < t->n; k++) {
		if (!keep[k])
			continue;
		if (t->loop >= 0 && k >= t->loop && loop < 0)
			loop = n;
		c->steps[n++] = t->steps[k];
	}
	c->n = n;
	c->loop = t->loop >= 0 ? loop : -1;
}

/* 1 if the steps kept still break the spec (a lasso must keep a loop step). */
static int still_breaks(const struct fl_sys *s, const struct fl_trace *t,
			const unsigned char *keep, struct fl_trace *c)
{
	restrict_to(t, keep, c);
	if (t->loop >= 0 && c->loop < 0)
		return 0;
	struct fl_err e = {0};
	return fl_trace_check(s, c, NULL, &e) == FL_OK;
}

/* Tries removing each of the groups of `size` kept steps; 1 when one could go. idx is
 * scratch for t->n indices. */
static int remove_a_group(const struct fl_sys *s, const struct fl_trace *t, unsigned char *keep,
			  int size, int *idx, struct fl_trace *c)
{
	int n = 0;
	for (int k = 0; k < t->n; k++)
		if (keep[k])
			idx[n++] = k;
	for (int start = 0; start < n; start += size) {
		int end = start + size < n ? start + size : n;
		for (int i = start; i < end; i++)
			keep[idx[i]] = 0;
		if (still_breaks(s, t, keep, c))
			return 1;
		for (int i = start; i < end; i++)
			keep[idx[i]] = 1;
	}
	return 0;
}

static int count(const unsigned char *keep, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += keep[i];
	return k;
}

int fl_trace_minimize(const struct fl_sys *s, struct fl_trace *t, struct fl_err *e)
{
	unsigned char *keep = fl_alloc((size_t)t->n + 1);
	struct fl_trace c = *t;
	c.steps = fl_alloc(((size_t)t->n + 1) * sizeof *c.steps);
	struct fl_buf why = {0};
	int *idx = fl_alloc(((size_t)t->n + 1) * sizeof *idx);
	if (!keep || !c.steps || !idx) {
		fl_free(keep);
		fl_free(c.steps);
		fl_free(idx);
		return fl_fail(e, FL_ENOMEM, "out of memory minimising a trace");
	}
	memset(keep, 1, (size_t)t->n);
	int n = t->n, groups = 2;
	while (n > 0) {
		int size = (n + groups - 1) / groups;
		if (remove_a_group(s, t, keep, size, idx, &c)) {
			n = count(keep, t->n);
			groups = groups > 2 ? groups - 1 : 2;
		} else if (size == 1) {
			break;
		} else {
			groups = groups * 2 < n ? groups * 2 : n;
		}
	}
	restrict_to(t, keep, &c);
	int rc = fl_trace_check(s, &c, &why, e);
	char *w = rc == FL_OK && t->loop < 0 ? fl_strdup(fl_buf_str(&why)) : NULL;
	if (rc == FL_OK && (t->loop >= 0 || w)) {
		int from = t->n;
		if (w) {
			fl_free(t->why);
			t->why = w;
		}
		memcpy(t->steps, c.steps, (size_t)c.n * sizeof *c.steps);
		t->n = c.n;
		t->loop = c.loop;
		t->minimized_from = from;
	} else if (rc == FL_OK) {
		rc = fl_fail(e, FL_ENOMEM, "out of memory minimising a trace");
	}
	fl_buf_fini(&why);
	fl_free(keep);
	fl_free(idx);
	fl_free(c.steps);
	return rc;
}

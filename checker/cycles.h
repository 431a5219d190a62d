/*
 * cycles.h - the verdict of a cycles spec (struct fl_spec_kind.cycles): a reachable, weakly
 * fair cycle of steps none of which makes progress, looked for on the states an exhaustive
 * search stored, and reported as a lasso (a prefix from the initial state, then a loop).
 *
 * Semantics, exactly:
 *
 * - The graph: the stored states. Its edges are NORMAL and TIMEOUT steps, never FAULT steps
 *   (faults are not owed, and the budget makes them acyclic). In a state S the considered
 *   steps are every NORMAL step, plus the TIMEOUT steps when no NORMAL step changes S, as the
 *   search expands states. A considered step whose successor is S itself (a stutter: a busy
 *   retry that changes nothing) is a self-loop. An edge is a progress edge when the spec's
 *   progress() says so for the events of its step.
 * - Instance i is enabled in S when it has at least one considered step in S (a stutter
 *   counts, a fault step does not).
 * - Weak fairness per instance (SPIN's -f, per process): an infinite run is fair when every
 *   instance that is enabled in every state from some point on takes a step infinitely often.
 * - Violation: a strongly connected component C of the graph restricted to non-progress
 *   edges, with at least one edge (a self-loop counts), such that every instance i takes an
 *   edge inside C or is disabled in some state of C. Going round all of C forever is then a
 *   fair run; conversely the states a fair non-progress run visits forever lie in such a C.
 *   The test is exact. Every stored state is reachable (through any steps, faults included),
 *   so every C is.
 * - Reported: among the violating components, the one with the shallowest member E (least
 *   store depth, then least index), so the prefix is short; with BFS it is a shortest path to
 *   the component. The violation's state is E.
 * - Lasso: the prefix is E's parent chain in the store; the loop is a path of non-progress
 *   edges inside C from E back to E meeting each instance's requirement (it takes an edge of
 *   i, or visits a state where i is disabled): breadth-first searches inside C to the nearest
 *   unmet requirement, one after another, then one back to E.
 *
 * Cost: one more expansion of every stored state (to build the graph in compressed sparse
 * rows: 8 bytes per state, 4 per non-progress edge, the edge array doubling as it grows), an
 * iterative Tarjan (12 bytes per state, 16 per frame of its stack), one more expansion of the
 * states of components that have an edge (to test fairness, with bitsets of s->ninst bits),
 * and for the reported component only, a local copy of its graph (the big graph is freed
 * first). Everything is counted with the store against max_bytes.
 */
#ifndef FL_CYCLES_H
#define FL_CYCLES_H

#include "search.h"
#include "store.h"
#include "sys.h"

struct fl_cycles_limits {
	size_t max_bytes; /* the store and this pass together (--max-memory); 0 = no limit */
	double deadline;  /* CLOCK_MONOTONIC seconds (--time-limit); 0 = no limit */
};

/*
 * Judges cycles spec `spec` on the states of a complete search in st. Returns FL_OK with the
 * verdict in *v (v->found = 1: violated, with state = E, loop_len and loop set, owned by v,
 * and why: one sentence naming the instances that cycle). Otherwise the spec has no verdict:
 * FL_ENOMEM (memory ran out), FL_EBOUND (a limit of lim was reached), with e saying so as a
 * stop reason; or FL_EINTERNAL (a successor is not stored, a step failed: a broken
 * invariant). *v is written only on a violation.
 */
int fl_cycles_check(const struct fl_sys *s, const struct fl_store *st, int spec,
		    const struct fl_cycles_limits *lim, struct fl_violation *v, struct fl_err *e);

/*
 * The steps the cycle search considers in v, into out (FL_MAX_STEPS entries): every NORMAL
 * step, and the TIMEOUT steps too when no NORMAL step changes v. tmp is s->width bytes of
 * scratch. Returns how many, or FL_EINTERNAL (too many steps, or a step failed).
 */
int fl_cycles_steps(const struct fl_sys *s, const uint8_t *v, uint8_t *tmp, struct fl_step *out);

/* 1 if step st from v makes progress for cycles spec `spec`; tmp is s->width bytes. Returns
 * FL_EINTERNAL if the step fails. */
int fl_cycles_is_progress(const struct fl_sys *s, int spec, const uint8_t *v, uint8_t *tmp,
			  const struct fl_step *st);

/* 64-bit words of a bitset with one bit per instance. */
static inline size_t fl_cycles_words(const struct fl_sys *s) { return ((size_t)s->ninst + 63) / 64; }

#endif

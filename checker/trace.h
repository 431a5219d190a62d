/*
 * trace.h - counterexamples: rebuilt from the store's parent links, replayed from the initial
 * state to prove they reach the violation, and printed for people (text) or machines (JSON).
 * A cycles spec's counterexample is a lasso: a prefix, then a loop that repeats forever.
 */
#ifndef FL_TRACE_H
#define FL_TRACE_H

#include "json.h"
#include "search.h"
#include "store.h"
#include "sys.h"

#include <stdio.h>

struct fl_trace {
	int spec;              /* index into s->spec */
	int n;                 /* steps */
	struct fl_step *steps; /* owned */
	int at_rest;           /* 1: judged at rest (eventually); 0: broken by the last step, or
				  a lasso */
	const char *why;       /* borrowed from the result */
	int loop;              /* a lasso: index of the first loop step (steps loop..n-1 repeat
				  forever); -1 when not a lasso */
};

/* Builds the trace of violation v of spec i (with v->loop_len > 0: the prefix to v->state,
 * then the loop). Returns FL_OK or FL_ENOMEM. */
int fl_trace_build(const struct fl_sys *s, const struct fl_store *st, const struct fl_violation *v,
		   int spec, struct fl_trace *t);
void fl_trace_fini(struct fl_trace *t);

/*
 * Replays t from the initial state: every step must be enabled where it is taken, and the
 * end must violate the spec again (the last step's monitor fires, or the final state is at
 * rest and the eventual spec fails there). For a lasso: every loop step is a step the cycle
 * search considers where it is taken (cycles.h) and not progress, the state after the last
 * step is the state before the first loop step, and the loop is weakly fair (every instance
 * takes a loop step or is disabled in a state of the loop). Returns FL_OK, or FL_EINTERNAL
 * (FL_ENOMEM) with e saying why.
 */
int fl_trace_replay(const struct fl_sys *s, const struct fl_trace *t, struct fl_err *e);

/* Prints the trace for people: numbered steps, faults marked, what each step changed; a
 * lasso's loop between "-- loop: steps N..M repeat forever --" and "-- back to the state
 * before step N --". */
void fl_trace_print(FILE *f, const struct fl_sys *s, const struct fl_trace *t);

/* Writes the trace as one JSON object; "loop_start" is the 1-based number of a lasso's
 * first loop step, or null. */
void fl_trace_json(struct fl_json *j, const struct fl_sys *s, const struct fl_trace *t);

#endif

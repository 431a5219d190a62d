/*
 * trace.h - counterexamples: rebuilt from the store's parent links, replayed from the initial
 * state to prove they reach the violation, and printed for people (text) or machines (JSON).
 * A cycles spec's counterexample is a lasso: a prefix, then a loop that repeats forever.
 */
#ifndef FL_TRACE_H
#define FL_TRACE_H

#include "json.h"
#include "scenario.h"
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
	char *why;             /* one sentence, owned (the replay's own when minimised) */
	int loop;              /* a lasso: index of the first loop step (steps loop..n-1 repeat
				  forever); -1 when not a lasso */
	int minimized_from;    /* steps before fl_trace_minimize removed any; 0 if not run */
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

/* 1 if the search would take st from v: st is among v's steps and, for a timeout, no normal
 * step changes v. tmp (s->width bytes) and buf (FL_MAX_STEPS steps) are scratch. */
int fl_trace_enabled(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		     uint8_t *tmp, struct fl_step *buf);

/* fl_trace_replay that also hands back, in why (may be NULL), the spec's own sentence for the
 * violation the replay reached (for a lasso: nothing is written). */
int fl_trace_check(const struct fl_sys *s, const struct fl_trace *t, struct fl_buf *why,
		   struct fl_err *e);

/*
 * Delta debugging over the steps (minimize.c): removes steps, then smaller and smaller groups
 * of them, for as long as what is left still replays to the same spec's violation
 * (fl_trace_check), until no single step can go (a 1-minimal trace). A lasso keeps at least
 * one loop step. On return t is the shorter trace, t->why its own sentence and
 * t->minimized_from the old length. A trace found by BFS is already as short as any that
 * breaks the spec, so BFS traces lose nothing; DFS and random-walk traces usually do.
 * Returns FL_OK or FL_ENOMEM (t unchanged).
 */
int fl_trace_minimize(const struct fl_sys *s, struct fl_trace *t, struct fl_err *e);

/*
 * One paragraph for people: the story of the records the violation names (a
 * spec's sentence names them as "record N"), the faults and what the faulted instances did
 * next, then the spec's sentence. For a lasso, what repeats.
 */
void fl_trace_explain(const struct fl_sys *s, const struct fl_trace *t, struct fl_buf *b);

/* Prints the trace for people: a lane per instance the trace involves (the actor marked '*',
 * a fault 'X', an instance the step changed 'o'), numbered steps, faults marked, what each
 * step changed (spec monitors' state included), the step that breaks a safety spec marked, a
 * lasso's loop between "-- loop: steps N..M repeat forever --" and "-- back to the state
 * before step N --", and the explanation (fl_trace_explain). */
void fl_trace_print(FILE *f, const struct fl_sys *s, const struct fl_trace *t);

/* One step of a walk over a trace (fl_trace_walk): the states around it and what it did. */
struct fl_trace_step {
	int k;                    /* 0-based */
	const struct fl_step *st;
	const char *text;         /* fl_sys_step_name, from the state before the step */
	const uint8_t *a, *b;     /* the states before and after (s->width bytes) */
	const struct fl_events *ev;
	int breaks;               /* the step breaks the trace's spec (its monitor fires) */
	int back;                 /* a step of an instance a fault struck earlier in the trace that
				     concerns no record: its recovery or restart */
};
typedef void (*fl_trace_step_fn)(void *ctx, const struct fl_trace_step *w);

/* Replays t from the initial state, calling fn for every step; everything a printer shows
 * is recomputed this way, not remembered. Returns FL_OK or FL_ENOMEM. */
int fl_trace_walk(const struct fl_sys *s, const struct fl_trace *t, fl_trace_step_fn fn, void *ctx);

typedef void (*fl_trace_change_fn)(void *ctx, const char *name, const char *before,
				   const char *after);
/* Calls fn for each instance whose slice differs between a and b (its describe text on both
 * sides), then for each spec monitor that can describe its slice (named "[spec]"). */
void fl_trace_changes(const struct fl_sys *s, const uint8_t *a, const uint8_t *b,
		      fl_trace_change_fn fn, void *ctx);

/* Writes the trace as one JSON object in the format of docs/trace-format.md: where it comes
 * from (s->file, the variant, --set and --spec of o), the spec and its sentence, the raw
 * steps with their text and changes, and every state as hex. "loop_start" is the 1-based
 * number of a lasso's first loop step, or null. */
void fl_trace_json(struct fl_json *j, const struct fl_sys *s, const struct fl_scn_opts *o,
		   const struct fl_trace *t);

/* Appends v (s->width bytes) as lower-case hex. */
void fl_trace_hex(const struct fl_sys *s, const uint8_t *v, struct fl_buf *b);

#endif

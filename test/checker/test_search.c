/*
 * test_search.c - the explorer: state counts worked out by hand, BFS and DFS agreeing on every
 * scenario, shortest counterexamples, random walks and limits.
 */
#include "../../model/model.h"
#include "../../specs/specs.h"
#include "../support.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONE_QUEUE "scenarios/test/one-queue.yaml"
#define ONE_QUEUE_OUTAGE "scenarios/test/one-queue-outage.yaml"

/*
 * one-queue.yaml, 1 record: initial (script not run) -> script publishes -> source sends the
 * record -> destination receives it -> destination removes it. A line: 5 states, 4 steps.
 */
Test(search, one_queue_by_hand)
{
	struct fl_test_run t;
	fl_test_check(ONE_QUEUE, NULL, NULL, &t);
	cr_expect_eq(t.r.states, 5);
	cr_expect_eq(t.r.transitions, 4);
	cr_expect_eq(t.r.depth, 4);
	cr_expect(t.r.complete);
	cr_expect_eq(t.r.violated, 0);
	fl_test_run_fini(&t);
}

/*
 * Two records: after the script step, the events are P1 P2 (publish), R1 M1 R2 M2 (receive,
 * remove) with P1 < P2, P1 < R1 < M1 < R2 < M2 and P2 < R2. The states are the initial one
 * plus the 9 down-sets of that order: {}, P1, P1P2, P1R1, P1P2R1, P1R1M1, P1P2R1M1, +R2, +M2.
 * Edges between down-sets (one event each): {}-P1, P1-P1P2, P1-P1R1, P1P2-P1P2R1, P1R1-P1P2R1,
 * P1R1-P1R1M1, P1P2R1-P1P2R1M1, P1R1M1-P1P2R1M1, then R2, M2: 10, plus the script step = 11.
 * Longest path: 1 + 6 events = 7.
 */
Test(search, one_queue_two_records_by_hand)
{
	const char *sets[] = {"records.per_batch=2", NULL};
	struct fl_test_run t;
	fl_test_check(ONE_QUEUE, sets, NULL, &t);
	cr_expect_eq(t.r.states, 10);
	cr_expect_eq(t.r.transitions, 11);
	cr_expect_eq(t.r.depth, 7);
	cr_expect_eq(t.r.violated, 0);
	fl_test_run_fini(&t);
}

/*
 * one-queue-outage.yaml: the 5 states of one_queue_by_hand with no fault (A0..A4); the outage
 * can strike in each (B0..B4, queue down); from B3 (destination holding the record) the remove
 * fails and the destination lets go (B3'); each B recovers to a C state (C0..C4, C3'); from C3'
 * the record is received again (C3'', a duplicate) and removed (C4''). 5 + 6 + 5 + 3 = 19.
 * Transitions: A chain 4 + 5 outages; B0->B1 (script), 6 recoveries, B3->B3' (remove) = 8;
 * C chain 4 + C3'->C3''->C4'' 2 = 6. Total 23.
 */
Test(search, one_queue_outage_by_hand)
{
	struct fl_test_run t;
	fl_test_check(ONE_QUEUE_OUTAGE, NULL, NULL, &t);
	cr_expect_eq(t.r.states, 19);
	cr_expect_eq(t.r.transitions, 23);
	cr_expect_eq(t.r.depth, 8);
	cr_expect(t.r.complete);
	cr_expect(fl_test_violated(&t, "no-duplicates"));
	cr_expect(!fl_test_violated(&t, "delivery"));
	/* Shortest: publish (script), send, receive, outage, failed remove, recovery, receive. */
	cr_expect_eq(t.tr[fl_test_spec(&t, "no-duplicates")].n, 7);
	fl_test_run_fini(&t);
}

/* "path", or "path --variant name", for messages. */
static const char *label(const struct fl_test_path *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", p->path, p->variant[0] ? " --variant " : "", p->variant);
	return buf;
}

/* Under sanitizers (make check) the BFS/DFS comparison covers the scenarios of at most this
 * many states: the largest ones take minutes there, and make test compares them in full. */
#define SANITIZED_MAX_STATES 300000

static int small(const struct fl_test_path *p)
{
	struct fl_search_opts o = {.mode = FL_BFS, .max_states = SANITIZED_MAX_STATES + 1};
	struct fl_test_run t;
	fl_test_check_variant(p->path, p->variant, NULL, &o, &t);
	int fits = t.r.complete || t.r.states <= SANITIZED_MAX_STATES;
	fl_test_run_fini(&t);
	return fits;
}

ParameterizedTestParameters(search, bfs_dfs_agree)
{
	size_t n;
	struct fl_test_path *p = fl_test_scenarios(&n);
	return cr_make_param_array(struct fl_test_path, p, n);
}

/* --minimize on t: what is left still breaks the spec (fl_trace_check), is no shorter than
 * the shortest trace (shortest steps, from BFS) and no single step of it can go. */
static void check_minimized(const struct fl_sys *s, struct fl_trace *t, int shortest, const char *f)
{
	const char *spec = s->spec[t->spec].kind->name;
	struct fl_err e = {0};
	int before = t->n;
	cr_assert_eq(fl_trace_minimize(s, t, &e), FL_OK, "%s: minimising %s: %s", f, spec, e.msg);
	cr_expect_eq(t->minimized_from, before);
	cr_expect_leq(t->n, before);
	if (t->loop < 0) /* a lasso's loop is found by a search of its own, not always shortest */
		cr_expect_geq(t->n, shortest, "%s: minimised %s trace shorter than BFS's", f, spec);
	cr_assert_eq(fl_trace_replay(s, t, &e), FL_OK, "%s: minimised %s trace: %s", f, spec, e.msg);
	struct fl_trace c = *t;
	c.steps = malloc((size_t)t->n * sizeof *c.steps + 1);
	for (int drop = 0; drop < t->n; drop++) {
		int m = 0;
		for (int k = 0; k < t->n; k++)
			if (k != drop)
				c.steps[m++] = t->steps[k];
		c.n = m;
		c.loop = t->loop < 0 ? -1 : t->loop > drop ? t->loop - 1 : t->loop;
		if (t->loop >= 0 && c.loop >= m)
			continue;
		struct fl_err ce = {0};
		cr_expect_neq(fl_trace_check(s, &c, NULL, &ce), FL_OK,
			      "%s: step %d of the minimised %s trace can still go", f, drop + 1, spec);
	}
	free(c.steps);
}

/* Same reachable states, transitions and verdicts whatever the order of exploration; every
 * counterexample of both replays (fl_test_check asserts it), and BFS's are no longer. Both
 * are minimised: DFS's to a 1-minimal trace no shorter than BFS's, BFS's (but for a lasso's
 * loop) not at all. Every
 * design variant of a file is a scenario of its own here. */
ParameterizedTest(struct fl_test_path *p, search, bfs_dfs_agree, .timeout = 600)
{
	struct fl_search_opts dfs = {.mode = FL_DFS};
	struct fl_test_run b, d;
	char buf[400];
	const char *f = label(p, buf, sizeof buf);
	if (getenv("FAULTLINE_SANITIZED") && !small(p))
		cr_skip_test("%s: over %d states; under sanitizers its one full run is expected_verdicts "
			     "(make test compares BFS and DFS on it)", f, SANITIZED_MAX_STATES);
	fl_test_check_variant(p->path, p->variant, NULL, NULL, &b);
	fl_test_check_variant(p->path, p->variant, NULL, &dfs, &d);
	cr_expect(b.r.complete || b.r.decided, "%s: BFS stopped: %s", f, b.r.stop_reason);
	cr_expect_eq(b.r.violated, d.r.violated, "%s: BFS and DFS verdicts differ", f);
	if (b.r.complete && d.r.complete) {
		cr_expect_eq(b.r.states, d.r.states, "%s: %zu states by BFS, %zu by DFS", f, b.r.states,
			     d.r.states);
		cr_expect_eq(b.r.transitions, d.r.transitions, "%s: transitions differ", f);
	}
	for (int i = 0; i < b.s.nspec; i++) {
		if (!(b.r.violated >> i & d.r.violated >> i & 1u))
			continue;
		cr_expect_leq(b.tr[i].n, d.tr[i].n, "%s: BFS trace for %s is longer than DFS's", f,
			      b.s.spec[i].kind->name);
		check_minimized(&d.s, &d.tr[i], b.tr[i].n, f);
		check_minimized(&b.s, &b.tr[i], b.tr[i].n, f);
		if (b.tr[i].loop < 0)
			cr_expect_eq(b.tr[i].n, b.tr[i].minimized_from, "%s: a BFS trace lost steps", f);
	}
	fl_test_run_fini(&b);
	fl_test_run_fini(&d);
}

ParameterizedTestParameters(scenarios, expected_verdicts)
{
	size_t n;
	struct fl_test_path *p = fl_test_scenarios(&n);
	return cr_make_param_array(struct fl_test_path, p, n);
}

/* The verdicts of one run against the expectations of its system; returns how many there are. */
static int check_expectations(const struct fl_test_run *t, const char *f)
{
	int expectations = 0;
	for (int i = 0; i < t->s.nspec; i++) {
		int want = t->s.spec[i].expect;
		if (want == FL_EXPECT_NONE)
			continue;
		expectations++;
		int got = t->r.violated >> i & 1u ? FL_EXPECT_VIOLATED : FL_EXPECT_HOLDS;
		cr_expect_eq(got, want, "%s: %s is %s, the scenario expects it %s", f,
			     t->s.spec[i].kind->name, got == FL_EXPECT_VIOLATED ? "violated" : "holding",
			     want == FL_EXPECT_VIOLATED ? "violated" : "to hold");
	}
	return expectations;
}

/* Each scenario file (each variant of a file with variants) states the verdict it expects for
 * each spec; BFS must agree. */
ParameterizedTest(struct fl_test_path *p, scenarios, expected_verdicts, .timeout = 600)
{
	struct fl_test_run t;
	char buf[400];
	const char *f = label(p, buf, sizeof buf);
	fl_test_check_variant(p->path, p->variant, NULL, NULL, &t);
	cr_assert(t.r.decided, "%s: no verdict: %s", f, t.r.stop_reason);
	cr_expect_gt(check_expectations(&t, f), 0, "%s states no expected verdict", f);
	fl_test_run_fini(&t);
}

/* A seeded random walk is reproducible, never claims completeness, and its traces replay. */
Test(search, random_walks)
{
	struct fl_search_opts o = {.mode = FL_RANDOM, .seed = 7, .walks = 200, .depth = 50};
	struct fl_test_run a, b;
	fl_test_check(ONE_QUEUE_OUTAGE, NULL, &o, &a);
	fl_test_check(ONE_QUEUE_OUTAGE, NULL, &o, &b);
	cr_expect(!a.r.complete);
	cr_expect(fl_test_violated(&a, "no-duplicates"), "200 walks over 19 states missed the duplicate");
	cr_expect_eq(a.r.states, b.r.states);
	cr_expect_eq(a.r.transitions, b.r.transitions);
	cr_expect_leq(a.r.states, 19);
	fl_test_run_fini(&a);
	fl_test_run_fini(&b);
}

/* Limits end the run cleanly as incomplete, with the figures reached. */
Test(search, limits)
{
	struct fl_search_opts o = {.mode = FL_BFS, .max_states = 100};
	struct fl_test_run t;
	fl_test_check("scenarios/active-active/base.yaml", NULL, &o, &t);
	cr_expect(!t.r.complete);
	cr_expect(!t.r.decided);
	cr_expect_eq(t.r.states, 100);
	cr_expect(strstr(t.r.stop_reason, "--max-states"), "%s", t.r.stop_reason);
	fl_test_run_fini(&t);

	o = (struct fl_search_opts){.mode = FL_DFS, .max_memory = 8000000}; /* > one block of states */
	fl_test_check("scenarios/active-active/base.yaml", NULL, &o, &t);
	cr_expect(!t.r.complete);
	cr_expect(strstr(t.r.stop_reason, "--max-memory"), "%s", t.r.stop_reason);
	cr_expect_gt(t.r.states, 0);
	fl_test_run_fini(&t);
}

/* A queue with too little room is a model bound, reported as incomplete, never as a loss. */
Test(search, model_bound)
{
	const char *sets[] = {"records.per_batch=3", "queue.capacity=1", NULL};
	struct fl_test_run t;
	fl_test_check(ONE_QUEUE, sets, NULL, &t);
	cr_expect(!t.r.complete);
	cr_expect(strstr(t.r.stop_reason, "capacity"), "%s", t.r.stop_reason);
	cr_expect_eq(t.r.violated, 0);
	fl_test_run_fini(&t);
}

/* --spec leaves other specs unchecked and their monitors out of the state. */
Test(search, spec_selection)
{
	struct fl_scn_opts so = {NULL, 0, (const char *const[]){"delivery"}, 1, NULL};
	struct fl_sys s;
	struct fl_err e = {0};
	cr_assert_eq(fl_scn_load("scenarios/active-active/base.yaml", &so, fl_kinds,
				 fl_spec_kinds, &s, &e),
		     FL_OK, "%s", e.msg);
	uint32_t m = fl_sys_checked_mask(&s);
	cr_expect_eq(__builtin_popcount(m), 1);
	fl_sys_free(&s);
}

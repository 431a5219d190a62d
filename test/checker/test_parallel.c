/*
 * test_parallel.c - the parallel BFS and the inexact storage modes against the plain search.
 *
 * For every shipped scenario and design variant: BFS on 2 threads, BFS with fingerprints (on
 * 1 and 2 threads) and bitstate must reach the verdicts of the plain one-thread exact BFS.
 * Threads and fingerprints change nothing that is counted (fingerprints could merge two
 * states only by a 64-bit hash collision: the expected number is printed and far below
 * 10^-6 here), and their counterexamples are as short (level-synchronous BFS). Bitstate may
 * miss states: it never finds more, and finds as many when its expected misses are tiny.
 * Every counterexample replays (fl_test_check checks it).
 */
#include "../../checker/search.h"

#include "../support.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scenarios over this many states are left to the benchmark (make test stays short); under
 * sanitizers the bound is lower. */
#define MAX_STATES 1100000
#define SANITIZED_MAX_STATES 300000

static const char *label(const struct fl_test_path *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", p->path, p->variant[0] ? " --variant " : "", p->variant);
	return buf;
}

/* The same figures and verdicts as the plain run, and counterexamples as short. */
static void same(const struct fl_test_run *a, const struct fl_test_run *b, const char *what,
		 const char *f)
{
	cr_expect_eq(a->r.violated, b->r.violated, "%s, %s: verdicts differ", f, what);
	cr_expect_eq(a->r.complete, b->r.complete, "%s, %s: complete differs", f, what);
	if (a->r.complete && b->r.complete) {
		cr_expect_eq(a->r.states, b->r.states, "%s, %s: %zu states, plain %zu", f, what,
			     b->r.states, a->r.states);
		cr_expect_eq(a->r.transitions, b->r.transitions, "%s, %s: transitions differ", f, what);
		cr_expect_eq(a->r.depth, b->r.depth, "%s, %s: depth differs", f, what);
		cr_expect_eq(a->r.rest_states, b->r.rest_states, "%s, %s: states at rest differ", f, what);
	}
	for (int i = 0; i < a->s.nspec; i++)
		if (a->r.violated >> i & b->r.violated >> i & 1u && a->tr[i].loop < 0)
			cr_expect_eq(a->tr[i].n, b->tr[i].n, "%s, %s: the %s trace has %d steps, plain %d",
				     f, what, a->s.spec[i].kind->name, b->tr[i].n, a->tr[i].n);
}

ParameterizedTestParameters(parallel, modes_agree)
{
	size_t n;
	struct fl_test_path *p = fl_test_scenarios(&n);
	return cr_make_param_array(struct fl_test_path, p, n);
}

ParameterizedTest(struct fl_test_path *p, parallel, modes_agree, .timeout = 600)
{
	char buf[400];
	const char *f = label(p, buf, sizeof buf);
	size_t max = getenv("FAULTLINE_SANITIZED") ? SANITIZED_MAX_STATES : MAX_STATES;
	struct fl_search_opts plain = {.mode = FL_BFS, .max_states = max + 1};
	struct fl_test_run a, b;
	fl_test_check_variant(p->path, p->variant, NULL, &plain, &a);
	if (!a.r.complete && !a.r.decided) {
		fl_test_run_fini(&a);
		cr_skip_test("%s: over %zu states (make bench runs the large ones)", f, max);
	}
	struct {
		const char *what;
		struct fl_search_opts o;
	} runs[] = {
		{"2 threads", {.mode = FL_BFS, .threads = 2}},
		{"fingerprints", {.mode = FL_BFS, .storage = FL_STORAGE_FINGERPRINT}},
		{"fingerprints on 2 threads", {.mode = FL_BFS, .storage = FL_STORAGE_FINGERPRINT, .threads = 2}},
	};
	int cycles = 0; /* a cycles spec is judged on the stored graph: exact storage only */
	for (int i = 0; i < a.s.nspec; i++)
		cycles |= a.s.spec[i].checked && a.s.spec[i].kind->cycles;
	for (size_t k = 0; k < sizeof runs / sizeof *runs; k++) {
		fl_test_check_variant(p->path, p->variant, NULL, &runs[k].o, &b);
		if (cycles && runs[k].o.storage != FL_STORAGE_EXACT) {
			cr_expect(!b.r.complete, "%s, %s: a cycles spec judged without the graph", f,
				  runs[k].what);
			cr_expect(strstr(b.r.stop_reason, "exact storage"), "%s", b.r.stop_reason);
			fl_test_run_fini(&b);
			continue;
		}
		same(&a, &b, runs[k].what, f);
		cr_expect_eq(b.r.threads, runs[k].o.threads ? runs[k].o.threads : 1);
		cr_expect_lt(b.r.expected_misses, 1e-6, "%s: %g", f, b.r.expected_misses);
		fl_test_run_fini(&b);
	}
	struct fl_search_opts bits = {.mode = FL_BFS, .storage = FL_STORAGE_BITSTATE, .threads = 2};
	if (cycles) {
		fl_test_run_fini(&a);
		return;
	}
	fl_test_check_variant(p->path, p->variant, NULL, &bits, &b);
	cr_expect_leq(b.r.states, a.r.states, "%s: bitstate found more states", f);
	cr_expect_eq(b.r.violated & ~a.r.violated, 0, "%s: bitstate broke a spec that holds", f);
	if (b.r.expected_misses < 1e-3)
		same(&a, &b, "bitstate", f);
	fl_test_run_fini(&b);
	fl_test_run_fini(&a);
}

/* A memory limit the exact store cannot stay within: BFS goes on with fingerprints, says so,
 * and reaches the plain run's figures and verdicts. */
Test(parallel, memory_limit_falls_back_to_fingerprints)
{
	const char *f = "scenarios/active-active/f3-queue.yaml";
	struct fl_search_opts plain = {.mode = FL_BFS};
	struct fl_search_opts tight = {.mode = FL_BFS, .max_memory = 12u << 20, .threads = 2};
	struct fl_test_run a, b;
	fl_test_check(f, NULL, &plain, &a);
	fl_test_check(f, NULL, &tight, &b);
	cr_assert(a.r.complete);
	cr_expect_gt(b.r.fallback_at[0], 0, "the exact store fit in 12 MiB");
	cr_expect_eq(b.r.storage, FL_STORAGE_FINGERPRINT);
	same(&a, &b, "fallback", f);
	cr_expect_leq(b.r.store_bytes, tight.max_memory);
	fl_test_run_fini(&a);
	fl_test_run_fini(&b);
}

/* With --no-fallback the same limit ends the run as incomplete, as a DFS one does. */
Test(parallel, no_fallback_stops_at_the_limit)
{
	struct fl_search_opts o = {.mode = FL_BFS, .max_memory = 12u << 20, .no_fallback = 1};
	struct fl_test_run t;
	fl_test_check("scenarios/active-active/f3-queue.yaml", NULL, &o, &t);
	cr_expect(!t.r.complete);
	cr_expect_eq(t.r.storage, FL_STORAGE_EXACT);
	cr_expect_eq(t.r.fallback_at[0], 0);
	cr_expect(strstr(t.r.stop_reason, "--max-memory"), "%s", t.r.stop_reason);
	fl_test_run_fini(&t);
}

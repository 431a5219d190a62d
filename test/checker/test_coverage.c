/*
 * test_coverage.c - coverage warnings (checker/coverage.c) and reachable specs
 * (specs/reachable.c): what a search never saw, and situations some run must reach.
 */
#include "../../checker/coverage.h"
#include "../../model/model.h"
#include "../../specs/specs.h"
#include "../support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GAPS "scenarios/test/coverage-gaps.yaml"
#define ONE_QUEUE "scenarios/test/one-queue.yaml"

struct texts {
	char all[4096];
	int n[3];
};

static void collect(void *ctx, const struct fl_cov_warning *w)
{
	struct texts *t = ctx;
	t->n[w->type]++;
	snprintf(t->all + strlen(t->all), sizeof t->all - strlen(t->all), "%s\n", w->text);
}

static int warnings(const struct fl_test_run *t, struct texts *out)
{
	*out = (struct texts){{0}, {0}};
	return fl_coverage_warnings(&t->s, &t->r, collect, out);
}

static void has(const char *text, const char *want)
{
	cr_expect_not_null(strstr(text, want), "warnings should contain '%s':\n%s", want, text);
}

/* The fixture leaves out, on purpose, one action, two script phases, two faults, one spec. */
Test(coverage, gaps_are_reported)
{
	struct fl_test_run t;
	struct texts w;
	fl_test_check(GAPS, NULL, NULL, &t);
	cr_assert(t.r.complete);
	cr_expect_eq(t.r.coverage, FL_COVER_ALL);
	cr_expect_eq(warnings(&t, &w), 6, "%s", w.all);
	cr_expect_eq(w.n[FL_COV_ACTION], 3);
	cr_expect_eq(w.n[FL_COV_FAULT], 2);
	cr_expect_eq(w.n[FL_COV_SPEC], 1);
	has(w.all, "source: replay was never enabled");
	has(w.all, "script: phase 3 (settle) was never enabled");
	has(w.all, "spare[1]: fault lose-data never happened");
	has(w.all, "spare[1]: fault lost-response never happened");
	has(w.all, "data-loss never saw a fault destroy data: it holds vacuously");
	fl_test_run_fini(&t);
}

/* Once a record can be lost (the queue may lose its data), replay and data-loss are covered. */
Test(coverage, gaps_close_when_the_fault_can_strike)
{
	struct fl_test_run t;
	struct texts w;
	const char *const sets[] = {"faults.allow=[{component: queue, faults: [lose-data]}]",
				    "specs=[no-duplicates]", "expect={}", NULL};
	fl_test_check(GAPS, sets, NULL, &t);
	cr_assert(t.r.complete);
	warnings(&t, &w);
	cr_expect_null(strstr(w.all, "replay"), "%s", w.all);
	cr_expect_null(strstr(w.all, "lose-data"), "%s", w.all);
	cr_expect_eq(w.n[FL_COV_FAULT], 0, "%s", w.all);
	fl_test_run_fini(&t);
}

Test(coverage, clean_scenario_has_no_warnings)
{
	struct fl_test_run t;
	struct texts w;
	fl_test_check(ONE_QUEUE, NULL, NULL, &t);
	cr_expect_eq(warnings(&t, &w), 0, "%s", w.all);
	fl_test_run_fini(&t);
}

/* An exhaustive search stopped by a limit has no coverage; random walks have sampled coverage. */
Test(coverage, scope)
{
	struct fl_test_run t;
	struct texts w;
	struct fl_search_opts o = {.mode = FL_BFS, .max_states = 2};
	fl_test_check(GAPS, NULL, &o, &t);
	cr_expect(!t.r.complete);
	cr_expect_eq(t.r.coverage, FL_COVER_NONE);
	cr_expect_eq(warnings(&t, &w), 0);
	fl_test_run_fini(&t);
	struct fl_search_opts rw = {.mode = FL_RANDOM, .seed = 1, .walks = 20, .depth = 50};
	fl_test_check(GAPS, NULL, &rw, &t);
	cr_expect_eq(t.r.coverage, FL_COVER_SAMPLED);
	cr_expect_eq(warnings(&t, &w), 6, "%s", w.all);
	fl_test_run_fini(&t);
}

/* --- reachable -------------------------------------------------------------------------- */

Test(reachable, when_reached_with_a_witness)
{
	struct fl_test_run t;
	const char *const sets[] = {"specs=[{reachable: {when: destination.received >= 1}}]",
				    "expect={}", NULL};
	fl_test_check(ONE_QUEUE, sets, NULL, &t);
	cr_expect(fl_test_violated(&t, "reachable"));
	cr_expect(t.r.decided);
	int i = fl_test_spec(&t, "reachable");
	cr_expect_eq(t.tr[i].n, 3, "publish, send, receive: %d steps", t.tr[i].n);
	cr_expect_str_eq(fl_test_why(&t, "reachable"),
			 "destination.received >= 1 holds after this step (it is 1).");
	fl_test_run_fini(&t);
}

Test(reachable, when_unreachable)
{
	struct fl_test_run t;
	const char *const sets[] = {"specs=[{reachable: {when: destination.received >= 2}}]",
				    "expect={}", NULL};
	fl_test_check(ONE_QUEUE, sets, NULL, &t);
	cr_expect(t.r.complete);
	cr_expect(!fl_test_violated(&t, "reachable"));
	fl_test_run_fini(&t);
}

/* breaks: runs the inner monitor with its options in the reachable spec's slot. */
Test(reachable, breaks_a_safety_spec)
{
	struct fl_test_run t;
	const char *const dest[] = {"stage.idempotency=skip-write", NULL};
	fl_test_check_variant("scenarios/lessons/5-duplicates.yaml", "", dest, NULL, &t);
	cr_expect(fl_test_violated(&t, "reachable"));
	cr_expect(!fl_test_violated(&t, "no-duplicates"), "no duplicate write with skip-write");
	cr_expect_str_eq(fl_test_why(&t, "reachable"), "record 1 reached the destination a second time.");
	fl_test_run_fini(&t);
	const char *const writes[] = {
		"stage.idempotency=skip-write",
		"specs=[{reachable: {breaks: {no-duplicates: {scope: writes}}}}]", "expect={}", NULL};
	fl_test_check_variant("scenarios/lessons/5-duplicates.yaml", "", writes, NULL, &t);
	cr_expect(t.r.complete);
	cr_expect(!fl_test_violated(&t, "reachable"), "skip-write never writes twice");
	fl_test_run_fini(&t);
}

/* Bad configurations: where, and what is wrong. */
static void load_error(const char *spec, const char *needle, int offset, const char *want)
{
	char *text = fl_test_read_file(ONE_QUEUE);
	text = fl_test_replace(text, "specs: [delivery, no-duplicates, ordering]", spec);
	text = fl_test_replace(text, "expect: {delivery: holds, no-duplicates: holds, ordering: holds}",
			       "");
	char path[64];
	fl_test_write_temp(text, path);
	int line, col;
	fl_test_position(text, needle, offset, &line, &col);
	struct fl_sys s;
	struct fl_err e = {0};
	struct fl_scn_opts o = {0};
	int rc = fl_scn_load(path, &o, fl_kinds, fl_spec_kinds, &s, &e);
	unlink(path);
	free(text);
	cr_assert_eq(rc, FL_EINPUT, "%s should not load", spec);
	char at[96];
	snprintf(at, sizeof at, "%s:%d:%d: ", path, line, col);
	cr_expect(strncmp(e.msg, at, strlen(at)) == 0, "'%s' should start with '%s'", e.msg, at);
	cr_expect_not_null(strstr(e.msg, want), "'%s' should say '%s'", e.msg, want);
}

Test(reachable, bad_configurations)
{
	load_error("specs: [{reachable: {when: destination.recieved >= 1}}]", "destination.recieved", 0,
		   "a destination has no metric 'recieved' (did you mean 'received'?)");
	load_error("specs: [{reachable: {}}]", "reachable: {}", 0, "spec 'reachable' needs options");
	load_error("specs: [reachable]", "reachable", 0, "spec 'reachable' needs options");
	load_error("specs: [{reachable: {when: x >= 1, breaks: ordering}}]", "when: x", 0,
		   "reachable needs one of when: CONDITION");
	load_error("specs: [{reachable: {breaks: delivery}}]", "delivery", 0,
		   "breaks: 'delivery' is not a safety spec");
	load_error("specs: [{reachable: {breaks: {no-duplicates: {scope: every}}}}]", "every", 0,
		   "'scope' cannot be 'every'");
	load_error("specs: [{reachable: {when: destination.received >= 1}}]\nexpect: {reachable: holds}",
		   "holds", 0, "cannot be 'holds'");
	load_error("specs: [{reachable: {when: destination.received >= 1}}, "
		   "{reachable: {breaks: ordering}}]", "reachable: {breaks", 0,
		   "at most one reachable spec");
}

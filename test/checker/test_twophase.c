/*
 * test_twophase.c - known answers for the core: TwoPhase.tla built by hand (test/twophase.c)
 * must give TLC's published distinct-state counts with BFS, DFS and any thread count, hold
 * TCConsistent, and a broken TM (commit without every Prepared) must break it with a trace
 * that replays.
 */
#include "../support.h"
#include "../twophase.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tp_run {
	struct fl_sys s;
	struct fl_store st;
	struct fl_result r;
};

static void tp_run(struct tp_run *t, int n, unsigned flags, enum fl_search_mode mode, int threads)
{
	struct fl_err e = {0};
	cr_assert_eq(twophase_sys_variant(&t->s, n, flags, &e), FL_OK, "%s", e.msg);
	struct fl_search_opts so = {.mode = mode, .threads = threads};
	cr_assert_eq(fl_search_run(&t->s, &so, &t->st, &t->r, &e), FL_OK, "%s", e.msg);
}

static void tp_fini(struct tp_run *t)
{
	fl_result_fini(&t->r);
	fl_store_fini(&t->st);
	fl_sys_free(&t->s);
}

/* Explores n = 3..6 and checks every count; returns the transitions of each n (index n). */
static void known_counts(enum fl_search_mode mode, int threads, size_t transitions[7])
{
	for (int n = 3; n <= 6; n++) {
		struct tp_run t;
		tp_run(&t, n, 0, mode, threads);
		cr_expect_eq(t.r.states, twophase_expected_states(n), "n=%d: %zu states, expected %zu",
			     n, t.r.states, twophase_expected_states(n));
		cr_expect(t.r.complete, "n=%d: %s", n, t.r.stop_reason);
		cr_expect_eq(t.r.violated, 0, "n=%d: consistent violated: %s", n,
			     t.r.viol[0].why ? t.r.viol[0].why : "");
		transitions[n] = t.r.transitions;
		tp_fini(&t);
	}
}

Test(twophase, slice_is_bit_packed)
{
	static const size_t bytes[] = {0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6};
	for (int n = 1; n <= 10; n++) {
		struct fl_sys s;
		struct fl_err e = {0};
		cr_assert_eq(twophase_sys(&s, n, &e), FL_OK, "%s", e.msg);
		cr_expect_eq(s.inst[0].size, bytes[n], "n=%d: %zu bytes", n, s.inst[0].size);
		cr_expect_eq(s.width, FL_HDR_SIZE + bytes[n]);
		fl_sys_free(&s);
	}
}

Test(twophase, published_counts_bfs_and_dfs)
{
	size_t bfs[7], dfs[7];
	known_counts(FL_BFS, 0, bfs);
	known_counts(FL_DFS, 0, dfs);
	for (int n = 3; n <= 6; n++)
		cr_expect_eq(bfs[n], dfs[n], "n=%d: BFS %zu transitions, DFS %zu", n, bfs[n], dfs[n]);
}

Test(twophase, published_counts_two_threads)
{
	size_t one[7], two[7];
	known_counts(FL_BFS, 1, one);
	known_counts(FL_BFS, 2, two);
	for (int n = 3; n <= 6; n++)
		cr_expect_eq(one[n], two[n], "n=%d: 1 thread %zu transitions, 2 threads %zu", n,
			     one[n], two[n]);
}

static char *printed(const struct fl_sys *s, const struct fl_trace *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	fl_trace_print(f, s, t);
	fclose(f);
	return text;
}

/* Builds the trace of the "consistent" violation, replays it and returns its length. */
static int broken_trace(enum fl_search_mode mode)
{
	struct tp_run t;
	tp_run(&t, 3, TWOPHASE_BROKEN_COMMIT, mode, 0);
	cr_assert_eq(t.r.violated, 1u, "the broken TM must break consistent");
	cr_assert(t.r.viol[0].found);
	struct fl_trace tr = {0};
	struct fl_err e = {0};
	cr_assert_eq(fl_trace_build(&t.s, &t.st, &t.r.viol[0], 0, &tr), FL_OK);
	struct fl_buf why = {0};
	cr_expect_eq(fl_trace_check(&t.s, &tr, &why, &e), FL_OK, "%s", e.msg);
	cr_expect_not_null(strstr(fl_buf_str(&why), "committed while RM"), "%s", fl_buf_str(&why));
	char *text = printed(&t.s, &tr);
	cr_expect_not_null(strstr(text, "TMCommit"), "%s", text);
	cr_expect_not_null(strstr(text, "tm committed"), "%s", text);
	free(text);
	int n = tr.n;
	fl_buf_fini(&why);
	fl_trace_fini(&tr);
	tp_fini(&t);
	return n;
}

Test(twophase, commit_without_every_prepared_breaks_consistent)
{
	/* Shortest: TMCommit, one RM receives Commit, another chooses to abort. */
	cr_expect_eq(broken_trace(FL_BFS), 3);
	cr_expect_geq(broken_trace(FL_DFS), 3);
}

Test(twophase, bad_sizes_and_failed_allocations)
{
	struct fl_sys s;
	struct fl_err e = {0};
	cr_expect_eq(twophase_sys(&s, 0, &e), FL_EINPUT);
	cr_expect_eq(twophase_sys(&s, TWOPHASE_MAX_RM + 1, &e), FL_EINPUT);
	for (long k = 1;; k++) {
		e = (struct fl_err){0};
		fl_alloc_fail_at(k);
		int rc = twophase_sys(&s, 3, &e);
		fl_alloc_fail_at(0);
		if (rc == FL_OK) {
			fl_sys_free(&s);
			cr_expect_gt(k, 1);
			break;
		}
		cr_expect_eq(rc, FL_ENOMEM, "allocation %ld", k);
	}
	fl_test_no_leaks();
}

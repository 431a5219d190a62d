/*
 * test_trace.c - counterexamples for people and machines: the explanation, lanes and the
 * breaking-step mark of the text; the JSON format of docs/trace-format.md; following a saved
 * trace (replay.h) and every way it can part from the scenario.
 */
#include "../../checker/replay.h"
#include "../support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LESSON2 "scenarios/lessons/2-step-order.yaml"

/* Lesson 2's remove-before-write: correctness breaks in 4 steps, delivery at rest later. */
static void lesson2(struct fl_test_run *t, const char *variant)
{
	fl_test_check_variant(LESSON2, variant, NULL, NULL, t);
}

static char *printed(const struct fl_sys *s, const struct fl_trace *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	fl_trace_print(f, s, t);
	fclose(f);
	return text;
}

static char *explained(const struct fl_sys *s, const struct fl_trace *t)
{
	struct fl_buf b = {0};
	fl_trace_explain(s, t, &b);
	char *text = strdup(fl_buf_str(&b));
	fl_buf_fini(&b);
	return text;
}

Test(trace, explanation_follows_the_named_record)
{
	struct fl_test_run t;
	lesson2(&t, "remove-before-write");
	int c = fl_test_spec(&t, "correctness"), d = fl_test_spec(&t, "delivery");
	char *x = explained(&t.s, &t.tr[c]);
	cr_expect_str_eq(x, "Record 1: source publishes record 1 via in-dns to in-queue[1] (step 2); "
			    "stage[1] reads record 1 from in-queue[1] (step 3); stage[1] removes record 1 "
			    "from in-queue[1] (step 4). Step 4 breaks correctness: stage[1] removed record "
			    "1 from in-queue[1] before storing it in stage-table (region 1).");
	free(x);
	x = explained(&t.s, &t.tr[d]);
	cr_expect_not_null(strstr(x, "Record 2: "), "%s", x);
	cr_expect_null(strstr(x, "record 1"), "only the named record's steps: %s", x);
	cr_expect_not_null(strstr(x, "then a fault strikes: stage[1] crash, transient (step 13); "
				     "stage[1] recovers (step 14). After step 14 nothing more can happen"),
			   "%s", x);
	free(x);
	fl_test_run_fini(&t);
}

Test(trace, text_has_lanes_and_marks_the_breaking_step)
{
	struct fl_test_run t;
	lesson2(&t, "remove-before-write");
	int c = fl_test_spec(&t, "correctness");
	char *text = printed(&t.s, &t.tr[c]);
	cr_expect_not_null(strstr(text, "  lanes:  a source  b in-queue[1]  c stage[1]  d script\n"), "%s", text);
	cr_expect_not_null(strstr(text, "    4. .o*.  stage[1]: removes record 1 from in-queue[1]\n"
					"        in-queue[1]: up, [1] -> up, []\n"), "%s", text);
	cr_expect_not_null(strstr(text, "        <== this step breaks correctness\n"), "%s", text);
	cr_expect_not_null(strstr(text, "\n  In short: Record 1: "), "%s", text);
	free(text);
	fl_test_run_fini(&t);
}

/* A fault is an X in its target's lane, the instance's way back a +; a spec monitor's state
 * change is shown as [spec]. */
Test(trace, text_marks_faults_and_monitor_state)
{
	struct fl_test_run t;
	lesson2(&t, "remove-before-write");
	char *text = printed(&t.s, &t.tr[fl_test_spec(&t, "delivery")]);
	cr_expect_not_null(strstr(text, "   13. ..X....  !! FAULT stage[1]: crash, transient\n"), "%s", text);
	cr_expect_not_null(strstr(text, "   14. ..+....  ++ stage[1]: recovers\n"), "%s", text);
	free(text);
	fl_test_run_fini(&t);
	fl_test_check("scenarios/lessons/4-ordering.yaml", NULL, NULL, &t);
	text = printed(&t.s, &t.tr[fl_test_spec(&t, "ordering")]);
	cr_expect_not_null(strstr(text, "[ordering]: nothing delivered -> highest record delivered: 2\n"),
			   "%s", text);
	free(text);
	fl_test_run_fini(&t);
}

/* ---- the JSON format ---------------------------------------------------------------------- */

/* noinline: gcc's -Wdangling-pointer otherwise mistakes the memstream buffer for a local. */
__attribute__((noinline)) static char *trace_json(const struct fl_sys *s, const struct fl_scn_opts *so,
			const struct fl_trace *t, char path[64])
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct fl_json j;
	fl_json_init(&j, f);
	fl_trace_json(&j, s, so, t);
	fclose(f);
	if (path)
		fl_test_write_temp(text, path);
	return text;
}

static void want_key(const struct fl_node *obj, const char *key, int type, const char *where)
{
	const struct fl_node *n = fl_doc_get(obj, key);
	cr_assert_not_null(n, "%s: no \"%s\"", where, key);
	if (type >= 0)
		cr_expect_eq((int)n->type, type, "%s: \"%s\" has the wrong type", where, key);
}

/* Every key docs/trace-format.md lists, with its type. */
Test(trace, json_has_every_documented_key)
{
	struct fl_test_run t;
	lesson2(&t, "remove-before-write");
	const char *sets[] = {"records.per_batch=2"};
	struct fl_scn_opts so = {sets, 1, NULL, 0, "remove-before-write"};
	char path[64];
	free(trace_json(&t.s, &so, &t.tr[fl_test_spec(&t, "delivery")], path));
	struct fl_doc d;
	struct fl_err e = {0};
	cr_assert_eq(fl_doc_load(&d, path, &e), FL_OK, "%s", e.msg);
	unlink(path);
	const struct fl_node *r = d.root;
	static const char *const scalars[] = {"format", "version", "file", "scenario", "variant",
		"state_vector_bytes", "spec", "why", "explanation", "ends_at_rest", "loop_start",
		"minimized_from", "initial_state", NULL};
	for (int i = 0; scalars[i]; i++)
		want_key(r, scalars[i], FL_NODE_SCALAR, "trace");
	want_key(r, "sets", FL_NODE_SEQ, "trace");
	want_key(r, "only_specs", FL_NODE_SEQ, "trace");
	want_key(r, "steps", FL_NODE_SEQ, "trace");
	cr_expect_str_eq(fl_doc_get(r, "format")->str, "faultline-trace");
	cr_expect_str_eq(fl_doc_get(r, "variant")->str, "remove-before-write");
	cr_expect_str_eq(fl_doc_get(r, "sets")->child->str, "records.per_batch=2");
	cr_expect_str_eq(fl_doc_get(r, "ends_at_rest")->str, "true");
	cr_expect_eq(fl_doc_len(fl_doc_get(r, "steps")), 14);
	cr_expect_eq(strlen(fl_doc_get(r, "initial_state")->str), 2 * t.s.width);
	static const char *const step_keys[] = {"n", "class", "component", "action", "breaks",
						"state", NULL};
	static const char *const raw_keys[] = {"inst", "target", "cls", "action", "arg", "fault",
					       "farg", NULL};
	for (const struct fl_node *x = fl_doc_get(r, "steps")->child; x; x = x->next) {
		for (int i = 0; step_keys[i]; i++)
			want_key(x, step_keys[i], FL_NODE_SCALAR, "step");
		want_key(x, "changes", FL_NODE_SEQ, "step");
		want_key(x, "raw", FL_NODE_MAP, "step");
		for (int i = 0; raw_keys[i]; i++)
			want_key(fl_doc_get(x, "raw"), raw_keys[i], FL_NODE_SCALAR, "raw");
		for (const struct fl_node *c = fl_doc_get(x, "changes")->child; c; c = c->next) {
			want_key(c, "component", FL_NODE_SCALAR, "change");
			want_key(c, "before", FL_NODE_SCALAR, "change");
			want_key(c, "after", FL_NODE_SCALAR, "change");
		}
	}
	cr_expect_str_eq(fl_doc_get(fl_doc_get(r, "steps")->child->next->next->next->next->next->next->next->next->next->next->next->next, "class")->str,
			 "fault", "step 13 is the crash");
	fl_doc_free(&d);
	fl_test_run_fini(&t);
}

/* ---- following a saved trace -------------------------------------------------------------- */

/* Follows the JSON text on s; returns the code, e receives the message. */
static int follow_text(const struct fl_sys *s, const char *text, struct fl_err *e)
{
	char path[64];
	fl_test_write_temp(text, path);
	struct fl_replay_file f;
	int rc = fl_replay_read(path, &f, e);
	unlink(path);
	if (rc != FL_OK)
		return rc;
	struct fl_trace back = {0};
	rc = fl_replay_follow(s, &f.t[0], &back, e);
	fl_trace_fini(&back);
	fl_replay_free(&f);
	return rc;
}

Test(trace, replay_reports_a_step_that_now_does_something_else)
{
	struct fl_test_run t;
	lesson2(&t, "remove-before-write");
	struct fl_scn_opts so = {NULL, 0, NULL, 0, "remove-before-write"};
	char *j = trace_json(&t.s, &so, &t.tr[fl_test_spec(&t, "correctness")], NULL);
	j = fl_test_replace(j, "\"action\":\"removes record 1 from in-queue[1]\"",
			    "\"action\":\"removes record 9 from in-queue[1]\"");
	struct fl_err e = {0};
	cr_expect_eq(follow_text(&t.s, j, &e), FL_EINPUT);
	cr_expect_not_null(strstr(e.msg, "step 4 diverges: the trace says stage[1] \"removes record 9 "
					 "from in-queue[1]\"; the model now says \"removes record 1 from "
					 "in-queue[1]\""), "%s", e.msg);
	free(j);
	fl_test_run_fini(&t);
}

Test(trace, replay_reports_the_first_state_that_differs)
{
	struct fl_test_run t;
	lesson2(&t, "remove-before-write");
	int c = fl_test_spec(&t, "correctness");
	struct fl_scn_opts so = {NULL, 0, NULL, 0, "remove-before-write"};
	char *j = trace_json(&t.s, &so, &t.tr[c], NULL);
	/* Step 2's state, with in-queue[1]'s slice changed: find its recorded hex and flip a byte. */
	char *n2 = strstr(j, "{\"n\":2,");
	cr_assert_not_null(n2);
	char *st = strstr(n2, "\"state\":\"") + 9;
	const struct fl_inst *q = &t.s.inst[fl_sys_find_comp(&t.s, "in-queue")];
	st[2 * q->off + 2 * q->size - 1] = st[2 * q->off + 2 * q->size - 1] == '7' ? '8' : '7';
	struct fl_err e = {0};
	cr_expect_eq(follow_text(&t.s, j, &e), FL_EINPUT);
	cr_expect_not_null(strstr(e.msg, "step 2 diverges: in-queue[1] is now \"up, [1]\"; the trace "
					 "recorded \""), "%s", e.msg);
	free(j);
	fl_test_run_fini(&t);
}

/* The trace of one design, followed on the other: the step it needs is not there. */
Test(trace, replay_on_a_changed_design_diverges)
{
	struct fl_test_run bad, good;
	lesson2(&bad, "remove-before-write");
	lesson2(&good, "right-order");
	char *j = trace_json(&bad.s, NULL, &bad.tr[fl_test_spec(&bad, "correctness")], NULL);
	struct fl_err e = {0};
	cr_expect_eq(follow_text(&good.s, j, &e), FL_EINPUT);
	cr_expect_not_null(strstr(e.msg, "step 4 diverges: stage[1] cannot \"removes record 1 from "
					 "in-queue[1]\" here (the step is not enabled); it can now: "
					 "\"writes record 1 to stage-table (region 1)\""), "%s", e.msg);
	free(j);
	fl_test_run_fini(&bad);
	fl_test_run_fini(&good);
}

/* Every step matches, but the end no longer breaks the spec: the file claims a violation at
 * rest and the system is not at rest after its steps. */
Test(trace, replay_reports_an_end_that_no_longer_breaks)
{
	struct fl_test_run t;
	lesson2(&t, "remove-before-write");
	char *j = trace_json(&t.s, NULL, &t.tr[fl_test_spec(&t, "correctness")], NULL);
	j = fl_test_replace(j, "\"ends_at_rest\":false", "\"ends_at_rest\":true");
	struct fl_err e = {0};
	cr_expect_eq(follow_text(&t.s, j, &e), FL_EINPUT);
	cr_expect_not_null(strstr(e.msg, "every step matches, but at the end the spec is not broken "
					 "as recorded: violated earlier than its end (step 4)"), "%s", e.msg);
	free(j);
	fl_test_run_fini(&t);
}

Test(trace, replay_rejects_files_that_are_not_traces)
{
	static const char *const bad[][2] = {
		{"{\"steps\": [], \"format\": \"other\", \"spec\": \"x\"}", "1:26: not a faultline trace (format 'other')"},
		{"{\"steps\": []}", "1:3: a trace needs its \"spec\""},
		{"{\"version\": 2, \"steps\": [], \"spec\": \"x\"}", "1:13: trace format version 2; this faultline reads version 1"},
		{"{\"traces\": 3}", "1:12: traces should be a list"},
		{"{\"hello\": 1}", "1:3: not a faultline trace: expected \"steps\", \"traces\" or \"variants\""},
		{"{\"traces\": []}", "the file holds no trace"},
		{"{\"steps\": [", "1:"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char path[64];
		fl_test_write_temp(bad[i][0], path);
		struct fl_replay_file f;
		struct fl_err e = {0};
		cr_expect_eq(fl_replay_read(path, &f, &e), FL_EINPUT, "%s", bad[i][0]);
		cr_expect_not_null(strstr(e.msg, bad[i][1]), "%s: %s", bad[i][0], e.msg);
		unlink(path);
	}
	struct fl_replay_file f;
	struct fl_err e = {0};
	cr_expect_eq(fl_replay_read("/nonexistent/t.json", &f, &e), FL_EINPUT);
	cr_expect_str_eq(e.msg, "/nonexistent/t.json: cannot open the trace file");
}

/* A raw field out of range is an input error with its position, not a crash. */
Test(trace, replay_rejects_a_raw_step_out_of_range)
{
	struct fl_test_run t;
	lesson2(&t, "remove-before-write");
	char *j = trace_json(&t.s, NULL, &t.tr[fl_test_spec(&t, "correctness")], NULL);
	j = fl_test_replace(j, "\"raw\":{\"inst\":11", "\"raw\":{\"inst\":999");
	struct fl_err e = {0};
	cr_expect_eq(follow_text(&t.s, j, &e), FL_EINPUT);
	cr_expect_not_null(strstr(e.msg, "999"), "%s", e.msg);
	free(j);
	fl_test_run_fini(&t);
}

/* --minimize on a DFS trace: shorter, still replays, says how much went. */
Test(trace, minimize_keeps_the_violation)
{
	struct fl_search_opts dfs = {.mode = FL_DFS};
	struct fl_test_run t;
	fl_test_check_variant(LESSON2, "remove-before-write", NULL, &dfs, &t);
	struct fl_trace *c = &t.tr[fl_test_spec(&t, "correctness")];
	int before = c->n;
	struct fl_err e = {0};
	cr_assert_eq(fl_trace_minimize(&t.s, c, &e), FL_OK, "%s", e.msg);
	cr_expect_lt(c->n, before, "DFS's %d steps", before);
	cr_expect_eq(c->minimized_from, before);
	cr_expect_eq(fl_trace_replay(&t.s, c, &e), FL_OK, "%s", e.msg);
	char *text = printed(&t.s, c);
	char want[96];
	snprintf(want, sizeof want, "%d steps (minimised from %d: %d removed):", c->n, before, before - c->n);
	cr_expect_not_null(strstr(text, want), "%s", text);
	free(text);
	fl_test_run_fini(&t);
}

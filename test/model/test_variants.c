/*
 * test_variants.c - design variants of the components, compared on one small scenario
 * (scenarios/test/one-stage.yaml: one container stage, two regions, any one fault anywhere).
 * Each expectation is a finding of the seeds: the checker must make it, for the reason given.
 */
#include "../support.h"

#include <criterion/criterion.h>
#include <string.h>

#define ONE_STAGE "scenarios/test/one-stage.yaml"

static void check(const char *const *sets, struct fl_test_run *t)
{
	fl_test_check(ONE_STAGE, sets, NULL, t);
	cr_assert(t->r.decided, "%s", t->r.stop_reason);
}

/* Default (write, publish, remove; skip-write): nothing lost, but a duplicate at the edge. */
Test(variants, default_container)
{
	struct fl_test_run t;
	check(NULL, &t);
	cr_expect(!fl_test_violated(&t, "correctness"));
	cr_expect(!fl_test_violated(&t, "delivery"));
	cr_expect(fl_test_violated(&t, "no-duplicates"));
	fl_test_run_fini(&t);
}

/* Removing before persisting is a correctness failure (seed 002, learning 2.1). */
Test(variants, remove_first_breaks_correctness)
{
	const char *sets[] = {"stage.order=[remove, write, publish]", NULL};
	struct fl_test_run t;
	check(sets, &t);
	cr_expect(fl_test_violated(&t, "correctness"));
	cr_expect(strstr(fl_test_why(&t, "correctness"), "before storing it"), "%s", fl_test_why(&t, "correctness"));
	/* and a crash right after the remove loses the record */
	cr_expect(fl_test_violated(&t, "delivery"));
	fl_test_run_fini(&t);
}

/* Removing before publishing is a liveness failure: a crash in between loses the record
 * downstream (seed 002, learning 2.2), while correctness still holds. */
Test(variants, remove_before_publish_loses_records)
{
	const char *sets[] = {"stage.order=[write, remove, publish]", NULL};
	struct fl_test_run t;
	check(sets, &t);
	cr_expect(!fl_test_violated(&t, "correctness"));
	cr_expect(fl_test_violated(&t, "delivery"));
	cr_expect(strstr(fl_test_why(&t, "delivery"), "never reached the destination"), "%s", fl_test_why(&t, "delivery"));
	fl_test_run_fini(&t);
}

/* Skipping a record already in the table loses it when the first attempt crashed between the
 * write and the publish: the retry removes it without publishing. */
Test(variants, skip_record_idempotency_loses_records)
{
	const char *sets[] = {"stage.idempotency=skip-record", NULL};
	struct fl_test_run t;
	check(sets, &t);
	cr_expect(fl_test_violated(&t, "delivery"));
	fl_test_run_fini(&t);
}

/* Without idempotency a retried record is written twice: a duplicate at the stage. */
Test(variants, no_idempotency_duplicates_in_the_table)
{
	const char *sets[] = {"stage.idempotency=none", "specs=[delivery, {no-duplicates: {scope: all}}]",
			      "expect={delivery: holds}", NULL};
	struct fl_test_run t;
	check(sets, &t);
	cr_expect(!fl_test_violated(&t, "delivery"));
	cr_expect(fl_test_violated(&t, "no-duplicates"));
	fl_test_run_fini(&t);

	const char *skip[] = {"stage.idempotency=skip-write", "faults.allow=[{component: stage, region: 1}]",
			      "specs=[{no-duplicates: {scope: all}}]", "expect={}", NULL};
	check(skip, &t);
	cr_expect(fl_test_violated(&t, "no-duplicates"), "a crash after publish still republishes");
	cr_expect(!strstr(fl_test_why(&t, "no-duplicates"), "written to"), "skip-write never writes twice: %s",
		  fl_test_why(&t, "no-duplicates"));
	fl_test_run_fini(&t);
}

/* Permanent faults never recover: records behind a failed component are never delivered. */
Test(variants, permanent_faults)
{
	const char *sets[] = {"faults.permanent=true", NULL};
	struct fl_test_run t;
	check(sets, &t);
	cr_expect(fl_test_violated(&t, "delivery"));
	fl_test_run_fini(&t);
}

/* With no faults at all everything holds, and no timeout or fault step is ever taken. */
Test(variants, no_faults_everything_holds)
{
	const char *sets[] = {"faults.max=0", NULL};
	struct fl_test_run t;
	check(sets, &t);
	cr_expect_eq(t.r.violated, 0);
	fl_test_run_fini(&t);
}

/* Round-robin routing (the P model) alternates regions: fewer states than exploring every
 * route, and the same verdicts here. */
Test(variants, round_robin_dns)
{
	const char *rr[] = {"in-dns.policy=round-robin", "faults.max=0", NULL};
	const char *any[] = {"faults.max=0", NULL};
	struct fl_test_run a, b;
	check(rr, &a);
	check(any, &b);
	cr_expect_lt(a.r.states, b.r.states);
	cr_expect_eq(a.r.violated, b.r.violated);
	fl_test_run_fini(&a);
	fl_test_run_fini(&b);
}

/* A region with weight zero gets nothing: every record goes through region 2. */
Test(variants, zero_weight_region)
{
	const char *sets[] = {"in-dns.weights=[0, 1]", "faults.max=0", NULL};
	struct fl_test_run t;
	check(sets, &t);
	cr_expect_eq(t.r.violated, 0);
	fl_test_run_fini(&t);
}

/* A table that blocks writers while out (the P model) instead of rejecting them. */
Test(variants, blocking_table)
{
	const char *sets[] = {"stage-table.on_outage=block", NULL};
	struct fl_test_run t;
	check(sets, &t);
	cr_expect(!fl_test_violated(&t, "delivery"));
	cr_expect(!fl_test_violated(&t, "correctness"));
	fl_test_run_fini(&t);
}

/* on_reject: stop, then a later batch: the stopped batch's records are published first, so
 * "published" (records 1..n) only ever counts records a queue accepted. Regression: the
 * source used to jump to the later batch and count the skipped record as published. */
Test(variants, stop_on_reject_then_later_batch)
{
	const char *sets[] = {"records.batches=2", "source.on_reject=stop",
			      "script=[{fail: \"queue[1]\"}, {publish: 1}, settle, {recover: \"queue[1]\"}, "
			      "{publish: 2}, {await: destination.received >= batch 2}]",
			      NULL};
	struct fl_test_run t;
	fl_test_check("scenarios/test/one-queue.yaml", sets, NULL, &t);
	cr_assert(t.r.complete);
	cr_expect_eq(t.r.violated, 0, "%s", t.r.viol[fl_test_spec(&t, "delivery")].why
						 ? t.r.viol[fl_test_spec(&t, "delivery")].why : "");
	fl_test_run_fini(&t);
}

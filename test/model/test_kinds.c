/*
 * test_kinds.c - the databases, streams, API containers, DNS policies and source options of
 * Workload1 and active-passive, each on a small fixture where the expected verdict follows
 * from the component's semantics (docs/components.md). Every counterexample replays
 * (fl_test_check asserts it).
 */
#include "../support.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#define DB_STAGE "scenarios/test/one-db-stage.yaml"
#define ONE_STAGE "scenarios/test/one-stage.yaml"

static void check(const char *path, const char *const *sets, struct fl_test_run *t)
{
	fl_test_check(path, sets, NULL, t);
	cr_assert(t->r.decided, "%s", t->r.stop_reason);
}

/* --- databases: replication strategy and data loss (seed 002, learning 1) ---------------- */

/* Majority writes: the secondary holds every acknowledged write, so losing the primary loses
 * nothing, and the rebuilt copy catches up. */
Test(kinds, mongo_majority_survives_losing_the_primary)
{
	struct fl_test_run t;
	check(DB_STAGE, NULL, &t);
	cr_expect_eq(t.r.violated, 0, "%s", fl_test_why(&t, "data-loss"));
	fl_test_run_fini(&t);
}

/* Losing the primary and the secondary together loses a write not yet at the tertiary. */
Test(kinds, mongo_majority_loses_two_regions)
{
	const char *sets[] = {"faults.allow=[{component: stage-db, faults: [lose-primary-and-secondary]}]",
			      NULL};
	struct fl_test_run t;
	check(DB_STAGE, sets, &t);
	cr_expect(fl_test_violated(&t, "data-loss"));
	cr_expect(strstr(fl_test_why(&t, "data-loss"), "acknowledged"), "%s", fl_test_why(&t, "data-loss"));
	cr_expect(!fl_test_violated(&t, "correctness"), "the container did nothing wrong");
	fl_test_run_fini(&t);
}

/* Acknowledging after the primary alone loses a write when the primary is lost. */
Test(kinds, mongo_primary_only_loses_a_write)
{
	const char *sets[] = {"stage-db.write_concern=primary", NULL};
	struct fl_test_run t;
	check(DB_STAGE, sets, &t);
	cr_expect(fl_test_violated(&t, "data-loss"));
	cr_expect(fl_test_violated(&t, "delivery"), "the lost record can never reach every copy");
	fl_test_run_fini(&t);
}

/* Aurora and the DynamoDB global table replicate asynchronously: losing the writer (or a
 * region) before replication loses an acknowledged write. */
Test(kinds, async_replication_loses_writes)
{
	const char *aurora[] = {"stage-db.kind=aurora", NULL};
	const char *table[] = {"stage-db.kind=table",
			       "faults.allow=[{component: stage-db, faults: [lose-region]}]", NULL};
	struct fl_test_run t;
	check(DB_STAGE, aurora, &t);
	cr_expect(fl_test_violated(&t, "data-loss"));
	fl_test_run_fini(&t);
	check(DB_STAGE, table, &t);
	cr_expect(fl_test_violated(&t, "data-loss"));
	fl_test_run_fini(&t);
}

/* No loss fault, no loss: outages and paused replication delay copies but lose nothing. */
Test(kinds, outages_lose_nothing)
{
	const char *sets[][3] = {
		{"faults.allow=[{component: stage-db, faults: [outage, replication-pause]}]", NULL},
		{"stage-db.kind=aurora",
		 "faults.allow=[{component: stage-db, faults: [outage, replication-pause]}]"},
		{"stage-db.kind=table",
		 "faults.allow=[{component: stage-db, faults: [outage, replica-outage, replication-pause]}]"},
	};
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		struct fl_test_run t;
		check(DB_STAGE, sets[i], &t);
		cr_expect(!fl_test_violated(&t, "data-loss"), "variant %zu: %s", i, fl_test_why(&t, "data-loss"));
		cr_expect(!fl_test_violated(&t, "delivery"), "variant %zu: %s", i, fl_test_why(&t, "delivery"));
		fl_test_run_fini(&t);
	}
}

/* A switch moves the writer: later writes go to region 2's copy first, and every copy still
 * gets every record. */
Test(kinds, aurora_switch)
{
	const char *sets[] = {"stage-db.kind=aurora", "faults.max=0",
			      "script=[{publish: 1}, {switch: stage-db}, {await: destination.received >= 2}]",
			      NULL};
	struct fl_test_run t;
	check(DB_STAGE, sets, &t);
	cr_expect_eq(t.r.violated, 0);
	fl_test_run_fini(&t);
}

/* --- streams ------------------------------------------------------------------------------ */

/* Kafka with batch 2 and three records: the tail record never fills a batch, so it is never
 * delivered (the P model's batch semantics); with two records everything arrives. */
Test(kinds, kafka_batch_tail_waits)
{
	const char *three[] = {"in-queue.kind=kafka", "in-queue.batch=2", "records.per_batch=3",
			       "regions=1", "faults.max=0", "script=[{publish: 1}]", NULL};
	const char *two[] = {"in-queue.kind=kafka", "in-queue.batch=2", "regions=1", "faults.max=0",
			     NULL};
	struct fl_test_run t;
	check(DB_STAGE, three, &t);
	cr_expect(fl_test_violated(&t, "delivery"));
	cr_expect(strstr(fl_test_why(&t, "delivery"), "record 3"), "%s", fl_test_why(&t, "delivery"));
	fl_test_run_fini(&t);
	check(DB_STAGE, two, &t);
	cr_expect_eq(t.r.violated, 0, "%s", fl_test_why(&t, "delivery"));
	fl_test_run_fini(&t);
}

/* A queue that loses its data loses records (delivery breaks); the source's replay of
 * unconfirmed records repairs it (seed 002, learning 6). */
Test(kinds, lost_queue_data_needs_replay)
{
	const char *lose[] = {"faults.allow=[{component: out-queue, region: 1, faults: [lose-data]}]",
			      NULL};
	const char *replay[] = {"faults.allow=[{component: out-queue, region: 1, faults: [lose-data]}]",
				"source.replay=unconfirmed", NULL};
	struct fl_test_run t;
	check(DB_STAGE, lose, &t);
	cr_expect(fl_test_violated(&t, "delivery"));
	fl_test_run_fini(&t);
	check(DB_STAGE, replay, &t);
	cr_expect(!fl_test_violated(&t, "delivery"), "%s", fl_test_why(&t, "delivery"));
	fl_test_run_fini(&t);
}

/* --- destinations and duplicates (learning 5) -------------------------------------------- */

/* A de-duplicating destination turns the redelivery of one-stage.yaml into one effect. */
Test(kinds, destination_drops_repeats)
{
	const char *sets[] = {"destination.on_repeat=drop", NULL};
	struct fl_test_run t;
	check(ONE_STAGE, NULL, &t);
	cr_expect(fl_test_violated(&t, "no-duplicates"));
	fl_test_run_fini(&t);
	check(ONE_STAGE, sets, &t);
	cr_expect(!fl_test_violated(&t, "no-duplicates"), "%s", fl_test_why(&t, "no-duplicates"));
	cr_expect(!fl_test_violated(&t, "delivery"));
	fl_test_run_fini(&t);
}

/* skip-write stops duplicate writes but not duplicate deliveries; none duplicates writes. */
Test(kinds, duplicate_writes_by_idempotency)
{
	const char *skip[] = {"specs=[{no-duplicates: {scope: writes}}]", "expect={}", NULL};
	const char *none[] = {"specs=[{no-duplicates: {scope: writes}}]", "expect={}",
			      "stage.idempotency=none", NULL};
	struct fl_test_run t;
	check(ONE_STAGE, skip, &t);
	cr_expect(!fl_test_violated(&t, "no-duplicates"), "%s", fl_test_why(&t, "no-duplicates"));
	fl_test_run_fini(&t);
	check(ONE_STAGE, none, &t);
	cr_expect(fl_test_violated(&t, "no-duplicates"));
	cr_expect(strstr(fl_test_why(&t, "no-duplicates"), "written"), "%s", fl_test_why(&t, "no-duplicates"));
	fl_test_run_fini(&t);
}

/* --- routing -------------------------------------------------------------------------------- */

/* One active region (failover DNS in, weighted out) keeps the order; two break it. */
Test(kinds, failover_dns_keeps_order)
{
	const char *one[] = {"in-dns.policy=failover", "faults.max=0", "specs=[ordering, delivery]",
			     "expect={}", NULL};
	const char *two[] = {"faults.max=0", "specs=[ordering, delivery]", "expect={}", NULL};
	struct fl_test_run t;
	check(DB_STAGE, one, &t);
	cr_expect_eq(t.r.violated, 0, "%s", fl_test_why(&t, "ordering"));
	fl_test_run_fini(&t);
	check(DB_STAGE, two, &t);
	cr_expect(fl_test_violated(&t, "ordering"));
	fl_test_run_fini(&t);
}

/* --- API containers: one synchronous chain per record ------------------------------------ */

#define API_CHAIN                                                                                 \
	"components={source: {kind: source, dns: in-dns},"                                        \
	" in-dns: {kind: dns, targets: receiver},"                                                \
	" receiver: {kind: api, database: rdb, next: validator}, rdb: {kind: mongo},"             \
	" validator: {kind: api, database: vdb, next: stream}, vdb: {kind: mongo},"               \
	" stream: {kind: kafka}, out-dns: {kind: dns, targets: stream},"                          \
	" destination: {kind: destination, dns: out-dns}}"

/* A validator failure (or a lost response) makes the source retry the whole chain: the
 * receiver's write is then repeated (skip-write finds it and writes nothing) and the record
 * may reach the stream twice. Everything is still delivered. */
Test(kinds, api_chain_retries)
{
	const char *sets[] = {API_CHAIN, "specs=[delivery, data-loss, no-duplicates]", "expect={}",
			      "faults.allow=[{component: validator, region: 1, faults: [crash]},"
			      " {component: receiver, region: 1, faults: [lost-response]}]",
			      NULL};
	struct fl_test_run t;
	check(DB_STAGE, sets, &t);
	cr_expect(!fl_test_violated(&t, "delivery"), "%s", fl_test_why(&t, "delivery"));
	cr_expect(!fl_test_violated(&t, "data-loss"));
	cr_expect(fl_test_violated(&t, "no-duplicates"), "a lost response re-sends the record");
	fl_test_run_fini(&t);
}

/* Components may be written in any order: a container and a destination listed before the
 * streams and the DNS they read still see the streams' batch size. */
Test(kinds, components_in_any_order)
{
	static const char text[] =
		"name: order\nregions: 2\nrecords: {batches: 1, per_batch: 3}\ncomponents:\n"
		"  destination: {kind: destination, dns: out-dns}\n"
		"  processor: {kind: container, input: in, database: db, output: out}\n"
		"  source: {kind: source, dns: in-dns}\n"
		"  in-dns: {kind: dns, targets: in, policy: failover}\n"
		"  in: {kind: kafka, batch: 2}\n  db: {kind: mongo}\n  out: {kind: kafka}\n"
		"  out-dns: {kind: dns, targets: out}\n"
		"script: [{publish: 1}]\nspecs: [delivery]\n";
	char path[64];
	struct fl_test_run t;
	fl_test_write_temp(text, path);
	fl_test_check(path, NULL, NULL, &t);
	unlink(path);
	cr_expect(t.r.decided, "%s", t.r.stop_reason);
	/* records 1 and 2 go through as one batch; record 3 waits for a second record forever */
	cr_expect(fl_test_violated(&t, "delivery"));
	cr_expect(strstr(fl_test_why(&t, "delivery"), "record 3"), "%s", fl_test_why(&t, "delivery"));
	fl_test_run_fini(&t);
}

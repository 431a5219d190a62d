/*
 * test_cycles.c - the `progress` spec and the fair non-progress cycle search (checker/cycles.c)
 * on tiny systems assembled by hand from test-only kinds, so every state, edge and lasso can
 * be counted on paper:
 *
 *   blinker   toggles 0 <-> 1 forever; no events
 *   worker    counts 0..3, each step publishes (progress); then it has no step
 *   spinner   a normal step that changes nothing (a busy retry: a stutter)
 *   ticker    a TIMEOUT step that toggles 0 <-> 1; no events
 *   pusher    toggles 0 <-> 1 forever, each step publishes (progress)
 *   ring      0 -> 1 -> 2 -> 0; the step 2 -> 0 emits its configured event
 *   fork      0 -> 1 -> 5 and 0 -> 2 -> 3 -> 4 -> 5; then 5 <-> 6 forever; no events
 *   gated     one publishing step, enabled only while the blinker is 0
 *   saboteur  a FAULT step (charged to the budget) that sets its byte
 *   counter   counts 0..1999 with no events (for the deadline)
 *
 * A state vector is the fault header, then one byte per instance (two for the counter).
 */
#include "../../checker/cycles.h"
#include "../../model/model.h"
#include "../../specs/specs.h"
#include "../support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- test kinds ------------------------------------------------------------------------- */

static uint8_t *byte_of(const struct fl_sys *s, const uint8_t *v, int self)
{
	return (uint8_t *)(uintptr_t)(v + s->inst[self].off);
}

static int one_step(int self, int cls, struct fl_step *out, int max)
{
	if (max < 1)
		return FL_EINTERNAL;
	out[0] = (struct fl_step){.inst = (uint16_t)self, .cls = (uint8_t)cls};
	return 1;
}

static void describe_byte(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	fl_buf_printf(b, "%d", *byte_of(s, v, self));
}

static int toggle_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out,
			int max)
{
	(void)s, (void)v;
	return one_step(self, FL_NORMAL, out, max);
}

static int toggle_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
			struct fl_events *ev)
{
	(void)ev;
	*byte_of(s, v, st->inst) ^= 1;
	return FL_OK;
}

static void toggle_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
			struct fl_buf *b)
{
	(void)s, (void)v, (void)st;
	fl_buf_puts(b, "toggles");
}

static const struct fl_kind blinker_kind = {
	.name = "blinker", .steps = toggle_steps, .apply = toggle_apply,
	.describe = describe_byte, .step_name = toggle_name,
};

static int worker_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out,
			int max)
{
	return *byte_of(s, v, self) < 3 ? one_step(self, FL_NORMAL, out, max) : 0;
}

static int worker_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
			struct fl_events *ev)
{
	uint8_t *x = byte_of(s, v, st->inst);
	++*x;
	fl_event_add(ev, EV_PUBLISH, FL_ANY, st->inst, *x, 0);
	return FL_OK;
}

static void worker_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
			struct fl_buf *b)
{
	fl_buf_printf(b, "counts to %d", *byte_of(s, v, st->inst) + 1);
}

static const struct fl_kind worker_kind = {
	.name = "worker", .steps = worker_steps, .apply = worker_apply,
	.describe = describe_byte, .step_name = worker_name,
};

static int spinner_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
			 struct fl_events *ev)
{
	(void)s, (void)v, (void)st, (void)ev;
	return FL_OK;
}

static void spinner_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
			 struct fl_buf *b)
{
	(void)s, (void)v, (void)st;
	fl_buf_puts(b, "retries, in vain");
}

static const struct fl_kind spinner_kind = {
	.name = "spinner", .steps = toggle_steps, .apply = spinner_apply,
	.describe = describe_byte, .step_name = spinner_name,
};

static int ticker_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out,
			int max)
{
	(void)s, (void)v;
	return one_step(self, FL_TIMEOUT, out, max);
}

static const struct fl_kind ticker_kind = {
	.name = "ticker", .steps = ticker_steps, .apply = toggle_apply,
	.describe = describe_byte, .step_name = toggle_name,
};

static int pusher_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
			struct fl_events *ev)
{
	*byte_of(s, v, st->inst) ^= 1;
	fl_event_add(ev, EV_PUBLISH, FL_ANY, st->inst, 1, 0);
	return FL_OK;
}

static const struct fl_kind pusher_kind = {
	.name = "pusher", .steps = toggle_steps, .apply = pusher_apply,
	.describe = describe_byte, .step_name = toggle_name,
};

struct ring_conf {
	int type, other; /* the event of the step 2 -> 0 (type 0: none) */
};

static int ring_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
		      struct fl_events *ev)
{
	const struct ring_conf *c = s->inst[st->inst].conf;
	uint8_t *x = byte_of(s, v, st->inst);
	if (*x == 2 && c->type)
		fl_event_add(ev, c->type, 0, st->inst, 1, c->other);
	*x = (uint8_t)((*x + 1) % 3);
	return FL_OK;
}

static const struct fl_kind ring_kind = {
	.name = "ring", .conf_size = sizeof(struct ring_conf), .steps = toggle_steps,
	.apply = ring_apply, .describe = describe_byte, .step_name = toggle_name,
};

struct fork_conf {
	int back; /* 1: state 0 also has a step to 7, and 7 one back to 0 */
};

static int fork_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out,
		      int max)
{
	const struct fork_conf *c = s->inst[self].conf;
	if (max < 3)
		return FL_EINTERNAL;
	for (int k = 0; k < 3; k++)
		out[k] = (struct fl_step){.inst = (uint16_t)self, .action = (uint8_t)k};
	return *byte_of(s, v, self) == 0 ? 2 + c->back : 1;
}

static int fork_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
		      struct fl_events *ev)
{
	(void)ev;
	static const uint8_t next[] = {1, 5, 3, 4, 5, 6, 5, 0};
	static const uint8_t from0[] = {1, 2, 7};
	uint8_t *x = byte_of(s, v, st->inst);
	*x = *x == 0 ? from0[st->action] : next[*x];
	return FL_OK;
}

static const struct fl_kind fork_kind = {
	.name = "fork", .conf_size = sizeof(struct fork_conf), .steps = fork_steps,
	.apply = fork_apply, .describe = describe_byte, .step_name = toggle_name,
};

/* gated: enabled while the instance before it (a blinker) is 0 and it has not fired. */
static int gated_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out,
		       int max)
{
	if (*byte_of(s, v, self) || *byte_of(s, v, self - 1))
		return 0;
	return one_step(self, FL_NORMAL, out, max);
}

static const struct fl_kind gated_kind = {
	.name = "gated", .steps = gated_steps, .apply = worker_apply,
	.describe = describe_byte, .step_name = worker_name,
};

static const char *const sabotage[] = {"sabotage", NULL};

static int saboteur_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out,
			  int max)
{
	if (*byte_of(s, v, self) || max < 1)
		return max < 1 ? FL_EINTERNAL : 0;
	out[0] = (struct fl_step){.inst = (uint16_t)self, .target = (uint16_t)self, .cls = FL_FAULT,
				  .farg = FL_ANY};
	return 1;
}

static int saboteur_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
			  struct fl_events *ev)
{
	(void)ev;
	*byte_of(s, v, st->inst) = 1;
	return FL_OK;
}

static const struct fl_kind saboteur_kind = {
	.name = "saboteur", .faults = sabotage, .fault_during_call = 1, .steps = saboteur_steps,
	.apply = saboteur_apply, .describe = describe_byte, .step_name = toggle_name,
};

static uint16_t *count_of(const struct fl_sys *s, const uint8_t *v, int self)
{
	return (uint16_t *)(uintptr_t)(v + s->inst[self].off);
}

static int counter_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out,
			 int max)
{
	uint16_t c;
	memcpy(&c, count_of(s, v, self), sizeof c);
	return c < 1999 ? one_step(self, FL_NORMAL, out, max) : 0;
}

static int counter_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
			 struct fl_events *ev)
{
	(void)ev;
	uint16_t c;
	memcpy(&c, count_of(s, v, st->inst), sizeof c);
	c++;
	memcpy(count_of(s, v, st->inst), &c, sizeof c);
	return FL_OK;
}

static const struct fl_kind counter_kind = {
	.name = "counter", .steps = counter_steps, .apply = counter_apply,
	.describe = describe_byte, .step_name = toggle_name,
};

/* A safety spec that breaks at the first publish. */
static int no_publish(const struct fl_sys *s, uint8_t *v, int self, const struct fl_events *ev,
		      struct fl_buf *why)
{
	(void)s, (void)v, (void)self;
	for (int i = 0; i < ev->n; i++)
		if (ev->e[i].type == EV_PUBLISH) {
			fl_buf_puts(why, "a record was published.");
			return 1;
		}
	return 0;
}

static const struct fl_spec_kind no_publish_kind = {
	.name = "no-publish", .summary = "nothing is published", .on_events = no_publish,
};

/* --- assembling and checking a system --------------------------------------------------- */

static int add_inst(struct fl_sys *s, const struct fl_kind *k, const char *name, size_t size)
{
	struct fl_inst *in = fl_realloc(s->inst, (size_t)(s->ninst + 1) * sizeof *in);
	cr_assert_not_null(in);
	s->inst = in;
	in[s->ninst] = (struct fl_inst){.kind = k, .name = fl_strdup(name), .comp = fl_strdup(name),
					.region = -1, .size = size, .conf = fl_alloc(k->conf_size)};
	return s->ninst++;
}

static void add_spec(struct fl_sys *s, const struct fl_spec_kind *k)
{
	struct fl_spec *sp = fl_realloc(s->spec, (size_t)(s->nspec + 1) * sizeof *sp);
	cr_assert_not_null(sp);
	s->spec = sp;
	sp[s->nspec++] = (struct fl_spec){.kind = k, .checked = 1, .conf = fl_alloc(1)};
}

/* A system of the named test kinds (one byte each, two for "counter"), checked for progress. */
static void assemble(struct fl_sys *s, const char *const *kinds)
{
	static const struct fl_kind *const all[] = {&blinker_kind, &worker_kind, &spinner_kind,
						    &ticker_kind, &pusher_kind, &ring_kind,
						    &fork_kind, &gated_kind, &saboteur_kind,
						    &counter_kind, NULL};
	*s = (struct fl_sys){.nregions = 1};
	for (int i = 0; kinds[i]; i++) {
		const struct fl_kind *k = NULL;
		for (int j = 0; all[j]; j++)
			if (!strcmp(all[j]->name, kinds[i]))
				k = all[j];
		cr_assert_not_null(k, "no test kind %s", kinds[i]);
		char name[32];
		int dup = 0;
		for (int j = 0; j < i; j++)
			dup += !strcmp(kinds[j], kinds[i]);
		for (int j = i + 1; kinds[j]; j++)
			dup += !strcmp(kinds[j], kinds[i]);
		int nth = 1;
		for (int j = 0; j < i; j++)
			nth += !strcmp(kinds[j], kinds[i]);
		if (dup)
			snprintf(name, sizeof name, "%s-%d", kinds[i], nth);
		else
			snprintf(name, sizeof name, "%s", kinds[i]);
		add_inst(s, k, name, k == &counter_kind ? 2 : 1);
	}
	add_spec(s, &spec_progress_kind);
}

static void allow_sabotage(struct fl_sys *s, int inst)
{
	s->budget = fl_alloc(sizeof *s->budget);
	cr_assert_not_null(s->budget);
	s->budget[0] = (struct fl_budget_entry){.inst = (uint16_t)inst, .farg = FL_ANY};
	s->nbudget = 1;
	s->budget_max = 1;
}

struct run {
	struct fl_sys s;
	struct fl_store st;
	struct fl_result r;
	struct fl_trace tr[FL_MAX_SPECS];
};

/* Lays s out, explores it, and builds and replays the trace of every violation. */
static void explore(struct run *t, enum fl_search_mode mode)
{
	struct fl_search_opts o = {.mode = mode, .seed = 3, .walks = 50, .depth = 20};
	struct fl_err e = {0};
	fl_sys_layout(&t->s);
	cr_assert_eq(fl_search_run(&t->s, &o, &t->st, &t->r, &e), FL_OK, "%s", e.msg);
	for (int i = 0; i < t->s.nspec; i++) {
		if (!(t->r.violated >> i & 1u))
			continue;
		cr_assert_eq(fl_trace_build(&t->s, &t->st, &t->r.viol[i], i, &t->tr[i]), FL_OK);
		cr_assert_eq(fl_trace_replay(&t->s, &t->tr[i], &e), FL_OK, "%s does not replay: %s",
			     t->s.spec[i].kind->name, e.msg);
	}
}

static void check(struct run *t, const char *const *kinds, enum fl_search_mode mode)
{
	memset(t, 0, sizeof *t);
	assemble(&t->s, kinds);
	explore(t, mode);
}

static void run_fini(struct run *t)
{
	for (int i = 0; i < FL_MAX_SPECS; i++)
		fl_trace_fini(&t->tr[i]);
	fl_result_fini(&t->r);
	fl_store_fini(&t->st);
	fl_sys_free(&t->s);
}

/* The progress spec's index (it is added last). */
static int prog(const struct run *t) { return t->s.nspec - 1; }

static int violated(const struct run *t) { return (int)(t->r.violated >> prog(t) & 1u); }

static const struct fl_trace *lasso(const struct run *t) { return &t->tr[prog(t)]; }

/* The instance byte of each instance after the first k steps of t's lasso. */
static void state_after(const struct run *t, int k, uint8_t *v)
{
	uint8_t *tmp = malloc(t->s.width);
	cr_assert_not_null(tmp);
	fl_sys_init_state(&t->s, v);
	for (int i = 0; i < k; i++) {
		fl_sys_apply(&t->s, v, tmp, &lasso(t)->steps[i], 0, NULL);
		memcpy(v, tmp, t->s.width);
	}
	free(tmp);
}

/* Asserts the loop ends where it starts: the state after step loop equals the final one. */
static void assert_returns(const struct run *t)
{
	const struct fl_trace *l = lasso(t);
	uint8_t a[16], b[16];
	cr_assert_leq(t->s.width, sizeof a);
	state_after(t, l->loop, a);
	state_after(t, l->n, b);
	cr_assert_eq(memcmp(a, b, t->s.width), 0, "the loop does not return to its start");
}

/* Text of fl_trace_print / fl_trace_json for a trace (malloc'd). */
static char *printed(const struct run *t, const struct fl_trace *tr, int json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	if (json) {
		struct fl_json j;
		fl_json_init(&j, f);
		fl_trace_json(&j, &t->s, NULL, tr);
	} else {
		fl_trace_print(f, &t->s, tr);
	}
	cr_assert_eq(fclose(f), 0);
	return text;
}

/* --- the progress spec ------------------------------------------------------------------ */

Test(cycles, progress_events)
{
	struct fl_sys s = {0};
	struct fl_events ev = {0};
	int (*p)(const struct fl_sys *, const struct fl_events *) = spec_progress_kind.progress;
	cr_assert(spec_progress_kind.cycles);
	cr_assert_null(spec_progress_kind.on_events);
	cr_assert_null(spec_progress_kind.at_rest);
	cr_expect_eq(p(&s, &ev), 0, "no event, no progress");
	static const int always[] = {EV_PUBLISH, EV_REMOVE, EV_REPLICATE};
	static const int first[] = {EV_ENQUEUE, EV_DB_WRITE, EV_DELIVER};
	for (int i = 0; i < 3; i++) {
		for (int other = 0; other <= 1; other++) {
			ev = (struct fl_events){0};
			fl_event_add(&ev, always[i], 0, 0, 1, other);
			cr_expect_eq(p(&s, &ev), 1, "event %d (other %d) is progress", always[i], other);
			ev = (struct fl_events){0};
			fl_event_add(&ev, first[i], 0, 0, 1, other);
			cr_expect_eq(p(&s, &ev), !other, "event %d, other %d", first[i], other);
		}
	}
	ev = (struct fl_events){0};
	fl_event_add(&ev, 200, 0, 0, 1, 0); /* a type added later */
	fl_event_add(&ev, EV_DELIVER, 0, 0, 1, 1);
	cr_expect_eq(p(&s, &ev), 0, "an unknown event and a repeat delivery are not progress");
	fl_event_add(&ev, EV_ENQUEUE, 0, 0, 1, 0);
	cr_expect_eq(p(&s, &ev), 1, "any progress event makes the step progress");
}

/* The spec is registered under its name. */
Test(cycles, progress_is_registered)
{
	int found = 0;
	for (int i = 0; fl_spec_kinds[i]; i++)
		found += fl_spec_kinds[i] == &spec_progress_kind &&
			 !strcmp(fl_spec_kinds[i]->name, "progress");
	cr_expect_eq(found, 1);
}

/* --- verdicts --------------------------------------------------------------------------- */

/*
 * blinker + worker: 4 worker counts x 2 blinker states = 8 states; each of the 6 states with
 * count < 3 has 2 moving steps, the 2 with count 3 one: 14 transitions. For count < 3 the
 * blinker's 2-state cycle is unfair (the worker is enabled throughout and its only step is
 * progress); at count 3 the worker is disabled: a violation. Its shallowest state (count 3,
 * blinker 0) has depth 3: the prefix is the 3 worker steps, the loop 2 blinker steps.
 */
Test(cycles, blinker_after_worker)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "worker", NULL}, FL_BFS);
	cr_expect_eq(t.r.states, 8);
	cr_expect_eq(t.r.transitions, 14);
	cr_expect(t.r.complete);
	cr_expect(t.r.decided);
	cr_assert(violated(&t));
	const struct fl_trace *l = lasso(&t);
	cr_expect_eq(l->loop, 3);
	cr_expect_eq(l->n, 5);
	cr_expect(!l->at_rest);
	for (int k = 0; k < 3; k++)
		cr_expect_eq(l->steps[k].inst, 1, "prefix step %d is the worker's", k + 1);
	for (int k = 3; k < 5; k++)
		cr_expect_eq(l->steps[k].inst, 0, "loop step %d is the blinker's", k + 1);
	const struct fl_violation *v = &t.r.viol[prog(&t)];
	cr_expect_eq(fl_store_depth(&t.st, v->state), 3);
	cr_expect_eq(v->loop_len, 2);
	cr_expect_str_eq(v->why, "blinker cycles forever through 2 states without any record "
				 "making progress.");
	uint8_t at[16];
	state_after(&t, l->loop, at);
	cr_expect_eq(at[t.s.inst[1].off], 3, "the loop starts once the worker is done");
	cr_expect_eq(at[t.s.inst[0].off], 0);
	assert_returns(&t);
	run_fini(&t);
}

/* ring: 0 -> 1 -> 2 -> 0, 3 states, 3 transitions. The step 2 -> 0 publishes: no violation. */
Test(cycles, progress_edge_breaks_the_cycle)
{
	struct run t;
	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"ring", NULL});
	*(struct ring_conf *)t.s.inst[0].conf = (struct ring_conf){EV_PUBLISH, 0};
	explore(&t, FL_BFS);
	cr_expect_eq(t.r.states, 3);
	cr_expect_eq(t.r.transitions, 3);
	cr_expect(t.r.complete);
	cr_expect(!violated(&t));
	run_fini(&t);
}

/* The same ring whose wrap-around step is a repeat enqueue (other = 1): not progress, so the
 * whole ring is a non-progress cycle through 3 states, entered at the initial state. */
Test(cycles, repeat_is_not_progress)
{
	struct run t;
	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"ring", NULL});
	*(struct ring_conf *)t.s.inst[0].conf = (struct ring_conf){EV_ENQUEUE, 1};
	explore(&t, FL_BFS);
	cr_assert(violated(&t));
	cr_expect_eq(lasso(&t)->loop, 0, "no prefix: the initial state is on the cycle");
	cr_expect_eq(lasso(&t)->n, 3);
	cr_expect_str_eq(t.r.viol[prog(&t)].why, "ring cycles forever through 3 states without any "
						  "record making progress.");
	assert_returns(&t);
	run_fini(&t);

	/* A first enqueue (other = 0) is progress. */
	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"ring", NULL});
	*(struct ring_conf *)t.s.inst[0].conf = (struct ring_conf){EV_ENQUEUE, 0};
	explore(&t, FL_BFS);
	cr_expect(!violated(&t));
	run_fini(&t);
}

/*
 * blinker + pusher: 4 states, 8 transitions. The blinker's cycles (pusher at 0, or at 1) have
 * no progress edge, but the pusher is enabled in all of them and its only steps publish:
 * weak fairness makes it step, so neither cycle is fair. The pusher's own cycles are
 * progress. No violation.
 */
Test(cycles, unfair_cycle_is_not_reported)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "pusher", NULL}, FL_BFS);
	cr_expect_eq(t.r.states, 4);
	cr_expect_eq(t.r.transitions, 8);
	cr_expect(t.r.complete);
	cr_expect(t.r.decided);
	cr_expect(!violated(&t));
	run_fini(&t);
}

/*
 * worker + spinner: the spinner's step is a stutter in every state (a self-loop). While the
 * worker can count, the self-loop is unfair to it; once it is done (depth 3) every other
 * instance is disabled and the spinner retrying forever is a fair non-progress cycle.
 * 4 states, 3 transitions (stutters are not transitions).
 */
Test(cycles, stutter_self_loop)
{
	struct run t;
	check(&t, (const char *const[]){"worker", "spinner", NULL}, FL_BFS);
	cr_expect_eq(t.r.states, 4);
	cr_expect_eq(t.r.transitions, 3);
	cr_assert(violated(&t));
	const struct fl_trace *l = lasso(&t);
	cr_expect_eq(l->loop, 3);
	cr_expect_eq(l->n, 4);
	cr_expect_eq(l->steps[3].inst, 1);
	cr_expect_str_eq(t.r.viol[prog(&t)].why, "spinner cycles forever through 1 state without any "
						  "record making progress.");
	assert_returns(&t);
	run_fini(&t);
}

/*
 * worker + ticker: the ticker's timeout steps are considered only where no normal step moves,
 * so only once the worker is done: states (0..3, 0) and (3, 1), 5 states, 3 + 2 transitions.
 * The cycle (3,0) <-> (3,1) of timeout steps is a violation with a 2-step loop.
 */
Test(cycles, timeout_cycle)
{
	struct run t;
	check(&t, (const char *const[]){"worker", "ticker", NULL}, FL_BFS);
	cr_expect_eq(t.r.states, 5);
	cr_expect_eq(t.r.transitions, 5);
	cr_assert(violated(&t));
	cr_expect_eq(lasso(&t)->loop, 3);
	cr_expect_eq(lasso(&t)->n, 5);
	cr_expect_eq(lasso(&t)->steps[3].cls, FL_TIMEOUT);
	assert_returns(&t);
	run_fini(&t);
}

/* blinker + ticker: the blinker always moves, so the ticker is never considered: it is
 * disabled everywhere and the blinker's cycle is fair. 2 states, 2 transitions. */
Test(cycles, timeout_not_considered_is_disabled)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "ticker", NULL}, FL_BFS);
	cr_expect_eq(t.r.states, 2);
	cr_expect_eq(t.r.transitions, 2);
	cr_assert(violated(&t));
	cr_expect_eq(lasso(&t)->loop, 0);
	cr_expect_eq(lasso(&t)->n, 2);
	cr_expect_str_eq(t.r.viol[prog(&t)].why, "blinker cycles forever through 2 states without any "
						  "record making progress.");
	run_fini(&t);
}

/*
 * blinker + saboteur, budget 1: the saboteur's only step is a fault. Faults are not edges and
 * do not make an instance enabled, so the blinker's cycle at the initial state is fair: the
 * violation is entered at depth 0 (were the fault counted, it would be at depth 1, after it).
 * States: 2 before the fault, 2 after; transitions: 2 x 2 before, 2 after = 6.
 */
Test(cycles, faults_are_not_owed)
{
	struct run t;
	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"blinker", "saboteur", NULL});
	allow_sabotage(&t.s, 1);
	explore(&t, FL_BFS);
	cr_expect_eq(t.r.states, 4);
	cr_expect_eq(t.r.transitions, 6);
	cr_assert(violated(&t));
	cr_expect_eq(t.r.viol[prog(&t)].state, 0, "the loop starts at the initial state");
	cr_expect_eq(lasso(&t)->loop, 0);
	for (int k = 0; k < lasso(&t)->n; k++)
		cr_expect_neq(lasso(&t)->steps[k].cls, FL_FAULT);
	run_fini(&t);
}

/*
 * blinker + gated: gated can fire only while the blinker is 0, so it is not continuously
 * enabled on the blinker's cycle. Weak fairness does not force it: a violation at the initial
 * state, and the loop must pass the state where gated is disabled (blinker 1).
 */
Test(cycles, weak_not_strong_fairness)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "gated", NULL}, FL_BFS);
	cr_expect_eq(t.r.states, 4);
	cr_assert(violated(&t));
	cr_expect_eq(lasso(&t)->loop, 0);
	cr_expect_eq(lasso(&t)->n, 2);
	uint8_t at[16];
	state_after(&t, 1, at);
	cr_expect_eq(at[t.s.inst[0].off], 1, "the loop visits blinker 1, where gated is disabled");
	run_fini(&t);
}

/*
 * Two and three blinkers: one component of 4 (8) states; the loop must take a step of every
 * blinker (each is always enabled). Three: 000 -> 100 -> 110 -> 111, then the shortest way
 * back, 111 -> 011 -> 001 -> 000: 6 steps through 6 states.
 */
Test(cycles, every_instance_steps_in_the_loop)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "blinker", NULL}, FL_BFS);
	cr_assert(violated(&t));
	cr_expect_eq(lasso(&t)->n, 4);
	cr_expect_str_eq(t.r.viol[prog(&t)].why, "blinker-1 and blinker-2 cycle forever through 4 "
						  "states without any record making progress.");
	assert_returns(&t);
	run_fini(&t);

	check(&t, (const char *const[]){"blinker", "blinker", "blinker", NULL}, FL_BFS);
	cr_expect_eq(t.r.states, 8);
	cr_assert(violated(&t));
	cr_expect_eq(lasso(&t)->loop, 0);
	cr_expect_eq(lasso(&t)->n, 6);
	static const int order[] = {0, 1, 2, 0, 1, 2};
	for (int k = 0; k < 6; k++)
		cr_expect_eq(lasso(&t)->steps[k].inst, order[k], "loop step %d", k + 1);
	cr_expect_str_eq(t.r.viol[prog(&t)].why, "blinker-1, blinker-2 and blinker-3 cycle forever "
						  "through 6 states without any record making "
						  "progress.");
	assert_returns(&t);
	run_fini(&t);
}

/*
 * fork: 7 states, 8 transitions. State 5 is reached in 2 steps (0 -> 1 -> 5) or 4
 * (0 -> 2 -> 3 -> 4 -> 5). BFS stores it at depth 2, so the prefix is the 2-step path. DFS
 * expands 2's branch first (the last successor pushed) and stores 5 at depth 4. Both find the
 * cycle 5 <-> 6 and agree on the verdict and the counts.
 */
Test(cycles, shortest_prefix_and_dfs_agrees)
{
	struct run b, d;
	check(&b, (const char *const[]){"fork", NULL}, FL_BFS);
	check(&d, (const char *const[]){"fork", NULL}, FL_DFS);
	cr_expect_eq(b.r.states, 7);
	cr_expect_eq(b.r.transitions, 8);
	cr_expect_eq(d.r.states, b.r.states);
	cr_expect_eq(d.r.transitions, b.r.transitions);
	cr_assert(violated(&b));
	cr_assert(violated(&d));
	cr_expect_eq(lasso(&b)->loop, 2, "BFS: the shortest prefix");
	cr_expect_eq(lasso(&b)->n, 4);
	cr_expect_eq(lasso(&d)->loop, 4, "DFS: the prefix along its tree");
	cr_expect_eq(lasso(&d)->n - lasso(&d)->loop, 2);
	uint8_t at[16];
	state_after(&b, 2, at);
	cr_expect_eq(at[b.s.inst[0].off], 5, "the loop starts at the component's shallowest state");
	assert_returns(&b);
	assert_returns(&d);
	run_fini(&b);
	run_fini(&d);
}

/*
 * fork with the way back: 0 <-> 7 is a second violating component, at depth 0. Tarjan finishes
 * 5 <-> 6 first (it is reachable from 0 by non-progress edges); the one reported is still the
 * shallowest: the loop starts at the initial state, with no prefix, by BFS and by DFS.
 */
Test(cycles, shallowest_component_is_reported)
{
	for (int mode = FL_BFS; mode <= FL_DFS; mode++) {
		struct run t;
		memset(&t, 0, sizeof t);
		assemble(&t.s, (const char *const[]){"fork", NULL});
		((struct fork_conf *)t.s.inst[0].conf)->back = 1;
		explore(&t, (enum fl_search_mode)mode);
		cr_expect_eq(t.r.states, 8);
		cr_expect_eq(t.r.transitions, 10);
		cr_assert(violated(&t));
		cr_expect_eq(t.r.viol[prog(&t)].state, 0);
		cr_expect_eq(lasso(&t)->loop, 0);
		cr_expect_eq(lasso(&t)->n, 2);
		cr_expect_eq(lasso(&t)->steps[0].action, 2, "0 -> 7");
		run_fini(&t);
	}
}

/* BFS and DFS agree on every system above, and DFS lassos replay too (explore asserts it). */
Test(cycles, bfs_dfs_agree)
{
	static const char *const systems[][4] = {
		{"blinker", "worker", NULL}, {"blinker", "pusher", NULL}, {"worker", "spinner", NULL},
		{"worker", "ticker", NULL}, {"blinker", "gated", NULL}, {"ring", NULL},
		{"blinker", "blinker", "blinker", NULL}};
	for (size_t i = 0; i < sizeof systems / sizeof *systems; i++) {
		struct run b, d;
		check(&b, systems[i], FL_BFS);
		check(&d, systems[i], FL_DFS);
		cr_expect_eq(b.r.states, d.r.states, "system %zu", i);
		cr_expect_eq(b.r.transitions, d.r.transitions, "system %zu", i);
		cr_expect_eq(violated(&b), violated(&d), "system %zu", i);
		if (violated(&b) && violated(&d))
			cr_expect_leq(lasso(&b)->loop, lasso(&d)->loop, "system %zu", i);
		run_fini(&b);
		run_fini(&d);
	}
}

/* A safety spec broken at the first step does not end the search while progress is undecided:
 * all 8 states are explored, and both verdicts are found. Without the progress spec the
 * search stops once the safety spec is decided. */
Test(cycles, search_runs_on_for_cycles)
{
	struct run t;
	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"blinker", "worker", NULL});
	add_spec(&t.s, &no_publish_kind);
	explore(&t, FL_BFS);
	cr_expect_eq(t.r.states, 8);
	cr_expect(t.r.complete);
	cr_expect_eq(t.r.violated, 3u, "both specs are violated");
	cr_expect_eq(t.tr[1].loop, -1, "a safety trace is not a lasso");
	run_fini(&t);

	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"blinker", "worker", NULL});
	t.s.spec[0].checked = 0;
	add_spec(&t.s, &no_publish_kind);
	explore(&t, FL_BFS);
	cr_expect(t.r.decided);
	cr_expect(!t.r.complete);
	cr_expect_lt(t.r.states, 8);
	run_fini(&t);
}

/* Random walks never judge a cycles spec. */
Test(cycles, random_walks_give_no_verdict)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "worker", NULL}, FL_RANDOM);
	cr_expect(!t.r.complete);
	cr_expect(!t.r.decided);
	cr_expect(!violated(&t));
	run_fini(&t);
}

/* --- limits ----------------------------------------------------------------------------- */

/* Every allocation of the cycle search failing in turn: each failure leaves the spec without
 * a verdict (FL_ENOMEM, the stop reason) and leaks nothing; then it succeeds. */
Test(cycles, out_of_memory)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "worker", NULL}, FL_BFS);
	fl_result_fini(&t.r);
	t.r = (struct fl_result){0};
	int done = 0;
	for (long n = 1; n < 10000 && !done; n++) {
		struct fl_violation v = {0};
		struct fl_err e = {0};
		fl_alloc_fail_at(n);
		int rc = fl_cycles_check(&t.s, &t.st, 0, NULL, &v, &e);
		fl_alloc_fail_at(0);
		if (rc == FL_OK) {
			cr_expect(v.found);
			cr_expect_eq(v.loop_len, 2);
			fl_free(v.why);
			fl_free(v.loop);
			done = 1;
			cr_expect_gt(n, 10, "the pass allocates more than that");
		} else {
			cr_assert_eq(rc, FL_ENOMEM, "allocation %ld: %d %s", n, rc, e.msg);
			cr_assert_str_eq(e.msg, "memory ran out during the cycle search");
			cr_assert(!v.found);
		}
	}
	cr_expect(done);
	run_fini(&t);
	fl_test_no_leaks();
}

/* --max-memory counts the cycle search with the store: a limit the store fits in but the
 * search does not leaves progress without a verdict and the run incomplete. */
Test(cycles, memory_limit)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "worker", NULL}, FL_BFS);
	size_t store = fl_store_bytes(&t.st);
	run_fini(&t);

	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"blinker", "worker", NULL});
	fl_sys_layout(&t.s);
	struct fl_search_opts o = {.mode = FL_BFS, .max_memory = store + 64};
	struct fl_err e = {0};
	cr_assert_eq(fl_search_run(&t.s, &o, &t.st, &t.r, &e), FL_OK, "%s", e.msg);
	cr_expect_eq(t.r.states, 8, "the store fits");
	cr_expect(!t.r.complete);
	cr_expect(!t.r.decided);
	cr_expect(!violated(&t));
	cr_expect_str_eq(t.r.stop_reason,
			 "the memory limit (--max-memory) was reached during the cycle search");
	run_fini(&t);
}

/* A deadline already past stops the pass at its 1024th expansion (2000 states). */
Test(cycles, deadline)
{
	struct run t;
	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"counter", NULL});
	explore(&t, FL_BFS);
	cr_expect_eq(t.r.states, 2000);
	cr_expect(!violated(&t));
	struct fl_cycles_limits lim = {.deadline = 1e-9};
	struct fl_violation v = {0};
	struct fl_err e = {0};
	cr_expect_eq(fl_cycles_check(&t.s, &t.st, 0, &lim, &v, &e), FL_EBOUND);
	cr_expect_str_eq(e.msg, "the time limit (--time-limit) was reached during the cycle search");
	run_fini(&t);
}

/* --- printing --------------------------------------------------------------------------- */

Test(cycles, lasso_text)
{
	struct run t;
	check(&t, (const char *const[]){"worker", "spinner", NULL}, FL_BFS);
	cr_assert(violated(&t));
	char *text = printed(&t, lasso(&t), 0);
	cr_expect_str_eq(text, "  Counterexample for progress, 4 steps:\n"
			       "  lanes:  a worker  b spinner\n"
			       "    1. *.  worker: counts to 1\n"
			       "        worker: 0 -> 1\n"
			       "    2. *.  worker: counts to 2\n"
			       "        worker: 1 -> 2\n"
			       "    3. *.  worker: counts to 3\n"
			       "        worker: 2 -> 3\n"
			       "  -- loop: step 4 repeats forever --\n"
			       "    4. .*  spinner: retries, in vain\n"
			       "  -- back to the state before step 4 --\n"
			       "  => progress violated: spinner cycles forever through 1 state without "
			       "any record making progress.\n"
			       "  In short: From step 4 on, these steps repeat forever and none of them "
			       "is progress: spinner\n"
			       "            retries, in vain.\n");
	free(text);
	run_fini(&t);

	check(&t, (const char *const[]){"worker", "ticker", NULL}, FL_BFS);
	text = printed(&t, lasso(&t), 0);
	const char *loop = strstr(text, "  -- loop: steps 4..5 repeat forever --\n"
					"    4. .*  (timeout) ticker: toggles\n"
					"        ticker: 0 -> 1\n"
					"    5. .*  (timeout) ticker: toggles\n"
					"        ticker: 1 -> 0\n"
					"  -- back to the state before step 4 --\n"
					"  => progress violated: ");
	cr_expect_not_null(loop, "%s", text);
	cr_expect_null(strstr(text, "at rest"), "a lasso does not end at rest");
	free(text);
	run_fini(&t);
}

Test(cycles, lasso_json)
{
	struct run t;
	check(&t, (const char *const[]){"worker", "ticker", NULL}, FL_BFS);
	char *j = printed(&t, lasso(&t), 1);
	cr_expect_not_null(strstr(j, "\"spec\":\"progress\",\"why\":\"ticker cycles forever through 2 "
				     "states without any record making progress.\","), "%s", j);
	cr_expect_not_null(strstr(j, "\"ends_at_rest\":false,\"loop_start\":4,"), "%s", j);
	cr_expect_not_null(strstr(j, "{\"n\":5,\"class\":\"timeout\",\"component\":\"ticker\""), "%s", j);
	cr_expect_null(strstr(j, "\"n\":6"), "%s", j);
	free(j);
	run_fini(&t);
}

/* A trace that is not a lasso has no loop lines and "loop_start": null; its last step is
 * marked as the one that breaks the spec. */
Test(cycles, plain_trace_unchanged)
{
	struct run t;
	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"worker", NULL});
	t.s.spec[0].checked = 0;
	add_spec(&t.s, &no_publish_kind);
	explore(&t, FL_BFS);
	cr_assert_eq(t.r.violated, 2u);
	char *text = printed(&t, &t.tr[1], 0);
	cr_expect_str_eq(text, "  Counterexample for no-publish, 1 step:\n"
			       "    1. worker: counts to 1\n"
			       "        worker: 0 -> 1\n"
			       "        <== this step breaks no-publish\n"
			       "  => no-publish violated: a record was published.\n"
			       "  In short: Step 1 breaks no-publish: a record was published.\n");
	free(text);
	char *j = printed(&t, &t.tr[1], 1);
	cr_expect_not_null(strstr(j, "\"ends_at_rest\":false,\"loop_start\":null,"), "%s", j);
	free(j);
	run_fini(&t);
}

/* A tampered lasso does not replay: a loop that does not return, and one that is unfair. */
Test(cycles, replay_rejects_bad_loops)
{
	struct run t;
	check(&t, (const char *const[]){"blinker", "blinker", NULL}, FL_BFS);
	cr_assert(violated(&t));
	struct fl_trace l = *lasso(&t);
	struct fl_err e = {0};
	l.n = l.n - 1; /* drop the last loop step */
	cr_expect_eq(fl_trace_replay(&t.s, &l, &e), FL_EINTERNAL);
	cr_expect_not_null(strstr(e.msg, "does not return"), "%s", e.msg);
	/* blinker-1 twice: back to the start, but blinker-2 is always enabled and never steps. */
	struct fl_step twice[2] = {lasso(&t)->steps[0], lasso(&t)->steps[0]};
	l = (struct fl_trace){.spec = prog(&t), .n = 2, .steps = twice, .loop = 0, .why = ""};
	e = (struct fl_err){0};
	cr_expect_eq(fl_trace_replay(&t.s, &l, &e), FL_EINTERNAL);
	cr_expect_not_null(strstr(e.msg, "not weakly fair: blinker-2"), "%s", e.msg);
	run_fini(&t);

	/* A progress step in the loop. */
	memset(&t, 0, sizeof t);
	assemble(&t.s, (const char *const[]){"pusher", NULL});
	explore(&t, FL_BFS);
	cr_expect(!violated(&t));
	struct fl_step push = {.inst = 0};
	struct fl_step push2[2] = {push, push};
	l = (struct fl_trace){.spec = prog(&t), .n = 2, .steps = push2, .loop = 0, .why = ""};
	e = (struct fl_err){0};
	cr_expect_eq(fl_trace_replay(&t.s, &l, &e), FL_EINTERNAL);
	cr_expect_not_null(strstr(e.msg, "makes progress"), "%s", e.msg);
	run_fini(&t);
}

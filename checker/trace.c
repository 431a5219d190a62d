/*
 * trace.c - counterexample construction, replay and printing (see trace.h).
 *
 * Printing replays the steps from the initial state, so what it shows is recomputed, not
 * remembered: the "before -> after" of each changed instance comes from applying the step.
 */
#include "trace.h"

#include "cycles.h"

#include <stdlib.h>
#include <string.h>

int fl_trace_build(const struct fl_sys *s, const struct fl_store *st, const struct fl_violation *v,
		   int spec, struct fl_trace *t)
{
	(void)s;
	int lasso = v->loop_len > 0;
	*t = (struct fl_trace){.spec = spec, .at_rest = !v->via_step && !lasso, .why = v->why,
			       .loop = -1};
	int n = v->via_step ? 1 : 0;
	for (uint32_t i = v->state; st->parents[i] != FL_NO_PARENT; i = st->parents[i])
		n++;
	int total = n + (lasso ? v->loop_len : 0);
	t->steps = fl_alloc((size_t)(total ? total : 1) * sizeof *t->steps);
	if (!t->steps)
		return FL_ENOMEM;
	t->n = total;
	int k = n;
	if (v->via_step)
		t->steps[--k] = v->step;
	for (uint32_t i = v->state; st->parents[i] != FL_NO_PARENT; i = st->parents[i])
		memcpy(&t->steps[--k], fl_store_label(st, i), sizeof *t->steps);
	if (lasso) {
		memcpy(t->steps + n, v->loop, (size_t)v->loop_len * sizeof *t->steps);
		t->loop = n;
	}
	return FL_OK;
}

void fl_trace_fini(struct fl_trace *t)
{
	fl_free(t->steps);
	t->steps = NULL;
}

static int enabled(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		   struct fl_step *buf)
{
	int n = fl_sys_steps(s, v, buf, FL_MAX_STEPS);
	for (int i = 0; i < n; i++)
		if (memcmp(&buf[i], st, sizeof *st) == 0)
			return 1;
	return 0;
}

/* 1 if no normal or timeout step changes v. */
static int at_rest(const struct fl_sys *s, const uint8_t *v, uint8_t *tmp, struct fl_step *buf)
{
	int n = fl_sys_steps(s, v, buf, FL_MAX_STEPS);
	for (int i = 0; i < n; i++) {
		if (buf[i].cls == FL_FAULT)
			continue;
		struct fl_outcome o = fl_sys_apply(s, v, tmp, &buf[i], 0, NULL);
		if (o.status != FL_OK || memcmp(tmp, v, s->width) != 0)
			return 0;
	}
	return 1;
}

static int replay_steps(const struct fl_sys *s, const struct fl_trace *t, uint8_t *a, uint8_t *b,
			struct fl_step *buf, struct fl_err *e)
{
	uint32_t bit = 1u << t->spec;
	struct fl_buf why[FL_MAX_SPECS] = {{0}};
	int rc = FL_OK;
	fl_sys_init_state(s, a);
	for (int k = 0; k < t->n && rc == FL_OK; k++) {
		if (!enabled(s, a, &t->steps[k], buf)) {
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: step %d is not enabled", k + 1);
			break;
		}
		struct fl_outcome o = fl_sys_apply(s, a, b, &t->steps[k], bit, why);
		if (o.status != FL_OK)
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: step %d failed", k + 1);
		else if ((o.violated & bit) && (k + 1 < t->n || t->at_rest))
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: violated earlier than its end (step %d)", k + 1);
		else if (!(o.violated & bit) && k + 1 == t->n && !t->at_rest && t->loop < 0)
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: the last step does not break the spec");
		memcpy(a, b, s->width);
	}
	for (int i = 0; i < FL_MAX_SPECS; i++)
		fl_buf_fini(&why[i]);
	return rc;
}

static void bit_set(uint64_t *b, unsigned i) { b[i / 64] |= 1ull << (i % 64); }
static int bit_get(const uint64_t *b, unsigned i) { return (int)(b[i / 64] >> (i % 64) & 1u); }

/* Loop step k from a: considered where taken (cycles.h) and not progress; a receives the
 * successor; its instance is marked in stepped and the instances disabled in a in disabled. */
static int loop_step(const struct fl_sys *s, const struct fl_trace *t, int k, uint8_t *a,
		     uint8_t *tmp, struct fl_step *buf, uint64_t *stepped, uint64_t *disabled,
		     struct fl_err *e)
{
	const struct fl_step *st = &t->steps[k];
	int n = fl_cycles_steps(s, a, tmp, buf), found = 0;
	if (n < 0)
		return fl_fail(e, FL_EINTERNAL, "trace replay: loop step %d: a step failed", k + 1);
	uint64_t *en = disabled + fl_cycles_words(s); /* scratch after disabled */
	memset(en, 0, fl_cycles_words(s) * sizeof *en);
	for (int j = 0; j < n; j++) {
		bit_set(en, buf[j].inst);
		found |= memcmp(&buf[j], st, sizeof *st) == 0;
	}
	if (!found)
		return fl_fail(e, FL_EINTERNAL, "trace replay: loop step %d is not a normal or timeout "
						"step the cycle search considers", k + 1);
	int p = fl_cycles_is_progress(s, t->spec, a, tmp, st);
	if (p != 0)
		return fl_fail(e, FL_EINTERNAL, "trace replay: loop step %d %s", k + 1,
			       p < 0 ? "failed" : "makes progress");
	for (size_t w = 0; w < fl_cycles_words(s); w++)
		disabled[w] |= ~en[w];
	bit_set(stepped, st->inst);
	memcpy(a, tmp, s->width);
	return FL_OK;
}

/* The loop of lasso t, replayed from the initial state (every step was found enabled). */
static int replay_loop(const struct fl_sys *s, const struct fl_trace *t, uint8_t *a, uint8_t *b,
		       struct fl_step *buf, struct fl_err *e)
{
	size_t words = fl_cycles_words(s);
	uint8_t *start = fl_alloc(s->width);
	uint64_t *stepped = fl_alloc(words * sizeof *stepped);
	uint64_t *disabled = fl_alloc(2 * words * sizeof *disabled);
	int rc = start && stepped && disabled ? FL_OK
					      : fl_fail(e, FL_ENOMEM, "out of memory replaying a trace");
	fl_sys_init_state(s, a);
	for (int k = 0; k < t->loop && rc == FL_OK; k++) {
		fl_sys_apply(s, a, b, &t->steps[k], 0, NULL);
		memcpy(a, b, s->width);
	}
	if (rc == FL_OK)
		memcpy(start, a, s->width);
	for (int k = t->loop; k < t->n && rc == FL_OK; k++)
		rc = loop_step(s, t, k, a, b, buf, stepped, disabled, e);
	if (rc == FL_OK && memcmp(a, start, s->width) != 0)
		rc = fl_fail(e, FL_EINTERNAL, "trace replay: the loop does not return to the state "
					      "before step %d", t->loop + 1);
	for (int i = 0; i < s->ninst && rc == FL_OK; i++)
		if (!bit_get(stepped, (unsigned)i) && !bit_get(disabled, (unsigned)i))
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: the loop is not weakly fair: %s is "
						      "enabled throughout and never steps",
				     s->inst[i].name);
	fl_free(start);
	fl_free(stepped);
	fl_free(disabled);
	return rc;
}

int fl_trace_replay(const struct fl_sys *s, const struct fl_trace *t, struct fl_err *e)
{
	uint8_t *a = fl_alloc(s->width), *b = fl_alloc(s->width);
	struct fl_step *buf = fl_alloc(FL_MAX_STEPS * sizeof *buf);
	int rc = a && b && buf ? FL_OK : fl_fail(e, FL_ENOMEM, "out of memory replaying a trace");
	if (rc == FL_OK)
		rc = replay_steps(s, t, a, b, buf, e);
	if (rc == FL_OK && t->loop >= 0)
		rc = t->loop < t->n ? replay_loop(s, t, a, b, buf, e)
				    : fl_fail(e, FL_EINTERNAL, "trace replay: a lasso without a loop");
	if (rc == FL_OK && t->at_rest) {
		struct fl_buf why[FL_MAX_SPECS] = {{0}};
		if (!at_rest(s, a, b, buf))
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: the final state is not at rest");
		else if (!(fl_sys_at_rest(s, a, 1u << t->spec, why) >> t->spec & 1u))
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: the final state satisfies the spec");
		for (int i = 0; i < FL_MAX_SPECS; i++)
			fl_buf_fini(&why[i]);
	}
	fl_free(a);
	fl_free(b);
	fl_free(buf);
	return rc;
}

/* Calls fn for each instance whose slice differs between a and b. */
static void changes(const struct fl_sys *s, const uint8_t *a, const uint8_t *b,
		    void (*fn)(void *ctx, const char *name, const char *before, const char *after),
		    void *ctx)
{
	struct fl_buf x = {0}, y = {0};
	for (int i = 0; i < s->ninst; i++) {
		const struct fl_inst *in = &s->inst[i];
		if (memcmp(a + in->off, b + in->off, in->size) == 0)
			continue;
		fl_buf_reset(&x);
		fl_buf_reset(&y);
		fl_sys_describe(s, a, i, &x);
		fl_sys_describe(s, b, i, &y);
		fn(ctx, in->name, fl_buf_str(&x), fl_buf_str(&y));
	}
	fl_buf_fini(&x);
	fl_buf_fini(&y);
}

static void print_change(void *ctx, const char *name, const char *before, const char *after)
{
	fprintf(ctx, "        %s: %s -> %s\n", name, before, after);
}

/* Walks the trace, calling step_fn with each step's text and the states around it. */
static void walk(const struct fl_sys *s, const struct fl_trace *t,
		 void (*step_fn)(void *ctx, int k, const struct fl_step *st, const char *text,
				 const uint8_t *a, const uint8_t *b),
		 void *ctx)
{
	uint8_t *a = fl_alloc(s->width), *b = fl_alloc(s->width);
	struct fl_buf text = {0};
	if (a && b) {
		fl_sys_init_state(s, a);
		for (int k = 0; k < t->n; k++) {
			fl_buf_reset(&text);
			fl_sys_step_name(s, a, &t->steps[k], &text);
			fl_sys_apply(s, a, b, &t->steps[k], 0, NULL);
			step_fn(ctx, k, &t->steps[k], fl_buf_str(&text), a, b);
			memcpy(a, b, s->width);
		}
	}
	fl_buf_fini(&text);
	fl_free(a);
	fl_free(b);
}

struct print_ctx {
	FILE *f;
	const struct fl_sys *s;
	const struct fl_trace *t;
};

static void print_step(void *ctx, int k, const struct fl_step *st, const char *text,
		       const uint8_t *a, const uint8_t *b)
{
	struct print_ctx *p = ctx;
	if (k == p->t->loop && k + 1 == p->t->n)
		fprintf(p->f, "  -- loop: step %d repeats forever --\n", k + 1);
	else if (k == p->t->loop)
		fprintf(p->f, "  -- loop: steps %d..%d repeat forever --\n", k + 1, p->t->n);
	const char *tag = st->cls == FL_FAULT ? "!! FAULT " : st->cls == FL_TIMEOUT ? "(timeout) " : "";
	fprintf(p->f, "  %3d. %s%s: %s\n", k + 1, tag, p->s->inst[st->inst].name, text);
	changes(p->s, a, b, print_change, p->f);
}

void fl_trace_print(FILE *f, const struct fl_sys *s, const struct fl_trace *t)
{
	struct print_ctx p = {f, s, t};
	fprintf(f, "  Counterexample for %s, %d step%s:\n", s->spec[t->spec].kind->name, t->n,
		t->n == 1 ? "" : "s");
	walk(s, t, print_step, &p);
	if (t->loop >= 0)
		fprintf(f, "  -- back to the state before step %d --\n", t->loop + 1);
	if (t->at_rest)
		fprintf(f, "  ---- the system is now at rest: no step and no timeout can change it.\n");
	fprintf(f, "  => %s violated: %s\n", s->spec[t->spec].kind->name, t->why ? t->why : "");
}

static void json_change(void *ctx, const char *name, const char *before, const char *after)
{
	struct fl_json *j = ctx;
	fl_json_obj(j);
	fl_json_key(j, "component");
	fl_json_str(j, name);
	fl_json_key(j, "before");
	fl_json_str(j, before);
	fl_json_key(j, "after");
	fl_json_str(j, after);
	fl_json_obj_end(j);
}

struct json_ctx {
	struct fl_json *j;
	const struct fl_sys *s;
};

static void json_step(void *ctx, int k, const struct fl_step *st, const char *text,
		      const uint8_t *a, const uint8_t *b)
{
	struct json_ctx *c = ctx;
	struct fl_json *j = c->j;
	static const char *const classes[] = {"normal", "fault", "timeout"};
	fl_json_obj(j);
	fl_json_key(j, "n");
	fl_json_int(j, k + 1);
	fl_json_key(j, "class");
	fl_json_str(j, classes[st->cls]);
	fl_json_key(j, "component");
	fl_json_str(j, c->s->inst[st->inst].name);
	fl_json_key(j, "action");
	fl_json_str(j, text);
	fl_json_key(j, "changes");
	fl_json_arr(j);
	changes(c->s, a, b, json_change, j);
	fl_json_arr_end(j);
	fl_json_obj_end(j);
}

void fl_trace_json(struct fl_json *j, const struct fl_sys *s, const struct fl_trace *t)
{
	struct json_ctx c = {j, s};
	fl_json_obj(j);
	fl_json_key(j, "spec");
	fl_json_str(j, s->spec[t->spec].kind->name);
	fl_json_key(j, "why");
	fl_json_str(j, t->why);
	fl_json_key(j, "ends_at_rest");
	fl_json_bool(j, t->at_rest);
	fl_json_key(j, "loop_start");
	if (t->loop >= 0)
		fl_json_int(j, t->loop + 1);
	else
		fl_json_null(j);
	fl_json_key(j, "steps");
	fl_json_arr(j);
	walk(s, t, json_step, &c);
	fl_json_arr_end(j);
	fl_json_obj_end(j);
}

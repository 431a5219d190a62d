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
	*t = (struct fl_trace){.spec = spec, .at_rest = !v->via_step && !lasso, .loop = -1,
			       .why = fl_strdup(v->why ? v->why : "")};
	if (!t->why)
		return FL_ENOMEM;
	int n = v->via_step ? 1 : 0;
	for (uint32_t i = v->state; fl_store_parent(st, i) != FL_NO_PARENT; i = fl_store_parent(st, i))
		n++;
	int total = n + (lasso ? v->loop_len : 0);
	t->steps = fl_alloc((size_t)(total ? total : 1) * sizeof *t->steps);
	if (!t->steps)
		return fl_trace_fini(t), FL_ENOMEM;
	t->n = total;
	int k = n;
	if (v->via_step)
		t->steps[--k] = v->step;
	for (uint32_t i = v->state; fl_store_parent(st, i) != FL_NO_PARENT; i = fl_store_parent(st, i))
		fl_store_label(st, i, &t->steps[--k]);
	if (lasso) {
		memcpy(t->steps + n, v->loop, (size_t)v->loop_len * sizeof *t->steps);
		t->loop = n;
	}
	return FL_OK;
}

void fl_trace_fini(struct fl_trace *t)
{
	fl_free(t->steps);
	fl_free(t->why);
	t->steps = NULL;
	t->why = NULL;
}

int fl_trace_enabled(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		     uint8_t *tmp, struct fl_step *buf)
{
	int n = fl_sys_steps(s, v, buf, FL_MAX_STEPS), found = 0, moved = 0;
	for (int i = 0; i < n && !found; i++)
		found = memcmp(&buf[i], st, sizeof *st) == 0;
	for (int i = 0; i < n && found && st->cls == FL_TIMEOUT && !moved; i++)
		moved = buf[i].cls == FL_NORMAL &&
			fl_sys_apply(s, v, tmp, &buf[i], 0, NULL).status == FL_OK &&
			memcmp(tmp, v, s->width) != 0;
	return found && !moved;
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
			struct fl_step *buf, struct fl_buf *out, struct fl_err *e)
{
	uint32_t bit = 1u << t->spec;
	struct fl_buf why[FL_MAX_SPECS] = {{0}};
	int rc = FL_OK;
	fl_sys_init_state(s, a);
	for (int k = 0; k < t->n && rc == FL_OK; k++) {
		if (!fl_trace_enabled(s, a, &t->steps[k], b, buf)) {
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
		else if ((o.violated & bit) && out)
			fl_buf_puts(out, fl_buf_str(&why[t->spec]));
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
	return fl_trace_check(s, t, NULL, e);
}

int fl_trace_check(const struct fl_sys *s, const struct fl_trace *t, struct fl_buf *out,
		   struct fl_err *e)
{
	uint8_t *a = fl_alloc(s->width), *b = fl_alloc(s->width);
	struct fl_step *buf = fl_alloc(FL_MAX_STEPS * sizeof *buf);
	int rc = a && b && buf ? FL_OK : fl_fail(e, FL_ENOMEM, "out of memory replaying a trace");
	if (rc == FL_OK)
		rc = replay_steps(s, t, a, b, buf, out, e);
	if (rc == FL_OK && t->loop >= 0)
		rc = t->loop < t->n ? replay_loop(s, t, a, b, buf, e)
				    : fl_fail(e, FL_EINTERNAL, "trace replay: a lasso without a loop");
	if (rc == FL_OK && t->at_rest) {
		struct fl_buf why[FL_MAX_SPECS] = {{0}};
		if (!at_rest(s, a, b, buf))
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: the final state is not at rest");
		else if (!(fl_sys_at_rest(s, a, 1u << t->spec, why) >> t->spec & 1u))
			rc = fl_fail(e, FL_EINTERNAL, "trace replay: the final state satisfies the spec");
		else if (out)
			fl_buf_puts(out, fl_buf_str(&why[t->spec]));
		for (int i = 0; i < FL_MAX_SPECS; i++)
			fl_buf_fini(&why[i]);
	}
	fl_free(a);
	fl_free(b);
	fl_free(buf);
	return rc;
}

/* 1 if w is a step of an instance a fault struck before (faulted[i]) that concerns no record:
 * its recovery or its restart. faulted is updated with w's own fault. */
static int comes_back(uint8_t *faulted, const struct fl_trace_step *w)
{
	if (w->st->cls == FL_FAULT) {
		if (w->st->target < FL_MAX_STEPS)
			faulted[w->st->target] = 1;
		return 0;
	}
	for (int i = 0; i < w->ev->n; i++)
		if (w->ev->e[i].rec)
			return 0;
	return w->st->inst < FL_MAX_STEPS && faulted[w->st->inst];
}

int fl_trace_walk(const struct fl_sys *s, const struct fl_trace *t, fl_trace_step_fn fn, void *ctx)
{
	uint8_t *a = fl_alloc(s->width), *b = fl_alloc(s->width), faulted[FL_MAX_STEPS] = {0};
	struct fl_buf text = {0}, why[FL_MAX_SPECS] = {{0}};
	int rc = a && b ? FL_OK : FL_ENOMEM;
	uint32_t bit = 1u << t->spec;
	if (rc == FL_OK) {
		fl_sys_init_state(s, a);
		for (int k = 0; k < t->n; k++) {
			struct fl_events ev = {0};
			fl_buf_reset(&text);
			fl_sys_step_name(s, a, &t->steps[k], &text);
			struct fl_outcome o = fl_sys_apply_events(s, a, b, &t->steps[k], bit, why, &ev);
			struct fl_trace_step w = {k, &t->steps[k], fl_buf_str(&text), a, b, &ev,
						  (o.violated & bit) != 0, 0};
			w.back = comes_back(faulted, &w);
			fn(ctx, &w);
			memcpy(a, b, s->width);
		}
	}
	rc = rc == FL_OK && text.oom ? FL_ENOMEM : rc;
	for (int i = 0; i < FL_MAX_SPECS; i++)
		fl_buf_fini(&why[i]);
	fl_buf_fini(&text);
	fl_free(a);
	fl_free(b);
	return rc;
}

static int slice_differs(const uint8_t *a, const uint8_t *b, size_t off, size_t size)
{
	return size && memcmp(a + off, b + off, size) != 0;
}

void fl_trace_changes(const struct fl_sys *s, const uint8_t *a, const uint8_t *b,
		      fl_trace_change_fn fn, void *ctx)
{
	struct fl_buf x = {0}, y = {0}, name = {0};
	for (int i = 0; i < s->ninst; i++) {
		const struct fl_inst *in = &s->inst[i];
		if (!slice_differs(a, b, in->off, in->size))
			continue;
		fl_buf_reset(&x);
		fl_buf_reset(&y);
		fl_sys_describe(s, a, i, &x);
		fl_sys_describe(s, b, i, &y);
		fn(ctx, in->name, fl_buf_str(&x), fl_buf_str(&y));
	}
	for (int i = 0; i < s->nspec; i++) {
		const struct fl_spec *sp = &s->spec[i];
		if (!sp->kind->describe || !slice_differs(a, b, sp->off, sp->size))
			continue;
		fl_buf_reset(&x);
		fl_buf_reset(&y);
		fl_buf_reset(&name);
		sp->kind->describe(s, a, i, &x);
		sp->kind->describe(s, b, i, &y);
		fl_buf_printf(&name, "[%s]", sp->kind->name);
		fn(ctx, fl_buf_str(&name), fl_buf_str(&x), fl_buf_str(&y));
	}
	fl_buf_fini(&x);
	fl_buf_fini(&y);
	fl_buf_fini(&name);
}

void fl_trace_hex(const struct fl_sys *s, const uint8_t *v, struct fl_buf *b)
{
	for (size_t i = 0; i < s->width; i++)
		fl_buf_printf(b, "%02x", v[i]);
}

/* ---- lanes ------------------------------------------------------------------------------ */

#define LANES_MAX 52 /* a..z, A..Z; a trace involving more instances is printed without lanes */

struct lanes {
	int lane[FL_MAX_STEPS]; /* per instance: its lane, or -1 */
	int n;                  /* lanes in use; 0 when the trace involves too many instances */
	int inst[LANES_MAX];    /* per lane: the instance */
};

static char lane_letter(int i) { return (char)(i < 26 ? 'a' + i : 'A' + i - 26); }

static void lanes_mark(void *ctx, const struct fl_trace_step *w)
{
	int *used = ctx;
	used[w->st->inst] = 1;
	used[w->st->target] = 1;
}

static void lanes_mark_changes(const struct fl_sys *s, const uint8_t *a, const uint8_t *b, int *used)
{
	for (int i = 0; i < s->ninst; i++)
		if (slice_differs(a, b, s->inst[i].off, s->inst[i].size))
			used[i] = 1;
}

struct lanes_ctx {
	const struct fl_sys *s;
	int *used;
};

static void lanes_visit(void *ctx, const struct fl_trace_step *w)
{
	struct lanes_ctx *c = ctx;
	lanes_mark(c->used, w);
	lanes_mark_changes(c->s, w->a, w->b, c->used);
}

/* A lane per instance the trace involves (acts, suffers a fault or is changed), in instance
 * order. */
static void lanes_build(const struct fl_sys *s, const struct fl_trace *t, struct lanes *L)
{
	int used[FL_MAX_STEPS] = {0};
	struct lanes_ctx c = {s, used};
	L->n = 0;
	if (s->ninst > FL_MAX_STEPS || fl_trace_walk(s, t, lanes_visit, &c) != FL_OK)
		return;
	for (int i = 0; i < s->ninst; i++) {
		L->lane[i] = -1;
		if (used[i] && L->n < LANES_MAX) {
			L->inst[L->n] = i;
			L->lane[i] = L->n++;
		} else if (used[i]) {
			L->n = 0;
			return;
		}
	}
	if (L->n < 2) /* one lane says nothing the step's name does not */
		L->n = 0;
}

static void lanes_legend(FILE *f, const struct fl_sys *s, const struct lanes *L)
{
	int col = fprintf(f, "  lanes:");
	for (int l = 0; l < L->n; l++) {
		const char *name = s->inst[L->inst[l]].name;
		if (col + (int)strlen(name) + 5 > 100)
			col = fprintf(f, "\n        ");
		col += fprintf(f, "  %c %s", lane_letter(l), name);
	}
	fprintf(f, "\n");
}

/* The lane strip of one step: '*' the actor ('+' when it comes back from a fault), 'X' a
 * fault's target, 'o' changed, '.' idle. */
static void lanes_strip(const struct fl_sys *s, const struct lanes *L, const struct fl_trace_step *w,
			int back, char *out)
{
	for (int l = 0; l < L->n; l++) {
		const struct fl_inst *in = &s->inst[L->inst[l]];
		out[l] = slice_differs(w->a, w->b, in->off, in->size) ? 'o' : '.';
	}
	out[L->lane[w->st->inst]] = back ? '+' : '*';
	if (w->st->cls == FL_FAULT)
		out[L->lane[w->st->target]] = 'X';
	out[L->n] = 0;
}

/* ---- text ------------------------------------------------------------------------------- */

struct print_ctx {
	FILE *f;
	const struct fl_sys *s;
	const struct fl_trace *t;
	const struct lanes *L;
};

static void print_change(void *ctx, const char *name, const char *before, const char *after)
{
	fprintf(ctx, "        %s: %s -> %s\n", name, before, after);
}

static void print_step(void *ctx, const struct fl_trace_step *w)
{
	struct print_ctx *p = ctx;
	int k = w->k;
	char strip[LANES_MAX + 1] = "";
	if (k == p->t->loop && k + 1 == p->t->n)
		fprintf(p->f, "  -- loop: step %d repeats forever --\n", k + 1);
	else if (k == p->t->loop)
		fprintf(p->f, "  -- loop: steps %d..%d repeat forever --\n", k + 1, p->t->n);
	int back = w->back;
	if (p->L->n)
		lanes_strip(p->s, p->L, w, back, strip);
	const struct fl_step *st = w->st;
	const char *tag = st->cls == FL_FAULT ? "!! FAULT " : back ? "++ " : "";
	if (st->cls == FL_TIMEOUT)
		tag = back ? "++ (timeout) " : "(timeout) ";
	fprintf(p->f, "  %3d. %s%s%s%s: %s\n", k + 1, strip, *strip ? "  " : "", tag,
		p->s->inst[st->inst].name, w->text);
	fl_trace_changes(p->s, w->a, w->b, print_change, p->f);
	if (w->breaks && k + 1 == p->t->n && !p->t->at_rest && p->t->loop < 0)
		fprintf(p->f, p->s->spec[p->t->spec].kind->reachable
				      ? "        <== here the situation %s looks for is reached\n"
				      : "        <== this step breaks %s\n",
			p->s->spec[p->t->spec].kind->name);
}

/* Prints text as a paragraph wrapped at 100 columns, every line indented by `indent`. */
static void print_wrapped(FILE *f, const char *text, const char *first, int indent)
{
	int col = fprintf(f, "%s", first);
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, " ");
		if (col > indent && col + (int)n + 1 > 100)
			col = fprintf(f, "\n%*s", indent, "");
		else if (col > (int)strlen(first))
			col += fprintf(f, " ");
		col += fprintf(f, "%.*s", (int)n, p);
		p += n;
		p += strspn(p, " ");
	}
	fprintf(f, "\n");
}

void fl_trace_print(FILE *f, const struct fl_sys *s, const struct fl_trace *t)
{
	struct lanes L;
	lanes_build(s, t, &L);
	struct print_ctx p = {f, s, t, &L};
	int reach = s->spec[t->spec].kind->reachable;
	fprintf(f, "  %s for %s, %d step%s", reach ? "Witness" : "Counterexample",
		s->spec[t->spec].kind->name, t->n,
		t->n == 1 ? "" : "s");
	if (t->minimized_from > t->n)
		fprintf(f, " (minimised from %d: %d removed)", t->minimized_from,
			t->minimized_from - t->n);
	else if (t->minimized_from)
		fprintf(f, " (minimised: no step could be removed)");
	fprintf(f, ":\n");
	if (L.n)
		lanes_legend(f, s, &L);
	fl_trace_walk(s, t, print_step, &p);
	if (t->loop >= 0)
		fprintf(f, "  -- back to the state before step %d --\n", t->loop + 1);
	if (t->at_rest)
		fprintf(f, "  ---- the system is now at rest: no step and no timeout can change it.\n");
	fprintf(f, "  => %s %s: %s\n", s->spec[t->spec].kind->name, reach ? "reached" : "violated",
		t->why ? t->why : "");
	struct fl_buf b = {0};
	fl_trace_explain(s, t, &b);
	print_wrapped(f, fl_buf_str(&b), "  In short: ", 12);
	fl_buf_fini(&b);
}

/* ---- explanation ------------------------------------------------------------------------ */

#define EXPLAIN_ITEMS 14 /* more steps than this are elided in the middle */

struct explain_ctx {
	const struct fl_sys *s;
	const struct fl_trace *t;
	uint64_t recs[4];          /* the records the spec's sentence names */
	int nrecs;
	struct fl_buf items[EXPLAIN_ITEMS];
	int nitems, skipped;
};

static int rec_named(const struct explain_ctx *c, int rec)
{
	return rec > 0 && rec < 256 && (c->recs[rec / 64] >> (rec % 64) & 1u);
}

/* Reads every "record N" of the sentence into c->recs. */
static void explain_records(struct explain_ctx *c, const char *why)
{
	for (const char *p = why ? strstr(why, "record ") : NULL; p; p = strstr(p + 1, "record ")) {
		int rec = atoi(p + 7);
		if (rec > 0 && rec < 256 && !rec_named(c, rec)) {
			c->recs[rec / 64] |= 1ull << (rec % 64);
			c->nrecs++;
		}
	}
}

/* 1 if the step is a fault or concerns a named record (by its events or its text); the
 * story also has the steps by which faulted instances come back (fl_trace_step.back). */
static int explain_wants(struct explain_ctx *c, const struct fl_trace_step *w)
{
	if (w->st->cls == FL_FAULT)
		return 1;
	for (const char *p = strstr(w->text, "record "); p; p = strstr(p + 1, "record "))
		if (rec_named(c, atoi(p + 7)))
			return 1;
	for (int i = 0; i < w->ev->n; i++)
		if (rec_named(c, w->ev->e[i].rec))
			return 1;
	return 0;
}

static void explain_step(void *ctx, const struct fl_trace_step *w)
{
	struct explain_ctx *c = ctx;
	int want = (c->t->loop < 0 || w->k < c->t->loop) && (w->back || explain_wants(c, w));
	if (!want)
		return;
	if (c->nitems == EXPLAIN_ITEMS) { /* keep the first 4 and the latest ones */
		struct fl_buf gone = c->items[4];
		memmove(&c->items[4], &c->items[5], (EXPLAIN_ITEMS - 5) * sizeof *c->items);
		c->items[EXPLAIN_ITEMS - 1] = gone;
		fl_buf_reset(&c->items[EXPLAIN_ITEMS - 1]);
		c->nitems--;
		c->skipped++;
	}
	struct fl_buf *b = &c->items[c->nitems++];
	fl_buf_printf(b, "%s%s %s (step %d)",
		      w->st->cls != FL_FAULT ? "" : c->nitems > 1 ? "then a fault strikes: " : "a fault strikes: ",
		      c->s->inst[w->st->inst].name, w->text, w->k + 1);
}

/* The loop of a lasso, its first steps by name. */
static void explain_loop_step(void *ctx, const struct fl_trace_step *w)
{
	struct explain_ctx *c = ctx;
	int first = c->t->loop, shown = 4;
	if (w->k < first || w->k >= first + shown)
		return;
	fl_buf_printf(&c->items[0], "%s%s %s", w->k > first ? "; " : "",
		      c->s->inst[w->st->inst].name, w->text);
}

static void explain_loop(const struct fl_sys *s, const struct fl_trace *t, struct fl_buf *b)
{
	struct explain_ctx c = {.s = s, .t = t};
	fl_trace_walk(s, t, explain_loop_step, &c);
	int more = t->n - t->loop - 4;
	fl_buf_printf(b, " From step %d on, these steps repeat forever and none of them is progress: "
			 "%s%s%s.", t->loop + 1, fl_buf_str(&c.items[0]), more > 0 ? "; and " : "",
		      more > 0 ? "more" : "");
	fl_buf_fini(&c.items[0]);
}

void fl_trace_explain(const struct fl_sys *s, const struct fl_trace *t, struct fl_buf *b)
{
	struct explain_ctx c = {.s = s, .t = t};
	explain_records(&c, t->why);
	fl_trace_walk(s, t, explain_step, &c);
	for (int rec = 1, k = 0; rec < 256; rec++) {
		if (!rec_named(&c, rec))
			continue;
		k++;
		fl_buf_printf(b, "%s %d%s", k > 1 ? "," : c.nrecs == 1 ? "Record" : "Records", rec,
			      k == c.nrecs ? ": " : "");
	}
	for (int i = 0; i < c.nitems; i++) {
		fl_buf_printf(b, "%s%s", i ? "; " : "", fl_buf_str(&c.items[i]));
		if (i == 3 && c.skipped)
			fl_buf_printf(b, "; ... (%d more such step%s) ...", c.skipped, c.skipped == 1 ? "" : "s");
	}
	if (c.nitems)
		fl_buf_puts(b, ".");
	if (t->loop >= 0)
		explain_loop(s, t, b);
	else if (t->at_rest)
		fl_buf_printf(b, " After step %d nothing more can happen, and so: %s", t->n, t->why);
	else
		fl_buf_printf(b, s->spec[t->spec].kind->reachable ? " Step %d is what %s looks for: %s"
								  : " Step %d breaks %s: %s",
			      t->n, s->spec[t->spec].kind->name, t->why);
	if (b->p && b->p[0] == ' ')
		memmove(b->p, b->p + 1, b->len--);
	if (b->p && b->p[0] >= 'a' && b->p[0] <= 'z')
		b->p[0] = (char)(b->p[0] - 'a' + 'A');
	for (int i = 0; i < EXPLAIN_ITEMS; i++)
		fl_buf_fini(&c.items[i]);
}

/* ---- JSON ------------------------------------------------------------------------------- */

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
	struct fl_buf hex;
};

static void json_raw(struct fl_json *j, const struct fl_step *st)
{
	fl_json_obj(j);
	fl_json_key(j, "inst"), fl_json_int(j, st->inst);
	fl_json_key(j, "target"), fl_json_int(j, st->target);
	fl_json_key(j, "cls"), fl_json_int(j, st->cls);
	fl_json_key(j, "action"), fl_json_int(j, st->action);
	fl_json_key(j, "arg"), fl_json_int(j, st->arg);
	fl_json_key(j, "fault"), fl_json_int(j, st->fault);
	fl_json_key(j, "farg"), fl_json_int(j, st->farg);
	fl_json_obj_end(j);
}

static void json_step(void *ctx, const struct fl_trace_step *w)
{
	struct json_ctx *c = ctx;
	struct fl_json *j = c->j;
	static const char *const classes[] = {"normal", "fault", "timeout"};
	fl_json_obj(j);
	fl_json_key(j, "n"), fl_json_int(j, w->k + 1);
	fl_json_key(j, "class"), fl_json_str(j, classes[w->st->cls]);
	fl_json_key(j, "component"), fl_json_str(j, c->s->inst[w->st->inst].name);
	fl_json_key(j, "action"), fl_json_str(j, w->text);
	fl_json_key(j, "breaks"), fl_json_bool(j, w->breaks);
	fl_json_key(j, "raw"), json_raw(j, w->st);
	fl_json_key(j, "changes");
	fl_json_arr(j);
	fl_trace_changes(c->s, w->a, w->b, json_change, j);
	fl_json_arr_end(j);
	fl_buf_reset(&c->hex);
	fl_trace_hex(c->s, w->b, &c->hex);
	fl_json_key(j, "state"), fl_json_str(j, fl_buf_str(&c->hex));
	fl_json_obj_end(j);
}

static void json_strings(struct fl_json *j, const char *const *v, int n)
{
	fl_json_arr(j);
	for (int i = 0; i < n; i++)
		fl_json_str(j, v[i]);
	fl_json_arr_end(j);
}

/* Where the trace comes from: enough for `faultline replay` to rebuild the same system. */
static void json_origin(struct fl_json *j, const struct fl_sys *s, const struct fl_scn_opts *o)
{
	fl_json_key(j, "format"), fl_json_str(j, "faultline-trace");
	fl_json_key(j, "version"), fl_json_int(j, 1);
	fl_json_key(j, "file"), fl_json_str(j, s->file);
	fl_json_key(j, "scenario"), fl_json_str(j, s->name);
	fl_json_key(j, "variant");
	if (o && o->variant && *o->variant)
		fl_json_str(j, o->variant);
	else
		fl_json_null(j);
	fl_json_key(j, "sets"), json_strings(j, o ? o->sets : NULL, o ? o->nsets : 0);
	fl_json_key(j, "only_specs"), json_strings(j, o ? o->specs : NULL, o ? o->nspecs : 0);
	fl_json_key(j, "state_vector_bytes"), fl_json_int(j, (long long)s->width);
}

void fl_trace_json(struct fl_json *j, const struct fl_sys *s, const struct fl_scn_opts *o,
		   const struct fl_trace *t)
{
	struct json_ctx c = {j, s, {0}};
	struct fl_buf b = {0};
	fl_json_obj(j);
	json_origin(j, s, o);
	fl_json_key(j, "spec"), fl_json_str(j, s->spec[t->spec].kind->name);
	fl_json_key(j, "why"), fl_json_str(j, t->why);
	fl_trace_explain(s, t, &b);
	fl_json_key(j, "explanation"), fl_json_str(j, fl_buf_str(&b));
	fl_json_key(j, "ends_at_rest"), fl_json_bool(j, t->at_rest);
	fl_json_key(j, "loop_start");
	t->loop >= 0 ? fl_json_int(j, t->loop + 1) : fl_json_null(j);
	fl_json_key(j, "minimized_from");
	t->minimized_from ? fl_json_int(j, t->minimized_from) : fl_json_null(j);
	uint8_t *v = fl_alloc(s->width);
	if (v) {
		fl_sys_init_state(s, v);
		fl_buf_reset(&b);
		fl_trace_hex(s, v, &b);
		fl_free(v);
	}
	fl_json_key(j, "initial_state"), fl_json_str(j, fl_buf_str(&b));
	fl_json_key(j, "steps");
	fl_json_arr(j);
	fl_trace_walk(s, t, json_step, &c);
	fl_json_arr_end(j);
	fl_json_obj_end(j);
	fl_buf_fini(&b);
	fl_buf_fini(&c.hex);
}

/*
 * coverage.c - vacuity and coverage warnings (see coverage.h). Generic: actions are named by
 * the kinds (fl_kind.actions, action_name), events only as the masks specs declare
 * (fl_spec_kind.watches, watch_what).
 */
#include "coverage.h"

#include <string.h>

/* Actions instance i can take: its kind's possible(), or every named action. */
static uint64_t possible(const struct fl_sys *s, int i)
{
	const struct fl_kind *k = s->inst[i].kind;
	if (k->possible)
		return k->possible(s, i);
	uint64_t m = 0;
	for (int a = 0; k->actions && k->actions[a] && a < 64; a++)
		m |= (uint64_t)1 << a;
	return m;
}

static void action_name(const struct fl_sys *s, int i, int a, struct fl_buf *b)
{
	const struct fl_kind *k = s->inst[i].kind;
	if (k->action_name)
		k->action_name(s, i, a, b);
	else
		fl_buf_puts(b, k->actions ? k->actions[a] : "?");
}

/* Emits one warning; returns 0, or FL_ENOMEM when a buffer ran out of memory. */
static int emit(fl_cov_fn fn, void *ctx, int type, const char *comp, struct fl_buf *what,
		struct fl_buf *text)
{
	if (what->oom || text->oom)
		return FL_ENOMEM;
	if (fn) {
		struct fl_cov_warning w = {type, comp, fl_buf_str(what), fl_buf_str(text)};
		fn(ctx, &w);
	}
	return 0;
}

static int actions(const struct fl_sys *s, const struct fl_result *r, fl_cov_fn fn, void *ctx,
		   struct fl_buf *what, struct fl_buf *text)
{
	int n = 0;
	for (int i = 0, j; i < s->ninst; i = j) {
		uint64_t can = 0, seen = 0;
		for (j = i; j < s->ninst && !strcmp(s->inst[j].comp, s->inst[i].comp); j++) {
			can |= possible(s, j);
			seen |= r->enabled[j];
		}
		uint64_t missed = can & ~seen;
		for (int a = 0; a < 64 && missed; a++) {
			if (!(missed >> a & 1u))
				continue;
			fl_buf_reset(what);
			fl_buf_reset(text);
			action_name(s, i, a, what);
			fl_buf_printf(text, "%s: %s was never enabled%s", s->inst[i].comp, fl_buf_str(what),
				      j - i > 1 ? " in any region" : "");
			if (emit(fn, ctx, FL_COV_ACTION, s->inst[i].comp, what, text))
				return FL_ENOMEM;
			n++;
		}
	}
	return n;
}

static int faults(const struct fl_sys *s, const struct fl_result *r, fl_cov_fn fn, void *ctx,
		  struct fl_buf *what, struct fl_buf *text)
{
	int n = 0;
	for (int k = 0; k < s->nbudget && s->budget_max > 0; k++) {
		const struct fl_budget_entry *b = &s->budget[k];
		const struct fl_inst *in = &s->inst[b->inst];
		if (r->injected[k])
			continue;
		fl_buf_reset(what);
		fl_buf_reset(text);
		fl_buf_puts(what, in->kind->faults[b->fault]);
		if (b->farg != FL_ANY)
			fl_buf_printf(what, " (region %d)", fl_region_label(b->farg));
		fl_buf_printf(text, "%s: fault %s never happened (no state it would change was reached)",
			      in->name, fl_buf_str(what));
		if (emit(fn, ctx, FL_COV_FAULT, in->name, what, text))
			return FL_ENOMEM;
		n++;
	}
	return n;
}

/* 1 if checked spec i, not found violated, holds vacuously; says why into b. */
static int vacuous(const struct fl_sys *s, const struct fl_result *r, int i, struct fl_buf *b)
{
	const struct fl_spec_kind *k = s->spec[i].kind;
	if (!s->spec[i].checked || (r->violated >> i & 1u) || k->reachable)
		return 0;
	if (k->eventually && !r->rest_states) {
		fl_buf_puts(b, "was never judged: no state at rest was reached");
		return 1;
	}
	if (!k->eventually && k->watches && !(r->events & k->watches)) {
		fl_buf_printf(b, "never saw %s: it holds vacuously", k->watch_what ? k->watch_what
										    : "what it watches");
		return 1;
	}
	return 0;
}

static int specs(const struct fl_sys *s, const struct fl_result *r, fl_cov_fn fn, void *ctx,
		 struct fl_buf *what, struct fl_buf *text)
{
	int n = 0;
	for (int i = 0; i < s->nspec; i++) {
		fl_buf_reset(what);
		fl_buf_reset(text);
		if (!vacuous(s, r, i, what))
			continue;
		fl_buf_printf(text, "%s %s", s->spec[i].kind->name, fl_buf_str(what));
		if (emit(fn, ctx, FL_COV_SPEC, s->spec[i].kind->name, what, text))
			return FL_ENOMEM;
		n++;
	}
	return n;
}

int fl_coverage_warnings(const struct fl_sys *s, const struct fl_result *r, fl_cov_fn fn, void *ctx)
{
	if (r->coverage == FL_COVER_NONE || !r->enabled || !r->injected)
		return 0;
	struct fl_buf what = {0}, text = {0};
	int a = actions(s, r, fn, ctx, &what, &text);
	int f = a < 0 ? 0 : faults(s, r, fn, ctx, &what, &text);
	int p = a < 0 || f < 0 ? 0 : specs(s, r, fn, ctx, &what, &text);
	fl_buf_fini(&what);
	fl_buf_fini(&text);
	return a < 0 || f < 0 || p < 0 ? FL_ENOMEM : a + f + p;
}

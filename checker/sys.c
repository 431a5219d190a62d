/*
 * sys.c - the generic system: gathers steps from the kinds, applies them, charges faults to
 * the budget and runs the spec monitors. It knows kinds only through struct fl_kind.
 */
#include "sys.h"

#include <string.h>

void fl_sys_free(struct fl_sys *s)
{
	for (int i = 0; i < s->ninst; i++) {
		fl_free(s->inst[i].name);
		fl_free(s->inst[i].comp);
		fl_free(s->inst[i].conf);
	}
	for (int i = 0; i < s->nspec; i++)
		fl_free(s->spec[i].conf);
	fl_free(s->inst);
	fl_free(s->spec);
	fl_free(s->budget);
	fl_free(s->name);
	fl_free(s->file);
	*s = (struct fl_sys){0};
}

void fl_sys_layout(struct fl_sys *s)
{
	size_t off = FL_HDR_SIZE;
	for (int i = 0; i < s->ninst; i++) {
		s->inst[i].off = off;
		off += s->inst[i].size;
	}
	for (int i = 0; i < s->nspec; i++) {
		s->spec[i].off = off;
		off += s->spec[i].size;
	}
	s->width = off;
}

void fl_sys_init_state(const struct fl_sys *s, uint8_t *v)
{
	memset(v, 0, s->width);
	for (int i = 0; i < s->ninst; i++)
		if (s->inst[i].kind->init)
			s->inst[i].kind->init(s, v, i);
	for (int i = 0; i < s->nspec; i++)
		if (s->spec[i].kind->init)
			s->spec[i].kind->init(s, v, i);
}

static int budget_allows(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st)
{
	if (v[FL_HDR_FAULTS] >= s->budget_max)
		return 0;
	for (int i = 0; i < s->nbudget; i++) {
		const struct fl_budget_entry *b = &s->budget[i];
		if (b->inst == st->target && b->fault == st->fault &&
		    (b->farg == FL_ANY || b->farg == st->farg))
			return 1;
	}
	return 0;
}

/* Budget faults that the system injects itself (all but the call-shaped ones kinds offer). */
static int injected_faults(const struct fl_sys *s, const uint8_t *v, struct fl_step *out, int max)
{
	int n = 0;
	if (v[FL_HDR_FAULTS] >= s->budget_max)
		return 0;
	for (int i = 0; i < s->nbudget; i++) {
		const struct fl_budget_entry *b = &s->budget[i];
		const struct fl_kind *k = s->inst[b->inst].kind;
		if (!k->inject || (k->fault_during_call >> b->fault & 1u))
			continue;
		int lo = b->farg, hi = b->farg;
		if (b->farg == FL_ANY && (k->fault_needs_region >> b->fault & 1u)) {
			lo = 0;
			hi = s->nregions - 1;
		}
		for (int r = lo; r <= hi; r++) {
			if (n >= max)
				return FL_EINTERNAL;
			out[n++] = (struct fl_step){.inst = b->inst, .target = b->inst, .cls = FL_FAULT,
						    .action = FL_ACT_INJECT, .fault = b->fault,
						    .farg = (uint8_t)r, .arg = b->permanent};
		}
	}
	return n;
}

int fl_sys_steps(const struct fl_sys *s, const uint8_t *v, struct fl_step *out, int max)
{
	int n = 0;
	for (int i = 0; i < s->ninst; i++) {
		const struct fl_kind *k = s->inst[i].kind;
		if (!k->steps)
			continue;
		int got = k->steps(s, v, i, out + n, max - n);
		if (got < 0 || got > max - n)
			return FL_EINTERNAL;
		/* Kinds offer call-shaped faults (lost responses); keep those the budget allows. */
		int kept = 0;
		for (int j = 0; j < got; j++)
			if (out[n + j].cls != FL_FAULT || budget_allows(s, v, &out[n + j]))
				out[n + kept++] = out[n + j];
		n += kept;
	}
	int got = injected_faults(s, v, out + n, max - n);
	return got < 0 ? got : n + got;
}

static uint32_t run_monitors(const struct fl_sys *s, uint8_t *to, const struct fl_events *ev,
			     uint32_t active, struct fl_buf *why)
{
	uint32_t bad = 0;
	struct fl_buf scratch = {0}; /* reasons nobody asked for; allocated only if written */
	for (int i = 0; i < s->nspec; i++) {
		const struct fl_spec_kind *k = s->spec[i].kind;
		int on = active >> i & 1u;
		/* Monitors with state must see every step, even once their verdict is known. */
		if (!k->on_events || (!on && !s->spec[i].size))
			continue;
		if (k->on_events(s, to, i, ev, on && why ? &why[i] : &scratch) && on)
			bad |= 1u << i;
	}
	fl_buf_fini(&scratch);
	return bad;
}

struct fl_outcome fl_sys_apply(const struct fl_sys *s, const uint8_t *from, uint8_t *to,
			       const struct fl_step *st, uint32_t active, struct fl_buf *why)
{
	struct fl_events ev;
	return fl_sys_apply_events(s, from, to, st, active, why, &ev);
}

struct fl_outcome fl_sys_apply_events(const struct fl_sys *s, const uint8_t *from, uint8_t *to,
				      const struct fl_step *st, uint32_t active, struct fl_buf *why,
				      struct fl_events *ev)
{
	struct fl_outcome o = {FL_OK, 0, 0};
	*ev = (struct fl_events){0};
	memcpy(to, from, s->width);
	const struct fl_kind *k = s->inst[st->inst].kind;
	if (st->action == FL_ACT_INJECT)
		o.status = k->inject(s, to, st->inst, st->fault, st->farg,
				     st->arg ? FL_PERMANENT : FL_TRANSIENT, ev);
	else
		o.status = k->apply(s, to, st, ev);
	/* A fault that changes nothing (an outage of a queue already out) is not charged: it is
	 * a stutter, not a fault that happened. */
	if (st->cls == FL_FAULT &&
	    memcmp(to + FL_HDR_SIZE, from + FL_HDR_SIZE, s->width - FL_HDR_SIZE) != 0)
		to[FL_HDR_FAULTS] = (uint8_t)(to[FL_HDR_FAULTS] + 1);
	o.overflow = ev->overflow;
	if (o.status == FL_OK)
		o.violated = run_monitors(s, to, ev, active, why);
	return o;
}

uint32_t fl_sys_at_rest(const struct fl_sys *s, const uint8_t *v, uint32_t active,
			struct fl_buf *why)
{
	uint32_t bad = 0;
	for (int i = 0; i < s->nspec; i++) {
		const struct fl_spec_kind *k = s->spec[i].kind;
		if ((active >> i & 1u) && k->at_rest && k->at_rest(s, v, i, &why[i]))
			bad |= 1u << i;
	}
	return bad;
}

uint32_t fl_sys_checked_mask(const struct fl_sys *s)
{
	uint32_t m = 0;
	for (int i = 0; i < s->nspec; i++)
		if (s->spec[i].checked)
			m |= 1u << i;
	return m;
}

void fl_sys_step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	const struct fl_inst *in = &s->inst[st->inst];
	if (st->action == FL_ACT_INJECT) {
		fl_buf_puts(b, in->kind->faults[st->fault]);
		if (in->kind->fault_needs_region >> st->fault & 1u)
			fl_buf_printf(b, " (region %d)", fl_region_label(st->farg));
		fl_buf_puts(b, st->arg ? ", permanent" : ", transient");
		return;
	}
	in->kind->step_name(s, v, st, b);
}

void fl_sys_describe(const struct fl_sys *s, const uint8_t *v, int i, struct fl_buf *b)
{
	s->inst[i].kind->describe(s, v, i, b);
}

int fl_sys_find_comp(const struct fl_sys *s, const char *comp)
{
	for (int i = 0; i < s->ninst; i++)
		if (strcmp(s->inst[i].comp, comp) == 0)
			return i;
	return -1;
}

int fl_sys_comp_region(const struct fl_sys *s, int first, int region)
{
	if (s->inst[first].region < 0)
		return first;
	return first + region;
}

void fl_event_add(struct fl_events *ev, int type, int region, int inst, int rec, int other)
{
	if (ev->n >= FL_MAX_EVENTS) {
		ev->overflow = 1;
		return;
	}
	ev->e[ev->n++] = (struct fl_event){(uint8_t)type, (uint8_t)region, (uint16_t)inst,
					   (uint16_t)rec, (uint16_t)other};
}

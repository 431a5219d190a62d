/*
 * script.c - the scenario's script: phases run one after another, interleaved with everything
 * else the system does, like the P test drivers.
 *
 *   publish: B                     the source starts publishing batch B
 *   await: destination.received >= batch 2   waits until the condition holds; `batch N`
 *                                  is the number of records in batches 1..N
 *   fail: {component: C, region: R, fault: F}   (or `fail: C[R]`, the kind's first fault)
 *   recover: C[R]                  ends every fault of that instance
 *   switch: C                      a failover DNS, Aurora or MongoDB Atlas makes its next
 *                                  region active (the P models' SwitchRegions)
 *   settle                         waits until nothing else can happen (a timeout step: it is
 *                                  taken only where no normal step changes the state)
 *
 * A component failed by the script stays failed until the script recovers it. A condition is
 * `<component>[<region>].<metric> <op> <number>`; without [region] a per-region component's
 * metric is summed over its regions. The loader creates one script instance, `script`.
 *
 * State: pc (the phase it is at; nphase = finished).
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PHASES 64

enum { P_PUBLISH, P_AWAIT, P_FAIL, P_RECOVER, P_SETTLE, P_SWITCH };
static const char *const phase_names[] = {"publish", "await", "fail", "recover", "settle", "switch",
					  NULL};

struct phase {
	int type;
	int inst, ninst; /* instances the phase acts on */
	struct model_cond cond; /* await */
	int fault, farg;
	int batch;
	char text[128];  /* the phase as people read it */
};

struct script_conf {
	int nphase;
	int source; /* the source instance publish phases drive, or -1 */
	struct phase ph[MAX_PHASES];
};

static const struct script_conf *conf(const struct fl_sys *s, int i) { return s->inst[i].conf; }

static uint8_t *pc(const struct fl_sys *s, const uint8_t *v, int i)
{
	return (uint8_t *)(uintptr_t)(v + s->inst[i].off);
}

static int parse_await(struct fl_sys *s, const struct fl_node *n, struct phase *p, struct fl_err *e)
{
	int rc = model_cond_parse(s, n, "await", &p->cond, e);
	if (!rc)
		snprintf(p->text, sizeof p->text, "await %s", n->str);
	return rc;
}

/* `fail:`/`recover:` as "name[r]" or {component, region, fault}. */
static int parse_fault(struct fl_sys *s, const struct fl_node *n, struct phase *p, struct fl_err *e)
{
	static const char *const fkeys[] = {"component", "region", "fault", NULL};
	const struct fl_node *comp = n, *reg = NULL, *fault = NULL;
	int rc;
	if (n->type == FL_NODE_MAP) {
		if ((rc = fl_doc_check_keys(n, fkeys, phase_names[p->type], e)))
			return rc;
		comp = fl_doc_get(n, "component");
		reg = fl_doc_get(n, "region");
		fault = fl_doc_get(n, "fault");
		if (!comp)
			return fl_doc_errf(e, n, "%s needs 'component:'", phase_names[p->type]);
	}
	if (comp->type != FL_NODE_SCALAR)
		return fl_doc_errf(e, comp, "name one component, e.g. inbound-queue[1]");
	int region;
	if ((rc = model_parse_target(s, comp, comp->str, &p->inst, &p->ninst, &region, e)))
		return rc;
	long r = region + 1; /* 0 = no region given */
	if (reg && (rc = fl_doc_int(reg, 1, s->nregions, &r, e)))
		return rc;
	const struct fl_kind *k = s->inst[p->inst].kind;
	int per_region = s->inst[p->inst].region >= 0;
	p->farg = FL_ANY;
	if (per_region) {
		int base = p->inst - (region >= 0 ? region : 0);
		p->inst = r >= 1 ? base + (int)r - 1 : base;
		p->ninst = r >= 1 ? 1 : s->nregions;
	} else if (r >= 1) {
		p->farg = (int)r - 1;
	}
	if (!k->recover || !k->faults)
		return fl_doc_errf(e, comp, "a %s cannot fail, so it cannot be %s", k->name,
				   p->type == P_RECOVER ? "recovered" : "failed");
	if (p->type == P_RECOVER) {
		snprintf(p->text, sizeof p->text, "recover %s", p->ninst > 1 ? s->inst[p->inst].comp
										  : s->inst[p->inst].name);
		return FL_OK;
	}
	p->fault = 0;
	if (fault && (rc = fl_doc_enum(fault, k->faults, &p->fault, e)))
		return rc;
	if (k->fault_during_call >> p->fault & 1u)
		return fl_doc_errf(e, fault, "a %s happens during a call; put it in the faults budget "
					     "instead",
				   k->faults[p->fault]);
	if (per_region && p->ninst > 1)
		return fl_doc_errf(e, comp, "say which region: %s[1]", s->inst[p->inst].comp);
	if ((k->fault_needs_region >> p->fault & 1u) && p->farg == FL_ANY)
		return fl_doc_errf(e, comp, "%s of %s needs a region: add region: 1", k->faults[p->fault],
				   s->inst[p->inst].comp);
	snprintf(p->text, sizeof p->text, "fail %s: %s", s->inst[p->inst].name, k->faults[p->fault]);
	if (p->farg != FL_ANY && (k->fault_needs_region >> p->fault & 1u))
		snprintf(p->text + strlen(p->text), sizeof p->text - strlen(p->text), " (region %d)",
			 p->farg + 1);
	return FL_OK;
}

static int parse_switch(struct fl_sys *s, const struct fl_node *n, struct phase *p, struct fl_err *e)
{
	int region;
	if (n->type != FL_NODE_SCALAR)
		return fl_doc_errf(e, n, "switch names one component, e.g. switch: in-dns");
	int rc = model_parse_target(s, n, n->str, &p->inst, &p->ninst, &region, e);
	if (rc)
		return rc;
	if (!model_can_switch(s, p->inst))
		return fl_doc_errf(e, n, "a %s cannot switch regions; switch works on a dns with policy: "
					 "failover, an aurora and a mongo", s->inst[p->inst].kind->name);
	snprintf(p->text, sizeof p->text, "switch %s to its next region", s->inst[p->inst].name);
	return FL_OK;
}

static int parse_publish(const struct fl_sys *s, const struct script_conf *c,
			 const struct fl_node *n, const struct fl_node *arg, struct phase *p,
			 struct fl_err *e)
{
	long b;
	struct fl_err ignored = {0};
	if (c->source < 0)
		return fl_doc_errf(e, n, "publish needs a component of kind source");
	if (fl_doc_int(arg, 1, FL_MAX_RECORDS, &b, &ignored))
		return fl_doc_errf(e, arg, "publish names a batch: a number from 1 to %d", s->nbatches);
	if (b > s->nbatches)
		return fl_doc_errf(e, arg, "there is no batch %ld (records has %d)", b, s->nbatches);
	p->batch = (int)b;
	snprintf(p->text, sizeof p->text, "publish batch %ld", b);
	return FL_OK;
}

static int parse_phase(struct fl_sys *s, struct script_conf *c, const struct fl_node *n,
		       struct fl_err *e)
{
	struct phase *p = &c->ph[c->nphase];
	if (n->type == FL_NODE_SCALAR && strcmp(n->str, "settle") == 0) {
		p->type = P_SETTLE;
		snprintf(p->text, sizeof p->text, "settle");
		c->nphase++;
		return FL_OK;
	}
	if (n->type != FL_NODE_MAP || fl_doc_len(n) != 1)
		return fl_doc_errf(e, n, "each script phase is one of: publish: B, await: COND, "
					 "fail: COMPONENT, recover: COMPONENT, switch: COMPONENT, settle");
	const struct fl_node *arg = n->child;
	int rc = fl_doc_enum(&(struct fl_node){.type = FL_NODE_SCALAR, .str = arg->key, .key = "phase",
					       .origin = arg->origin, .line = arg->kline, .col = arg->kcol},
			     phase_names, &p->type, e);
	if (rc)
		return rc;
	if (p->type == P_SETTLE)
		return fl_doc_errf(e, n, "write settle on its own: '- settle'");
	if (p->type == P_AWAIT)
		rc = parse_await(s, arg, p, e);
	else if (p->type == P_SWITCH)
		rc = parse_switch(s, arg, p, e);
	else if (p->type != P_PUBLISH)
		rc = parse_fault(s, arg, p, e);
	else
		rc = parse_publish(s, c, n, arg, p, e);
	if (!rc)
		c->nphase++;
	return rc;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct script_conf *c = s->inst[self].conf;
	s->inst[self].size = 1;
	c->source = -1;
	for (int i = 0; i < s->ninst; i++)
		if (s->inst[i].kind == &source_kind && c->source < 0)
			c->source = i;
	if (!cfg)
		return FL_OK;
	int rc = fl_doc_want(cfg, FL_NODE_SEQ, "script", e);
	for (const struct fl_node *n = cfg->child; n && !rc; n = n->next) {
		if (c->nphase >= MAX_PHASES)
			return fl_doc_errf(e, n, "a script has at most %d phases", MAX_PHASES);
		rc = parse_phase(s, c, n, e);
	}
	return rc;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	const struct script_conf *c = conf(s, self);
	int at = *pc(s, v, self);
	if (at >= c->nphase || max < 1)
		return at >= c->nphase ? 0 : FL_EINTERNAL;
	if (c->ph[at].type == P_AWAIT && !model_cond_holds(s, v, &c->ph[at].cond))
		return 0;
	/* The action is the phase: coverage counts phases, not phase types. */
	out[0] = (struct fl_step){.inst = (uint16_t)self, .action = (uint8_t)at,
				  .arg = (uint8_t)at,
				  .cls = c->ph[at].type == P_SETTLE ? FL_TIMEOUT : FL_NORMAL};
	return 1;
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	const struct script_conf *c = conf(s, st->inst);
	const struct phase *p = &c->ph[st->arg];
	const struct fl_kind *k = s->inst[p->inst].kind;
	int rc = FL_OK;
	switch (p->type) {
	case P_PUBLISH: source_publish_batch(s, v, c->source, p->batch); break;
	case P_FAIL: rc = k->inject(s, v, p->inst, p->fault, p->farg, FL_BY_SCRIPT, ev); break;
	case P_RECOVER:
		for (int i = 0; i < p->ninst; i++)
			k->recover(s, v, p->inst + i, ev);
		break;
	case P_SWITCH: model_switch(s, v, p->inst, ev); break;
	default: break;
	}
	*pc(s, v, st->inst) = (uint8_t)(st->arg + 1);
	return rc;
}

int script_waiting(const struct fl_sys *s, const uint8_t *v, int sc, struct fl_buf *b)
{
	const struct script_conf *c = conf(s, sc);
	int at = *pc(s, v, sc);
	if (at >= c->nphase)
		return -1;
	fl_buf_printf(b, "phase %d (%s", at + 1, c->ph[at].text);
	if (c->ph[at].type == P_AWAIT)
		fl_buf_printf(b, "; it is %ld", model_cond_measure(s, v, &c->ph[at].cond));
	fl_buf_puts(b, ")");
	return at;
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct script_conf *c = conf(s, self);
	int at = *pc(s, v, self);
	if (at >= c->nphase)
		fl_buf_printf(b, "finished (%d phase%s)", c->nphase, c->nphase == 1 ? "" : "s");
	else
		fl_buf_printf(b, "at phase %d of %d: %s", at + 1, c->nphase, c->ph[at].text);
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	(void)v;
	fl_buf_printf(b, "phase %d: %s", st->arg + 1, conf(s, st->inst)->ph[st->arg].text);
}

/* 1 if phase k recovers instance i. */
static int recovers(const struct phase *p, int i)
{
	return p->type == P_RECOVER && i >= p->inst && i < p->inst + p->ninst;
}

int script_fails(const struct fl_sys *s, int i, unsigned faults, int recovered)
{
	for (int sc = 0; sc < s->ninst; sc++) {
		const struct script_conf *c = s->inst[sc].kind == &script_kind ? conf(s, sc) : NULL;
		for (int k = 0; c && k < c->nphase; k++) {
			const struct phase *p = &c->ph[k];
			if (p->type != P_FAIL || !(faults >> p->fault & 1u) || i != p->inst)
				continue;
			int back = !recovered;
			for (int j = k + 1; j < c->nphase && !back; j++)
				back = recovers(&c->ph[j], i);
			if (back)
				return 1;
		}
	}
	return 0;
}

/* Every phase can run (coverage warns about a phase the script never reaches). */
static uint64_t possible(const struct fl_sys *s, int self)
{
	int n = conf(s, self)->nphase;
	return n >= 64 ? ~(uint64_t)0 : MODEL_BIT(n) - 1;
}

static void action_name(const struct fl_sys *s, int self, int a, struct fl_buf *b)
{
	fl_buf_printf(b, "phase %d (%s)", a + 1, conf(s, self)->ph[a].text);
}

const struct fl_kind script_kind = {
	.name = "script",
	.summary = "the scenario's script of phases (created from `script:`)",
	.internal = 1,
	.conf_size = sizeof(struct script_conf),
	.configure = configure,
	.steps = steps,
	.apply = apply,
	.describe = describe,
	.step_name = step_name,
	.possible = possible,
	.action_name = action_name,
};

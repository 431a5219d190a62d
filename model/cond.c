/*
 * cond.c - metric conditions, as the script's `await:` and the reachable spec's `when:` write
 * them: `<component>[<region>].<metric> <op> <number>`, or `... <op> batch N` (the number of
 * records in batches 1..N). Without [region] a per-region component's metric is summed over
 * its regions. Metrics are the kinds' own (fl_kind.metrics, fl_kind.metric).
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OP_GE, OP_LE, OP_EQ, OP_GT, OP_LT };
static const char *const op_names[] = {">=", "<=", "==", ">", "<", NULL};

int model_parse_target(struct fl_sys *s, const struct fl_node *n, const char *text, int *inst,
		       int *ninst, int *region_out, struct fl_err *e)
{
	char name[96];
	const char *br = strchr(text, '[');
	size_t len = br ? (size_t)(br - text) : strlen(text);
	if (len == 0 || len >= sizeof name)
		return fl_doc_errf(e, n, "'%s' does not name a component", text);
	memcpy(name, text, len);
	name[len] = '\0';
	int first = fl_sys_find_comp(s, name);
	if (first < 0 || s->inst[first].kind->internal) {
		const char *cands[256];
		model_component_names(s, NULL, cands, 256);
		const char *hint = fl_suggest(name, cands);
		return hint ? fl_doc_errf(e, n, "'%s' is not a component (did you mean '%s'?)", name, hint)
			    : fl_doc_errf(e, n, "'%s' is not a component", name);
	}
	int per_region = s->inst[first].region >= 0;
	*region_out = -1;
	if (br) {
		char *end;
		long r = strtol(br + 1, &end, 10);
		if (end == br + 1 || *end != ']' || end[1])
			return fl_doc_errf(e, n, "write a region as %s[1]", name);
		if (r < 1 || r > s->nregions)
			return fl_doc_errf(e, n, "region %ld does not exist (regions are 1..%d)", r, s->nregions);
		*region_out = (int)r - 1;
	}
	*inst = first;
	*ninst = per_region ? s->nregions : 1;
	if (per_region && *region_out >= 0) {
		*inst = first + *region_out;
		*ninst = 1;
	}
	return FL_OK;
}

/* The metric named `name` of kind k into c->metric, or an error with a hint. */
static int find_metric(const struct fl_kind *k, const char *name, const struct fl_node *n,
		       struct model_cond *c, struct fl_err *e)
{
	for (c->metric = 0; k->metrics && k->metrics[c->metric]; c->metric++)
		if (strcmp(k->metrics[c->metric], name) == 0)
			return FL_OK;
	const char *hint = k->metrics ? fl_suggest(name, k->metrics) : NULL;
	return fl_doc_errf(e, n, "a %s has no metric '%s'%s%s%s", k->name, name,
			   hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
}

int model_cond_parse(struct fl_sys *s, const struct fl_node *n, const char *what,
		     struct model_cond *c, struct fl_err *e)
{
	char target[128], op[4];
	long value;
	int used = 0, batch = 0;
	if (n->type != FL_NODE_SCALAR)
		return fl_doc_errf(e, n, "%s needs a condition like 'destination.received >= batch 2'",
				   what);
	if (sscanf(n->str, "%127s %3s batch %ld %n", target, op, &value, &used) == 3 && !n->str[used])
		batch = 1;
	else if (sscanf(n->str, "%127s %3s %ld %n", target, op, &value, &used) != 3 || n->str[used])
		return fl_doc_errf(e, n, "%s needs a condition like 'destination.received >= batch 2' "
					 "or '... >= 4'", what);
	if (batch && (value < 1 || value > s->nbatches))
		return fl_doc_errf(e, n, "there is no batch %ld (records has %d)", value, s->nbatches);
	char *dot = strrchr(target, '.');
	if (!dot)
		return fl_doc_errf(e, n, "'%s' should be <component>.<metric>, e.g. destination.received",
				   target);
	*dot = '\0';
	int region, rc = model_parse_target(s, n, target, &c->inst, &c->ninst, &region, e);
	if (rc || (rc = find_metric(s->inst[c->inst].kind, dot + 1, n, c, e)))
		return rc;
	for (c->op = 0; op_names[c->op] && strcmp(op_names[c->op], op); c->op++)
		;
	if (!op_names[c->op])
		return fl_doc_errf(e, n, "'%s' is not a comparison; use >=, <=, ==, > or <", op);
	c->value = batch ? s->batch_end[value] : value;
	return FL_OK;
}

long model_cond_measure(const struct fl_sys *s, const uint8_t *v, const struct model_cond *c)
{
	long sum = 0;
	for (int i = 0; i < c->ninst; i++)
		sum += s->inst[c->inst + i].kind->metric(s, v, c->inst + i, c->metric);
	return sum;
}

int model_cond_holds(const struct fl_sys *s, const uint8_t *v, const struct model_cond *c)
{
	long m = model_cond_measure(s, v, c);
	switch (c->op) {
	case OP_GE: return m >= c->value;
	case OP_LE: return m <= c->value;
	case OP_EQ: return m == c->value;
	case OP_GT: return m > c->value;
	default: return m < c->value;
	}
}

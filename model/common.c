/*
 * common.c - small helpers every component kind uses: record bitsets, origin names, wiring
 * and the kind table.
 */
#include "model.h"

#include <string.h>

/* The order matters: kinds are configured in this order, and a container, a destination and
 * the script read the configuration of the queues, streams and DNS names before them. */
const struct fl_kind *const fl_kinds[] = {&source_kind, &dns_kind,   &queue_kind,  &kafka_kind,
					  &container_kind, &api_kind, &table_kind, &mongo_kind,
					  &aurora_kind, &destination_kind, &script_kind, NULL};

static const struct model_role *role(const struct fl_sys *s, int i)
{
	return s->inst[i].kind->role;
}

const struct model_db *model_db(const struct fl_sys *s, int i)
{
	return role(s, i) ? role(s, i)->db : NULL;
}

int model_is_stream(const struct fl_sys *s, int i) { return role(s, i) && role(s, i)->stream; }

int model_is_sink(const struct fl_sys *s, int i) { return role(s, i) && role(s, i)->send; }

int sink_send(const struct fl_sys *s, uint8_t *v, int i, int rec, struct fl_events *ev)
{
	return role(s, i)->send(s, v, i, rec, ev);
}

int sink_probe(const struct fl_sys *s, const uint8_t *v, int i) { return role(s, i)->probe(s, v, i); }

int sink_lost_response(const struct fl_sys *s, int i) { return role(s, i)->lost_response; }

int model_can_switch(const struct fl_sys *s, int i)
{
	const struct model_role *r = role(s, i);
	return r && r->switch_over && (!r->can_switch || r->can_switch(s, i));
}

void model_switch(const struct fl_sys *s, uint8_t *v, int i, struct fl_events *ev)
{
	role(s, i)->switch_over(s, v, i, ev);
}

int model_may_fail(const struct fl_sys *s, int i, unsigned faults, int region, int how)
{
	if (how != MODEL_FAIL_TRANSIENT && script_fails(s, i, faults, how == MODEL_FAIL_RECOVERS))
		return 1;
	if (s->budget_max < 1)
		return 0;
	unsigned call = s->inst[i].kind->fault_during_call;
	for (int k = 0; k < s->nbudget; k++) {
		const struct fl_budget_entry *b = &s->budget[k];
		int ends = !b->permanent || (call >> b->fault & 1u);
		if (b->inst == i && (faults >> b->fault & 1u) && (how == MODEL_FAIL_ANY || ends) &&
		    (region < 0 || b->farg == FL_ANY || b->farg == region))
			return 1;
	}
	return 0;
}

int model_bit(const uint8_t *bits, int rec)
{
	return bits[(rec - 1) >> 3] >> ((rec - 1) & 7) & 1;
}

void model_set_bit(uint8_t *bits, int rec)
{
	bits[(rec - 1) >> 3] = (uint8_t)(bits[(rec - 1) >> 3] | 1u << ((rec - 1) & 7));
}

int model_popcount(const uint8_t *bits, int nbytes)
{
	int n = 0;
	for (int i = 0; i < nbytes; i++)
		n += __builtin_popcount(bits[i]);
	return n;
}

int model_bitset_bytes(const struct fl_sys *s) { return (s->nrecords + 7) / 8; }

void model_records(struct fl_buf *b, const uint8_t *recs, int n)
{
	fl_buf_puts(b, n == 1 ? "record" : "records");
	for (int i = 0; i < n; i++)
		fl_buf_printf(b, "%s%d", i ? "," : " ", recs[i]);
}

const char *model_origin_name(int origin)
{
	switch (origin) {
	case FL_UP: return "up";
	case FL_BY_SCRIPT: return "failed by the script";
	case FL_TRANSIENT: return "failed (transient)";
	case FL_PERMANENT: return "failed (permanent)";
	case FL_BY_CALL: return "failed";
	default: return "?";
	}
}

void model_component_names(const struct fl_sys *s, const struct fl_kind *k, const char **out, int max)
{
	int n = 0;
	for (int i = 0; i < s->ninst && n < max - 1; i++)
		if ((k ? s->inst[i].kind == k : !s->inst[i].kind->internal) &&
		    (i == 0 || strcmp(s->inst[i - 1].comp, s->inst[i].comp)))
			out[n++] = s->inst[i].comp;
	out[n] = NULL;
}

static const char *const role_names[] = {"stream (a queue or kafka)", "queue, kafka or api",
					 "database (table, mongo or aurora)"};

static int plays(const struct fl_sys *s, int i, int r, const struct fl_kind *k)
{
	switch (r) {
	case ROLE_STREAM: return model_is_stream(s, i);
	case ROLE_SINK: return model_is_sink(s, i);
	case ROLE_DB: return model_db(s, i) != NULL;
	default: return s->inst[i].kind == k;
	}
}

/* Names of the components that play role r (or are of kind k), for hints. */
static void candidates(const struct fl_sys *s, int r, const struct fl_kind *k, const char **out, int max)
{
	int n = 0;
	for (int i = 0; i < s->ninst && n < max - 1; i++)
		if (plays(s, i, r, k) && (i == 0 || strcmp(s->inst[i - 1].comp, s->inst[i].comp)))
			out[n++] = s->inst[i].comp;
	out[n] = NULL;
}

static int wire(struct fl_sys *s, int self, const struct fl_node *cfg, const char *key, int r,
		const struct fl_kind *k, int required, int *first, struct fl_err *e)
{
	const struct fl_node *n = fl_doc_get(cfg, key);
	const char *me = s->inst[self].comp, *what = r == ROLE_KIND ? k->name : role_names[r];
	if (!n) {
		if (!required)
			return *first = -1, FL_OK;
		return fl_doc_errf(e, cfg, "%s '%s' needs '%s:' naming a %s component", s->inst[self].kind->name,
				   me, key, what);
	}
	if (n->type != FL_NODE_SCALAR)
		return fl_doc_errf(e, n, "'%s' should name one %s component", key, what);
	int i = fl_sys_find_comp(s, n->str);
	if (i < 0) {
		const char *names[256];
		candidates(s, r, k, names, 256);
		const char *hint = fl_suggest(n->str, names);
		if (hint)
			return fl_doc_errf(e, n, "%s '%s': '%s' is not a component (did you mean '%s'?)",
					   s->inst[self].kind->name, me, n->str, hint);
		return fl_doc_errf(e, n, "%s '%s': '%s' is not a component; add it under components:",
				   s->inst[self].kind->name, me, n->str);
	}
	if (!plays(s, i, r, k))
		return fl_doc_errf(e, n, "%s '%s': %s '%s' is a %s, but %s must be a %s",
				   s->inst[self].kind->name, me, key, n->str, s->inst[i].kind->name, key,
				   what);
	*first = i;
	return FL_OK;
}

int model_wire(struct fl_sys *s, int self, const struct fl_node *cfg, const char *key,
	       const struct fl_kind *k, int required, int *first, struct fl_err *e)
{
	return wire(s, self, cfg, key, ROLE_KIND, k, required, first, e);
}

int model_wire_role(struct fl_sys *s, int self, const struct fl_node *cfg, const char *key,
		    int role_id, int required, int *first, struct fl_err *e)
{
	return wire(s, self, cfg, key, role_id, NULL, required, first, e);
}

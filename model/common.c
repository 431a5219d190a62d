/*
 * common.c - small helpers every component kind uses: record bitsets, origin names, wiring
 * and the kind table.
 */
#include "model.h"

#include <string.h>

const struct fl_kind *const fl_kinds[] = {&source_kind,      &dns_kind,    &queue_kind,
					  &container_kind,   &table_kind,  &destination_kind,
					  &script_kind,      NULL};

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

int model_wire(struct fl_sys *s, int self, const struct fl_node *cfg, const char *key,
	       const struct fl_kind *k, int required, int *first, struct fl_err *e)
{
	const struct fl_node *n = fl_doc_get(cfg, key);
	const char *me = s->inst[self].comp;
	if (!n) {
		if (!required)
			return *first = -1, FL_OK;
		return fl_doc_errf(e, cfg, "%s '%s' needs '%s:' naming a %s component", s->inst[self].kind->name,
				   me, key, k->name);
	}
	if (n->type != FL_NODE_SCALAR)
		return fl_doc_errf(e, n, "'%s' should name one %s component", key, k->name);
	int i = fl_sys_find_comp(s, n->str);
	if (i < 0) {
		const char *names[256];
		model_component_names(s, k, names, 256);
		const char *hint = fl_suggest(n->str, names);
		if (hint)
			return fl_doc_errf(e, n, "%s '%s': '%s' is not a component (did you mean '%s'?)",
					   s->inst[self].kind->name, me, n->str, hint);
		return fl_doc_errf(e, n, "%s '%s': '%s' is not a component; add it under components:",
				   s->inst[self].kind->name, me, n->str);
	}
	if (s->inst[i].kind != k)
		return fl_doc_errf(e, n, "%s '%s': %s '%s' is a %s, but %s must be a %s",
				   s->inst[self].kind->name, me, key, n->str, s->inst[i].kind->name, key,
				   k->name);
	*first = i;
	return FL_OK;
}

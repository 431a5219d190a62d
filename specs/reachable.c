/*
 * reachable.c - spec `reachable`: some run reaches a situation (Stateright's "sometimes",
 * TLC's _POSSIBLE). The check fails when a complete search never finds it.
 *
 *   {reachable: {when: "destination.received >= 3"}}   a metric condition holds after a step
 *                                                       (the syntax of the script's await:)
 *   {reachable: {breaks: no-duplicates}}                some run breaks safety spec
 *   {reachable: {breaks: {no-duplicates: {scope: writes}}}}  (with that spec's options)
 *
 * The monitor reports (returns 1) on the step where the situation first occurs, so the search
 * records it like a violation and builds a witness trace that replays. With breaks:, the inner
 * monitor runs in this spec's slot: its state slice is this spec's, and its configuration is
 * the head of this spec's (struct reachable_conf starts with room for it), so a monitor that
 * reads s->spec[self] finds what it expects. One reachable spec per scenario (specs are unique
 * by name).
 */
#include "../model/model.h"
#include "specs.h"

#include <stdio.h>
#include <string.h>

struct reachable_conf {
	union { /* the inner monitor's configuration (breaks:); first, see above */
		unsigned char bytes[64];
		long double align_ld;
		void *align_p;
		long align_l;
	} inner_conf;
	const struct fl_spec_kind *inner; /* breaks:, or NULL */
	struct model_cond cond;           /* when: */
	char text[128];                   /* the condition as written */
};

static const char *const keys[] = {"when", "breaks", NULL};

static int on_events(const struct fl_sys *s, uint8_t *v, int self, const struct fl_events *ev,
		     struct fl_buf *why)
{
	const struct reachable_conf *c = s->spec[self].conf;
	if (c->inner)
		return c->inner->on_events(s, v, self, ev, why);
	if (!model_cond_holds(s, v, &c->cond))
		return 0;
	fl_buf_printf(why, "%s holds after this step (it is %ld).", c->text,
		      model_cond_measure(s, v, &c->cond));
	return 1;
}

/* A safety spec that can be the target of breaks:, by name. */
static const struct fl_spec_kind *safety_named(const char *name)
{
	for (int i = 0; fl_spec_kinds[i]; i++) {
		const struct fl_spec_kind *k = fl_spec_kinds[i];
		if (!strcmp(k->name, name) && k->on_events && !k->eventually && !k->cycles &&
		    !k->reachable)
			return k;
	}
	return NULL;
}

static void safety_names(char *out, size_t size)
{
	*out = '\0';
	for (int i = 0; fl_spec_kinds[i]; i++)
		if (safety_named(fl_spec_kinds[i]->name))
			snprintf(out + strlen(out), size - strlen(out), "%s%s", *out ? ", " : "",
				 fl_spec_kinds[i]->name);
}

/* breaks: NAME or breaks: {NAME: {options}}. */
static int configure_breaks(struct fl_sys *s, int self, const struct fl_node *b, struct fl_err *e)
{
	struct reachable_conf *c = s->spec[self].conf;
	const struct fl_node *name = b, *opts = NULL;
	struct fl_node key;
	char list[256];
	if (b->type == FL_NODE_MAP && fl_doc_len(b) == 1) {
		opts = b->child;
		key = (struct fl_node){.type = FL_NODE_SCALAR, .str = opts->key, .origin = opts->origin,
				       .line = opts->kline, .col = opts->kcol};
		name = &key;
	} else if (b->type != FL_NODE_SCALAR) {
		return fl_doc_errf(e, b, "breaks names one safety spec, e.g. breaks: no-duplicates or "
					 "breaks: {no-duplicates: {scope: writes}}");
	}
	safety_names(list, sizeof list);
	c->inner = safety_named(name->str);
	if (!c->inner)
		return fl_doc_errf(e, name, "breaks: '%s' is not a safety spec (safety specs: %s)",
				   name->str, list);
	if (c->inner->conf_size > sizeof c->inner_conf)
		return fl_doc_errf(e, name, "breaks: %s has too large a configuration", name->str);
	if (opts && opts->type != FL_NODE_MAP)
		return fl_doc_errf(e, opts, "write the options of %s as a map, e.g. {scope: writes}",
				   name->str);
	int rc;
	if (opts && c->inner->keys && (rc = fl_doc_check_keys(opts, c->inner->keys, name->str, e)))
		return rc;
	if (opts && !c->inner->keys && fl_doc_len(opts))
		return fl_doc_errf(e, opts, "spec '%s' takes no options", name->str);
	return c->inner->configure ? c->inner->configure(s, self, opts, e) : FL_OK;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct reachable_conf *c = s->spec[self].conf;
	const struct fl_node *when = fl_doc_get(cfg, "when"), *breaks = fl_doc_get(cfg, "breaks");
	if (!when == !breaks)
		return fl_doc_errf(e, cfg, "reachable needs one of when: CONDITION (e.g. "
					   "'destination.received >= batch 2') or breaks: SPEC");
	if (breaks)
		return configure_breaks(s, self, breaks, e);
	int rc = model_cond_parse(s, when, "when", &c->cond, e);
	if (!rc)
		snprintf(c->text, sizeof c->text, "%s", when->str);
	return rc;
}

const struct fl_spec_kind spec_reachable_kind = {
	.name = "reachable",
	.summary = "some run reaches a situation: a condition holds (when: COND) or a safety spec "
		   "breaks (breaks: SPEC); unreachable fails",
	.keys = keys,
	.conf_size = sizeof(struct reachable_conf),
	.configure = configure,
	.on_events = on_events,
	.reachable = 1,
	.needs_options = 1,
};

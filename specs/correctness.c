/*
 * correctness.c - spec `correctness`: a container removes a record from its input only after
 * its write of the record to its database was acknowledged (or it found the record stored
 * already), so nothing published is lost if the container dies right after the remove (seed
 * 002, learning 2). A database that loses an acknowledged write later is the data-loss spec's
 * business.
 */
#include "../model/model.h"
#include "specs.h"

static int on_events(const struct fl_sys *s, uint8_t *v, int self, const struct fl_events *ev,
		     struct fl_buf *why)
{
	(void)v, (void)self;
	for (int i = 0; i < ev->n; i++) {
		const struct fl_event *x = &ev->e[i];
		if (x->type != EV_REMOVE || x->other || s->inst[x->inst].kind != &container_kind)
			continue;
		int t = container_db(s, x->inst);
		fl_buf_printf(why, "%s removed record %d from %s before storing it in %s (region %d).",
			      s->inst[x->inst].name, x->rec, s->inst[container_input(s, x->inst)].name,
			      s->inst[t].name, fl_region_label(x->region));
		return 1;
	}
	return 0;
}

const struct fl_spec_kind spec_correctness_kind = {
	.name = "correctness",
	.summary = "a container removes a record from its input only after it stored it in its database",
	.on_events = on_events,
	.watches = 1u << EV_REMOVE,
	.watch_what = "a container remove a record from its input",
};

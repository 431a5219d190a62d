/*
 * ordering.c - spec `ordering`: the destination receives records in publication order (the
 * source publishes in id order). A repeat delivery is the no-duplicates spec's business, so
 * only first deliveries are compared. State: the highest record id delivered so far.
 */
#include "../model/model.h"
#include "specs.h"

static int on_events(const struct fl_sys *s, uint8_t *v, int self, const struct fl_events *ev,
		     struct fl_buf *why)
{
	uint8_t *last = v + s->spec[self].off;
	int bad = 0;
	for (int i = 0; i < ev->n; i++) {
		const struct fl_event *x = &ev->e[i];
		if (x->type != EV_DELIVER || x->other)
			continue;
		if (x->rec < *last && !bad) {
			fl_buf_printf(why, "the destination received record %d after record %d, but record "
					   "%d was published first.",
				      x->rec, *last, x->rec);
			bad = 1;
		}
		if (x->rec > *last)
			*last = (uint8_t)x->rec;
	}
	return bad;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	(void)cfg, (void)e;
	s->spec[self].size = 1;
	return FL_OK;
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	uint8_t last = v[s->spec[self].off];
	if (last)
		fl_buf_printf(b, "highest record delivered: %d", last);
	else
		fl_buf_puts(b, "nothing delivered");
}

const struct fl_spec_kind spec_ordering_kind = {
	.describe = describe,
	.name = "ordering",
	.summary = "the destination receives records in publication order",
	.configure = configure,
	.on_events = on_events,
	.watches = 1u << EV_DELIVER,
	.watch_what = "a delivery",
};

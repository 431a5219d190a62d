/*
 * duplicates.c - spec `no-duplicates`: no record reaches the destination twice. With
 * `scope: all` it also forbids any queue accepting a record twice and any stage writing a
 * record to its table twice (a stage processing it twice).
 */
#include "../model/model.h"
#include "specs.h"

struct dup_conf {
	int all;
};

static const char *const keys[] = {"scope", NULL};
static const char *const scopes[] = {"destination", "all", NULL};

static int on_events(const struct fl_sys *s, uint8_t *v, int self, const struct fl_events *ev,
		     struct fl_buf *why)
{
	(void)v;
	const struct dup_conf *c = s->spec[self].conf;
	for (int i = 0; i < ev->n; i++) {
		const struct fl_event *x = &ev->e[i];
		if (!x->other)
			continue;
		const char *name = s->inst[x->inst].name;
		if (x->type == EV_DELIVER) {
			fl_buf_printf(why, "record %d reached the destination a second time.", x->rec);
			return 1;
		}
		if (c->all && x->type == EV_ENQUEUE) {
			fl_buf_printf(why, "record %d was published to %s a second time.", x->rec, name);
			return 1;
		}
		if (c->all && x->type == EV_DB_WRITE) {
			fl_buf_printf(why, "record %d was written to %s (region %d) a second time.", x->rec,
				      name, fl_region_label(x->region));
			return 1;
		}
	}
	return 0;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct dup_conf *c = s->spec[self].conf;
	return cfg && cfg->type == FL_NODE_MAP ? fl_doc_opt_enum(cfg, "scope", scopes, &c->all, e) : FL_OK;
}

const struct fl_spec_kind spec_no_duplicates_kind = {
	.name = "no-duplicates",
	.summary = "no record reaches the destination twice (scope: all - nor any queue or table)",
	.keys = keys,
	.conf_size = sizeof(struct dup_conf),
	.configure = configure,
	.on_events = on_events,
};

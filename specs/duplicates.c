/*
 * duplicates.c - spec `no-duplicates`: no record reaches the destination twice (`scope:
 * destination`, default: the black-box view). `scope: writes` instead forbids any stage
 * writing a record to its database twice (a stage processing it twice); `scope: all` forbids
 * both and any queue or stream accepting a record twice.
 */
#include "../model/model.h"
#include "specs.h"

struct dup_conf {
	int scope;
};

enum { SCOPE_DESTINATION, SCOPE_WRITES, SCOPE_ALL };
static const char *const keys[] = {"scope", NULL};
static const char *const scopes[] = {"destination", "writes", "all", NULL};

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
		if (x->type == EV_DELIVER && c->scope != SCOPE_WRITES) {
			fl_buf_printf(why, "record %d reached the destination a second time.", x->rec);
			return 1;
		}
		if (c->scope == SCOPE_ALL && x->type == EV_ENQUEUE) {
			fl_buf_printf(why, "record %d was published to %s a second time.", x->rec, name);
			return 1;
		}
		if (c->scope != SCOPE_DESTINATION && x->type == EV_DB_WRITE) {
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
	return cfg && cfg->type == FL_NODE_MAP ? fl_doc_opt_enum(cfg, "scope", scopes, &c->scope, e) : FL_OK;
}

const struct fl_spec_kind spec_no_duplicates_kind = {
	.name = "no-duplicates",
	.summary = "no record reaches the destination twice (scope: writes - no database write "
		   "twice; all - neither, nor any queue twice)",
	.keys = keys,
	.conf_size = sizeof(struct dup_conf),
	.configure = configure,
	.on_events = on_events,
	.watches = 1u << EV_DELIVER | 1u << EV_ENQUEUE | 1u << EV_DB_WRITE,
	.watch_what = "a record delivered, enqueued or written",
};

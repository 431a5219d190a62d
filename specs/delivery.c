/*
 * delivery.c - spec `delivery` (eventually): once nothing more can happen, every published
 * record is in every copy of every database and has reached the destination, and the script
 * has run to its end. Judged on states at rest: neither a normal step nor a timeout can change
 * them (fault steps may remain; faults are never owed). With `scope: end-to-end` it looks at
 * the source and the destination alone (seed 002, learning 8: the system as a black box).
 */
#include "../model/model.h"
#include "specs.h"

/* Where rec still sits, to make the sentence useful ("it is still in x[1]"). */
static void whereabouts(const struct fl_sys *s, const uint8_t *v, int rec, struct fl_buf *why)
{
	const char *sep = " It is still in ";
	for (int i = 0; i < s->ninst; i++)
		if (model_is_stream(s, i) && queue_has(s, v, i, rec)) {
			fl_buf_printf(why, "%s%s", sep, s->inst[i].name);
			sep = ", ";
		}
	if (*sep == ',')
		fl_buf_puts(why, ".");
}

static int missing_in_databases(const struct fl_sys *s, const uint8_t *v, int rec, struct fl_buf *why)
{
	for (int t = 0; t < s->ninst; t++) {
		const struct model_db *db = model_db(s, t);
		if (!db)
			continue;
		for (int k = 0; k < db->copies(s, t); k++)
			if (!db->copy_has(s, v, t, k, rec)) {
				fl_buf_printf(why, "published record %d never reached ", rec);
				db->copy_name(s, t, k, why);
				fl_buf_puts(why, ".");
				return 1;
			}
	}
	return 0;
}

struct delivery_conf {
	int end_to_end;
};

static const char *const keys[] = {"scope", NULL};
static const char *const scopes[] = {"everywhere", "end-to-end", NULL};

static int record_missing(const struct fl_sys *s, const uint8_t *v, int self, int rec,
			  struct fl_buf *why)
{
	const struct delivery_conf *c = s->spec[self].conf;
	if (!c->end_to_end && missing_in_databases(s, v, rec, why))
		return 1;
	for (int d = 0; d < s->ninst; d++)
		if (s->inst[d].kind == &destination_kind && !destination_received(s, v, d, rec)) {
			fl_buf_printf(why, "published record %d never reached the destination.", rec);
			return 1;
		}
	return 0;
}

static int at_rest(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *why)
{
	for (int i = 0; i < s->ninst; i++) {
		if (s->inst[i].kind != &source_kind)
			continue;
		for (int rec = 1; rec <= source_published(s, v, i); rec++)
			if (record_missing(s, v, self, rec, why)) {
				whereabouts(s, v, rec, why);
				return 1;
			}
	}
	for (int i = 0; i < s->ninst; i++) {
		if (s->inst[i].kind != &script_kind)
			continue;
		struct fl_buf w = {0};
		int at = script_waiting(s, v, i, &w);
		if (at >= 0)
			fl_buf_printf(why, "the system came to rest with the script stuck at %s.",
				      fl_buf_str(&w));
		fl_buf_fini(&w);
		if (at >= 0)
			return 1;
	}
	return 0;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct delivery_conf *c = s->spec[self].conf;
	return cfg && cfg->type == FL_NODE_MAP ? fl_doc_opt_enum(cfg, "scope", scopes, &c->end_to_end, e)
						: FL_OK;
}

const struct fl_spec_kind spec_delivery_kind = {
	.name = "delivery",
	.summary = "every published record eventually reaches every database copy and the destination "
		   "(scope: end-to-end - the destination alone)",
	.eventually = 1,
	.keys = keys,
	.conf_size = sizeof(struct delivery_conf),
	.configure = configure,
	.at_rest = at_rest,
};

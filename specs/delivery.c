/*
 * delivery.c - spec `delivery` (eventually): once nothing more can happen, every published
 * record is in every copy of every database and has reached the destination, and the script
 * has run to its end. Judged on states at rest: neither a normal step nor a timeout can change
 * them (fault steps may remain; faults are never owed).
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

static int record_missing(const struct fl_sys *s, const uint8_t *v, int rec, struct fl_buf *why)
{
	if (missing_in_databases(s, v, rec, why))
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
	(void)self;
	for (int i = 0; i < s->ninst; i++) {
		if (s->inst[i].kind != &source_kind)
			continue;
		for (int rec = 1; rec <= source_published(s, v, i); rec++)
			if (record_missing(s, v, rec, why)) {
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

const struct fl_spec_kind spec_delivery_kind = {
	.name = "delivery",
	.summary = "every published record eventually reaches every database copy and the destination",
	.eventually = 1,
	.at_rest = at_rest,
};

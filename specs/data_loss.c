/*
 * data_loss.c - spec `data-loss`: a write acknowledged to its caller stays stored: after any
 * allowed fault and failover, some copy of the database still holds the record (seed 002,
 * learning 1). A copy that is merely behind (asynchronous replication after a failover) is
 * not a loss while another copy holds the record; a copy whose data is destroyed before it
 * replicated is.
 *
 * State: one bitset per database of the records whose writes were acknowledged.
 */
#include "../model/model.h"
#include "specs.h"

/* Index of database instance db among the system's databases. */
static int db_slot(const struct fl_sys *s, int db)
{
	int k = 0;
	for (int i = 0; i < db; i++)
		k += model_db(s, i) != NULL;
	return k;
}

static int held(const struct fl_sys *s, const uint8_t *v, int db, int rec)
{
	const struct model_db *d = model_db(s, db);
	for (int k = 0; k < d->copies(s, db); k++)
		if (d->copy_has(s, v, db, k, rec))
			return 1;
	return 0;
}

static int on_events(const struct fl_sys *s, uint8_t *v, int self, const struct fl_events *ev,
		     struct fl_buf *why)
{
	uint8_t *acked = v + s->spec[self].off;
	int nb = model_bitset_bytes(s), loss = 0;
	for (int i = 0; i < ev->n; i++) {
		if (ev->e[i].type == EV_DB_ACK)
			model_set_bit(acked + db_slot(s, ev->e[i].inst) * nb, ev->e[i].rec);
		loss |= ev->e[i].type == EV_LOSS;
	}
	/* An acknowledged write is held when it is acknowledged; only a loss can take it away. */
	if (!loss)
		return 0;
	for (int db = 0, k = 0; db < s->ninst; db++) {
		if (!model_db(s, db))
			continue;
		const uint8_t *bits = acked + k++ * nb;
		for (int rec = 1; rec <= s->nrecords; rec++)
			if (model_bit(bits, rec) && !held(s, v, db, rec)) {
				fl_buf_printf(why, "the write of record %d to %s was acknowledged, but no "
						   "copy of %s holds it any more: it is lost.",
					      rec, s->inst[db].name, s->inst[db].name);
				return 1;
			}
	}
	return 0;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	(void)cfg, (void)e;
	s->spec[self].size = (size_t)db_slot(s, s->ninst) * (size_t)model_bitset_bytes(s);
	return FL_OK;
}

/* "acknowledged: inbound-table {1 2}, outbound-table {}" */
static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const uint8_t *acked = v + s->spec[self].off;
	int nb = model_bitset_bytes(s);
	fl_buf_puts(b, "acknowledged:");
	for (int db = 0, k = 0; db < s->ninst; db++) {
		if (!model_db(s, db))
			continue;
		const uint8_t *bits = acked + k++ * nb;
		fl_buf_printf(b, "%s %s {", k > 1 ? "," : "", s->inst[db].name);
		for (int rec = 1, n = 0; rec <= s->nrecords; rec++)
			if (model_bit(bits, rec))
				fl_buf_printf(b, "%s%d", n++ ? " " : "", rec);
		fl_buf_puts(b, "}");
	}
}

const struct fl_spec_kind spec_data_loss_kind = {
	.describe = describe,
	.name = "data-loss",
	.summary = "every write acknowledged to its caller is still held by some copy of its database",
	.configure = configure,
	.on_events = on_events,
	.watches = 1u << EV_LOSS,
	.watch_what = "a fault destroy data",
};

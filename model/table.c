/*
 * table.c - a DynamoDB global table: one replica per region, every region accepts writes,
 * a write is acknowledged after the local replica stored it, and replication to the other
 * replicas is asynchronous (one FIFO of pending records per receiving replica).
 *
 * Items are keyed by record id, so storing a record twice leaves one item (a put); a second
 * write of a record already there is still reported (EV_DB_WRITE with other = 1), which is how
 * the no-duplicates spec sees a stage processing a record twice. Faults: the whole table out,
 * one region's replica out, replication paused, a lost write response.
 * With `on_outage: reject` (default, like DynamoDB's errors) a write to a table that is out
 * fails; with `block` the writer waits, as the P model's deferred events do.
 *
 * State: struct table_hdr, replica[R] (origin), plen[R], present[R][bitset], pending[R][N].
 */
#include "model.h"

#include <string.h>

struct table_hdr {
	uint8_t status; /* whole table: enum fl_origin */
	uint8_t repl;   /* replication: FL_UP or who paused it */
};
_Static_assert(sizeof(struct table_hdr) == 2, "table state must be padding-free");

struct table_conf {
	int block;        /* 1: writes wait while the table is out; 0: they fail */
	size_t o_replica; /* byte offsets inside the slice */
	size_t o_plen, o_bits, o_pend;
	int nb;           /* bitset bytes */
};

static const char *const keys[] = {"kind", "on_outage", NULL};
static const char *const faults[] = {"outage", "replica-outage", "replication-pause",
				     "lost-response", NULL};
static const char *const metrics[] = {"pending", NULL};
static const char *const outage_names[] = {"reject", "block", NULL};
enum { F_OUTAGE, F_REPLICA, F_PAUSE, F_LOST };
enum { A_REPLICATE, A_RECOVER, A_RESUME, A_RECOVER_REPLICA };

static uint8_t *base(const struct fl_sys *s, const uint8_t *v, int t)
{
	return (uint8_t *)(uintptr_t)(v + s->inst[t].off);
}

static struct table_hdr *hdr(const struct fl_sys *s, const uint8_t *v, int t)
{
	return (struct table_hdr *)base(s, v, t);
}

static const struct table_conf *conf(const struct fl_sys *s, int t) { return s->inst[t].conf; }

static uint8_t *replica(const struct fl_sys *s, const uint8_t *v, int t)
{
	return base(s, v, t) + conf(s, t)->o_replica;
}

static uint8_t *plen(const struct fl_sys *s, const uint8_t *v, int t)
{
	return base(s, v, t) + conf(s, t)->o_plen;
}

static uint8_t *bits(const struct fl_sys *s, const uint8_t *v, int t, int r)
{
	return base(s, v, t) + conf(s, t)->o_bits + (size_t)(r * conf(s, t)->nb);
}

static uint8_t *pending(const struct fl_sys *s, const uint8_t *v, int t, int r)
{
	return base(s, v, t) + conf(s, t)->o_pend + (size_t)(r * s->nrecords);
}

int table_lost_response_fault(void) { return F_LOST; }

int table_has(const struct fl_sys *s, const uint8_t *v, int t, int region, int rec)
{
	return model_bit(bits(s, v, t, region), rec);
}

int table_up(const struct fl_sys *s, const uint8_t *v, int t, int region)
{
	return hdr(s, v, t)->status == FL_UP && replica(s, v, t)[region] == FL_UP;
}

int table_probe(const struct fl_sys *s, const uint8_t *v, int t, int region)
{
	if (table_up(s, v, t, region))
		return CALL_OK;
	return conf(s, t)->block ? CALL_BLOCK : CALL_FAIL;
}

static int is_pending(const struct fl_sys *s, const uint8_t *v, int t, int r, int rec)
{
	const uint8_t *p = pending(s, v, t, r);
	for (int i = 0; i < plen(s, v, t)[r]; i++)
		if (p[i] == rec)
			return 1;
	return 0;
}

int table_write(const struct fl_sys *s, uint8_t *v, int t, int region, int rec, int skip_if_present,
		struct fl_events *ev)
{
	int rc = table_probe(s, v, t, region);
	if (rc != CALL_OK)
		return rc;
	int again = table_has(s, v, t, region, rec);
	if (again && skip_if_present)
		return CALL_OK;
	model_set_bit(bits(s, v, t, region), rec);
	fl_event_add(ev, EV_DB_WRITE, region, t, rec, again);
	for (int r = 0; r < s->nregions; r++) {
		/* A put of an item the replica already has, or is about to get, changes nothing. */
		if (r == region || table_has(s, v, t, r, rec) || is_pending(s, v, t, r, rec))
			continue;
		uint8_t *n = &plen(s, v, t)[r];
		pending(s, v, t, r)[*n] = (uint8_t)rec;
		*n = (uint8_t)(*n + 1);
	}
	return CALL_OK;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct table_conf *c = s->inst[self].conf;
	int rc = fl_doc_opt_enum(cfg, "on_outage", outage_names, &c->block, e);
	if (rc)
		return rc;
	size_t R = (size_t)s->nregions;
	c->nb = model_bitset_bytes(s);
	c->o_replica = sizeof(struct table_hdr);
	c->o_plen = c->o_replica + R;
	c->o_bits = c->o_plen + R;
	c->o_pend = c->o_bits + R * (size_t)c->nb;
	s->inst[self].size = c->o_pend + R * (size_t)s->nrecords;
	return FL_OK;
}

static int add(struct fl_step *out, int n, int max, int self, int action, int arg)
{
	if (n < max)
		out[n] = (struct fl_step){.inst = (uint16_t)self, .cls = FL_NORMAL,
					  .action = (uint8_t)action, .arg = (uint8_t)arg};
	return n + 1;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	const struct table_hdr *h = hdr(s, v, self);
	const uint8_t *rep = replica(s, v, self);
	int n = 0;
	for (int r = 0; r < s->nregions; r++) {
		if (plen(s, v, self)[r] && h->status == FL_UP && h->repl == FL_UP && rep[r] == FL_UP)
			n = add(out, n, max, self, A_REPLICATE, r);
		if (rep[r] == FL_TRANSIENT)
			n = add(out, n, max, self, A_RECOVER_REPLICA, r);
	}
	if (h->status == FL_TRANSIENT)
		n = add(out, n, max, self, A_RECOVER, 0);
	if (h->repl == FL_TRANSIENT)
		n = add(out, n, max, self, A_RESUME, 0);
	return n;
}

static void replicate(const struct fl_sys *s, uint8_t *v, int t, int r, struct fl_events *ev)
{
	uint8_t *p = pending(s, v, t, r), *n = &plen(s, v, t)[r];
	int rec = p[0];
	memmove(p, p + 1, (size_t)(*n - 1));
	*n = (uint8_t)(*n - 1);
	p[*n] = 0;
	model_set_bit(bits(s, v, t, r), rec);
	fl_event_add(ev, EV_REPLICATE, r, t, rec, 0);
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	switch (st->action) {
	case A_REPLICATE: replicate(s, v, st->inst, st->arg, ev); break;
	case A_RECOVER: hdr(s, v, st->inst)->status = FL_UP; break;
	case A_RESUME: hdr(s, v, st->inst)->repl = FL_UP; break;
	case A_RECOVER_REPLICA: replica(s, v, st->inst)[st->arg] = FL_UP; break;
	default: return FL_EINTERNAL;
	}
	return FL_OK;
}

static int inject(const struct fl_sys *s, uint8_t *v, int self, int fault, int farg, int origin,
		  struct fl_events *ev)
{
	(void)ev;
	struct table_hdr *h = hdr(s, v, self);
	uint8_t *slot = fault == F_OUTAGE ? &h->status
		      : fault == F_PAUSE  ? &h->repl
		      : fault == F_REPLICA && farg < s->nregions ? &replica(s, v, self)[farg]
								 : NULL;
	if (slot && *slot == FL_UP)
		*slot = (uint8_t)origin;
	return FL_OK;
}

static void recover(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev)
{
	(void)ev;
	hdr(s, v, self)->status = FL_UP;
	hdr(s, v, self)->repl = FL_UP;
	memset(replica(s, v, self), FL_UP, (size_t)s->nregions);
}

static long metric(const struct fl_sys *s, const uint8_t *v, int self, int m)
{
	(void)m;
	long n = 0;
	for (int r = 0; r < s->nregions; r++)
		n += plen(s, v, self)[r];
	return n;
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct table_hdr *h = hdr(s, v, self);
	fl_buf_puts(b, model_origin_name(h->status));
	if (h->repl != FL_UP)
		fl_buf_printf(b, ", replication paused (%s)", h->repl == FL_BY_SCRIPT ? "script" : "fault");
	for (int r = 0; r < s->nregions; r++) {
		fl_buf_printf(b, "; region %d%s {", fl_region_label(r),
			      replica(s, v, self)[r] == FL_UP ? "" : " (replica out)");
		const char *sep = "";
		for (int rec = 1; rec <= s->nrecords; rec++)
			if (table_has(s, v, self, r, rec)) {
				fl_buf_printf(b, "%s%d", sep, rec);
				sep = " ";
			}
		fl_buf_puts(b, "}");
		if (plen(s, v, self)[r]) {
			fl_buf_puts(b, " <- replicating [");
			for (int i = 0; i < plen(s, v, self)[r]; i++)
				fl_buf_printf(b, "%s%d", i ? " " : "", pending(s, v, self, r)[i]);
			fl_buf_puts(b, "]");
		}
	}
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	int r = fl_region_label(st->arg);
	switch (st->action) {
	case A_REPLICATE:
		fl_buf_printf(b, "replicates record %d into region %d", pending(s, v, st->inst, st->arg)[0],
			      r);
		break;
	case A_RECOVER: fl_buf_puts(b, "recovers from its outage"); break;
	case A_RESUME: fl_buf_puts(b, "resumes replication"); break;
	default: fl_buf_printf(b, "region %d replica recovers", r); break;
	}
}

const struct fl_kind table_kind = {
	.name = "table",
	.summary = "DynamoDB global table: writes accepted in every region, acknowledged after the "
		   "local write, replicated asynchronously",
	.per_region = 0,
	.keys = keys,
	.faults = faults,
	.fault_needs_region = 1u << F_REPLICA,
	.fault_during_call = 1u << F_LOST,
	.metrics = metrics,
	.conf_size = sizeof(struct table_conf),
	.configure = configure,
	.steps = steps,
	.apply = apply,
	.inject = inject,
	.recover = recover,
	.metric = metric,
	.describe = describe,
	.step_name = step_name,
};

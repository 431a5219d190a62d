/*
 * table.c - a DynamoDB global table: one replica per region, every region accepts writes,
 * a write is acknowledged after the local replica stored it, and replication to the other
 * replicas is asynchronous (one FIFO of pending records per receiving replica).
 *
 * Items are keyed by record id, so storing a record twice leaves one item (a put); a second
 * write of a record already there is still reported (EV_DB_WRITE with other = 1), which is how
 * the no-duplicates spec sees a stage processing a record twice. Faults: the whole table out,
 * one region's replica out, replication paused, a lost write response, and the loss of one
 * region (`lose-region`): its replica's data is gone, writes it had not yet replicated are
 * lost, and the replica is rebuilt from the others.
 * With `on_outage: reject` (default, like DynamoDB's errors) a write to a table that is out
 * fails; with `block` the writer waits, as the P model's deferred events do.
 *
 * State: struct table_hdr, replica[R] (origin), then one copy per region (model/copies.c).
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
	size_t o_replica; /* byte offset of replica[R] inside the slice */
	struct copies cp; /* one copy per region */
};

static const char *const keys[] = {"kind", "on_outage", NULL};
static const char *const faults[] = {"outage", "replica-outage", "replication-pause",
				     "lost-response", "lose-region", NULL};
static const char *const metrics[] = {"pending", NULL};
static const char *const outage_names[] = {"reject", "block", NULL};
enum { F_OUTAGE, F_REPLICA, F_PAUSE, F_LOST, F_LOSE };
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

static int has(const struct fl_sys *s, const uint8_t *v, int t, int region, int rec)
{
	return copies_has(&conf(s, t)->cp, base(s, v, t), region, rec);
}

static int up(const struct fl_sys *s, const uint8_t *v, int t, int region)
{
	return hdr(s, v, t)->status == FL_UP && replica(s, v, t)[region] == FL_UP;
}

static int probe(const struct fl_sys *s, const uint8_t *v, int t, int region)
{
	if (up(s, v, t, region))
		return CALL_OK;
	return conf(s, t)->block ? CALL_BLOCK : CALL_FAIL;
}

static int put(const struct fl_sys *s, uint8_t *v, int t, int region, int rec, int skip_if_present,
	       struct fl_events *ev)
{
	int rc = probe(s, v, t, region);
	if (rc != CALL_OK)
		return rc;
	const struct copies *cp = &conf(s, t)->cp;
	int again = has(s, v, t, region, rec);
	if (again && skip_if_present)
		return CALL_OK;
	copies_put(cp, base(s, v, t), region, rec);
	fl_event_add(ev, EV_DB_WRITE, region, t, rec, again);
	/* A put of an item a replica already has, or is about to get, changes nothing there. */
	for (int r = 0; r < s->nregions; r++)
		if (r != region)
			copies_queue(cp, base(s, v, t), r, rec);
	return CALL_OK;
}

static int ncopies(const struct fl_sys *s, int t)
{
	(void)t;
	return s->nregions;
}

static int copy_has(const struct fl_sys *s, const uint8_t *v, int t, int k, int rec)
{
	return has(s, v, t, k, rec);
}

static void copy_name(const struct fl_sys *s, int t, int k, struct fl_buf *b)
{
	fl_buf_printf(b, "%s's region %d replica", s->inst[t].name, fl_region_label(k));
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct table_conf *c = s->inst[self].conf;
	int rc = fl_doc_opt_enum(cfg, "on_outage", outage_names, &c->block, e);
	if (rc)
		return rc;
	c->o_replica = sizeof(struct table_hdr);
	s->inst[self].size = c->o_replica + (size_t)s->nregions +
			     copies_layout(&c->cp, s, s->nregions, c->o_replica + (size_t)s->nregions);
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
		if (copies_pending(&conf(s, self)->cp, base(s, v, self), r) && h->status == FL_UP &&
		    h->repl == FL_UP && rep[r] == FL_UP)
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
	int rec = copies_replicate(&conf(s, t)->cp, base(s, v, t), r);
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
	struct table_hdr *h = hdr(s, v, self);
	if (fault == F_LOSE && farg < s->nregions) {
		copies_lose(&conf(s, self)->cp, base(s, v, self), farg);
		fl_event_add(ev, EV_LOSS, farg, self, 0, 0);
		return FL_OK;
	}
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
		n += copies_pending(&conf(s, self)->cp, base(s, v, self), r);
	return n;
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct table_hdr *h = hdr(s, v, self);
	fl_buf_puts(b, model_origin_name(h->status));
	if (h->repl != FL_UP)
		fl_buf_printf(b, ", replication paused (%s)", h->repl == FL_BY_SCRIPT ? "script" : "fault");
	for (int r = 0; r < s->nregions; r++) {
		fl_buf_printf(b, "; region %d%s ", fl_region_label(r),
			      replica(s, v, self)[r] == FL_UP ? "" : " (replica out)");
		copies_describe(&conf(s, self)->cp, base(s, v, self), r, b);
	}
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	int r = fl_region_label(st->arg);
	switch (st->action) {
	case A_REPLICATE:
		fl_buf_printf(b, "replicates record %d into region %d",
			      copies_head(&conf(s, st->inst)->cp, base(s, v, st->inst), st->arg), r);
		break;
	case A_RECOVER: fl_buf_puts(b, "recovers from its outage"); break;
	case A_RESUME: fl_buf_puts(b, "resumes replication"); break;
	default: fl_buf_printf(b, "region %d replica recovers", r); break;
	}
}

/* An outage (when writes do not wait it out), a replica outage, a lost response. */
static unsigned failing(const struct fl_sys *s, int t)
{
	return (conf(s, t)->block ? 0 : 1u << F_OUTAGE) | 1u << F_REPLICA | 1u << F_LOST;
}

static const struct model_db db = {
	.failing = failing,
	.probe = probe,
	.write = put,
	.readable = has,
	.up = up,
	.copies = ncopies,
	.copy_has = copy_has,
	.copy_name = copy_name,
	.lost_response = F_LOST,
};

static const struct model_role role = {.db = &db};

static const char *const actions[] = {"replicate", "recover", "resume", "recover-replica", NULL};

/* Replication needs a second region; each way back a transient fault of its kind. */
static uint64_t possible(const struct fl_sys *s, int self)
{
	uint64_t m = s->nregions > 1 ? MODEL_BIT(A_REPLICATE) : 0;
	if (model_may_fail(s, self, 1u << F_OUTAGE, -1, MODEL_FAIL_TRANSIENT))
		m |= MODEL_BIT(A_RECOVER);
	if (model_may_fail(s, self, 1u << F_PAUSE, -1, MODEL_FAIL_TRANSIENT))
		m |= MODEL_BIT(A_RESUME);
	if (model_may_fail(s, self, 1u << F_REPLICA, -1, MODEL_FAIL_TRANSIENT))
		m |= MODEL_BIT(A_RECOVER_REPLICA);
	return m;
}

const struct fl_kind table_kind = {
	.name = "table",
	.summary = "DynamoDB global table: writes accepted in every region, acknowledged after the "
		   "local write, replicated asynchronously",
	.per_region = 0,
	.keys = keys,
	.faults = faults,
	.fault_needs_region = 1u << F_REPLICA | 1u << F_LOSE,
	.fault_during_call = 1u << F_LOST,
	.metrics = metrics,
	.conf_size = sizeof(struct table_conf),
	.role = &role,
	.configure = configure,
	.steps = steps,
	.apply = apply,
	.inject = inject,
	.recover = recover,
	.metric = metric,
	.describe = describe,
	.step_name = step_name,
	.actions = actions,
	.possible = possible,
};

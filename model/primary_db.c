/*
 * primary_db.c - single-writer replicated databases: MongoDB Atlas (kind `mongo`) and the
 * Aurora global database (kind `aurora`). One copy is the primary (the writer); every write
 * goes to it whatever the caller's region, and reads are served by it.
 *
 * mongo: three regional copies, regions 1, 2, 3 (the Atlas' own regions, not the system's):
 * primary, secondary, tertiary. With `write_concern: majority` (default) a write is stored in
 * the primary and the secondary before it is acknowledged and reaches the tertiary
 * asynchronously; with `primary` it is acknowledged after the primary alone and both others
 * follow asynchronously. `switch:` makes the next copy primary (1->2->3 becomes 2->3->1).
 * aurora: one copy per system region; the writer region (region 1 at first) stores the write
 * and acknowledges it, the others follow asynchronously; `switch:` moves the writer on.
 *
 * Faults: `outage` (every call rejected, data kept), `replication-pause` (asynchronous copies
 * lag until it ends), `lose-primary` (the primary's data is destroyed: what it had not
 * replicated is lost; the next copy takes over as primary and the lost one is rebuilt from
 * the survivors), `lose-primary-and-secondary` (the primary and the next copy together),
 * `lost-response` (a write is done but its acknowledgement never reaches the caller).
 *
 * State: struct pdb_hdr, then the copies (model/copies.c).
 */
#include "model.h"

#include <string.h>

struct pdb_hdr {
	uint8_t status;  /* enum fl_origin */
	uint8_t repl;    /* replication: FL_UP or who paused it */
	uint8_t primary; /* copy index of the primary */
};
_Static_assert(sizeof(struct pdb_hdr) == 3, "database state must be padding-free");

struct pdb_conf {
	int sync;         /* copies after the primary written before the acknowledgement */
	struct copies cp;
};

static const char *const mongo_keys[] = {"kind", "write_concern", NULL};
static const char *const aurora_keys[] = {"kind", NULL};
static const char *const faults[] = {"outage", "replication-pause", "lose-primary",
				     "lose-primary-and-secondary", "lost-response", NULL};
static const char *const metrics[] = {"pending", NULL};
static const char *const concerns[] = {"primary", "majority", NULL};
enum { F_OUTAGE, F_PAUSE, F_LOSE1, F_LOSE2, F_LOST };
enum { A_REPLICATE, A_RECOVER, A_RESUME };

static uint8_t *base(const struct fl_sys *s, const uint8_t *v, int d)
{
	return (uint8_t *)(uintptr_t)(v + s->inst[d].off);
}

static struct pdb_hdr *hdr(const struct fl_sys *s, const uint8_t *v, int d)
{
	return (struct pdb_hdr *)base(s, v, d);
}

static const struct pdb_conf *conf(const struct fl_sys *s, int d) { return s->inst[d].conf; }

static int ncopies(const struct fl_sys *s, int d) { return conf(s, d)->cp.n; }

/* Copy index of the k-th copy in replication order (0 = the primary). */
static int nth(const struct fl_sys *s, const uint8_t *v, int d, int k)
{
	return (hdr(s, v, d)->primary + k) % ncopies(s, d);
}

static int up(const struct fl_sys *s, const uint8_t *v, int d, int region)
{
	(void)region;
	return hdr(s, v, d)->status == FL_UP;
}

static int probe(const struct fl_sys *s, const uint8_t *v, int d, int region)
{
	return up(s, v, d, region) ? CALL_OK : CALL_FAIL;
}

static int readable(const struct fl_sys *s, const uint8_t *v, int d, int region, int rec)
{
	(void)region;
	return copies_has(&conf(s, d)->cp, base(s, v, d), nth(s, v, d, 0), rec);
}

static int put(const struct fl_sys *s, uint8_t *v, int d, int region, int rec, int skip_if_present,
	       struct fl_events *ev)
{
	if (!up(s, v, d, region))
		return CALL_FAIL;
	const struct pdb_conf *c = conf(s, d);
	int again = readable(s, v, d, region, rec);
	if (again && skip_if_present)
		return CALL_OK;
	for (int k = 0; k < c->cp.n; k++) {
		if (k <= c->sync)
			copies_put(&c->cp, base(s, v, d), nth(s, v, d, k), rec);
		else
			copies_queue(&c->cp, base(s, v, d), nth(s, v, d, k), rec);
	}
	fl_event_add(ev, EV_DB_WRITE, region, d, rec, again);
	return CALL_OK;
}

static int copy_has(const struct fl_sys *s, const uint8_t *v, int d, int k, int rec)
{
	return copies_has(&conf(s, d)->cp, base(s, v, d), k, rec);
}

static void copy_name(const struct fl_sys *s, int d, int k, struct fl_buf *b)
{
	fl_buf_printf(b, "%s's region %d copy", s->inst[d].name, k + 1);
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct pdb_conf *c = s->inst[self].conf;
	int mongo = s->inst[self].kind == &mongo_kind, majority = 1;
	int rc = mongo ? fl_doc_opt_enum(cfg, "write_concern", concerns, &majority, e) : FL_OK;
	if (rc)
		return rc;
	c->sync = mongo && majority;
	s->inst[self].size = sizeof(struct pdb_hdr) +
			     copies_layout(&c->cp, s, mongo ? 3 : s->nregions, sizeof(struct pdb_hdr));
	return FL_OK;
}

static int add(struct fl_step *out, int n, int max, int self, int action, int arg)
{
	if (n < max)
		out[n] = (struct fl_step){.inst = (uint16_t)self, .action = (uint8_t)action,
					  .arg = (uint8_t)arg};
	return n + 1;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	const struct pdb_hdr *h = hdr(s, v, self);
	int n = 0;
	for (int k = 0; k < ncopies(s, self) && h->status == FL_UP && h->repl == FL_UP; k++)
		if (copies_pending(&conf(s, self)->cp, base(s, v, self), k))
			n = add(out, n, max, self, A_REPLICATE, k);
	if (h->status == FL_TRANSIENT)
		n = add(out, n, max, self, A_RECOVER, 0);
	if (h->repl == FL_TRANSIENT)
		n = add(out, n, max, self, A_RESUME, 0);
	return n;
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	switch (st->action) {
	case A_REPLICATE: {
		int rec = copies_replicate(&conf(s, st->inst)->cp, base(s, v, st->inst), st->arg);
		fl_event_add(ev, EV_REPLICATE, st->arg, st->inst, rec, 0);
		return FL_OK;
	}
	case A_RECOVER: hdr(s, v, st->inst)->status = FL_UP; return FL_OK;
	case A_RESUME: hdr(s, v, st->inst)->repl = FL_UP; return FL_OK;
	default: return FL_EINTERNAL;
	}
}

/* The primary and the `extra` copies after it lose their data; the next survivor leads. */
static void lose(const struct fl_sys *s, uint8_t *v, int self, int extra, struct fl_events *ev)
{
	int n = ncopies(s, self);
	if (extra >= n)
		extra = n - 1;
	for (int k = 0; k <= extra; k++)
		copies_lose(&conf(s, self)->cp, base(s, v, self), nth(s, v, self, k));
	struct pdb_hdr *h = hdr(s, v, self);
	h->primary = (uint8_t)((h->primary + extra + 1) % n);
	fl_event_add(ev, EV_LOSS, FL_ANY, self, 0, 0);
}

static int inject(const struct fl_sys *s, uint8_t *v, int self, int fault, int farg, int origin,
		  struct fl_events *ev)
{
	(void)farg;
	struct pdb_hdr *h = hdr(s, v, self);
	if (fault == F_LOSE1 || fault == F_LOSE2) {
		lose(s, v, self, fault == F_LOSE2, ev);
		return FL_OK;
	}
	uint8_t *slot = fault == F_OUTAGE ? &h->status : fault == F_PAUSE ? &h->repl : NULL;
	if (slot && *slot == FL_UP)
		*slot = (uint8_t)origin;
	return FL_OK;
}

static void recover(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev)
{
	(void)ev;
	hdr(s, v, self)->status = FL_UP;
	hdr(s, v, self)->repl = FL_UP;
}

static void switch_over(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev)
{
	(void)ev;
	struct pdb_hdr *h = hdr(s, v, self);
	h->primary = (uint8_t)((h->primary + 1) % ncopies(s, self));
}

static long metric(const struct fl_sys *s, const uint8_t *v, int self, int m)
{
	(void)m;
	long n = 0;
	for (int k = 0; k < ncopies(s, self); k++)
		n += copies_pending(&conf(s, self)->cp, base(s, v, self), k);
	return n;
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct pdb_hdr *h = hdr(s, v, self);
	static const char *const mongo_roles[] = {"primary", "secondary", "tertiary"};
	int mongo = s->inst[self].kind == &mongo_kind;
	fl_buf_puts(b, model_origin_name(h->status));
	if (h->repl != FL_UP)
		fl_buf_printf(b, ", replication paused (%s)", h->repl == FL_BY_SCRIPT ? "script" : "fault");
	for (int k = 0; k < ncopies(s, self); k++) {
		int c = nth(s, v, self, k);
		fl_buf_printf(b, "; region %d (%s) ", c + 1,
			      mongo ? mongo_roles[k] : k == 0 ? "writer" : "replica");
		copies_describe(&conf(s, self)->cp, base(s, v, self), c, b);
	}
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	switch (st->action) {
	case A_REPLICATE:
		fl_buf_printf(b, "replicates record %d into its region %d copy",
			      copies_head(&conf(s, st->inst)->cp, base(s, v, st->inst), st->arg), st->arg + 1);
		break;
	case A_RECOVER: fl_buf_puts(b, "recovers from its outage"); break;
	default: fl_buf_puts(b, "resumes replication"); break;
	}
}

static unsigned failing(const struct fl_sys *s, int d)
{
	(void)s, (void)d;
	return 1u << F_OUTAGE | 1u << F_LOST;
}

static const struct model_db db = {
	.failing = failing,
	.probe = probe,
	.write = put,
	.readable = readable,
	.up = up,
	.copies = ncopies,
	.copy_has = copy_has,
	.copy_name = copy_name,
	.lost_response = F_LOST,
};

static const struct model_role role = {.db = &db, .switch_over = switch_over};

static const char *const actions[] = {"replicate", "recover", "resume", NULL};

/* Replication needs a second copy; each way back a transient fault of its kind. */
static uint64_t possible(const struct fl_sys *s, int self)
{
	uint64_t m = ncopies(s, self) > 1 ? MODEL_BIT(A_REPLICATE) : 0;
	if (model_may_fail(s, self, 1u << F_OUTAGE, -1, MODEL_FAIL_TRANSIENT))
		m |= MODEL_BIT(A_RECOVER);
	if (model_may_fail(s, self, 1u << F_PAUSE, -1, MODEL_FAIL_TRANSIENT))
		m |= MODEL_BIT(A_RESUME);
	return m;
}

/* What mongo and aurora share: everything but their names and keys. */
#define PDB_KIND_COMMON                                                                           \
	.faults = faults, .fault_during_call = 1u << F_LOST, .metrics = metrics,                  \
	.conf_size = sizeof(struct pdb_conf), .role = &role, .configure = configure,              \
	.steps = steps, .apply = apply, .inject = inject, .recover = recover, .metric = metric,   \
	.describe = describe, .step_name = step_name, .actions = actions, .possible = possible

const struct fl_kind mongo_kind = {
	.name = "mongo",
	.summary = "MongoDB Atlas: primary, secondary, tertiary; acknowledged after the primary "
		   "and the secondary (write_concern: majority) or the primary alone",
	.keys = mongo_keys,
	PDB_KIND_COMMON,
};

const struct fl_kind aurora_kind = {
	.name = "aurora",
	.summary = "Aurora global database: one writer region, acknowledged after the writer, "
		   "replicated asynchronously; switch moves the writer",
	.keys = aurora_keys,
	PDB_KIND_COMMON,
};

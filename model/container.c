/*
 * container.c - the stateless stream -> database -> stream container, one instance per region:
 * the active-active queue -> DynamoDB -> queue stage, the active-passive queue -> Aurora ->
 * queue stage and Workload1's Kafka -> MongoDB -> Kafka processor.
 *
 * It reads its input (the head of a queue, or a Kafka stream's batch), then takes its three
 * other steps in the configured order (default write the database, publish to the output
 * stream, remove from the input), each its own atomic step; a batch is written record by
 * record (stopping at the first failure, as the P processor does), published in one call and
 * committed in one call. Any failed call sends it to "failed dependency" with no rollback: what
 * was done stays done and the record stays in the input (seed 002, learning 2). A crash sends
 * it to "failed processing". Either way it forgets the record it held: on its way back it
 * re-reads the input's head. The P model cannot crash a container between steps (its handler
 * runs to completion); here every step boundary is a place a fault can strike.
 *
 * Ways back: a transient fault recovers as a normal step; after a failed call the container is
 * restarted by a timeout step once its dependencies are up again (`restart: after-timeout`),
 * or only by a script phase (`restart: script`, the P model's behaviour).
 * Idempotency: `none` redoes everything; `skip-write` does not write a record a read of its
 * database already finds; `skip-record` removes such a record without writing or publishing.
 * Failure handling: `three-state` (default, seed 002 learning 3) as above; `uniform` treats a
 * failed call like an internal failure: the container goes to failed processing and is
 * relaunched at once (a normal step, like an autoscaler), whether or not its dependency is
 * back, so against a dependency that stays failed it restarts forever.
 *
 * State: struct container_state.
 */
#include "model.h"

#include <string.h>

struct container_state {
	uint8_t mode;   /* PROCESS, FAILED_PROCESSING or FAILED_DEPENDENCY */
	uint8_t origin; /* enum fl_origin of the failure; FL_UP while processing */
	uint8_t phase;  /* 0 = read next; 1..3 = order[phase-1] next; SKIP = remove a skipped batch */
	uint8_t n;      /* records held */
	uint8_t w;      /* records of the batch the write step has handled */
	uint8_t skip;   /* bit i: held record i is stored already and skipped (skip-record) */
	uint8_t rec[];  /* records held, batch of them; 0 when free */
};
_Static_assert(sizeof(struct container_state) == 6, "container state must be padding-free");

enum { PROCESS, FAILED_PROCESSING, FAILED_DEPENDENCY };
enum { OP_WRITE, OP_PUBLISH, OP_REMOVE };
enum { IDEM_NONE, IDEM_SKIP_WRITE, IDEM_SKIP_RECORD };
enum { A_READ, A_WRITE, A_PUBLISH, A_REMOVE, A_RECOVER, A_RESTART };
#define SKIP 4

struct container_conf {
	int in, out, db; /* instance indices, wired to this container's region */
	const struct model_db *dbo;
	int batch;       /* records read at once: the input's batch */
	int idempotency;
	int restart_by_script;
	int uniform;     /* failure_handling: uniform */
	uint8_t order[3];
};

static const char *const keys[] = {"kind", "input", "database", "table", "output", "idempotency",
				   "order", "restart", "failure_handling", NULL};
static const char *const faults[] = {"crash", "dependency", NULL};
static const char *const idem_names[] = {"none", "skip-write", "skip-record", NULL};
static const char *const op_names[] = {"write", "publish", "remove", NULL};
static const char *const restart_names[] = {"after-timeout", "script", NULL};
static const char *const handling_names[] = {"three-state", "uniform", NULL};
enum { F_CRASH, F_DEPENDENCY };

static struct container_state *st_of(const struct fl_sys *s, const uint8_t *v, int i)
{
	return (struct container_state *)(uintptr_t)(v + s->inst[i].off);
}

static const struct container_conf *conf(const struct fl_sys *s, int i) { return s->inst[i].conf; }

int container_db(const struct fl_sys *s, int c) { return conf(s, c)->db; }
int container_input(const struct fl_sys *s, int c) { return conf(s, c)->in; }

static int read_order(struct container_conf *c, const struct fl_node *cfg, struct fl_err *e)
{
	c->order[0] = OP_WRITE, c->order[1] = OP_PUBLISH, c->order[2] = OP_REMOVE;
	const struct fl_node *o = fl_doc_get(cfg, "order");
	if (!o)
		return FL_OK;
	int rc = fl_doc_want(o, FL_NODE_SEQ, "order", e), seen = 0, i = 0;
	if (rc)
		return rc;
	if (fl_doc_len(o) != 3)
		return fl_doc_errf(e, o, "order lists the three steps after the read, each once: "
					 "e.g. [write, publish, remove]");
	for (const struct fl_node *x = o->child; x; x = x->next, i++) {
		int op;
		if ((rc = fl_doc_enum(x, op_names, &op, e)))
			return rc;
		if (seen >> op & 1)
			return fl_doc_errf(e, x, "'%s' appears twice in order", op_names[op]);
		seen |= 1 << op;
		c->order[i] = (uint8_t)op;
	}
	return FL_OK;
}

/* `database:` (or its older spelling `table:`) names the database it writes. */
static int wire_db(struct fl_sys *s, int self, const struct fl_node *cfg, struct container_conf *c,
		   struct fl_err *e)
{
	const struct fl_node *d = fl_doc_get(cfg, "database"), *t = fl_doc_get(cfg, "table");
	if (d && t)
		return fl_doc_errf(e, t, "write either database: or table:, not both");
	return model_wire_role(s, self, cfg, t ? "table" : "database", ROLE_DB, 1, &c->db, e);
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct container_conf *c = s->inst[self].conf;
	int r = s->inst[self].region, rc;
	c->idempotency = IDEM_SKIP_WRITE;
	if ((rc = model_wire_role(s, self, cfg, "input", ROLE_STREAM, 1, &c->in, e)) ||
	    (rc = wire_db(s, self, cfg, c, e)) ||
	    (rc = model_wire_role(s, self, cfg, "output", ROLE_STREAM, 1, &c->out, e)) ||
	    (rc = fl_doc_opt_enum(cfg, "idempotency", idem_names, &c->idempotency, e)) ||
	    (rc = fl_doc_opt_enum(cfg, "restart", restart_names, &c->restart_by_script, e)) ||
	    (rc = fl_doc_opt_enum(cfg, "failure_handling", handling_names, &c->uniform, e)) ||
	    (rc = read_order(c, cfg, e)))
		return rc;
	if (c->in == c->out)
		return fl_doc_errf(e, fl_doc_get(cfg, "output"),
				   "container '%s' would read and publish to the same stream",
				   s->inst[self].comp);
	c->in = fl_sys_comp_region(s, c->in, r);
	c->out = fl_sys_comp_region(s, c->out, r);
	c->dbo = model_db(s, c->db);
	c->batch = queue_batch(s, c->in);
	s->inst[self].size = sizeof(struct container_state) + (size_t)c->batch;
	return FL_OK;
}

static int op_at(const struct container_conf *c, int phase)
{
	return phase == SKIP ? OP_REMOVE : c->order[phase - 1];
}

/* Instance a step's call goes to, and whether it would succeed now (CALL_*). */
static int call_target(const struct fl_sys *s, const uint8_t *v, int self, int op, int *target)
{
	const struct container_conf *c = conf(s, self);
	switch (op) {
	case OP_WRITE:
		*target = c->db;
		return c->dbo->probe(s, v, c->db, s->inst[self].region);
	case OP_PUBLISH: *target = c->out; return queue_up(s, v, c->out) ? CALL_OK : CALL_FAIL;
	default: *target = c->in; return queue_up(s, v, c->in) ? CALL_OK : CALL_FAIL;
	}
}

static int deps_up(const struct fl_sys *s, const uint8_t *v, int self)
{
	const struct container_conf *c = conf(s, self);
	return queue_up(s, v, c->in) && queue_up(s, v, c->out) &&
	       c->dbo->up(s, v, c->db, s->inst[self].region);
}

static int failed_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out)
{
	const struct container_state *x = st_of(s, v, self);
	const struct container_conf *c = conf(s, self);
	if (x->origin == FL_TRANSIENT || (x->origin == FL_BY_CALL && c->uniform)) {
		out[0] = (struct fl_step){.inst = (uint16_t)self, .action = A_RECOVER};
		return 1;
	}
	if (x->mode == FAILED_DEPENDENCY && x->origin == FL_BY_CALL && !c->restart_by_script &&
	    deps_up(s, v, self)) {
		out[0] = (struct fl_step){.inst = (uint16_t)self, .cls = FL_TIMEOUT, .action = A_RESTART};
		return 1;
	}
	return 0;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	const struct container_state *x = st_of(s, v, self);
	const struct container_conf *c = conf(s, self);
	uint8_t ready[MODEL_MAX_BATCH];
	if (max < 2)
		return FL_EINTERNAL;
	if (x->mode != PROCESS)
		return failed_steps(s, v, self, out);
	if (x->phase == 0) {
		if (queue_up(s, v, c->in) && !queue_ready(s, v, c->in, ready))
			return 0;
		out[0] = (struct fl_step){.inst = (uint16_t)self, .action = A_READ};
		return 1;
	}
	int op = op_at(c, x->phase), target, n = 0;
	int res = call_target(s, v, self, op, &target);
	if (res == CALL_BLOCK)
		return 0;
	uint8_t action = (uint8_t)(A_WRITE + op);
	out[n++] = (struct fl_step){.inst = (uint16_t)self, .action = action};
	if (res == CALL_OK) {
		int lost = op == OP_WRITE ? c->dbo->lost_response : sink_lost_response(s, target);
		out[n++] = (struct fl_step){.inst = (uint16_t)self, .target = (uint16_t)target,
					    .cls = FL_FAULT, .action = action, .fault = (uint8_t)lost,
					    .farg = op == OP_WRITE ? (uint8_t)s->inst[self].region : FL_ANY};
	}
	return n;
}

static void drop_batch(struct container_state *x)
{
	memset(x->rec, 0, x->n);
	x->n = x->w = x->skip = 0;
	x->phase = 0;
}

static void fail(const struct fl_sys *s, int self, struct container_state *x, int mode, int origin)
{
	if (mode == FAILED_DEPENDENCY && origin == FL_BY_CALL && conf(s, self)->uniform)
		mode = FAILED_PROCESSING;
	x->mode = (uint8_t)mode;
	x->origin = (uint8_t)origin;
	drop_batch(x);
}

static void advance(struct container_state *x)
{
	if (x->phase == SKIP || x->phase == 3)
		drop_batch(x);
	else
		x->phase = (uint8_t)(x->phase + 1);
}

static void do_read(const struct fl_sys *s, uint8_t *v, int self, struct container_state *x)
{
	const struct container_conf *c = conf(s, self);
	if (!queue_up(s, v, c->in)) {
		fail(s, self, x, FAILED_DEPENDENCY, FL_BY_CALL);
		return;
	}
	x->n = (uint8_t)queue_ready(s, v, c->in, x->rec);
	x->w = x->skip = 0;
	for (int i = 0; i < x->n && c->idempotency == IDEM_SKIP_RECORD; i++)
		if (c->dbo->readable(s, v, c->db, s->inst[self].region, x->rec[i]))
			x->skip = (uint8_t)(x->skip | 1u << i);
	x->phase = x->skip == (1u << x->n) - 1 ? SKIP : 1;
}

/* The write step: the next record of the batch that is not skipped. */
static int next_write(const struct container_state *x)
{
	int i = x->w;
	while (i < x->n && (x->skip >> i & 1u))
		i++;
	return i;
}

/* Writes the next record of the batch; *more: records of the batch are still to be written. */
static int do_write(const struct fl_sys *s, uint8_t *v, int self, struct container_state *x,
		    int acked, int *more, struct fl_events *ev)
{
	const struct container_conf *c = conf(s, self);
	int i = next_write(x), r = s->inst[self].region;
	int res = c->dbo->write(s, v, c->db, r, x->rec[i], c->idempotency != IDEM_NONE, ev);
	*more = 0;
	if (res == CALL_OK && acked) {
		fl_event_add(ev, EV_DB_ACK, r, c->db, x->rec[i], 0);
		x->w = (uint8_t)(i + 1);
		*more = next_write(x) < x->n;
	}
	return res;
}

/* 1 if held record i is stored: written (and acknowledged) in this pass, or skipped because
 * the database had it already. */
static int stored(const struct container_state *x, int i)
{
	return (x->skip >> i & 1u) || i < x->w;
}

/* Publish or remove the batch in one call; returns CALL_* or FL_EBOUND. */
static int do_batch(const struct fl_sys *s, uint8_t *v, int self, int op, struct fl_events *ev)
{
	const struct container_conf *c = conf(s, self);
	const struct container_state *x = st_of(s, v, self);
	int r = s->inst[self].region, res = CALL_OK;
	for (int i = 0; i < x->n && res == CALL_OK; i++) {
		if (op == OP_PUBLISH) {
			if (!(x->skip >> i & 1u))
				res = queue_send(s, v, c->out, x->rec[i], ev);
			continue;
		}
		res = queue_remove(s, v, c->in, x->rec[i]);
		if (res == CALL_OK)
			fl_event_add(ev, EV_REMOVE, r, self, x->rec[i], stored(x, i));
	}
	return res;
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	struct container_state *x = st_of(s, v, st->inst);
	int op = st->action - A_WRITE, res, more = 0;
	switch (st->action) {
	case A_READ: do_read(s, v, st->inst, x); return FL_OK;
	case A_RECOVER:
	case A_RESTART: fail(s, st->inst, x, PROCESS, FL_UP); return FL_OK;
	default: break;
	}
	if (op == OP_WRITE)
		res = do_write(s, v, st->inst, x, st->cls != FL_FAULT, &more, ev);
	else
		res = do_batch(s, v, st->inst, op, ev);
	if (res < 0 || (res == CALL_OK && more))
		return res;
	if (res == CALL_OK && st->cls != FL_FAULT)
		advance(x);
	else
		fail(s, st->inst, x, FAILED_DEPENDENCY, FL_BY_CALL);
	return FL_OK;
}

static int inject(const struct fl_sys *s, uint8_t *v, int self, int fault, int farg, int origin,
		  struct fl_events *ev)
{
	(void)farg, (void)ev;
	struct container_state *x = st_of(s, v, self);
	if (x->mode == PROCESS) {
		x->mode = fault == F_CRASH ? FAILED_PROCESSING : FAILED_DEPENDENCY;
		x->origin = (uint8_t)origin;
		drop_batch(x);
	}
	return FL_OK;
}

static void recover(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev)
{
	(void)ev;
	struct container_state *x = st_of(s, v, self);
	if (x->mode != PROCESS)
		fail(s, self, x, PROCESS, FL_UP);
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct container_state *x = st_of(s, v, self);
	const struct container_conf *c = conf(s, self);
	static const char *const next_names[] = {"write", "publish", "remove"};
	if (x->mode == FAILED_PROCESSING)
		fl_buf_printf(b, "failed processing (%s)", x->origin == FL_BY_CALL ? "a call failed"
							   : model_origin_name(x->origin));
	else if (x->mode == FAILED_DEPENDENCY)
		fl_buf_printf(b, "failed dependency (%s)", x->origin == FL_BY_CALL ? "a call failed"
							   : model_origin_name(x->origin));
	else if (x->phase == 0)
		fl_buf_puts(b, "processing, waiting to read");
	else {
		fl_buf_puts(b, "processing ");
		model_records(b, x->rec, x->n);
		fl_buf_printf(b, ", next: %s%s", next_names[op_at(c, x->phase)],
			      x->phase == SKIP ? " (skipping it)" : "");
	}
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	const struct container_state *x = st_of(s, v, st->inst);
	const struct container_conf *c = conf(s, st->inst);
	int r = fl_region_label(s->inst[st->inst].region);
	uint8_t ready[MODEL_MAX_BATCH];
	switch (st->action) {
	case A_READ:
		if (!queue_up(s, v, c->in)) {
			fl_buf_printf(b, "reads from %s: fails, the %s is out", s->inst[c->in].name,
				      s->inst[c->in].kind == &queue_kind ? "queue" : "stream");
			return;
		}
		fl_buf_puts(b, "reads ");
		model_records(b, ready, queue_ready(s, v, c->in, ready));
		fl_buf_printf(b, " from %s", s->inst[c->in].name);
		return;
	case A_RECOVER:
		fl_buf_puts(b, x->origin == FL_BY_CALL ? "is relaunched" : "recovers");
		return;
	case A_RESTART: fl_buf_puts(b, "is restarted after a timeout"); return;
	case A_WRITE: {
		int rec = x->rec[next_write(x)];
		int reg = s->inst[st->inst].region;
		if (c->idempotency != IDEM_NONE && st->cls != FL_FAULT &&
		    c->dbo->probe(s, v, c->db, reg) == CALL_OK && c->dbo->readable(s, v, c->db, reg, rec)) {
			fl_buf_printf(b, "skips writing record %d to %s: it is there already", rec,
				      s->inst[c->db].name);
			return;
		}
		fl_buf_printf(b, "writes record %d to %s (region %d)", rec, s->inst[c->db].name, r);
		break;
	}
	case A_PUBLISH:
		fl_buf_puts(b, "publishes ");
		model_records(b, x->rec, x->n);
		fl_buf_printf(b, " to %s", s->inst[c->out].name);
		break;
	default:
		fl_buf_puts(b, "removes ");
		model_records(b, x->rec, x->n);
		fl_buf_printf(b, " from %s", s->inst[c->in].name);
		break;
	}
	int target;
	int res = call_target(s, v, st->inst, st->action - A_WRITE, &target);
	if (st->cls == FL_FAULT)
		fl_buf_puts(b, ": done, but the response is lost");
	else if (res != CALL_OK)
		fl_buf_printf(b, ": fails, %s is out", s->inst[target].name);
}

static const char *const actions[] = {"read", "write", "publish", "remove", "recover", "restart",
				       NULL};

/* A call to a dependency can fail: an outage or a lost response of its input or output
 * stream, or a fault of its database in its region that fails calls (how: MODEL_FAIL_*). */
static int calls_can_fail(const struct fl_sys *s, int self, int how)
{
	const struct container_conf *c = conf(s, self);
	unsigned stream = 1u << 0 | 1u << sink_lost_response(s, c->in); /* outage, lost response */
	return model_may_fail(s, c->in, stream, -1, how) || model_may_fail(s, c->out, stream, -1, how) ||
	       model_may_fail(s, c->db, c->dbo->failing(s, c->db), s->inst[self].region, how);
}

/* Reading and the three steps always happen; recovery needs a transient fault of its own (or,
 * with uniform handling, a failed call), a restart after a timeout a failed call to a
 * dependency that comes back. */
static uint64_t possible(const struct fl_sys *s, int self)
{
	const struct container_conf *c = conf(s, self);
	uint64_t m = MODEL_BIT(A_READ) | MODEL_BIT(A_WRITE) | MODEL_BIT(A_PUBLISH) | MODEL_BIT(A_REMOVE);
	if (model_may_fail(s, self, MODEL_ALL_FAULTS, -1, MODEL_FAIL_TRANSIENT) ||
	    (c->uniform && calls_can_fail(s, self, MODEL_FAIL_ANY)))
		m |= MODEL_BIT(A_RECOVER);
	if (!c->uniform && !c->restart_by_script && calls_can_fail(s, self, MODEL_FAIL_RECOVERS))
		m |= MODEL_BIT(A_RESTART);
	return m;
}

const struct fl_kind container_kind = {
	.name = "container",
	.summary = "stateless container: read a queue or stream, write a database, publish, remove",
	.per_region = 1,
	.keys = keys,
	.faults = faults,
	.conf_size = sizeof(struct container_conf),
	.configure = configure,
	.steps = steps,
	.apply = apply,
	.inject = inject,
	.recover = recover,
	.describe = describe,
	.step_name = step_name,
	.actions = actions,
	.possible = possible,
};

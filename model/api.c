/*
 * api.c - an API container, one per region (Workload1's receiver and validator): invoked
 * synchronously, it writes the record to its database, then calls its next hop (another API
 * container or a stream) and answers its caller only when all of that succeeded. The whole
 * chain source -> DNS -> receiver -> DB -> validator -> DB -> Kafka is one call, taken as one
 * atomic step by the caller: hops done before a failure stay done (no rollback).
 *
 * While failed it rejects every invocation. A failed call (its database or next hop rejected)
 * puts it in failed dependency; it comes back after a timeout once its dependencies are up
 * (`restart: after-timeout`, default) or only by a script `recover` (`restart: script`, the
 * P model). Faults: crash (failed processing), dependency, and a lost response to its caller
 * (the caller sees a failure although the chain completed, and retries).
 * Idempotency: `skip-write` (default) does not write a record a read of its database already
 * finds; `none` writes it again.
 *
 * State: struct api_state.
 */
#include "model.h"

struct api_state {
	uint8_t mode;   /* PROCESS, FAILED_PROCESSING or FAILED_DEPENDENCY */
	uint8_t origin; /* enum fl_origin */
};
_Static_assert(sizeof(struct api_state) == 2, "api state must be padding-free");

struct api_conf {
	int db, next;   /* instances, wired to this container's region */
	const struct model_db *dbo;
	int skip_write;
	int restart_by_script;
};

enum { PROCESS, FAILED_PROCESSING, FAILED_DEPENDENCY };
enum { A_RECOVER, A_RESTART };
enum { F_CRASH, F_DEPENDENCY, F_LOST };
static const char *const keys[] = {"kind", "database", "next", "idempotency", "restart", NULL};
static const char *const faults[] = {"crash", "dependency", "lost-response", NULL};
static const char *const idem_names[] = {"none", "skip-write", NULL};
static const char *const restart_names[] = {"after-timeout", "script", NULL};

static struct api_state *st_of(const struct fl_sys *s, const uint8_t *v, int i)
{
	return (struct api_state *)(uintptr_t)(v + s->inst[i].off);
}

static const struct api_conf *conf(const struct fl_sys *s, int i) { return s->inst[i].conf; }

int api_probe(const struct fl_sys *s, const uint8_t *v, int a)
{
	const struct api_conf *c = conf(s, a);
	if (st_of(s, v, a)->mode != PROCESS)
		return CALL_FAIL;
	int res = c->dbo->probe(s, v, c->db, s->inst[a].region);
	return res != CALL_OK ? res : sink_probe(s, v, c->next);
}

int api_blocker(const struct fl_sys *s, const uint8_t *v, int a)
{
	const struct api_conf *c = conf(s, a);
	if (st_of(s, v, a)->mode != PROCESS)
		return a;
	if (c->dbo->probe(s, v, c->db, s->inst[a].region) != CALL_OK)
		return c->db;
	return s->inst[c->next].kind == &api_kind ? api_blocker(s, v, c->next) : c->next;
}

static int failed(struct api_state *x)
{
	x->mode = FAILED_DEPENDENCY;
	x->origin = FL_BY_CALL;
	return CALL_FAIL;
}

int api_invoke(const struct fl_sys *s, uint8_t *v, int a, int rec, struct fl_events *ev)
{
	const struct api_conf *c = conf(s, a);
	struct api_state *x = st_of(s, v, a);
	int r = s->inst[a].region;
	if (x->mode != PROCESS)
		return CALL_FAIL;
	if (c->dbo->write(s, v, c->db, r, rec, c->skip_write, ev) != CALL_OK)
		return failed(x);
	fl_event_add(ev, EV_DB_ACK, r, c->db, rec, 0);
	int res = sink_send(s, v, c->next, rec, ev);
	if (res < 0)
		return res;
	return res == CALL_OK ? CALL_OK : failed(x);
}

static int send(const struct fl_sys *s, uint8_t *v, int a, int rec, struct fl_events *ev)
{
	return api_invoke(s, v, a, rec, ev);
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct api_conf *c = s->inst[self].conf;
	int r = s->inst[self].region;
	c->skip_write = 1;
	int rc = model_wire_role(s, self, cfg, "database", ROLE_DB, 1, &c->db, e);
	if (!rc)
		rc = model_wire_role(s, self, cfg, "next", ROLE_SINK, 1, &c->next, e);
	if (!rc)
		rc = fl_doc_opt_enum(cfg, "idempotency", idem_names, &c->skip_write, e);
	if (!rc)
		rc = fl_doc_opt_enum(cfg, "restart", restart_names, &c->restart_by_script, e);
	if (rc)
		return rc;
	if (c->next == self)
		return fl_doc_errf(e, fl_doc_get(cfg, "next"), "api '%s' would call itself",
				   s->inst[self].comp);
	c->next = fl_sys_comp_region(s, c->next, r); /* every sink is per region */
	c->dbo = model_db(s, c->db);
	s->inst[self].size = sizeof(struct api_state);
	return FL_OK;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	const struct api_state *x = st_of(s, v, self);
	const struct api_conf *c = conf(s, self);
	if (x->mode == PROCESS || max < 1)
		return 0;
	if (x->origin == FL_TRANSIENT) {
		out[0] = (struct fl_step){.inst = (uint16_t)self, .action = A_RECOVER};
		return 1;
	}
	if (x->origin == FL_BY_CALL && !c->restart_by_script &&
	    c->dbo->up(s, v, c->db, s->inst[self].region) && sink_probe(s, v, c->next) == CALL_OK) {
		out[0] = (struct fl_step){.inst = (uint16_t)self, .cls = FL_TIMEOUT, .action = A_RESTART};
		return 1;
	}
	return 0;
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	(void)ev;
	*st_of(s, v, st->inst) = (struct api_state){PROCESS, FL_UP};
	return FL_OK;
}

static int inject(const struct fl_sys *s, uint8_t *v, int self, int fault, int farg, int origin,
		  struct fl_events *ev)
{
	(void)farg, (void)ev;
	struct api_state *x = st_of(s, v, self);
	if (x->mode == PROCESS && fault != F_LOST)
		*x = (struct api_state){(uint8_t)(fault == F_CRASH ? FAILED_PROCESSING : FAILED_DEPENDENCY),
					(uint8_t)origin};
	return FL_OK;
}

static void recover(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev)
{
	(void)ev;
	*st_of(s, v, self) = (struct api_state){PROCESS, FL_UP};
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct api_state *x = st_of(s, v, self);
	if (x->mode == PROCESS)
		fl_buf_puts(b, "accepting calls");
	else
		fl_buf_printf(b, "failed %s (%s), rejecting calls",
			      x->mode == FAILED_PROCESSING ? "processing" : "dependency",
			      x->origin == FL_BY_CALL ? "a call failed" : model_origin_name(x->origin));
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	(void)s, (void)v;
	fl_buf_puts(b, st->action == A_RECOVER ? "recovers" : "is restarted after a timeout");
}

static int probe(const struct fl_sys *s, const uint8_t *v, int a) { return api_probe(s, v, a); }

static const struct model_role role = {.send = send, .probe = probe, .lost_response = F_LOST};

static const char *const actions[] = {"recover", "restart", NULL};

/* Recovery needs a transient crash or dependency fault of its own; a restart after a timeout
 * a failed call to a dependency that comes back: its database in its region, its next hop. */
static uint64_t possible(const struct fl_sys *s, int self)
{
	const struct api_conf *c = conf(s, self);
	uint64_t m = 0;
	if (model_may_fail(s, self, 1u << F_CRASH | 1u << F_DEPENDENCY, -1, MODEL_FAIL_TRANSIENT))
		m |= MODEL_BIT(A_RECOVER);
	if (!c->restart_by_script &&
	    (model_may_fail(s, c->db, c->dbo->failing(s, c->db), s->inst[self].region,
			    MODEL_FAIL_RECOVERS) ||
	     model_may_fail(s, c->next, MODEL_ALL_FAULTS, -1, MODEL_FAIL_RECOVERS)))
		m |= MODEL_BIT(A_RESTART);
	return m;
}

const struct fl_kind api_kind = {
	.name = "api",
	.summary = "API container: invoked synchronously, writes its database, calls the next hop "
		   "(an api or a stream), rejects calls while failed",
	.per_region = 1,
	.keys = keys,
	.faults = faults,
	.fault_during_call = 1u << F_LOST,
	.conf_size = sizeof(struct api_conf),
	.role = &role,
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

/*
 * source.c - the record source: publishes records, in id order, through a DNS name.
 *
 * A script phase `publish: b` asks it to publish batch b; it then sends one record per step.
 * When a send is rejected it either keeps trying the same record (`on_reject: retry`, default:
 * a failed attempt changes nothing, so the source in effect waits for the route to heal) or
 * gives up on the rest of the batch (`stop`, the P model; a later `publish` of the same batch
 * resumes from the rejected record). A record counts as published once a queue accepted it;
 * records are published strictly in id order, so `publish: b` first publishes whatever earlier
 * records are still unpublished, then batch b: records 1..next are exactly the published ones.
 *
 * State: struct source_state.
 */
#include "model.h"

struct source_state {
	uint8_t mode;  /* IDLE, PUBLISHING or STOPPED */
	uint8_t next;  /* records 1..next are published */
	uint8_t limit; /* publish up to this record id */
};
_Static_assert(sizeof(struct source_state) == 3, "source state must be padding-free");

struct source_conf {
	int dns;
	int stop_on_reject;
	int replay;
	int dest;       /* the destination replay confirms against, or -1 */
};

enum { IDLE, PUBLISHING, STOPPED };
enum { A_PUBLISH, A_REPLAY };
static const char *const keys[] = {"kind", "dns", "on_reject", "replay", NULL};
static const char *const reject_names[] = {"retry", "stop", NULL};
static const char *const replay_names[] = {"none", "unconfirmed", NULL};
static const char *const metrics[] = {"published", "busy", NULL};

static struct source_state *st_of(const struct fl_sys *s, const uint8_t *v, int i)
{
	return (struct source_state *)(uintptr_t)(v + s->inst[i].off);
}

static const struct source_conf *conf(const struct fl_sys *s, int i) { return s->inst[i].conf; }

void source_publish_batch(const struct fl_sys *s, uint8_t *v, int src, int batch)
{
	struct source_state *x = st_of(s, v, src);
	x->limit = (uint8_t)s->batch_end[batch];
	x->mode = x->next < x->limit ? PUBLISHING : IDLE;
}

int source_published(const struct fl_sys *s, const uint8_t *v, int src) { return st_of(s, v, src)->next; }

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct source_conf *c = s->inst[self].conf;
	int rc = model_wire(s, self, cfg, "dns", &dns_kind, 1, &c->dns, e);
	if (!rc)
		rc = fl_doc_opt_enum(cfg, "on_reject", reject_names, &c->stop_on_reject, e);
	if (!rc)
		rc = fl_doc_opt_enum(cfg, "replay", replay_names, &c->replay, e);
	c->dest = -1;
	for (int i = 0; i < s->ninst && c->dest < 0; i++)
		if (s->inst[i].kind == &destination_kind)
			c->dest = i;
	if (!rc && c->replay && c->dest < 0)
		rc = fl_doc_errf(e, fl_doc_get(cfg, "replay"), "replay: unconfirmed needs a destination "
				 "component to confirm against");
	s->inst[self].size = sizeof(struct source_state);
	return rc;
}

/* The record replay would publish again now (lost: published, not at the destination, in no
 * queue or stream), or 0. */
static int lost_record(const struct fl_sys *s, const uint8_t *v, int self)
{
	const struct source_conf *c = conf(s, self);
	if (!c->replay)
		return 0;
	for (int rec = 1; rec <= st_of(s, v, self)->next; rec++) {
		if (destination_received(s, v, c->dest, rec))
			continue;
		int held = 0;
		for (int i = 0; i < s->ninst && !held; i++)
			held = model_is_stream(s, i) && queue_has(s, v, i, rec);
		if (!held)
			return rec;
	}
	return 0;
}

static int replay_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	uint8_t routes[FL_MAX_REGIONS];
	if (!lost_record(s, v, self))
		return 0;
	int nr = dns_routes(s, v, conf(s, self)->dns, routes), n = 0;
	for (int i = 0; i < nr && n < max; i++)
		if (sink_probe(s, v, dns_target(s, conf(s, self)->dns, routes[i])) != CALL_BLOCK)
			out[n++] = (struct fl_step){.inst = (uint16_t)self, .cls = FL_TIMEOUT,
						    .action = A_REPLAY, .arg = routes[i]};
	return n;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	const struct source_state *x = st_of(s, v, self);
	if (x->mode != PUBLISHING)
		return replay_steps(s, v, self, out, max);
	uint8_t routes[FL_MAX_REGIONS];
	int nr = dns_routes(s, v, conf(s, self)->dns, routes), n = 0;
	if (nr == 0 && max > 0) /* nowhere to go: the attempt is rejected */
		out[n++] = (struct fl_step){.inst = (uint16_t)self, .action = A_PUBLISH, .arg = FL_ANY};
	for (int i = 0; i < nr && n + 2 <= max; i++) {
		int q = dns_target(s, conf(s, self)->dns, routes[i]), res = sink_probe(s, v, q);
		if (res == CALL_BLOCK)
			continue;
		out[n++] = (struct fl_step){.inst = (uint16_t)self, .action = A_PUBLISH, .arg = routes[i]};
		if (res == CALL_OK)
			out[n++] = (struct fl_step){.inst = (uint16_t)self, .target = (uint16_t)q,
						    .cls = FL_FAULT, .action = A_PUBLISH,
						    .arg = routes[i],
						    .fault = (uint8_t)sink_lost_response(s, q),
						    .farg = FL_ANY};
	}
	return n;
}

static int replay(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	int rec = lost_record(s, v, st->inst);
	int res = sink_send(s, v, dns_target(s, conf(s, st->inst)->dns, st->arg), rec, ev);
	if (res == CALL_OK)
		fl_event_add(ev, EV_PUBLISH, st->arg, st->inst, rec, 1);
	return res < 0 ? res : FL_OK;
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	struct source_state *x = st_of(s, v, st->inst);
	const struct source_conf *c = conf(s, st->inst);
	int rec = x->next + 1, res = CALL_FAIL;
	if (st->action == A_REPLAY)
		return replay(s, v, st, ev);
	if (st->arg != FL_ANY) {
		res = sink_send(s, v, dns_target(s, c->dns, st->arg), rec, ev);
		if (res < 0)
			return res;
	}
	if (res == CALL_OK && st->cls != FL_FAULT) {
		dns_sent(s, v, c->dns, st->arg);
		x->next = (uint8_t)rec;
		fl_event_add(ev, EV_PUBLISH, st->arg, st->inst, rec, 0);
		if (x->next >= x->limit)
			x->mode = IDLE;
	} else if (c->stop_on_reject) {
		x->mode = STOPPED;
	}
	return FL_OK;
}

static long metric(const struct fl_sys *s, const uint8_t *v, int self, int m)
{
	const struct source_state *x = st_of(s, v, self);
	return m == 0 ? x->next : x->mode == PUBLISHING;
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct source_state *x = st_of(s, v, self);
	static const char *const modes[] = {"idle", "publishing", "stopped after a rejection"};
	fl_buf_printf(b, "%s, published 1..%d", modes[x->mode], x->next);
	if (x->mode != IDLE)
		fl_buf_printf(b, " of 1..%d", x->limit);
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	const struct source_conf *c = conf(s, st->inst);
	int rec = st->action == A_REPLAY ? lost_record(s, v, st->inst) : st_of(s, v, st->inst)->next + 1;
	if (st->arg == FL_ANY) {
		fl_buf_printf(b, "publishes record %d via %s: no region to route to, rejected", rec,
			      s->inst[c->dns].name);
		return;
	}
	int q = dns_target(s, c->dns, st->arg);
	fl_buf_printf(b, "%s record %d via %s to %s", st->action == A_REPLAY ? "replays lost" : "publishes",
		      rec, s->inst[c->dns].name, s->inst[q].name);
	const char *what = s->inst[q].kind == &queue_kind   ? "queue"
			 : s->inst[q].kind == &kafka_kind ? "stream"
							  : "api";
	if (st->cls == FL_FAULT)
		fl_buf_printf(b, ": the %s takes it but the response is lost", what);
	else if (sink_probe(s, v, q) != CALL_OK && s->inst[q].kind != &api_kind)
		fl_buf_printf(b, ": rejected, the %s is out", what);
	else if (sink_probe(s, v, q) != CALL_OK)
		fl_buf_printf(b, ": rejected, %s is out", s->inst[api_blocker(s, v, q)].name);
}

static const char *const actions[] = {"publish", "replay", NULL};

/* Replay only with `replay: unconfirmed`. */
static uint64_t possible(const struct fl_sys *s, int self)
{
	return MODEL_BIT(A_PUBLISH) | (conf(s, self)->replay ? MODEL_BIT(A_REPLAY) : 0);
}

const struct fl_kind source_kind = {
	.name = "source",
	.summary = "record source: publishes each batch, in id order, through a DNS name",
	.keys = keys,
	.metrics = metrics,
	.conf_size = sizeof(struct source_conf),
	.configure = configure,
	.steps = steps,
	.apply = apply,
	.metric = metric,
	.describe = describe,
	.step_name = step_name,
	.actions = actions,
	.possible = possible,
};

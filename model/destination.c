/*
 * destination.c - the record destination: receives records through the out-DNS.
 *
 * It polls every region through the DNS; a receive takes the head of that region's queue, or
 * a Kafka stream's batch (the records count as delivered at that moment), a second step
 * removes (commits) them. If the remove fails
 * because the queue is out, the P model's DNS answers "success" anyway and the destination
 * moves on (`remove_failure: ignore`, default): the record stays in the queue and is delivered
 * again later, the duplicate of seed 002's learning 5. With `retry` it waits until the remove
 * succeeds. Polling a queue that is out changes nothing, so it is not a step.
 * With `on_repeat: drop` the destination de-duplicates: a record it has received before is
 * removed again but not delivered again (an idempotent consumer: exactly-once effect).
 *
 * State: holding (0, or 1 + the region of the queue it holds records from), n, held[batch],
 * got[bitset] (received at least once), dup[bitset] (received more than once).
 */
#include "model.h"

#include <string.h>

struct dest_hdr {
	uint8_t holding;
	uint8_t n;      /* records held */
	uint8_t held[]; /* batch of them */
};
_Static_assert(sizeof(struct dest_hdr) == 2, "destination state must be padding-free");

struct dest_conf {
	int dns;
	int retry_remove;
	int drop_repeats;
	int batch;      /* records per delivery of the streams it reads */
};

enum { A_RECEIVE, A_REMOVE };
static const char *const keys[] = {"kind", "dns", "remove_failure", "on_repeat", NULL};
static const char *const remove_names[] = {"ignore", "retry", NULL};
static const char *const repeat_names[] = {"deliver", "drop", NULL};
static const char *const metrics[] = {"received", "duplicates", NULL};

static struct dest_hdr *hdr(const struct fl_sys *s, const uint8_t *v, int d)
{
	return (struct dest_hdr *)(uintptr_t)(v + s->inst[d].off);
}

static const struct dest_conf *conf(const struct fl_sys *s, int d) { return s->inst[d].conf; }

static uint8_t *got(const struct fl_sys *s, const uint8_t *v, int d)
{
	return (uint8_t *)(uintptr_t)(v + s->inst[d].off + sizeof(struct dest_hdr) +
				      (size_t)conf(s, d)->batch);
}

static uint8_t *twice(const struct fl_sys *s, const uint8_t *v, int d)
{
	return got(s, v, d) + model_bitset_bytes(s);
}

int destination_received(const struct fl_sys *s, const uint8_t *v, int d, int rec)
{
	return model_bit(got(s, v, d), rec);
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct dest_conf *c = s->inst[self].conf;
	int rc = model_wire(s, self, cfg, "dns", &dns_kind, 1, &c->dns, e);
	if (!rc)
		rc = fl_doc_opt_enum(cfg, "remove_failure", remove_names, &c->retry_remove, e);
	if (!rc)
		rc = fl_doc_opt_enum(cfg, "on_repeat", repeat_names, &c->drop_repeats, e);
	if (rc)
		return rc;
	int q = dns_target(s, c->dns, 0);
	if (!model_is_stream(s, q))
		return fl_doc_errf(e, fl_doc_get(cfg, "dns"), "destination '%s' reads through %s, which "
				   "routes to %s, a %s; a destination reads queues or kafka streams",
				   s->inst[self].comp, s->inst[c->dns].comp, s->inst[q].comp,
				   s->inst[q].kind->name);
	c->batch = queue_batch(s, q);
	s->inst[self].size = sizeof(struct dest_hdr) + (size_t)c->batch + 2 * (size_t)model_bitset_bytes(s);
	return FL_OK;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	const struct dest_hdr *h = hdr(s, v, self);
	int dns = conf(s, self)->dns, n = 0;
	if (h->holding) {
		if (max < 1)
			return FL_EINTERNAL;
		out[0] = (struct fl_step){.inst = (uint16_t)self, .action = A_REMOVE};
		return 1;
	}
	int seen[FL_MAX_REGIONS] = {0};
	uint8_t ready[MODEL_MAX_BATCH];
	for (int r = 0; r < s->nregions; r++) {
		int q = dns_receive_queue(s, v, dns, r);
		if (q < 0 || !queue_up(s, v, q) || !queue_ready(s, v, q, ready))
			continue;
		int qr = s->inst[q].region;
		if (seen[qr]++)
			continue;
		if (n >= max)
			return FL_EINTERNAL;
		out[n++] = (struct fl_step){.inst = (uint16_t)self, .action = A_RECEIVE, .arg = (uint8_t)qr};
	}
	return n;
}

static void receive(const struct fl_sys *s, uint8_t *v, int d, int region, struct fl_events *ev)
{
	struct dest_hdr *h = hdr(s, v, d);
	h->n = (uint8_t)queue_ready(s, v, dns_target(s, conf(s, d)->dns, region), h->held);
	h->holding = (uint8_t)(region + 1);
	for (int i = 0; i < h->n; i++) {
		int rec = h->held[i], again = model_bit(got(s, v, d), rec);
		if (again && conf(s, d)->drop_repeats)
			continue;
		model_set_bit(got(s, v, d), rec);
		if (again)
			model_set_bit(twice(s, v, d), rec);
		fl_event_add(ev, EV_DELIVER, region, d, rec, again);
	}
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	struct dest_hdr *h = hdr(s, v, st->inst);
	if (st->action == A_RECEIVE) {
		receive(s, v, st->inst, st->arg, ev);
		return FL_OK;
	}
	int q = dns_target(s, conf(s, st->inst)->dns, h->holding - 1), res = CALL_OK;
	for (int i = 0; i < h->n && res == CALL_OK; i++) {
		res = queue_remove(s, v, q, h->held[i]);
		if (res == CALL_OK)
			fl_event_add(ev, EV_REMOVE, h->holding - 1, st->inst, h->held[i], 1);
	}
	if (res == CALL_OK || !conf(s, st->inst)->retry_remove) {
		memset(h->held, 0, h->n);
		h->holding = h->n = 0;
	}
	return FL_OK;
}

static long metric(const struct fl_sys *s, const uint8_t *v, int self, int m)
{
	int nb = model_bitset_bytes(s);
	return model_popcount(m == 0 ? got(s, v, self) : twice(s, v, self), nb);
}

static void list_bits(const struct fl_sys *s, const uint8_t *bits, struct fl_buf *b)
{
	const char *sep = "";
	fl_buf_puts(b, "{");
	for (int rec = 1; rec <= s->nrecords; rec++)
		if (model_bit(bits, rec)) {
			fl_buf_printf(b, "%s%d", sep, rec);
			sep = " ";
		}
	fl_buf_puts(b, "}");
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct dest_hdr *h = hdr(s, v, self);
	fl_buf_puts(b, "received ");
	list_bits(s, got(s, v, self), b);
	if (model_popcount(twice(s, v, self), model_bitset_bytes(s))) {
		fl_buf_puts(b, ", twice ");
		list_bits(s, twice(s, v, self), b);
	}
	if (h->holding) {
		fl_buf_puts(b, ", holding ");
		model_records(b, h->held, h->n);
		fl_buf_printf(b, " from %s", s->inst[dns_target(s, conf(s, self)->dns, h->holding - 1)].name);
	}
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	const struct dest_hdr *h = hdr(s, v, st->inst);
	int dns = conf(s, st->inst)->dns;
	if (st->action == A_RECEIVE) {
		int q = dns_target(s, dns, st->arg);
		uint8_t ready[MODEL_MAX_BATCH];
		fl_buf_puts(b, "receives ");
		model_records(b, ready, queue_ready(s, v, q, ready));
		fl_buf_printf(b, " from %s via %s", s->inst[q].name, s->inst[dns].name);
		return;
	}
	int q = dns_target(s, dns, h->holding - 1);
	fl_buf_puts(b, "removes ");
	model_records(b, h->held, h->n);
	fl_buf_printf(b, " from %s", s->inst[q].name);
	if (!queue_up(s, v, q))
		fl_buf_printf(b, ": fails, the %s is out%s", s->inst[q].kind == &queue_kind ? "queue" : "stream",
			      conf(s, st->inst)->retry_remove ? "" : " (the DNS reports success)");
}

static const char *const actions[] = {"receive", "remove", NULL};

const struct fl_kind destination_kind = {
	.name = "destination",
	.summary = "record destination: receives from every region's queue through the out-DNS",
	.keys = keys,
	.metrics = metrics,
	.conf_size = sizeof(struct dest_conf),
	.configure = configure,
	.steps = steps,
	.apply = apply,
	.metric = metric,
	.describe = describe,
	.step_name = step_name,
	.actions = actions,
};

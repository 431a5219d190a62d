/*
 * queue.c - an SQS-like queue and a Kafka stream, one instance per region.
 *
 * A record stays in the queue until a consumer removes it (reading does not remove). An outage
 * rejects every call but keeps the data. Records are removed by id (first occurrence), as SQS
 * deletes by receipt handle; the P model removes the head, which is the same thing for the one
 * FIFO consumer each queue has here. The queue remembers every record it ever accepted (`seen`),
 * for the `sent` metric and for duplicate detection.
 * A Kafka stream (kind `kafka`) is the same log with the P model's batch delivery as an option:
 * with `batch: B` a consumer receives the first B records once B are waiting, and nothing
 * before (a tail shorter than B waits for more); `batch: 1` (default) delivers record by
 * record. Records are committed (removed) by id. Faults: an outage rejects every call and
 * keeps the data; `lose-data` destroys what the queue holds (an unreplicated broker lost, an
 * unclean leader election); a lost response on a send.
 *
 * State: struct queue_hdr, then items[capacity] (record ids, 0 = free), then seen[bitset].
 */
#include "model.h"

#include <string.h>

struct queue_hdr {
	uint8_t status; /* enum fl_origin: FL_UP or who took it down */
	uint8_t len;    /* records held, 0..capacity */
};
_Static_assert(sizeof(struct queue_hdr) == 2, "queue state must be padding-free");

struct queue_conf {
	int capacity; /* records it can hold in the model; more is a model bound, not a loss */
	int batch;    /* records per delivery */
};

static const char *const keys[] = {"kind", "capacity", NULL};
static const char *const kafka_keys[] = {"kind", "capacity", "batch", NULL};
static const char *const faults[] = {"outage", "lost-response", "lose-data", NULL};
static const char *const metrics[] = {"sent", "depth", NULL};
enum { F_OUTAGE, F_LOST, F_LOSE };
enum { A_RECOVER };
static const char *const actions[] = {"recover", NULL};

static uint64_t possible(const struct fl_sys *s, int self)
{
	return model_may_fail(s, self, 1u << F_OUTAGE, -1, MODEL_FAIL_TRANSIENT) ? MODEL_BIT(A_RECOVER) : 0;
}

static struct queue_hdr *hdr(const struct fl_sys *s, const uint8_t *v, int q)
{
	return (struct queue_hdr *)(uintptr_t)(v + s->inst[q].off);
}

static uint8_t *items(const struct fl_sys *s, const uint8_t *v, int q)
{
	return (uint8_t *)(uintptr_t)(v + s->inst[q].off + sizeof(struct queue_hdr));
}

static uint8_t *seen(const struct fl_sys *s, const uint8_t *v, int q)
{
	const struct queue_conf *c = s->inst[q].conf;
	return items(s, v, q) + c->capacity;
}

int queue_up(const struct fl_sys *s, const uint8_t *v, int q) { return hdr(s, v, q)->status == FL_UP; }

int queue_head(const struct fl_sys *s, const uint8_t *v, int q)
{
	return hdr(s, v, q)->len ? items(s, v, q)[0] : 0;
}

int queue_has(const struct fl_sys *s, const uint8_t *v, int q, int rec)
{
	const struct queue_hdr *h = hdr(s, v, q);
	const uint8_t *it = items(s, v, q);
	for (int i = 0; i < h->len; i++)
		if (it[i] == rec)
			return 1;
	return 0;
}

int queue_batch(const struct fl_sys *s, int q) { return ((const struct queue_conf *)s->inst[q].conf)->batch; }

int queue_ready(const struct fl_sys *s, const uint8_t *v, int q, uint8_t *out)
{
	int b = queue_batch(s, q), len = hdr(s, v, q)->len;
	if (len < b)
		return 0;
	memcpy(out, items(s, v, q), (size_t)b);
	return b;
}

int queue_send(const struct fl_sys *s, uint8_t *v, int q, int rec, struct fl_events *ev)
{
	struct queue_hdr *h = hdr(s, v, q);
	const struct queue_conf *c = s->inst[q].conf;
	if (h->status != FL_UP)
		return CALL_FAIL;
	if (h->len >= c->capacity)
		return FL_EBOUND;
	items(s, v, q)[h->len] = (uint8_t)rec;
	h->len = (uint8_t)(h->len + 1);
	int again = model_bit(seen(s, v, q), rec);
	model_set_bit(seen(s, v, q), rec);
	fl_event_add(ev, EV_ENQUEUE, s->inst[q].region, q, rec, again);
	return CALL_OK;
}

int queue_remove(const struct fl_sys *s, uint8_t *v, int q, int rec)
{
	struct queue_hdr *h = hdr(s, v, q);
	uint8_t *it = items(s, v, q);
	if (h->status != FL_UP)
		return CALL_FAIL;
	for (int i = 0; i < h->len; i++) {
		if (it[i] != rec)
			continue;
		memmove(it + i, it + i + 1, (size_t)(h->len - i - 1));
		h->len = (uint8_t)(h->len - 1);
		it[h->len] = 0;
		break;
	}
	return CALL_OK;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct queue_conf *c = s->inst[self].conf;
	long cap = 2L * s->nrecords;
	if (cap < 4)
		cap = 4;
	if (cap > 255)
		cap = 255;
	long batch = 1;
	int rc = fl_doc_opt_int(cfg, "capacity", 1, 255, &cap, e);
	if (!rc && s->inst[self].kind == &kafka_kind)
		rc = fl_doc_opt_int(cfg, "batch", 1, MODEL_MAX_BATCH, &batch, e);
	if (rc)
		return rc;
	if (batch > cap)
		return fl_doc_errf(e, fl_doc_get(cfg, "batch"), "batch %ld is larger than the capacity %ld",
				   batch, cap);
	c->capacity = (int)cap;
	c->batch = (int)batch;
	s->inst[self].size = sizeof(struct queue_hdr) + (size_t)c->capacity +
			     (size_t)model_bitset_bytes(s);
	return FL_OK;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	if (hdr(s, v, self)->status != FL_TRANSIENT || max < 1)
		return 0;
	out[0] = (struct fl_step){.inst = (uint16_t)self, .cls = FL_NORMAL, .action = A_RECOVER};
	return 1;
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	(void)ev;
	if (st->action == A_RECOVER)
		hdr(s, v, st->inst)->status = FL_UP;
	return FL_OK;
}

static int inject(const struct fl_sys *s, uint8_t *v, int self, int fault, int farg, int origin,
		  struct fl_events *ev)
{
	(void)farg;
	struct queue_hdr *h = hdr(s, v, self);
	if (fault == F_OUTAGE && h->status == FL_UP)
		h->status = (uint8_t)origin;
	if (fault == F_LOSE && h->len) {
		memset(items(s, v, self), 0, h->len);
		h->len = 0;
		fl_event_add(ev, EV_LOSS, s->inst[self].region, self, 0, 0);
	}
	return FL_OK;
}

static void recover(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev)
{
	(void)ev;
	hdr(s, v, self)->status = FL_UP;
}

static long metric(const struct fl_sys *s, const uint8_t *v, int self, int m)
{
	if (m == 0)
		return model_popcount(seen(s, v, self), model_bitset_bytes(s));
	return hdr(s, v, self)->len;
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const struct queue_hdr *h = hdr(s, v, self);
	fl_buf_printf(b, "%s, [", model_origin_name(h->status));
	for (int i = 0; i < h->len; i++)
		fl_buf_printf(b, "%s%d", i ? " " : "", items(s, v, self)[i]);
	fl_buf_puts(b, "]");
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	(void)s, (void)v, (void)st;
	fl_buf_puts(b, "recovers from its outage");
}

static int send(const struct fl_sys *s, uint8_t *v, int q, int rec, struct fl_events *ev)
{
	return queue_send(s, v, q, rec, ev);
}

static int probe(const struct fl_sys *s, const uint8_t *v, int q)
{
	return queue_up(s, v, q) ? CALL_OK : CALL_FAIL;
}

static const struct model_role role = {.stream = 1, .send = send, .probe = probe, .lost_response = F_LOST};

/* What queue and kafka share: everything but their names and keys. */
#define QUEUE_KIND_COMMON                                                                         \
	.per_region = 1, .faults = faults, .fault_during_call = 1u << F_LOST, .metrics = metrics, \
	.conf_size = sizeof(struct queue_conf), .role = &role, .configure = configure,            \
	.steps = steps, .apply = apply, .inject = inject, .recover = recover, .metric = metric,   \
	.describe = describe, .step_name = step_name, .actions = actions, .possible = possible

const struct fl_kind queue_kind = {
	.name = "queue",
	.summary = "SQS-like queue, one per region: a record stays until removed; an outage "
		   "rejects calls but keeps the data",
	.keys = keys,
	QUEUE_KIND_COMMON,
};

const struct fl_kind kafka_kind = {
	.name = "kafka",
	.summary = "Kafka stream, one per region: records stay until committed; optional batch "
		   "delivery (batch: B); an outage rejects calls but keeps the data",
	.keys = kafka_keys,
	QUEUE_KIND_COMMON,
};

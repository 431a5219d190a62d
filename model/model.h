/*
 * model.h - the active-active components: what one kind asks of another, the events they
 * emit for the spec monitors, and the kind table the loader looks names up in.
 *
 * A step is atomic: one component's action including the one synchronous call it makes to a
 * wired dependency, which succeeds or fails by that dependency's state at that moment.
 * Cross-kind calls below return a call result and never allocate.
 */
#ifndef FL_MODEL_H
#define FL_MODEL_H

#include "../checker/sys.h"

/* Result of a synchronous call to a dependency. Negative values are FL_E* codes. */
enum { CALL_OK = 0, CALL_FAIL = 1, CALL_BLOCK = 2 };

/* Event types (struct fl_event.type). */
enum {
	EV_PUBLISH = 1, /* the source's record was accepted by its first queue (inst = source) */
	EV_ENQUEUE,     /* a queue accepted rec (inst = queue; other = 1 if it had seen rec before) */
	EV_REMOVE,      /* a consumer removed rec from its input (inst = consumer; other = queue) */
	EV_DB_WRITE,    /* a table stored rec in region (inst = table; other = 1 if already there) */
	EV_REPLICATE,   /* replication stored rec in region's replica (inst = table) */
	EV_DELIVER      /* the destination received rec (other = 1 if it had received it before) */
};

/* Kind table, NULL-terminated (model/common.c). */
extern const struct fl_kind *const fl_kinds[];

extern const struct fl_kind queue_kind, container_kind, table_kind, dns_kind, source_kind,
	destination_kind, script_kind;

/* Helpers shared by the kinds (model/common.c). */
int model_bit(const uint8_t *bits, int rec);        /* rec 1-based */
void model_set_bit(uint8_t *bits, int rec);
int model_popcount(const uint8_t *bits, int nbytes);
int model_bitset_bytes(const struct fl_sys *s);     /* bytes for one bit per record */
const char *model_origin_name(int origin);
/* Resolves `key` of cfg to a component of kind k; *first = its first instance. */
int model_wire(struct fl_sys *s, int self, const struct fl_node *cfg, const char *key,
	       const struct fl_kind *k, int required, int *first, struct fl_err *e);
/* Names of the components of kind k (k NULL: every user-written component), each once,
 * NULL-terminated into out[max]: candidates for a "did you mean" hint. */
void model_component_names(const struct fl_sys *s, const struct fl_kind *k, const char **out, int max);

/* queue.c */
int queue_up(const struct fl_sys *s, const uint8_t *v, int q);
int queue_head(const struct fl_sys *s, const uint8_t *v, int q);           /* 0 if empty */
int queue_has(const struct fl_sys *s, const uint8_t *v, int q, int rec);
int queue_send(const struct fl_sys *s, uint8_t *v, int q, int rec, struct fl_events *ev);
int queue_remove(const struct fl_sys *s, uint8_t *v, int q, int rec);
int queue_lost_response_fault(void);

/* table.c */
int table_has(const struct fl_sys *s, const uint8_t *v, int t, int region, int rec);
/* What a write in region would do now: CALL_OK, CALL_FAIL or CALL_BLOCK; changes nothing. */
int table_probe(const struct fl_sys *s, const uint8_t *v, int t, int region);
/* Stores rec in region's replica and queues its replication; skip_if_present: no-op if there. */
int table_write(const struct fl_sys *s, uint8_t *v, int t, int region, int rec, int skip_if_present,
		struct fl_events *ev);
int table_lost_response_fault(void);
int table_up(const struct fl_sys *s, const uint8_t *v, int t, int region);

/* dns.c */
/* Regions a new send may be routed to now (writes them to out); returns how many. */
int dns_routes(const struct fl_sys *s, const uint8_t *v, int d, uint8_t *out);
void dns_sent(const struct fl_sys *s, uint8_t *v, int d, int region); /* after a successful send */
int dns_target(const struct fl_sys *s, int d, int region);            /* the region's queue */
/* Queue a consumer polling for region is sent to, or -1 when no region can serve it. */
int dns_receive_queue(const struct fl_sys *s, const uint8_t *v, int d, int region);

/* source.c */
void source_publish_batch(const struct fl_sys *s, uint8_t *v, int src, int batch);
int source_published(const struct fl_sys *s, const uint8_t *v, int src); /* records 1..n */

/* destination.c */
int destination_received(const struct fl_sys *s, const uint8_t *v, int d, int rec);

/* container.c */
int container_table(const struct fl_sys *s, int c);
int container_input(const struct fl_sys *s, int c);

/* script.c */
/* Phase the script waits at, or -1 when it has finished; describes it into b. */
int script_waiting(const struct fl_sys *s, const uint8_t *v, int sc, struct fl_buf *b);

#endif

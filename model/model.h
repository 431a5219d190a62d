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
	EV_PUBLISH = 1, /* the source's record was accepted by its first hop (inst = source) */
	EV_ENQUEUE,     /* a queue accepted rec (inst = queue; other = 1 if it had seen rec before) */
	EV_REMOVE,      /* a consumer removed rec from its input (inst = consumer; other = 1 if it
			   had stored rec in its database first, or has no database) */
	EV_DB_WRITE,    /* a database stored rec (inst = db; other = 1 if it held rec already) */
	EV_REPLICATE,   /* replication stored rec in a copy (inst = db; region = the copy) */
	EV_DELIVER,     /* the destination received rec (other = 1 if it had received it before) */
	EV_DB_ACK,      /* a caller got the acknowledgement of its write of rec (inst = db) */
	EV_LOSS         /* a fault destroyed data in inst (rec = 0) */
};

/*
 * Roles: what one kind offers others, through fl_kind.role (a struct model_role). A database
 * (table, mongo, aurora) keeps copies of records and acknowledges writes; a stream (queue,
 * kafka) holds records until a consumer removes them; a sink is anything a DNS routes to or a
 * container publishes to (a stream, or an API container).
 */
struct model_db {
	/* What a write from a caller in region would do now: CALL_OK, CALL_FAIL or CALL_BLOCK. */
	int (*probe)(const struct fl_sys *s, const uint8_t *v, int db, int region);
	/* Writes rec for a caller in region; skip_if_present: no-op when a read there finds it.
	 * Emits EV_DB_WRITE; the caller emits EV_DB_ACK when the response reaches it. */
	int (*write)(const struct fl_sys *s, uint8_t *v, int db, int region, int rec,
		     int skip_if_present, struct fl_events *ev);
	int (*readable)(const struct fl_sys *s, const uint8_t *v, int db, int region, int rec);
	int (*up)(const struct fl_sys *s, const uint8_t *v, int db, int region); /* calls succeed */
	int (*copies)(const struct fl_sys *s, int db);
	int (*copy_has)(const struct fl_sys *s, const uint8_t *v, int db, int copy, int rec);
	void (*copy_name)(const struct fl_sys *s, int db, int copy, struct fl_buf *b);
	int lost_response; /* fault index of a lost write response */
	/* Coverage: the faults (bit f) that can make a caller's call fail (not merely block). */
	unsigned (*failing)(const struct fl_sys *s, int db);
};

struct model_role {
	const struct model_db *db; /* databases */
	int stream;                /* queue.c's kinds: the queue_* functions apply */
	/* Sinks: a send of rec (CALL_OK, CALL_FAIL, or FL_EBOUND), and what it would do now. */
	int (*send)(const struct fl_sys *s, uint8_t *v, int i, int rec, struct fl_events *ev);
	int (*probe)(const struct fl_sys *s, const uint8_t *v, int i);
	int lost_response;         /* sinks: fault index of a lost send response */
	/* Databases and DNS names that can switch their active region (script `switch:`). */
	void (*switch_over)(const struct fl_sys *s, uint8_t *v, int i, struct fl_events *ev);
	int (*can_switch)(const struct fl_sys *s, int i); /* NULL: whenever switch_over is set */
};

/* Kind table, NULL-terminated (model/common.c). */
extern const struct fl_kind *const fl_kinds[];

extern const struct fl_kind queue_kind, kafka_kind, container_kind, table_kind, mongo_kind,
	aurora_kind, api_kind, dns_kind, source_kind, destination_kind, script_kind;

/* Roles (NULL when instance i's kind does not play it). */
const struct model_db *model_db(const struct fl_sys *s, int i);
int model_is_stream(const struct fl_sys *s, int i);
int model_is_sink(const struct fl_sys *s, int i);
int sink_send(const struct fl_sys *s, uint8_t *v, int i, int rec, struct fl_events *ev);
int sink_probe(const struct fl_sys *s, const uint8_t *v, int i);
int sink_lost_response(const struct fl_sys *s, int i);
int model_can_switch(const struct fl_sys *s, int i);
void model_switch(const struct fl_sys *s, uint8_t *v, int i, struct fl_events *ev);

/* Helpers shared by the kinds (model/common.c). */
int model_bit(const uint8_t *bits, int rec);        /* rec 1-based */
void model_set_bit(uint8_t *bits, int rec);
int model_popcount(const uint8_t *bits, int nbytes);
int model_bitset_bytes(const struct fl_sys *s);     /* bytes for one bit per record */
const char *model_origin_name(int origin);
/* "record 3" or "records 3,4" (n >= 1). */
void model_records(struct fl_buf *b, const uint8_t *recs, int n);
/* Resolves `key` of cfg to a component playing `role` (ROLE_*); *first = its first instance. */
enum { ROLE_STREAM, ROLE_SINK, ROLE_DB, ROLE_KIND };
int model_wire(struct fl_sys *s, int self, const struct fl_node *cfg, const char *key,
	       const struct fl_kind *k, int required, int *first, struct fl_err *e);
int model_wire_role(struct fl_sys *s, int self, const struct fl_node *cfg, const char *key,
		    int role, int required, int *first, struct fl_err *e);
/* Coverage (fl_kind.possible): 1 if instance i can suffer a fault in `faults` (bit f = fault
 * f) for `region` (any region when region < 0), as `how` asks:
 *   MODEL_FAIL_ANY        a budget entry, or a script phase that fails i;
 *   MODEL_FAIL_TRANSIENT  a transient budget entry (only those recover by a step of i's own);
 *   MODEL_FAIL_RECOVERS   a failure that ends: a transient budget entry, or a script phase
 *                         that fails i followed by one that recovers it.
 * A fault during a call (a lost response) is over once the call is, so it always counts as
 * transient. */
enum { MODEL_FAIL_ANY, MODEL_FAIL_TRANSIENT, MODEL_FAIL_RECOVERS };
int model_may_fail(const struct fl_sys *s, int i, unsigned faults, int region, int how);
#define MODEL_ALL_FAULTS (~0u)
#define MODEL_BIT(a) ((uint64_t)1 << (a))

/* Names of the components of kind k (k NULL: every user-written component), each once,
 * NULL-terminated into out[max]: candidates for a "did you mean" hint. */
void model_component_names(const struct fl_sys *s, const struct fl_kind *k, const char **out, int max);

/*
 * copies.c - the replicated copies a database keeps inside its slice: per copy, a presence
 * bitset and a FIFO of records on their way to it (asynchronous replication). A record is
 * pending for a copy at most once, and only while some copy holds it.
 */
struct copies {
	int n;          /* copies */
	int nb;         /* bitset bytes */
	int cap;        /* FIFO capacity: nrecords */
	size_t o_plen, o_bits, o_pend; /* offsets from the slice start */
};
#define MODEL_MAX_COPIES 4
/* Lays n copies out from byte `at` of a slice; returns the bytes they take. */
size_t copies_layout(struct copies *c, const struct fl_sys *s, int n, size_t at);
int copies_has(const struct copies *c, const uint8_t *slice, int k, int rec);
int copies_any(const struct copies *c, const uint8_t *slice, int rec);
void copies_put(const struct copies *c, uint8_t *slice, int k, int rec);
void copies_queue(const struct copies *c, uint8_t *slice, int k, int rec); /* no-op if there */
int copies_pending(const struct copies *c, const uint8_t *slice, int k);    /* FIFO length */
int copies_head(const struct copies *c, const uint8_t *slice, int k);       /* next to arrive */
int copies_replicate(const struct copies *c, uint8_t *slice, int k);        /* returns rec */
/* Copy k's data is destroyed: it is emptied, replication of records no surviving copy holds
 * is dropped, and k is rebuilt from the survivors (every record they hold is queued to it). */
void copies_lose(const struct copies *c, uint8_t *slice, int k);
void copies_describe(const struct copies *c, const uint8_t *slice, int k, struct fl_buf *b);

/* queue.c (kinds queue and kafka) */
int queue_up(const struct fl_sys *s, const uint8_t *v, int q);
int queue_head(const struct fl_sys *s, const uint8_t *v, int q);           /* 0 if empty */
int queue_has(const struct fl_sys *s, const uint8_t *v, int q, int rec);
/* Records a consumer would receive now (a kafka stream with batch B: its first B records
 * once B are waiting, else none); writes them to out[batch]; returns how many. */
int queue_ready(const struct fl_sys *s, const uint8_t *v, int q, uint8_t *out);
int queue_batch(const struct fl_sys *s, int q);  /* records per delivery (1 for a queue) */
int queue_send(const struct fl_sys *s, uint8_t *v, int q, int rec, struct fl_events *ev);
int queue_remove(const struct fl_sys *s, uint8_t *v, int q, int rec);
#define MODEL_MAX_BATCH 8

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
int container_db(const struct fl_sys *s, int c);
int container_input(const struct fl_sys *s, int c);

/* api.c: an API container's synchronous chain (write its database, call the next hop). */
int api_invoke(const struct fl_sys *s, uint8_t *v, int a, int rec, struct fl_events *ev);
int api_probe(const struct fl_sys *s, const uint8_t *v, int a);
/* The first hop of a's chain that would reject a call now (a itself, its database, ...). */
int api_blocker(const struct fl_sys *s, const uint8_t *v, int a);


/* cond.c: a metric condition, `<component>[<region>].<metric> <op> <number>` or
 * `... <op> batch N`, as the script's await: and the reachable spec's when: write it. */
struct model_cond {
	int inst, ninst; /* instances measured; a per-region metric is summed over them */
	int metric, op;
	long value;      /* records, when written as batch N */
};
/* Parses n (a scalar) into c; `what` names the key in messages ("await"). */
int model_cond_parse(struct fl_sys *s, const struct fl_node *n, const char *what,
		     struct model_cond *c, struct fl_err *e);
long model_cond_measure(const struct fl_sys *s, const uint8_t *v, const struct model_cond *c);
int model_cond_holds(const struct fl_sys *s, const uint8_t *v, const struct model_cond *c);
/* Parses "name" or "name[r]" into its instances; *region gets r-1, or -1 when absent. */
int model_parse_target(struct fl_sys *s, const struct fl_node *n, const char *text, int *inst,
		       int *ninst, int *region, struct fl_err *e);

/* script.c */
/* Phase the script waits at, or -1 when it has finished; describes it into b. */
int script_waiting(const struct fl_sys *s, const uint8_t *v, int sc, struct fl_buf *b);
/* 1 if a phase of the script fails instance i with a fault in `faults` (bit f = fault f) and,
 * when `recovered`, a later phase recovers it. */
int script_fails(const struct fl_sys *s, int i, unsigned faults, int recovered);

#endif

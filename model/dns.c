/*
 * dns.c - a DNS name (Route 53 style) in front of one queue, Kafka stream or API container
 * per region.
 *
 * Sending: with `policy: weighted` (default) any region whose weight is above zero and that is
 * not offline may get the next record: the checker explores every choice, as real weighted
 * routing is random. With `policy: round-robin` the regions take turns in proportion to their
 * weights and the turn advances only after a successful send, like the P model (1,2,1,2 for
 * equal weights). With `policy: failover` every send goes to the active region (region 1 at
 * first; a script `switch:` makes the next region active, as the P model's SwitchRegions), or,
 * while it is offline, to the next region that is not. A region taken offline (weight zero at
 * run time) gets nothing.
 * Receiving: a consumer polling region r is sent to r's queue, or, if r is offline, to the first
 * region that is not; records left in an offline region's queue wait until it comes back.
 *
 * State: offline[R] (enum fl_origin per region), rr (round-robin position, or the active
 * region under the failover policy).
 */
#include "model.h"

#include <string.h>

struct dns_conf {
	int target;                  /* first instance of the component it routes to */
	int policy;                  /* POLICY_* */
	int weight[FL_MAX_REGIONS];  /* configured weights; 0 = never routed */
	int total;                   /* sum of weights */
};

static const char *const keys[] = {"kind", "targets", "weights", "policy", NULL};
static const char *const faults[] = {"offline", NULL};
static const char *const policies[] = {"weighted", "round-robin", "failover", NULL};
enum { POLICY_WEIGHTED, POLICY_ROUND_ROBIN, POLICY_FAILOVER };
enum { A_RECOVER };
static const char *const actions[] = {"recover", NULL};

static uint64_t possible(const struct fl_sys *s, int self)
{
	return model_may_fail(s, self, MODEL_ALL_FAULTS, -1, MODEL_FAIL_TRANSIENT) ? MODEL_BIT(A_RECOVER) : 0;
}

static uint8_t *offline(const struct fl_sys *s, const uint8_t *v, int d)
{
	return (uint8_t *)(uintptr_t)(v + s->inst[d].off);
}

static uint8_t *rr(const struct fl_sys *s, const uint8_t *v, int d)
{
	return offline(s, v, d) + s->nregions;
}

static const struct dns_conf *conf(const struct fl_sys *s, int d) { return s->inst[d].conf; }

static int serves(const struct fl_sys *s, const uint8_t *v, int d, int r)
{
	return conf(s, d)->weight[r] > 0 && offline(s, v, d)[r] == FL_UP;
}

/* Region whose turn it is at round-robin position pos. */
static int turn(const struct dns_conf *c, int pos)
{
	int r = 0;
	while (pos >= c->weight[r]) {
		pos -= c->weight[r];
		r++;
	}
	return r;
}

int dns_routes(const struct fl_sys *s, const uint8_t *v, int d, uint8_t *out)
{
	const struct dns_conf *c = conf(s, d);
	int n = 0;
	if (c->policy == POLICY_WEIGHTED) {
		for (int r = 0; r < s->nregions; r++)
			if (serves(s, v, d, r))
				out[n++] = (uint8_t)r;
		return n;
	}
	int r = c->policy == POLICY_FAILOVER ? *rr(s, v, d) : turn(c, *rr(s, v, d));
	for (int k = 0; k < s->nregions; k++) {
		int cand = (r + k) % s->nregions;
		if (serves(s, v, d, cand)) {
			out[0] = (uint8_t)cand;
			return 1;
		}
	}
	return 0;
}

void dns_sent(const struct fl_sys *s, uint8_t *v, int d, int region)
{
	const struct dns_conf *c = conf(s, d);
	uint8_t *pos = rr(s, v, d);
	/* The turn moves on only when the region whose turn it was took the record. */
	if (c->policy == POLICY_ROUND_ROBIN && turn(c, *pos) == region)
		*pos = (uint8_t)((*pos + 1) % c->total);
}

int dns_target(const struct fl_sys *s, int d, int region)
{
	return fl_sys_comp_region(s, conf(s, d)->target, region);
}

int dns_receive_queue(const struct fl_sys *s, const uint8_t *v, int d, int region)
{
	if (serves(s, v, d, region))
		return dns_target(s, d, region);
	for (int r = 0; r < s->nregions; r++)
		if (serves(s, v, d, r))
			return dns_target(s, d, r);
	return -1;
}

static int read_weights(struct fl_sys *s, struct dns_conf *c, const struct fl_node *cfg,
			struct fl_err *e)
{
	const struct fl_node *w = fl_doc_get(cfg, "weights");
	for (int r = 0; r < s->nregions; r++)
		c->weight[r] = 1;
	if (w && c->policy == POLICY_FAILOVER)
		return fl_doc_errf(e, w, "weights apply to the weighted and round-robin policies; a "
				   "failover DNS sends to its active region");
	if (w) {
		int rc = fl_doc_want(w, FL_NODE_SEQ, "weights", e);
		if (rc)
			return rc;
		if (fl_doc_len(w) != s->nregions)
			return fl_doc_errf(e, w, "weights has %d entries but there are %d regions",
					   fl_doc_len(w), s->nregions);
		int r = 0;
		for (const struct fl_node *x = w->child; x; x = x->next, r++) {
			long val;
			if ((rc = fl_doc_int(x, 0, 100, &val, e)))
				return rc;
			c->weight[r] = (int)val;
		}
	}
	c->total = 0;
	for (int r = 0; r < s->nregions; r++)
		c->total += c->weight[r];
	if (c->total == 0)
		return fl_doc_errf(e, w, "every weight is zero: the DNS would route nowhere");
	if (c->total > 255)
		return fl_doc_errf(e, w, "weights add up to %d; keep the sum at most 255", c->total);
	return FL_OK;
}

static int configure(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e)
{
	struct dns_conf *c = s->inst[self].conf;
	int rc = model_wire_role(s, self, cfg, "targets", ROLE_SINK, 1, &c->target, e);
	if (!rc)
		rc = fl_doc_opt_enum(cfg, "policy", policies, &c->policy, e);
	if (!rc)
		rc = read_weights(s, c, cfg, e);
	s->inst[self].size = (size_t)s->nregions + 1;
	return rc;
}

static int steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max)
{
	int n = 0;
	for (int r = 0; r < s->nregions; r++)
		if (offline(s, v, self)[r] == FL_TRANSIENT && n < max)
			out[n++] = (struct fl_step){.inst = (uint16_t)self, .cls = FL_NORMAL,
						    .action = A_RECOVER, .arg = (uint8_t)r};
	return n;
}

static int apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st, struct fl_events *ev)
{
	(void)ev;
	offline(s, v, st->inst)[st->arg] = FL_UP;
	return FL_OK;
}

static int inject(const struct fl_sys *s, uint8_t *v, int self, int fault, int farg, int origin,
		  struct fl_events *ev)
{
	(void)fault, (void)ev;
	if (farg < s->nregions && offline(s, v, self)[farg] == FL_UP)
		offline(s, v, self)[farg] = (uint8_t)origin;
	return FL_OK;
}

static void recover(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev)
{
	(void)ev;
	memset(offline(s, v, self), FL_UP, (size_t)s->nregions);
}

static void describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	const char *sep = "routes to region";
	for (int r = 0; r < s->nregions; r++)
		if (serves(s, v, self, r)) {
			fl_buf_printf(b, "%s %d", sep, fl_region_label(r));
			sep = ",";
		}
	if (*sep != ',')
		fl_buf_puts(b, "routes nowhere");
	for (int r = 0; r < s->nregions; r++)
		if (offline(s, v, self)[r] != FL_UP)
			fl_buf_printf(b, "; region %d offline", fl_region_label(r));
	if (conf(s, self)->policy == POLICY_ROUND_ROBIN)
		fl_buf_printf(b, "; next turn: region %d",
			      fl_region_label(turn(conf(s, self), *rr(s, v, self))));
	if (conf(s, self)->policy == POLICY_FAILOVER)
		fl_buf_printf(b, "; active region %d", fl_region_label(*rr(s, v, self)));
}

static void step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b)
{
	(void)s, (void)v;
	fl_buf_printf(b, "brings region %d back online", fl_region_label(st->arg));
}

static void switch_over(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev)
{
	(void)ev;
	uint8_t *active = rr(s, v, self);
	*active = (uint8_t)((*active + 1) % s->nregions);
}

static int can_switch(const struct fl_sys *s, int self)
{
	return conf(s, self)->policy == POLICY_FAILOVER;
}

static const struct model_role role = {.switch_over = switch_over, .can_switch = can_switch};

const struct fl_kind dns_kind = {
	.name = "dns",
	.summary = "DNS in front of one queue, stream or API per region: weighted, round-robin or "
		   "failover routing; a region can be taken offline",
	.per_region = 0,
	.keys = keys,
	.faults = faults,
	.fault_needs_region = 1u << 0,
	.conf_size = sizeof(struct dns_conf),
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

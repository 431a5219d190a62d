/*
 * twophase.c - TwoPhase.tla (Gray and Lamport, "Consensus on Transaction Commit", 2006) as one
 * faultline kind whose single instance holds the whole state, bit-packed, and the invariant
 * TCConsistent as a safety spec.
 *
 * The slice is a little-endian word of 4n + 4 bits, read and written a byte at a time so the
 * slice needs no alignment (n = 10 fits in 6 bytes):
 *   bits 0 .. 2n-1       rmState[r], 2 bits each (enum rm_state)
 *   bits 2n .. 2n+1      tmState (enum tm_state)
 *   bits 2n+2 .. 3n+1    tmPrepared: bit r = RM r is in the set
 *   bits 3n+2 .. 4n+1    msgs: bit r = [type |-> "Prepared", rm |-> r] was sent
 *   bit 4n+2, 4n+3       msgs: "Commit", "Abort" was sent
 * Messages are never removed, as in the spec. The zeroed slice is the initial state. Steps
 * are enabled exactly as in TwoPhase.tla, so some are stutters (TMRcvPrepared of an RM already
 * in tmPrepared); the search ignores those as TLC does. Callbacks keep no state of their own.
 */
#include "twophase.h"

#include <stdio.h>

enum rm_state { RM_WORKING = 0, RM_PREPARED = 1, RM_COMMITTED = 2, RM_ABORTED = 3 };
enum tm_state { TM_INIT = 0, TM_COMMITTED = 1, TM_ABORTED = 2 };

enum tp_action {
	TMRCVPREPARED = 0, /* arg: rm */
	TMCOMMIT,
	TMABORT,
	RMPREPARE,         /* arg: rm, likewise below */
	RMCHOOSETOABORT,
	RMRCVCOMMITMSG,
	RMRCVABORTMSG
};

static const char *const actions[] = {"TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare",
				      "RMChooseToAbort", "RMRcvCommitMsg", "RMRcvAbortMsg", NULL};
static const char *const rm_names[] = {"working", "prepared", "committed", "aborted"};
static const char *const tm_names[] = {"init", "committed", "aborted", "?"};

struct tp_conf {
	int n;          /* resource managers, TWOPHASE_MIN_RM..TWOPHASE_MAX_RM */
	unsigned flags; /* TWOPHASE_* */
};

static const struct tp_conf *conf(const struct fl_sys *s, int self)
{
	return s->inst[self].conf;
}

static uint64_t load(const struct fl_sys *s, const uint8_t *v, int self)
{
	const uint8_t *p = v + s->inst[self].off;
	uint64_t w = 0;
	for (size_t i = 0; i < s->inst[self].size; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

static void save(const struct fl_sys *s, uint8_t *v, int self, uint64_t w)
{
	uint8_t *p = v + s->inst[self].off;
	for (size_t i = 0; i < s->inst[self].size; i++)
		p[i] = (uint8_t)(w >> (8 * i));
}

/* Field accessors; n is the number of RMs, r a 0-based RM. */
static unsigned rm_get(uint64_t w, int r) { return (unsigned)(w >> (2 * r)) & 3u; }
static unsigned tm_get(uint64_t w, int n) { return (unsigned)(w >> (2 * n)) & 3u; }
static uint64_t tmprep_bit(int n, int r) { return (uint64_t)1 << (2 * n + 2 + r); }
static uint64_t prepmsg_bit(int n, int r) { return (uint64_t)1 << (3 * n + 2 + r); }
static uint64_t commit_bit(int n) { return (uint64_t)1 << (4 * n + 2); }
static uint64_t abort_bit(int n) { return (uint64_t)1 << (4 * n + 3); }

static uint64_t rm_set(uint64_t w, int r, unsigned st)
{
	return (w & ~((uint64_t)3 << (2 * r))) | (uint64_t)st << (2 * r);
}

static uint64_t tm_set(uint64_t w, int n, unsigned st)
{
	return (w & ~((uint64_t)3 << (2 * n))) | (uint64_t)st << (2 * n);
}

static uint64_t all_prepared(int n)
{
	return (((uint64_t)1 << n) - 1) << (2 * n + 2);
}

static void add(struct fl_step *out, int *k, int self, int action, int rm)
{
	out[(*k)++] = (struct fl_step){.inst = (uint16_t)self, .target = (uint16_t)self,
				       .cls = FL_NORMAL, .action = (uint8_t)action,
				       .arg = (uint8_t)rm};
}

/* At most 5n + 2 steps: the caller's max is checked once for the worst case. */
static int tp_steps(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out,
		    int max)
{
	const struct tp_conf *c = conf(s, self);
	int n = c->n, k = 0;
	if (max < 5 * n + 2)
		return FL_EINTERNAL;
	uint64_t w = load(s, v, self);
	int tm_init = tm_get(w, n) == TM_INIT;
	if (tm_init) {
		for (int r = 0; r < n; r++)
			if (w & prepmsg_bit(n, r))
				add(out, &k, self, TMRCVPREPARED, r);
		if ((c->flags & TWOPHASE_BROKEN_COMMIT) || (w & all_prepared(n)) == all_prepared(n))
			add(out, &k, self, TMCOMMIT, 0);
		add(out, &k, self, TMABORT, 0);
	}
	for (int r = 0; r < n; r++) {
		if (rm_get(w, r) == RM_WORKING) {
			add(out, &k, self, RMPREPARE, r);
			add(out, &k, self, RMCHOOSETOABORT, r);
		}
		if (w & commit_bit(n))
			add(out, &k, self, RMRCVCOMMITMSG, r);
		if (w & abort_bit(n))
			add(out, &k, self, RMRCVABORTMSG, r);
	}
	return k;
}

static int tp_apply(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
		    struct fl_events *ev)
{
	(void)ev;
	int self = st->inst, n = conf(s, self)->n, r = st->arg;
	uint64_t w = load(s, v, self);
	switch ((enum tp_action)st->action) {
	case TMRCVPREPARED: w |= tmprep_bit(n, r); break;
	case TMCOMMIT: w = tm_set(w, n, TM_COMMITTED) | commit_bit(n); break;
	case TMABORT: w = tm_set(w, n, TM_ABORTED) | abort_bit(n); break;
	case RMPREPARE: w = rm_set(w, r, RM_PREPARED) | prepmsg_bit(n, r); break;
	case RMCHOOSETOABORT: w = rm_set(w, r, RM_ABORTED); break;
	case RMRCVCOMMITMSG: w = rm_set(w, r, RM_COMMITTED); break;
	case RMRCVABORTMSG: w = rm_set(w, r, RM_ABORTED); break;
	default: return FL_EINTERNAL;
	}
	save(s, v, self, w);
	return FL_OK;
}

/* "{1,3}": the 1-based RMs whose bit is set in w from bit `first` on. */
static void rm_set_text(struct fl_buf *b, uint64_t w, int n, int first)
{
	const char *sep = "";
	fl_buf_puts(b, "{");
	for (int r = 0; r < n; r++)
		if (w >> (first + r) & 1u) {
			fl_buf_printf(b, "%s%d", sep, r + 1);
			sep = ",";
		}
	fl_buf_puts(b, "}");
}

static void tp_describe(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b)
{
	int n = conf(s, self)->n;
	uint64_t w = load(s, v, self);
	fl_buf_printf(b, "tm %s, tmPrepared ", tm_names[tm_get(w, n)]);
	rm_set_text(b, w, n, 2 * n + 2);
	fl_buf_puts(b, "; rm");
	for (int r = 0; r < n; r++)
		fl_buf_printf(b, " %s", rm_names[rm_get(w, r)]);
	fl_buf_puts(b, "; msgs Prepared");
	rm_set_text(b, w, n, 3 * n + 2);
	if (w & commit_bit(n))
		fl_buf_puts(b, " Commit");
	if (w & abort_bit(n))
		fl_buf_puts(b, " Abort");
}

static void tp_step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
			 struct fl_buf *b)
{
	(void)s, (void)v;
	int rm = st->arg + 1;
	switch ((enum tp_action)st->action) {
	case TMRCVPREPARED: fl_buf_printf(b, "TMRcvPrepared(%d): TM takes RM %d's Prepared", rm, rm); break;
	case TMCOMMIT: fl_buf_puts(b, "TMCommit: TM decides to commit"); break;
	case TMABORT: fl_buf_puts(b, "TMAbort: TM decides to abort"); break;
	case RMPREPARE: fl_buf_printf(b, "RMPrepare(%d): RM %d prepares", rm, rm); break;
	case RMCHOOSETOABORT: fl_buf_printf(b, "RMChooseToAbort(%d): RM %d aborts", rm, rm); break;
	case RMRCVCOMMITMSG: fl_buf_printf(b, "RMRcvCommitMsg(%d): RM %d commits", rm, rm); break;
	case RMRCVABORTMSG: fl_buf_printf(b, "RMRcvAbortMsg(%d): RM %d aborts on the TM's word", rm, rm); break;
	default: fl_buf_printf(b, "unknown action %d", st->action); break;
	}
}

const struct fl_kind twophase_kind = {
	.name = "twophase",
	.summary = "Gray-Lamport two-phase commit: one TM and n RMs (TwoPhase.tla), bit-packed",
	.internal = 1,
	.keys = NULL,
	.conf_size = sizeof(struct tp_conf),
	.actions = actions,
	.steps = tp_steps,
	.apply = tp_apply,
	.describe = tp_describe,
	.step_name = tp_step_name,
};

/* TCConsistent: no RM has committed while another has aborted. Checked on every successor. */
static int consistent_on_events(const struct fl_sys *s, uint8_t *v, int self,
				const struct fl_events *ev, struct fl_buf *why)
{
	(void)self, (void)ev;
	for (int i = 0; i < s->ninst; i++) {
		if (s->inst[i].kind != &twophase_kind)
			continue;
		int n = conf(s, i)->n, committed = -1, aborted = -1;
		uint64_t w = load(s, v, i);
		for (int r = 0; r < n; r++) {
			unsigned st = rm_get(w, r);
			if (st == RM_COMMITTED && committed < 0)
				committed = r;
			if (st == RM_ABORTED && aborted < 0)
				aborted = r;
		}
		if (committed >= 0 && aborted >= 0) {
			fl_buf_printf(why, "RM %d committed while RM %d aborted", committed + 1,
				      aborted + 1);
			return 1;
		}
	}
	return 0;
}

const struct fl_spec_kind twophase_consistent_kind = {
	.name = "consistent",
	.summary = "TCConsistent: no resource manager commits while another aborts",
	.on_events = consistent_on_events,
};

static int build(struct fl_sys *s, int n, unsigned flags)
{
	char name[32];
	snprintf(name, sizeof name, "twophase-%d", n);
	s->name = fl_strdup(name);
	s->file = fl_strdup("test/twophase.c");
	s->nregions = 1;
	if (!s->name || !s->file || !(s->inst = fl_alloc(sizeof *s->inst)))
		return FL_ENOMEM;
	s->ninst = 1;
	struct fl_inst *in = &s->inst[0];
	*in = (struct fl_inst){.kind = &twophase_kind, .region = -1,
			       .size = (size_t)(4 * n + 4 + 7) / 8};
	in->name = fl_strdup("twophase");
	in->comp = fl_strdup("twophase");
	struct tp_conf *c = in->conf = fl_alloc(sizeof *c);
	if (!in->name || !in->comp || !c || !(s->spec = fl_alloc(sizeof *s->spec)))
		return FL_ENOMEM;
	*c = (struct tp_conf){n, flags};
	s->nspec = 1;
	s->spec[0] = (struct fl_spec){.kind = &twophase_consistent_kind, .checked = 1,
				      .expect = FL_EXPECT_HOLDS};
	fl_sys_layout(s);
	return FL_OK;
}

int twophase_sys_variant(struct fl_sys *s, int n, unsigned flags, struct fl_err *e)
{
	*s = (struct fl_sys){0};
	if (n < TWOPHASE_MIN_RM || n > TWOPHASE_MAX_RM)
		return fl_fail(e, FL_EINPUT, "twophase: %d resource managers (expected %d..%d)", n,
			       TWOPHASE_MIN_RM, TWOPHASE_MAX_RM);
	if (build(s, n, flags) != FL_OK) {
		fl_sys_free(s);
		return fl_fail(e, FL_ENOMEM, "twophase: out of memory building the system");
	}
	return FL_OK;
}

int twophase_sys(struct fl_sys *s, int n, struct fl_err *e)
{
	return twophase_sys_variant(s, n, 0, e);
}

size_t twophase_expected_states(int n)
{
	/* TLC's distinct states for TwoPhase.tla with RM = 1..n */
	static const size_t known[] = {288, 1568, 8832, 50816, 296448, 1745408, 10340352,
				       61515776};
	return n >= 3 && n <= 10 ? known[n - 3] : 0;
}

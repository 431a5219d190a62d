/*
 * search.c - BFS, DFS and random-walk exploration (see search.h).
 *
 * The arena of the store doubles as the BFS queue: states are stored in discovery order, so
 * expanding index 0, 1, 2 ... visits them breadth first. DFS keeps a stack of indices.
 * A step whose successor equals its source (a stutter: a poll of an empty queue, a retry that
 * fails again) is not a transition and does not stop a state from being at rest.
 * Cycles specs have no monitor: while one is checked the search never stops for "every checked
 * spec has a verdict", and once it is complete cycles.c judges them on the stored states.
 */
#include "search.h"

#include "cycles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct run {
	const struct fl_sys *s;
	const struct fl_search_opts *o;
	struct fl_store *st;
	struct fl_result *r;
	struct fl_err *e;
	uint32_t active;        /* checked specs without a verdict yet */
	uint8_t *cur, *next;
	struct fl_step steps[FL_MAX_STEPS];
	struct fl_buf why[FL_MAX_SPECS];
	uint32_t *stack;        /* DFS */
	size_t sp, stack_cap;
	double t0, last_progress;
	int stop;               /* a limit or an error ended the run */
	int fatal;              /* negative code of an internal error */
	uint64_t rng;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

long fl_peak_rss(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ru.ru_maxrss * 1024L;
}

void fl_result_fini(struct fl_result *r)
{
	for (int i = 0; i < FL_MAX_SPECS; i++) {
		fl_free(r->viol[i].why);
		fl_free(r->viol[i].loop);
	}
	fl_free(r->enabled);
	fl_free(r->injected);
	r->enabled = NULL;
	r->injected = NULL;
}

/* Coverage: the actions of n enabled steps. Injected faults are counted per budget entry when
 * they change a state (cover_fault). One OR per step keeps this off the profile. */
static void cover_steps(struct run *R, int n)
{
	uint64_t *en = R->r->enabled;
	for (int k = 0; k < n; k++)
		if (R->steps[k].action != FL_ACT_INJECT)
			en[R->steps[k].inst] |= (uint64_t)1 << (R->steps[k].action & 63);
}

/* Coverage: fault step st changed the state; marks the budget entries it is charged to. */
static void cover_fault(struct run *R, const struct fl_step *st)
{
	for (int i = 0; i < R->s->nbudget; i++) {
		const struct fl_budget_entry *b = &R->s->budget[i];
		if (b->inst == st->target && b->fault == st->fault &&
		    (b->farg == FL_ANY || b->farg == st->farg))
			R->r->injected[i] = 1;
	}
}

static void halt(struct run *R, const char *why)
{
	if (!R->stop)
		snprintf(R->r->stop_reason, sizeof R->r->stop_reason, "%s", why);
	R->stop = 1;
}

static void internal(struct run *R, int code, const char *msg)
{
	fl_fail(R->e, code, "%s", msg);
	R->fatal = code;
	halt(R, msg);
}

static void record(struct run *R, uint32_t bad, uint32_t state, int via, const struct fl_step *st)
{
	for (int i = 0; i < R->s->nspec; i++) {
		if (!(bad >> i & 1u))
			continue;
		struct fl_violation *v = &R->r->viol[i];
		*v = (struct fl_violation){.found = 1, .state = state, .via_step = via};
		if (via)
			v->step = *st;
		v->why = fl_strdup(fl_buf_str(&R->why[i]));
		R->r->violated |= 1u << i;
	}
	R->active &= ~bad;
	for (int i = 0; i < R->s->nspec; i++)
		fl_buf_reset(&R->why[i]);
	if (!R->active) {
		R->r->decided = 1;
		halt(R, "every checked spec has a verdict");
	}
}

static int push(struct run *R, uint32_t idx)
{
	if (R->sp == R->stack_cap) {
		size_t cap = R->stack_cap ? R->stack_cap * 2 : 4096;
		uint32_t *p = fl_realloc(R->stack, cap * sizeof *p);
		if (!p)
			return FL_ENOMEM;
		R->stack = p;
		R->stack_cap = cap;
	}
	R->stack[R->sp++] = idx;
	return FL_OK;
}

/* Stores a successor; returns its index, or -1 when the run must stop. */
static long store(struct run *R, uint32_t parent, const struct fl_step *st)
{
	size_t idx;
	uint64_t h = fl_store_hash(R->st, R->next);
	int rc = fl_store_insert(R->st, R->next, h, parent, st, &idx);
	if (rc == FL_EBOUND || rc == FL_ENOMEM) {
		halt(R, rc == FL_EBOUND ? "the memory limit (--max-memory) was reached"
					: "memory ran out");
		return -1;
	}
	if (rc == FL_STORE_NEW && R->o->mode == FL_DFS && push(R, (uint32_t)idx) != FL_OK) {
		halt(R, "memory ran out");
		return -1;
	}
	if (R->o->max_states && R->st->count >= R->o->max_states)
		halt(R, "the state limit (--max-states) was reached");
	return (long)idx;
}

/*
 * Takes step st from R->cur (state `from`); returns 1 if it changed the state, 0 for a
 * stutter, -1 when the run must stop. *to receives the successor's index.
 */
static int take(struct run *R, uint32_t from, const struct fl_step *st, long *to)
{
	struct fl_events ev;
	struct fl_outcome o = fl_sys_apply_events(R->s, R->cur, R->next, st, R->active, R->why, &ev);
	for (int k = 0; k < ev.n; k++)
		R->r->events |= 1u << (ev.e[k].type & 31);
	if (o.overflow) {
		internal(R, FL_EINTERNAL, "a step emitted more events than FL_MAX_EVENTS");
		return -1;
	}
	if (o.status == FL_EBOUND) {
		halt(R, "a model bound was exceeded (a queue is full: raise its capacity)");
		return -1;
	}
	if (o.status != FL_OK) {
		internal(R, o.status, "a component reported an internal error");
		return -1;
	}
	if (o.violated)
		record(R, o.violated, from, 1, st);
	if (memcmp(R->next, R->cur, R->s->width) == 0)
		return 0;
	if (st->cls == FL_FAULT)
		cover_fault(R, st);
	R->r->transitions++;
	*to = store(R, from, st);
	return *to < 0 ? -1 : 1;
}

/* Expands state i: every successor, then the at-rest check. */
static void expand(struct run *R, uint32_t i)
{
	memcpy(R->cur, fl_store_state(R->st, i), R->s->width);
	int n = fl_sys_steps(R->s, R->cur, R->steps, FL_MAX_STEPS);
	if (n < 0) {
		internal(R, FL_EINTERNAL, "more steps enabled than FL_MAX_STEPS");
		return;
	}
	cover_steps(R, n);
	int moved = 0;
	long to;
	for (int cls = FL_NORMAL; cls <= FL_TIMEOUT && !moved; cls++) {
		if (cls == FL_FAULT)
			continue;
		for (int k = 0; k < n && !R->stop; k++) {
			if (R->steps[k].cls != cls && !(cls == FL_NORMAL && R->steps[k].cls == FL_FAULT))
				continue;
			int c = take(R, i, &R->steps[k], &to);
			if (c < 0)
				return;
			moved |= c && R->steps[k].cls != FL_FAULT;
		}
	}
	R->r->rest_states += !moved && !R->stop;
	if (!moved && !R->stop && R->active) {
		uint32_t bad = fl_sys_at_rest(R->s, R->cur, R->active, R->why);
		if (bad)
			record(R, bad, i, 0, NULL);
	}
}

static void progress(struct run *R, double t)
{
	if (!R->o->progress || t - R->last_progress < 1.0)
		return;
	R->last_progress = t;
	double el = t - R->t0;
	fprintf(stderr, "\r  %zu states, %zu transitions, %.1f s, %.0f states/s, %.1f MB   ",
		R->st->count, R->r->transitions, el, el > 0 ? (double)R->st->count / el : 0.0,
		(double)fl_store_bytes(R->st) / 1048576.0);
	fflush(stderr);
}

/* Checks the time limit and prints progress every so often. */
static void tick(struct run *R, size_t n)
{
	if ((n & 1023) != 0)
		return;
	double t = now();
	if (R->o->time_limit > 0 && t - R->t0 >= R->o->time_limit)
		halt(R, "the time limit (--time-limit) was reached");
	progress(R, t);
}

static void bfs(struct run *R)
{
	for (size_t i = 0; i < R->st->count && !R->stop; i++) {
		expand(R, (uint32_t)i);
		tick(R, i);
	}
}

static void dfs(struct run *R)
{
	if (push(R, 0) != FL_OK) {
		halt(R, "memory ran out");
		return;
	}
	for (size_t n = 0; R->sp && !R->stop; n++) {
		expand(R, R->stack[--R->sp]);
		tick(R, n);
	}
}

static uint64_t next_random(struct run *R)
{
	/* splitmix64: small, fast, and every seed gives a full-period sequence */
	uint64_t z = (R->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static int moves(struct run *R, const struct fl_step *st)
{
	struct fl_outcome o = fl_sys_apply(R->s, R->cur, R->next, st, 0, NULL);
	return o.status != FL_OK || memcmp(R->next, R->cur, R->s->width) != 0;
}

/*
 * Indices of the steps from R->cur that change it, with the same classes as expand(): normal
 * and fault steps, and timeouts only where no normal step moves. *rest is set when no normal
 * or timeout step moves (faults may remain): the state is at rest.
 */
static int moving_steps(struct run *R, int n, int *pick, int *rest)
{
	int m = 0, normal = 0;
	for (int k = 0; k < n; k++)
		if (R->steps[k].cls != FL_TIMEOUT && moves(R, &R->steps[k])) {
			pick[m++] = k;
			normal |= R->steps[k].cls == FL_NORMAL;
		}
	*rest = !normal;
	for (int k = 0; k < n && !normal; k++)
		if (R->steps[k].cls == FL_TIMEOUT && moves(R, &R->steps[k])) {
			pick[m++] = k;
			*rest = 0;
		}
	return m;
}

/* One walk of at most R->o->depth steps from the initial state. */
static void walk_once(struct run *R, int *pick)
{
	uint32_t at = 0;
	for (long d = 0; d < R->o->depth && !R->stop; d++) {
		memcpy(R->cur, fl_store_state(R->st, at), R->s->width);
		int n = fl_sys_steps(R->s, R->cur, R->steps, FL_MAX_STEPS), rest;
		if (n < 0) {
			internal(R, FL_EINTERNAL, "more steps enabled than FL_MAX_STEPS");
			return;
		}
		cover_steps(R, n);
		int m = moving_steps(R, n, pick, &rest);
		R->r->rest_states += rest != 0;
		if (rest && R->active) {
			uint32_t bad = fl_sys_at_rest(R->s, R->cur, R->active, R->why);
			if (bad)
				record(R, bad, at, 0, NULL);
		}
		long to;
		if (m == 0 || take(R, at, &R->steps[pick[next_random(R) % (uint64_t)m]], &to) <= 0)
			return;
		at = (uint32_t)to;
		tick(R, R->r->transitions);
	}
}

static void walk(struct run *R)
{
	int *pick = fl_alloc(FL_MAX_STEPS * sizeof *pick);
	if (!pick) {
		halt(R, "memory ran out");
		return;
	}
	for (long w = 0; w < R->o->walks && !R->stop; w++)
		walk_once(R, pick);
	fl_free(pick);
}

static void explore(struct run *R)
{
	if (R->stop) /* nothing to check, or setup already hit a limit */
		return;
	switch (R->o->mode) {
	case FL_BFS: bfs(R); break;
	case FL_DFS: dfs(R); break;
	case FL_RANDOM: walk(R); break;
	}
}

/* After a complete search, the verdicts of the cycles specs (cycles.h). A cycle search that
 * cannot finish leaves its spec without a verdict and the run incomplete. */
static void judge_cycles(struct run *R)
{
	double limit = R->o->time_limit;
	struct fl_cycles_limits lim = {R->o->max_memory, limit > 0 ? R->t0 + limit : 0};
	for (int i = 0; i < R->s->nspec && !R->stop; i++) {
		if (!(R->active >> i & 1u) || !R->s->spec[i].kind->cycles)
			continue;
		struct fl_err ce = {0};
		int rc = fl_cycles_check(R->s, R->st, i, &lim, &R->r->viol[i], &ce);
		char why[sizeof R->r->stop_reason];
		snprintf(why, sizeof why, "%.*s", (int)sizeof why - 1, ce.msg);
		if (rc == FL_OK && R->r->viol[i].found)
			R->r->violated |= 1u << i;
		else if (rc == FL_ENOMEM || rc == FL_EBOUND)
			halt(R, why);
		else if (rc != FL_OK)
			internal(R, rc, why);
	}
}

static int setup(struct run *R)
{
	int rc = fl_store_init(R->st, R->s->width, sizeof(struct fl_step), R->o->max_memory);
	R->cur = fl_alloc(R->s->width);
	R->next = fl_alloc(R->s->width);
	R->r->enabled = fl_alloc((size_t)R->s->ninst * sizeof *R->r->enabled + 1);
	R->r->injected = fl_alloc((size_t)R->s->nbudget + 1);
	if (rc != FL_OK || !R->cur || !R->next || !R->r->enabled || !R->r->injected)
		return fl_fail(R->e, FL_ENOMEM, "out of memory before the search began");
	fl_sys_init_state(R->s, R->next);
	struct fl_step none = {0};
	size_t idx;
	rc = fl_store_insert(R->st, R->next, fl_store_hash(R->st, R->next), FL_NO_PARENT, &none, &idx);
	if (rc == FL_EBOUND) {
		halt(R, "the memory limit (--max-memory) is below what one state needs");
		return FL_OK;
	}
	return rc == FL_STORE_NEW ? FL_OK : fl_fail(R->e, FL_ENOMEM, "out of memory before the search began");
}

static void figures(struct run *R)
{
	struct fl_result *r = R->r;
	r->states = R->st->count;
	for (size_t i = 0; i < R->st->count; i++)
		if (R->st->depths[i] > r->depth)
			r->depth = R->st->depths[i];
	r->seconds = now() - R->t0;
	r->store_bytes = fl_store_bytes(R->st);
	r->peak_rss = fl_peak_rss();
	if (R->o->progress)
		fprintf(stderr, "\r%*s\r", 78, "");
}

int fl_search_run(const struct fl_sys *s, const struct fl_search_opts *o, struct fl_store *st,
		  struct fl_result *r, struct fl_err *e)
{
	struct run *R = fl_alloc(sizeof *R);
	*r = (struct fl_result){0};
	if (!R)
		return fl_fail(e, FL_ENOMEM, "out of memory before the search began");
	*R = (struct run){.s = s, .o = o, .st = st, .r = r, .e = e, .rng = o->seed, .t0 = now()};
	R->last_progress = R->t0; /* the first progress line comes after a second */
	r->checked = R->active = fl_sys_checked_mask(s);
	int rc = setup(R);
	if (rc == FL_OK) {
		if (!R->active)
			halt(R, "no spec is checked");
		explore(R);
		if (!R->stop && o->mode != FL_RANDOM)
			judge_cycles(R);
		r->complete = !R->stop && o->mode != FL_RANDOM;
		if (r->complete)
			r->decided = 1;
		if (o->mode == FL_RANDOM && !R->stop)
			snprintf(r->stop_reason, sizeof r->stop_reason,
				 "random walks sample the state space; they cannot show a spec holds");
		r->coverage = r->complete ? FL_COVER_ALL
			      : o->mode == FL_RANDOM && !R->stop ? FL_COVER_SAMPLED : FL_COVER_NONE;
		figures(R);
		rc = R->fatal;
	}
	for (int i = 0; i < FL_MAX_SPECS; i++)
		fl_buf_fini(&R->why[i]);
	fl_free(R->cur);
	fl_free(R->next);
	fl_free(R->stack);
	fl_free(R);
	return rc;
}

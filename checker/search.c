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

#include <pthread.h>
#include <stdatomic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* What one thread needs to expand states; its figures are added to the result at the end. */
struct worker {
	char pad0[64];          /* workers sit in one array: padding at both ends keeps one's
				   hot fields off the cache lines of its neighbours' */
	struct run *R;
	uint8_t *cur, *next;
	struct fl_step steps[FL_MAX_STEPS];
	struct fl_buf why[FL_MAX_SPECS];
	size_t transitions, rest_states, expanded;
	uint32_t events, depth;
	uint64_t *enabled;      /* per instance, as fl_result.enabled */
	uint8_t *injected;      /* per budget entry */
	size_t redo_lo, redo_hi; /* BFS: states left unexpanded when the store had to change */
	uint8_t *succ;          /* FL_MAX_STEPS successors of one pass (expand_pass) */
	uint64_t *hash;         /* their hashes */
	int *pick;              /* the steps they come from */
	char pad1[64];
};

struct run {
	const struct fl_sys *s;
	const struct fl_search_opts *o;
	struct fl_store *st;
	struct fl_result *r;
	struct fl_err *e;
	_Atomic uint32_t active;  /* checked specs without a verdict yet */
	atomic_int stop;          /* a limit or an error ended the run */
	atomic_int degrade;       /* BFS: the store hit the memory limit and must change mode */
	int fatal;                /* negative code of an internal error */
	pthread_mutex_t mu;       /* recording violations and internal errors */
	uint32_t *stack;          /* DFS */
	size_t sp, stack_cap;
	double t0, last_progress;
	uint64_t rng;
	size_t budget;            /* bytes the store may use (--max-memory, or 3/4 of the RAM) */
	/* parallel BFS: the level being expanded is [next, hi); `next` has a line of its own */
	char pad0[64];
	_Atomic size_t next;
	char pad1[64];
	size_t hi;
	int nworkers;
	struct worker *w;         /* nworkers */
	pthread_barrier_t start, done;
	int quit;                 /* workers leave at the next start barrier */
};

/* Parallel BFS hands out states in chunks of this many. */
#define CHUNK 64

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

static int stopped(struct run *R) { return atomic_load_explicit(&R->stop, memory_order_relaxed); }

/* Coverage: the actions of n enabled steps. Injected faults are counted per budget entry when
 * they change a state (cover_fault). One OR per step keeps this off the profile. */
static void cover_steps(struct worker *W, int n)
{
	for (int k = 0; k < n; k++)
		if (W->steps[k].action != FL_ACT_INJECT)
			W->enabled[W->steps[k].inst] |= (uint64_t)1 << (W->steps[k].action & 63);
}

/* Coverage: fault step st changed the state; marks the budget entries it is charged to. */
static void cover_fault(struct worker *W, const struct fl_step *st)
{
	const struct fl_sys *s = W->R->s;
	for (int i = 0; i < s->nbudget; i++) {
		const struct fl_budget_entry *b = &s->budget[i];
		if (b->inst == st->target && b->fault == st->fault &&
		    (b->farg == FL_ANY || b->farg == st->farg))
			W->injected[i] = 1;
	}
}

/* Ends the run; the first reason given is the one reported. */
static void halt(struct run *R, const char *why)
{
	if (!atomic_exchange(&R->stop, 1))
		snprintf(R->r->stop_reason, sizeof R->r->stop_reason, "%s", why);
}

static void internal(struct run *R, int code, const char *msg)
{
	pthread_mutex_lock(&R->mu);
	if (!R->fatal) {
		fl_fail(R->e, code, "%s", msg);
		R->fatal = code;
	}
	pthread_mutex_unlock(&R->mu);
	halt(R, msg);
}

static const char *memory_limit(const struct run *R)
{
	return R->o->max_memory ? "the memory limit (--max-memory) was reached"
				: "the memory limit (3/4 of the RAM; --max-memory sets another) was reached";
}

/* Records the specs in bad (still active) as broken at `state`, with W's sentences. */
static void record(struct worker *W, uint32_t bad, uint32_t state, int via, const struct fl_step *st)
{
	struct run *R = W->R;
	pthread_mutex_lock(&R->mu);
	bad &= atomic_load(&R->active);
	for (int i = 0; i < R->s->nspec; i++) {
		if (!(bad >> i & 1u))
			continue;
		struct fl_violation *v = &R->r->viol[i];
		*v = (struct fl_violation){.found = 1, .state = state, .via_step = via};
		if (via)
			v->step = *st;
		v->why = fl_strdup(fl_buf_str(&W->why[i]));
		R->r->violated |= 1u << i;
	}
	uint32_t left = atomic_fetch_and(&R->active, ~bad) & ~bad;
	if (!left)
		R->r->decided = 1;
	pthread_mutex_unlock(&R->mu);
	for (int i = 0; i < R->s->nspec; i++)
		fl_buf_reset(&W->why[i]);
	if (!left)
		halt(R, "every checked spec has a verdict");
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

/* 1 when a full store in this run changes mode instead of stopping the run (BFS only). */
static int may_degrade(const struct run *R)
{
	return R->o->mode == FL_BFS && !R->o->no_fallback && R->st->mode != FL_STORAGE_BITSTATE;
}

/* Stores v (hash h), reached from `parent` by st; returns its index, -1 when the run must
 * stop, -2 when the store must change mode first (the expansion is then redone). */
static long store(struct worker *W, const uint8_t *v, uint64_t h, uint32_t parent,
		  const struct fl_step *st)
{
	struct run *R = W->R;
	size_t idx;
	int rc = fl_store_insert(R->st, v, h, parent, st, &idx);
	if (rc == FL_EBOUND && may_degrade(R)) {
		atomic_store(&R->degrade, 1);
		return -2;
	}
	if (rc == FL_EBOUND || rc == FL_ENOMEM) {
		halt(R, rc == FL_EBOUND ? memory_limit(R) : "memory ran out");
		return -1;
	}
	if (rc == FL_STORE_NEW) {
		uint32_t d = fl_store_depth(R->st, idx);
		if (d > W->depth)
			W->depth = d;
		if (R->o->mode == FL_DFS && push(R, (uint32_t)idx) != FL_OK) {
			halt(R, "memory ran out");
			return -1;
		}
	}
	if (R->o->max_states && R->st->count >= R->o->max_states)
		halt(R, "the state limit (--max-states) was reached");
	return (long)idx;
}

/*
 * Applies step st to W->cur (state `from`) into out: runs the safety monitors (a violation is
 * recorded even when the successor was seen before) and the coverage. Returns 1 if the state
 * changed, 0 for a stutter, -1 when the run must stop.
 */
static int successor(struct worker *W, uint32_t from, const struct fl_step *st, uint8_t *out)
{
	struct run *R = W->R;
	struct fl_events ev;
	struct fl_outcome o = fl_sys_apply_events(R->s, W->cur, out, st,
						  atomic_load_explicit(&R->active, memory_order_relaxed),
						  W->why, &ev);
	for (int k = 0; k < ev.n; k++)
		W->events |= 1u << (ev.e[k].type & 31);
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
		record(W, o.violated, from, 1, st);
	if (memcmp(out, W->cur, R->s->width) == 0)
		return 0;
	if (st->cls == FL_FAULT)
		cover_fault(W, st);
	return 1;
}

/* take() of one step: its successor, stored. Returns as successor(), or -2 (see store). */
static int take(struct worker *W, uint32_t from, const struct fl_step *st, long *to)
{
	int c = successor(W, from, st, W->next);
	if (c <= 0)
		return c;
	*to = store(W, W->next, fl_store_hash(W->R->st, W->next), from, st);
	if (*to < 0)
		return (int)*to;
	W->transitions++;
	return 1;
}

/* Steps of W->steps[0..n) that belong to pass cls: NORMAL takes normal and fault steps. */
static int in_pass(const struct fl_step *st, int cls)
{
	return st->cls == cls || (cls == FL_NORMAL && st->cls == FL_FAULT);
}

/*
 * One pass of expand(): every successor of the pass first (monitors, hashes, and a prefetch
 * of each one's slot, so the lookups' cache misses overlap), then each is stored in step
 * order. Returns -1/-2 as take(), else whether a non-fault step moved.
 */
static int expand_pass(struct worker *W, uint32_t i, int n, int cls)
{
	struct run *R = W->R;
	size_t width = R->s->width;
	int m = 0, moved = 0;
	for (int k = 0; k < n && !stopped(R); k++) {
		if (!in_pass(&W->steps[k], cls))
			continue;
		uint8_t *out = W->succ + (size_t)m * width;
		int c = successor(W, i, &W->steps[k], out);
		if (c < 0)
			return -1;
		if (!c)
			continue;
		W->hash[m] = fl_store_hash(R->st, out);
		fl_store_prefetch(R->st, W->hash[m]);
		W->pick[m++] = k;
	}
	for (int q = 0; q < m && !stopped(R); q++) {
		const struct fl_step *st = &W->steps[W->pick[q]];
		long to = store(W, W->succ + (size_t)q * width, W->hash[q], i, st);
		if (to < 0)
			return (int)to;
		W->transitions++;
		moved |= st->cls != FL_FAULT;
	}
	return moved;
}

/* Expands state i: every successor, then the at-rest check. Returns 0, -1 when the run
 * stops, or -2 when the store must change mode (the expansion's figures are undone: it is
 * redone from the start, and the successors already stored are then old). */
static int expand(struct worker *W, uint32_t i)
{
	struct run *R = W->R;
	memcpy(W->cur, fl_store_state(R->st, i), R->s->width);
	int n = fl_sys_steps(R->s, W->cur, W->steps, FL_MAX_STEPS);
	if (n < 0) {
		internal(R, FL_EINTERNAL, "more steps enabled than FL_MAX_STEPS");
		return -1;
	}
	cover_steps(W, n);
	size_t before = W->transitions;
	int moved = 0;
	for (int cls = FL_NORMAL; cls <= FL_TIMEOUT && !moved; cls++) {
		if (cls == FL_FAULT)
			continue;
		int c = expand_pass(W, i, n, cls);
		if (c == -2)
			W->transitions = before;
		if (c < 0)
			return c;
		moved = c;
	}
	if (stopped(R))
		return -1;
	W->rest_states += !moved;
	uint32_t active = atomic_load_explicit(&R->active, memory_order_relaxed);
	if (!moved && active) {
		uint32_t bad = fl_sys_at_rest(R->s, W->cur, active, W->why);
		if (bad)
			record(W, bad, i, 0, NULL);
	}
	return 0;
}

static void progress(struct run *R, double t)
{
	if (!R->o->progress || t - R->last_progress < 1.0)
		return;
	R->last_progress = t;
	double el = t - R->t0;
	size_t n = R->st->count;
	fprintf(stderr, "\r  %zu states, %.1f s, %.0f states/s, %.1f MB%s   ", n, el,
		el > 0 ? (double)n / el : 0.0, (double)fl_store_bytes(R->st) / 1048576.0,
		R->st->mode == FL_STORAGE_FINGERPRINT ? " (fingerprints)"
		: R->st->mode == FL_STORAGE_BITSTATE ? " (bitstate)" : "");
	fflush(stderr);
}

/* Every 1024 expansions: the time limit, and (first worker only) the progress line. */
static void tick(struct worker *W)
{
	if ((++W->expanded & 1023) != 0)
		return;
	struct run *R = W->R;
	double t = now();
	if (R->o->time_limit > 0 && t - R->t0 >= R->o->time_limit)
		halt(R, "the time limit (--time-limit) was reached");
	if (W == R->w)
		progress(R, t);
}

/* Expands [lo, hi); when the store must change mode, leaves the rest in W->redo_*. */
static void expand_range(struct worker *W, size_t lo, size_t hi)
{
	struct run *R = W->R;
	for (size_t i = lo; i < hi && !stopped(R); i++) {
		if (atomic_load_explicit(&R->degrade, memory_order_relaxed) ||
		    expand(W, (uint32_t)i) == -2) {
			W->redo_lo = i;
			W->redo_hi = hi;
			return;
		}
		tick(W);
	}
}

/* One worker's share of the level [R->next, R->hi). */
static void work_level(struct worker *W)
{
	struct run *R = W->R;
	while (!stopped(R) && !atomic_load_explicit(&R->degrade, memory_order_relaxed)) {
		size_t lo = atomic_fetch_add(&R->next, CHUNK);
		if (lo >= R->hi)
			return;
		expand_range(W, lo, lo + CHUNK < R->hi ? lo + CHUNK : R->hi);
	}
}

static void *worker_main(void *arg)
{
	struct worker *W = arg;
	struct run *R = W->R;
	for (;;) {
		pthread_barrier_wait(&R->start);
		if (R->quit)
			return NULL;
		work_level(W);
		pthread_barrier_wait(&R->done);
	}
}

/* Every worker expands the level [R->next, R->hi) until it is done or the store is full. */
static void run_level(struct run *R)
{
	if (R->nworkers > 1)
		pthread_barrier_wait(&R->start);
	work_level(&R->w[0]);
	if (R->nworkers > 1)
		pthread_barrier_wait(&R->done);
}

/* The store hit the memory limit: retires the expanded levels (below lo), changes its mode
 * and expands what the workers left, until the level can go on or the run must stop. */
static void degrade(struct run *R, size_t lo)
{
	while (atomic_load(&R->degrade) && !stopped(R)) {
		atomic_store(&R->degrade, 0);
		struct fl_store *st = R->st;
		size_t room = R->budget > fl_store_bytes(st) ? R->budget - fl_store_bytes(st) : 0;
		int from = st->mode;
		if (from == FL_STORAGE_BITSTATE ||
		    (from == FL_STORAGE_FINGERPRINT && room < ((size_t)1 << 18)) ||
		    fl_store_degrade(st, room, lo) != FL_OK) {
			halt(R, memory_limit(R));
			return;
		}
		R->r->fallback_at[from] = st->count;
		for (int k = 0; k < R->nworkers && !atomic_load(&R->degrade); k++) {
			size_t a = R->w[k].redo_lo, b = R->w[k].redo_hi;
			R->w[k].redo_lo = R->w[k].redo_hi = 0;
			expand_range(&R->w[0], a, b);
		}
	}
}

static void bfs(struct run *R)
{
	for (size_t lo = 0; lo < R->st->count && !stopped(R);) {
		size_t hi = R->st->count;
		if (fl_store_retire(R->st, lo) != FL_OK) {
			halt(R, "no temporary file could be written for retired states (TMPDIR)");
			return;
		}
		atomic_store(&R->next, lo);
		R->hi = hi;
		do {
			run_level(R);
			fl_store_quiesce(R->st);
			degrade(R, lo);
		} while (!stopped(R) && atomic_load(&R->next) < hi);
		lo = hi;
	}
}

static void dfs(struct run *R)
{
	if (push(R, 0) != FL_OK) {
		halt(R, "memory ran out");
		return;
	}
	while (R->sp && !stopped(R)) {
		expand(R->w, R->stack[--R->sp]);
		tick(R->w);
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

static int moves(struct worker *W, const struct fl_step *st)
{
	struct fl_outcome o = fl_sys_apply(W->R->s, W->cur, W->next, st, 0, NULL);
	return o.status != FL_OK || memcmp(W->next, W->cur, W->R->s->width) != 0;
}

/*
 * Indices of the steps from W->cur that change it, with the same classes as expand(): normal
 * and fault steps, and timeouts only where no normal step moves. *rest is set when no normal
 * or timeout step moves (faults may remain): the state is at rest.
 */
static int moving_steps(struct worker *W, int n, int *pick, int *rest)
{
	int m = 0, normal = 0;
	for (int k = 0; k < n; k++)
		if (W->steps[k].cls != FL_TIMEOUT && moves(W, &W->steps[k])) {
			pick[m++] = k;
			normal |= W->steps[k].cls == FL_NORMAL;
		}
	*rest = !normal;
	for (int k = 0; k < n && !normal; k++)
		if (W->steps[k].cls == FL_TIMEOUT && moves(W, &W->steps[k])) {
			pick[m++] = k;
			*rest = 0;
		}
	return m;
}

/* One walk of at most R->o->depth steps from the initial state. */
static void walk_once(struct run *R, int *pick)
{
	struct worker *W = R->w;
	uint32_t at = 0;
	for (long d = 0; d < R->o->depth && !stopped(R); d++) {
		memcpy(W->cur, fl_store_state(R->st, at), R->s->width);
		int n = fl_sys_steps(R->s, W->cur, W->steps, FL_MAX_STEPS), rest;
		if (n < 0) {
			internal(R, FL_EINTERNAL, "more steps enabled than FL_MAX_STEPS");
			return;
		}
		cover_steps(W, n);
		int m = moving_steps(W, n, pick, &rest);
		W->rest_states += rest != 0;
		uint32_t active = atomic_load(&R->active);
		if (rest && active) {
			uint32_t bad = fl_sys_at_rest(R->s, W->cur, active, W->why);
			if (bad)
				record(W, bad, at, 0, NULL);
		}
		long to;
		if (m == 0 || take(W, at, &W->steps[pick[next_random(R) % (uint64_t)m]], &to) <= 0)
			return;
		at = (uint32_t)to;
		tick(W);
	}
}

static void walk(struct run *R)
{
	int *pick = fl_alloc(FL_MAX_STEPS * sizeof *pick);
	if (!pick) {
		halt(R, "memory ran out");
		return;
	}
	for (long w = 0; w < R->o->walks && !stopped(R); w++)
		walk_once(R, pick);
	fl_free(pick);
}

/* Starts the BFS helper threads (worker 0 is the caller); returns how many started. */
static int start_threads(struct run *R, pthread_t *tid)
{
	if (R->nworkers < 2)
		return 0;
	pthread_barrier_init(&R->start, NULL, (unsigned)R->nworkers);
	pthread_barrier_init(&R->done, NULL, (unsigned)R->nworkers);
	int k = 1;
	for (; k < R->nworkers; k++)
		if (pthread_create(&tid[k], NULL, worker_main, &R->w[k]) != 0)
			break;
	if (k < R->nworkers) { /* run with fewer: the barriers count every worker */
		R->quit = 1;
		pthread_barrier_wait(&R->start);
		for (int j = 1; j < k; j++)
			pthread_join(tid[j], NULL);
		pthread_barrier_destroy(&R->start);
		pthread_barrier_destroy(&R->done);
		R->quit = 0;
		R->nworkers = 1;
		return 0;
	}
	return k - 1;
}

static void stop_threads(struct run *R, pthread_t *tid, int n)
{
	if (!n)
		return;
	R->quit = 1;
	pthread_barrier_wait(&R->start);
	for (int k = 1; k <= n; k++)
		pthread_join(tid[k], NULL);
	pthread_barrier_destroy(&R->start);
	pthread_barrier_destroy(&R->done);
}

static void explore(struct run *R)
{
	if (stopped(R)) /* nothing to check, or setup already hit a limit */
		return;
	switch (R->o->mode) {
	case FL_BFS: {
		pthread_t tid[FL_MAX_THREADS + 1];
		int n = start_threads(R, tid);
		bfs(R);
		stop_threads(R, tid, n);
		break;
	}
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
	for (int i = 0; i < R->s->nspec && !stopped(R); i++) {
		if (!(R->active >> i & 1u) || !R->s->spec[i].kind->cycles)
			continue;
		if (R->st->mode != FL_STORAGE_EXACT) {
			halt(R, "a cycles spec (progress) is judged on the stored graph, which only "
				"exact storage keeps");
			return;
		}
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

/* The store's budget: --max-memory, or 3/4 of the RAM. */
static size_t budget(const struct fl_search_opts *o)
{
	if (o->max_memory)
		return o->max_memory;
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (size_t)pages / 4 * 3 * (size_t)size : 0;
}

static int setup_workers(struct run *R)
{
	R->nworkers = R->o->mode == FL_BFS && R->o->threads > 1 ? R->o->threads : 1;
	if (R->nworkers > FL_MAX_THREADS)
		R->nworkers = FL_MAX_THREADS;
	R->w = fl_calloc((size_t)R->nworkers, sizeof *R->w);
	if (!R->w)
		return FL_ENOMEM;
	for (int k = 0; k < R->nworkers; k++) {
		struct worker *W = &R->w[k];
		W->R = R;
		W->cur = fl_alloc(R->s->width);
		W->next = fl_alloc(R->s->width);
		W->enabled = fl_calloc((size_t)R->s->ninst + 1, sizeof *W->enabled);
		W->injected = fl_calloc((size_t)R->s->nbudget + 1, 1);
		W->succ = fl_calloc(FL_MAX_STEPS, R->s->width);
		W->hash = fl_calloc(FL_MAX_STEPS, sizeof *W->hash);
		W->pick = fl_calloc(FL_MAX_STEPS, sizeof *W->pick);
		if (!W->cur || !W->next || !W->enabled || !W->injected || !W->succ || !W->hash || !W->pick)
			return FL_ENOMEM;
	}
	return FL_OK;
}

static int setup(struct run *R)
{
	const struct fl_search_opts *o = R->o;
	R->budget = budget(o);
	/* bitstate: half of --max-memory, or store.c's default (16 MiB) */
	size_t bits = o->storage == FL_STORAGE_BITSTATE ? o->max_memory / 2 : 0;
	int rc = fl_store_open(R->st, R->s->width, sizeof(struct fl_step), R->budget, o->storage,
			       o->mode == FL_BFS && o->threads > 1, bits);
	R->r->enabled = fl_calloc((size_t)R->s->ninst + 1, sizeof *R->r->enabled);
	R->r->injected = fl_calloc((size_t)R->s->nbudget + 1, 1);
	if (rc != FL_OK || setup_workers(R) != FL_OK || !R->r->enabled || !R->r->injected)
		return fl_fail(R->e, FL_ENOMEM, "out of memory before the search began");
	uint8_t *v = R->w[0].next;
	fl_sys_init_state(R->s, v);
	struct fl_step none = {0};
	size_t idx;
	rc = fl_store_insert(R->st, v, fl_store_hash(R->st, v), FL_NO_PARENT, &none, &idx);
	if (rc == FL_EBOUND) {
		halt(R, "the memory limit (--max-memory) is below what one state needs");
		return FL_OK;
	}
	return rc == FL_STORE_NEW ? FL_OK : fl_fail(R->e, FL_ENOMEM, "out of memory before the search began");
}

/* The workers' figures and coverage, into the result. */
static void gather(struct run *R)
{
	struct fl_result *r = R->r;
	for (int k = 0; k < R->nworkers && R->w; k++) {
		struct worker *W = &R->w[k];
		r->transitions += W->transitions;
		r->rest_states += W->rest_states;
		r->events |= W->events;
		if (W->depth > r->depth)
			r->depth = W->depth;
		for (int i = 0; W->enabled && i < R->s->ninst; i++)
			r->enabled[i] |= W->enabled[i];
		for (int i = 0; W->injected && i < R->s->nbudget; i++)
			r->injected[i] |= W->injected[i];
	}
}

static void figures(struct run *R)
{
	struct fl_result *r = R->r;
	gather(R);
	r->states = R->st->count;
	r->threads = R->nworkers;
	r->storage = R->st->mode;
	r->expected_misses = fl_store_expected_misses(R->st);
	r->seconds = now() - R->t0;
	r->store_bytes = fl_store_bytes(R->st);
	r->peak_rss = fl_peak_rss();
	if (R->o->progress)
		fprintf(stderr, "\r%*s\r", 78, "");
}

static void free_workers(struct run *R)
{
	for (int k = 0; R->w && k < R->nworkers; k++) {
		for (int i = 0; i < FL_MAX_SPECS; i++)
			fl_buf_fini(&R->w[k].why[i]);
		fl_free(R->w[k].cur);
		fl_free(R->w[k].next);
		fl_free(R->w[k].enabled);
		fl_free(R->w[k].injected);
		fl_free(R->w[k].succ);
		fl_free(R->w[k].hash);
		fl_free(R->w[k].pick);
	}
	fl_free(R->w);
}

int fl_search_run(const struct fl_sys *s, const struct fl_search_opts *o, struct fl_store *st,
		  struct fl_result *r, struct fl_err *e)
{
	struct run *R = fl_calloc(1, sizeof *R);
	*r = (struct fl_result){0};
	if (!R)
		return fl_fail(e, FL_ENOMEM, "out of memory before the search began");
	R->s = s, R->o = o, R->st = st, R->r = r, R->e = e, R->rng = o->seed, R->t0 = now();
	pthread_mutex_init(&R->mu, NULL);
	R->last_progress = R->t0; /* the first progress line comes after a second */
	r->checked = fl_sys_checked_mask(s);
	atomic_store(&R->active, r->checked);
	int rc = setup(R);
	if (rc == FL_OK) {
		if (!R->active)
			halt(R, "no spec is checked");
		if (o->mode == FL_RANDOM && o->storage != FL_STORAGE_EXACT) /* walks follow indices */
			halt(R, "random walks need exact storage");
		explore(R);
		if (!stopped(R) && o->mode != FL_RANDOM)
			judge_cycles(R);
		r->complete = !stopped(R) && o->mode != FL_RANDOM;
		if (r->complete)
			r->decided = 1;
		if (o->mode == FL_RANDOM && !stopped(R))
			snprintf(r->stop_reason, sizeof r->stop_reason,
				 "random walks sample the state space; they cannot show a spec holds");
		r->coverage = r->complete ? FL_COVER_ALL
			      : o->mode == FL_RANDOM && !stopped(R) ? FL_COVER_SAMPLED : FL_COVER_NONE;
		figures(R);
		rc = R->fatal;
	}
	free_workers(R);
	pthread_mutex_destroy(&R->mu);
	fl_free(R->stack);
	fl_free(R);
	return rc;
}

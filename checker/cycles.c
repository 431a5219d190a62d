/*
 * cycles.c - fair non-progress cycles (see cycles.h for the semantics).
 *
 * 1. build: every stored state is expanded again; its considered non-progress steps become
 *    edges of a graph in compressed sparse rows (successors found with fl_store_find).
 * 2. tarjan: an iterative Tarjan over that graph. A component with an edge is judged when it
 *    is complete: its states are expanded once more for the instances enabled in each and the
 *    instances taking an edge inside it.
 * 3. lasso: for the best violating component, a local copy of its graph (with the instance of
 *    each edge and the enabled instances of each state), then breadth-first searches for a
 *    short fair loop, and the loop's steps, found again by expanding the loop's states.
 *
 * Every array is counted (bytes held, with the store) against the memory limit; the deadline is
 * checked every 1024 expansions.
 */
#include "cycles.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#define DONE UINT32_MAX  /* num[] of a state whose component is known (low[] is then its id) */
#define NONE UINT32_MAX  /* the successor of a progress edge: not an edge of the graph */
#define NO_EDGE SIZE_MAX

struct frame {
	uint32_t v;
	size_t e; /* next edge of v to follow */
};

struct cyc {
	const struct fl_sys *s;
	const struct fl_store *st;
	int spec;
	const struct fl_cycles_limits *lim;
	struct fl_err *e;
	size_t used;            /* bytes this pass holds */
	size_t n;               /* states */
	size_t loads;           /* expansions, for the deadline */
	uint8_t *cur, *next;
	struct fl_step *steps;  /* FL_MAX_STEPS */
	size_t words;           /* of an instance bitset */
	uint64_t *always, *taken, *en, *met;

	/* The graph: state i's non-progress edges go to to[off[i] .. off[i+1]). */
	size_t *off;
	uint32_t *to;
	size_t nedges, cap;

	/* Tarjan: num[] is 0 (unseen), the discovery number, or DONE; low[] the lowlink, or the
	 * component's id once DONE. stack[] holds the states of unfinished components. */
	uint32_t *num, *low, *stack;
	size_t sp;
	struct frame *fr;
	size_t nfr, frcap;
	uint32_t counter, ncomp;

	/* The best violating component so far, and its shallowest state. */
	int found;
	uint32_t best, entry, depth;

	/* The lasso: the component's states (ascending; local ids index this), their enabled
	 * instances (nm * words), local edges [loff[u], loff[u+1]) to lto[] by linst[]. */
	uint32_t *mem;
	size_t nm;
	uint64_t *lenabled;
	size_t *loff;
	uint32_t *lto;
	uint16_t *linst;
	size_t nle, lcap;
	uint32_t *stamp, *queue, *pnode, gen;
	size_t *pedge;
	size_t *path;           /* the loop, as local edges */
	size_t npath, pcap;
};

/* --- memory and time -------------------------------------------------------------------- */

/* Resizes *pp (of old bytes) to n bytes, counted with the store against the memory limit. */
static int resize(struct cyc *C, void *pp, size_t old, size_t n)
{
	void **p = pp;
	size_t max = C->lim ? C->lim->max_bytes : 0;
	if (max && fl_store_bytes(C->st) + C->used - old + n > max)
		return fl_fail(C->e, FL_EBOUND,
			       "the memory limit (--max-memory) was reached during the cycle search");
	void *q = fl_realloc(*p, n);
	if (!q)
		return fl_fail(C->e, FL_ENOMEM, "memory ran out during the cycle search");
	*p = q;
	C->used = C->used - old + n;
	return FL_OK;
}

/* Resizes *pp to hold n zeroed entries of size bytes (from none). */
static int zeroed(struct cyc *C, void *pp, size_t n, size_t size)
{
	if (n && size > SIZE_MAX / n)
		return fl_fail(C->e, FL_ENOMEM, "memory ran out during the cycle search");
	int rc = resize(C, pp, 0, n * size);
	if (rc == FL_OK)
		memset(*(void **)pp, 0, n * size);
	return rc;
}

/* Frees *pp (of bytes bytes) before the pass ends. */
static void release(struct cyc *C, void *pp, size_t bytes)
{
	void **p = pp;
	fl_free(*p);
	*p = NULL;
	C->used -= bytes;
}

static int late(const struct cyc *C)
{
	if (!C->lim || C->lim->deadline <= 0)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 >= C->lim->deadline;
}

/* --- bitsets of instances --------------------------------------------------------------- */

static void bit_set(uint64_t *b, unsigned i) { b[i / 64] |= 1ull << (i % 64); }
static int bit_get(const uint64_t *b, unsigned i) { return (int)(b[i / 64] >> (i % 64) & 1u); }

/* The bits of every instance. */
static uint64_t word_mask(const struct cyc *C, size_t w)
{
	size_t left = (size_t)C->s->ninst - w * 64;
	return left >= 64 ? ~0ull : (1ull << left) - 1;
}

/* 1 if a is a subset of b. */
static int subset(const struct cyc *C, const uint64_t *a, const uint64_t *b)
{
	for (size_t w = 0; w < C->words; w++)
		if (a[w] & ~b[w])
			return 0;
	return 1;
}

/* --- expanding a state ------------------------------------------------------------------ */

int fl_cycles_steps(const struct fl_sys *s, const uint8_t *v, uint8_t *tmp, struct fl_step *out)
{
	int n = fl_sys_steps(s, v, out, FL_MAX_STEPS);
	if (n < 0)
		return FL_EINTERNAL;
	int moved = 0;
	for (int k = 0; k < n && !moved; k++) {
		if (out[k].cls != FL_NORMAL)
			continue;
		if (fl_sys_apply(s, v, tmp, &out[k], 0, NULL).status != FL_OK)
			return FL_EINTERNAL;
		moved = memcmp(tmp, v, s->width) != 0;
	}
	int m = 0;
	for (int k = 0; k < n; k++)
		if (out[k].cls == FL_NORMAL || (out[k].cls == FL_TIMEOUT && !moved))
			out[m++] = out[k];
	return m;
}

int fl_cycles_is_progress(const struct fl_sys *s, int spec, const uint8_t *v, uint8_t *tmp,
			  const struct fl_step *st)
{
	struct fl_events ev;
	struct fl_outcome o = fl_sys_apply_events(s, v, tmp, st, 0, NULL, &ev);
	if (o.status != FL_OK || o.overflow)
		return FL_EINTERNAL;
	const struct fl_spec_kind *k = s->spec[spec].kind;
	return k->progress && k->progress(s, &ev) ? 1 : 0;
}

/* Loads state i into C->cur and its considered steps into C->steps; returns how many. */
static int load(struct cyc *C, uint32_t i)
{
	if ((++C->loads & 1023) == 0 && late(C))
		return fl_fail(C->e, FL_EBOUND,
			       "the time limit (--time-limit) was reached during the cycle search");
	memcpy(C->cur, fl_store_state(C->st, i), C->s->width);
	int n = fl_cycles_steps(C->s, C->cur, C->next, C->steps);
	if (n < 0)
		return fl_fail(C->e, FL_EINTERNAL,
			       "cycle search: a stored state has too many steps, or a step failed");
	return n;
}

/* Takes step k from C->cur (state i): *to = the successor's index, or NONE for progress. */
static int follow(struct cyc *C, uint32_t i, const struct fl_step *k, uint32_t *to)
{
	int p = fl_cycles_is_progress(C->s, C->spec, C->cur, C->next, k);
	if (p < 0)
		return fl_fail(C->e, FL_EINTERNAL, "cycle search: a step failed that the search took");
	*to = NONE;
	if (p)
		return FL_OK;
	if (memcmp(C->next, C->cur, C->s->width) == 0) {
		*to = i;
		return FL_OK;
	}
	long j = fl_store_find(C->st, C->next, fl_store_hash(C->st, C->next));
	if (j < 0)
		return fl_fail(C->e, FL_EINTERNAL, "cycle search: a successor is missing from the store");
	*to = (uint32_t)j;
	return FL_OK;
}

/* --- 1. the graph of non-progress edges ------------------------------------------------- */

static int add_edge(struct cyc *C, uint32_t to)
{
	if (C->nedges == C->cap) {
		size_t cap = C->cap ? C->cap * 2 : 4096;
		int rc = resize(C, &C->to, C->cap * sizeof *C->to, cap * sizeof *C->to);
		if (rc != FL_OK)
			return rc;
		C->cap = cap;
	}
	C->to[C->nedges++] = to;
	return FL_OK;
}

static int build_state(struct cyc *C, uint32_t i)
{
	int n = load(C, i);
	for (int k = 0; k < n; k++) {
		uint32_t to;
		int rc = follow(C, i, &C->steps[k], &to);
		if (rc == FL_OK && to != NONE)
			rc = add_edge(C, to);
		if (rc != FL_OK)
			return rc;
	}
	return n < 0 ? n : FL_OK;
}

static int build(struct cyc *C)
{
	int rc = zeroed(C, &C->off, C->n + 1, sizeof *C->off);
	for (size_t i = 0; i < C->n && rc == FL_OK; i++) {
		C->off[i] = C->nedges;
		rc = build_state(C, (uint32_t)i);
	}
	if (rc == FL_OK)
		C->off[C->n] = C->nedges;
	return rc;
}

/* --- 2. components and their fairness --------------------------------------------------- */

static int in_comp(const struct cyc *C, uint32_t i, uint32_t id)
{
	return C->num[i] == DONE && C->low[i] == id;
}

/* Adds state i's enabled instances to C->en (cleared first) and, to C->taken, the instances
 * with a non-progress edge from i into component id. */
static int member(struct cyc *C, uint32_t i, uint32_t id)
{
	int n = load(C, i);
	memset(C->en, 0, C->words * sizeof *C->en);
	for (int k = 0; k < n; k++) {
		unsigned inst = C->steps[k].inst;
		bit_set(C->en, inst);
		if (bit_get(C->taken, inst))
			continue;
		uint32_t to;
		int rc = follow(C, i, &C->steps[k], &to);
		if (rc != FL_OK)
			return rc;
		if (to != NONE && in_comp(C, to, id))
			bit_set(C->taken, inst);
	}
	return n < 0 ? n : FL_OK;
}

/* *fair = 1 if every instance takes an edge inside component id (states m[0..size)) or is
 * disabled in one of its states: once the instances enabled everywhere so far are all among
 * those taking an edge, that stays so, and the test stops. */
static int fair(struct cyc *C, const uint32_t *m, size_t size, uint32_t id, int *ok)
{
	for (size_t w = 0; w < C->words; w++) {
		C->always[w] = word_mask(C, w);
		C->taken[w] = 0;
	}
	*ok = 0;
	for (size_t q = 0; q < size && !*ok; q++) {
		int rc = member(C, m[q], id);
		if (rc != FL_OK)
			return rc;
		for (size_t w = 0; w < C->words; w++)
			C->always[w] &= C->en[w];
		*ok = subset(C, C->always, C->taken);
	}
	return FL_OK;
}

/* 1 if state i comes before the best entry so far (shallower, or as deep and stored first). */
static int better(const struct cyc *C, uint32_t i)
{
	uint32_t d = fl_store_depth(C->st, i);
	return !C->found || d < C->depth || (d == C->depth && i < C->entry);
}

/* Judges component id, whose states are m[0..size). */
static int judge(struct cyc *C, const uint32_t *m, size_t size, uint32_t id)
{
	uint32_t e = m[0];
	for (size_t q = 1; q < size; q++)
		if (fl_store_depth(C->st, m[q]) < fl_store_depth(C->st, e) ||
		    (fl_store_depth(C->st, m[q]) == fl_store_depth(C->st, e) && m[q] < e))
			e = m[q];
	if (!better(C, e))
		return FL_OK; /* it could not be the one reported */
	int ok;
	int rc = fair(C, m, size, id, &ok);
	if (rc == FL_OK && ok) {
		C->found = 1;
		C->best = id;
		C->entry = e;
		C->depth = fl_store_depth(C->st, e);
	}
	return rc;
}

static int self_loop(const struct cyc *C, uint32_t v)
{
	for (size_t e = C->off[v]; e < C->off[v + 1]; e++)
		if (C->to[e] == v)
			return 1;
	return 0;
}

/* v is the root of a component: pops it off the stack, names it, judges it if it has an edge. */
static int component(struct cyc *C, uint32_t v)
{
	size_t p = C->sp;
	do
		p--;
	while (C->stack[p] != v);
	uint32_t id = C->ncomp++;
	const uint32_t *m = C->stack + p;
	size_t size = C->sp - p;
	for (size_t q = 0; q < size; q++) {
		C->num[m[q]] = DONE;
		C->low[m[q]] = id;
	}
	int rc = size > 1 || self_loop(C, v) ? judge(C, m, size, id) : FL_OK;
	C->sp = p;
	return rc;
}

static int visit(struct cyc *C, uint32_t w)
{
	if (C->nfr == C->frcap) {
		size_t cap = C->frcap ? C->frcap * 2 : 4096;
		int rc = resize(C, &C->fr, C->frcap * sizeof *C->fr, cap * sizeof *C->fr);
		if (rc != FL_OK)
			return rc;
		C->frcap = cap;
	}
	C->num[w] = C->low[w] = ++C->counter;
	C->stack[C->sp++] = w;
	C->fr[C->nfr++] = (struct frame){w, C->off[w]};
	return FL_OK;
}

/* Tarjan's algorithm from root, with an explicit stack of frames instead of recursion. */
static int tarjan_from(struct cyc *C, uint32_t root)
{
	int rc = visit(C, root);
	while (rc == FL_OK && C->nfr) {
		struct frame *f = &C->fr[C->nfr - 1];
		uint32_t v = f->v;
		if (f->e < C->off[v + 1]) {
			uint32_t w = C->to[f->e++];
			if (!C->num[w])
				rc = visit(C, w);
			else if (C->num[w] != DONE && C->num[w] < C->low[v])
				C->low[v] = C->num[w]; /* w is on the stack */
			continue;
		}
		C->nfr--;
		uint32_t lv = C->low[v];
		if (lv == C->num[v])
			rc = component(C, v);
		else if (C->nfr && lv < C->low[C->fr[C->nfr - 1].v])
			C->low[C->fr[C->nfr - 1].v] = lv;
	}
	return rc;
}

static int tarjan(struct cyc *C)
{
	int rc = FL_OK;
	for (size_t i = 0; i < C->n && rc == FL_OK; i++)
		if (!C->num[i])
			rc = tarjan_from(C, (uint32_t)i);
	return rc;
}

/* --- 3. the lasso ----------------------------------------------------------------------- */

static uint32_t local_id(const struct cyc *C, uint32_t i)
{
	size_t lo = 0, hi = C->nm;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (C->mem[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return (uint32_t)lo;
}

static int add_local(struct cyc *C, uint32_t to, unsigned inst)
{
	if (C->nle == C->lcap) {
		size_t cap = C->lcap ? C->lcap * 2 : 1024;
		int rc = resize(C, &C->lto, C->lcap * sizeof *C->lto, cap * sizeof *C->lto);
		if (rc == FL_OK)
			rc = resize(C, &C->linst, C->lcap * sizeof *C->linst, cap * sizeof *C->linst);
		if (rc != FL_OK)
			return rc;
		C->lcap = cap;
	}
	C->lto[C->nle] = to;
	C->linst[C->nle++] = (uint16_t)inst;
	return FL_OK;
}

/* Local node u: its enabled instances and its non-progress edges inside the component. */
static int local_state(struct cyc *C, uint32_t u)
{
	int n = load(C, C->mem[u]);
	uint64_t *en = C->lenabled + (size_t)u * C->words;
	for (int k = 0; k < n; k++) {
		bit_set(en, C->steps[k].inst);
		uint32_t to;
		int rc = follow(C, C->mem[u], &C->steps[k], &to);
		if (rc == FL_OK && to != NONE && in_comp(C, to, C->best))
			rc = add_local(C, local_id(C, to), C->steps[k].inst);
		if (rc != FL_OK)
			return rc;
	}
	return n < 0 ? n : FL_OK;
}

static int local_graph(struct cyc *C)
{
	for (size_t i = 0; i < C->n; i++)
		if (in_comp(C, (uint32_t)i, C->best))
			C->nm++;
	int rc = zeroed(C, &C->mem, C->nm, sizeof *C->mem);
	if (rc == FL_OK)
		rc = zeroed(C, &C->lenabled, C->nm * C->words, sizeof *C->lenabled);
	if (rc == FL_OK)
		rc = zeroed(C, &C->loff, C->nm + 1, sizeof *C->loff);
	if (rc != FL_OK)
		return rc;
	for (size_t i = 0, u = 0; i < C->n; i++)
		if (in_comp(C, (uint32_t)i, C->best))
			C->mem[u++] = (uint32_t)i;
	for (uint32_t u = 0; u < C->nm && rc == FL_OK; u++) {
		C->loff[u] = C->nle;
		rc = local_state(C, u);
	}
	C->loff[C->nm] = C->nle;
	if (rc == FL_OK)
		rc = zeroed(C, &C->stamp, C->nm, sizeof *C->stamp);
	if (rc == FL_OK)
		rc = zeroed(C, &C->queue, C->nm, sizeof *C->queue);
	if (rc == FL_OK)
		rc = zeroed(C, &C->pnode, C->nm, sizeof *C->pnode);
	if (rc == FL_OK)
		rc = zeroed(C, &C->pedge, C->nm, sizeof *C->pedge);
	return rc;
}

/* Being at local node u meets the requirement of every instance disabled there. */
static void arrive(struct cyc *C, uint32_t u)
{
	const uint64_t *en = C->lenabled + (size_t)u * C->words;
	for (size_t w = 0; w < C->words; w++)
		C->met[w] |= ~en[w] & word_mask(C, w);
}

static int all_met(const struct cyc *C)
{
	for (size_t w = 0; w < C->words; w++)
		if (C->met[w] != word_mask(C, w))
			return 0;
	return 1;
}

/* Makes room for extra more loop edges. */
static int reserve(struct cyc *C, size_t extra)
{
	size_t cap = C->pcap;
	while (C->npath + extra > cap)
		cap = cap ? cap * 2 : 64;
	if (cap == C->pcap)
		return FL_OK;
	int rc = resize(C, &C->path, C->pcap * sizeof *C->path, cap * sizeof *C->path);
	if (rc == FL_OK)
		C->pcap = cap;
	return rc;
}

/* Appends the BFS tree path from a to u, then edge e unless NO_EDGE, and meets what they meet.
 * *end receives where the path ends. */
static int path_to(struct cyc *C, uint32_t a, uint32_t u, size_t e, uint32_t *end)
{
	size_t from = C->npath, k = 0;
	for (uint32_t x = u; x != a; x = C->pnode[x])
		k++;
	int rc = reserve(C, k + 1);
	if (rc != FL_OK)
		return rc;
	C->npath += k;
	for (uint32_t x = u; x != a; x = C->pnode[x])
		C->path[from + --k] = C->pedge[x];
	if (e != NO_EDGE)
		C->path[C->npath++] = e;
	for (size_t q = from; q < C->npath; q++) {
		bit_set(C->met, C->linst[C->path[q]]);
		arrive(C, C->lto[C->path[q]]);
	}
	*end = e != NO_EDGE ? C->lto[e] : u;
	return FL_OK;
}

/* A stamp no local node carries yet. */
static uint32_t fresh_stamp(struct cyc *C)
{
	if (++C->gen == 0) {
		memset(C->stamp, 0, C->nm * sizeof *C->stamp);
		C->gen = 1;
	}
	return C->gen;
}

/* 1 if local node u is a goal: home itself, or (home = NONE) where an unmet instance is
 * disabled. */
static int goal(const struct cyc *C, uint32_t u, uint32_t home)
{
	if (home != NONE)
		return u == home;
	const uint64_t *en = C->lenabled + (size_t)u * C->words;
	for (size_t w = 0; w < C->words; w++)
		if (~en[w] & ~C->met[w] & word_mask(C, w))
			return 1;
	return 0;
}

/* Breadth first from local node a to the nearest goal: home (home != NONE), or a state or an
 * edge meeting an unmet requirement. Appends the path; *end receives where it ends. */
static int seek(struct cyc *C, uint32_t a, uint32_t home, uint32_t *end)
{
	size_t head = 0, tail = 0;
	uint32_t g = fresh_stamp(C);
	C->stamp[a] = g;
	C->queue[tail++] = a;
	while (head < tail) {
		uint32_t u = C->queue[head++];
		if (u != a && goal(C, u, home))
			return path_to(C, a, u, NO_EDGE, end);
		for (size_t e = C->loff[u]; e < C->loff[u + 1]; e++) {
			uint32_t w = C->lto[e];
			if (home == NONE && !bit_get(C->met, C->linst[e]))
				return path_to(C, a, u, e, end);
			if (C->stamp[w] != g) {
				C->stamp[w] = g;
				C->pnode[w] = u;
				C->pedge[w] = e;
				C->queue[tail++] = w;
			}
		}
	}
	return fl_fail(C->e, FL_EINTERNAL, "cycle search: the component has no fair loop");
}

static int make_loop(struct cyc *C)
{
	uint32_t home = local_id(C, C->entry), at = home;
	memset(C->met, 0, C->words * sizeof *C->met);
	arrive(C, home);
	int rc = FL_OK;
	while (rc == FL_OK && !all_met(C))
		rc = seek(C, at, NONE, &at);
	if (rc == FL_OK && at != home)
		rc = seek(C, at, home, &at);
	if (rc == FL_OK && (C->npath == 0 || C->npath > INT_MAX / 2))
		rc = fl_fail(C->e, FL_EINTERNAL, "cycle search: a loop of %zu steps", C->npath);
	return rc;
}

/* The step of local edge e from local node u, found again by expanding u's state. */
static int edge_step(struct cyc *C, uint32_t u, size_t e, struct fl_step *out)
{
	int n = load(C, C->mem[u]);
	for (int k = 0; k < n; k++) {
		if (C->steps[k].inst != C->linst[e])
			continue;
		uint32_t to;
		int rc = follow(C, C->mem[u], &C->steps[k], &to);
		if (rc != FL_OK)
			return rc;
		if (to == C->mem[C->lto[e]]) {
			*out = C->steps[k];
			return FL_OK;
		}
	}
	return n < 0 ? n : fl_fail(C->e, FL_EINTERNAL, "cycle search: a loop step is gone");
}

/* "a, b and c cycle forever through N states without any record making progress." */
static void loop_why(struct cyc *C, struct fl_buf *b)
{
	memset(C->met, 0, C->words * sizeof *C->met);
	size_t states = 0, names = 0;
	uint32_t g = fresh_stamp(C), u = local_id(C, C->entry);
	for (size_t q = 0; q < C->npath; q++) {
		if (C->stamp[u] != g)
			states++;
		C->stamp[u] = g;
		if (!bit_get(C->met, C->linst[C->path[q]]))
			names++;
		bit_set(C->met, C->linst[C->path[q]]);
		u = C->lto[C->path[q]];
	}
	for (int i = 0, k = 0; i < C->s->ninst; i++) {
		if (!bit_get(C->met, (unsigned)i))
			continue;
		k++;
		fl_buf_printf(b, "%s%s", k == 1 ? "" : (size_t)k == names ? " and " : ", ",
			      C->s->inst[i].name);
	}
	fl_buf_printf(b, " cycle%s forever through %zu state%s without any record making progress.",
		      names == 1 ? "s" : "", states, states == 1 ? "" : "s");
}

static int report(struct cyc *C, struct fl_violation *v)
{
	struct fl_step *loop = fl_alloc(C->npath * sizeof *loop);
	if (!loop)
		return fl_fail(C->e, FL_ENOMEM, "memory ran out during the cycle search");
	int rc = FL_OK;
	uint32_t u = local_id(C, C->entry);
	for (size_t q = 0; q < C->npath && rc == FL_OK; q++) {
		rc = edge_step(C, u, C->path[q], &loop[q]);
		u = C->lto[C->path[q]];
	}
	struct fl_buf b = {0};
	char *why = NULL;
	if (rc == FL_OK) {
		loop_why(C, &b);
		why = b.oom ? NULL : fl_strdup(fl_buf_str(&b));
		if (!why)
			rc = fl_fail(C->e, FL_ENOMEM, "memory ran out during the cycle search");
	}
	fl_buf_fini(&b);
	if (rc != FL_OK) {
		fl_free(loop);
		return rc;
	}
	*v = (struct fl_violation){.found = 1, .state = C->entry, .why = why,
				   .loop_len = (int)C->npath, .loop = loop};
	return FL_OK;
}

/* --- the pass --------------------------------------------------------------------------- */

static int setup(struct cyc *C)
{
	int rc = zeroed(C, &C->cur, C->s->width, 1);
	if (rc == FL_OK)
		rc = zeroed(C, &C->next, C->s->width, 1);
	if (rc == FL_OK)
		rc = zeroed(C, &C->steps, FL_MAX_STEPS, sizeof *C->steps);
	uint64_t **bits[] = {&C->always, &C->taken, &C->en, &C->met};
	for (size_t i = 0; i < sizeof bits / sizeof *bits && rc == FL_OK; i++)
		rc = zeroed(C, bits[i], C->words, sizeof(uint64_t));
	if (rc == FL_OK)
		rc = zeroed(C, &C->num, C->n, sizeof *C->num);
	if (rc == FL_OK)
		rc = zeroed(C, &C->low, C->n, sizeof *C->low);
	if (rc == FL_OK)
		rc = zeroed(C, &C->stack, C->n, sizeof *C->stack);
	return rc;
}

/* The graph and Tarjan's stacks are not needed for the lasso (num and low are). */
static void drop_graph(struct cyc *C)
{
	release(C, &C->to, C->cap * sizeof *C->to);
	release(C, &C->off, (C->n + 1) * sizeof *C->off);
	release(C, &C->stack, C->n * sizeof *C->stack);
	release(C, &C->fr, C->frcap * sizeof *C->fr);
}

static void cleanup(struct cyc *C)
{
	void *p[] = {C->cur, C->next, C->steps, C->always, C->taken, C->en, C->met, C->off,
		     C->to, C->num, C->low, C->stack, C->fr, C->mem, C->lenabled, C->loff, C->lto,
		     C->linst, C->stamp, C->queue, C->pnode, C->pedge, C->path};
	for (size_t i = 0; i < sizeof p / sizeof *p; i++)
		fl_free(p[i]);
}

int fl_cycles_check(const struct fl_sys *s, const struct fl_store *st, int spec,
		    const struct fl_cycles_limits *lim, struct fl_violation *v, struct fl_err *e)
{
	struct cyc C = {.s = s, .st = st, .spec = spec, .lim = lim, .e = e, .n = st->count,
			.words = fl_cycles_words(s)};
	int rc = setup(&C);
	if (rc == FL_OK)
		rc = build(&C);
	if (rc == FL_OK)
		rc = tarjan(&C);
	if (rc == FL_OK && C.found) {
		drop_graph(&C);
		rc = local_graph(&C);
		if (rc == FL_OK)
			rc = make_loop(&C);
		if (rc == FL_OK)
			rc = report(&C, v);
	}
	cleanup(&C);
	return rc;
}

/*
 * search.h - exhaustive and sampled exploration of a system's state space.
 *
 * BFS (default) visits states level by level, so the first violation found for a spec has a
 * shortest trace. DFS uses an explicit stack. Random walks sample long runs of systems too
 * large to exhaust; they never claim a spec holds. All three share the visited store, which
 * keeps each state's parent and step, so any violation can be traced back to the start.
 *
 * Safety specs are checked on every transition (including into states seen before); eventual
 * specs on every state at rest: one where no normal step and no timeout step changes anything;
 * cycles specs once the exhaustive search is complete, on the stored graph (cycles.h).
 */
#ifndef FL_SEARCH_H
#define FL_SEARCH_H

#include "store.h"
#include "sys.h"

enum fl_search_mode { FL_BFS, FL_DFS, FL_RANDOM };

#define FL_MAX_THREADS 64

/* How visited states are kept. EXACT: every state in full (traces, cycles specs, no doubt);
 * FINGERPRINT: a 64-bit hash per state (a state may be missed with the printed probability);
 * BITSTATE: a few bits per state (bug hunting: states are missed, a run never says "holds"
 * for sure). */
enum fl_storage { FL_STORAGE_EXACT = 0, FL_STORAGE_FINGERPRINT = 1, FL_STORAGE_BITSTATE = 2 };

struct fl_search_opts {
	enum fl_search_mode mode;
	uint64_t seed;        /* random walks */
	long walks, depth;    /* random walks: how many, how long each */
	size_t max_states;    /* 0 = no limit */
	size_t max_memory;    /* bytes for the store; 0 = no limit */
	double time_limit;    /* seconds; 0 = no limit */
	int progress;         /* 1: a progress line on stderr about once a second */
	int threads;          /* BFS worker threads; 0 or 1: one (at most FL_MAX_THREADS) */
	int storage;          /* enum fl_storage to start with */
	int no_fallback;      /* 1: a full store ends the run instead of changing mode (BFS
				 otherwise goes on from EXACT to FINGERPRINT to BITSTATE) */
};

struct fl_violation {
	int found;
	uint32_t state;       /* the state the trace ends in (at rest), the parent of the step, or
				 the state a lasso's loop starts and ends in */
	int via_step;         /* 1: the trace ends with `step` taken from `state` */
	struct fl_step step;
	char *why;            /* one sentence, owned by the result */
	int loop_len;         /* cycles specs: steps of the loop (0: no loop) */
	struct fl_step *loop; /* the loop from `state` back to it (cycles.h), owned by the result */
};

struct fl_result {
	int complete;           /* 1: every reachable state was explored */
	int decided;            /* 1: every checked spec has a verdict (all violated, or complete) */
	char stop_reason[160];  /* why an incomplete run stopped */
	size_t states;
	size_t transitions;     /* steps taken that changed the state (stutters are not counted) */
	unsigned depth;
	double seconds;
	size_t store_bytes;
	long peak_rss;          /* bytes */
	int threads;            /* BFS workers that ran */
	int storage;            /* enum fl_storage at the end of the run */
	size_t fallback_at[2];  /* states stored when the store left EXACT (index 0) and
				   FINGERPRINT (1) for the memory limit; 0 = it did not */
	double expected_misses; /* fl_store_expected_misses: states the run may have missed */
	uint32_t checked;       /* specs checked */
	uint32_t violated;      /* specs found violated (reachable specs: found reached) */
	struct fl_violation viol[FL_MAX_SPECS];

	/* Coverage, over every state expanded (checker/coverage.h reads it). */
	int coverage;           /* enum fl_coverage_scope: what the figures below stand for */
	uint64_t *enabled;      /* per instance: bit a = a step with action a (not an injected
				   fault) was enabled in some expanded state; owned by the result */
	uint8_t *injected;      /* per budget entry: 1 = one of its faults changed some state */
	uint32_t events;        /* bit t = some step emitted an event of type t */
	size_t rest_states;     /* states at rest found (eventually specs are judged on them) */
};

/* FL_COVER_NONE: an exhaustive search that stopped early (its coverage says nothing);
 * FL_COVER_ALL: a complete search; FL_COVER_SAMPLED: random walks that ran to the end. */
enum fl_coverage_scope { FL_COVER_NONE = 0, FL_COVER_ALL = 1, FL_COVER_SAMPLED = 2 };

/*
 * Explores s into the store st (initialised by this call; the caller calls fl_store_fini after
 * reading traces). Returns FL_OK (see r for verdicts, including incomplete runs) or a negative
 * code for an internal error, with e filled.
 */
int fl_search_run(const struct fl_sys *s, const struct fl_search_opts *o, struct fl_store *st,
		  struct fl_result *r, struct fl_err *e);

void fl_result_fini(struct fl_result *r);

/* Peak resident set size of this process in bytes (0 if unknown). */
long fl_peak_rss(void);

#endif

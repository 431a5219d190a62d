/*
 * coverage.h - vacuity and coverage warnings: what a search never saw, read from the coverage
 * fields of struct fl_result (collected by search.c).
 *
 * Three kinds of warning: an action a component could take (fl_kind.possible) that was never
 * enabled in any explored state, in any of its regions (a per-region component is judged as
 * a whole: an active-passive design's passive region is idle by design); a budget fault that never changed a state; a spec that holds
 * vacuously (a safety spec none of whose watched event types ever occurred, an eventually spec
 * with no state at rest to judge). Only complete searches and random walks that ran to their
 * end have coverage; an exhaustive search stopped by a limit or by its verdicts has none.
 */
#ifndef FL_COVERAGE_H
#define FL_COVERAGE_H

#include "search.h"

enum fl_cov_type { FL_COV_ACTION, FL_COV_FAULT, FL_COV_SPEC };

struct fl_cov_warning {
	int type;              /* enum fl_cov_type */
	const char *component; /* ACTION: the component; FAULT: the instance; SPEC: the spec */
	const char *what;      /* the action ("restart", "phase 3 (recover q[1])"), the fault
				  ("outage", "lost-response (region 2)"), or why a spec is vacuous */
	const char *text;      /* the whole warning as one sentence */
};

typedef void (*fl_cov_fn)(void *ctx, const struct fl_cov_warning *w);

/*
 * Calls fn for every warning of r (a finished search of s), in the order actions, faults,
 * specs; the strings live only during the call. Returns how many there were (0 when r has no
 * coverage), or FL_ENOMEM. fn may be NULL to count them.
 */
int fl_coverage_warnings(const struct fl_sys *s, const struct fl_result *r, fl_cov_fn fn, void *ctx);

#endif

/*
 * twophase.h - the Gray-Lamport two-phase commit (Lamport's TwoPhase.tla) as a faultline
 * system built by hand, without a scenario file: a known-answer model for the core (its
 * distinct-state counts are published for N = 3..10) and the workload of bench/twophase.c.
 */
#ifndef FL_TEST_TWOPHASE_H
#define FL_TEST_TWOPHASE_H

#include "../checker/sys.h"

#include <stddef.h>

#define TWOPHASE_MIN_RM 1
#define TWOPHASE_MAX_RM 15 /* 4N + 4 bits must fit the 64-bit word the kind works in */

/* Variant flags for twophase_sys_variant. */
enum {
	TWOPHASE_BROKEN_COMMIT = 1 /* TMCommit does not wait for every RM to be prepared */
};

extern const struct fl_kind twophase_kind;
extern const struct fl_spec_kind twophase_consistent_kind;

/*
 * Builds into s (which the caller zeroed) the system of one transaction manager and n
 * resource managers (TWOPHASE_MIN_RM..TWOPHASE_MAX_RM): one "twophase" instance whose slice
 * packs the whole state into ceil((4n + 4) / 8) bytes, and the safety spec "consistent"
 * (TCConsistent), checked and expected to hold. Returns FL_OK, or FL_EINPUT for a bad n or
 * FL_ENOMEM, with e filled; on failure s holds nothing. The caller frees s with fl_sys_free.
 */
int twophase_sys(struct fl_sys *s, int n, struct fl_err *e);

/* twophase_sys with variant flags (TWOPHASE_*; 0 = the model as published). */
int twophase_sys_variant(struct fl_sys *s, int n, unsigned flags, struct fl_err *e);

/* Distinct states TLC reports for n RMs (n = 3..10), or 0 when none is published here. */
size_t twophase_expected_states(int n);

#endif

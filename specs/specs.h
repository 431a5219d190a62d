/*
 * specs.h - the spec monitors: what the checker promises to check, by name.
 *
 * Each monitor sees the events of every step (safety) or states at rest (eventually), or says
 * which steps are progress (cycles, judged by checker/cycles.c), and on a violation says in
 * one sentence what broke. Monitors know the domain (model/model.h).
 */
#ifndef FL_SPECS_H
#define FL_SPECS_H

#include "../checker/sys.h"

extern const struct fl_spec_kind spec_correctness_kind, spec_delivery_kind,
	spec_no_duplicates_kind, spec_ordering_kind, spec_data_loss_kind, spec_progress_kind,
	spec_reachable_kind;

/* Spec table, NULL-terminated, in the order verdicts are printed. */
extern const struct fl_spec_kind *const fl_spec_kinds[];

#endif

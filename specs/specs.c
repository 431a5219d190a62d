/*
 * specs.c - the table of spec monitors.
 */
#include "specs.h"

const struct fl_spec_kind *const fl_spec_kinds[] = {&spec_correctness_kind, &spec_delivery_kind,
						    &spec_no_duplicates_kind, &spec_ordering_kind,
						    &spec_data_loss_kind, &spec_progress_kind,
						    &spec_reachable_kind, NULL};

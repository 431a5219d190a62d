/*
 * progress.c - spec `progress` (cycles): no reachable, weakly fair cycle of steps in which no
 * record makes progress, such as a container restarting forever against a dependency that
 * stays failed, or a busy retry that changes nothing. States at rest cannot show this; the
 * explorer judges it on the cycles of the state graph after an exhaustive search
 * (checker/cycles.h). This file only says which steps are progress.
 */
#include "../model/model.h"
#include "specs.h"

/* A record moved on: published, removed from an input, replicated, or accepted, written or
 * delivered for the first time (other == 1 marks a repeat). Any other event, including event
 * types added later, is not progress. */
static int is_progress(const struct fl_event *x)
{
	switch (x->type) {
	case EV_PUBLISH:
	case EV_REMOVE:
	case EV_REPLICATE:
		return 1;
	case EV_ENQUEUE:
	case EV_DB_WRITE:
	case EV_DELIVER:
		return x->other == 0;
	default:
		return 0;
	}
}

static int progress(const struct fl_sys *s, const struct fl_events *ev)
{
	(void)s;
	for (int i = 0; i < ev->n; i++)
		if (is_progress(&ev->e[i]))
			return 1;
	return 0;
}

const struct fl_spec_kind spec_progress_kind = {
	.name = "progress",
	.summary = "no reachable, weakly fair cycle of steps in which no record makes progress "
		   "(a restart loop, a busy retry)",
	.cycles = 1,
	.progress = progress,
};

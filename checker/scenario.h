/*
 * scenario.h - builds a system from a scenario file (see docs/scenarios.md for every key).
 *
 * The loader is generic: it is handed the kind and spec tables, looks names up in them and
 * lets each kind read its own options. Every mistake is reported as file:line:col with a hint.
 */
#ifndef FL_SCENARIO_H
#define FL_SCENARIO_H

#include "sys.h"

struct fl_scn_opts {
	const char *const *sets;   /* "--set" assignments, applied in order */
	int nsets;
	const char *const *specs;  /* --spec names: check only these (NULL/0 = the scenario's) */
	int nspecs;
};

/*
 * Loads path into s (zeroed first). kinds and spec_kinds are NULL-terminated tables.
 * Returns FL_OK, or FL_EINPUT/FL_ENOMEM with e filled; s is then freed already.
 */
int fl_scn_load(const char *path, const struct fl_scn_opts *o, const struct fl_kind *const *kinds,
		const struct fl_spec_kind *const *spec_kinds, struct fl_sys *s, struct fl_err *e);

#endif

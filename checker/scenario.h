/*
 * scenario.h - builds a system from a scenario file (see docs/scenarios.md for every key).
 *
 * The loader is generic: it is handed the kind and spec tables, looks names up in them and
 * lets each kind read its own options. Every mistake is reported as file:line:col with a hint.
 *
 * A file may define design variants (`variants:`): each is the file with its own `set:`
 * overrides applied and its `expect:` merged over the file's. fl_scn_variants lists them;
 * fl_scn_load builds one of them when fl_scn_opts.variant names it.
 */
#ifndef FL_SCENARIO_H
#define FL_SCENARIO_H

#include "sys.h"

#define FL_VARIANT_NAME_MAX 63 /* a variant name is 1..63 of a-z, 0-9 and - */
#define FL_MAX_VARIANTS 100    /* variants in one file */

struct fl_scn_opts {
	const char *const *sets;   /* "--set" assignments, applied in order */
	int nsets;
	const char *const *specs;  /* --spec names: check only these (NULL/0 = the scenario's) */
	int nspecs;
	const char *variant;       /* the variant to build (NULL or "" = the file as written, no
				      variant applied); its `set:` goes before `sets`, which win */
};

/*
 * Loads path into s (zeroed first). kinds and spec_kinds are NULL-terminated tables.
 * Returns FL_OK, or FL_EINPUT/FL_ENOMEM with e filled; s is then freed already.
 */
int fl_scn_load(const char *path, const struct fl_scn_opts *o, const struct fl_kind *const *kinds,
		const struct fl_spec_kind *const *spec_kinds, struct fl_sys *s, struct fl_err *e);

/* One entry of a file's `variants:` list, for callers that iterate over them. */
struct fl_scn_variant {
	char *name;  /* as written: [a-z0-9-]+ */
	char *about; /* its `about:` line, or NULL */
	char *sets;  /* its `set:` as text, "path=value, path=value" ("" when it sets nothing) */
};

/*
 * Reads path's `variants:` list, in file order, into *out (an array of *n entries, owned by
 * the caller: free it with fl_scn_variants_free). A file without `variants:` gives *n = 0 and
 * *out = NULL. The list's shape is checked (names, keys, types) but no variant is applied:
 * a `set:` path or value that does not fit is reported by fl_scn_load of that variant.
 * Returns FL_OK, or FL_EINPUT/FL_ENOMEM with e filled (*out is then NULL, *n 0).
 */
int fl_scn_variants(const char *path, struct fl_scn_variant **out, int *n, struct fl_err *e);
void fl_scn_variants_free(struct fl_scn_variant *v, int n);

#endif

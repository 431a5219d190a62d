/*
 * support.c - shared test helpers (see support.h).
 */
#include "support.h"

#include "../model/model.h"
#include "../specs/specs.h"

#include <criterion/criterion.h>
#include <glob.h>
#include <string.h>

void fl_test_check(const char *path, const char *const *sets, const struct fl_search_opts *opts,
		   struct fl_test_run *out)
{
	const char *no_sets[] = {NULL};
	int nsets = 0;
	if (!sets)
		sets = no_sets;
	while (sets[nsets])
		nsets++;
	struct fl_scn_opts so = {sets, nsets, NULL, 0};
	struct fl_search_opts bfs = {.mode = FL_BFS};
	struct fl_err e = {0};
	memset(out, 0, sizeof *out);
	int rc = fl_scn_load(path, &so, fl_kinds, fl_spec_kinds, &out->s, &e);
	cr_assert_eq(rc, FL_OK, "loading %s: %s", path, e.msg);
	rc = fl_search_run(&out->s, opts ? opts : &bfs, &out->st, &out->r, &e);
	cr_assert_eq(rc, FL_OK, "searching %s: %s", path, e.msg);
	for (int i = 0; i < out->s.nspec; i++) {
		if (!(out->r.violated >> i & 1u))
			continue;
		cr_assert_eq(fl_trace_build(&out->s, &out->st, &out->r.viol[i], i, &out->tr[i]), FL_OK);
		struct fl_err re = {0};
		cr_assert_eq(fl_trace_replay(&out->s, &out->tr[i], &re), FL_OK,
			     "%s: the %s counterexample does not replay: %s", path,
			     out->s.spec[i].kind->name, re.msg);
	}
}

void fl_test_run_fini(struct fl_test_run *t)
{
	for (int i = 0; i < FL_MAX_SPECS; i++)
		fl_trace_fini(&t->tr[i]);
	fl_result_fini(&t->r);
	fl_store_fini(&t->st);
	fl_sys_free(&t->s);
}

int fl_test_spec(const struct fl_test_run *t, const char *name)
{
	for (int i = 0; i < t->s.nspec; i++)
		if (strcmp(t->s.spec[i].kind->name, name) == 0)
			return i;
	cr_assert_fail("no spec %s", name);
	return -1;
}

int fl_test_violated(const struct fl_test_run *t, const char *name)
{
	return (int)(t->r.violated >> fl_test_spec(t, name) & 1u);
}

struct fl_test_path *fl_test_scenarios(size_t *n)
{
	glob_t g;
	*n = 0;
	if (glob("scenarios/*/*.yaml", 0, NULL, &g) != 0)
		return NULL;
	struct fl_test_path *p = cr_malloc(g.gl_pathc * sizeof *p);
	for (size_t i = 0; p && i < g.gl_pathc; i++)
		snprintf(p[i].path, sizeof p[i].path, "%s", g.gl_pathv[i]);
	*n = p ? g.gl_pathc : 0;
	globfree(&g);
	return p;
}

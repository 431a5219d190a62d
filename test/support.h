/*
 * support.h - what the search and model tests share: load a scenario with overrides, run a
 * search on it, and rebuild and replay every counterexample it found.
 */
#ifndef FL_TEST_SUPPORT_H
#define FL_TEST_SUPPORT_H

#include "../checker/scenario.h"
#include "../checker/search.h"
#include "../checker/trace.h"

struct fl_test_run {
	struct fl_sys s;
	struct fl_store st;
	struct fl_result r;
	struct fl_trace tr[FL_MAX_SPECS]; /* built for every violated spec */
};

/* Loads path with the given --set overrides (NULL-terminated, may be NULL) and explores it
 * with opts (NULL = plain BFS). Asserts that loading and searching succeed; builds and replays
 * every counterexample, asserting that each replays. */
void fl_test_check(const char *path, const char *const *sets, const struct fl_search_opts *opts,
		   struct fl_test_run *out);

/* fl_test_check of one design variant of path (NULL or "" = the file as written). */
void fl_test_check_variant(const char *path, const char *variant, const char *const *sets,
			   const struct fl_search_opts *opts, struct fl_test_run *out);
void fl_test_run_fini(struct fl_test_run *t);

/* Writes t as JSON to a temporary file, reads it back (replay.h) and asserts that it follows
 * on s to the same steps, shape and reason. fl_test_check does this for every trace. */
void fl_test_json_round_trip(const struct fl_sys *s, const struct fl_scn_opts *so,
			     const struct fl_trace *t);

/* Index of the spec called name in t's system; asserts it exists. */
int fl_test_spec(const struct fl_test_run *t, const char *name);

/* 1 if spec name was found violated. */
int fl_test_violated(const struct fl_test_run *t, const char *name);

/* Every scenario under scenarios/ (relative to the repo root), for parameterized tests: one
 * entry per file without variants (variant ""), one per variant of a file with variants. */
struct fl_test_path {
	char path[256];
	char variant[64]; /* "" = the file as written */
};
struct fl_test_path *fl_test_scenarios(size_t *n);

/* The same for the files matching a glob pattern, in a malloc'd array (the caller frees it;
 * fl_test_scenarios copies it into Criterion's memory for parameterized tests). A file whose
 * variants cannot be listed gets one entry without a variant, so that loading it reports why. */
struct fl_test_path *fl_test_scenarios_matching(const char *pattern, size_t *n);

/* Under ASan, fails the test if LeakSanitizer finds a leak now (Criterion would count a test
 * as passed even when LeakSanitizer reports at the worker's exit). A no-op otherwise. */
void fl_test_no_leaks(void);

/* Writes text to a new file under /tmp; path receives its name. The caller unlinks it. */
void fl_test_write_temp(const char *text, char path[64]);

/* The whole file as a NUL-terminated string (malloc'd; the caller frees it). */
char *fl_test_read_file(const char *path);

/* text (malloc'd, freed here) with the first occurrence of from replaced by to; asserts it
 * occurs. Returns the new text (malloc'd). */
char *fl_test_replace(char *text, const char *from, const char *to);

/* 1-based line and column of the one occurrence of needle in text, plus offset columns;
 * asserts it occurs exactly once. */
void fl_test_position(const char *text, const char *needle, int offset, int *line, int *col);

/* The reason t gives for spec name's violation, or "" when it holds. */
const char *fl_test_why(const struct fl_test_run *t, const char *name);

#endif

/*
 * run.h - what the `check` and `compare` commands share: the options common to both, loading
 * a scenario (a variant, overrides) into a run, searching it and rebuilding every
 * counterexample, and turning a result into verdicts and an exit code. Nothing here prints:
 * errors come back as values and the commands (cli.c, compare.c) say them.
 */
#ifndef FL_RUN_H
#define FL_RUN_H

#include "scenario.h"
#include "search.h"
#include "trace.h"

#define FL_RUN_MAX_SETS 256 /* --set options on one command line */

/* The options every command that checks a scenario takes. */
struct fl_run_opts {
	const char *file;
	const char *sets[FL_RUN_MAX_SETS]; /* --set, in command-line order */
	int nsets;
	const char *specs[FL_MAX_SPECS];   /* --spec */
	int nspecs;
	struct fl_search_opts so;
	int quiet;                         /* --quiet: no counterexample traces */
};

/* The defaults: BFS, seed 1, 1000 walks of depth 1000, progress when stderr is a terminal. */
void fl_run_opts_init(struct fl_run_opts *o);

/* getopt_long values of the shared options; a command numbers its own from FL_RUN_O_LAST. */
enum { FL_RUN_O_SET = 1000, FL_RUN_O_SPEC, FL_RUN_O_SEARCH, FL_RUN_O_SEED, FL_RUN_O_WALKS,
       FL_RUN_O_DEPTH, FL_RUN_O_MAXS, FL_RUN_O_MAXM, FL_RUN_O_TIME, FL_RUN_O_QUIET,
       FL_RUN_O_NOPROG, FL_RUN_O_THREADS, FL_RUN_O_STORAGE, FL_RUN_O_NOFALLBACK, FL_RUN_O_LAST };

/* The struct option entries of the shared options, for the head of a command's table. */
#define FL_RUN_LONG_OPTIONS                                                                   \
	{"set", 1, 0, FL_RUN_O_SET}, {"spec", 1, 0, FL_RUN_O_SPEC},                           \
	{"search", 1, 0, FL_RUN_O_SEARCH}, {"seed", 1, 0, FL_RUN_O_SEED},                     \
	{"walks", 1, 0, FL_RUN_O_WALKS}, {"depth", 1, 0, FL_RUN_O_DEPTH},                     \
	{"max-states", 1, 0, FL_RUN_O_MAXS}, {"max-memory", 1, 0, FL_RUN_O_MAXM},             \
	{"time-limit", 1, 0, FL_RUN_O_TIME}, {"quiet", 0, 0, FL_RUN_O_QUIET},                 \
	{"no-progress", 0, 0, FL_RUN_O_NOPROG}, {"threads", 1, 0, FL_RUN_O_THREADS},          \
	{"storage", 1, 0, FL_RUN_O_STORAGE}, {"no-fallback", 0, 0, FL_RUN_O_NOFALLBACK}

/*
 * Applies shared option opt with its argument arg (NULL for a flag) to o. Returns FL_OK,
 * FL_EINPUT with e saying what is wrong with the value, or 1 when opt is not a shared option.
 */
int fl_run_option(struct fl_run_opts *o, int opt, const char *arg, struct fl_err *e);

/* After every option: FL_OK, or FL_EINPUT with e saying which options do not go together
 * (--threads and --storage other than exact need --search bfs). */
int fl_run_options_check(const struct fl_run_opts *o, struct fl_err *e);

/* Parses "123", "10k", "2M", "1G" (powers of 1000, or of 1024 when bytes); 0 or -1. */
int fl_run_parse_count(const char *s, int bytes, double *out);

/* Parses seconds: "90", "90s", "5m", "1h" (more than 0); 0 or -1. */
int fl_run_parse_seconds(const char *s, double *out);

/* One checked system: a file without variants, one variant of it, or one row of a compare. */
struct fl_run {
	const struct fl_scn_variant *v; /* NULL for a file without variants */
	struct fl_sys s;
	struct fl_result r;
	struct fl_trace tr[FL_MAX_SPECS];
	int code;          /* the exit code of this run alone */
	int failed;        /* an internal error: no verdicts (e says why) */
	struct fl_err e;
};

/*
 * Loads file as so asks into x->s with every kind and spec faultline has. Returns FL_OK, or
 * FL_EINPUT/FL_ENOMEM with e filled (x->s is then freed). fl_run_load_exit maps the code.
 */
int fl_run_load(struct fl_run *x, const char *file, const struct fl_scn_opts *so, struct fl_err *e);
int fl_run_load_exit(int rc); /* FL_EXIT_USAGE, or FL_EXIT_INTERNAL when memory ran out */

/*
 * Searches x->s with so; with traces (1), builds and replays the counterexample of every
 * violated spec into x->tr, and with traces 2 also minimises each (--minimize). Sets x->code
 * (or x->failed, x->e and x->code = FL_EXIT_INTERNAL).
 */
void fl_run_search(struct fl_run *x, const struct fl_search_opts *so, int traces);
void fl_run_fini(struct fl_run *x);

/* Spec i's verdict: "holds", "violated", "unknown" (incomplete) or "not-checked"; for a
 * reachable spec "reached" or "unreachable" instead of "violated" and "holds". */
const char *fl_run_verdict(const struct fl_sys *s, const struct fl_result *r, int i);
/* A verdict as tables show it: the failing ones in capitals (VIOLATED, UNREACHABLE). */
const char *fl_run_shown(const char *verdict);
/* Spec i's expected verdict ("holds"/"violated", "reached"/"unreachable"), or NULL. */
const char *fl_run_expected(const struct fl_sys *s, int i);
/* 1 the verdict matches the expectation, 0 it differs, -1 nothing to compare. */
int fl_run_matches(const struct fl_sys *s, const struct fl_result *r, int i);

/* The specs that fail: violated ones, and reachable ones a complete search never reached. */
uint32_t fl_run_failed(const struct fl_sys *s, const struct fl_result *r);
/* 1 a spec fails, else 0 when complete or every checked spec has a verdict, 3 incomplete. */
int fl_run_exit_code(const struct fl_sys *s, const struct fl_result *r);
/* The worse of two exit codes: internal error, then usage, violated, incomplete, holds. */
int fl_run_worse(int a, int b);

#endif

/*
 * cli.c - the `faultline` command: parses options, loads the scenario, runs the search,
 * replays and prints every counterexample, and maps the outcome to an exit code
 * (0 every checked spec holds, 1 a spec is violated, 2 bad usage or scenario, 3 incomplete,
 * 4 internal error). This is the only file that prints and exits.
 *
 * A file with design variants (`variants:`) is checked once per variant, each with its own
 * report under a heading, then a summary table; the exit code is the worst of the variants'.
 */
#include "../model/model.h"
#include "../specs/specs.h"
#include "compare.h"
#include "coverage.h"
#include "json.h"
#include "replay.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "search.h"
#include "trace.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FL_VERSION "0.1.0"

struct cli {
	struct fl_run_opts o; /* file, --set, --spec, search options, --quiet (run.h) */
	const char *variants[FL_MAX_VARIANTS]; /* --variant: check only these */
	int nvariants;
	const char *json, *trace_json;
	const char *report, *mermaid; /* --report FILE.html, --mermaid FILE (or -) */
	int minimize;   /* --minimize: delta-debug every counterexample */
	int strict;     /* --strict: coverage warnings make a clean run exit 3 */
};

static void usage(FILE *f)
{
	fputs("usage: faultline check FILE [options]\n"
	      "       faultline replay FILE TRACE.json [--quiet]   re-execute saved counterexamples\n"
	      "       faultline compare FILE [--vary KEY=V1,V2[,...]]... [options]\n"
	      "                                one table over designs: the rows are the cross product\n"
	      "                                of the --vary values (or the file's variants); each\n"
	      "                                spec's verdict, shortest counterexample and smallest\n"
	      "                                fault budget that breaks it; --json, --markdown FILE\n"
	      "                                (faultline compare --help lists its options)\n"
	      "       faultline kinds          list component kinds, their options and faults, and specs\n"
	      "       faultline --version\n"
	      "\n"
	      "options for check:\n"
	      "  --set PATH=VALUE     override a scenario value (e.g. records.per_batch=2,\n"
	      "                       inbound.idempotency=none); repeatable\n"
	      "  --spec NAME          check only this spec (repeatable)\n"
	      "  --variant NAME       check only this design variant of FILE (repeatable); without it,\n"
	      "                       every variant of a file with variants: is checked, then a\n"
	      "                       summary table is printed\n"
	      "  --search MODE        bfs (default: shortest counterexamples), dfs, random\n"
	      "  --seed S --walks N --depth D   random walks (defaults 1, 1000, 1000)\n"
	      "  --max-states N       stop (incomplete) after N states (k, M, G suffixes)\n"
	      "  --max-memory SIZE    the state store's budget (e.g. 2G; default 3/4 of the RAM): BFS\n"
	      "                       then goes on with fingerprints, then bitstate; DFS stops\n"
	      "  --no-fallback        stop (incomplete) at the budget instead of changing storage\n"
	      "  --storage MODE       exact (default), fingerprint (8 bytes a state, may miss a state\n"
	      "                       with the printed probability), bitstate (bug hunting); BFS\n"
	      "  --threads N          BFS on N threads (default 1)\n"
	      "  --time-limit T       stop (incomplete) after T seconds (or 90s, 5m, 1h)\n"
	      "  --json FILE          write the whole result as JSON ('-' for stdout)\n"
	      "  --trace-json FILE    write the counterexamples as JSON\n"
	      "                       (with variants, both write {\"variants\": [one per variant]})\n"
	      "  --report FILE.html   write an HTML page: verdicts, figures and a sequence chart\n"
	      "                       of every counterexample (every variant's, with variants)\n"
	      "  --mermaid FILE       write every counterexample as a Mermaid sequenceDiagram\n"
	      "                       ('-' for stdout, then no text report)\n"
	      "  --minimize           shorten every counterexample by delta debugging (each candidate\n"
	      "                       re-checked by replay); BFS traces are already shortest\n"
	      "  --quiet              no counterexample traces (still the verdicts, reasons, figures)\n"
	      "  --no-progress        no progress line on stderr\n"
	      "  --strict             coverage warnings (a step or fault that never happened, a\n"
	      "                       spec that holds vacuously) make a run that would exit 0 exit 3\n"
	      "\n"
	      "replay: rebuilds each trace's system from FILE (with the trace's variant, --set and\n"
	      "  --spec), follows it step by step and exits 1 when every trace still breaks its spec,\n"
	      "  2 when one diverges (the message says at which step and how) or the file is bad\n"
	      "\n"
	      "exit codes: 0 every checked spec holds, 1 a spec is violated (or a reachable spec is\n"
	      "            unreachable), 2 bad usage or scenario, 3 incomplete (a limit was reached\n"
	      "            first; with --strict, also coverage warnings), 4 internal error;\n"
	      "            with variants, the worst over them (4, then 2, 1, 3, 0)\n",
	      f);
}

__attribute__((format(printf, 1, 2))) static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "faultline: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n(run 'faultline --help' for the options)\n");
	va_end(ap);
	return FL_EXIT_USAGE;
}

enum { O_VARIANT = FL_RUN_O_LAST, O_JSON, O_TJSON, O_REPORT, O_MERMAID, O_MINIMIZE, O_STRICT,
       O_HELP };

static int set_option(struct cli *c, int opt, const char *arg)
{
	struct fl_err e = {0};
	switch (opt) {
	case O_VARIANT:
		if (c->nvariants >= FL_MAX_VARIANTS)
			return bad_usage("too many --variant options (%s)", arg);
		c->variants[c->nvariants++] = arg;
		return 0;
	case O_JSON: c->json = arg; return 0;
	case O_TJSON: c->trace_json = arg; return 0;
	case O_REPORT:
		if (!strcmp(arg, "-"))
			return bad_usage("--report needs a file name (only --mermaid writes to stdout)");
		c->report = arg;
		return 0;
	case O_MERMAID: c->mermaid = arg; return 0;
	case O_MINIMIZE: c->minimize = 1; return 0;
	case O_STRICT: c->strict = 1; return 0;
	default:
		switch (fl_run_option(&c->o, opt, arg, &e)) {
		case FL_OK: return 0;
		case 1: return bad_usage("unknown option");
		default: return bad_usage("%s", e.msg);
		}
	}
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	static const struct option longs[] = {
		FL_RUN_LONG_OPTIONS, {"variant", 1, 0, O_VARIANT},
		{"json", 1, 0, O_JSON}, {"trace-json", 1, 0, O_TJSON}, {"minimize", 0, 0, O_MINIMIZE},
		{"report", 1, 0, O_REPORT}, {"mermaid", 1, 0, O_MERMAID},
		{"strict", 0, 0, O_STRICT}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
	int opt;
	opterr = 0;
	optind = 2;
	while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (opt == O_HELP)
			return usage(stdout), -1;
		if (opt == '?')
			return bad_usage("unknown option or missing value: %s", argv[optind - 1]);
		int rc = set_option(c, opt, optarg);
		if (rc)
			return rc;
	}
	if (optind != argc - 1)
		return bad_usage(optind >= argc ? "check needs one scenario FILE%s"
						: "check takes one scenario FILE; also got '%s'",
				 optind >= argc ? "" : argv[optind + 1]);
	c->o.file = argv[optind];
	struct fl_err oe = {0};
	if (fl_run_options_check(&c->o, &oe) != FL_OK)
		return bad_usage("%s", oe.msg);
	if (c->json && c->mermaid && !strcmp(c->json, "-") && !strcmp(c->mermaid, "-"))
		return bad_usage("--json - and --mermaid - both write to stdout: give one a file");
	return 0;
}

/* Short names for the verdict helpers of run.h, used all through this file. */
static const char *verdict(const struct fl_sys *s, const struct fl_result *r, int i)
{
	return fl_run_verdict(s, r, i);
}

static const char *expected(const struct fl_sys *s, int i) { return fl_run_expected(s, i); }

static int matches(const struct fl_sys *s, const struct fl_result *r, int i)
{
	return fl_run_matches(s, r, i);
}

static void print_header(const struct cli *c, const struct fl_sys *s)
{
	int comps = 0;
	for (int i = 0; i < s->ninst; i++)
		comps += !s->inst[i].kind->internal;
	static const char *const modes[] = {"bfs", "dfs", "random walks"};
	printf("faultline %s: %s\n", FL_VERSION, c->o.file);
	printf("  scenario: %s\n", s->name);
	printf("  system:   %d region%s, %d record%s in %d batch%s, %d component instances, "
	       "fault budget %d\n",
	       s->nregions, s->nregions == 1 ? "" : "s", s->nrecords, s->nrecords == 1 ? "" : "s",
	       s->nbatches, s->nbatches == 1 ? "" : "es", comps, s->budget_max);
	printf("  search:   %s, state vector %zu bytes\n\n", modes[c->o.so.mode], s->width);
}

static int print_verdicts(const struct fl_sys *s, const struct fl_result *r)
{
	int differ = 0, compared = 0, unknown = 0;
	printf("Verdicts:\n");
	for (int i = 0; i < s->nspec; i++) {
		const char *v = verdict(s, r, i), *x = expected(s, i);
		int m = matches(s, r, i);
		compared += m >= 0;
		differ += m == 0;
		unknown += x && !strcmp(v, "unknown");
		printf("  %-14s %-12s", s->spec[i].kind->name, fl_run_shown(v));
		if (x)
			printf(" expected %-9s%s", x, m == 0 ? "  <-- differs" : "");
		printf("\n");
	}
	if (differ)
		printf("  %d verdict%s differ%s from the scenario's expectations.\n", differ,
		       differ == 1 ? "" : "s", differ == 1 ? "s" : "");
	else if (compared && !unknown)
		printf("  Every verdict matches the scenario's expectations.\n");
	if (unknown)
		printf("  %d expected verdict%s unknown: the search did not finish%s.\n", unknown,
		       unknown == 1 ? " is" : "s are", compared && !differ ? "; the others match" : "");
	return differ;
}

static const char *const storage_names[] = {"exact", "fingerprint", "bitstate"};

/* How the states were kept, when not all exactly: the mode, where the memory limit changed
 * it, and what it may have cost. */
static void print_storage(const struct fl_result *r)
{
	if (r->storage == FL_STORAGE_EXACT)
		return;
	printf("Storage: %s", r->storage == FL_STORAGE_BITSTATE ? "bitstate" : "fingerprints");
	if (r->fallback_at[0])
		printf("; the memory limit turned exact storage into fingerprints at %zu states",
		       r->fallback_at[0]);
	if (r->fallback_at[1])
		printf("; %s fingerprints into bitstate at %zu states", r->fallback_at[0] ? "then" : "it turned",
		       r->fallback_at[1]);
	printf("\n  states missed through hash collisions, expected: at most %.3g%s\n", r->expected_misses,
	       r->expected_misses < 1 ? " (so the chance that any was missed is below that)"
				      : ": a verdict \"holds\" is not proof");
}

static void print_figures(const struct fl_result *r)
{
	double sps = r->seconds > 0 ? (double)r->states / r->seconds : 0;
	printf("\nFigures: %zu states, %zu transitions, depth %u, %.2f s, %.0f states/s, "
	       "%.0f bytes/state, peak memory %.1f MB%s",
	       r->states, r->transitions, r->depth, r->seconds, sps,
	       r->states ? (double)r->store_bytes / (double)r->states : 0.0,
	       (double)r->peak_rss / 1048576.0, r->threads > 1 ? ", " : "\n");
	if (r->threads > 1)
		printf("%d threads\n", r->threads);
	print_storage(r);
	if (r->complete)
		printf("Search: complete (every reachable state explored)\n");
	else
		printf("Search: incomplete: %s\n", r->stop_reason);
}

/* The scenario options of a run of variant (NULL: the file as written). */
static struct fl_scn_opts scn_opts(const struct cli *c, const char *variant)
{
	return (struct fl_scn_opts){c->o.sets, c->o.nsets, c->o.specs, c->o.nspecs, variant};
}

static void json_traces(struct fl_json *j, const struct fl_scn_opts *o, const struct fl_sys *s,
			const struct fl_result *r, const struct fl_trace *tr)
{
	fl_json_arr(j);
	for (int i = 0; i < s->nspec; i++)
		if (r->violated >> i & 1u)
			fl_trace_json(j, s, o, &tr[i]);
	fl_json_arr_end(j);
}

/* --- coverage warnings (checker/coverage.h) ---------------------------------------------- */

static void print_warning(void *ctx, const struct fl_cov_warning *w)
{
	(void)ctx;
	printf("  %s\n", w->text);
}

/* The Coverage: block after the figures, only when there is something to warn about. */
static void print_coverage(const struct fl_sys *s, const struct fl_result *r)
{
	int n = fl_coverage_warnings(s, r, NULL, NULL);
	if (n <= 0)
		return;
	printf("\nCoverage%s: %d warning%s (--strict makes them exit 3)\n",
	       r->coverage == FL_COVER_SAMPLED ? " in the sampled runs" : "", n, n == 1 ? "" : "s");
	fl_coverage_warnings(s, r, print_warning, NULL);
}

struct json_cov {
	struct fl_json *j;
	int type;
};

static void json_warning(void *ctx, const struct fl_cov_warning *w)
{
	static const char *const keys[] = {"action", "fault", "why"};
	struct json_cov *c = ctx;
	if (w->type != c->type)
		return;
	fl_json_obj(c->j);
	fl_json_key(c->j, c->type == FL_COV_SPEC ? "spec" : "component"), fl_json_str(c->j, w->component);
	fl_json_key(c->j, keys[c->type]), fl_json_str(c->j, w->what);
	fl_json_obj_end(c->j);
}

static void json_coverage(struct fl_json *j, const struct fl_sys *s, const struct fl_result *r)
{
	static const char *const lists[] = {"never_enabled", "faults_never_injected", "vacuous_specs"};
	static const char *const scopes[] = {NULL, "complete", "sampled"};
	fl_json_obj(j);
	fl_json_key(j, "scope"), scopes[r->coverage] ? fl_json_str(j, scopes[r->coverage]) : fl_json_null(j);
	for (int t = FL_COV_ACTION; t <= FL_COV_SPEC; t++) {
		struct json_cov c = {j, t};
		fl_json_key(j, lists[t]);
		fl_json_arr(j);
		fl_coverage_warnings(s, r, json_warning, &c);
		fl_json_arr_end(j);
	}
	fl_json_obj_end(j);
}

static void json_figures(struct fl_json *j, const struct fl_result *r)
{
	fl_json_obj(j);
	fl_json_key(j, "states"), fl_json_int(j, (long long)r->states);
	fl_json_key(j, "transitions"), fl_json_int(j, (long long)r->transitions);
	fl_json_key(j, "depth"), fl_json_int(j, r->depth);
	fl_json_key(j, "seconds"), fl_json_num(j, r->seconds);
	fl_json_key(j, "states_per_sec"), fl_json_num(j, r->seconds > 0 ? (double)r->states / r->seconds : 0);
	fl_json_key(j, "bytes_per_state"),
		fl_json_num(j, r->states ? (double)r->store_bytes / (double)r->states : 0);
	fl_json_key(j, "peak_rss_bytes"), fl_json_int(j, r->peak_rss);
	fl_json_key(j, "threads"), fl_json_int(j, r->threads);
	fl_json_key(j, "storage"), fl_json_str(j, storage_names[r->storage]);
	fl_json_key(j, "fingerprints_from_state"), fl_json_int(j, (long long)r->fallback_at[0]);
	fl_json_key(j, "bitstate_from_state"), fl_json_int(j, (long long)r->fallback_at[1]);
	fl_json_key(j, "expected_missed_states"), fl_json_num(j, r->expected_misses);
	fl_json_key(j, "complete"), fl_json_bool(j, r->complete);
	fl_json_obj_end(j);
}

static void json_result(struct fl_json *j, const struct cli *c, const struct fl_run *x)
{
	static const char *const modes[] = {"bfs", "dfs", "random"};
	const struct fl_sys *s = &x->s;
	const struct fl_result *r = &x->r;
	fl_json_obj(j);
	if (x->failed) { /* only for a variant: the other variants still have their results */
		fl_json_key(j, "variant"), fl_json_str(j, x->v->name);
		fl_json_key(j, "error"), fl_json_str(j, x->e.msg);
		fl_json_obj_end(j);
		return;
	}
	fl_json_key(j, "faultline"), fl_json_str(j, FL_VERSION);
	fl_json_key(j, "file"), fl_json_str(j, c->o.file);
	fl_json_key(j, "scenario"), fl_json_str(j, s->name);
	if (x->v)
		fl_json_key(j, "variant"), fl_json_str(j, x->v->name);
	fl_json_key(j, "search"), fl_json_str(j, modes[c->o.so.mode]);
	fl_json_key(j, "state_vector_bytes"), fl_json_int(j, (long long)s->width);
	fl_json_key(j, "stop_reason"), r->complete ? fl_json_null(j) : fl_json_str(j, r->stop_reason);
	fl_json_key(j, "specs");
	fl_json_arr(j);
	for (int i = 0; i < s->nspec; i++) {
		int m = matches(s, r, i);
		fl_json_obj(j);
		fl_json_key(j, "name"), fl_json_str(j, s->spec[i].kind->name);
		fl_json_key(j, "verdict"), fl_json_str(j, verdict(s, r, i));
		fl_json_key(j, "expected"), expected(s, i) ? fl_json_str(j, expected(s, i)) : fl_json_null(j);
		fl_json_key(j, "matches"), m < 0 ? fl_json_null(j) : fl_json_bool(j, m);
		fl_json_key(j, "why"), r->violated >> i & 1u ? fl_json_str(j, x->tr[i].why) : fl_json_null(j);
		fl_json_obj_end(j);
	}
	fl_json_arr_end(j);
	fl_json_key(j, "figures");
	json_figures(j, r);
	fl_json_key(j, "coverage");
	json_coverage(j, s, r);
	struct fl_scn_opts so = scn_opts(c, x->v ? x->v->name : NULL);
	fl_json_key(j, "traces");
	json_traces(j, &so, s, r, x->tr);
	fl_json_obj_end(j);
}

static void json_trace_result(struct fl_json *j, const struct cli *c, const struct fl_run *x)
{
	struct fl_scn_opts so = scn_opts(c, x->v ? x->v->name : NULL);
	fl_json_obj(j);
	if (x->v)
		fl_json_key(j, "variant"), fl_json_str(j, x->v->name);
	if (x->failed) {
		fl_json_key(j, "error"), fl_json_str(j, x->e.msg);
	} else {
		fl_json_key(j, "traces");
		json_traces(j, &so, &x->s, &x->r, x->tr);
	}
	fl_json_obj_end(j);
}

/* Opens path for writing ("-" = stdout); prints why on failure. */
static FILE *open_out(const char *path)
{
	if (!strcmp(path, "-"))
		return stdout;
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "faultline: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

/* Writes one JSON file: a run's object, or {"variants": [one per run]} when variants. */
static int write_json_file(const char *path, const struct cli *c, const struct fl_run *x, int n,
			   int variants, int traces_only)
{
	FILE *f = open_out(path);
	if (!f)
		return 0;
	struct fl_json j;
	fl_json_init(&j, f);
	if (variants) {
		fl_json_obj(&j);
		fl_json_key(&j, "variants");
		fl_json_arr(&j);
	}
	for (int i = 0; i < n; i++)
		traces_only ? json_trace_result(&j, c, &x[i]) : json_result(&j, c, &x[i]);
	if (variants) {
		fl_json_arr_end(&j);
		fl_json_obj_end(&j);
	}
	return f == stdout ? fflush(f) == 0 : fclose(f) == 0;
}

static int write_json_files(const struct cli *c, const struct fl_run *x, int n, int variants)
{
	int ok = 1;
	if (c->json)
		ok &= write_json_file(c->json, c, x, n, variants, 0);
	if (c->trace_json)
		ok &= write_json_file(c->trace_json, c, x, n, variants, 1);
	return ok;
}

/* --- --report and --mermaid (checker/report.h) ---------------------------------------- */

static int spec_columns(const struct fl_run *x, int n, const char **names);
static void summary_cell(const struct fl_run *x, const char *name, char *out, size_t size);

/* The summary table of a report with variants: variant, one column per spec, states.
 * Cells point into text (n * ncols cells of 32 bytes) or at variant names. */
static int report_table(const struct fl_run *x, int n, struct fl_report_table *t, const char **head,
			const char **cells, char (*text)[32])
{
	int nspec = spec_columns(x, n, head + 1);
	head[0] = "variant";
	head[nspec + 1] = "states";
	*t = (struct fl_report_table){.ncols = nspec + 2, .nrows = n, .head = head, .cells = cells};
	for (int i = 0; i < n; i++) {
		const char **row = cells + i * t->ncols;
		char (*tx)[32] = text + i * t->ncols;
		row[0] = x[i].v->name;
		for (int k = 0; k < nspec; k++)
			summary_cell(&x[i], head[k + 1], tx[k], sizeof tx[k]), row[k + 1] = tx[k];
		snprintf(tx[nspec], sizeof tx[nspec], "%zu", x[i].failed ? (size_t)0 : x[i].r.states);
		row[nspec + 1] = x[i].failed ? "internal error" : tx[nspec];
	}
	return nspec;
}

static int report_pages(FILE *f, const struct cli *c, const struct fl_run *x, int n)
{
	struct fl_report_run *runs = fl_alloc((size_t)n * sizeof *runs);
	char (*titles)[192] = fl_alloc((size_t)n * sizeof *titles);
	const char *head[FL_MAX_SPECS + 2], **cells = fl_alloc((size_t)n * (FL_MAX_SPECS + 2) * sizeof *cells);
	char (*text)[32] = fl_alloc((size_t)n * (FL_MAX_SPECS + 2) * sizeof *text);
	char heading[512];
	struct fl_report_table t = {0};
	int rc = runs && titles && cells && text ? FL_OK : FL_ENOMEM;
	for (int i = 0; i < n && rc == FL_OK; i++) {
		if (x[i].v)
			snprintf(titles[i], sizeof titles[i], "variant %s (%s)", x[i].v->name,
				 *x[i].v->sets ? x[i].v->sets : "no overrides");
		runs[i] = (struct fl_report_run){x[i].v ? titles[i] : c->o.file, &x[i].s,
						 x[i].failed ? NULL : &x[i].r, x[i].tr};
	}
	if (rc == FL_OK && x[0].v)
		report_table(x, n, &t, head, cells, text);
	snprintf(heading, sizeof heading, "faultline report: %s", c->o.file);
	if (rc == FL_OK)
		rc = fl_report_html(f, heading, x[0].v ? &t : NULL, runs, n);
	fl_free(runs);
	fl_free(titles);
	fl_free(cells);
	fl_free(text);
	return rc;
}

static int report_charts(FILE *f, const struct cli *c, const struct fl_run *x, int n)
{
	int rc = FL_OK, any = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; !x[i].failed && j < x[i].s.nspec && rc == FL_OK; j++) {
			if (!(x[i].r.violated >> j & 1u))
				continue;
			fprintf(f, "%s%%%% %s %s\n", any++ ? "\n" : "", x[i].v ? x[i].v->name : c->o.file,
				x[i].s.spec[j].kind->name);
			rc = fl_report_mermaid(f, &x[i].s, &x[i].tr[j]);
		}
	return rc;
}

/* Writes --report and --mermaid; returns 1, or 0 after printing why. */
static int write_report(const char *path, const struct cli *c, const struct fl_run *x, int n,
			int (*fn)(FILE *, const struct cli *, const struct fl_run *, int))
{
	FILE *f = open_out(path);
	if (!f)
		return 0;
	int rc = fn(f, c, x, n);
	int ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && rc == FL_OK;
	if (!ok)
		fprintf(stderr, "faultline: %s %s\n", rc == FL_ENOMEM ? "out of memory writing" : "cannot write", path);
	return ok;
}

static int write_reports(const struct cli *c, const struct fl_run *x, int n)
{
	int ok = 1;
	if (c->report)
		ok &= write_report(c->report, c, x, n, report_pages);
	if (c->mermaid)
		ok &= write_report(c->mermaid, c, x, n, report_charts);
	return ok;
}

static int text_output(const struct cli *c)
{
	return !(c->json && !strcmp(c->json, "-")) && !(c->mermaid && !strcmp(c->mermaid, "-"));
}

static void report(const struct cli *c, const struct fl_sys *s, const struct fl_result *r,
		   const struct fl_trace *tr)
{
	if (!text_output(c))
		return;
	for (int i = 0; i < s->nspec; i++) {
		if (!(r->violated >> i & 1u))
			continue;
		printf("%s %s: %s\n", s->spec[i].kind->name,
		       s->spec[i].kind->reachable ? "reached" : "violated", tr[i].why);
		if (!c->o.quiet && c->o.so.mode != FL_BFS)
			printf("  (found by %s: a shorter counterexample may exist; --search bfs finds the "
			       "shortest)\n", c->o.so.mode == FL_DFS ? "DFS" : "a random walk");
		if (!c->o.quiet) {
			fl_trace_print(stdout, s, &tr[i]);
			printf("\n");
		}
	}
	if (c->o.quiet && r->violated)
		printf("\n");
	print_verdicts(s, r);
	print_figures(r);
	print_coverage(s, r);
}

/* Loads the file (or variant x->v) into x->s; prints why and returns the exit code if not. */
static int load(const struct cli *c, struct fl_run *x, const char *variant)
{
	struct fl_err e = {0};
	struct fl_scn_opts so = scn_opts(c, variant);
	int rc = fl_run_load(x, c->o.file, &so, &e);
	if (rc == FL_OK)
		return 0;
	fprintf(stderr, "%s\n", e.msg);
	return fl_run_load_exit(rc);
}

/* Searches x->s, builds and replays every trace, prints the report; sets x->code. */
static void search(const struct cli *c, struct fl_run *x)
{
	if (text_output(c))
		print_header(c, &x->s);
	fflush(stdout);
	fl_run_search(x, &c->o.so, c->minimize ? 2 : 1);
	if (x->failed) {
		fflush(stdout);
		fprintf(stderr, "faultline: internal error: %s\n", x->e.msg);
		return;
	}
	if (x->code == FL_EXIT_HOLDS && c->strict && fl_coverage_warnings(&x->s, &x->r, NULL, NULL))
		x->code = FL_EXIT_INCOMPLETE;
	report(c, &x->s, &x->r, x->tr);
}

/* A file without variants (or --variant on one, which the loader refuses). */
static int run_single(const struct cli *c)
{
	struct fl_run x = {0};
	int code = load(c, &x, c->nvariants ? c->variants[0] : NULL);
	if (code)
		return code;
	search(c, &x);
	code = x.code;
	if (!x.failed && !(write_json_files(c, &x, 1, 0) & write_reports(c, &x, 1)))
		code = FL_EXIT_USAGE;
	fl_run_fini(&x);
	return code;
}

static void print_variant_heading(const struct fl_scn_variant *v)
{
	printf("== variant %s%s%s (%s) ==\n", v->name, v->about ? ": " : "", v->about ? v->about : "",
	       *v->sets ? v->sets : "no overrides");
}

/* The spec names of every run, in order of first appearance; returns how many. */
static int spec_columns(const struct fl_run *x, int n, const char **names)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		for (int j = 0; !x[i].failed && j < x[i].s.nspec; j++) {
			const char *name = x[i].s.spec[j].kind->name;
			int seen = 0;
			for (int m = 0; m < k && !seen; m++)
				seen = !strcmp(names[m], name);
			if (!seen && k < FL_MAX_SPECS)
				names[k++] = name;
		}
	}
	return k;
}

/* The summary cell of spec `name` in run x, "*" appended when it differs from the expectation. */
static void summary_cell(const struct fl_run *x, const char *name, char *out, size_t size)
{
	snprintf(out, size, "-");
	for (int i = 0; !x->failed && i < x->s.nspec; i++) {
		if (strcmp(x->s.spec[i].kind->name, name))
			continue;
		const char *v = verdict(&x->s, &x->r, i);
		snprintf(out, size, "%s%s", fl_run_shown(v),
			 matches(&x->s, &x->r, i) == 0 ? "*" : "");
	}
}

static void print_summary(const struct fl_run *x, int n)
{
	const char *specs[FL_MAX_SPECS];
	int nspec = spec_columns(x, n, specs), wname = (int)strlen("variant"), wspec[FL_MAX_SPECS];
	int differ = 0, compared = 0, unknown = 0, failed = 0;
	char cell[32];
	for (int i = 0; i < n; i++)
		if ((int)strlen(x[i].v->name) > wname)
			wname = (int)strlen(x[i].v->name);
	for (int k = 0; k < nspec; k++) {
		wspec[k] = (int)strlen(specs[k]);
		for (int i = 0; i < n; i++) {
			summary_cell(&x[i], specs[k], cell, sizeof cell);
			if ((int)strlen(cell) > wspec[k])
				wspec[k] = (int)strlen(cell);
		}
	}
	printf("\nSummary: %d variant%s\n  %-*s", n, n == 1 ? "" : "s", wname, "variant");
	for (int k = 0; k < nspec; k++)
		printf("  %-*s", wspec[k], specs[k]);
	printf("  %12s  %8s\n", "states", "seconds");
	for (int i = 0; i < n; i++) {
		printf("  %-*s", wname, x[i].v->name);
		if (x[i].failed) {
			printf("  internal error: %s\n", x[i].e.msg);
			failed++;
			continue;
		}
		for (int k = 0; k < nspec; k++) {
			summary_cell(&x[i], specs[k], cell, sizeof cell);
			printf("  %-*s", wspec[k], cell);
		}
		printf("  %12zu  %8.2f\n", x[i].r.states, x[i].r.seconds);
		for (int j = 0; j < x[i].s.nspec; j++) {
			int m = matches(&x[i].s, &x[i].r, j);
			compared += m >= 0;
			differ += m == 0;
			unknown += expected(&x[i].s, j) && !strcmp(verdict(&x[i].s, &x[i].r, j), "unknown");
		}
	}
	if (differ)
		printf("  * differs from the expectation\n");
	if (failed)
		printf("  %d variant%s failed with an internal error; %s verdicts could not be compared.\n",
		       failed, failed == 1 ? "" : "s", failed == 1 ? "its" : "their");
	if (differ)
		printf("  %d verdict%s differ%s from the expectations.\n", differ, differ == 1 ? "" : "s",
		       differ == 1 ? "s" : "");
	else if (unknown)
		printf("  %d expected verdict%s unknown: a search did not finish%s.\n", unknown,
		       unknown == 1 ? " is" : "s are", compared ? "; the others match" : "");
	else if (compared && !failed)
		printf("  Every verdict matches the expectations.\n");
	else if (!failed)
		printf("  No verdict is expected (no expect: in the file or its variants).\n");
}

/* 1 if --variant named v (or no --variant was given). */
static int selected(const struct cli *c, const char *name)
{
	for (int i = 0; i < c->nvariants; i++)
		if (!strcmp(c->variants[i], name))
			return 1;
	return !c->nvariants;
}

/* Every selected variant of the file, in file order; then the summary table. */
static int run_variants(const struct cli *c, const struct fl_scn_variant *v, int nv)
{
	for (int i = 0; i < c->nvariants; i++) {
		int known = 0;
		for (int k = 0; k < nv && !known; k++)
			known = !strcmp(v[k].name, c->variants[i]);
		if (!known) { /* the loader says why, with a hint */
			struct fl_run x = {0};
			int code = load(c, &x, c->variants[i]);
			fl_sys_free(&x.s);
			return code ? code : bad_usage("--variant %s: no such variant", c->variants[i]);
		}
	}
	struct fl_run *x = fl_alloc((size_t)nv * sizeof *x);
	if (!x)
		return fprintf(stderr, "faultline: out of memory\n"), FL_EXIT_INTERNAL;
	int n = 0, code = 0;
	for (int k = 0; k < nv && !code; k++) { /* every error before any search */
		if (!selected(c, v[k].name))
			continue;
		x[n].v = &v[k];
		code = load(c, &x[n++], v[k].name);
	}
	for (int i = 0; i < n && !code; i++) {
		if (text_output(c)) {
			printf("%s", i ? "\n" : "");
			print_variant_heading(x[i].v);
		}
		search(c, &x[i]);
	}
	if (!code) {
		if (text_output(c))
			print_summary(x, n);
		for (int i = 0; i < n; i++)
			code = fl_run_worse(code, x[i].code);
		if (!(write_json_files(c, x, n, 1) & write_reports(c, x, n)))
			code = fl_run_worse(code, FL_EXIT_USAGE);
	}
	for (int i = 0; i < n; i++)
		fl_run_fini(&x[i]);
	fl_free(x);
	return code;
}

static int run_check(const struct cli *c)
{
	struct fl_scn_variant *v;
	int nv;
	struct fl_err e = {0};
	if (fl_scn_variants(c->o.file, &v, &nv, &e) != FL_OK) {
		fprintf(stderr, "%s\n", e.msg);
		return e.code == FL_ENOMEM ? FL_EXIT_INTERNAL : FL_EXIT_USAGE;
	}
	int code = nv ? run_variants(c, v, nv) : run_single(c);
	fl_scn_variants_free(v, nv);
	return code;
}

/* Follows trace i of f on FILE; prints what happened; returns 1 confirmed, 0 diverged, or a
 * negative code for memory. */
static int replay_one(const char *file, const struct fl_replay *rt, int i, int n, int quiet)
{
	struct fl_scn_opts so = fl_replay_opts(rt);
	struct fl_sys s;
	struct fl_trace t = {0};
	struct fl_err e = {0};
	printf("trace %d of %d: %s", i + 1, n, rt->spec);
	if (rt->variant)
		printf(", variant %s", rt->variant);
	for (int k = 0; k < rt->nsets; k++)
		printf(", --set %s", rt->sets[k]);
	printf("\n");
	int rc = fl_scn_load(file, &so, fl_kinds, fl_spec_kinds, &s, &e);
	if (rc == FL_OK) {
		rc = fl_replay_follow(&s, rt, &t, &e);
		if (rc == FL_OK) {
			if (!quiet)
				fl_trace_print(stdout, &s, &t);
			printf("  confirmed: the trace replays to the end and %s is %s: %s\n\n",
			       rt->spec, s.spec[t.spec].kind->reachable ? "reached" : "violated", t.why);
		}
		fl_trace_fini(&t);
		fl_sys_free(&s);
	}
	if (rc != FL_OK)
		printf("  DIVERGES: %s\n\n", e.msg);
	return rc == FL_ENOMEM ? -1 : rc == FL_OK;
}

static int run_replay(int argc, char **argv)
{
	int quiet = argc == 5 && !strcmp(argv[4], "--quiet");
	if (argc != 4 && !quiet)
		return bad_usage("replay takes a scenario FILE and a TRACE.json (and optionally --quiet)");
	struct fl_replay_file f;
	struct fl_err e = {0};
	if (fl_replay_read(argv[3], &f, &e) != FL_OK) {
		fprintf(stderr, "faultline: %s\n", e.msg);
		return e.code == FL_ENOMEM ? FL_EXIT_INTERNAL : FL_EXIT_USAGE;
	}
	printf("faultline %s: replaying %s on %s\n\n", FL_VERSION, argv[3], argv[2]);
	int confirmed = 0, oom = 0;
	for (int i = 0; i < f.n && !oom; i++) {
		int r = replay_one(argv[2], &f.t[i], i, f.n, quiet);
		oom = r < 0;
		confirmed += r > 0;
	}
	int n = f.n;
	fl_replay_free(&f);
	if (oom)
		return fprintf(stderr, "faultline: out of memory\n"), FL_EXIT_INTERNAL;
	printf("%d of %d trace%s confirmed%s.\n", confirmed, n, n == 1 ? "" : "s",
	       confirmed < n ? "; the others diverge from the scenario as it is now" : "");
	return confirmed == n ? FL_EXIT_VIOLATED : FL_EXIT_USAGE;
}

static void list_names(const char *label, const char *const *names)
{
	printf("      %s:", label);
	for (int i = 0; names && names[i]; i++)
		printf(" %s", names[i]);
	printf("%s\n", names && names[0] ? "" : " none");
}

static int run_kinds(void)
{
	printf("Component kinds:\n");
	for (int i = 0; fl_kinds[i]; i++) {
		const struct fl_kind *k = fl_kinds[i];
		if (k->internal)
			continue;
		printf("  %-12s %s%s\n", k->name, k->summary, k->per_region ? " (one per region)" : "");
		list_names("keys", k->keys);
		list_names("faults", k->faults);
		list_names("metrics", k->metrics);
	}
	printf("Specs:\n");
	for (int i = 0; fl_spec_kinds[i]; i++)
		printf("  %-14s %s%s\n", fl_spec_kinds[i]->name, fl_spec_kinds[i]->summary,
		       fl_spec_kinds[i]->eventually  ? " (eventually)"
		       : fl_spec_kinds[i]->cycles    ? " (cycles)"
		       : fl_spec_kinds[i]->reachable ? " (reachable: some run must reach it)"
						     : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	fl_run_opts_init(&c.o);
	if (argc < 2)
		return usage(stderr), FL_EXIT_USAGE;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return usage(stdout), 0;
	if (!strcmp(argv[1], "--version"))
		return printf("faultline %s\n", FL_VERSION), 0;
	if (!strcmp(argv[1], "kinds"))
		return run_kinds();
	if (!strcmp(argv[1], "compare"))
		return fl_cmp_main(argc, argv);
	if (!strcmp(argv[1], "replay"))
		return run_replay(argc, argv);
	if (strcmp(argv[1], "check"))
		return bad_usage("unknown command '%s' (try: faultline check FILE)", argv[1]);
	int rc = parse_args(&c, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;
	return run_check(&c);
}

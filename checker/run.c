/*
 * run.c - the machinery `check` and `compare` share (see run.h): shared options, load,
 * search with counterexamples, verdicts. Moved out of cli.c unchanged in behaviour; the only
 * printing left to the commands.
 */
#include "run.h"

#include "../model/model.h"
#include "../specs/specs.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fl_run_opts_init(struct fl_run_opts *o)
{
	*o = (struct fl_run_opts){.so = {.mode = FL_BFS, .seed = 1, .walks = 1000, .depth = 1000,
					 .progress = isatty(2)}};
}

int fl_run_parse_count(const char *s, int bytes, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v))
		return -1;
	double unit = bytes ? 1024.0 : 1000.0;
	switch (*end) {
	case 'k': case 'K': v *= unit, end++; break;
	case 'm': case 'M': v *= unit * unit, end++; break;
	case 'g': case 'G': v *= unit * unit * unit, end++; break;
	default: break;
	}
	if (bytes && (*end == 'B' || *end == 'b'))
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int fl_run_parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v <= 0 || !isfinite(v))
		return -1;
	if (*end == 'm' && !end[1])
		v *= 60, end++;
	else if (*end == 'h' && !end[1])
		v *= 3600, end++;
	else if (*end == 's' && !end[1])
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* --seed, --walks, --depth, --max-states: a whole number (positive but for the seed). */
static int count_option(struct fl_run_opts *o, int opt, const char *arg, struct fl_err *e)
{
	double v;
	if (fl_run_parse_count(arg, 0, &v) || v != floor(v) || v > 1e15 || (opt != FL_RUN_O_SEED && v < 1))
		return fl_fail(e, FL_EINPUT, "'%s' is not a positive whole number", arg);
	if (opt == FL_RUN_O_SEED) o->so.seed = (uint64_t)v;
	else if (opt == FL_RUN_O_WALKS) o->so.walks = (long)v;
	else if (opt == FL_RUN_O_DEPTH) o->so.depth = (long)v;
	else o->so.max_states = (size_t)v;
	return FL_OK;
}

int fl_run_option(struct fl_run_opts *o, int opt, const char *arg, struct fl_err *e)
{
	double v;
	switch (opt) {
	case FL_RUN_O_SET:
		if (o->nsets >= FL_RUN_MAX_SETS)
			return fl_fail(e, FL_EINPUT, "too many --set options (%s)", arg);
		o->sets[o->nsets++] = arg;
		return FL_OK;
	case FL_RUN_O_SPEC:
		if (o->nspecs >= FL_MAX_SPECS)
			return fl_fail(e, FL_EINPUT, "too many --spec options (%s)", arg);
		o->specs[o->nspecs++] = arg;
		return FL_OK;
	case FL_RUN_O_SEARCH:
		if (!strcmp(arg, "bfs")) o->so.mode = FL_BFS;
		else if (!strcmp(arg, "dfs")) o->so.mode = FL_DFS;
		else if (!strcmp(arg, "random")) o->so.mode = FL_RANDOM;
		else return fl_fail(e, FL_EINPUT, "--search %s: choose bfs, dfs or random", arg);
		return FL_OK;
	case FL_RUN_O_SEED:
	case FL_RUN_O_WALKS:
	case FL_RUN_O_DEPTH:
	case FL_RUN_O_MAXS:
		return count_option(o, opt, arg, e);
	case FL_RUN_O_MAXM:
		if (fl_run_parse_count(arg, 1, &v) || v < 1)
			return fl_fail(e, FL_EINPUT, "--max-memory %s: give a size such as 512M or 2G", arg);
		o->so.max_memory = (size_t)v;
		return FL_OK;
	case FL_RUN_O_TIME:
		if (fl_run_parse_seconds(arg, &v))
			return fl_fail(e, FL_EINPUT, "--time-limit %s: give seconds, or 90s, 5m, 1h", arg);
		o->so.time_limit = v;
		return FL_OK;
	case FL_RUN_O_THREADS:
		if (fl_run_parse_count(arg, 0, &v) || v != floor(v) || v < 1 || v > FL_MAX_THREADS)
			return fl_fail(e, FL_EINPUT, "--threads %s: give a whole number from 1 to %d", arg,
				       FL_MAX_THREADS);
		o->so.threads = (int)v;
		return FL_OK;
	case FL_RUN_O_STORAGE:
		if (!strcmp(arg, "exact")) o->so.storage = FL_STORAGE_EXACT;
		else if (!strcmp(arg, "fingerprint")) o->so.storage = FL_STORAGE_FINGERPRINT;
		else if (!strcmp(arg, "bitstate")) o->so.storage = FL_STORAGE_BITSTATE;
		else return fl_fail(e, FL_EINPUT, "--storage %s: choose exact, fingerprint or bitstate", arg);
		return FL_OK;
	case FL_RUN_O_NOFALLBACK: o->so.no_fallback = 1; return FL_OK;
	case FL_RUN_O_QUIET: o->quiet = 1; return FL_OK;
	case FL_RUN_O_NOPROG: o->so.progress = 0; return FL_OK;
	default: return 1;
	}
}

int fl_run_options_check(const struct fl_run_opts *o, struct fl_err *e)
{
	static const char *const modes[] = {"bfs", "dfs", "random"};
	if (o->so.mode != FL_BFS && o->so.threads > 1)
		return fl_fail(e, FL_EINPUT, "--threads %d: only --search bfs runs on several threads",
			       o->so.threads);
	if (o->so.mode != FL_BFS && o->so.storage != FL_STORAGE_EXACT)
		return fl_fail(e, FL_EINPUT, "--storage %s needs --search bfs (--search %s keeps every "
			       "state it visits)", o->so.storage == FL_STORAGE_BITSTATE ? "bitstate"
			       : "fingerprint", modes[o->so.mode]);
	return FL_OK;
}

int fl_run_load(struct fl_run *x, const char *file, const struct fl_scn_opts *so, struct fl_err *e)
{
	return fl_scn_load(file, so, fl_kinds, fl_spec_kinds, &x->s, e);
}

int fl_run_load_exit(int rc)
{
	return rc == FL_ENOMEM ? FL_EXIT_INTERNAL : FL_EXIT_USAGE;
}

/* Builds and replays the trace of every violation, minimised when asked; returns FL_OK or an
 * internal error. */
static int build_traces(const struct fl_sys *s, const struct fl_store *st, const struct fl_result *r,
			int minimize, struct fl_trace *tr, struct fl_err *e)
{
	for (int i = 0; i < s->nspec; i++) {
		tr[i] = (struct fl_trace){0};
		if (!(r->violated >> i & 1u))
			continue;
		if (fl_trace_build(s, st, &r->viol[i], i, &tr[i]) != FL_OK)
			return fl_fail(e, FL_ENOMEM, "out of memory building a trace");
		int rc = fl_trace_replay(s, &tr[i], e);
		if (rc == FL_OK && minimize)
			rc = fl_trace_minimize(s, &tr[i], e);
		if (rc != FL_OK)
			return rc;
	}
	return FL_OK;
}

void fl_run_search(struct fl_run *x, const struct fl_search_opts *so, int traces)
{
	struct fl_store st;
	int rc = fl_search_run(&x->s, so, &st, &x->r, &x->e);
	if (rc == FL_OK && traces)
		rc = build_traces(&x->s, &st, &x->r, traces > 1, x->tr, &x->e);
	fl_store_fini(&st);
	if (rc != FL_OK) {
		x->failed = 1;
		x->code = FL_EXIT_INTERNAL;
		return;
	}
	x->code = fl_run_exit_code(&x->s, &x->r);
}

void fl_run_fini(struct fl_run *x)
{
	for (int i = 0; i < FL_MAX_SPECS; i++)
		fl_trace_fini(&x->tr[i]);
	fl_result_fini(&x->r);
	fl_sys_free(&x->s);
}

/* A reachable spec's monitor firing is good news: its verdicts are reached / unreachable. */
static int is_reachable(const struct fl_sys *s, int i) { return s->spec[i].kind->reachable; }

const char *fl_run_verdict(const struct fl_sys *s, const struct fl_result *r, int i)
{
	int found = r->violated >> i & 1u;
	if (!s->spec[i].checked)
		return "not-checked";
	if (is_reachable(s, i))
		return found ? "reached" : r->complete ? "unreachable" : "unknown";
	if (found)
		return "violated";
	return r->complete ? "holds" : "unknown";
}

const char *fl_run_shown(const char *v)
{
	return !strcmp(v, "violated") ? "VIOLATED" : !strcmp(v, "unreachable") ? "UNREACHABLE" : v;
}

const char *fl_run_expected(const struct fl_sys *s, int i)
{
	int x = s->spec[i].expect, r = is_reachable(s, i);
	return x == FL_EXPECT_HOLDS ? (r ? "unreachable" : "holds")
	       : x == FL_EXPECT_VIOLATED ? (r ? "reached" : "violated") : NULL;
}

int fl_run_matches(const struct fl_sys *s, const struct fl_result *r, int i)
{
	const char *x = fl_run_expected(s, i), *v = fl_run_verdict(s, r, i);
	if (!x || !strcmp(v, "not-checked") || !strcmp(v, "unknown"))
		return -1;
	return strcmp(x, v) == 0;
}

uint32_t fl_run_failed(const struct fl_sys *s, const struct fl_result *r)
{
	uint32_t reach = 0;
	for (int i = 0; i < s->nspec; i++)
		if (is_reachable(s, i) && s->spec[i].checked)
			reach |= 1u << i;
	return (r->violated & ~reach) | (r->complete ? reach & ~r->violated : 0);
}

int fl_run_exit_code(const struct fl_sys *s, const struct fl_result *r)
{
	if (fl_run_failed(s, r))
		return FL_EXIT_VIOLATED;
	return r->complete || r->decided ? FL_EXIT_HOLDS : FL_EXIT_INCOMPLETE;
}

int fl_run_worse(int a, int b)
{
	static const int rank[] = {[FL_EXIT_HOLDS] = 0, [FL_EXIT_INCOMPLETE] = 1,
				   [FL_EXIT_VIOLATED] = 2, [FL_EXIT_USAGE] = 3, [FL_EXIT_INTERNAL] = 4};
	return rank[a] >= rank[b] ? a : b;
}

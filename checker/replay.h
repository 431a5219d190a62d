/*
 * replay.h - counterexamples read back from their JSON (docs/trace-format.md) and re-executed
 * against a scenario as it is now: `faultline replay FILE TRACE.json`.
 *
 * A trace file holds one trace object, or {"traces": [...]}, or {"variants": [{"traces":
 * [...]}, ...]} as `check --trace-json` and `--json` write them. Each trace says which
 * variant, --set and --spec options built its system, so the same system can be built again.
 * Following a trace checks, step by step, that the recorded step is enabled, does what the
 * trace says (its text) and leads to the recorded state; the first difference is reported.
 */
#ifndef FL_REPLAY_H
#define FL_REPLAY_H

#include "doc.h"
#include "scenario.h"
#include "trace.h"

struct fl_replay {
	const struct fl_node *node; /* the trace object in the file */
	const char *spec;           /* its spec's name */
	const char *variant;        /* NULL: the file as written */
	const char **sets, **specs; /* --set and --spec options it was found with (owned arrays) */
	int nsets, nspecs;
};

struct fl_replay_file {
	struct fl_doc doc;
	struct fl_replay *t;
	int n;
};

/* Reads path; returns FL_OK, or FL_EINPUT (e says where and why) or FL_ENOMEM. */
int fl_replay_read(const char *path, struct fl_replay_file *f, struct fl_err *e);
void fl_replay_free(struct fl_replay_file *f);

/* The options that rebuild rt's system. */
struct fl_scn_opts fl_replay_opts(const struct fl_replay *rt);

/*
 * Follows rt on s (built with fl_replay_opts), filling t (fl_trace_fini it). Returns FL_OK
 * when every step matches and the end breaks the spec again (t->why says how); FL_EINPUT with
 * e saying where the trace and the model part ways ("step 4: ..."); FL_ENOMEM.
 */
int fl_replay_follow(const struct fl_sys *s, const struct fl_replay *rt, struct fl_trace *t,
		     struct fl_err *e);

#endif

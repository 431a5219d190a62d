/*
 * report.h - counterexamples as pictures: one self-contained HTML page (verdicts, figures and,
 * per trace, an inline SVG message-sequence chart plus the numbered steps), or the chart of one
 * trace as Mermaid sequenceDiagram text. The chart is derived by replaying the trace: an arrow
 * runs from the acting instance to every other instance whose slice the step changed.
 *
 * Stable hooks for tests and tools: every lifeline is `<g class="lifeline" data-name=NAME>`,
 * every step row `<g class="step" data-n=K>` (plus `fault`, `timeout`, `recovery`, `loop`);
 * what breaks spec S carries id `violating-S` (`violating-S-2`, ... for later runs of the page):
 * the last step of a safety trace (`class="step violating"`), the end marker of an at-rest
 * trace (`class="end violating"`) or the loop bracket of a lasso (`class="loop violating"`).
 */
#ifndef FL_REPORT_H
#define FL_REPORT_H

#include "search.h"
#include "sys.h"
#include "trace.h"

#include <stdio.h>

struct fl_report_run {
	const char *title;         /* e.g. "variant remove-before-write (stage.order=[...])" */
	const struct fl_sys *s;
	const struct fl_result *r; /* verdicts and figures; NULL: the run failed (no result) */
	const struct fl_trace *tr; /* tr[i] is the trace of spec i when r->violated has bit i */
};

struct fl_report_table {       /* an optional summary table shown at the top */
	int ncols, nrows;
	const char *const *head;   /* ncols */
	const char *const *cells;  /* nrows * ncols, row-major; plain text, escaped by the writer */
	const char *notes;         /* optional plain text under the table, one note per line */
};

/* Writes one self-contained HTML page (no network, no external scripts, fonts or styles) to
 * f: heading, the optional table (may be NULL), then per run its verdicts, figures and, for
 * every trace, a chart and the numbered steps. Nothing is owned or kept. Returns FL_OK,
 * FL_ENOMEM, or FL_EINPUT when writing to f failed. */
int fl_report_html(FILE *f, const char *heading, const struct fl_report_table *table,
		   const struct fl_report_run *runs, int nruns);

/* The chart of trace t of s as Mermaid sequenceDiagram text (one diagram, ending in a
 * newline). Returns FL_OK, FL_ENOMEM, or FL_EINPUT when writing to f failed. */
int fl_report_mermaid(FILE *f, const struct fl_sys *s, const struct fl_trace *t);

#endif

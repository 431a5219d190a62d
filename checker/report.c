/*
 * report.c - HTML and Mermaid sequence charts of counterexamples (see report.h).
 *
 * A chart is recomputed, not remembered: the trace is replayed from the initial state and each
 * instance's slice compared before and after every step, as trace.c prints it. Lifelines are
 * the instances that act or change somewhere in the trace, in instance order; the others are
 * named in the chart's legend. Everything written is escaped here: names and step texts come
 * from scenario files.
 */
#include "report.h"

#include "run.h"

#include <string.h>

/* Chart geometry in SVG user units (CSS px). CHARW is the average glyph width of the 12px
 * label font, used to truncate labels; the full text is always in a <title> tooltip. */
enum { COLW = 150, LEFT = 56, TOP = 50, ROWH = 30, RIGHT = 200, CHARW = 6 };

struct row {
	const struct fl_step *st;
	struct fl_buf text;   /* what the step does (fl_sys_step_name) */
	struct fl_buf detail; /* "name: before -> after\n" per change (fl_trace_changes) */
	int back;             /* a faulted instance coming back (fl_trace_step.back) */
};

struct chart {
	const struct fl_sys *s;
	const struct fl_trace *t;
	struct row *rows;     /* t->n */
	uint8_t *chg;         /* t->n * ninst: 1 if step k changed instance i */
	int *col;             /* per instance: its lifeline column, or -1 when not shown */
	int ncol;
	int oom;              /* a row's text could not grow */
};

/* --- escaping -------------------------------------------------------------------------- */

/* Writes s as HTML/XML text or attribute value. */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Characters (not bytes: UTF-8 continuation bytes are not counted) in s. */
static int nchars(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* esc of the first max characters of s, with "..." when cut (max >= 4). */
static void esc_cut(FILE *f, const char *s, int max)
{
	if (nchars(s) <= max) {
		esc(f, s);
		return;
	}
	char c[2] = {0, 0};
	for (int n = 0; *s; s++) {
		n += ((unsigned char)*s & 0xC0) != 0x80;
		if (n > max - 3)
			break;
		c[0] = *s;
		esc(f, c);
	}
	fputs("...", f);
}

/* Writes s as Mermaid message text: one line, with the characters Mermaid reads as syntax
 * written as its #code; entities. */
static void mm_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (strchr(";#:<>", *s))
			fprintf(f, "#%d;", (unsigned char)*s);
		else
			fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
}

/* --- the chart, by replay -------------------------------------------------------------- */

static void detail_line(void *ctx, const char *name, const char *before, const char *after)
{
	fl_buf_printf(ctx, "%s: %s -> %s\n", name, before, after);
}

/* One step of the walk: its text, what it changed (instances marked in chg), its way back. */
static void chart_step(void *ctx, const struct fl_trace_step *w)
{
	struct chart *c = ctx;
	const struct fl_sys *s = c->s;
	struct row *r = &c->rows[w->k];
	r->st = w->st;
	r->back = w->back;
	fl_buf_puts(&r->text, w->text);
	for (int i = 0; i < s->ninst; i++)
		if (memcmp(w->a + s->inst[i].off, w->b + s->inst[i].off, s->inst[i].size) != 0)
			c->chg[(size_t)w->k * (size_t)s->ninst + (size_t)i] = 1;
	fl_trace_changes(s, w->a, w->b, detail_line, &r->detail);
	c->oom |= r->text.oom | r->detail.oom;
}

static int changed(const struct chart *c, int k, int i)
{
	return c->chg[(size_t)k * (size_t)c->s->ninst + (size_t)i];
}

/* A lifeline for every instance that acts, is a fault's target or changes. */
static void columns(struct chart *c)
{
	for (int i = 0; i < c->s->ninst; i++) {
		int used = 0;
		for (int k = 0; k < c->t->n && !used; k++) {
			const struct fl_step *st = c->rows[k].st;
			used = st->inst == i || (st->cls == FL_FAULT && st->target == i) || changed(c, k, i);
		}
		c->col[i] = used ? c->ncol++ : -1;
	}
}

static void chart_fini(struct chart *c)
{
	for (int k = 0; c->rows && k < c->t->n; k++) {
		fl_buf_fini(&c->rows[k].text);
		fl_buf_fini(&c->rows[k].detail);
	}
	fl_free(c->rows);
	fl_free(c->chg);
	fl_free(c->col);
}

/* Replays t into c (chart_fini frees it, also after a failure). Returns FL_OK or FL_ENOMEM. */
static int chart_build(struct chart *c, const struct fl_sys *s, const struct fl_trace *t)
{
	size_t n = (size_t)(t->n ? t->n : 1);
	*c = (struct chart){.s = s, .t = t};
	c->rows = fl_alloc(n * sizeof *c->rows);
	c->chg = fl_alloc(n * (size_t)s->ninst);
	c->col = fl_alloc((size_t)(s->ninst ? s->ninst : 1) * sizeof *c->col);
	int rc = c->rows && c->chg && c->col ? fl_trace_walk(s, t, chart_step, c) : FL_ENOMEM;
	if (rc == FL_OK && c->oom)
		rc = FL_ENOMEM;
	if (rc == FL_OK)
		columns(c);
	return rc;
}

/* --- what a step is -------------------------------------------------------------------- */

static const char *spec_name(const struct chart *c) { return c->s->spec[c->t->spec].kind->name; }

/* 1 if step k is the one that breaks a safety spec (the last step of a plain trace). */
static int violating(const struct chart *c, int k)
{
	return !c->t->at_rest && c->t->loop < 0 && k == c->t->n - 1;
}

/* The way back of a faulted instance (its recovery or restart), as text traces mark "++". */
static int recovery(const struct row *r) { return r->back; }

/* The word that tags a step in labels and text, with its trailing space, or "". */
static const char *tag(const struct row *r)
{
	return r->st->cls == FL_FAULT ? "FAULT " : r->st->cls == FL_TIMEOUT ? "timeout: " : "";
}

/* --- SVG ------------------------------------------------------------------------------- */

static int col_x(const struct chart *c, int inst) { return LEFT + c->col[inst] * COLW + COLW / 2; }
static int row_y(int k) { return TOP + k * ROWH; }
static int svg_w(const struct chart *c) { return LEFT + c->ncol * COLW + RIGHT; }
static int svg_h(const struct chart *c) { return row_y(c->t->n + (c->t->at_rest ? 1 : 0)) + 14; }

/* The id of what breaks the chart's spec: violating-S, then violating-S-2 ... (occurrence). */
static void vid(FILE *f, const struct chart *c, int occurrence)
{
	fputs("violating-", f);
	esc(f, spec_name(c));
	if (occurrence > 1)
		fprintf(f, "-%d", occurrence);
}

static void svg_lifelines(FILE *f, const struct chart *c)
{
	for (int i = 0; i < c->s->ninst; i++) {
		if (c->col[i] < 0)
			continue;
		int x = col_x(c, i);
		fputs("<g class=\"lifeline\" data-name=\"", f);
		esc(f, c->s->inst[i].name);
		fputs("\"><title>", f);
		esc(f, c->s->inst[i].name);
		fprintf(f, "</title><line x1=\"%d\" y1=\"36\" x2=\"%d\" y2=\"%d\"/>", x, x, svg_h(c) - 6);
		fprintf(f, "<rect x=\"%d\" y=\"8\" width=\"%d\" height=\"28\" rx=\"5\"/>", x - COLW / 2 + 6,
			COLW - 12);
		fprintf(f, "<text x=\"%d\" y=\"27\">", x);
		esc_cut(f, c->s->inst[i].name, (COLW - 16) / CHARW);
		fputs("</text></g>\n", f);
	}
}

/* A label of at most max characters: starting at x (start), or centred on x and kept inside
 * the chart. */
static void svg_label(FILE *f, const struct chart *c, const struct row *r, int x, int y, int max,
		      int start)
{
	const char *text = fl_buf_str(&r->text);
	int len = nchars(tag(r)) + nchars(text);
	int half = (len < max ? len : max) * CHARW / 2 + 4;
	if (!start && x - half < LEFT)
		x = LEFT + half;
	if (!start && x + half > svg_w(c))
		x = svg_w(c) - half;
	fprintf(f, "<text class=\"label%s\" x=\"%d\" y=\"%d\">", start ? " start" : "", x, y);
	fputs(tag(r), f);
	esc_cut(f, text, max - nchars(tag(r)));
	fputs("</text>", f);
}

static void svg_arrow(FILE *f, int xa, int xb, int y)
{
	int d = xb > xa ? 1 : -1;
	fprintf(f, "<g class=\"arrow\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", xa, y,
		xb - 7 * d, y);
	fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d\"/></g>", xb, y, xb - 9 * d, y - 4, xb - 9 * d,
		y + 4);
}

/* Arrows from the actor to every other changed instance, or a self mark; then the label. */
static void svg_moves(FILE *f, const struct chart *c, int k)
{
	const struct row *r = &c->rows[k];
	int y = row_y(k), xa = col_x(c, r->st->inst), lo = xa, hi = xa;
	for (int i = 0; i < c->s->ninst; i++) {
		if (i == r->st->inst || !changed(c, k, i))
			continue;
		int x = col_x(c, i);
		svg_arrow(f, xa, x, y + 21);
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	if (lo == hi) {
		fprintf(f, "<rect class=\"self\" x=\"%d\" y=\"%d\" width=\"10\" height=\"18\" rx=\"2\"/>",
			xa - 5, y + 6);
		/* room up to the right edge, less the verdict of a violating step */
		int max = (svg_w(c) - xa - 20) / CHARW - (violating(c, k) ? 20 : 0);
		svg_label(f, c, r, xa + 12, y + 19, max > 56 ? 56 : max < 8 ? 8 : max, 1);
		return;
	}
	int max = (hi - lo + COLW) / CHARW;
	svg_label(f, c, r, (lo + hi) / 2, y + 15, max < 3 * COLW / CHARW ? 3 * COLW / CHARW : max, 0);
}

/* The tooltip of step k: its number, actor and whole text. */
static void svg_title(FILE *f, const struct chart *c, int k)
{
	const struct row *r = &c->rows[k];
	fprintf(f, "<title>%d. %s", k + 1, tag(r));
	esc(f, c->s->inst[r->st->inst].name);
	fputs(": ", f);
	esc(f, fl_buf_str(&r->text));
	fputs("</title>", f);
}

static void svg_step(FILE *f, const struct chart *c, int k, int occurrence)
{
	const struct row *r = &c->rows[k];
	int y = row_y(k), loop = c->t->loop >= 0 && k >= c->t->loop;
	fprintf(f, "<g class=\"step%s%s%s%s%s\" data-n=\"%d\"", r->st->cls == FL_FAULT ? " fault" : "",
		r->st->cls == FL_TIMEOUT ? " timeout" : "", recovery(r) ? " recovery" : "",
		loop ? " loop" : "", violating(c, k) ? " violating" : "", k + 1);
	if (violating(c, k)) {
		fputs(" id=\"", f);
		vid(f, c, occurrence);
		fputs("\"", f);
	}
	fputs(">", f);
	svg_title(f, c, k);
	fprintf(f, "<rect class=\"band\" x=\"2\" y=\"%d\" width=\"%d\" height=\"%d\"/>", y + 1,
		svg_w(c) - 4, ROWH - 2);
	fprintf(f, "<text class=\"num\" x=\"%d\" y=\"%d\">%d</text>", LEFT - 14, y + 20, k + 1);
	svg_moves(f, c, k);
	if (r->st->cls == FL_FAULT && c->col[r->st->target] >= 0)
		fprintf(f, "<rect class=\"faultbox\" x=\"%d\" y=\"%d\" width=\"16\" height=\"22\" rx=\"3\"/>",
			col_x(c, r->st->target) - 8, y + 4);
	if (violating(c, k)) {
		fprintf(f, "<text class=\"verdict\" x=\"%d\" y=\"%d\">breaks ", svg_w(c) - 8, y + 19);
		esc(f, spec_name(c));
		fputs("</text>", f);
	}
	fputs("</g>\n", f);
}

/* A lasso's loop: a bracket over steps loop..n-1 in the left margin. */
static void svg_loop(FILE *f, const struct chart *c, int occurrence)
{
	int y0 = row_y(c->t->loop) + 3, y1 = row_y(c->t->n) - 3;
	fputs("<g class=\"loop violating\" id=\"", f);
	vid(f, c, occurrence);
	fprintf(f, "\"><title>steps %d..%d repeat forever</title>", c->t->loop + 1, c->t->n);
	fprintf(f, "<rect class=\"loopband\" x=\"2\" y=\"%d\" width=\"%d\" height=\"%d\"/>", y0,
		svg_w(c) - 4, y1 - y0);
	fprintf(f, "<path d=\"M%d %d h-8 V%d h8\"/>", 18, y0 + 2, y1 - 2);
	fprintf(f, "<text class=\"verdict\" x=\"%d\" y=\"%d\">repeats forever</text></g>\n",
		svg_w(c) - 8, y1 - 8);
}

/* An at-rest trace: the end, where nothing more can happen, is what breaks the spec. */
static void svg_rest(FILE *f, const struct chart *c, int occurrence)
{
	int y = row_y(c->t->n);
	fputs("<g class=\"end violating\" id=\"", f);
	vid(f, c, occurrence);
	fprintf(f, "\"><rect class=\"restband\" x=\"2\" y=\"%d\" width=\"%d\" height=\"%d\"/>", y + 1,
		svg_w(c) - 4, ROWH - 2);
	fprintf(f, "<text x=\"%d\" y=\"%d\">at rest: nothing more can happen - ", svg_w(c) / 2, y + 20);
	esc(f, spec_name(c));
	fputs(" is violated</text></g>\n", f);
}

static void svg_chart(FILE *f, const struct chart *c, int occurrence)
{
	fprintf(f, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
		svg_w(c), svg_h(c), svg_w(c), svg_h(c));
	fputs("<title>sequence chart: ", f);
	esc(f, spec_name(c));
	fputs("</title>\n", f);
	if (c->t->loop >= 0 && c->t->loop < c->t->n)
		svg_loop(f, c, occurrence);
	svg_lifelines(f, c);
	for (int k = 0; k < c->t->n; k++)
		svg_step(f, c, k, occurrence);
	if (c->t->at_rest)
		svg_rest(f, c, occurrence);
	fputs("</svg>\n", f);
}

/* --- HTML ------------------------------------------------------------------------------ */

static const char css[] =
	"body{font:14px/1.45 \"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;color:#1d2330;"
	"margin:24px;background:#f6f7fa}\n"
	"h1{font-size:22px;margin:0 0 12px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #ccd3e0}\n"
	"h3{font-size:15px;margin:18px 0 4px}\n"
	"table{border-collapse:collapse;background:#fff;margin:6px 0}\n"
	"td,th{border:1px solid #ccd3e0;padding:3px 9px;text-align:left;vertical-align:top}\n"
	"th{background:#eef2fb}.violated{color:#b91c1c;font-weight:bold}.holds{color:#15803d}\n"
	".figures td:first-child{color:#556}.legend{background:#fff;border:1px solid #ccd3e0;"
	"padding:6px 12px;display:inline-block}.legend span{margin-right:18px;white-space:nowrap}\n"
	".sw{display:inline-block;width:14px;height:12px;vertical-align:-1px;margin-right:4px;"
	"border:1px solid #778}\n"
	"figure{margin:10px 0 20px}figcaption{margin:4px 0}.omitted{color:#556;font-size:12px}\n"
	".scroll{overflow-x:auto}svg.chart{background:#fff;border:1px solid #ccd3e0;"
	"font:12px \"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;display:block}\n"
	".lifeline line{stroke:#8e98ad;stroke-width:1.2;stroke-dasharray:5 4}\n"
	".lifeline rect{fill:#e3e9f7;stroke:#4b5d82}.lifeline text{text-anchor:middle;font-weight:bold}\n"
	".step .band{fill:transparent}.step:hover .band{fill:rgba(59,130,246,.08)}\n"
	".step.fault .band{fill:rgba(220,38,38,.13)}.step.timeout .band{fill:rgba(234,179,8,.15)}\n"
	".step.recovery .band{fill:rgba(22,163,74,.10)}\n"
	".step.violating .band{fill:rgba(249,115,22,.25);stroke:#c2410c;stroke-width:2}\n"
	".arrow line{stroke:#1f2a44;stroke-width:1.5}.arrow polygon{fill:#1f2a44}\n"
	".timeout .arrow line{stroke-dasharray:5 3}.self{fill:#4b5d82}.recovery .self{fill:#16a34a}\n"
	".faultbox{fill:#dc2626}.fault .label{fill:#991b1b;font-weight:bold}.recovery .label{fill:#166534}\n"
	".label{text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}.label.start{text-anchor:start}\n"
	".num{text-anchor:end;fill:#556;font-weight:bold}\n"
	".verdict{text-anchor:end;fill:#b91c1c;font-weight:bold;paint-order:stroke;stroke:#fff;stroke-width:4px}\n"
	".loopband{fill:rgba(59,130,246,.10);stroke:#2563eb;stroke-dasharray:6 3}\n"
	".loop path{fill:none;stroke:#2563eb;stroke-width:2.5}\n"
	".restband{fill:rgba(249,115,22,.25);stroke:#c2410c;stroke-width:2}\n"
	".end text{text-anchor:middle;font-weight:bold;fill:#7c2d12}\n"
	"ol.steps{background:#fff;border:1px solid #ccd3e0;padding:6px 10px 6px 44px;margin:8px 0;"
	"font:13px/1.4 \"DejaVu Sans Mono\",\"Liberation Mono\",monospace}\n"
	"ol.steps li.fault{color:#991b1b}ol.steps li.violating{background:#ffedd5}\n"
	"ol.steps ul{margin:0;padding-left:18px;color:#556;list-style:circle}\n";

static void html_legend(FILE *f)
{
	fputs("<p class=\"legend\"><b>Reading the charts:</b> time flows down, one row per step; "
	      "an arrow runs from the instance that acts to each instance the step changes. "
	      "<br><span><span class=\"sw\" style=\"background:#4b5d82\"></span>a step that changes "
	      "only its own instance</span><span><span class=\"sw\" style=\"background:#f9d0d0\">"
	      "</span>FAULT (red box: the instance it strikes)</span><span><span class=\"sw\" "
	      "style=\"background:#fbeec0\"></span>timeout</span><span><span class=\"sw\" "
	      "style=\"background:#d6f0de\"></span>recovery</span><span><span class=\"sw\" "
	      "style=\"background:#fdd3b0;border-color:#c2410c\"></span>the step or end that breaks "
	      "the spec</span><span><span class=\"sw\" style=\"background:#dde8fd;border-color:#2563eb\">"
	      "</span>a loop that repeats forever</span><br>Lifelines are the instances that act or "
	      "change in the trace; the others are listed under each chart. Hover a row for its whole "
	      "text.</p>\n",
	      f);
}

static void html_table(FILE *f, const struct fl_report_table *t)
{
	fputs("<table class=\"summary\">\n<tr>", f);
	for (int j = 0; j < t->ncols; j++) {
		fputs("<th>", f);
		esc(f, t->head[j] ? t->head[j] : "");
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (int i = 0; i < t->nrows; i++) {
		fputs("<tr>", f);
		for (int j = 0; j < t->ncols; j++) {
			const char *cell = t->cells[i * t->ncols + j];
			fputs("<td>", f);
			esc(f, cell ? cell : "");
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void html_verdicts(FILE *f, const struct fl_sys *s, const struct fl_result *r,
			  const struct fl_trace *tr)
{
	fputs("<table class=\"verdicts\">\n<tr><th>spec</th><th>verdict</th><th>expected</th>"
	      "<th>why</th></tr>\n", f);
	for (int i = 0; i < s->nspec; i++) {
		const char *v = fl_run_verdict(s, r, i), *x = fl_run_expected(s, i);
		fputs("<tr><td>", f);
		esc(f, s->spec[i].kind->name);
		fprintf(f, "</td><td class=\"%s\">%s</td><td>%s</td><td>", v, v, x ? x : "");
		if (r->violated >> i & 1u && tr[i].why)
			esc(f, tr[i].why);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void html_figures(FILE *f, const struct fl_result *r)
{
	double sps = r->seconds > 0 ? (double)r->states / r->seconds : 0;
	double bps = r->states ? (double)r->store_bytes / (double)r->states : 0;
	fprintf(f, "<table class=\"figures\"><tr><td>states</td><td>%zu</td><td>transitions</td>"
		   "<td>%zu</td><td>depth</td><td>%u</td></tr>\n", r->states, r->transitions, r->depth);
	fprintf(f, "<tr><td>seconds</td><td>%.2f</td><td>states/s</td><td>%.0f</td><td>bytes/state"
		   "</td><td>%.0f</td></tr>\n", r->seconds, sps, bps);
	fprintf(f, "<tr><td>peak memory</td><td>%.1f MB</td><td>search</td><td colspan=\"3\">",
		(double)r->peak_rss / 1048576.0);
	esc(f, r->complete ? "complete (every reachable state explored)" : r->stop_reason);
	fputs("</td></tr></table>\n", f);
}

/* The instances a chart leaves out, if any. */
static void html_omitted(FILE *f, const struct chart *c)
{
	int first = 1;
	for (int i = 0; i < c->s->ninst; i++) {
		if (c->col[i] >= 0)
			continue;
		fputs(first ? "<p class=\"omitted\">Not shown (never act nor change in this trace): " : ", ", f);
		esc(f, c->s->inst[i].name);
		first = 0;
	}
	if (!first)
		fputs(".</p>\n", f);
}

static void html_step(FILE *f, const struct chart *c, int k)
{
	const struct row *r = &c->rows[k];
	fprintf(f, "<li value=\"%d\" class=\"%s%s\">%s", k + 1, r->st->cls == FL_FAULT ? "fault" : "",
		violating(c, k) ? " violating" : "", r->st->cls == FL_FAULT ? "<b>FAULT</b> " : tag(r));
	fputs("<b>", f);
	esc(f, c->s->inst[r->st->inst].name);
	fputs("</b>: ", f);
	esc(f, fl_buf_str(&r->text));
	fputs("<ul>", f);
	for (const char *p = fl_buf_str(&r->detail), *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		fputs("<li>", f);
		for (const char *q = p; q < nl; q++) {
			char ch[2] = {*q, 0};
			esc(f, ch);
		}
		fputs("</li>", f);
	}
	fputs("</ul></li>\n", f);
}

static void html_steps(FILE *f, const struct chart *c)
{
	fputs("<ol class=\"steps\">\n", f);
	for (int k = 0; k < c->t->n; k++) {
		if (k == c->t->loop)
			fprintf(f, "<li style=\"list-style:none\"><i>-- loop: steps %d..%d repeat forever "
				   "--</i></li>\n", k + 1, c->t->n);
		html_step(f, c, k);
	}
	if (c->t->loop >= 0)
		fprintf(f, "<li style=\"list-style:none\"><i>-- back to the state before step %d --</i>"
			   "</li>\n", c->t->loop + 1);
	if (c->t->at_rest)
		fputs("<li style=\"list-style:none\"><i>-- at rest: nothing more can happen --</i></li>\n", f);
	fputs("</ol>\n", f);
}

/* Occurrence counts of the violation ids of a page, so that they stay unique. */
struct ids {
	const char *name[64];
	int count[64];
	int n;
};

static int occurrence(struct ids *ids, const char *name)
{
	for (int i = 0; i < ids->n; i++)
		if (!strcmp(ids->name[i], name))
			return ++ids->count[i];
	if (ids->n < 64) {
		ids->name[ids->n] = name;
		ids->count[ids->n++] = 1;
	}
	return 1;
}

static int html_trace(FILE *f, const struct fl_sys *s, const struct fl_trace *t, struct ids *ids)
{
	struct chart c;
	int rc = chart_build(&c, s, t);
	if (rc == FL_OK) {
		fputs("<figure class=\"trace\">\n<figcaption><span class=\"violated\">", f);
		esc(f, spec_name(&c));
		fprintf(f, " %s</span>: ", s->spec[t->spec].kind->reachable ? "reached" : "violated");
		esc(f, t->why ? t->why : "");
		fprintf(f, " (%d step%s%s)</figcaption>\n<div class=\"scroll\">", t->n, t->n == 1 ? "" : "s",
			t->at_rest ? ", then at rest" : t->loop >= 0 ? ", ending in a loop" : "");
		svg_chart(f, &c, occurrence(ids, spec_name(&c)));
		fputs("</div>\n", f);
		html_omitted(f, &c);
		struct fl_buf b = {0};
		fl_trace_explain(s, t, &b);
		fputs("<p class=\"explain\"><b>In short:</b> ", f);
		esc(f, fl_buf_str(&b));
		fputs("</p>\n", f);
		fl_buf_fini(&b);
		html_steps(f, &c);
		fputs("</figure>\n", f);
	}
	chart_fini(&c);
	return rc;
}

static int html_run(FILE *f, const struct fl_report_run *run, struct ids *ids)
{
	fputs("<section class=\"run\">\n<h2>", f);
	esc(f, run->title ? run->title : run->s->name);
	fputs("</h2>\n<p>scenario: ", f);
	esc(f, run->s->name ? run->s->name : "");
	fputs("</p>\n", f);
	if (!run->r) {
		fputs("<p class=\"violated\">No result: the run failed.</p>\n</section>\n", f);
		return FL_OK;
	}
	html_verdicts(f, run->s, run->r, run->tr);
	html_figures(f, run->r);
	int rc = FL_OK;
	for (int i = 0; i < run->s->nspec && rc == FL_OK; i++)
		if (run->r->violated >> i & 1u && run->tr)
			rc = html_trace(f, run->s, &run->tr[i], ids);
	fputs("</section>\n", f);
	return rc;
}

int fl_report_html(FILE *f, const char *heading, const struct fl_report_table *table,
		   const struct fl_report_run *runs, int nruns)
{
	struct ids ids = {.n = 0};
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	esc(f, heading ? heading : "faultline report");
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", css);
	esc(f, heading ? heading : "faultline report");
	fputs("</h1>\n", f);
	if (table && table->ncols > 0)
		html_table(f, table);
	if (table && table->notes && *table->notes) {
		fputs("<ul class=\"notes\">\n", f);
		for (const char *p = table->notes; *p;) {
			size_t n = strcspn(p, "\n");
			fputs("<li>", f);
			for (size_t k = 0; k < n; k++)
				esc(f, (char[2]){p[k], 0});
			fputs("</li>\n", f);
			p += n + (p[n] == '\n');
		}
		fputs("</ul>\n", f);
	}
	html_legend(f);
	int rc = FL_OK;
	for (int i = 0; i < nruns && rc == FL_OK; i++)
		rc = html_run(f, &runs[i], &ids);
	fputs("</body>\n</html>\n", f);
	return rc == FL_OK && ferror(f) ? FL_EINPUT : rc;
}

/* --- Mermaid --------------------------------------------------------------------------- */

static int mm_idchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* 1 if names a and b sanitize to the same Mermaid id. */
static int mm_same(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && (mm_idchar(*a) || mm_idchar(*b)))
			return 0;
	return !*a && !*b;
}

/* Writes the Mermaid id of instance i: its name with every other character than a letter or
 * digit as '_', prefixed with "p_" (so that no id is a keyword such as `end`), and suffixed
 * with the instance number when an earlier instance gives the same id. */
static void mm_id(FILE *f, const struct fl_sys *s, int i)
{
	fputs("p_", f);
	for (const char *p = s->inst[i].name; *p; p++)
		fputc(mm_idchar(*p) ? *p : '_', f);
	for (int j = 0; j < i; j++)
		if (mm_same(s->inst[j].name, s->inst[i].name)) {
			fprintf(f, "_%d", i);
			break;
		}
}

static void mm_note(FILE *f, const struct chart *c, int inst, const char *prefix, int k)
{
	const struct row *r = &c->rows[k];
	fputs("    Note over ", f);
	mm_id(f, c->s, inst);
	fprintf(f, ": %d. %s", k + 1, prefix);
	mm_esc(f, fl_buf_str(&r->text));
	fputs("\n", f);
}

static void mm_step(FILE *f, const struct chart *c, int k)
{
	const struct row *r = &c->rows[k];
	int any = 0;
	fprintf(f, "    %%%% step %d\n", k + 1);
	for (int i = 0; i < c->s->ninst; i++) {
		if (i == r->st->inst || !changed(c, k, i))
			continue;
		fputs("    ", f);
		mm_id(f, c->s, r->st->inst);
		fputs(r->st->cls == FL_TIMEOUT ? "-->>" : "->>", f);
		mm_id(f, c->s, i);
		fprintf(f, ": %d. %s", k + 1, tag(r));
		mm_esc(f, fl_buf_str(&r->text));
		fputs("\n", f);
		any = 1;
	}
	if (r->st->cls == FL_FAULT)
		mm_note(f, c, r->st->target, "FAULT ", k);
	else if (!any)
		mm_note(f, c, r->st->inst, tag(r), k);
}

static void mm_participants(FILE *f, const struct chart *c, int *first, int *last)
{
	*first = *last = -1;
	for (int i = 0; i < c->s->ninst; i++) {
		if (c->col[i] < 0)
			continue;
		fputs("    participant ", f);
		mm_id(f, c->s, i);
		fputs(" as ", f);
		mm_esc(f, c->s->inst[i].name);
		fputs("\n", f);
		*first = *first < 0 ? i : *first;
		*last = i;
	}
}

/* A note over every lifeline (first..last). */
static void mm_note_all(FILE *f, const struct chart *c, int first, int last)
{
	fputs("    Note over ", f);
	mm_id(f, c->s, first);
	if (last != first) {
		fputs(",", f);
		mm_id(f, c->s, last);
	}
	fputs(": ", f);
}

static void mm_chart(FILE *f, const struct chart *c)
{
	int first, last;
	fputs("sequenceDiagram\n", f);
	mm_participants(f, c, &first, &last);
	for (int k = 0; k < c->t->n; k++) {
		if (k == c->t->loop)
			fprintf(f, "    loop steps %d..%d repeat forever\n", k + 1, c->t->n);
		if (violating(c, k))
			fputs("    rect rgb(255, 214, 170)\n", f);
		else if (c->rows[k].st->cls == FL_FAULT)
			fputs("    rect rgb(255, 222, 222)\n", f);
		mm_step(f, c, k);
		if (violating(c, k)) {
			mm_note_all(f, c, first, last);
			fprintf(f, "breaks %s#58; ", spec_name(c));
			mm_esc(f, c->t->why ? c->t->why : "");
			fputs("\n", f);
		}
		if (violating(c, k) || c->rows[k].st->cls == FL_FAULT)
			fputs("    end\n", f);
	}
	if (c->t->loop >= 0 && c->t->loop < c->t->n)
		fputs("    end\n", f);
	if (first >= 0 && (c->t->at_rest || c->t->loop >= 0)) {
		mm_note_all(f, c, first, last);
		fprintf(f, "%s - %s violated#58; ", c->t->at_rest ? "at rest#58; nothing more can happen"
								: "the loop repeats forever", spec_name(c));
		mm_esc(f, c->t->why ? c->t->why : "");
		fputs("\n", f);
	}
}

int fl_report_mermaid(FILE *f, const struct fl_sys *s, const struct fl_trace *t)
{
	struct chart c;
	int rc = chart_build(&c, s, t);
	if (rc == FL_OK)
		mm_chart(f, &c);
	chart_fini(&c);
	return rc == FL_OK && ferror(f) ? FL_EINPUT : rc;
}

/*
 * compare.c - the `compare` command (compare.h): one table over several designs of a scenario.
 *
 * Every row is loaded before any search, so a bad key or value stops the command (exit 2)
 * before it has spent time. Each row is searched once with the scenario's whole fault budget
 * (its verdicts, figures and shortest counterexamples), then, for the specs that broke, again
 * with budgets 0, 1, ... below it (--set faults.max=B) until every such spec has its smallest
 * budget. A budget search sees a subset of the states of the next one, so the first budget at
 * which a spec breaks is the smallest, as long as the searches below it were complete.
 *
 * With --vary on a file that has variants, the rows vary the file as written (crossing the
 * variants too would mostly repeat them, since a --set wins over a variant's set:); a row whose
 * overrides are exactly one variant's set: is named after that variant and takes its expect:.
 */
#include "compare.h"
#include "report.h"

#include "json.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LABEL_MAX 40 /* longer row labels are shown as #N in the text table, with a legend */
#define TEXT_WIDTH 140

/* --- splitting values ----------------------------------------------------------------------- */

static int add_value(const char *a, const char *b, char **out, int max, int *n, struct fl_err *e)
{
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	if (a == b)
		return fl_fail(e, FL_EINPUT, "an empty value (two commas in a row, or one at an end)");
	if (*n >= max)
		return fl_fail(e, FL_EINPUT, "more than %d values", max);
	char *v = fl_alloc((size_t)(b - a) + 1);
	if (!v)
		return fl_fail(e, FL_ENOMEM, "out of memory");
	memcpy(v, a, (size_t)(b - a));
	out[(*n)++] = v;
	return FL_OK;
}

/* Where the quoted text starting at p (a quote) ends: its closing quote, or NULL. */
static const char *quote_end(const char *p)
{
	for (const char *q = p + 1; *q; q++) {
		if (*p == '"' && *q == '\\' && q[1])
			q++;
		else if (*q == *p)
			return q;
	}
	return NULL;
}

static int split_values(const char *text, char **out, int max, int *n, struct fl_err *e)
{
	char open[64];
	int depth = 0;
	const char *start = text;
	for (const char *p = text;; p++) {
		if (*p == '\'' || *p == '"') {
			const char *q = quote_end(p);
			if (!q)
				return fl_fail(e, FL_EINPUT, "a %c quote is not closed", *p);
			p = q;
		} else if (*p && strchr("[{(", *p)) {
			if (depth == (int)sizeof open)
				return fl_fail(e, FL_EINPUT, "brackets nested too deep");
			open[depth++] = *p == '[' ? ']' : *p == '{' ? '}' : ')';
		} else if (*p && strchr("]})", *p)) {
			if (!depth || open[depth - 1] != *p)
				return fl_fail(e, FL_EINPUT, "'%c' does not close an open bracket", *p);
			depth--;
		} else if (!*p || (*p == ',' && !depth)) {
			if (!*p && depth)
				return fl_fail(e, FL_EINPUT, "'%c' is missing", open[depth - 1]);
			int rc = add_value(start, p, out, max, n, e);
			if (rc || !*p)
				return rc;
			start = p + 1;
		}
	}
}

int fl_cmp_split(const char *text, char **out, int max, int *n, struct fl_err *e)
{
	*n = 0;
	int rc = split_values(text, out, max, n, e);
	if (rc != FL_OK) {
		for (int i = 0; i < *n; i++)
			fl_free(out[i]);
		*n = 0;
	}
	return rc;
}

/* --- options ----------------------------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "faultline compare: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n(run 'faultline compare --help' for the options)\n");
	va_end(ap);
	return FL_EXIT_USAGE;
}

static void usage(FILE *f)
{
	fputs("usage: faultline compare FILE [--vary KEY=V1,V2[,...]]... [options]\n"
	      "\n"
	      "Checks several designs of one scenario and prints one table: each spec's verdict, the\n"
	      "steps of its shortest counterexample and the smallest fault budget that breaks it;\n"
	      "then why each broken design breaks, and which designs are safe.\n"
	      "\n"
	      "  --vary KEY=V1,V2     one row per value (a --set KEY=V); several --vary give their\n"
	      "                       cross product. Commas inside [], {} or quotes do not split:\n"
	      "                       --vary 'stage.order=[write,publish,remove],[remove,write,publish]'\n"
	      "                       Without --vary the rows are the file's variants (or the file).\n"
	      "  --variant NAME       vary this variant (with --vary: one); without --vary: compare\n"
	      "                       only these variants (repeatable)\n"
	      "  --set PATH=VALUE     override a scenario value in every row (repeatable)\n"
	      "  --spec NAME          check only this spec (repeatable)\n"
	      "  --json FILE          write the table as JSON ('-' for stdout)\n"
	      "  --markdown FILE      write the table and the explanations as markdown ('-': stdout)\n"
	      "  --report FILE.html   write an HTML page: the table, then every row's verdicts,\n"
	      "                       figures and the sequence chart of each counterexample\n"
	      "  --search, --seed, --walks, --depth, --max-states, --max-memory, --time-limit,\n"
	      "  --no-progress        as for check, applied to every search\n"
	      "\n"
	      "exit codes: the worst over the rows, as for check with variants\n",
	      f);
}

enum { O_VARY = FL_RUN_O_LAST, O_VARIANT, O_JSON, O_MARKDOWN, O_REPORT, O_HELP };

static int set_option(struct fl_cmp *c, int opt, const char *arg)
{
	struct fl_err e = {0};
	switch (opt) {
	case O_VARY:
		if (c->nvary >= FL_CMP_MAX_VARY)
			return bad_usage("at most %d --vary options", FL_CMP_MAX_VARY);
		c->vary_args[c->nvary++] = arg;
		return 0;
	case O_VARIANT:
		if (c->nvariants >= FL_MAX_VARIANTS)
			return bad_usage("too many --variant options (%s)", arg);
		c->variants[c->nvariants++] = arg;
		return 0;
	case O_JSON: c->json = arg; return 0;
	case O_MARKDOWN: c->markdown = arg; return 0;
	case O_REPORT:
		if (!strcmp(arg, "-"))
			return bad_usage("--report needs a file name");
		c->report = arg;
		return 0;
	default:
		switch (fl_run_option(&c->o, opt, arg, &e)) {
		case FL_OK: return 0;
		case 1: return bad_usage("unknown option");
		default: return bad_usage("%s", e.msg);
		}
	}
}

/* Returns 0, an exit code, or -1 after --help. */
static int parse_args(struct fl_cmp *c, int argc, char **argv)
{
	static const struct option longs[] = {
		FL_RUN_LONG_OPTIONS, {"vary", 1, 0, O_VARY}, {"variant", 1, 0, O_VARIANT},
		{"json", 1, 0, O_JSON}, {"markdown", 1, 0, O_MARKDOWN}, {"report", 1, 0, O_REPORT},
		{"help", 0, 0, O_HELP},
		{0, 0, 0, 0}};
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
		return bad_usage(optind >= argc ? "compare needs one scenario FILE%s"
						: "compare takes one scenario FILE; also got '%s'",
				 optind >= argc ? "" : argv[optind + 1]);
	c->o.file = argv[optind];
	struct fl_err oe = {0};
	if (fl_run_options_check(&c->o, &oe) != FL_OK)
		return bad_usage("%s", oe.msg);
	if (c->nvary && c->nvariants > 1)
		return bad_usage("with --vary, give at most one --variant (the design to vary)");
	if (c->json && c->markdown && !strcmp(c->json, "-") && !strcmp(c->markdown, "-"))
		return bad_usage("--json - and --markdown - cannot both write to stdout");
	return 0;
}

/* Reads one --vary into v; returns FL_OK or FL_EINPUT/FL_ENOMEM with e saying why. */
static int parse_vary(const char *arg, struct fl_cmp_vary *v, struct fl_err *e)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return fl_fail(e, FL_EINPUT, "--vary %s: expected KEY=V1,V2[,...], e.g. --vary "
					     "stage.idempotency=none,skip-write", arg);
	size_t k = (size_t)(eq - arg);
	if (!strncmp(arg, "variants", 8) && (k == 8 || arg[8] == '.'))
		return fl_fail(e, FL_EINPUT, "--vary %s: variants cannot be varied; without --vary, "
					     "compare runs the file's variants", arg);
	if (!(v->key = fl_alloc(k + 1)))
		return fl_fail(e, FL_ENOMEM, "out of memory");
	memcpy(v->key, arg, k);
	struct fl_err why = {0};
	int rc = fl_cmp_split(eq + 1, v->values, FL_CMP_MAX_VALUES, &v->nvalues, &why);
	return rc ? fl_fail(e, rc, "--vary %s: %s", arg, why.msg) : FL_OK;
}

static int parse_varies(struct fl_cmp *c, struct fl_err *e)
{
	long rows = 1;
	for (int i = 0; i < c->nvary; i++) {
		int rc = parse_vary(c->vary_args[i], &c->vary[i], e);
		if (rc)
			return rc;
		for (int j = 0; j < i; j++)
			if (!strcmp(c->vary[j].key, c->vary[i].key))
				return fl_fail(e, FL_EINPUT, "--vary %s: %s is already varied", c->vary_args[i],
					       c->vary[i].key);
		rows *= c->vary[i].nvalues;
		if (rows > FL_CMP_MAX_ROWS)
			return fl_fail(e, FL_EINPUT, "--vary: more than %d combinations", FL_CMP_MAX_ROWS);
	}
	return FL_OK;
}

/* --- rows -------------------------------------------------------------------------------- */

static void cmp_fini(struct fl_cmp *c)
{
	for (int i = 0; i < c->nvary; i++) {
		fl_free(c->vary[i].key);
		for (int j = 0; j < c->vary[i].nvalues; j++)
			fl_free(c->vary[i].values[j]);
	}
	for (int i = 0; c->rows && i < c->nrows; i++) {
		fl_run_fini(&c->rows[i].run);
		fl_free(c->rows[i].label);
		for (int j = 0; j < c->rows[i].nsets; j++)
			fl_free(c->rows[i].sets[j]);
	}
	fl_free(c->rows);
	for (int i = 0; c->text && i < (c->nrows + 1) * c->ncols; i++)
		fl_free(c->text[i]);
	fl_free(c->text);
	fl_scn_variants_free(c->fv, c->nfv);
}

/* text with every blank outside quotes removed, into out (size bytes). */
static void squeeze(const char *text, char *out, size_t size)
{
	size_t n = 0;
	char quote = 0;
	for (const char *p = text; *p && n + 1 < size; p++) {
		if (quote && *p == quote)
			quote = 0;
		else if (!quote && (*p == '\'' || *p == '"'))
			quote = *p;
		if (quote || (*p != ' ' && *p != '\t'))
			out[n++] = *p;
	}
	out[n] = '\0';
}

/* 1 if the overrides of variant v are exactly the "KEY=V" in sets (blanks aside). */
static int same_sets(const struct fl_scn_variant *v, char *const *sets, int n)
{
	char *vs[FL_CMP_MAX_VARY + 1];
	int nv = 0, same = 1;
	struct fl_err e = {0};
	if (fl_cmp_split(v->sets, vs, FL_CMP_MAX_VARY + 1, &nv, &e) != FL_OK)
		return 0; /* "" (no overrides) or more than a row can have */
	same = nv == n;
	for (int i = 0; i < nv && same; i++) {
		char a[1024], b[1024];
		squeeze(vs[i], a, sizeof a);
		int found = 0;
		for (int j = 0; j < n && !found; j++) {
			squeeze(sets[j], b, sizeof b);
			found = !strcmp(a, b);
		}
		same = found;
	}
	for (int i = 0; i < nv; i++)
		fl_free(vs[i]);
	return same;
}

/* Names row w after the file's variant whose set: it repeats exactly, if there is one. */
static void match_variant(struct fl_cmp *c, struct fl_cmp_row *w)
{
	for (int k = 0; k < c->nfv; k++) {
		if (!same_sets(&c->fv[k], w->sets, w->nsets))
			continue;
		char *name = fl_strdup(c->fv[k].name);
		if (!name)
			return; /* keeps its KEY=V label */
		fl_free(w->label);
		w->label = name;
		w->variant = c->fv[k].name;
		w->run.v = &c->fv[k];
		return;
	}
}

/* Row r of the cross product: the first --vary changes slowest. */
static int vary_row(struct fl_cmp *c, int r, struct fl_err *e)
{
	struct fl_cmp_row *w = &c->rows[r];
	struct fl_buf b = {0};
	int left = r, below = c->nrows;
	for (int k = 0; k < c->nvary; k++) {
		below /= c->vary[k].nvalues;
		const char *val = c->vary[k].values[left / below];
		left %= below;
		fl_buf_reset(&b);
		fl_buf_printf(&b, "%s=%s", c->vary[k].key, val);
		if (b.oom || !(w->sets[w->nsets++] = fl_strdup(fl_buf_str(&b))))
			return fl_buf_fini(&b), fl_fail(e, FL_ENOMEM, "out of memory");
	}
	fl_buf_reset(&b);
	for (int k = 0; k < w->nsets; k++)
		fl_buf_printf(&b, "%s%s", k ? ", " : "", w->sets[k]);
	w->label = b.oom ? NULL : fl_strdup(fl_buf_str(&b));
	fl_buf_fini(&b);
	if (!w->label)
		return fl_fail(e, FL_ENOMEM, "out of memory");
	w->variant = c->nvariants ? c->variants[0] : NULL;
	if (!c->nvariants)
		match_variant(c, w);
	return FL_OK;
}

/* 1 if --variant named name (or no --variant was given). */
static int selected(const struct fl_cmp *c, const char *name)
{
	for (int i = 0; i < c->nvariants; i++)
		if (!strcmp(c->variants[i], name))
			return 1;
	return !c->nvariants;
}

/* The rows without --vary: the selected variants in file order, or the file alone. */
static int plain_rows(struct fl_cmp *c, struct fl_err *e)
{
	c->nrows = 0;
	for (int k = 0; k < c->nfv; k++) {
		if (!selected(c, c->fv[k].name))
			continue;
		struct fl_cmp_row *w = &c->rows[c->nrows++];
		w->variant = c->fv[k].name;
		w->run.v = &c->fv[k];
		if (!(w->label = fl_strdup(c->fv[k].name)))
			return fl_fail(e, FL_ENOMEM, "out of memory");
	}
	if (!c->nfv) {
		c->nrows = 1;
		c->rows[0].variant = c->nvariants ? c->variants[0] : NULL; /* the loader refuses it */
		if (!(c->rows[0].label = fl_strdup("as-written")))
			return fl_fail(e, FL_ENOMEM, "out of memory");
	}
	return FL_OK;
}

/* Loads w (plus extra, a last --set, when not NULL) into x. */
static int load_row(const struct fl_cmp *c, const struct fl_cmp_row *w, const char *extra,
		    struct fl_run *x, struct fl_err *e)
{
	const char *sets[FL_RUN_MAX_SETS + FL_CMP_MAX_VARY + 1];
	int n = 0;
	for (int i = 0; i < c->o.nsets; i++)
		sets[n++] = c->o.sets[i];
	for (int i = 0; i < w->nsets; i++)
		sets[n++] = w->sets[i];
	if (extra)
		sets[n++] = extra;
	struct fl_scn_opts so = {sets, n, c->o.specs, c->o.nspecs, w->variant};
	return fl_run_load(x, c->o.file, &so, e);
}

/* An unknown --variant: the loader's message (with its hint) for the first one. */
static int check_variant_names(const struct fl_cmp *c, struct fl_err *e)
{
	for (int i = 0; i < c->nvariants; i++) {
		int known = 0;
		for (int k = 0; k < c->nfv && !known; k++)
			known = !strcmp(c->fv[k].name, c->variants[i]);
		if (known)
			continue;
		struct fl_cmp_row w = {.variant = c->variants[i]};
		int rc = load_row(c, &w, NULL, &w.run, e);
		fl_sys_free(&w.run.s);
		return rc ? rc : fl_fail(e, FL_EINPUT, "--variant %s: no such variant", c->variants[i]);
	}
	return FL_OK;
}

/* Makes every row and loads it; any error stops here, before a search. */
static int make_rows(struct fl_cmp *c, struct fl_err *e)
{
	int rc = parse_varies(c, e);
	if (!rc)
		rc = fl_scn_variants(c->o.file, &c->fv, &c->nfv, e);
	if (!rc)
		rc = check_variant_names(c, e);
	int n = 1;
	for (int k = 0; k < c->nvary; k++)
		n *= c->vary[k].nvalues;
	if (!rc && !(c->rows = fl_alloc((size_t)(c->nvary ? n : c->nfv + 1) * sizeof *c->rows)))
		rc = fl_fail(e, FL_ENOMEM, "out of memory");
	if (!rc && c->nvary) {
		c->nrows = n;
		for (int r = 0; r < n && !rc; r++)
			rc = vary_row(c, r, e);
	} else if (!rc) {
		rc = plain_rows(c, e);
	}
	for (int r = 0; r < c->nrows && !rc; r++)
		rc = load_row(c, &c->rows[r], NULL, &c->rows[r].run, e);
	return rc;
}

/* --- searches ---------------------------------------------------------------------------- */

/* The smallest budget that breaks each spec the full search found violated (see the top). */
static int find_budgets(const struct fl_cmp *c, struct fl_cmp_row *w, const struct fl_search_opts *so,
			struct fl_err *e)
{
	uint32_t left = w->run.r.violated;
	int bound = 0, rc = FL_OK;
	for (int i = 0; i < FL_MAX_SPECS; i++)
		w->budget[i] = left >> i & 1u ? w->run.s.budget_max : -1;
	for (int b = 0; left && b < w->run.s.budget_max && !rc; b++) {
		char set[32];
		snprintf(set, sizeof set, "faults.max=%d", b);
		struct fl_run x = {0};
		if ((rc = load_row(c, w, set, &x, e)))
			break;
		fl_run_search(&x, so, 0);
		if (x.failed)
			rc = fl_fail(e, x.e.code ? x.e.code : FL_EINTERNAL, "%s", x.e.msg);
		for (int i = 0; !rc && i < x.s.nspec; i++) {
			if (!(left >> i & 1u) || !(x.r.violated >> i & 1u))
				continue;
			w->budget[i] = b;
			w->budget_bound[i] = bound;
			left &= ~(1u << i);
		}
		bound |= !x.r.complete;
		fl_run_fini(&x);
	}
	for (int i = 0; i < FL_MAX_SPECS; i++)
		if (left >> i & 1u)
			w->budget_bound[i] = bound;
	return rc;
}

static void search_rows(struct fl_cmp *c)
{
	struct fl_search_opts so = c->o.so;
	so.progress = 0; /* one line per row instead */
	for (int i = 0; i < c->nrows; i++) {
		struct fl_cmp_row *w = &c->rows[i];
		if (c->o.so.progress)
			fprintf(stderr, "\rcompare: row %d/%d: %.100s\033[K", i + 1, c->nrows, w->label);
		fl_run_search(&w->run, &so, 1);
		if (!w->run.failed && find_budgets(c, w, &so, &w->run.e) != FL_OK) {
			w->run.failed = 1;
			w->run.code = FL_EXIT_INTERNAL;
		}
	}
	if (c->o.so.progress)
		fprintf(stderr, "\r\033[K");
}

/* --- the table --------------------------------------------------------------------------- */

static void spec_columns(struct fl_cmp *c)
{
	c->nspec = 0;
	for (int i = 0; i < c->nrows; i++) {
		const struct fl_sys *s = &c->rows[i].run.s;
		for (int j = 0; j < s->nspec; j++) {
			int seen = 0;
			for (int m = 0; m < c->nspec && !seen; m++)
				seen = !strcmp(c->spec[m], s->spec[j].kind->name);
			if (!seen && c->nspec < FL_MAX_SPECS)
				c->spec[c->nspec++] = s->spec[j].kind->name;
		}
	}
}

/* Index of spec name in row w, or -1. */
static int row_spec(const struct fl_cmp_row *w, const char *name)
{
	for (int j = 0; j < w->run.s.nspec; j++)
		if (!strcmp(w->run.s.spec[j].kind->name, name))
			return j;
	return -1;
}

static void verdict_cell(const struct fl_cmp_row *w, int j, struct fl_buf *b)
{
	const struct fl_run *x = &w->run;
	if (x->failed || j < 0) {
		fl_buf_puts(b, x->failed ? "error" : "-");
		return;
	}
	const char *v = fl_run_verdict(&x->s, &x->r, j);
	const char *mark = fl_run_matches(&x->s, &x->r, j) == 0 ? "*" : "";
	if (!(x->r.violated >> j & 1u))
		fl_buf_printf(b, "%s%s", fl_run_shown(v), mark);
	else /* violated, or a reachable spec reached: the trace's length */
		fl_buf_printf(b, "%s%s (%d step%s)", fl_run_shown(v), mark, x->tr[j].n,
			      x->tr[j].n == 1 ? "" : "s");
}

static void budget_cell(const struct fl_cmp_row *w, int j, struct fl_buf *b)
{
	if (w->run.failed || j < 0 || w->budget[j] < 0)
		fl_buf_puts(b, "-");
	else
		fl_buf_printf(b, "%s%d", w->budget_bound[j] ? "<=" : "", w->budget[j]);
}

/* Cell k of row w (k counts from 0 = the label). */
static void cell(const struct fl_cmp *c, const struct fl_cmp_row *w, int k, struct fl_buf *b)
{
	const struct fl_result *r = &w->run.r;
	if (k == 0)
		fl_buf_puts(b, w->label);
	else if (k <= c->nspec)
		verdict_cell(w, row_spec(w, c->spec[k - 1]), b);
	else if (k <= 2 * c->nspec)
		budget_cell(w, row_spec(w, c->spec[k - 1 - c->nspec]), b);
	else if (w->run.failed)
		fl_buf_puts(b, "-");
	else if (k == 2 * c->nspec + 1)
		fl_buf_printf(b, "%zu", r->states);
	else if (k == 2 * c->nspec + 2)
		fl_buf_printf(b, "%zu", r->transitions);
	else
		fl_buf_printf(b, "%.2f", r->seconds);
}

static void head(const struct fl_cmp *c, int k, struct fl_buf *b)
{
	if (k == 0)
		fl_buf_puts(b, c->nvary ? "row" : "variant");
	else if (k <= c->nspec)
		fl_buf_puts(b, c->spec[k - 1]);
	else if (k <= 2 * c->nspec)
		fl_buf_printf(b, "faults to break %s", c->spec[k - 1 - c->nspec]);
	else
		fl_buf_puts(b, k == 2 * c->nspec + 1 ? "states" : k == 2 * c->nspec + 2 ? "transitions"
											: "seconds");
}

/* Columns: the label, each spec's verdict ("VIOLATED (4 steps)", "*" when it differs from the
 * expectation), each spec's smallest breaking budget ("-" when it holds), states, transitions,
 * seconds. */
int fl_cmp_table_fill(struct fl_cmp *c, struct fl_cmp_table *t)
{
	if (!c->text) {
		spec_columns(c);
		c->ncols = 2 * c->nspec + 4;
		int n = (c->nrows + 1) * c->ncols;
		if (!(c->text = fl_alloc((size_t)n * sizeof *c->text)))
			return FL_ENOMEM;
		struct fl_buf b = {0};
		for (int i = 0; i < n; i++) {
			fl_buf_reset(&b);
			if (i < c->ncols)
				head(c, i, &b);
			else
				cell(c, &c->rows[i / c->ncols - 1], i % c->ncols, &b);
			if (b.oom || !(c->text[i] = fl_strdup(fl_buf_str(&b))))
				return fl_buf_fini(&b), FL_ENOMEM;
		}
		fl_buf_fini(&b);
	}
	*t = (struct fl_cmp_table){c->ncols, c->nrows, (const char *const *)c->text,
				   (const char *const *)c->text + c->ncols};
	return FL_OK;
}

/* --- explanations ------------------------------------------------------------------------ */

/* " with 1 fault", " with 2 faults", " without any fault" (" with at most 2 faults"). */
static void faults_words(const struct fl_cmp_row *w, int j, struct fl_buf *b)
{
	int n = w->budget[j];
	if (!n)
		fl_buf_puts(b, " without any fault");
	else
		fl_buf_printf(b, " with %s%d fault%s", w->budget_bound[j] ? "at most " : "", n,
			      n == 1 ? "" : "s");
}

/* Row r's name in sentences: its label, or #N when the text table cut it (short). */
static const char *row_name(const struct fl_cmp *c, int r, int short_names, char *buf, size_t size)
{
	if (!short_names || strlen(c->rows[r].label) <= LABEL_MAX)
		return c->rows[r].label;
	snprintf(buf, size, "#%d", r + 1);
	return buf;
}

/* One line for row r if it breaks a spec (or failed, or could not decide); 0 if it is safe. */
static int explain_row(const struct fl_cmp *c, int r, int short_names, struct fl_buf *b)
{
	const struct fl_cmp_row *w = &c->rows[r];
	const struct fl_run *x = &w->run;
	char buf[16];
	const char *name = row_name(c, r, short_names, buf, sizeof buf);
	if (x->failed)
		return fl_buf_printf(b, "%s: internal error: %s", name, x->e.msg), 1;
	uint32_t failed = fl_run_failed(&x->s, &x->r);
	if (!failed && !x->r.complete && !x->r.decided)
		return fl_buf_printf(b, "%s: undecided: %s", name, x->r.stop_reason), 1;
	if (!failed)
		return 0;
	fl_buf_printf(b, "%s:", name);
	const char *sep = "";
	for (int j = 0; j < x->s.nspec; j++) {
		if (!(failed >> j & 1u))
			continue;
		if (!(x->r.violated >> j & 1u)) { /* a reachable spec never reached */
			fl_buf_printf(b, "%s %s is never reached", sep, x->s.spec[j].kind->name);
			sep = ";";
			continue;
		}
		const char *why = x->r.viol[j].why ? x->r.viol[j].why : "";
		size_t n = strlen(why);
		fl_buf_printf(b, "%s %s breaks", sep, x->s.spec[j].kind->name);
		faults_words(w, j, b);
		fl_buf_printf(b, " after %d step%s: %.*s", x->tr[j].n, x->tr[j].n == 1 ? "" : "s",
			      (int)(n && why[n - 1] == '.' ? n - 1 : n), why);
		sep = ";";
	}
	fl_buf_puts(b, ".");
	return 1;
}

/* "safe: a, b" - the rows where every checked spec holds. */
static void safe_line(const struct fl_cmp *c, int short_names, struct fl_buf *b)
{
	int k = 0;
	char buf[16];
	fl_buf_puts(b, "safe:");
	for (int i = 0; i < c->nrows; i++) {
		const struct fl_run *x = &c->rows[i].run;
		if (x->failed || fl_run_failed(&x->s, &x->r) || !(x->r.complete || x->r.decided))
			continue;
		fl_buf_printf(b, "%s %s", k++ ? ";" : "", row_name(c, i, short_names, buf, sizeof buf));
	}
	if (!k)
		fl_buf_puts(b, " none");
}

static int any_differs(const struct fl_cmp *c)
{
	for (int i = 0; i < c->nrows; i++)
		for (int j = 0; !c->rows[i].run.failed && j < c->rows[i].run.s.nspec; j++)
			if (fl_run_matches(&c->rows[i].run.s, &c->rows[i].run.r, j) == 0)
				return 1;
	return 0;
}

/* --- text ---------------------------------------------------------------------------------- */

/* The text table's header of column k: budget columns go under a "faults to break" line, by
 * spec name, cut to 8 characters when the table would be wider than TEXT_WIDTH. */
static const char *text_head(const struct fl_cmp *c, const struct fl_cmp_table *t, int k, int cut,
			     char *buf, size_t size)
{
	if (k <= c->nspec || k > 2 * c->nspec)
		return t->head[k];
	const char *name = c->spec[k - 1 - c->nspec];
	if (cut && strlen(name) > 8)
		snprintf(buf, size, "%.7s.", name);
	else
		snprintf(buf, size, "%s", name);
	return buf;
}

static const char *text_label(const struct fl_cmp_table *t, int r, char *buf, size_t size)
{
	const char *l = t->cells[r * t->ncols];
	if (strlen(l) <= LABEL_MAX)
		return l;
	snprintf(buf, size, "#%d", r + 1);
	return buf;
}

/* Column widths; returns the table's width. */
static int widths(const struct fl_cmp *c, const struct fl_cmp_table *t, int cut, int *w)
{
	char buf[64];
	int total = 0;
	for (int k = 0; k < t->ncols; k++) {
		w[k] = (int)strlen(text_head(c, t, k, cut, buf, sizeof buf));
		for (int r = 0; r < t->nrows; r++) {
			const char *s = k ? t->cells[r * t->ncols + k] : text_label(t, r, buf, sizeof buf);
			if ((int)strlen(s) > w[k])
				w[k] = (int)strlen(s);
		}
		total += w[k] + 2;
	}
	return total;
}

/* The rows whose table label does not say their overrides: a label cut to #N, or a --vary row
 * named after the variant it repeats. */
static void print_legend(const struct fl_cmp *c, const struct fl_cmp_table *t)
{
	int any = 0;
	char buf[16];
	for (int r = 0; r < t->nrows; r++) {
		const struct fl_cmp_row *w = &c->rows[r];
		int cut = strlen(w->label) > LABEL_MAX, named = c->nvary && w->run.v && !c->nvariants;
		if (!cut && !named)
			continue;
		printf("%s  %-*s  ", any++ ? "" : "Rows:\n", LABEL_MAX < 24 ? LABEL_MAX : 24,
		       text_label(t, r, buf, sizeof buf));
		for (int k = 0; k < w->nsets; k++)
			printf("%s%s", k ? ", " : "", w->sets[k]);
		printf("%s\n", named ? " (its variant's set:)" : "");
	}
	if (any)
		printf("\n");
}

static void print_table(const struct fl_cmp *c, const struct fl_cmp_table *t)
{
	int w[2 * FL_MAX_SPECS + 4], cut = 0;
	char buf[64];
	if (widths(c, t, 0, w) > TEXT_WIDTH)
		cut = 1, widths(c, t, 1, w);
	print_legend(c, t);
	int at = 2;
	for (int k = 0; k <= c->nspec; k++)
		at += w[k] + 2;
	if (c->nspec)
		printf("%*s%s\n", at, "", "faults to break");
	for (int k = 0; k < t->ncols; k++) /* numbers to the right, text to the left */
		printf(k > 2 * c->nspec ? "  %*s" : "  %-*s", w[k], text_head(c, t, k, cut, buf, sizeof buf));
	printf("\n");
	for (int r = 0; r < t->nrows; r++) {
		for (int k = 0; k < t->ncols; k++)
			printf(k > 2 * c->nspec ? "  %*s" : "  %-*s", w[k],
			       k ? t->cells[r * t->ncols + k] : text_label(t, r, buf, sizeof buf));
		printf("\n");
	}
}

static void print_text(const struct fl_cmp *c, const struct fl_cmp_table *t)
{
	struct fl_buf b = {0};
	printf("faultline compare: %s, %d row%s", c->o.file, c->nrows, c->nrows == 1 ? "" : "s");
	for (int k = 0; k < c->nvary; k++)
		printf("%s%s", k ? ", " : " varying ", c->vary[k].key);
	if (c->nvary && c->nvariants)
		printf(" of variant %s", c->variants[0]);
	printf("\n");
	if (c->nvary && c->nfv && !c->nvariants)
		printf("note: the file's variants are not run; the rows vary the file as written (a row "
		       "that repeats a variant's set: is named after it)\n");
	printf("\n");
	print_table(c, t);
	if (any_differs(c))
		printf("  * differs from the expected verdict (expect:)\n");
	printf("\n");
	for (int i = 0; i < c->nrows; i++) {
		fl_buf_reset(&b);
		if (explain_row(c, i, 1, &b))
			printf("%s\n", fl_buf_str(&b));
	}
	fl_buf_reset(&b);
	safe_line(c, 1, &b);
	printf("%s\n", fl_buf_str(&b));
	fl_buf_fini(&b);
}

/* --- JSON and markdown ------------------------------------------------------------------- */

static void json_spec(struct fl_json *j, const struct fl_cmp_row *w, int i)
{
	const struct fl_sys *s = &w->run.s;
	const struct fl_result *r = &w->run.r;
	int m = fl_run_matches(s, r, i), v = r->violated >> i & 1u;
	const char *x = fl_run_expected(s, i);
	fl_json_obj(j);
	fl_json_key(j, "name"), fl_json_str(j, s->spec[i].kind->name);
	fl_json_key(j, "verdict"), fl_json_str(j, fl_run_verdict(s, r, i));
	fl_json_key(j, "expected"), x ? fl_json_str(j, x) : fl_json_null(j);
	fl_json_key(j, "matches"), m < 0 ? fl_json_null(j) : fl_json_bool(j, m);
	fl_json_key(j, "steps"), v ? fl_json_int(j, w->run.tr[i].n) : fl_json_null(j);
	fl_json_key(j, "smallest_budget"), v ? fl_json_int(j, w->budget[i]) : fl_json_null(j);
	fl_json_key(j, "budget_is_bound"), fl_json_bool(j, v && w->budget_bound[i]);
	fl_json_key(j, "why"), v ? fl_json_str(j, r->viol[i].why) : fl_json_null(j);
	fl_json_obj_end(j);
}

static void json_row(struct fl_json *j, const struct fl_cmp_row *w)
{
	const struct fl_result *r = &w->run.r;
	fl_json_obj(j);
	fl_json_key(j, "label"), fl_json_str(j, w->label);
	fl_json_key(j, "variant"), w->variant ? fl_json_str(j, w->variant) : fl_json_null(j);
	fl_json_key(j, "sets");
	fl_json_arr(j);
	for (int i = 0; i < w->nsets; i++)
		fl_json_str(j, w->sets[i]);
	fl_json_arr_end(j);
	if (w->run.failed) {
		fl_json_key(j, "error"), fl_json_str(j, w->run.e.msg);
		fl_json_obj_end(j);
		return;
	}
	fl_json_key(j, "specs");
	fl_json_arr(j);
	for (int i = 0; i < w->run.s.nspec; i++)
		json_spec(j, w, i);
	fl_json_arr_end(j);
	fl_json_key(j, "states"), fl_json_int(j, (long long)r->states);
	fl_json_key(j, "transitions"), fl_json_int(j, (long long)r->transitions);
	fl_json_key(j, "seconds"), fl_json_num(j, r->seconds);
	fl_json_key(j, "complete"), fl_json_bool(j, r->complete);
	fl_json_obj_end(j);
}

static void write_json(FILE *f, const struct fl_cmp *c)
{
	struct fl_json j;
	fl_json_init(&j, f);
	fl_json_obj(&j);
	fl_json_key(&j, "file"), fl_json_str(&j, c->o.file);
	fl_json_key(&j, "variant"), c->nvary && c->nvariants ? fl_json_str(&j, c->variants[0]) : fl_json_null(&j);
	fl_json_key(&j, "varied");
	fl_json_arr(&j);
	for (int k = 0; k < c->nvary; k++)
		fl_json_str(&j, c->vary[k].key);
	fl_json_arr_end(&j);
	fl_json_key(&j, "rows");
	fl_json_arr(&j);
	for (int i = 0; i < c->nrows; i++)
		json_row(&j, &c->rows[i]);
	fl_json_arr_end(&j);
	fl_json_obj_end(&j);
	fputc('\n', f);
}

/* A markdown table cell: '|' escaped, nothing else needs it in GitHub's tables. */
static void md_cell(FILE *f, const char *s)
{
	fputs("| ", f);
	for (; *s; s++)
		*s == '|' ? fputs("\\|", f) : fputc(*s, f);
	fputc(' ', f);
}

static void write_markdown(FILE *f, const struct fl_cmp *c, const struct fl_cmp_table *t)
{
	struct fl_buf b = {0};
	for (int k = 0; k < t->ncols; k++)
		md_cell(f, t->head[k]);
	fputs("|\n", f);
	for (int k = 0; k < t->ncols; k++)
		fputs(k > 2 * c->nspec ? "|---:" : "|---", f);
	fputs("|\n", f);
	for (int r = 0; r < t->nrows; r++) {
		for (int k = 0; k < t->ncols; k++)
			md_cell(f, t->cells[r * t->ncols + k]);
		fputs("|\n", f);
	}
	if (any_differs(c))
		fputs("\n\\* differs from the expected verdict (`expect:`)\n", f);
	fputs("\n", f);
	for (int i = 0; i < c->nrows; i++) {
		fl_buf_reset(&b);
		if (explain_row(c, i, 0, &b))
			fprintf(f, "- %s\n", fl_buf_str(&b));
	}
	fl_buf_reset(&b);
	safe_line(c, 0, &b);
	fprintf(f, "- %s\n", fl_buf_str(&b));
	fl_buf_fini(&b);
}

/* Writes one output file ("-" = stdout); 0 and a message if it cannot. */
static int write_out(const char *path, const struct fl_cmp *c, const struct fl_cmp_table *t, int md)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f)
		return fprintf(stderr, "faultline: cannot write %s: %s\n", path, strerror(errno)), 0;
	md ? write_markdown(f, c, t) : write_json(f, c);
	return f == stdout ? fflush(f) == 0 : fclose(f) == 0;
}

/* The HTML page (report.h): the table, then one section per row with its charts. */
static int write_html(const char *path, const struct fl_cmp *c, const struct fl_cmp_table *t)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return fprintf(stderr, "faultline: cannot write %s: %s\n", path, strerror(errno)), 0;
	struct fl_report_run *runs = fl_alloc((size_t)c->nrows * sizeof *runs);
	struct fl_buf notes = {0}, line = {0};
	for (int i = 0; i < c->nrows; i++) {
		fl_buf_reset(&line);
		if (explain_row(c, i, 0, &line))
			fl_buf_printf(&notes, "%s\n", fl_buf_str(&line));
	}
	fl_buf_reset(&line);
	safe_line(c, 0, &line);
	fl_buf_puts(&notes, fl_buf_str(&line));
	fl_buf_fini(&line);
	struct fl_report_table rt = {t->ncols, t->nrows, t->head, t->cells, fl_buf_str(&notes)};
	char heading[512];
	snprintf(heading, sizeof heading, "faultline compare: %s", c->o.file);
	for (int i = 0; runs && i < c->nrows; i++) {
		const struct fl_run *x = &c->rows[i].run;
		runs[i] = (struct fl_report_run){c->rows[i].label, &x->s, x->failed ? NULL : &x->r, x->tr};
	}
	int rc = runs ? fl_report_html(f, heading, &rt, runs, c->nrows) : FL_ENOMEM;
	fl_free(runs);
	fl_buf_fini(&notes);
	int ok = fclose(f) == 0 && rc == FL_OK;
	if (!ok)
		fprintf(stderr, "faultline: %s %s\n", rc == FL_ENOMEM ? "out of memory writing" : "cannot write", path);
	return ok;
}

/* --- the command ------------------------------------------------------------------------- */

static int report(struct fl_cmp *c)
{
	struct fl_cmp_table t;
	if (fl_cmp_table_fill(c, &t) != FL_OK)
		return fprintf(stderr, "faultline: out of memory\n"), FL_EXIT_INTERNAL;
	int code = FL_EXIT_HOLDS;
	for (int i = 0; i < c->nrows; i++)
		code = fl_run_worse(code, c->rows[i].run.code);
	int to_stdout = (c->json && !strcmp(c->json, "-")) || (c->markdown && !strcmp(c->markdown, "-"));
	if (!to_stdout)
		print_text(c, &t);
	for (int i = 0; i < c->nrows; i++)
		if (c->rows[i].run.failed)
			fprintf(stderr, "faultline: internal error in %s: %s\n", c->rows[i].label,
				c->rows[i].run.e.msg);
	if ((c->json && !write_out(c->json, c, &t, 0)) || (c->markdown && !write_out(c->markdown, c, &t, 1)) ||
	    (c->report && !write_html(c->report, c, &t)))
		code = fl_run_worse(code, FL_EXIT_USAGE);
	return code;
}

int fl_cmp_main(int argc, char **argv)
{
	struct fl_cmp *c = fl_alloc(sizeof *c);
	if (!c)
		return fprintf(stderr, "faultline: out of memory\n"), FL_EXIT_INTERNAL;
	fl_run_opts_init(&c->o);
	int code = parse_args(c, argc, argv);
	if (!code) {
		struct fl_err e = {0};
		int rc = make_rows(c, &e);
		if (rc)
			code = (fprintf(stderr, "%s\n", e.msg), fl_run_load_exit(rc));
	}
	if (!code) {
		search_rows(c);
		code = report(c);
	}
	cmp_fini(c);
	fl_free(c);
	return code < 0 ? 0 : code;
}

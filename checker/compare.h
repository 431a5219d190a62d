/*
 * compare.h - `faultline compare FILE [--vary KEY=V1,V2 ...]`: checks several designs of one
 * scenario and prints one table - each spec's verdict, the length of its shortest
 * counterexample and the smallest fault budget that breaks it - then one plain line per row
 * that breaks a spec and the rows that are safe. Rows are the cross product of the --vary
 * values (each a --set on top of --set and --variant), or else the file's variants, or else
 * the file alone. Like cli.c, this is command code: it prints, and returns the exit code.
 */
#ifndef FL_COMPARE_H
#define FL_COMPARE_H

#include "run.h"

#define FL_CMP_MAX_VARY 8     /* --vary options */
#define FL_CMP_MAX_VALUES 64  /* values of one --vary */
#define FL_CMP_MAX_ROWS 256   /* rows of one compare (the cross product) */

/*
 * The result table as plain text, row-major: ncols header strings, nrows * ncols cells.
 * The same shape as the HTML report's struct fl_report_table, so that a report is a copy of
 * these four fields. Owned by the struct fl_cmp it was filled from.
 */
struct fl_cmp_table {
	int ncols, nrows;
	const char *const *head;
	const char *const *cells;
};

/* One --vary KEY=V1,V2: the key and each value's text. */
struct fl_cmp_vary {
	char *key;                          /* owned */
	char *values[FL_CMP_MAX_VALUES];    /* owned */
	int nvalues;
};

/* One row: a design, searched with the scenario's whole fault budget. */
struct fl_cmp_row {
	struct fl_run run;              /* with the counterexample of every violated spec */
	char *label;                    /* owned: the variant, or "KEY=V, KEY=V" */
	char *sets[FL_CMP_MAX_VARY];    /* owned: this row's "KEY=V" overrides */
	int nsets;
	const char *variant;            /* the variant loaded (borrowed), or NULL */
	int budget[FL_MAX_SPECS];       /* the smallest fault budget that breaks spec i; -1 holds */
	int budget_bound[FL_MAX_SPECS]; /* 1: a smaller budget's search was incomplete, so budget[i]
					   is only an upper bound */
};

struct fl_cmp {
	struct fl_run_opts o;
	const char *variants[FL_MAX_VARIANTS]; /* --variant */
	int nvariants;
	const char *vary_args[FL_CMP_MAX_VARY]; /* --vary, as given */
	int nvary;
	struct fl_cmp_vary vary[FL_CMP_MAX_VARY];
	const char *json, *markdown, *report; /* --json, --markdown, --report FILE.html */
	struct fl_scn_variant *fv; /* the file's variants (fl_scn_variants) */
	int nfv;
	struct fl_cmp_row *rows;   /* owned, nrows of them */
	int nrows;
	const char *spec[FL_MAX_SPECS]; /* the spec columns, in order of first appearance */
	int nspec;
	char **text;               /* owned: head then cells of the table, (1 + nrows) * ncols */
	int ncols;
};

/*
 * Splits text at the commas outside brackets ([], {}, ()) and quotes ('', "") into at most max
 * values (each trimmed, owned by the caller: fl_free each). Returns FL_OK, or FL_EINPUT with e
 * saying what is wrong (an empty value, an unbalanced bracket or quote, too many values), or
 * FL_ENOMEM; out is then freed.
 */
int fl_cmp_split(const char *text, char **out, int max, int *n, struct fl_err *e);

/* Fills t from c's rows (after the searches): see compare.c for the columns. Returns FL_OK or
 * FL_ENOMEM. The text stays owned by c. */
int fl_cmp_table_fill(struct fl_cmp *c, struct fl_cmp_table *t);

/* `faultline compare ...` (argv[1] is "compare"): prints, and returns the exit code. */
int fl_cmp_main(int argc, char **argv);

#endif

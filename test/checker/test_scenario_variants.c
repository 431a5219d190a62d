/*
 * test_scenario_variants.c - design variants inside one scenario file (`variants:`): listing
 * them, building each (its set: before --set, its expect: over the file's), running every
 * (file, variant) pair, and every mistake refused with file:line:col and a hint.
 *
 * The fixture is scenarios/test/one-queue-outage.yaml with two variants appended: the
 * destination lets go of a record it could not remove (the file's default: a duplicate), or
 * retries the remove (no duplicate). Error cases edit that text; expected positions are
 * computed from the edited text, not copied from the loader's output.
 */
#include "../../checker/fl.h"
#include "../../checker/scenario.h"
#include "../../model/model.h"
#include "../../specs/specs.h"

#include "../support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ONE_QUEUE_OUTAGE "scenarios/test/one-queue-outage.yaml"

static const char two_variants[] =
	"variants:\n"
	"  - name: ignore\n"
	"    about: the destination lets go of a record it could not remove\n"
	"    set: {destination.remove_failure: ignore}\n"
	"  - name: retry\n"
	"    about: the destination retries the remove until the queue is back\n"
	"    set: {destination.remove_failure: retry}\n"
	"    expect: {no-duplicates: holds}\n";

/* one-queue-outage.yaml followed by extra (malloc'd). */
static char *with_variants(const char *extra)
{
	char *base = fl_test_read_file(ONE_QUEUE_OUTAGE);
	char *out = malloc(strlen(base) + strlen(extra) + 1);
	cr_assert_not_null(out);
	strcpy(out, base);
	strcat(out, extra);
	free(base);
	return out;
}

/* want with every "FILE" replaced by path. */
static void expand(const char *want, const char *path, char *out, size_t size)
{
	size_t len = 0;
	for (const char *p = want; *p && len + 1 < size;) {
		if (!strncmp(p, "FILE", 4)) {
			len += (size_t)snprintf(out + len, size - len, "%s", path);
			p += 4;
		} else {
			out[len++] = *p++;
		}
	}
	out[len < size ? len : size - 1] = '\0';
}

static int load(const char *path, const char *variant, const char *const *sets, int nsets,
		struct fl_sys *s, struct fl_err *e)
{
	struct fl_scn_opts o = {.sets = sets, .nsets = nsets, .variant = variant};
	return fl_scn_load(path, &o, fl_kinds, fl_spec_kinds, s, e);
}

static int spec_of(const struct fl_sys *s, const char *name)
{
	for (int i = 0; i < s->nspec; i++)
		if (!strcmp(s->spec[i].kind->name, name))
			return i;
	cr_assert_fail("no spec %s", name);
	return -1;
}

/*
 * Writes text to a temp file, loads it (as variant, when not NULL) and expects FL_EINPUT with
 * the message "<file>:<line>:<col>: <want>", the position being where needle (+offset) is in
 * text and every FILE in want the file's path.
 */
static void expect_error(const char *text, const char *variant, const char *needle, int offset,
			 const char *want)
{
	char path[64], full[1024], msg[768];
	int line, col;
	fl_test_position(text, needle, offset, &line, &col);
	fl_test_write_temp(text, path);
	struct fl_sys s;
	struct fl_err e = {0};
	int rc = load(path, variant, NULL, 0, &s, &e);
	unlink(path);
	expand(want, path, msg, sizeof msg);
	snprintf(full, sizeof full, "%s:%d:%d: %s", path, line, col, msg);
	cr_assert_eq(rc, FL_EINPUT, "loading should fail with FL_EINPUT, got %d (%s)", rc, e.msg);
	cr_assert_str_eq(e.msg, full);
	cr_assert_null(s.inst, "a failed load frees the system");
	cr_assert_null(s.spec);
	fl_test_no_leaks();
}

/* The same mistake refused by fl_scn_variants too (a mistake in the list's shape). */
static void expect_list_error(const char *text, const char *needle, int offset, const char *want)
{
	expect_error(text, NULL, needle, offset, want);
	char path[64], full[1024];
	int line, col;
	fl_test_position(text, needle, offset, &line, &col);
	fl_test_write_temp(text, path);
	struct fl_scn_variant *v = (struct fl_scn_variant *)1;
	int n = -1;
	struct fl_err e = {0};
	int rc = fl_scn_variants(path, &v, &n, &e);
	unlink(path);
	char msg[768];
	expand(want, path, msg, sizeof msg);
	snprintf(full, sizeof full, "%s:%d:%d: %s", path, line, col, msg);
	cr_assert_eq(rc, FL_EINPUT);
	cr_assert_str_eq(e.msg, full);
	cr_assert_null(v);
	cr_assert_eq(n, 0);
}

/* --- valid variants ---------------------------------------------------------------------- */

Test(scenario_variants, listed_in_file_order)
{
	char *text = with_variants(two_variants), path[64];
	fl_test_write_temp(text, path);
	struct fl_scn_variant *v;
	int n;
	struct fl_err e = {0};
	cr_assert_eq(fl_scn_variants(path, &v, &n, &e), FL_OK, "%s", e.msg);
	unlink(path);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0].name, "ignore");
	cr_assert_str_eq(v[0].about, "the destination lets go of a record it could not remove");
	cr_assert_str_eq(v[0].sets, "destination.remove_failure=ignore");
	cr_assert_str_eq(v[1].name, "retry");
	cr_assert_str_eq(v[1].sets, "destination.remove_failure=retry");
	fl_scn_variants_free(v, n);
	free(text);

	/* A file without variants has none; a variant without about or set has NULL and "". */
	cr_assert_eq(fl_scn_variants(ONE_QUEUE_OUTAGE, &v, &n, &e), FL_OK, "%s", e.msg);
	cr_assert_eq(n, 0);
	cr_assert_null(v);
	text = with_variants("variants:\n  - name: as-written\n"
			     "  - {name: two, set: {records.per_batch: 2, 'script': [publish: 1, settle]}}\n");
	fl_test_write_temp(text, path);
	cr_assert_eq(fl_scn_variants(path, &v, &n, &e), FL_OK, "%s", e.msg);
	unlink(path);
	cr_assert_eq(n, 2);
	cr_assert_null(v[0].about);
	cr_assert_str_eq(v[0].sets, "");
	cr_assert_str_eq(v[1].sets, "records.per_batch=2, script=[{publish: 1}, settle]");
	fl_scn_variants_free(v, n);
	free(text);
	fl_test_no_leaks();
}

/*
 * The two variants' verdicts differ: letting go of a record whose remove failed gives it to
 * the destination twice (19 states, as one_queue_outage_by_hand counts them); retrying the
 * remove does not (15 states: no B3' and no C3', C3'', C4''; 19 transitions: those four
 * states' four steps fewer).
 */
Test(scenario_variants, verdicts_differ)
{
	char *text = with_variants(two_variants), path[64];
	fl_test_write_temp(text, path);
	struct fl_test_run a, b, base;
	fl_test_check_variant(path, "ignore", NULL, NULL, &a);
	fl_test_check_variant(path, "retry", NULL, NULL, &b);
	fl_test_check_variant(path, NULL, NULL, NULL, &base);
	unlink(path);
	cr_expect(fl_test_violated(&a, "no-duplicates"));
	cr_expect_eq(a.r.states, 19);
	cr_expect_eq(a.r.transitions, 23);
	cr_expect(!fl_test_violated(&b, "no-duplicates"));
	cr_expect(!fl_test_violated(&b, "delivery"));
	cr_expect(b.r.complete);
	cr_expect_eq(b.r.states, 15);
	cr_expect_eq(b.r.transitions, 19);
	/* The file as written is the ignore design. */
	cr_expect_eq(base.r.states, 19);
	cr_expect_eq(base.r.violated, a.r.violated);
	/* retry's expect overrides the file's for no-duplicates only. */
	cr_expect_eq(a.s.spec[fl_test_spec(&a, "no-duplicates")].expect, FL_EXPECT_VIOLATED);
	cr_expect_eq(b.s.spec[fl_test_spec(&b, "no-duplicates")].expect, FL_EXPECT_HOLDS);
	cr_expect_eq(b.s.spec[fl_test_spec(&b, "delivery")].expect, FL_EXPECT_HOLDS);
	cr_expect_eq(b.s.spec[fl_test_spec(&b, "ordering")].expect, FL_EXPECT_HOLDS);
	cr_expect_str_eq(b.s.name, "one queue, one outage", "the scenario keeps its name");
	fl_test_run_fini(&a);
	fl_test_run_fini(&b);
	fl_test_run_fini(&base);
	free(text);
}

/* The command line's --set goes after the variant's set:, so it wins. */
Test(scenario_variants, command_line_set_wins)
{
	char *text = with_variants(two_variants), path[64];
	fl_test_write_temp(text, path);
	const char *sets[] = {"destination.remove_failure=ignore", NULL};
	struct fl_test_run t;
	fl_test_check_variant(path, "retry", sets, NULL, &t);
	unlink(path);
	cr_expect(fl_test_violated(&t, "no-duplicates"));
	cr_expect_eq(t.s.spec[fl_test_spec(&t, "no-duplicates")].expect, FL_EXPECT_HOLDS,
		     "--set changes the design, not the variant's expectations");
	fl_test_run_fini(&t);
	free(text);
}

/* A variant's overrides are applied in order, like --set: the last one of a path wins, and
 * one may create a key the file does not have, or replace a whole section. */
Test(scenario_variants, overrides_in_order)
{
	char *text = with_variants(
		"variants:\n"
		"  - name: two-records\n"
		"    set:\n"
		"      records.per_batch: 3\n"
		"      records: {batches: 1, per_batch: 2}\n"
		"      queue.capacity: 4\n"
		"      faults.max: 0\n"
		"    expect: {no-duplicates: holds}\n"
		"  - name: no-specs\n"
		"    set: {specs: [delivery], expect: {}}\n"
		"    expect:\n");
	char path[64];
	fl_test_write_temp(text, path);
	struct fl_sys s;
	struct fl_err e = {0};
	cr_assert_eq(load(path, "two-records", NULL, 0, &s, &e), FL_OK, "%s", e.msg);
	cr_expect_eq(s.nrecords, 2, "the whole records: map replaced the earlier per_batch");
	cr_expect_eq(s.budget_max, 0);
	cr_expect_eq(s.spec[spec_of(&s, "no-duplicates")].expect, FL_EXPECT_HOLDS);
	cr_expect_eq(s.spec[spec_of(&s, "delivery")].expect, FL_EXPECT_HOLDS);
	fl_sys_free(&s);
	/* A set: may reset the file's expect: along with specs:; an empty expect: changes nothing. */
	cr_assert_eq(load(path, "no-specs", NULL, 0, &s, &e), FL_OK, "%s", e.msg);
	cr_expect_eq(s.nspec, 1);
	cr_expect_eq(s.spec[0].expect, FL_EXPECT_NONE);
	fl_sys_free(&s);
	/* "" is the file as written. */
	cr_assert_eq(load(path, "", NULL, 0, &s, &e), FL_OK, "%s", e.msg);
	cr_expect_eq(s.nrecords, 1);
	cr_expect_eq(s.nspec, 3);
	fl_sys_free(&s);
	unlink(path);
	free(text);
	fl_test_no_leaks();
}

/*
 * fl_test_scenarios lists (file, variant) pairs: a file without variants once, a file with
 * variants once per variant, in file order. Each pair is then what the parameterized tests of
 * test_search.c run: BFS and DFS agree and the verdicts are the expected ones.
 */
Test(scenario_variants, every_pair_is_enumerated_and_checked)
{
	char dir[] = "/tmp/fl-variants-XXXXXX", a[96], b[96], pattern[96];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(a, sizeof a, "%s/a.yaml", dir);
	snprintf(b, sizeof b, "%s/b.yaml", dir);
	snprintf(pattern, sizeof pattern, "%s/*.yaml", dir);
	char *text = with_variants(two_variants), *plain = fl_test_read_file(ONE_QUEUE_OUTAGE);
	FILE *f = fopen(a, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	f = fopen(b, "w");
	cr_assert_not_null(f);
	fputs(plain, f);
	fclose(f);
	size_t n;
	struct fl_test_path *p = fl_test_scenarios_matching(pattern, &n);
	cr_assert_eq(n, 3, "%zu pairs", n);
	cr_expect_str_eq(p[0].path, a);
	cr_expect_str_eq(p[0].variant, "ignore");
	cr_expect_str_eq(p[1].path, a);
	cr_expect_str_eq(p[1].variant, "retry");
	cr_expect_str_eq(p[2].path, b);
	cr_expect_str_eq(p[2].variant, "");
	struct fl_search_opts dfs = {.mode = FL_DFS};
	for (size_t i = 0; i < n; i++) {
		struct fl_test_run x, y;
		fl_test_check_variant(p[i].path, p[i].variant, NULL, NULL, &x);
		fl_test_check_variant(p[i].path, p[i].variant, NULL, &dfs, &y);
		cr_expect(x.r.complete);
		cr_expect_eq(x.r.states, y.r.states, "%s %s", p[i].path, p[i].variant);
		cr_expect_eq(x.r.violated, y.r.violated);
		for (int k = 0; k < x.s.nspec; k++) {
			int want = x.s.spec[k].expect;
			int got = x.r.violated >> k & 1u ? FL_EXPECT_VIOLATED : FL_EXPECT_HOLDS;
			cr_expect_eq(got, want, "%s %s: %s", p[i].path, p[i].variant, x.s.spec[k].kind->name);
		}
		fl_test_run_fini(&x);
		fl_test_run_fini(&y);
	}
	free(p);
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(text);
	free(plain);
}

/* --- mistakes in the list's shape: refused whichever variant is loaded ------------------- */

Test(scenario_variants, variants_not_a_list)
{
	char *t = with_variants("variants: {name: x}\n");
	expect_list_error(t, "name: x", 0,
			  "variants should be a list, one '- name: NAME' item per variant, not a map");
	free(t);
	t = with_variants("variants: retry\n");
	expect_list_error(t, "retry", 0,
			  "variants should be a list, one '- name: NAME' item per variant, not a single value");
	free(t);
	t = with_variants("variants: []\n");
	expect_list_error(t, "variants", 0, "variants lists no variant; add '- name: NAME' items or remove it");
	free(t);
}

Test(scenario_variants, variant_not_a_map)
{
	char *t = fl_test_replace(with_variants(two_variants), "  - name: retry\n", "  - retry\n  - name: retry\n");
	expect_list_error(t, "  - retry\n", 4,
			  "a variant should be a map ({name: NAME, about: TEXT, set: {...}, expect: {...}}), "
			  "not a single value");
	free(t);
}

Test(scenario_variants, unknown_key)
{
	char *t = fl_test_replace(with_variants(two_variants), "    set: {destination.remove_failure: retry}",
		       "    sett: {destination.remove_failure: retry}");
	expect_list_error(t, "sett", 0, "unknown key 'sett' in variant 'retry' (did you mean 'set'?)");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "  - name: retry\n", "  - name: retry\n    zzzzzz: 1\n");
	expect_list_error(t, "zzzzzz", 0,
			  "unknown key 'zzzzzz' in variant 'retry'; known keys: name, about, set, expect");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "  - name: retry\n", "  - nmae: retry\n");
	expect_list_error(t, "nmae", 0, "unknown key 'nmae' in a variant (did you mean 'name'?)");
	free(t);
}

Test(scenario_variants, missing_name)
{
	char *t = fl_test_replace(with_variants(two_variants), "  - name: retry\n    about: the destination retries",
		       "  - about: the destination retries");
	expect_list_error(t, "about: the destination retries", 0,
			  "a variant needs 'name:' (a-z, 0-9 and -, e.g. name: primary-only)");
	free(t);
	/* An empty map has no position of its own: the message points at variants:. */
	t = with_variants("variants:\n  - {}\n");
	expect_list_error(t, "variants", 0, "a variant needs 'name:' (a-z, 0-9 and -, e.g. name: primary-only)");
	free(t);
}

Test(scenario_variants, malformed_name)
{
	char *t = fl_test_replace(with_variants(two_variants), "name: retry", "name: Retry_Twice");
	expect_list_error(t, "Retry_Twice", 0,
			  "variant name 'Retry_Twice' may use only a-z, 0-9 and - (e.g. 'retry-twice')");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "name: retry", "name: [retry]");
	expect_list_error(t, "retry]", 0, "'name' should be a word of a-z, 0-9 and - (e.g. primary-only)");
	free(t);
	char name[80], line[100], want[160];
	memset(name, 'a', 64);
	name[64] = '\0';
	snprintf(line, sizeof line, "name: %s", name);
	snprintf(want, sizeof want, "variant name '%s' is 64 characters long; at most 63", name);
	t = fl_test_replace(with_variants(two_variants), "name: retry", line);
	expect_list_error(t, name, 0, want);
	free(t);
}

Test(scenario_variants, duplicate_name)
{
	char *t = fl_test_replace(with_variants(two_variants), "name: retry", "name: ignore");
	int line, col;
	fl_test_position(t, "name: ignore\n    about: the destination lets", 0, &line, &col);
	char want[160];
	snprintf(want, sizeof want,
		 "a second variant is named 'ignore' (the first is at line %d); names must be unique "
		 "in the file",
		 line);
	expect_list_error(t, "ignore\n    about: the destination retries", 0, want);
	free(t);
}

Test(scenario_variants, bad_about_set_expect_types)
{
	char *t = fl_test_replace(with_variants(two_variants),
		       "    about: the destination retries the remove until the queue is back\n",
		       "    about: [retries]\n");
	expect_list_error(t, "retries]", 0, "'about' should be one line of text");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "set: {destination.remove_failure: retry}",
		 "set: [destination.remove_failure=retry]");
	expect_list_error(t, "destination.remove_failure=retry", 0,
			  "'set' should be a map of path: value (e.g. {records.per_batch: 2}), not a list");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "expect: {no-duplicates: holds}\n", "expect: holds\n");
	expect_list_error(t, "holds\n", 0,
			  "'expect' should be a map of spec: holds or violated (e.g. {delivery: holds}), "
			  "not a single value");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "set: {destination.remove_failure: retry}",
		 "set: {variants.0.name: x}");
	expect_list_error(t, "variants.0", 0, "a variant cannot set 'variants'");
	free(t);
}

/* --- mistakes found when the variant is applied ------------------------------------------ */

Test(scenario_variants, set_path_does_not_exist)
{
	char *t = fl_test_replace(with_variants(two_variants), "destination.remove_failure: retry",
		       "destinaton.remove_failure: retry");
	expect_error(t, "retry", "destinaton", 0,
		     "'destinaton' is not a section or component of FILE (did you mean 'destination'?)");
	/* Only that variant is refused: the other one and the file itself still load. */
	char path[64];
	fl_test_write_temp(t, path);
	struct fl_sys s;
	struct fl_err e = {0};
	cr_assert_eq(load(path, "ignore", NULL, 0, &s, &e), FL_OK, "%s", e.msg);
	fl_sys_free(&s);
	cr_assert_eq(load(path, NULL, NULL, 0, &s, &e), FL_OK, "%s", e.msg);
	fl_sys_free(&s);
	unlink(path);
	free(t);
	fl_test_no_leaks();
}

Test(scenario_variants, set_path_other_mistakes)
{
	char *t = fl_test_replace(with_variants(two_variants), "destination.remove_failure: retry", "destination: retry");
	expect_error(t, "retry", "destination: retry", 0,
		     "'destination' is a component; say which option (e.g. destination.kind)");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "destination.remove_failure: retry", "script.0: settle");
	expect_error(t, "retry", "script.0", 0,
		     "replacing one item of a list is not supported; set the whole list, e.g. key: [a, b]");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "destination.remove_failure: retry", "records.per_batch.x: 1");
	expect_error(t, "retry", "records.per_batch.x", 0,
		     "'per_batch' is not a map or list of FILE");
	free(t);
}

Test(scenario_variants, bad_value_at_its_position)
{
	char *t = fl_test_replace(with_variants(two_variants), "destination.remove_failure: retry",
		       "destination.remove_failure: retyr");
	expect_error(t, "retry", "retyr", 0,
		     "'remove_failure' cannot be 'retyr' (did you mean 'retry'?); choose one of: ignore, retry");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "destination.remove_failure: retry",
		 "destination.remove_falure: retry");
	expect_error(t, "retry", "destination.remove_falure", 0,
		     "unknown key 'remove_falure' in destination 'destination' (did you mean "
		     "'remove_failure'?)");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "destination.remove_failure: retry",
		 "faults: {max: 1, allow: [{component: queue, region: 7}]}");
	expect_error(t, "retry", "7}", 0, "'region' is 7; it must be between 1 and 1");
	free(t);
}

Test(scenario_variants, expect_names_a_spec_not_checked)
{
	char *t = fl_test_replace(with_variants(two_variants), "expect: {no-duplicates: holds}",
		       "expect: {correctness: holds}");
	expect_error(t, "retry", "correctness", 0, "expect names 'correctness', which specs: does not list");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "expect: {no-duplicates: holds}",
		 "expect: {no-duplicate: holds}");
	expect_error(t, "retry", "no-duplicate:", 0,
		     "unknown spec 'no-duplicate' (did you mean 'no-duplicates'?)");
	free(t);
	t = fl_test_replace(with_variants(two_variants), "expect: {no-duplicates: holds}",
		 "expect: {no-duplicates: hold}");
	expect_error(t, "retry", "hold}", 0, "'no-duplicates' cannot be 'hold' (did you mean 'holds'?)"
					     "; choose one of: holds, violated");
	free(t);
	/* The variant's set: may change specs: first; its expect: is read against the result. */
	t = fl_test_replace(with_variants(two_variants), "set: {destination.remove_failure: retry}",
		 "set: {specs: [delivery], expect: {}}");
	expect_error(t, "retry", "no-duplicates: holds", 0,
		     "expect names 'no-duplicates', which specs: does not list");
	free(t);
}

/* --- options ----------------------------------------------------------------------------- */

/* Loads the fixture (or one-queue-outage.yaml itself, when plain_file) with options, expecting
 * FL_EINPUT and exactly want (FILE: the file's path). */
static void expect_option_error(const char *variant, const char *const *sets, int nsets,
				const char *want, int plain_file)
{
	char *t = plain_file ? fl_test_read_file(ONE_QUEUE_OUTAGE) : with_variants(two_variants);
	char path[64], full[512];
	fl_test_write_temp(t, path);
	struct fl_sys s;
	struct fl_err e = {0};
	int rc = load(path, variant, sets, nsets, &s, &e);
	unlink(path);
	expand(want, path, full, sizeof full);
	cr_assert_eq(rc, FL_EINPUT, "%s", e.msg);
	cr_assert_str_eq(e.msg, full);
	cr_assert_null(s.inst);
	free(t);
	fl_test_no_leaks();
}

Test(scenario_variants, unknown_variant_option)
{
	expect_option_error("retyr", NULL, 0,
			    "--variant retyr: FILE has no variant 'retyr' (did you mean 'retry'?)", 0);
	expect_option_error("zzzzzz", NULL, 0,
			    "--variant zzzzzz: FILE has no variant 'zzzzzz'; its variants: ignore, retry", 0);
	expect_option_error("retry", NULL, 0, "--variant retry: FILE has no variants: section", 1);
}

Test(scenario_variants, set_cannot_change_variants)
{
	const char *sets[] = {"variants.0.name=x"};
	expect_option_error(NULL, sets, 1,
			    "--set variants.0.name=x: variants cannot be changed by --set; choose them "
			    "with --variant NAME",
			    0);
	const char *create[] = {"variants=[{name: x}]"};
	expect_option_error(NULL, create, 1,
			    "--set variants=[{name: x}]: variants cannot be changed by --set; choose "
			    "them with --variant NAME",
			    1);
}

/* --- allocation failures ----------------------------------------------------------------- */

Test(scenario_variants, allocation_failures)
{
	char *t = with_variants(two_variants), path[64];
	fl_test_write_temp(t, path);
	const char *sets[] = {"queue.capacity=3"};
	struct fl_sys ref;
	struct fl_err e = {0};
	cr_assert_eq(load(path, "retry", sets, 1, &ref, &e), FL_OK, "%s", e.msg);
	int rc = FL_ENOMEM;
	long n;
	for (n = 1; n < 100000 && rc != FL_OK; n++) {
		struct fl_sys s;
		struct fl_err en = {0};
		fl_alloc_fail_at(n);
		rc = load(path, "retry", sets, 1, &s, &en);
		fl_alloc_fail_at(0);
		if (rc == FL_OK) {
			cr_assert_eq(s.width, ref.width);
			cr_assert_eq(s.spec[spec_of(&s, "no-duplicates")].expect, FL_EXPECT_HOLDS);
			fl_sys_free(&s);
			break;
		}
		cr_assert_lt(rc, 0);
		cr_assert_eq(en.code, rc, "n=%ld", n);
		cr_assert_null(s.inst);
	}
	cr_assert_eq(rc, FL_OK);
	fl_sys_free(&ref);
	/* fl_scn_variants: FL_ENOMEM (or the document's FL_EINPUT) and nothing kept, until it works. */
	rc = FL_ENOMEM;
	for (n = 1; n < 100000 && rc != FL_OK; n++) {
		struct fl_scn_variant *v;
		int nv;
		struct fl_err en = {0};
		fl_alloc_fail_at(n);
		rc = fl_scn_variants(path, &v, &nv, &en);
		fl_alloc_fail_at(0);
		if (rc == FL_OK) {
			cr_assert_eq(nv, 2);
			cr_assert_str_eq(v[1].sets, "destination.remove_failure=retry");
			fl_scn_variants_free(v, nv);
			break;
		}
		cr_assert_lt(rc, 0);
		cr_assert_null(v);
		cr_assert_eq(nv, 0);
	}
	cr_assert_eq(rc, FL_OK);
	unlink(path);
	free(t);
	fl_test_no_leaks();
}

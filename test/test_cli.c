/*
 * test_cli.c - the faultline command end to end: exit codes, messages, JSON output.
 *
 * Runs the binary named by $FAULTLINE (set by `make test` / `make check`) from the repository
 * root, with stdout and stderr captured in temp files. Every run is small: base.yaml or a
 * four-component scenario.
 */
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE "scenarios/active-active/base.yaml"

struct run {
	int code;  /* exit code, or -1 if it did not exit normally */
	char *out; /* stdout */
	char *err; /* stderr */
};

static void temp_path(char path[64], const char *what)
{
	snprintf(path, 64, "/tmp/fl-cli-%s-XXXXXX", what);
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

static const char *faultline(void)
{
	const char *f = getenv("FAULTLINE");
	if (!f || !*f)
		cr_skip_test("FAULTLINE is not set (run through make test)");
	return f;
}

/* Runs `$FAULTLINE args` through the shell; args is shell text (quote what needs it). */
static struct run run(const char *args)
{
	char out[64], err[64], cmd[4096];
	temp_path(out, "out");
	temp_path(err, "err");
	snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s' </dev/null", faultline(), args, out, err);
	int st = system(cmd);
	cr_assert_neq(st, -1, "system() failed");
	struct run r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, fl_test_read_file(out), fl_test_read_file(err)};
	unlink(out);
	unlink(err);
	cr_log_info("faultline %s -> %d", args, r.code);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void assert_code(const struct run *r, int code)
{
	cr_assert_eq(r->code, code, "exit code %d, expected %d\n--- stdout:\n%.2000s\n--- stderr:\n%.2000s",
		     r->code, code, r->out, r->err);
}

static void assert_has(const char *text, const char *want, const char *where)
{
	cr_assert_not_null(strstr(text, want), "%s should contain '%s':\n%.3000s", where, want, text);
}

/* --- a small JSON validator (RFC 8259 syntax, no semantics) ------------------------------ */

static void json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static int json_value(const char **p, int depth);

static int json_string(const char **p)
{
	if (**p != '"')
		return 0;
	for ((*p)++; **p != '"'; (*p)++) {
		unsigned char c = (unsigned char)**p;
		if (c < 0x20)
			return 0; /* also catches the end of the text */
		if (c == '\\') {
			(*p)++;
			if (**p == 'u') {
				for (int i = 0; i < 4; i++) {
					(*p)++;
					if (!strchr("0123456789abcdefABCDEF", **p) || !**p)
						return 0;
				}
			} else if (!**p || !strchr("\"\\/bfnrt", **p)) {
				return 0;
			}
		}
	}
	(*p)++;
	return 1;
}

static int json_number(const char **p)
{
	const char *s = *p;
	if (**p == '-')
		(*p)++;
	if (**p == '0')
		(*p)++;
	else if (**p >= '1' && **p <= '9')
		while (**p >= '0' && **p <= '9')
			(*p)++;
	else
		return 0;
	if (**p == '.') {
		(*p)++;
		if (!(**p >= '0' && **p <= '9'))
			return 0;
		while (**p >= '0' && **p <= '9')
			(*p)++;
	}
	if (**p == 'e' || **p == 'E') {
		(*p)++;
		if (**p == '+' || **p == '-')
			(*p)++;
		if (!(**p >= '0' && **p <= '9'))
			return 0;
		while (**p >= '0' && **p <= '9')
			(*p)++;
	}
	return *p > s;
}

static int json_word(const char **p, const char *w)
{
	size_t n = strlen(w);
	if (strncmp(*p, w, n))
		return 0;
	*p += n;
	return 1;
}

static int json_container(const char **p, int depth, char close, int object)
{
	(*p)++;
	json_ws(p);
	if (**p == close)
		return (*p)++, 1;
	for (;;) {
		json_ws(p);
		if (object) {
			if (!json_string(p))
				return 0;
			json_ws(p);
			if (**p != ':')
				return 0;
			(*p)++;
		}
		if (!json_value(p, depth + 1))
			return 0;
		json_ws(p);
		if (**p == close)
			return (*p)++, 1;
		if (**p != ',')
			return 0;
		(*p)++;
	}
}

static int json_value(const char **p, int depth)
{
	if (depth > 200)
		return 0;
	json_ws(p);
	switch (**p) {
	case '{': return json_container(p, depth, '}', 1);
	case '[': return json_container(p, depth, ']', 0);
	case '"': return json_string(p);
	case 't': return json_word(p, "true");
	case 'f': return json_word(p, "false");
	case 'n': return json_word(p, "null");
	default: return json_number(p);
	}
}

/* 1 if text is exactly one JSON value (with surrounding white space). */
static int json_valid(const char *text)
{
	const char *p = text;
	if (!json_value(&p, 0))
		return 0;
	json_ws(&p);
	return *p == '\0';
}

Test(cli, json_validator_self_check)
{
	/* The validator must reject what is not JSON, or the JSON tests prove nothing. */
	cr_assert(json_valid("{\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00e9\"], \"b\": {}}"));
	cr_assert(json_valid(" [] \n"));
	cr_assert_not(json_valid("{\"a\": 1,}"));
	cr_assert_not(json_valid("{\"a\" 1}"));
	cr_assert_not(json_valid("[1, 2"));
	cr_assert_not(json_valid("{\"a\": 01}"));
	cr_assert_not(json_valid("{\"a\": \"x}"));
	cr_assert_not(json_valid("{} {}"));
	cr_assert_not(json_valid("{a: 1}"));
	cr_assert_not(json_valid(""));
}

/* --- scenarios --------------------------------------------------------------------------- */

static const char small_scenario[] = "name: cli small\n"
				     "regions: 1\n"
				     "records: {batches: 1, per_batch: 1}\n"
				     "components:\n"
				     "  source: {kind: source, dns: dns}\n"
				     "  dns: {kind: dns, targets: queue}\n"
				     "  queue: {kind: queue}\n"
				     "  destination: {kind: destination, dns: dns}\n"
				     "script:\n"
				     "  - publish: 1\n"
				     "  - await: destination.received >= 1\n"
				     "specs: [delivery, no-duplicates, ordering]\n";

/* The verdict line of spec name in a report ("  delivery       holds ..."). */
static void assert_verdict(const char *out, const char *name, const char *verdict)
{
	char line[128];
	const char *p = out;
	size_t n = strlen(name);
	while ((p = strstr(p, name))) {
		if (p >= out + 2 && p[-1] == ' ' && p[-2] == ' ' && p[n] == ' ' &&
		    (p == out + 2 || p[-3] == '\n')) {
			const char *eol = strchr(p, '\n');
			size_t len = eol ? (size_t)(eol - p) : strlen(p);
			snprintf(line, sizeof line, "%.*s", (int)len, p);
			const char *v = line + n;
			while (*v == ' ')
				v++;
			cr_assert_eq(strncmp(v, verdict, strlen(verdict)), 0,
				     "verdict of %s: '%s', expected %s", name, line, verdict);
			return;
		}
		p += n;
	}
	cr_assert_fail("no verdict line for %s in:\n%s", name, out);
}

Test(cli, broken_scenario_exits_2_with_position)
{
	const char *bad = "name: broken\n"
			  "regions: 1\n"
			  "records: {batches: 1, per_batch: 1}\n"
			  "components:\n"
			  "  source: {kind: source, dns: dns}\n"
			  "  dns: {kind: dns, targets: queue}\n"
			  "  queue: {kind: queu}\n"
			  "  destination: {kind: destination, dns: dns}\n";
	char path[64], args[256], want[160];
	temp_path(path, "scn");
	write_file(path, bad);
	snprintf(args, sizeof args, "check '%s'", path);
	struct run r = run(args);
	unlink(path);
	assert_code(&r, 2);
	snprintf(want, sizeof want,
		 "%s:7:17: unknown component kind 'queu' (did you mean 'queue'?)\n", path);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "", "nothing on stdout for a bad scenario");
	run_free(&r);
}

Test(cli, missing_scenario_file_exits_2)
{
	struct run r = run("check /nonexistent/fl-none.yaml");
	assert_code(&r, 2);
	assert_has(r.err, "/nonexistent/fl-none.yaml: cannot open the scenario file", "stderr");
	run_free(&r);
}

Test(cli, set_and_spec_errors_exit_2)
{
	struct run r = run("check " BASE " --set nosuch.x=1");
	assert_code(&r, 2);
	assert_has(r.err, "--set nosuch.x=1: 'nosuch' is not a section or component", "stderr");
	run_free(&r);
	r = run("check " BASE " --spec delivry");
	assert_code(&r, 2);
	assert_has(r.err, "--spec delivry: unknown spec (did you mean 'delivery'?)", "stderr");
	run_free(&r);
}

/* --- usage ------------------------------------------------------------------------------- */

Test(cli, unknown_option_exits_2)
{
	struct run r = run("check " BASE " --bogus");
	assert_code(&r, 2);
	assert_has(r.err, "unknown option or missing value: --bogus", "stderr");
	assert_has(r.err, "--help", "stderr");
	cr_assert_str_eq(r.out, "");
	run_free(&r);
}

Test(cli, unknown_command_exits_2)
{
	struct run r = run("chekc " BASE);
	assert_code(&r, 2);
	assert_has(r.err, "unknown command 'chekc'", "stderr");
	run_free(&r);
}

Test(cli, missing_file_argument_exits_2)
{
	struct run r = run("check");
	assert_code(&r, 2);
	assert_has(r.err, "check needs one scenario FILE", "stderr");
	run_free(&r);
	r = run("check --quiet");
	assert_code(&r, 2);
	assert_has(r.err, "check needs one scenario FILE", "stderr");
	run_free(&r);
	r = run("check " BASE " extra.yaml");
	assert_code(&r, 2);
	assert_has(r.err, "also got 'extra.yaml'", "stderr");
	run_free(&r);
	r = run("");
	assert_code(&r, 2);
	assert_has(r.err, "usage: faultline check FILE", "stderr");
	run_free(&r);
}

Test(cli, bad_search_value_exits_2)
{
	struct run r = run("check " BASE " --search bfx");
	assert_code(&r, 2);
	assert_has(r.err, "--search bfx: choose bfs, dfs or random", "stderr");
	run_free(&r);
	r = run("check " BASE " --search");
	assert_code(&r, 2);
	assert_has(r.err, "missing value: --search", "stderr");
	run_free(&r);
}

Test(cli, bad_max_memory_exits_2)
{
	static const char *const bad[] = {"lots", "0", "-1G", "2X", "1.5GiB"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char args[128], want[96];
		snprintf(args, sizeof args, "check " BASE " --max-memory '%s'", bad[i]);
		snprintf(want, sizeof want, "--max-memory %s: give a size", bad[i]);
		struct run r = run(args);
		assert_code(&r, 2);
		assert_has(r.err, want, "stderr");
		cr_assert_str_eq(r.out, "", "no search is run");
		run_free(&r);
	}
}

/* --threads and --storage: bad values and combinations exit 2 before any search. */
Test(cli, bad_threads_and_storage_exit_2)
{
	static const char *const cases[][2] = {
		{"--threads 0", "--threads 0: give a whole number from 1 to 64"},
		{"--threads 65", "--threads 65: give a whole number from 1 to 64"},
		{"--threads two", "--threads two: give a whole number"},
		{"--storage tree", "--storage tree: choose exact, fingerprint or bitstate"},
		{"--threads 2 --search dfs", "--threads 2: only --search bfs runs on several threads"},
		{"--search random --storage bitstate", "--storage bitstate needs --search bfs"},
		{"--storage fingerprint --search dfs", "--storage fingerprint needs --search bfs"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char args[160];
		snprintf(args, sizeof args, "check " BASE " %s", cases[i][0]);
		struct run r = run(args);
		assert_code(&r, 2);
		assert_has(r.err, cases[i][1], "stderr");
		cr_assert_str_eq(r.out, "", "no search is run");
		run_free(&r);
	}
}

/* The figures say how the run was made: threads, storage, and what fingerprints may miss. */
Test(cli, threads_and_storage_in_the_result)
{
	struct run r = run("check " BASE " --threads 2 --storage fingerprint --quiet --json -");
	assert_code(&r, 0);
	assert_has(r.out, "\"threads\":2", "stdout");
	assert_has(r.out, "\"storage\":\"fingerprint\"", "stdout");
	assert_has(r.out, "\"expected_missed_states\":", "stdout");
	assert_has(r.out, "\"states\":38910", "stdout");
	run_free(&r);
	r = run("check " BASE " --threads 2 --storage fingerprint --quiet");
	assert_code(&r, 0);
	assert_has(r.out, "2 threads", "stdout");
	assert_has(r.out, "Storage: fingerprints", "stdout");
	assert_has(r.out, "states missed through hash collisions, expected: at most", "stdout");
	run_free(&r);
}

Test(cli, bad_counts_exit_2)
{
	struct run r = run("check " BASE " --max-states 1.5");
	assert_code(&r, 2);
	assert_has(r.err, "'1.5' is not a positive whole number", "stderr");
	run_free(&r);
	r = run("check " BASE " --time-limit never");
	assert_code(&r, 2);
	assert_has(r.err, "--time-limit never", "stderr");
	run_free(&r);
}

Test(cli, help_exits_0)
{
	struct run r = run("--help");
	assert_code(&r, 0);
	assert_has(r.out, "usage: faultline check FILE [options]", "stdout");
	assert_has(r.out, "--max-memory SIZE", "stdout");
	assert_has(r.out, "--variant NAME", "stdout");
	assert_has(r.out, "exit codes: 0", "stdout");
	cr_assert_str_eq(r.err, "");
	run_free(&r);
	r = run("check --help");
	assert_code(&r, 0);
	assert_has(r.out, "usage: faultline check FILE", "stdout");
	run_free(&r);
	r = run("--version");
	assert_code(&r, 0);
	assert_has(r.out, "faultline ", "stdout");
	run_free(&r);
}

/* --- verdicts and exit codes ------------------------------------------------------------- */

Test(cli, small_scenario_holds_exits_0)
{
	char path[64], args[128];
	temp_path(path, "small");
	write_file(path, small_scenario);
	snprintf(args, sizeof args, "check '%s'", path);
	struct run r = run(args);
	unlink(path);
	assert_code(&r, 0);
	assert_has(r.out, "scenario: cli small", "stdout");
	assert_has(r.out, "1 region, 1 record in 1 batch", "stdout");
	assert_verdict(r.out, "delivery", "holds");
	assert_verdict(r.out, "no-duplicates", "holds");
	assert_verdict(r.out, "ordering", "holds");
	cr_assert_null(strstr(r.out, "correctness"), "correctness is not listed, so not reported");
	cr_assert_null(strstr(r.out, "violated"));
	assert_has(r.out, "Search: complete", "stdout");
	run_free(&r);
}

Test(cli, violated_spec_exits_1)
{
	struct run r = run("check " BASE " --set 'inbound.order=[remove,write,publish]'");
	assert_code(&r, 1);
	assert_has(r.out, "correctness violated: ", "stdout");
	assert_has(r.out, "Counterexample for correctness", "stdout");
	assert_verdict(r.out, "correctness", "VIOLATED");
	assert_verdict(r.out, "delivery", "holds");
	run_free(&r);
	/* --quiet keeps the verdicts and drops the trace. */
	r = run("check " BASE " --quiet --set 'inbound.order=[remove,write,publish]'");
	assert_code(&r, 1);
	assert_has(r.out, "correctness violated: ", "stdout");
	cr_assert_null(strstr(r.out, "Counterexample"), "--quiet prints no trace");
	run_free(&r);
}

Test(cli, state_limit_exits_3)
{
	struct run r = run("check " BASE " --max-states 10");
	assert_code(&r, 3);
	assert_has(r.out, "incomplete", "stdout");
	assert_has(r.out, "--max-states", "stdout");
	assert_verdict(r.out, "correctness", "unknown");
	run_free(&r);
}

/* --- JSON -------------------------------------------------------------------------------- */

Test(cli, json_to_stdout)
{
	struct run r = run("check " BASE " --json -");
	assert_code(&r, 0);
	cr_assert(json_valid(r.out), "stdout is not valid JSON:\n%.3000s", r.out);
	cr_assert_eq(r.out[0], '{', "only the JSON goes to stdout");
	cr_assert_null(strstr(r.out, "Verdicts:"), "no text report with --json -");
	assert_has(r.out, "\"figures\":", "JSON");
	assert_has(r.out, "\"states\":", "JSON");
	assert_has(r.out, "\"complete\":true", "JSON");
	assert_has(r.out, "\"stop_reason\":null", "JSON");
	static const char *const specs[] = {"correctness", "delivery", "no-duplicates", "ordering"};
	for (int i = 0; i < 4; i++) {
		char want[96];
		snprintf(want, sizeof want, "{\"name\":\"%s\",\"verdict\":\"holds\"", specs[i]);
		assert_has(r.out, want, "JSON");
	}
	assert_has(r.out, "\"traces\":[]", "JSON");
	run_free(&r);
}

Test(cli, json_incomplete)
{
	struct run r = run("check " BASE " --max-states 10 --json -");
	assert_code(&r, 3);
	cr_assert(json_valid(r.out), "stdout is not valid JSON:\n%.3000s", r.out);
	assert_has(r.out, "\"complete\":false", "JSON");
	assert_has(r.out, "\"verdict\":\"unknown\"", "JSON");
	cr_assert_null(strstr(r.out, "\"stop_reason\":null"), "an incomplete run says why");
	run_free(&r);
}

Test(cli, trace_json_file)
{
	char path[64], args[256];
	temp_path(path, "trace");
	snprintf(args, sizeof args,
		 "check " BASE " --quiet --set 'inbound.order=[remove,write,publish]' --trace-json '%s'",
		 path);
	struct run r = run(args);
	assert_code(&r, 1);
	char *j = fl_test_read_file(path);
	unlink(path);
	cr_assert(json_valid(j), "%s is not valid JSON:\n%.3000s", path, j);
	assert_has(j, "\"traces\":[{", "trace JSON");
	assert_has(j, "\"spec\":\"correctness\"", "trace JSON");
	assert_has(j, "\"steps\":[{", "trace JSON");
	assert_has(j, "\"why\":\"", "trace JSON");
	cr_assert_null(strstr(j, "\"spec\":\"delivery\""), "only violated specs have traces");
	free(j);
	/* The text report still goes to stdout. */
	assert_has(r.out, "correctness violated: ", "stdout");
	run_free(&r);
}

Test(cli, trace_json_without_violation_is_empty)
{
	char scn[64], path[64], args[256];
	temp_path(scn, "small");
	write_file(scn, small_scenario);
	temp_path(path, "trace");
	snprintf(args, sizeof args, "check '%s' --trace-json '%s' --json '%s.all'", scn, path, path);
	struct run r = run(args);
	unlink(scn);
	assert_code(&r, 0);
	char *j = fl_test_read_file(path);
	cr_assert(json_valid(j), "%.3000s", j);
	assert_has(j, "\"traces\":[]", "trace JSON");
	free(j);
	char all[80];
	snprintf(all, sizeof all, "%s.all", path);
	j = fl_test_read_file(all);
	cr_assert(json_valid(j), "%.3000s", j);
	assert_has(j, "\"scenario\":\"cli small\"", "JSON");
	free(j);
	unlink(path);
	unlink(all);
	/* The text report is still printed when the JSON goes to a file. */
	assert_has(r.out, "Verdicts:", "stdout");
	run_free(&r);
}

Test(cli, unwritable_json_exits_2)
{
	char scn[64], args[256];
	temp_path(scn, "small");
	write_file(scn, small_scenario);
	snprintf(args, sizeof args, "check '%s' --json /nonexistent/dir/out.json", scn);
	struct run r = run(args);
	unlink(scn);
	assert_code(&r, 2);
	assert_has(r.err, "cannot write /nonexistent/dir/out.json", "stderr");
	run_free(&r);
}

/* --- design variants --------------------------------------------------------------------- */

/* scenarios/test/one-queue-outage.yaml with design variants: the destination lets go of a
 * record whose remove failed (a duplicate: exit 1), or retries the remove (no duplicate); with
 * with_unchecked also one that checks no spec at all (incomplete: exit 3) and the file as
 * written. */
static void write_variants(char path[64], int with_unchecked)
{
	char *base = fl_test_read_file("scenarios/test/one-queue-outage.yaml");
	struct fl_buf b = {0};
	fl_buf_puts(&b, base);
	fl_buf_puts(&b, "variants:\n"
			"  - name: ignore\n"
			"    about: the destination lets go of a record it could not remove\n"
			"    set: {destination.remove_failure: ignore}\n"
			"  - name: retry\n"
			"    about: the destination retries the remove\n"
			"    set: {destination.remove_failure: retry}\n"
			"    expect: {no-duplicates: holds}\n");
	if (with_unchecked)
		fl_buf_puts(&b, "  - name: unchecked\n"
				"    set: {specs: [], expect: {}}\n"
				"  - name: as-written\n");
	temp_path(path, "variants");
	write_file(path, fl_buf_str(&b));
	fl_buf_fini(&b);
	free(base);
}

/* The line of text that starts with prefix (after a newline), or fails. */
static const char *line_starting(const char *text, const char *prefix)
{
	for (const char *p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, prefix, strlen(prefix)))
			return p;
	}
	cr_assert_fail("no line starting with '%s' in:\n%.4000s", prefix, text);
	return NULL;
}

static int occurrences(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(cli, variants_each_run_then_a_summary)
{
	char scn[64], args[128];
	write_variants(scn, 0);
	snprintf(args, sizeof args, "check '%s' --quiet", scn);
	struct run r = run(args);
	unlink(scn);
	assert_code(&r, 1); /* ignore violates no-duplicates, as it expects */
	const char *h1 = strstr(r.out, "== variant ignore: the destination lets go of a record it could "
				       "not remove (destination.remove_failure=ignore) ==\n");
	const char *h2 = strstr(r.out, "== variant retry: the destination retries the remove "
				       "(destination.remove_failure=retry) ==\n");
	cr_assert(h1 && h2 && h1 < h2, "both headings, in file order:\n%s", r.out);
	cr_assert_eq(occurrences(r.out, "Verdicts:"), 2, "a full report per variant");
	cr_assert_eq(occurrences(r.out, "faultline 0.1.0: "), 2);
	const char *sum = strstr(r.out, "\nSummary: 2 variants\n");
	cr_assert_not_null(sum, "%s", r.out);
	cr_assert_gt(sum, h2, "the summary comes last");
	line_starting(sum, "  variant  delivery  no-duplicates  ordering        states   seconds\n");
	line_starting(sum, "  ignore   holds     VIOLATED       holds               19  ");
	line_starting(sum, "  retry    holds     holds          holds               15  ");
	line_starting(sum, "  Every verdict matches the expectations.\n");
	cr_assert_null(strstr(sum, "*"), "nothing differs");
	run_free(&r);
}

Test(cli, variants_summary_marks_differences)
{
	/* --set goes after each variant's set:, so ignore retries too: it no longer duplicates. */
	char scn[64], args[160];
	write_variants(scn, 0);
	snprintf(args, sizeof args, "check '%s' --quiet --set destination.remove_failure=retry", scn);
	struct run r = run(args);
	unlink(scn);
	assert_code(&r, 0);
	const char *sum = strstr(r.out, "\nSummary: 2 variants\n");
	cr_assert_not_null(sum, "%s", r.out);
	line_starting(sum, "  ignore   holds     holds*         holds               15  ");
	line_starting(sum, "  retry    holds     holds          holds               15  ");
	line_starting(sum, "  * differs from the expectation\n");
	line_starting(sum, "  1 verdict differs from the expectations.\n");
	run_free(&r);
}

Test(cli, variant_option_selects)
{
	char scn[64], args[160];
	write_variants(scn, 0);
	snprintf(args, sizeof args, "check '%s' --variant retry", scn);
	struct run r = run(args);
	assert_code(&r, 0);
	cr_assert_null(strstr(r.out, "== variant ignore"), "only the variant asked for");
	assert_has(r.out, "== variant retry: ", "stdout");
	assert_has(r.out, "\nSummary: 1 variant\n", "stdout");
	run_free(&r);
	/* Repeated: run in file order, whatever the order on the command line. */
	snprintf(args, sizeof args, "check '%s' --quiet --variant retry --variant ignore", scn);
	r = run(args);
	unlink(scn);
	assert_code(&r, 1);
	const char *a = strstr(r.out, "== variant ignore"), *b = strstr(r.out, "== variant retry");
	cr_assert(a && b && a < b, "%s", r.out);
	run_free(&r);
}

Test(cli, variant_option_errors_exit_2)
{
	char scn[64], args[160], want[256];
	write_variants(scn, 0);
	snprintf(args, sizeof args, "check '%s' --variant retyr", scn);
	struct run r = run(args);
	assert_code(&r, 2);
	snprintf(want, sizeof want, "--variant retyr: %s has no variant 'retyr' (did you mean 'retry'?)\n", scn);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "", "nothing is run");
	run_free(&r);
	snprintf(args, sizeof args, "check '%s' --variant retry --variant zzzzzz", scn);
	r = run(args);
	assert_code(&r, 2);
	snprintf(want, sizeof want, "--variant zzzzzz: %s has no variant 'zzzzzz'; its variants: ignore, retry\n", scn);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "");
	run_free(&r);
	unlink(scn);
	r = run("check " BASE " --variant retry");
	assert_code(&r, 2);
	cr_assert_str_eq(r.err, "--variant retry: " BASE " has no variants: section\n");
	run_free(&r);
}

Test(cli, variants_exit_codes)
{
	char scn[64], args[160];
	write_variants(scn, 1);
	/* violated (ignore) beats incomplete (unchecked), as within one run */
	snprintf(args, sizeof args, "check '%s' --quiet", scn);
	struct run r = run(args);
	assert_code(&r, 1);
	const char *sum = strstr(r.out, "\nSummary: 4 variants\n");
	cr_assert_not_null(sum, "%s", r.out);
	line_starting(sum, "  unchecked   -         -              -                    1  ");
	line_starting(sum, "  as-written  holds     VIOLATED       holds               19  ");
	assert_has(r.out, "\n== variant as-written (no overrides) ==\n", "stdout");
	run_free(&r);
	snprintf(args, sizeof args, "check '%s' --quiet --variant retry --variant unchecked", scn);
	r = run(args);
	assert_code(&r, 3);
	assert_has(r.out, "Search: incomplete: no spec is checked", "stdout");
	run_free(&r);
	snprintf(args, sizeof args, "check '%s' --quiet --variant retry", scn);
	r = run(args);
	assert_code(&r, 0);
	run_free(&r);
	/* Limits apply to each variant; nothing violated and something incomplete is 3. */
	snprintf(args, sizeof args, "check '%s' --quiet --max-states 3", scn);
	r = run(args);
	assert_code(&r, 3);
	assert_has(r.out, "expected verdicts are unknown: a search did not finish", "stdout");
	run_free(&r);
	unlink(scn);
}

Test(cli, variants_bad_variant_exits_2_before_any_search)
{
	char scn[64], args[160];
	write_variants(scn, 0);
	char *text = fl_test_read_file(scn);
	char *at = strstr(text, "remove_failure: retry}");
	cr_assert_not_null(at);
	memcpy(at, "remove_failure: retyr}", strlen("remove_failure: retyr}"));
	write_file(scn, text);
	snprintf(args, sizeof args, "check '%s'", scn);
	struct run r = run(args);
	unlink(scn);
	assert_code(&r, 2);
	assert_has(r.err, "'remove_failure' cannot be 'retyr' (did you mean 'retry'?)", "stderr");
	cr_assert_str_eq(r.out, "", "the good variant before it is not run either");
	free(text);
	run_free(&r);
}

Test(cli, variants_json)
{
	char scn[64], trace[64], args[256];
	write_variants(scn, 0);
	temp_path(trace, "trace");
	snprintf(args, sizeof args, "check '%s' --json - --trace-json '%s'", scn, trace);
	struct run r = run(args);
	unlink(scn);
	assert_code(&r, 1);
	cr_assert(json_valid(r.out), "stdout is not valid JSON:\n%.3000s", r.out);
	cr_assert_eq(strncmp(r.out, "{\"variants\":[{\"faultline\":", strlen("{\"variants\":[{\"faultline\":")), 0,
		     "%.200s", r.out);
	cr_assert_null(strstr(r.out, "Summary"), "no text with --json -");
	cr_assert_eq(occurrences(r.out, "\"faultline\":"), 2, "one object per variant");
	const char *a = strstr(r.out, "\"variant\":\"ignore\""), *b = strstr(r.out, "\"variant\":\"retry\"");
	cr_assert(a && b && a < b, "%.3000s", r.out);
	assert_has(r.out,
		   "\"scenario\":\"one queue, one outage\",\"variant\":\"ignore\",\"search\":\"bfs\"",
		   "JSON");
	assert_has(b,
		   "{\"name\":\"no-duplicates\",\"verdict\":\"holds\",\"expected\":\"holds\","
		   "\"matches\":true",
		   "JSON");
	char *j = fl_test_read_file(trace);
	unlink(trace);
	cr_assert(json_valid(j), "%.3000s", j);
	const char *head = "{\"variants\":[{\"variant\":\"ignore\",\"traces\":[{\"format\":\"faultline-trace\"";
	cr_assert_eq(strncmp(j, head, strlen(head)), 0, "%.300s", j);
	assert_has(j, "\"variant\":\"ignore\",\"sets\":[],\"only_specs\":[],", "trace JSON origin");
	assert_has(j, "\"spec\":\"no-duplicates\"", "trace JSON spec");
	assert_has(j, ",{\"variant\":\"retry\",\"traces\":[]}]}", "trace JSON");
	free(j);
	run_free(&r);
	/* A file without variants keeps the single-run shape. */
	r = run("check " BASE " --json -");
	assert_code(&r, 0);
	cr_assert_eq(strncmp(r.out, "{\"faultline\":", 13), 0);
	cr_assert_null(strstr(r.out, "\"variant"));
	run_free(&r);
}

/* --- replay and --minimize ------------------------------------------------------------- */

#define LESSON2 "scenarios/lessons/2-step-order.yaml"

/* check --trace-json, then replay: every trace is confirmed (exit 1), with the --set the
 * check was given; on a scenario whose design changed, the trace diverges (exit 2). */
Test(cli, replay_confirms_then_diverges)
{
	char trace[64], args[512];
	temp_path(trace, "trace");
	snprintf(args, sizeof args, "check " LESSON2 " --variant remove-before-write --quiet "
				    "--set faults.max=1 --trace-json '%s'", trace);
	struct run r = run(args);
	assert_code(&r, 1);
	run_free(&r);
	snprintf(args, sizeof args, "replay " LESSON2 " '%s'", trace);
	r = run(args);
	assert_code(&r, 1);
	assert_has(r.out, "trace 1 of 2: correctness, variant remove-before-write, --set faults.max=1\n",
		   "replay");
	assert_has(r.out, "  confirmed: the trace replays to the end and correctness is violated: ", "replay");
	assert_has(r.out, "<== this step breaks correctness", "replay prints the trace");
	assert_has(r.out, "2 of 2 traces confirmed.\n", "replay");
	run_free(&r);

	char *yaml = fl_test_read_file(LESSON2);
	yaml = fl_test_replace(yaml, "set: {stage.order: [remove, write, publish]}",
			       "set: {stage.order: [write, remove, publish]}");
	char changed[64];
	temp_path(changed, "scn");
	write_file(changed, yaml);
	free(yaml);
	snprintf(args, sizeof args, "replay '%s' '%s' --quiet", changed, trace);
	r = run(args);
	assert_code(&r, 2);
	assert_has(r.out, "  DIVERGES: ", "replay");
	assert_has(r.out, "step 4 diverges: stage[1] cannot \"removes record 1 from in-queue[1]\" here",
		   "replay");
	assert_has(r.out, "0 of 2 traces confirmed; the others diverge", "replay");
	cr_expect_null(strstr(r.out, "Counterexample"), "--quiet prints no trace");
	run_free(&r);
	unlink(changed);
	unlink(trace);
}

Test(cli, replay_usage_errors_exit_2)
{
	struct run r = run("replay " LESSON2);
	assert_code(&r, 2);
	assert_has(r.err, "replay takes a scenario FILE and a TRACE.json", "stderr");
	run_free(&r);
	r = run("replay " LESSON2 " /nonexistent.json");
	assert_code(&r, 2);
	assert_has(r.err, "/nonexistent.json: cannot open the trace file", "stderr");
	run_free(&r);
	char bad[64];
	temp_path(bad, "bad");
	write_file(bad, "{\"traces\": []}\n");
	char args[256];
	snprintf(args, sizeof args, "replay " LESSON2 " '%s'", bad);
	r = run(args);
	assert_code(&r, 2);
	assert_has(r.err, "the file holds no trace", "stderr");
	run_free(&r);
	unlink(bad);
}

Test(cli, minimize_says_what_it_removed)
{
	struct run r = run("check " LESSON2 " --variant remove-before-write --search dfs --minimize "
			   "--spec correctness");
	assert_code(&r, 1);
	assert_has(r.out, " removed):\n", "a DFS trace loses steps");
	run_free(&r);
	r = run("check " LESSON2 " --variant remove-before-write --minimize --spec correctness");
	assert_code(&r, 1);
	assert_has(r.out, "Counterexample for correctness, 4 steps (minimised: no step could be removed):",
		   "a BFS trace is already shortest");
	run_free(&r);
}

/* --- coverage warnings and reachable specs ------------------------------------------------ */

#define GAPS "scenarios/test/coverage-gaps.yaml"

Test(cli, coverage_warnings_and_strict)
{
	struct run r = run("check " GAPS " --no-progress --quiet");
	assert_code(&r, 0);
	assert_has(r.out, "Coverage: 6 warnings", "stdout");
	assert_has(r.out, "  script: phase 3 (settle) was never enabled\n", "stdout");
	assert_has(r.out, "  spare[1]: fault lose-data never happened", "stdout");
	run_free(&r);
	r = run("check " GAPS " --no-progress --quiet --strict");
	assert_code(&r, 3);
	run_free(&r);
	/* A clean run prints no Coverage block, and --strict leaves it at 0. */
	r = run("check scenarios/test/one-queue.yaml --no-progress --strict");
	assert_code(&r, 0);
	cr_expect_null(strstr(r.out, "Coverage"), "%s", r.out);
	run_free(&r);
	/* A violation still exits 1 under --strict. */
	r = run("check " GAPS " --no-progress --quiet --strict --set 'specs=[delivery]' --set 'expect={}'");
	assert_code(&r, 1);
	run_free(&r);
}

Test(cli, coverage_json)
{
	struct run r = run("check " GAPS " --no-progress --json -");
	assert_code(&r, 0);
	assert_has(r.out, "\"coverage\":{\"scope\":\"complete\",\"never_enabled\":[{\"component\":"
			  "\"source\",\"action\":\"replay\"}", "JSON");
	assert_has(r.out, "\"faults_never_injected\":[{\"component\":\"spare[1]\",\"fault\":"
			  "\"lost-response\"}", "JSON");
	assert_has(r.out, "\"vacuous_specs\":[{\"spec\":\"data-loss\",\"why\":\"never saw a fault "
			  "destroy data: it holds vacuously\"}]", "JSON");
	run_free(&r);
	r = run("check scenarios/test/one-queue.yaml --no-progress --json -");
	assert_has(r.out, "\"never_enabled\":[],\"faults_never_injected\":[],\"vacuous_specs\":[]",
		   "JSON");
	run_free(&r);
}

Test(cli, reachable_verdicts_and_exit_codes)
{
	struct run r = run("check scenarios/test/one-queue.yaml --no-progress --set 'expect={reachable: "
			   "reached}' --set 'specs=[{reachable: {when: destination.received >= 1}}]'");
	assert_code(&r, 0);
	assert_has(r.out, "reachable reached: destination.received >= 1 holds after this step", "stdout");
	assert_has(r.out, "  reachable      reached      expected reached", "stdout");
	run_free(&r);
	r = run("check scenarios/test/one-queue.yaml --no-progress --set 'expect={reachable: reached}' "
		"--set 'specs=[{reachable: {when: destination.received >= 2}}]' --json -");
	assert_code(&r, 1);
	assert_has(r.out, "\"verdict\":\"unreachable\",\"expected\":\"reached\",\"matches\":false",
		   "JSON");
	run_free(&r);
	r = run("check scenarios/test/one-queue.yaml --no-progress --set 'expect={}' "
		"--set 'specs=[{reachable: {when: destination.received >= 2}}]'");
	assert_code(&r, 1);
	assert_has(r.out, "UNREACHABLE", "stdout");
	run_free(&r);
}

Test(cli, reachable_bad_expectation)
{
	char path[64];
	fl_test_write_temp("name: t\nregions: 1\nrecords: {batches: 1}\ncomponents:\n"
			   "  source: {kind: source, dns: dns}\n  dns: {kind: dns, targets: queue}\n"
			   "  queue: {kind: queue}\n  destination: {kind: destination, dns: dns}\n"
			   "script: [{publish: 1}]\n"
			   "specs: [{reachable: {when: destination.received >= 1}}]\n"
			   "expect: {reachable: violated}\n",
			   path);
	char args[128];
	snprintf(args, sizeof args, "check %s --no-progress", path);
	struct run r = run(args);
	unlink(path);
	assert_code(&r, 2);
	char want[160];
	snprintf(want, sizeof want, "%s:11:21: 'reachable' cannot be 'violated'", path);
	assert_has(r.err, want, "stderr");
	assert_has(r.err, "reached, unreachable", "stderr");
	run_free(&r);
}

/* --- compare ----------------------------------------------------------------------------- */

#define OUTAGE "scenarios/test/one-queue-outage.yaml"
#define STEP_ORDER "scenarios/lessons/2-step-order.yaml"

/* Lines of text that start with prefix. */
static int lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	for (const char *p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		n += !strncmp(p, prefix, strlen(prefix));
	}
	return n;
}

Test(compare, cross_product_gives_a_row_per_combination)
{
	struct run r = run("compare " OUTAGE " --vary destination.remove_failure=ignore,retry "
			   "--vary faults.max=0,1");
	assert_code(&r, 1); /* ignore with one outage duplicates */
	assert_has(r.out, "4 rows varying destination.remove_failure, faults.max\n", "stdout");
	/* the labels are too long for the table: #N there, spelled out above it, first --vary slowest */
	line_starting(r.out, "  #1                        destination.remove_failure=ignore, faults.max=0\n");
	line_starting(r.out, "  #4                        destination.remove_failure=retry, faults.max=1\n");
	line_starting(r.out, "  #2   holds     VIOLATED (7 steps)  holds     -         1              -  ");
	line_starting(r.out, "  #1   holds     holds*              holds     -         -              -  ");
	cr_assert_eq(lines_starting(r.out, "  #"), 8, "4 legend lines and 4 table rows:\n%s", r.out);
	line_starting(r.out, "#2: no-duplicates breaks with 1 fault after 7 steps: record 1 reached the "
			     "destination a second time.\n");
	line_starting(r.out, "safe: #1; #3; #4\n");
	run_free(&r);
}

Test(compare, vary_values_split_outside_brackets)
{
	struct run r = run("compare " STEP_ORDER " --vary 'stage.order=[write,publish,remove],"
			   "[remove, write, publish]' --spec correctness");
	assert_code(&r, 1);
	assert_has(r.out, "2 rows varying stage.order\n", "stdout");
	/* each row repeats a variant's set: (blanks aside), so it is named after it */
	line_starting(r.out, "  right-order               stage.order=[write,publish,remove] (its variant's set:)\n");
	line_starting(r.out, "  remove-before-write       stage.order=[remove, write, publish] (its variant's set:)\n");
	line_starting(r.out, "  right-order          holds               not-checked  -            -  ");
	line_starting(r.out, "  remove-before-write  VIOLATED (4 steps)  not-checked  0            -  ");
	line_starting(r.out, "note: the file's variants are not run;");
	run_free(&r);
}

Test(compare, smallest_budget_zero_and_one)
{
	/* remove-before-write breaks correctness without a crash, delivery only with one */
	struct run r = run("compare " STEP_ORDER " --variant remove-before-write --variant right-order");
	assert_code(&r, 1);
	line_starting(r.out, "  variant              correctness         delivery             correctness  delivery  ");
	line_starting(r.out, "  right-order          holds               holds                -            -         ");
	line_starting(r.out, "  remove-before-write  VIOLATED (4 steps)  VIOLATED (14 steps)  0            1         ");
	line_starting(r.out, "remove-before-write: correctness breaks without any fault after 4 steps: stage[1] "
			     "removed record 1 from in-queue[1] before storing it in stage-table (region 1); "
			     "delivery breaks with 1 fault after 14 steps: ");
	line_starting(r.out, "safe: right-order\n");
	cr_assert_null(strstr(r.out, "*"), "the verdicts are the variants' expectations:\n%s", r.out);
	run_free(&r);
	/* the one-outage fixture duplicates only with its outage */
	r = run("compare " OUTAGE " --vary destination.remove_failure=ignore --json -");
	assert_code(&r, 1);
	assert_has(r.out, "{\"name\":\"no-duplicates\",\"verdict\":\"violated\",\"expected\":\"violated\","
			  "\"matches\":true,\"steps\":7,\"smallest_budget\":1,", "JSON");
	run_free(&r);
}

Test(compare, json_shape)
{
	struct run r = run("compare " OUTAGE " --vary destination.remove_failure=ignore,retry --json -");
	assert_code(&r, 1);
	cr_assert(json_valid(r.out), "not JSON:\n%.3000s", r.out);
	const char *head = "{\"file\":\"" OUTAGE "\",\"variant\":null,\"varied\":[\"destination.remove_failure\"],"
			   "\"rows\":[{\"label\":\"destination.remove_failure=ignore\",\"variant\":null,"
			   "\"sets\":[\"destination.remove_failure=ignore\"],\"specs\":[{\"name\":\"delivery\","
			   "\"verdict\":\"holds\",\"expected\":\"holds\",\"matches\":true,\"steps\":null,"
			   "\"smallest_budget\":null,";
	cr_assert_eq(strncmp(r.out, head, strlen(head)), 0, "%.600s", r.out);
	cr_assert_eq(occurrences(r.out, "\"label\":"), 2);
	cr_assert_eq(occurrences(r.out, "\"states\":"), 2);
	assert_has(r.out, "\"states\":15,\"transitions\":19,\"seconds\":", "JSON");
	assert_has(r.out, "\"complete\":true}]}", "JSON");
	cr_assert_null(strstr(r.out, "safe:"), "no text with --json -");
	run_free(&r);
}

Test(compare, markdown_table)
{
	char md[64], args[256];
	temp_path(md, "md");
	snprintf(args, sizeof args, "compare " OUTAGE " --vary destination.remove_failure=ignore,retry "
		 "--vary faults.max=0,1 --markdown '%s'", md);
	struct run r = run(args);
	assert_code(&r, 1);
	assert_has(r.out, "safe: #1; #3; #4\n", "the text goes to stdout still");
	char *m = fl_test_read_file(md);
	unlink(md);
	cr_assert_eq(strncmp(m, "| row | delivery | no-duplicates | ordering | faults to break delivery |", 71), 0,
		     "%s", m);
	line_starting(m, "|---|---|---|---|---|---|---|---:|---:|---:|\n");
	cr_assert_eq(lines_starting(m, "| "), 5, "a header and one row per combination:\n%s", m);
	line_starting(m, "| destination.remove_failure=ignore, faults.max=1 | holds | VIOLATED (7 steps) | holds | - | 1 | - | 19 | 23 | ");
	line_starting(m, "- destination.remove_failure=ignore, faults.max=1: no-duplicates breaks with 1 fault");
	line_starting(m, "- safe: destination.remove_failure=ignore, faults.max=0; ");
	free(m);
	run_free(&r);
}

Test(compare, bad_vary_exits_2_before_any_search)
{
	static const char *const cases[][2] = {
		{"--vary stage.order", "--vary stage.order: expected KEY=V1,V2[,...]"},
		{"--vary 'stage.order=[write,publish'", "--vary stage.order=[write,publish: ']' is missing"},
		{"--vary 'stage.order=[write]],x'", "']' does not close an open bracket"},
		{"--vary 'stage.order=a,,b'", "an empty value"},
		{"--vary \"stage.order='a,b\"", "a ' quote is not closed"},
		{"--vary stage.policy=a,b", "unknown key 'policy' in container 'stage'"},
		{"--vary nosuch.x=1", "'nosuch' is not a section or component"},
		{"--vary variants=x", "variants cannot be varied"},
		{"--vary stage.idempotency=none --vary stage.idempotency=skip-write", "stage.idempotency is already varied"},
		/* the first value is good: the bad second one still stops everything */
		{"--vary stage.idempotency=none,skpi-write", "cannot be 'skpi-write' (did you mean 'skip-write'?)"},
		{"--vary stage.idempotency=none --variant right-order --variant remove-before-write",
		 "at most one --variant"},
		{"--variant nosuch", "has no variant 'nosuch'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char args[512];
		snprintf(args, sizeof args, "compare " STEP_ORDER " %s", cases[i][0]);
		struct run r = run(args);
		assert_code(&r, 2);
		assert_has(r.err, cases[i][1], "stderr");
		cr_assert_str_eq(r.out, "", "nothing is searched or printed: %s", args);
		run_free(&r);
	}
}

Test(compare, exit_code_is_the_worst_row)
{
	struct run r = run("compare " OUTAGE " --vary destination.remove_failure=retry");
	assert_code(&r, 0);
	assert_has(r.out, "safe: destination.remove_failure=retry\n", "stdout");
	run_free(&r);
	r = run("compare " OUTAGE " --vary destination.remove_failure=retry,ignore");
	assert_code(&r, 1);
	run_free(&r);
	/* nothing violated, one row incomplete: 3 */
	r = run("compare " OUTAGE " --vary destination.remove_failure=retry --max-states 3");
	assert_code(&r, 3);
	assert_has(r.out, "destination.remove_failure=retry: undecided: ", "stdout");
	assert_has(r.out, "safe: none\n", "stdout");
	run_free(&r);
	/* the file alone when it has no variants and no --vary */
	r = run("compare scenarios/test/one-queue.yaml");
	assert_code(&r, 0);
	line_starting(r.out, "  as-written  holds     holds          holds     ");
	assert_has(r.out, "safe: as-written\n", "stdout");
	run_free(&r);
}

/* compare --report: one page with the comparison table and every row's charts. */
Test(compare, report_page_has_the_table_and_the_charts)
{
	char page[64], args[256];
	temp_path(page, "page");
	snprintf(args, sizeof args, "compare " STEP_ORDER " --no-progress --report '%s'", page);
	struct run r = run(args);
	assert_code(&r, 1);
	run_free(&r);
	char *html = fl_test_read_file(page);
	unlink(page);
	assert_has(html, "<table class=\"summary\">", "report");
	assert_has(html, "<li>safe: right-order</li>", "report");
	assert_has(html, "<li>remove-before-write: correctness breaks without any fault after 4 steps: ", "report");
	assert_has(html, "remove-before-publish", "report");
	assert_has(html, "id=\"violating-correctness\"", "report");
	assert_has(html, "id=\"violating-delivery-2\"", "the second delivery chart");
	cr_expect_null(strstr(html, "http://"), "self-contained");
	free(html);
}

/*
 * test_report.c - the HTML and Mermaid sequence charts (checker/report.c): written through the
 * library for lesson 2's remove-before-write variant and the one-queue-outage fixture, and
 * through the CLI (--report, --mermaid). Assertions are on structure: lifelines, step rows,
 * the violating step's id and number, fault shading, no network references, closed elements.
 */
#include "../support.h"

#include "../../checker/report.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LESSON2 "scenarios/lessons/2-step-order.yaml"
#define OUTAGE "scenarios/test/one-queue-outage.yaml"

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The report of run t as a string (malloc'd). */
static char *html_of(const struct fl_test_run *t, const char *title)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	struct fl_report_run run = {title, &t->s, &t->r, t->tr};
	cr_assert_eq(fl_report_html(f, "test report", NULL, &run, 1), FL_OK);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static char *mermaid_of(const struct fl_test_run *t, const char *spec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(fl_report_mermaid(f, &t->s, &t->tr[fl_test_spec(t, spec)]), FL_OK);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

/* The text of the first <svg ...</svg> chart in html from (malloc'd). */
static char *first_chart(const char *from)
{
	const char *a = strstr(from, "<svg"), *b = a ? strstr(a, "</svg>") : NULL;
	cr_assert(a && b, "no closed <svg> chart");
	return strndup(a, (size_t)(b - a) + 6);
}

static void assert_self_contained(const char *html)
{
	cr_assert_null(strstr(html, "http://"), "the page names an http:// address");
	cr_assert_null(strstr(html, "https://"), "the page names an https:// address");
	cr_assert_null(strstr(html, "<script src"), "the page loads a script");
	cr_assert_null(strstr(html, "<link"), "the page links an external resource");
	cr_assert_eq(count(html, "<svg"), count(html, "</svg>"), "an <svg> is not closed");
	cr_assert_eq(count(html, "<g"), count(html, "</g>"), "a <g> is not closed");
	cr_assert_eq(count(html, "<figure"), count(html, "</figure>"));
	cr_assert_eq(count(html, "<table"), count(html, "</table>"));
	cr_assert_neq(strstr(html, "</html>"), NULL);
}

Test(report, lesson2_safety_chart)
{
	struct fl_test_run t;
	fl_test_check_variant(LESSON2, "remove-before-write", NULL, NULL, &t);
	cr_assert(fl_test_violated(&t, "correctness"));
	char *html = html_of(&t, "variant remove-before-write");
	assert_self_contained(html);
	cr_assert_eq(count(html, "<svg class=\"chart\""), __builtin_popcount(t.r.violated));
	char *svg = first_chart(html);
	/* correctness is the first spec: its 4-step trace is the first chart; its lifelines are the
	 * instances that act or change, once each, in instance order */
	const char *want[] = {"source", "in-queue[1]", "stage[1]", "script"};
	const char *prev = svg;
	cr_assert_eq(count(svg, "<g class=\"lifeline\""), 4, "%s", svg);
	for (int i = 0; i < 4; i++) {
		char attr[96];
		snprintf(attr, sizeof attr, "<g class=\"lifeline\" data-name=\"%s\"", want[i]);
		cr_assert_eq(count(svg, attr), 1, "lifeline %s", want[i]);
		cr_assert_gt(strstr(svg, attr), prev, "lifeline %s out of instance order", want[i]);
		prev = strstr(svg, attr);
	}
	int n = t.tr[fl_test_spec(&t, "correctness")].n;
	char row[128];
	snprintf(row, sizeof row, "<g class=\"step violating\" data-n=\"%d\" id=\"violating-correctness\">", n);
	cr_assert_eq(count(svg, row), 1, "violating step %d not found in\n%s", n, svg);
	cr_assert_eq(count(svg, "class=\"step"), n, "one row per step");
	cr_assert_eq(count(html, "id=\"violating-correctness\""), 1);
	/* delivery is judged at rest: its end is marked */
	cr_assert_eq(count(html, "<g class=\"end violating\" id=\"violating-delivery\""), 1);
	cr_assert_neq(strstr(html, "at rest: nothing more can happen"), NULL);
	cr_assert_neq(strstr(html, "Not shown (never act nor change in this trace): in-dns"), NULL);
	free(svg);
	free(html);
	fl_test_run_fini(&t);
}

Test(report, fault_step_shaded)
{
	struct fl_test_run t;
	fl_test_check(OUTAGE, NULL, NULL, &t);
	cr_assert(fl_test_violated(&t, "no-duplicates"));
	const struct fl_trace *tr = &t.tr[fl_test_spec(&t, "no-duplicates")];
	int fault = -1;
	for (int k = 0; k < tr->n && fault < 0; k++)
		fault = tr->steps[k].cls == FL_FAULT ? k : -1;
	cr_assert_geq(fault, 0, "the trace has no fault step");
	char *html = html_of(&t, OUTAGE);
	assert_self_contained(html);
	char row[96];
	snprintf(row, sizeof row, "<g class=\"step fault\" data-n=\"%d\">", fault + 1);
	cr_assert_eq(count(html, row), 1, "fault step %d is not shaded", fault + 1);
	cr_assert_eq(count(html, "class=\"faultbox\""), 1);
	cr_assert_eq(count(html, "class=\"step recovery\""), 1, "the recovery is marked");
	cr_assert_neq(strstr(html, "id=\"violating-no-duplicates\""), NULL);
	free(html);
	fl_test_run_fini(&t);
}

Test(report, mermaid)
{
	struct fl_test_run t;
	fl_test_check(OUTAGE, NULL, NULL, &t);
	char *m = mermaid_of(&t, "no-duplicates");
	cr_assert_eq(strncmp(m, "sequenceDiagram\n", 16), 0, "%s", m);
	cr_assert_neq(strstr(m, "    participant p_queue_1_ as queue[1]\n"), NULL, "%s", m);
	cr_assert_eq(count(m, "participant "), 4, "%s", m);
	cr_assert_neq(strstr(m, "p_source->>p_queue_1_: 2. publishes record 1"), NULL, "%s", m);
	cr_assert_neq(strstr(m, "Note over p_queue_1_: 4. FAULT outage, transient"), NULL, "%s", m);
	cr_assert_neq(strstr(m, "queue[1]#58; fails"), NULL, "':' in text is escaped:\n%s", m);
	cr_assert_eq(count(m, "rect "), count(m, "    end\n"), "every rect is closed:\n%s", m);
	/* no ':' after the first one on a message line */
	for (const char *p = m; (p = strstr(p, "->>")); p++) {
		const char *colon = strchr(p, ':'), *nl = strchr(p, '\n');
		cr_assert(colon && colon < nl && !memchr(colon + 1, ':', (size_t)(nl - colon - 1)),
			  "unescaped ':' in %.*s", (int)(nl - p), p);
	}
	free(m);
	fl_test_run_fini(&t);
}

Test(report, escapes_names)
{
	struct fl_test_run t;
	fl_test_check(OUTAGE, NULL, NULL, &t);
	char *old = t.s.inst[0].name;
	t.s.inst[0].name = "a<b>&\"c\"";
	char *html = html_of(&t, "<title & more>");
	t.s.inst[0].name = old;
	cr_assert_null(strstr(html, "a<b>"));
	cr_assert_neq(strstr(html, "data-name=\"a&lt;b&gt;&amp;&quot;c&quot;\""), NULL);
	cr_assert_neq(strstr(html, "&lt;title &amp; more&gt;"), NULL);
	free(html);
	fl_test_run_fini(&t);
}

Test(report, out_of_memory)
{
	struct fl_test_run t;
	fl_test_check(OUTAGE, NULL, NULL, &t);
	FILE *f = fopen("/dev/null", "w");
	cr_assert_not_null(f);
	struct fl_report_run run = {"x", &t.s, &t.r, t.tr};
	int failed = 0;
	for (long nth = 1; nth < 400; nth++) {
		fl_alloc_fail_at(nth);
		int rc = fl_report_html(f, "x", NULL, &run, 1);
		fl_alloc_fail_at(0);
		cr_assert(rc == FL_OK || rc == FL_ENOMEM);
		failed += rc == FL_ENOMEM;
		if (rc == FL_OK)
			break;
	}
	cr_assert_gt(failed, 0);
	fclose(f);
	fl_test_no_leaks();
	fl_test_run_fini(&t);
}

/* --- through the CLI ------------------------------------------------------------------- */

static const char *faultline(void)
{
	const char *f = getenv("FAULTLINE");
	if (!f || !*f)
		cr_skip_test("FAULTLINE is not set (run through make test)");
	return f;
}

static int sh(const char *cmd)
{
	int st = system(cmd);
	cr_assert_neq(st, -1);
	return WEXITSTATUS(st);
}

Test(report, cli_variants)
{
	char html[] = "/tmp/fl-report-XXXXXX", mm[] = "/tmp/fl-mermaid-XXXXXX";
	close(mkstemp(html));
	close(mkstemp(mm));
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s' check " LESSON2 " --quiet --no-progress --report '%s' "
		 "--mermaid '%s' >/dev/null 2>&1", faultline(), html, mm);
	int code = sh(cmd);
	cr_assert_eq(code, 1, "exit code %d", code);
	char *h = fl_test_read_file(html), *m = fl_test_read_file(mm);
	assert_self_contained(h);
	cr_assert_eq(count(h, "<section class=\"run\">"), 3, "one section per variant");
	cr_assert_neq(strstr(h, "variant remove-before-write (stage.order=[remove, write, publish])"), NULL);
	cr_assert_neq(strstr(h, "<table class=\"summary\">"), NULL);
	cr_assert_eq(count(h, "id=\"violating-correctness\""), 1);
	cr_assert_eq(count(h, "id=\"violating-delivery\""), 1);
	cr_assert_eq(count(h, "id=\"violating-delivery-2\""), 1, "ids stay unique over variants");
	cr_assert_neq(strstr(m, "%% remove-before-write correctness\nsequenceDiagram\n"), NULL, "%s", m);
	cr_assert_neq(strstr(m, "%% remove-before-publish delivery\nsequenceDiagram\n"), NULL, "%s", m);
	cr_assert_eq(count(m, "sequenceDiagram"), 3, "%s", m);
	free(h);
	free(m);
	unlink(html);
	unlink(mm);
}

Test(report, cli_mermaid_stdout)
{
	char out[] = "/tmp/fl-mermaid-out-XXXXXX";
	close(mkstemp(out));
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s' check " OUTAGE " --no-progress --mermaid - >'%s' 2>/dev/null",
		 faultline(), out);
	int code = sh(cmd);
	cr_assert_eq(code, 1);
	char *m = fl_test_read_file(out);
	cr_assert_eq(strncmp(m, "%% " OUTAGE " no-duplicates\nsequenceDiagram\n", strlen(OUTAGE) + 34),
		     0, "only the chart on stdout:\n%s", m);
	cr_assert_null(strstr(m, "Verdicts:"));
	free(m);
	unlink(out);
	snprintf(cmd, sizeof cmd, "'%s' check " OUTAGE " --report - >/dev/null 2>&1", faultline());
	cr_assert_eq(sh(cmd), 2, "--report - is refused");
}

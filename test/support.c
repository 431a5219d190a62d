/*
 * support.c - shared test helpers (see support.h).
 */
#include "support.h"

#include "../checker/replay.h"
#include "../model/model.h"
#include "../specs/specs.h"

#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define FL_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FL_TEST_LSAN 1
#endif
#endif
#ifdef FL_TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

void fl_test_check_variant(const char *path, const char *variant, const char *const *sets,
			   const struct fl_search_opts *opts, struct fl_test_run *out)
{
	const char *no_sets[] = {NULL};
	int nsets = 0;
	if (!sets)
		sets = no_sets;
	while (sets[nsets])
		nsets++;
	struct fl_scn_opts so = {sets, nsets, NULL, 0, variant && *variant ? variant : NULL};
	struct fl_search_opts bfs = {.mode = FL_BFS};
	struct fl_err e = {0};
	const char *label = variant && *variant ? variant : "";
	memset(out, 0, sizeof *out);
	int rc = fl_scn_load(path, &so, fl_kinds, fl_spec_kinds, &out->s, &e);
	cr_assert_eq(rc, FL_OK, "loading %s%s%s: %s", path, *label ? " --variant " : "", label, e.msg);
	rc = fl_search_run(&out->s, opts ? opts : &bfs, &out->st, &out->r, &e);
	cr_assert_eq(rc, FL_OK, "searching %s%s%s: %s", path, *label ? " --variant " : "", label, e.msg);
	for (int i = 0; i < out->s.nspec; i++) {
		if (!(out->r.violated >> i & 1u))
			continue;
		cr_assert_eq(fl_trace_build(&out->s, &out->st, &out->r.viol[i], i, &out->tr[i]), FL_OK);
		struct fl_err re = {0};
		cr_assert_eq(fl_trace_replay(&out->s, &out->tr[i], &re), FL_OK,
			     "%s%s%s: the %s counterexample does not replay: %s", path,
			     *label ? " --variant " : "", label, out->s.spec[i].kind->name, re.msg);
		fl_test_json_round_trip(&out->s, &so, &out->tr[i]);
	}
}

void fl_test_json_round_trip(const struct fl_sys *s, const struct fl_scn_opts *so,
			     const struct fl_trace *t)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/faultline-trace-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	struct fl_json j;
	fl_json_init(&j, f);
	fl_trace_json(&j, s, so, t);
	fclose(f);
	struct fl_replay_file rf;
	struct fl_trace back = {0};
	struct fl_err e = {0};
	const char *spec = s->spec[t->spec].kind->name;
	cr_assert_eq(fl_replay_read(path, &rf, &e), FL_OK, "%s: reading the %s trace back: %s",
		     s->file, spec, e.msg);
	unlink(path);
	cr_assert_eq(rf.n, 1);
	cr_assert_eq(fl_replay_follow(s, &rf.t[0], &back, &e), FL_OK,
		     "%s: the %s trace does not replay from its JSON: %s", s->file, spec, e.msg);
	cr_expect_eq(back.n, t->n, "%s: %s", s->file, spec);
	cr_expect_eq(back.loop, t->loop);
	cr_expect_eq(back.at_rest, t->at_rest);
	cr_expect_eq(memcmp(back.steps, t->steps, (size_t)t->n * sizeof *t->steps), 0);
	if (t->loop < 0)
		cr_expect_str_eq(back.why, t->why);
	fl_trace_fini(&back);
	fl_replay_free(&rf);
}

void fl_test_check(const char *path, const char *const *sets, const struct fl_search_opts *opts,
		   struct fl_test_run *out)
{
	fl_test_check_variant(path, NULL, sets, opts, out);
}

void fl_test_run_fini(struct fl_test_run *t)
{
	for (int i = 0; i < FL_MAX_SPECS; i++)
		fl_trace_fini(&t->tr[i]);
	fl_result_fini(&t->r);
	fl_store_fini(&t->st);
	fl_sys_free(&t->s);
}

int fl_test_spec(const struct fl_test_run *t, const char *name)
{
	for (int i = 0; i < t->s.nspec; i++)
		if (strcmp(t->s.spec[i].kind->name, name) == 0)
			return i;
	cr_assert_fail("no spec %s", name);
	return -1;
}

int fl_test_violated(const struct fl_test_run *t, const char *name)
{
	return (int)(t->r.violated >> fl_test_spec(t, name) & 1u);
}

struct fl_test_path *fl_test_scenarios_matching(const char *pattern, size_t *n)
{
	glob_t g;
	*n = 0;
	if (glob(pattern, 0, NULL, &g) != 0)
		return NULL;
	size_t cap = g.gl_pathc, k = 0;
	struct fl_test_path *p = malloc(cap * sizeof *p);
	for (size_t i = 0; p && i < g.gl_pathc; i++) {
		struct fl_scn_variant *v = NULL;
		struct fl_err e = {0};
		int nv = 0;
		if (fl_scn_variants(g.gl_pathv[i], &v, &nv, &e) != FL_OK)
			nv = 0;
		if (k + (size_t)(nv ? nv : 1) > cap) {
			cap = k + (size_t)nv + g.gl_pathc;
			struct fl_test_path *q = realloc(p, cap * sizeof *p);
			if (!q)
				free(p);
			p = q;
		}
		for (int j = 0; p && j < (nv ? nv : 1); j++, k++) {
			snprintf(p[k].path, sizeof p[k].path, "%s", g.gl_pathv[i]);
			snprintf(p[k].variant, sizeof p[k].variant, "%s", nv ? v[j].name : "");
		}
		fl_scn_variants_free(v, nv);
	}
	*n = p ? k : 0;
	globfree(&g);
	return p;
}

struct fl_test_path *fl_test_scenarios(size_t *n)
{
	struct fl_test_path *p = fl_test_scenarios_matching("scenarios/*/*.yaml", n);
	struct fl_test_path *shared = p && *n ? cr_malloc(*n * sizeof *p) : NULL;
	if (shared)
		memcpy(shared, p, *n * sizeof *p);
	else
		*n = 0;
	free(p);
	return shared;
}

void fl_test_no_leaks(void)
{
#ifdef FL_TEST_LSAN
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "LeakSanitizer found leaks (report above)");
#endif
}

void fl_test_write_temp(const char *text, char path[64])
{
	snprintf(path, 64, "/tmp/fl-test-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp failed");
	size_t len = strlen(text);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

char *fl_test_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot read %s", path);
	size_t cap = 4096, len = 0, got;
	char *p = malloc(cap);
	cr_assert_not_null(p);
	while ((got = fread(p + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			cap *= 2;
			p = realloc(p, cap);
			cr_assert_not_null(p);
		}
	}
	fclose(f);
	p[len] = '\0';
	return p;
}

char *fl_test_replace(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);
	cr_assert_not_null(at, "'%s' should occur in the text", from);
	size_t pre = (size_t)(at - text), flen = strlen(from), tlen = strlen(to);
	char *out = malloc(strlen(text) - flen + tlen + 1);
	cr_assert_not_null(out);
	memcpy(out, text, pre);
	memcpy(out + pre, to, tlen);
	strcpy(out + pre + tlen, at + flen);
	free(text);
	return out;
}

void fl_test_position(const char *text, const char *needle, int offset, int *line, int *col)
{
	const char *at = strstr(text, needle), *bol = text;
	cr_assert_not_null(at, "'%s' should occur in the text", needle);
	cr_assert_null(strstr(at + 1, needle), "'%s' should occur once in the text", needle);
	*line = 1;
	for (const char *p = text; p < at; p++)
		if (*p == '\n') {
			(*line)++;
			bol = p + 1;
		}
	*col = (int)(at - bol) + 1 + offset;
}

const char *fl_test_why(const struct fl_test_run *t, const char *name)
{
	const char *w = t->r.viol[fl_test_spec(t, name)].why;
	return w ? w : "";
}

/*
 * test_compare.c - the compare command's value splitting (fl_cmp_split); the command itself
 * is tested end to end in test/test_cli.c.
 */
#include "../../checker/compare.h"

#include <criterion/criterion.h>
#include <string.h>

static int split(const char *text, char **v, struct fl_err *e)
{
	int n = -1;
	*e = (struct fl_err){0};
	int rc = fl_cmp_split(text, v, 8, &n, e);
	cr_assert(rc == FL_OK || n == 0, "nothing is kept on failure");
	return rc == FL_OK ? n : rc;
}

static void free_all(char **v, int n)
{
	for (int i = 0; i < n; i++)
		fl_free(v[i]);
}

Test(compare, split_outside_brackets_and_quotes)
{
	char *v[8];
	struct fl_err e;
	int n = split("[write,publish,remove], [remove,write,publish]", v, &e);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(v[0], "[write,publish,remove]");
	cr_assert_str_eq(v[1], "[remove,write,publish]");
	free_all(v, n);
	n = split(" {a: 1, b: [x, y]} ,'p, q',\"r,\\\"s\" , plain ", v, &e);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(v[0], "{a: 1, b: [x, y]}");
	cr_assert_str_eq(v[1], "'p, q'");
	cr_assert_str_eq(v[2], "\"r,\\\"s\"");
	cr_assert_str_eq(v[3], "plain");
	free_all(v, n);
	n = split("one", v, &e);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0], "one");
	free_all(v, n);
}

Test(compare, split_errors)
{
	char *v[8];
	struct fl_err e;
	static const char *const bad[][2] = {
		{"a,,b", "an empty value"}, {"a,", "an empty value"}, {"", "an empty value"},
		{"[a,b", "']' is missing"}, {"{a: [b}", "'}' does not close an open bracket"},
		{"a]", "']' does not close"}, {"'a,b", "a ' quote is not closed"},
		{"1,2,3,4,5,6,7,8,9", "more than 8 values"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(split(bad[i][0], v, &e), FL_EINPUT, "%s", bad[i][0]);
		cr_assert_not_null(strstr(e.msg, bad[i][1]), "%s: %s", bad[i][0], e.msg);
	}
}

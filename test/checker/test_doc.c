/*
 * test_doc.c - YAML -> position-carrying node tree, accessors and --set overrides.
 *
 * Positions are checked against the text the test wrote: a value's (line, col) is where its
 * first character is, a key's (kline, kcol) where the key starts, both 1-based.
 */
#include "../../checker/doc.h"
#include "../../checker/fl.h"

#include "../support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Loads text through a temp file; the file is removed again. */
static int load_text(const char *text, struct fl_doc *d, struct fl_err *e, char path[64])
{
	fl_test_write_temp(text, path);
	int rc = fl_doc_load(d, path, e);
	unlink(path);
	return rc;
}

static const char sample[] = "name: demo\n"              /* 1 */
			     "records:\n"                /* 2 */
			     "  batches: 3\n"            /* 3 */
			     "  per_batch: 2\n"          /* 4 */
			     "list: [a, bb, c]\n"        /* 5 */
			     "block:\n"                  /* 6 */
			     "  - x\n"                   /* 7 */
			     "  - y\n"                   /* 8 */
			     "nested:\n"                 /* 9 */
			     "  inner:\n"                /* 10 */
			     "    deep: value\n"         /* 11 */
			     "empty:\n"                  /* 12 */
			     "quoted: \"hello world\"\n" /* 13 */
			     "components:\n"             /* 14 */
			     "  inbound: {kind: container, idempotency: skip-write}\n" /* 15 */
			     "  q:\n"                    /* 16 */
			     "    kind: queue\n";        /* 17 */

static void assert_pos(const struct fl_node *n, int line, int col, int kline, int kcol)
{
	cr_assert_not_null(n);
	cr_assert_eq(n->line, line, "'%s': line %d, expected %d", n->key ? n->key : "?", n->line, line);
	cr_assert_eq(n->col, col, "'%s': col %d, expected %d", n->key ? n->key : "?", n->col, col);
	cr_assert_eq(n->kline, kline, "'%s': kline %d, expected %d", n->key ? n->key : "?", n->kline,
		     kline);
	cr_assert_eq(n->kcol, kcol, "'%s': kcol %d, expected %d", n->key ? n->key : "?", n->kcol, kcol);
}

static struct fl_node *nth(const struct fl_node *n, int i)
{
	struct fl_node *c = n->child;
	while (c && i-- > 0)
		c = c->next;
	cr_assert_not_null(c);
	return c;
}

/* Every node's key (in maps) is set, parents point back, and the child lists are well formed. */
static void check_tree(const struct fl_node *n)
{
	for (const struct fl_node *c = n->child; c; c = c->next) {
		cr_assert_eq(c->parent, n);
		if (n->type == FL_NODE_MAP)
			cr_assert_not_null(c->key, "a map child without a key");
		else
			cr_assert_null(c->key);
		if (c->type == FL_NODE_SCALAR)
			cr_assert_not_null(c->str);
		else
			check_tree(c);
	}
}

Test(doc, tree_and_positions)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text(sample, &d, &e, path), FL_OK, "%s", e.msg);
	cr_assert_str_eq(d.path, path);
	const struct fl_node *root = d.root;
	cr_assert_eq(root->type, FL_NODE_MAP);
	cr_assert_eq(fl_doc_len(root), 8);
	check_tree(root);

	struct fl_node *name = fl_doc_get(root, "name");
	cr_assert_eq(name->type, FL_NODE_SCALAR);
	cr_assert_str_eq(name->str, "demo");
	cr_assert_str_eq(name->key, "name");
	cr_assert_str_eq(name->origin, path);
	assert_pos(name, 1, 7, 1, 1);
	cr_assert_eq(fl_doc_get(root, "missing"), NULL);

	struct fl_node *records = fl_doc_get(root, "records");
	cr_assert_eq(records->type, FL_NODE_MAP);
	cr_assert_eq(fl_doc_len(records), 2);
	cr_assert_eq(records->kline, 2);
	cr_assert_eq(records->kcol, 1);
	cr_assert_eq(records->line, 3, "a map takes the position of its first key");
	cr_assert_eq(records->col, 3);
	assert_pos(fl_doc_get(records, "batches"), 3, 12, 3, 3);
	assert_pos(fl_doc_get(records, "per_batch"), 4, 14, 4, 3);
	cr_assert_str_eq(fl_doc_get(records, "per_batch")->str, "2");
	cr_assert_eq(nth(records, 1), fl_doc_get(records, "per_batch"), "children keep file order");

	struct fl_node *list = fl_doc_get(root, "list");
	cr_assert_eq(list->type, FL_NODE_SEQ);
	cr_assert_eq(fl_doc_len(list), 3);
	cr_assert_eq(list->kline, 5);
	cr_assert_eq(list->kcol, 1);
	cr_assert_str_eq(nth(list, 0)->str, "a");
	cr_assert_str_eq(nth(list, 1)->str, "bb");
	cr_assert_str_eq(nth(list, 2)->str, "c");
	assert_pos(nth(list, 0), 5, 8, 0, 0);
	assert_pos(nth(list, 1), 5, 11, 0, 0);
	assert_pos(nth(list, 2), 5, 15, 0, 0);
	cr_assert_eq(list->line, 5);
	cr_assert_eq(list->col, 8, "a list takes the position of its first item");

	struct fl_node *block = fl_doc_get(root, "block");
	cr_assert_eq(block->type, FL_NODE_SEQ);
	assert_pos(nth(block, 0), 7, 5, 0, 0);
	assert_pos(nth(block, 1), 8, 5, 0, 0);

	struct fl_node *deep = fl_doc_get(fl_doc_get(fl_doc_get(root, "nested"), "inner"), "deep");
	cr_assert_str_eq(deep->str, "value");
	assert_pos(deep, 11, 11, 11, 5);
	cr_assert_eq(deep->parent->parent->parent, root);

	/* An empty value is an empty scalar placed at its key. */
	struct fl_node *empty = fl_doc_get(root, "empty");
	cr_assert_eq(empty->type, FL_NODE_SCALAR);
	cr_assert_str_eq(empty->str, "");
	assert_pos(empty, 12, 1, 12, 1);

	struct fl_node *quoted = fl_doc_get(root, "quoted");
	cr_assert_str_eq(quoted->str, "hello world");
	cr_assert_eq(quoted->line, 13);
	cr_assert_eq(quoted->kcol, 1);

	struct fl_node *inbound = fl_doc_get(fl_doc_get(root, "components"), "inbound");
	assert_pos(fl_doc_get(inbound, "kind"), 15, 19, 15, 13);
	assert_pos(fl_doc_get(inbound, "idempotency"), 15, 43, 15, 30);
	fl_doc_free(&d);
	cr_assert_null(d.root);
	fl_test_no_leaks();
}

/* Checks e.msg is exactly "<path>:<line>:<col>: <rest...>" and that rest contains want. */
static void assert_at(const struct fl_err *e, const char *path, int line, int col, const char *want)
{
	char prefix[128];
	snprintf(prefix, sizeof prefix, "%s:%d:%d: ", path, line, col);
	cr_assert_eq(strncmp(e->msg, prefix, strlen(prefix)), 0, "message '%s' should start with '%s'",
		     e->msg, prefix);
	cr_assert_not_null(strstr(e->msg + strlen(prefix), want), "message '%s' should contain '%s'",
			   e->msg, want);
}

Test(doc, syntax_error_has_file_line_col)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	int rc = load_text("ok: 1\nbad: @x\n", &d, &e, path);
	cr_assert_eq(rc, FL_EINPUT);
	cr_assert_eq(e.code, FL_EINPUT);
	assert_at(&e, path, 2, 6, "@");
	cr_assert_null(strchr(e.msg, '\n'), "one line");
	fl_doc_free(&d);
}

Test(doc, duplicate_key_is_an_error)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("a: 1\nb: 2\na: 3\n", &d, &e, path), FL_EINPUT);
	assert_at(&e, path, 3, 1, "duplicate key");
	fl_doc_free(&d);
}

Test(doc, unterminated_quote)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("a: 1\nb: \"open\n", &d, &e, path), FL_EINPUT);
	/* libfyaml places this one just inside the quote; the line is what matters. */
	char prefix[128];
	snprintf(prefix, sizeof prefix, "%s:2:", path);
	cr_assert_eq(strncmp(e.msg, prefix, strlen(prefix)), 0, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "quote"), "%s", e.msg);
	fl_doc_free(&d);
}

Test(doc, top_level_must_be_a_map)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("- a\n- b\n", &d, &e, path), FL_EINPUT);
	char want[128];
	snprintf(want, sizeof want, "%s:", path);
	cr_assert_eq(strncmp(e.msg, want, strlen(want)), 0, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "a scenario is a map"), "%s", e.msg);
	fl_doc_free(&d);
}

Test(doc, missing_file)
{
	struct fl_doc d;
	struct fl_err e = {0};
	cr_assert_eq(fl_doc_load(&d, "/nonexistent/fl-no-such.yaml", &e), FL_EINPUT);
	cr_assert_str_eq(e.msg, "/nonexistent/fl-no-such.yaml: cannot open the scenario file");
	fl_doc_free(&d);
}

Test(doc, empty_file_is_an_error)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("", &d, &e, path), FL_EINPUT);
	cr_assert_eq(strncmp(e.msg, path, strlen(path)), 0, "%s", e.msg);
	fl_doc_free(&d);
}

static const char *const container_keys[] = {"kind", "input", "table", "output", "idempotency",
					      "order", NULL};

Test(doc, check_keys_unknown_key_with_hint)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("c:\n  kind: container\n  input: q\n      \n  idempotncy: none\n", &d,
			       &e, path),
		     FL_OK, "%s", e.msg);
	const struct fl_node *c = fl_doc_get(d.root, "c");
	cr_assert_eq(fl_doc_check_keys(c, container_keys, "container 'c'", &e), FL_EINPUT);
	char want[256];
	snprintf(want, sizeof want,
		 "%s:5:3: unknown key 'idempotncy' in container 'c' (did you mean 'idempotency'?)", path);
	cr_assert_str_eq(e.msg, want);
	fl_doc_free(&d);
}

Test(doc, check_keys_flow_map_points_at_the_key)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("c: {kind: container, idempotncy: none}\n", &d, &e, path), FL_OK);
	cr_assert_eq(fl_doc_check_keys(fl_doc_get(d.root, "c"), container_keys, "c", &e), FL_EINPUT);
	assert_at(&e, path, 1, 22, "unknown key 'idempotncy' in c (did you mean 'idempotency'?)");
	fl_doc_free(&d);
}

Test(doc, check_keys_without_hint_lists_known_keys)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("c:\n  kind: x\n  zzzzzzzz: 1\n", &d, &e, path), FL_OK);
	cr_assert_eq(fl_doc_check_keys(fl_doc_get(d.root, "c"), container_keys, "c", &e), FL_EINPUT);
	char want[256];
	snprintf(want, sizeof want,
		 "%s:3:3: unknown key 'zzzzzzzz' in c; known keys: kind, input, table, output, "
		 "idempotency, order",
		 path);
	cr_assert_str_eq(e.msg, want);
	fl_doc_free(&d);
}

Test(doc, check_keys_accepts_known_keys)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("c: {kind: x, order: [a, b], input: q}\n", &d, &e, path), FL_OK);
	cr_assert_eq(fl_doc_check_keys(fl_doc_get(d.root, "c"), container_keys, "c", &e), FL_OK);
	cr_assert_eq(e.code, FL_OK);
	cr_assert_str_eq(e.msg, "");
	fl_doc_free(&d);
}

Test(doc, int_values_and_range_errors)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("r:\n  lo: 1\n  hi: 10\n  neg: -3\n  zero: 0\n  big: 11\n"
			       "  word: abc\n  tail: 12x\n  list: [1]\n",
			       &d, &e, path),
		     FL_OK);
	const struct fl_node *r = fl_doc_get(d.root, "r");
	long v = -77;
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "lo"), 1, 10, &v, &e), FL_OK);
	cr_assert_eq(v, 1);
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "hi"), 1, 10, &v, &e), FL_OK);
	cr_assert_eq(v, 10);
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "neg"), -5, 5, &v, &e), FL_OK);
	cr_assert_eq(v, -3);
	cr_assert_eq(e.code, FL_OK);

	v = -77;
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "zero"), 1, 10, &v, &e), FL_EINPUT);
	cr_assert_eq(v, -77, "out is untouched on failure");
	char want[256];
	snprintf(want, sizeof want, "%s:5:9: 'zero' is 0; it must be between 1 and 10", path);
	cr_assert_str_eq(e.msg, want);

	struct fl_err e2 = {0};
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "big"), 1, 10, &v, &e2), FL_EINPUT);
	snprintf(want, sizeof want, "%s:6:8: 'big' is 11; it must be between 1 and 10", path);
	cr_assert_str_eq(e2.msg, want);

	struct fl_err e3 = {0};
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "word"), 1, 10, &v, &e3), FL_EINPUT);
	snprintf(want, sizeof want, "%s:7:9: 'word' should be a whole number, not 'abc'", path);
	cr_assert_str_eq(e3.msg, want);

	struct fl_err e4 = {0};
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "tail"), 1, 100, &v, &e4), FL_EINPUT);
	assert_at(&e4, path, 8, 9, "should be a whole number, not '12x'");

	struct fl_err e5 = {0};
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "list"), 1, 100, &v, &e5), FL_EINPUT);
	assert_at(&e5, path, 9, 10, "'list' should be a whole number");
	cr_assert_eq(v, -77);

	/* The first error wins: e keeps the message of the first failure. */
	cr_assert_eq(fl_doc_int(fl_doc_get(r, "big"), 1, 10, &v, &e), FL_EINPUT);
	snprintf(want, sizeof want, "%s:5:9: 'zero' is 0; it must be between 1 and 10", path);
	cr_assert_str_eq(e.msg, want);

	/* Optional: absent keys leave out alone. */
	struct fl_err e6 = {0};
	v = 5;
	cr_assert_eq(fl_doc_opt_int(r, "absent", 1, 10, &v, &e6), FL_OK);
	cr_assert_eq(v, 5);
	cr_assert_eq(fl_doc_opt_int(r, "hi", 1, 10, &v, &e6), FL_OK);
	cr_assert_eq(v, 10);
	fl_doc_free(&d);
}

static const char *const idem[] = {"none", "skip-write", "skip-record", NULL};

Test(doc, enum_values_and_suggestions)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("a: skip-record\nb: nonee\nc: zzzzzzzz\nd: [none]\nt: yes\nf: false\n"
			       "g: maybe\n",
			       &d, &e, path),
		     FL_OK);
	int v = -1;
	cr_assert_eq(fl_doc_enum(fl_doc_get(d.root, "a"), idem, &v, &e), FL_OK);
	cr_assert_eq(v, 2);

	v = -1;
	cr_assert_eq(fl_doc_enum(fl_doc_get(d.root, "b"), idem, &v, &e), FL_EINPUT);
	cr_assert_eq(v, -1);
	char want[256];
	snprintf(want, sizeof want,
		 "%s:2:4: 'b' cannot be 'nonee' (did you mean 'none'?); choose one of: none, "
		 "skip-write, skip-record",
		 path);
	cr_assert_str_eq(e.msg, want);

	struct fl_err e2 = {0};
	cr_assert_eq(fl_doc_enum(fl_doc_get(d.root, "c"), idem, &v, &e2), FL_EINPUT);
	snprintf(want, sizeof want,
		 "%s:3:4: 'c' cannot be 'zzzzzzzz'; choose one of: none, skip-write, skip-record", path);
	cr_assert_str_eq(e2.msg, want);

	struct fl_err e3 = {0};
	cr_assert_eq(fl_doc_enum(fl_doc_get(d.root, "d"), idem, &v, &e3), FL_EINPUT);
	assert_at(&e3, path, 4, 5, "'d' should be one of: none, skip-write, skip-record");

	int b = -1;
	struct fl_err e4 = {0};
	cr_assert_eq(fl_doc_bool(fl_doc_get(d.root, "t"), &b, &e4), FL_OK);
	cr_assert_eq(b, 1);
	cr_assert_eq(fl_doc_bool(fl_doc_get(d.root, "f"), &b, &e4), FL_OK);
	cr_assert_eq(b, 0);
	cr_assert_eq(fl_doc_opt_bool(d.root, "absent", &b, &e4), FL_OK);
	cr_assert_eq(b, 0);
	cr_assert_eq(fl_doc_bool(fl_doc_get(d.root, "g"), &b, &e4), FL_EINPUT);
	assert_at(&e4, path, 7, 4, "'g' cannot be 'maybe'");
	fl_doc_free(&d);
}

Test(doc, want_and_errf)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text("m: {a: 1}\ns: [1, 2]\nv: x\n", &d, &e, path), FL_OK);
	cr_assert_eq(fl_doc_want(fl_doc_get(d.root, "m"), FL_NODE_MAP, "m", &e), FL_OK);
	cr_assert_eq(fl_doc_want(fl_doc_get(d.root, "v"), FL_NODE_SEQ, "the value", &e), FL_EINPUT);
	char want[256];
	snprintf(want, sizeof want, "%s:3:4: the value should be a list, not a single value", path);
	cr_assert_str_eq(e.msg, want);

	struct fl_err e2 = {0};
	cr_assert_eq(fl_doc_errf(&e2, NULL, "plain %d", 7), FL_EINPUT);
	cr_assert_str_eq(e2.msg, "plain 7");
	fl_doc_free(&d);
}

/* --- fl_doc_set ------------------------------------------------------------------------ */

static const char scn[] = "name: s\n"
			  "records: {batches: 2, per_batch: 1}\n"
			  "components:\n"
			  "  inbound: {kind: container, idempotency: skip-write}\n"
			  "  q: {kind: queue}\n"
			  "list: [a, b]\n";

static void load_scn(struct fl_doc *d, char path[64])
{
	struct fl_err e = {0};
	cr_assert_eq(load_text(scn, d, &e, path), FL_OK, "%s", e.msg);
}

Test(doc, set_top_level_path)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	load_scn(&d, path);
	cr_assert_eq(fl_doc_set(&d, "records.per_batch=5", &e), FL_OK, "%s", e.msg);
	const struct fl_node *r = fl_doc_get(d.root, "records");
	cr_assert_eq(fl_doc_len(r), 2, "replaced, not added");
	struct fl_node *pb = fl_doc_get(r, "per_batch");
	cr_assert_eq(nth(r, 1), pb, "the replacement keeps its place");
	cr_assert_eq(pb->type, FL_NODE_SCALAR);
	cr_assert_str_eq(pb->str, "5");
	cr_assert_str_eq(pb->key, "per_batch");
	cr_assert_eq(pb->parent, r);
	cr_assert_str_eq(pb->origin, "--set records.per_batch=5");
	cr_assert_eq(pb->line, 0);
	cr_assert_eq(pb->kline, 0);
	long v;
	cr_assert_eq(fl_doc_int(pb, 1, 3, &v, &e), FL_EINPUT);
	cr_assert_str_eq(e.msg, "--set records.per_batch=5: 'per_batch' is 5; it must be between 1 and 3");
	/* The other key is untouched, with its file position. */
	cr_assert_str_eq(fl_doc_get(r, "batches")->str, "2");
	cr_assert_eq(fl_doc_get(r, "batches")->line, 2);
	check_tree(d.root);
	fl_doc_free(&d);
}

Test(doc, set_component_shortcut)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	load_scn(&d, path);
	cr_assert_eq(fl_doc_set(&d, "inbound.idempotency=none", &e), FL_OK, "%s", e.msg);
	cr_assert_null(fl_doc_get(d.root, "inbound"), "no top-level key is created");
	cr_assert_eq(fl_doc_len(d.root), 4);
	const struct fl_node *in = fl_doc_get(fl_doc_get(d.root, "components"), "inbound");
	cr_assert_eq(fl_doc_len(in), 2);
	cr_assert_str_eq(fl_doc_get(in, "idempotency")->str, "none");
	cr_assert_str_eq(fl_doc_get(in, "kind")->str, "container");
	/* The long form works too, and a later --set wins. */
	cr_assert_eq(fl_doc_set(&d, "components.inbound.idempotency=skip-record", &e), FL_OK, "%s",
		     e.msg);
	cr_assert_str_eq(fl_doc_get(in, "idempotency")->str, "skip-record");
	check_tree(d.root);
	fl_doc_free(&d);
}

Test(doc, set_creates_a_new_key)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	load_scn(&d, path);
	cr_assert_eq(fl_doc_set(&d, "q.capacity=3", &e), FL_OK, "%s", e.msg);
	const struct fl_node *q = fl_doc_get(fl_doc_get(d.root, "components"), "q");
	cr_assert_eq(fl_doc_len(q), 2);
	struct fl_node *cap = fl_doc_get(q, "capacity");
	cr_assert_not_null(cap);
	cr_assert_eq(nth(q, 1), cap, "a new key goes last");
	cr_assert_str_eq(cap->str, "3");
	cr_assert_str_eq(cap->key, "capacity");
	cr_assert_eq(cap->parent, q);
	cr_assert_str_eq(cap->origin, "--set q.capacity=3");

	cr_assert_eq(fl_doc_set(&d, "regions=1", &e), FL_OK, "%s", e.msg);
	cr_assert_str_eq(fl_doc_get(d.root, "regions")->str, "1");
	cr_assert_eq(fl_doc_len(d.root), 5);

	/* An empty value is an empty string. */
	cr_assert_eq(fl_doc_set(&d, "name=", &e), FL_OK, "%s", e.msg);
	cr_assert_eq(fl_doc_get(d.root, "name")->type, FL_NODE_SCALAR);
	cr_assert_str_eq(fl_doc_get(d.root, "name")->str, "");
	check_tree(d.root);
	fl_doc_free(&d);
}

Test(doc, set_list_and_map_values)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	load_scn(&d, path);
	cr_assert_eq(fl_doc_set(&d, "inbound.order=[remove, write, publish]", &e), FL_OK, "%s", e.msg);
	const struct fl_node *in = fl_doc_get(fl_doc_get(d.root, "components"), "inbound");
	struct fl_node *order = fl_doc_get(in, "order");
	cr_assert_eq(order->type, FL_NODE_SEQ);
	cr_assert_eq(fl_doc_len(order), 3);
	cr_assert_str_eq(nth(order, 0)->str, "remove");
	cr_assert_str_eq(nth(order, 1)->str, "write");
	cr_assert_str_eq(nth(order, 2)->str, "publish");
	cr_assert_eq(nth(order, 0)->line, 0, "override nodes carry no file position");
	cr_assert_str_eq(nth(order, 2)->origin, "--set inbound.order=[remove, write, publish]");

	/* A whole list is replaced by a shorter one; a scalar by a map. */
	cr_assert_eq(fl_doc_set(&d, "list=[z]", &e), FL_OK, "%s", e.msg);
	cr_assert_eq(fl_doc_len(fl_doc_get(d.root, "list")), 1);
	cr_assert_str_eq(nth(fl_doc_get(d.root, "list"), 0)->str, "z");
	cr_assert_eq(fl_doc_set(&d, "name={a: 1, b: [2, 3]}", &e), FL_OK, "%s", e.msg);
	struct fl_node *m = fl_doc_get(d.root, "name");
	cr_assert_eq(m->type, FL_NODE_MAP);
	cr_assert_str_eq(m->key, "name");
	cr_assert_eq(fl_doc_len(fl_doc_get(m, "b")), 2);
	cr_assert_eq(fl_doc_get(m, "b")->line, 0);
	check_tree(d.root);
	fl_doc_free(&d);
}

/* A failed --set: FL_EINPUT, a message starting with "--set <assignment>", nothing changed. */
static void bad_set(const char *assignment, const char *want)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64], prefix[256];
	load_scn(&d, path);
	int before = fl_doc_len(d.root);
	cr_assert_eq(fl_doc_set(&d, assignment, &e), FL_EINPUT, "--set %s should fail", assignment);
	cr_assert_eq(e.code, FL_EINPUT);
	snprintf(prefix, sizeof prefix, "--set %s", assignment);
	cr_assert_eq(strncmp(e.msg, prefix, strlen(prefix)), 0, "'%s' should start with '%s'", e.msg,
		     prefix);
	cr_assert_not_null(strstr(e.msg, want), "'%s' should contain '%s'", e.msg, want);
	cr_assert_eq(fl_doc_len(d.root), before);
	cr_assert_str_eq(fl_doc_get(fl_doc_get(d.root, "records"), "per_batch")->str, "1");
	check_tree(d.root);
	fl_doc_free(&d);
	fl_test_no_leaks();
}

Test(doc, set_bad_paths)
{
	bad_set("nosuch.x=1", "'nosuch' is not a section or component");
	bad_set("inbund.idempotency=none", "'inbund' is not a section or component");
	bad_set("inbund.idempotency=none", "(did you mean 'inbound'?)");
	bad_set("records.per_batch.x=1", "'per_batch' is not a");
	bad_set("records.nosuch.x=1", "'nosuch' is not a");
	bad_set("inbound=3", "'inbound' is a component; say which option");
	bad_set("list.0=x", "replacing one item of a list is not supported");
	bad_set("noequals", "expected path=value");
	bad_set("=5", "expected path=value");
	bad_set("records.per_batch=[1,", "");
}

Test(doc, set_bad_yaml_value)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	load_scn(&d, path);
	cr_assert_eq(fl_doc_set(&d, "records.per_batch=[1, 2", &e), FL_EINPUT);
	/* The YAML error is placed in the override's text. */
	const char *prefix = "--set records.per_batch=[1, 2:";
	cr_assert_eq(strncmp(e.msg, prefix, strlen(prefix)), 0, "%s", e.msg);
	fl_doc_free(&d);
}

/* A fingerprint of the tree (keys, values, types, positions) to compare two loads. */
static void fingerprint(const struct fl_node *n, struct fl_buf *b)
{
	for (; n; n = n->next) {
		fl_buf_printf(b, "(%d %s %s %d:%d %d:%d", n->type, n->key ? n->key : "-",
			      n->str ? n->str : "-", n->line, n->col, n->kline, n->kcol);
		fingerprint(n->child, b);
		fl_buf_puts(b, ")");
	}
}

/* fl_doc_load with the nth allocation failing, for n = 1.. until it succeeds. */
static long load_with_failures(const char *text, int strict)
{
	char path[64];
	fl_test_write_temp(text, path);
	struct fl_doc d;
	struct fl_err e = {0};
	cr_assert_eq(fl_doc_load(&d, path, &e), FL_OK, "%s", e.msg);
	struct fl_buf want = {0};
	fingerprint(d.root, &want);
	fl_doc_free(&d);
	long n;
	int rc = FL_ENOMEM;
	for (n = 1; n < 100000 && rc != FL_OK; n++) {
		struct fl_err en = {0};
		fl_alloc_fail_at(n);
		rc = fl_doc_load(&d, path, &en);
		fl_alloc_fail_at(0);
		if (rc == FL_OK) {
			struct fl_buf got = {0};
			fingerprint(d.root, &got);
			cr_assert_str_eq(fl_buf_str(&got), fl_buf_str(&want));
			fl_buf_fini(&got);
		} else {
			cr_assert_eq(en.code, rc, "n=%ld: the error value is set", n);
			cr_assert_neq(en.msg[0], '\0', "n=%ld: a message is set", n);
			if (strict)
				cr_assert_eq(rc, FL_ENOMEM, "n=%ld: returned %d: %s", n, rc, en.msg);
			else
				cr_assert(rc == FL_ENOMEM || rc == FL_EINPUT, "n=%ld: returned %d", n, rc);
		}
		fl_doc_free(&d);
	}
	unlink(path);
	fl_buf_fini(&want);
	cr_assert_eq(rc, FL_OK, "never succeeded");
	fl_test_no_leaks();
	return n - 1;
}

Test(doc, load_allocation_failures)
{
	long n = load_with_failures(sample, 0);
	/* At least one node (and its key or text) per value of the sample. */
	cr_assert_gt(n, 40, "only %ld allocations were failed", n);
}

/*
 * Regression: an allocation failure while the tree is built used to come back as FL_EINPUT
 * "the scenario is empty"; it must be FL_ENOMEM "out of memory" (the CLI exits 4, not 2).
 */
Test(doc, load_allocation_failures_report_enomem)
{
	load_with_failures(sample, 1);
}

/*
 * fl_doc_set with the nth allocation failing, n = 1.. until it succeeds: FL_ENOMEM and the
 * old value (old, or no key when NULL) until then, never a broken tree. The value set lives
 * in components.<comp> (or records when comp is NULL) under key.
 */
static void set_with_failures(const char *assignment, const char *comp, const char *key,
			      const char *old)
{
	int rc = FL_ENOMEM;
	long n;
	char origin[128];
	snprintf(origin, sizeof origin, "--set %s", assignment);
	for (n = 1; n < 1000 && rc != FL_OK; n++) {
		struct fl_doc d;
		char path[64];
		load_scn(&d, path);
		struct fl_err e = {0};
		fl_alloc_fail_at(n);
		rc = fl_doc_set(&d, assignment, &e);
		fl_alloc_fail_at(0);
		check_tree(d.root);
		const struct fl_node *holder = comp ? fl_doc_get(fl_doc_get(d.root, "components"), comp)
						    : fl_doc_get(d.root, "records");
		const struct fl_node *v = fl_doc_get(holder, key);
		if (rc == FL_OK) {
			cr_assert_not_null(v);
			cr_assert_str_eq(v->origin, origin);
		} else {
			cr_assert_eq(rc, FL_ENOMEM, "n=%ld: %s", n, e.msg);
			cr_assert_str_eq(e.msg, "out of memory");
			if (old)
				cr_assert_str_eq(v->str, old, "n=%ld: the old value is kept", n);
			else
				cr_assert_null(v, "n=%ld: no key is created", n);
		}
		fl_doc_free(&d);
	}
	cr_assert_eq(rc, FL_OK);
	cr_assert_gt(n, 3);
	fl_test_no_leaks();
}

Test(doc, set_replace_allocation_failures)
{
	set_with_failures("records.per_batch=[1, 2]", NULL, "per_batch", "1");
}

/*
 * Regression: graft() did not check fl_strdup(key) for a new key, so an allocation failure
 * left a map child with a NULL key and the next lookup crashed in strcmp.
 */
Test(doc, set_new_key_allocation_failures)
{
	set_with_failures("q.capacity=3", "q", "capacity", NULL);
}

/* --- fl_doc_set_node: a design variant's set: --------------------------------------------- */

static const char vscn[] = "name: s\n"                              /* 1 */
			   "records: {batches: 2, per_batch: 1}\n"     /* 2 */
			   "components:\n"                             /* 3 */
			   "  q: {kind: queue}\n"                      /* 4 */
			   "list: [a, b]\n"                            /* 5 */
			   "variants:\n"                               /* 6 */
			   "  - set: {records.per_batch: 3, q.capacity: [1, 2], recods.x: 1, q: 2, list.0: c}\n";
/* line 7: "records.per_batch" at column 11, its value 3 at 30; "q.capacity" at 33, its list at
 * its first item, 46 */

/* The i-th override of the variant in vscn. */
static const struct fl_node *vset(const struct fl_doc *d, int i)
{
	const struct fl_node *set = fl_doc_get(fl_doc_get(d->root, "variants")->child, "set");
	return nth(set, i);
}

/* Where the key of n is written, as the loader passes it. */
static struct fl_node key_of(const struct fl_node *n)
{
	return (struct fl_node){.origin = n->origin, .line = n->kline, .col = n->kcol};
}

Test(doc, set_node_copies_the_value_with_its_positions)
{
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text(vscn, &d, &e, path), FL_OK, "%s", e.msg);
	const struct fl_node *x = vset(&d, 0);
	struct fl_node at = key_of(x);
	cr_assert_eq(fl_doc_set_node(&d, x->key, x, &at, &e), FL_OK, "%s", e.msg);
	const struct fl_node *r = fl_doc_get(d.root, "records");
	struct fl_node *pb = fl_doc_get(r, "per_batch");
	cr_assert_eq(fl_doc_len(r), 2, "replaced, not added");
	cr_assert_eq(nth(r, 1), pb, "the replacement keeps its place");
	cr_assert_str_eq(pb->str, "3");
	cr_assert_str_eq(pb->key, "per_batch");
	cr_assert_eq(pb->parent, r);
	cr_assert_eq(pb->origin, d.path, "a value from the file keeps the file as its origin");
	assert_pos(pb, 7, 30, 7, 11);
	cr_assert_neq(pb, x, "a copy");
	cr_assert_str_eq(x->key, "records.per_batch", "the variant itself is untouched");
	long v;
	cr_assert_eq(fl_doc_int(pb, 1, 2, &v, &e), FL_EINPUT);
	char want[256];
	snprintf(want, sizeof want, "%s:7:30: 'per_batch' is 3; it must be between 1 and 2", path);
	cr_assert_str_eq(e.msg, want);

	/* A new key, a list value. */
	e = (struct fl_err){0};
	x = vset(&d, 1);
	at = key_of(x);
	cr_assert_eq(fl_doc_set_node(&d, x->key, x, &at, &e), FL_OK, "%s", e.msg);
	const struct fl_node *cap = fl_doc_get(fl_doc_get(fl_doc_get(d.root, "components"), "q"), "capacity");
	cr_assert_not_null(cap);
	cr_assert_eq(cap->type, FL_NODE_SEQ);
	cr_assert_eq(fl_doc_len(cap), 2);
	cr_assert_str_eq(nth(cap, 1)->str, "2");
	cr_assert_eq(cap->line, 7);
	cr_assert_eq(cap->col, 46);
	cr_assert_eq(cap->kcol, 33);
	check_tree(d.root);
	fl_doc_free(&d);
	fl_test_no_leaks();
}

Test(doc, set_node_bad_paths_are_placed_at_the_key)
{
	struct fl_doc d;
	char path[64], want[512];
	struct fl_err e0 = {0};
	cr_assert_eq(load_text(vscn, &d, &e0, path), FL_OK, "%s", e0.msg);
	char recods[256];
	snprintf(recods, sizeof recods,
		 "'recods' is not a section or component of %s (did you mean 'records'?)", path);
	const char *const msgs[] = {
		NULL, NULL, recods, "'q' is a component; say which option (e.g. q.kind)",
		"replacing one item of a list is not supported; set the whole list, e.g. key: [a, b]"};
	for (int i = 2; i < 5; i++) {
		struct fl_err e = {0};
		const struct fl_node *x = vset(&d, i);
		struct fl_node at = key_of(x);
		cr_assert_eq(fl_doc_set_node(&d, x->key, x, &at, &e), FL_EINPUT, "%s", x->key);
		snprintf(want, sizeof want, "%s:%d:%d: %s", path, x->kline, x->kcol, msgs[i]);
		cr_assert_str_eq(e.msg, want);
	}
	struct fl_err e = {0};
	cr_assert_eq(fl_doc_set_node(&d, "", vset(&d, 0), NULL, &e), FL_EINPUT);
	snprintf(want, sizeof want, "%s: an empty path; write section.key, e.g. records.per_batch", path);
	cr_assert_str_eq(e.msg, want, "without a position, the file is named");
	cr_assert_str_eq(fl_doc_get(fl_doc_get(d.root, "records"), "per_batch")->str, "1");
	check_tree(d.root);
	fl_doc_free(&d);
	fl_test_no_leaks();
}

Test(doc, set_node_allocation_failures)
{
	int rc = FL_ENOMEM;
	long n;
	for (n = 1; n < 1000 && rc != FL_OK; n++) {
		struct fl_doc d;
		struct fl_err e = {0};
		char path[64];
		cr_assert_eq(load_text(vscn, &d, &e, path), FL_OK, "%s", e.msg);
		const struct fl_node *x = vset(&d, 1);
		struct fl_node at = key_of(x);
		fl_alloc_fail_at(n);
		rc = fl_doc_set_node(&d, x->key, x, &at, &e);
		fl_alloc_fail_at(0);
		check_tree(d.root);
		const struct fl_node *cap =
			fl_doc_get(fl_doc_get(fl_doc_get(d.root, "components"), "q"), "capacity");
		if (rc == FL_OK) {
			cr_assert_eq(fl_doc_len(cap), 2);
		} else {
			cr_assert_eq(rc, FL_ENOMEM, "n=%ld: %s", n, e.msg);
			cr_assert_str_eq(e.msg, "out of memory");
			cr_assert_null(cap, "n=%ld: no key is created", n);
		}
		fl_doc_free(&d);
	}
	cr_assert_eq(rc, FL_OK);
	cr_assert_gt(n, 5, "the copy's allocations were failed one by one");
	fl_test_no_leaks();
}

/* --- fl_doc_text ----------------------------------------------------------------------- */

static void assert_text(const struct fl_node *n, const char *want)
{
	struct fl_buf b = {0};
	fl_doc_text(n, &b);
	cr_assert_str_eq(fl_buf_str(&b), want);
	fl_buf_fini(&b);
}

Test(doc, text_of_values)
{
	static const char text[] = "a: [x, bb, {k: v, l: [1, 2]}]\n"
				   "b: {kind: container, idempotency: skip-write}\n"
				   "c: hello world\n"
				   "d: \"q[1]\"\n"
				   "e: ''\n"
				   "f: 'x: y'\n"
				   "g: 'say \"hi\"'\n"
				   "h: destination.received >= batch 2\n"
				   "i:\n"
				   "j: '-1'\n"
				   "k: 'a,b'\n";
	struct fl_doc d;
	struct fl_err e = {0};
	char path[64];
	cr_assert_eq(load_text(text, &d, &e, path), FL_OK, "%s", e.msg);
	assert_text(fl_doc_get(d.root, "a"), "[x, bb, {k: v, l: [1, 2]}]");
	assert_text(fl_doc_get(d.root, "b"), "{kind: container, idempotency: skip-write}");
	assert_text(fl_doc_get(d.root, "c"), "hello world");
	assert_text(fl_doc_get(d.root, "d"), "\"q[1]\"");
	assert_text(fl_doc_get(d.root, "e"), "\"\"");
	assert_text(fl_doc_get(d.root, "f"), "\"x: y\"");
	assert_text(fl_doc_get(d.root, "g"), "\"say \\\"hi\\\"\"");
	assert_text(fl_doc_get(d.root, "h"), "destination.received >= batch 2");
	assert_text(fl_doc_get(d.root, "i"), "\"\"");
	assert_text(fl_doc_get(d.root, "j"), "\"-1\"");
	assert_text(fl_doc_get(d.root, "k"), "\"a,b\"");
	fl_doc_free(&d);
}

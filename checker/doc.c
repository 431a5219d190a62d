/*
 * doc.c - builds the position-carrying node tree from YAML with libfyaml (see doc.h).
 *
 * libfyaml was chosen over libcyaml because it reports every parse error with its file, line
 * and column and exposes the position of every scalar token, which is what our messages need;
 * libcyaml maps YAML onto C structs through a schema and reports errors by schema path only.
 * libfyaml gives scalar positions only; a collection takes the position of its first item.
 */
#include "doc.h"

#include <libfyaml.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fl_node *node_new(enum fl_node_type t, const char *origin)
{
	struct fl_node *n = fl_alloc(sizeof *n);
	if (n) {
		n->type = t;
		n->origin = origin;
	}
	return n;
}

static void node_free(struct fl_node *n)
{
	while (n) {
		struct fl_node *next = n->next;
		node_free(n->child);
		fl_free(n->key);
		fl_free(n->str);
		fl_free(n);
		n = next;
	}
}

static void mark_of(struct fy_node *fyn, int *line, int *col)
{
	struct fy_token *t = fyn ? fy_node_get_scalar_token(fyn) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	*line = m ? m->line + 1 : 0;
	*col = m ? m->column + 1 : 0;
}

static void append_child(struct fl_node *parent, struct fl_node *c, struct fl_node **last)
{
	c->parent = parent;
	if (*last)
		(*last)->next = c;
	else
		parent->child = c;
	*last = c;
}

/* A collection without its own token takes the position of its first child. */
static void inherit_position(struct fl_node *n)
{
	if (!n->line && n->child) {
		n->line = n->child->kline ? n->child->kline : n->child->line;
		n->col = n->child->kline ? n->child->kcol : n->child->col;
	}
}

static struct fl_node *convert(struct fy_node *fyn, const char *origin, struct fl_err *e);

static int convert_map(struct fl_node *n, struct fy_node *fyn, const char *origin, struct fl_err *e)
{
	void *it = NULL;
	struct fy_node_pair *p;
	struct fl_node *last = NULL;
	while ((p = fy_node_mapping_iterate(fyn, &it))) {
		struct fy_node *k = fy_node_pair_key(p);
		size_t klen = 0;
		const char *ks = k ? fy_node_get_scalar(k, &klen) : NULL;
		int kl, kc;
		mark_of(k, &kl, &kc);
		if (!ks)
			return fl_fail(e, FL_EINPUT, "%s:%d:%d: map keys must be plain words", origin,
				       kl ? kl : n->line, kc ? kc : n->col);
		struct fl_node *c = convert(fy_node_pair_value(p), origin, e);
		if (!c)
			return e->code ? e->code : FL_ENOMEM;
		append_child(n, c, &last);
		c->kline = kl;
		c->kcol = kc;
		if (!c->line) {
			c->line = kl;
			c->col = kc;
		}
		if (!(c->key = fl_alloc(klen + 1)))
			return FL_ENOMEM;
		memcpy(c->key, ks, klen);
	}
	return FL_OK;
}

static int convert_seq(struct fl_node *n, struct fy_node *fyn, const char *origin, struct fl_err *e)
{
	void *it = NULL;
	struct fy_node *item;
	struct fl_node *last = NULL;
	while ((item = fy_node_sequence_iterate(fyn, &it))) {
		struct fl_node *c = convert(item, origin, e);
		if (!c)
			return e->code ? e->code : FL_ENOMEM;
		append_child(n, c, &last);
	}
	return FL_OK;
}

/* Converts one libfyaml node (NULL = empty value) into a tree; NULL on failure (e says why). */
static struct fl_node *convert(struct fy_node *fyn, const char *origin, struct fl_err *e)
{
	enum fy_node_type t = fyn ? fy_node_get_type(fyn) : FYNT_SCALAR;
	struct fl_node *n = node_new(t == FYNT_MAPPING ? FL_NODE_MAP
				     : t == FYNT_SEQUENCE ? FL_NODE_SEQ
							  : FL_NODE_SCALAR,
				     origin);
	if (!n)
		return NULL;
	int rc = FL_OK;
	if (n->type == FL_NODE_SCALAR) {
		size_t len = 0;
		const char *s = fyn ? fy_node_get_scalar(fyn, &len) : "";
		mark_of(fyn, &n->line, &n->col);
		if (!s)
			s = "";
		if ((n->str = fl_alloc(len + 1)))
			memcpy(n->str, s, len);
		else
			rc = FL_ENOMEM;
	} else if (n->type == FL_NODE_MAP) {
		rc = convert_map(n, fyn, origin, e);
		inherit_position(n);
	} else {
		rc = convert_seq(n, fyn, origin, e);
		inherit_position(n);
	}
	if (rc != FL_OK) {
		node_free(n);
		return NULL;
	}
	return n;
}

/* Parses text (file when path_or_text is a path) with diagnostics collected, not printed. */
static struct fy_document *parse(const char *src, int is_file, const char *label, struct fl_err *e)
{
	struct fy_diag_cfg dc;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.colorize = false;
	struct fy_diag *diag = fy_diag_create(&dc);
	if (!diag)
		return fl_fail(e, FL_ENOMEM, "out of memory"), NULL;
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = diag};
	struct fy_document *doc = is_file ? fy_document_build_from_file(&pc, src)
					  : fy_document_build_from_string(&pc, src, FY_NT);
	if (!doc) {
		void *it = NULL;
		struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
		if (de)
			fl_fail(e, FL_EINPUT, "%s:%d:%d: %s", label, de->line, de->column, de->msg);
		else
			fl_fail(e, FL_EINPUT, "%s: no YAML document here (is it empty?)", label);
	}
	fy_diag_destroy(diag);
	return doc;
}

static char *keep_origin(struct fl_doc *d, const char *s)
{
	char **o = fl_realloc(d->origins, (size_t)(d->norigins + 1) * sizeof *o);
	if (!o)
		return NULL;
	d->origins = o;
	if (!(o[d->norigins] = fl_strdup(s)))
		return NULL;
	return o[d->norigins++];
}

int fl_doc_load(struct fl_doc *d, const char *path, struct fl_err *e)
{
	*d = (struct fl_doc){0};
	FILE *f = fopen(path, "r");
	if (!f)
		return fl_fail(e, FL_EINPUT, "%s: cannot open the scenario file", path);
	fclose(f);
	const char *origin = keep_origin(d, path);
	if (!origin)
		return fl_fail(e, FL_ENOMEM, "out of memory");
	d->path = d->origins[0];
	struct fy_document *doc = parse(path, 1, path, e);
	if (!doc)
		return e->code;
	struct fy_node *root = fy_document_root(doc);
	d->root = root ? convert(root, origin, e) : NULL;
	fy_document_destroy(doc);
	if (!d->root && root) /* convert reports input errors itself; anything else is memory */
		return e->code ? e->code : fl_fail(e, FL_ENOMEM, "out of memory");
	if (!d->root)
		return fl_fail(e, FL_EINPUT, "%s: the scenario is empty", path);
	if (d->root->type != FL_NODE_MAP)
		return fl_fail(e, FL_EINPUT, "%s:%d:%d: a scenario is a map of keys (name, regions, "
					     "records, components, ...)",
			       path, d->root->line, d->root->col);
	return FL_OK;
}

void fl_doc_free(struct fl_doc *d)
{
	node_free(d->root);
	for (int i = 0; i < d->norigins; i++)
		fl_free(d->origins[i]);
	fl_free(d->origins);
	*d = (struct fl_doc){0};
}

static struct fl_node *child_named(const struct fl_node *map, const char *key)
{
	if (!map || map->type != FL_NODE_MAP)
		return NULL;
	for (struct fl_node *c = map->child; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

static struct fl_node *child_at(const struct fl_node *seq, const char *idx)
{
	char *end;
	long i = strtol(idx, &end, 10);
	if (!seq || seq->type != FL_NODE_SEQ || *end || end == idx || i < 0)
		return NULL;
	struct fl_node *c = seq->child;
	while (c && i-- > 0)
		c = c->next;
	return c;
}

/* Override values have no file position: their origin text says where they came from. */
static void strip_positions(struct fl_node *n)
{
	for (; n; n = n->next) {
		n->line = n->col = n->kline = n->kcol = 0;
		strip_positions(n->child);
	}
}

/* Replaces old (in its parent) by repl, or appends repl under key to map; repl is owned by
 * the tree afterwards, or freed on failure (FL_ENOMEM). */
static int graft(struct fl_node *map, struct fl_node *old, struct fl_node *repl, const char *key)
{
	repl->parent = map;
	if (old) {
		repl->key = old->key;
		old->key = NULL;
		repl->next = old->next;
		old->next = NULL;
		struct fl_node **pp = &map->child;
		while (*pp != old)
			pp = &(*pp)->next;
		*pp = repl;
		node_free(old);
		return FL_OK;
	}
	if (!(repl->key = fl_strdup(key))) {
		node_free(repl);
		return FL_ENOMEM;
	}
	struct fl_node **pp = &map->child;
	while (*pp)
		pp = &(*pp)->next;
	*pp = repl;
	return FL_OK;
}

/* The top-level key or component name closest to word, for a hint. */
static const char *suggest_path(const struct fl_doc *d, const char *word)
{
	const char *names[512];
	int n = 0;
	const struct fl_node *comps = child_named(d->root, "components");
	for (const struct fl_node *c = d->root->child; c && n < 511; c = c->next)
		names[n++] = c->key;
	for (const struct fl_node *c = comps ? comps->child : NULL; c && n < 511; c = c->next)
		names[n++] = c->key;
	names[n] = NULL;
	return fl_suggest(word, names);
}

/* Walks the path's parent segments; returns the map or seq that holds the last segment. */
static struct fl_node *walk(struct fl_doc *d, char *path, char **last, struct fl_err *e,
			    const char *origin)
{
	struct fl_node *cur = d->root;
	char *seg = path, *dot;
	int first = 1;
	while ((dot = strchr(seg, '.'))) {
		*dot = '\0';
		struct fl_node *next = cur->type == FL_NODE_SEQ ? child_at(cur, seg) : child_named(cur, seg);
		if (!next && first)
			next = child_named(child_named(d->root, "components"), seg);
		if (!next || next->type == FL_NODE_SCALAR) {
			const char *hint = first ? suggest_path(d, seg) : NULL;
			fl_fail(e, FL_EINPUT, "%s: '%s' is not a %s of %s%s%s%s", origin, seg,
				first ? "section or component" : "map or list", d->path,
				hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
			return NULL;
		}
		cur = next;
		seg = dot + 1;
		first = 0;
	}
	if (first && !child_named(d->root, seg) && child_named(child_named(d->root, "components"), seg))
		return fl_fail(e, FL_EINPUT, "%s: '%s' is a component; say which option (e.g. %s.kind)",
			       origin, seg, seg),
		       NULL;
	*last = seg;
	return cur;
}

/* The map that holds the last segment of path (edited in place), or NULL with e filled.
 * eg shows how to set a whole list, for the message when path ends in a list. */
static struct fl_node *holder_of(struct fl_doc *d, char *path, char **last, const char *label,
				 const char *eg, struct fl_err *e)
{
	struct fl_node *holder = walk(d, path, last, e, label);
	if (holder && holder->type == FL_NODE_SEQ) {
		fl_fail(e, FL_EINPUT, "%s: replacing one item of a list is not supported; set the whole "
				      "list, e.g. %s",
			label, eg);
		return NULL;
	}
	if (!holder && !e->code)
		fl_fail(e, FL_EINPUT, "%s: no such path", label);
	return holder;
}

/* Puts repl (owned; NULL when building it failed, e then says why) under key last of holder. */
static int put(struct fl_node *holder, const char *last, struct fl_node *repl, struct fl_err *e)
{
	if (!repl)
		return e->code ? e->code : fl_fail(e, FL_ENOMEM, "out of memory");
	int rc = graft(holder, child_named(holder, last), repl, last);
	return rc ? fl_fail(e, rc, "out of memory") : FL_OK;
}

int fl_doc_set(struct fl_doc *d, const char *assignment, struct fl_err *e)
{
	const char *eq = strchr(assignment, '=');
	if (!eq || eq == assignment)
		return fl_fail(e, FL_EINPUT, "--set %s: expected path=value, e.g. --set records.per_batch=2",
			       assignment);
	char label[FL_ERR_MAX];
	snprintf(label, sizeof label, "--set %s", assignment);
	const char *origin = keep_origin(d, label);
	char *path = fl_strdup(assignment);
	if (!origin || !path)
		return fl_free(path), fl_fail(e, FL_ENOMEM, "out of memory");
	path[eq - assignment] = '\0';
	char *last = NULL;
	struct fl_node *holder = holder_of(d, path, &last, origin, "key=[a, b]", e);
	int rc = e->code;
	if (holder) {
		struct fy_document *doc = parse(eq[1] ? eq + 1 : "\"\"", 0, origin, e);
		struct fl_node *repl = doc ? convert(fy_document_root(doc), origin, e) : NULL;
		if (doc)
			fy_document_destroy(doc);
		if (repl)
			strip_positions(repl);
		rc = put(holder, last, repl, e);
	}
	fl_free(path);
	return rc;
}

/* A deep copy of n without its key or siblings; NULL when memory runs out. */
static struct fl_node *node_copy(const struct fl_node *n)
{
	struct fl_node *c = node_new(n->type, n->origin), *last = NULL;
	if (!c)
		return NULL;
	c->line = n->line;
	c->col = n->col;
	c->kline = n->kline;
	c->kcol = n->kcol;
	if (n->str && !(c->str = fl_strdup(n->str)))
		return node_free(c), NULL;
	for (const struct fl_node *x = n->child; x; x = x->next) {
		struct fl_node *k = node_copy(x);
		if (!k)
			return node_free(c), NULL;
		append_child(c, k, &last);
		if (x->key && !(k->key = fl_strdup(x->key)))
			return node_free(c), NULL;
	}
	return c;
}

int fl_doc_set_node(struct fl_doc *d, const char *path, const struct fl_node *value,
		    const struct fl_node *at, struct fl_err *e)
{
	char label[FL_ERR_MAX];
	if (at && at->line)
		snprintf(label, sizeof label, "%s:%d:%d", at->origin, at->line, at->col);
	else
		snprintf(label, sizeof label, "%s", at && at->origin ? at->origin : d->path);
	if (!*path)
		return fl_fail(e, FL_EINPUT, "%s: an empty path; write section.key, e.g. records.per_batch",
			       label);
	char *p = fl_strdup(path), *last = NULL;
	if (!p)
		return fl_fail(e, FL_ENOMEM, "out of memory");
	struct fl_node *holder = holder_of(d, p, &last, label, "key: [a, b]", e);
	int rc = holder ? put(holder, last, node_copy(value), e) : e->code;
	fl_free(p);
	return rc;
}

/* 1 if scalar text s would not read back as the same plain scalar in a flow collection. */
static int needs_quotes(const char *s)
{
	size_t n = strlen(s);
	return !n || s[0] == ' ' || s[n - 1] == ' ' || strchr("-?:&*!|>%@`'\"#", s[0]) ||
	       strpbrk(s, ",[]{}\n\"") || strstr(s, ": ") || strstr(s, " #") || s[n - 1] == ':';
}

void fl_doc_text(const struct fl_node *n, struct fl_buf *b)
{
	if (n->type == FL_NODE_SCALAR) {
		if (!needs_quotes(n->str)) {
			fl_buf_puts(b, n->str);
			return;
		}
		fl_buf_puts(b, "\"");
		for (const char *p = n->str; *p; p++)
			if (*p == '"' || *p == '\\')
				fl_buf_printf(b, "\\%c", *p);
			else if (*p == '\n')
				fl_buf_puts(b, "\\n");
			else
				fl_buf_printf(b, "%c", *p);
		fl_buf_puts(b, "\"");
		return;
	}
	fl_buf_puts(b, n->type == FL_NODE_MAP ? "{" : "[");
	for (const struct fl_node *c = n->child; c; c = c->next) {
		if (c != n->child)
			fl_buf_puts(b, ", ");
		if (n->type == FL_NODE_MAP)
			fl_buf_printf(b, "%s: ", c->key);
		fl_doc_text(c, b);
	}
	fl_buf_puts(b, n->type == FL_NODE_MAP ? "}" : "]");
}

int fl_doc_errf(struct fl_err *e, const struct fl_node *n, const char *fmt, ...)
{
	char msg[FL_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n && n->line)
		return fl_fail(e, FL_EINPUT, "%s:%d:%d: %s", n->origin, n->line, n->col, msg);
	if (n && n->origin)
		return fl_fail(e, FL_EINPUT, "%s: %s", n->origin, msg);
	return fl_fail(e, FL_EINPUT, "%s", msg);
}

struct fl_node *fl_doc_get(const struct fl_node *map, const char *key)
{
	return child_named(map, key);
}

int fl_doc_len(const struct fl_node *n)
{
	int k = 0;
	for (const struct fl_node *c = n ? n->child : NULL; c; c = c->next)
		k++;
	return k;
}

static const char *type_name(enum fl_node_type t)
{
	return t == FL_NODE_MAP ? "a map" : t == FL_NODE_SEQ ? "a list" : "a single value";
}

int fl_doc_want(const struct fl_node *n, enum fl_node_type t, const char *what, struct fl_err *e)
{
	if (n->type == t)
		return FL_OK;
	return fl_doc_errf(e, n, "%s should be %s, not %s", what, type_name(t), type_name(n->type));
}

static const char *label_of(const struct fl_node *n) { return n->key ? n->key : "value"; }

int fl_doc_int(const struct fl_node *n, long lo, long hi, long *out, struct fl_err *e)
{
	if (n->type != FL_NODE_SCALAR)
		return fl_doc_errf(e, n, "'%s' should be a whole number", label_of(n));
	char *end;
	long v = strtol(n->str, &end, 10);
	if (end == n->str || *end)
		return fl_doc_errf(e, n, "'%s' should be a whole number, not '%s'", label_of(n), n->str);
	if (v < lo || v > hi)
		return fl_doc_errf(e, n, "'%s' is %ld; it must be between %ld and %ld", label_of(n), v,
				   lo, hi);
	*out = v;
	return FL_OK;
}

int fl_doc_enum(const struct fl_node *n, const char *const *names, int *out, struct fl_err *e)
{
	char list[512] = "";
	for (int i = 0; names[i]; i++) {
		if (n->type == FL_NODE_SCALAR && strcmp(n->str, names[i]) == 0) {
			*out = i;
			return FL_OK;
		}
		size_t l = strlen(list);
		snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", names[i]);
	}
	if (n->type != FL_NODE_SCALAR)
		return fl_doc_errf(e, n, "'%s' should be one of: %s", label_of(n), list);
	const char *hint = fl_suggest(n->str, names);
	if (hint)
		return fl_doc_errf(e, n, "'%s' cannot be '%s' (did you mean '%s'?); choose one of: %s",
				   label_of(n), n->str, hint, list);
	return fl_doc_errf(e, n, "'%s' cannot be '%s'; choose one of: %s", label_of(n), n->str, list);
}

int fl_doc_bool(const struct fl_node *n, int *out, struct fl_err *e)
{
	static const char *const names[] = {"false", "true", "no", "yes", NULL};
	int i;
	int rc = fl_doc_enum(n, names, &i, e);
	if (rc == FL_OK)
		*out = i & 1;
	return rc;
}

int fl_doc_opt_int(const struct fl_node *map, const char *key, long lo, long hi, long *out,
		   struct fl_err *e)
{
	struct fl_node *n = fl_doc_get(map, key);
	return n ? fl_doc_int(n, lo, hi, out, e) : FL_OK;
}

int fl_doc_opt_enum(const struct fl_node *map, const char *key, const char *const *names, int *out,
		    struct fl_err *e)
{
	struct fl_node *n = fl_doc_get(map, key);
	return n ? fl_doc_enum(n, names, out, e) : FL_OK;
}

int fl_doc_opt_bool(const struct fl_node *map, const char *key, int *out, struct fl_err *e)
{
	struct fl_node *n = fl_doc_get(map, key);
	return n ? fl_doc_bool(n, out, e) : FL_OK;
}

int fl_doc_check_keys(const struct fl_node *map, const char *const *allowed, const char *what,
		      struct fl_err *e)
{
	for (const struct fl_node *c = map->child; c; c = c->next) {
		int ok = 0;
		for (int i = 0; allowed[i] && !ok; i++)
			ok = strcmp(c->key, allowed[i]) == 0;
		if (ok)
			continue;
		const char *hint = fl_suggest(c->key, allowed);
		struct fl_node at = *c;
		at.line = c->kline ? c->kline : c->line;
		at.col = c->kline ? c->kcol : c->col;
		if (hint)
			return fl_doc_errf(e, &at, "unknown key '%s' in %s (did you mean '%s'?)", c->key,
					   what, hint);
		char list[512] = "";
		for (int i = 0; allowed[i]; i++) {
			size_t l = strlen(list);
			snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", allowed[i]);
		}
		return fl_doc_errf(e, &at, "unknown key '%s' in %s; known keys: %s", c->key, what, list);
	}
	return FL_OK;
}

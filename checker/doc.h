/*
 * doc.h - a scenario document as a small tree of nodes that remember where they came from.
 *
 * The YAML library is used in one place (doc.c) to build this tree; everything else reads the
 * tree through the accessors below. Each map is checked against the keys its reader accepts
 * (fl_doc_check_keys), so a misspelt key is reported as
 * `file:line:column: unknown key 'idempotncy' in container 'inbound' (did you mean 'idempotency'?)`.
 * `--set path=value` overrides edit the tree before anything reads it; nodes they create carry
 * the override's text as their origin instead of a file position.
 */
#ifndef FL_DOC_H
#define FL_DOC_H

#include "fl.h"

enum fl_node_type { FL_NODE_SCALAR, FL_NODE_SEQ, FL_NODE_MAP };

struct fl_node {
	enum fl_node_type type;
	char *key;            /* the key this node is the value of, or NULL */
	char *str;            /* scalar text (NULL for collections) */
	const char *origin;   /* file path, or "--set a.b=c" for an override */
	int line, col;        /* 1-based position of the value; 0 for overrides */
	int kline, kcol;      /* 1-based position of the key, if any */
	struct fl_node *child, *next, *parent;
};

struct fl_doc {
	struct fl_node *root;
	char *path;
	char **origins; /* strings the tree's origin pointers refer to */
	int norigins;
};

/* Parses a YAML file. On failure fills e with "file:line:col: message" and returns FL_EINPUT. */
int fl_doc_load(struct fl_doc *d, const char *path, struct fl_err *e);
void fl_doc_free(struct fl_doc *d);

/*
 * Applies one `path=value` override. The first path segment names a top-level key or, failing
 * that, a component (so `inbound.idempotency=none` means components.inbound.idempotency);
 * later segments are map keys or sequence indices. A missing last key is created. The value
 * is parsed as YAML, so `[write, remove, publish]` gives a list.
 */
int fl_doc_set(struct fl_doc *d, const char *assignment, struct fl_err *e);

/*
 * Applies one override given as a node (a design variant's `set: {path: value}`): path as for
 * fl_doc_set, the value a deep copy of `value`. The copy keeps the positions and origin of
 * `value` (which must belong to d), so a bad value is later reported where it is written.
 * Errors about the path start with the position of `at` (the path's key in the file) and give
 * the hints fl_doc_set gives.
 */
int fl_doc_set_node(struct fl_doc *d, const char *path, const struct fl_node *value,
		    const struct fl_node *at, struct fl_err *e);

/* Appends n to b as YAML flow text (`[a, b]`, `{k: v}`, scalars quoted when needed). */
void fl_doc_text(const struct fl_node *n, struct fl_buf *b);

/* Fills e with "<where node is>: <message>"; returns FL_EINPUT. */
int fl_doc_errf(struct fl_err *e, const struct fl_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Child of map with this key, or NULL. */
struct fl_node *fl_doc_get(const struct fl_node *map, const char *key);

/* Number of children of a collection. */
int fl_doc_len(const struct fl_node *n);

/* Type checks with positioned errors; `what` names the thing for the message. */
int fl_doc_want(const struct fl_node *n, enum fl_node_type t, const char *what, struct fl_err *e);

/* Reads an integer scalar in [lo, hi]. */
int fl_doc_int(const struct fl_node *n, long lo, long hi, long *out, struct fl_err *e);

/* Reads a scalar that must be one of names (NULL-terminated); *out is its index. */
int fl_doc_enum(const struct fl_node *n, const char *const *names, int *out, struct fl_err *e);

/* Reads "true"/"false"/"yes"/"no". */
int fl_doc_bool(const struct fl_node *n, int *out, struct fl_err *e);

/* Optional key helpers: leave *out untouched when the key is absent. */
int fl_doc_opt_int(const struct fl_node *map, const char *key, long lo, long hi, long *out,
		   struct fl_err *e);
int fl_doc_opt_enum(const struct fl_node *map, const char *key, const char *const *names, int *out,
		    struct fl_err *e);
int fl_doc_opt_bool(const struct fl_node *map, const char *key, int *out, struct fl_err *e);

/* Fails on the first key of map not in allowed (NULL-terminated), with a suggestion. */
int fl_doc_check_keys(const struct fl_node *map, const char *const *allowed, const char *what,
		      struct fl_err *e);

#endif

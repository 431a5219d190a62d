/*
 * fl.h - what every faultline module shares: result codes, the error value, a growable text
 * buffer and the one allocation wrapper.
 *
 * Errors are values: a function returns FL_OK (0) or a negative FL_E* code and, on failure,
 * leaves a one-line message in a caller-supplied struct fl_err. Only the CLI prints and exits.
 * Every allocation goes through fl_alloc/fl_realloc so a test can make the Nth one fail.
 */
#ifndef FL_H
#define FL_H

#include <stddef.h>
#include <stdint.h>

enum {
	FL_OK = 0,
	FL_EINPUT = -1,    /* bad scenario, option or usage: exit code 2 */
	FL_ENOMEM = -2,    /* an allocation failed */
	FL_EBOUND = -3,    /* a model bound (e.g. a queue's capacity) was exceeded */
	FL_EINTERNAL = -4  /* the checker broke one of its own invariants: exit code 4 */
};

/* Process exit codes, as documented in README.md and docs/getting-started.md. */
enum { FL_EXIT_HOLDS = 0, FL_EXIT_VIOLATED = 1, FL_EXIT_USAGE = 2, FL_EXIT_INCOMPLETE = 3, FL_EXIT_INTERNAL = 4 };

#define FL_ERR_MAX 1024

struct fl_err {
	int code;             /* the FL_E* code of the first failure, FL_OK when none */
	char msg[FL_ERR_MAX]; /* one line, no trailing newline */
};

/* Sets e (if not already set) and returns code, so callers can write `return fl_fail(...)`. */
int fl_fail(struct fl_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A growable NUL-terminated string. Zero-initialise; fl_buf_fini frees. */
struct fl_buf {
	char *p;
	size_t len, cap;
	int oom; /* set when an append could not grow the buffer; the text is then truncated */
};

void fl_buf_printf(struct fl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fl_buf_puts(struct fl_buf *b, const char *s);
void fl_buf_reset(struct fl_buf *b);
const char *fl_buf_str(const struct fl_buf *b); /* never NULL */
void fl_buf_fini(struct fl_buf *b);

/* Allocation wrappers. fl_alloc returns zeroed memory or NULL. */
void *fl_alloc(size_t n);
void *fl_calloc(size_t n, size_t size); /* n * size zeroed bytes (checked), or NULL */
void *fl_realloc(void *p, size_t n);
void fl_free(void *p);
/* A hint that the 2 MiB-aligned part of [p, p+n) be backed by huge pages (no-op if unsupported). */
void fl_advise_huge(void *p, size_t n);
char *fl_strdup(const char *s);

/* Test hook: make the nth allocation from now fail (1 = the next one); 0 disables. */
void fl_alloc_fail_at(long nth);

/* Levenshtein distance, capped; used for "did you mean" hints. */
int fl_edit_distance(const char *a, const char *b);

/* Closest candidate to word among a NULL-terminated list, or NULL if none is close. */
const char *fl_suggest(const char *word, const char *const *cands);

#endif

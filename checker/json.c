/*
 * json.c - streaming JSON writer (see json.h).
 */
#include "json.h"

#include <math.h>

void fl_json_init(struct fl_json *j, FILE *f) { *j = (struct fl_json){.f = f}; }

/* Writes the separator a new value needs at the current level. */
static void sep(struct fl_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0 && j->count[j->depth - 1]++)
		fputc(',', j->f);
}

static void begin(struct fl_json *j, int c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth < FL_JSON_DEPTH)
		j->count[j->depth] = 0;
	j->depth++;
}

static void finish(struct fl_json *j, int c)
{
	j->depth--;
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void fl_json_obj(struct fl_json *j) { begin(j, '{'); }
void fl_json_obj_end(struct fl_json *j) { finish(j, '}'); }
void fl_json_arr(struct fl_json *j) { begin(j, '['); }
void fl_json_arr_end(struct fl_json *j) { finish(j, ']'); }

static void quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void fl_json_key(struct fl_json *j, const char *k)
{
	sep(j);
	quoted(j->f, k);
	fputc(':', j->f);
	j->after_key = 1;
}

void fl_json_str(struct fl_json *j, const char *s)
{
	sep(j);
	quoted(j->f, s ? s : "");
}

void fl_json_int(struct fl_json *j, long long v)
{
	sep(j);
	fprintf(j->f, "%lld", v);
}

void fl_json_num(struct fl_json *j, double v)
{
	sep(j);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void fl_json_bool(struct fl_json *j, int v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void fl_json_null(struct fl_json *j)
{
	sep(j);
	fputs("null", j->f);
}

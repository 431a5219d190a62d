/*
 * json.h - a small streaming JSON writer: values are written as they come, commas and
 * nesting are tracked here, strings are escaped. No allocation.
 */
#ifndef FL_JSON_H
#define FL_JSON_H

#include <stdio.h>

#define FL_JSON_DEPTH 32

struct fl_json {
	FILE *f;
	int depth;
	int count[FL_JSON_DEPTH]; /* values written at each level, for commas */
	int after_key;
};

void fl_json_init(struct fl_json *j, FILE *f);
void fl_json_obj(struct fl_json *j);      /* { */
void fl_json_obj_end(struct fl_json *j);  /* } */
void fl_json_arr(struct fl_json *j);      /* [ */
void fl_json_arr_end(struct fl_json *j);  /* ] */
void fl_json_key(struct fl_json *j, const char *k);
void fl_json_str(struct fl_json *j, const char *s);
void fl_json_int(struct fl_json *j, long long v);
void fl_json_num(struct fl_json *j, double v);
void fl_json_bool(struct fl_json *j, int v);
void fl_json_null(struct fl_json *j);

#endif

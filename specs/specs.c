/*
 * specs.c - the table of spec monitors.
 */
#include "specs.h"

#include <string.h>

const struct fl_spec_kind *const fl_spec_kinds[] = {&spec_correctness_kind, &spec_delivery_kind,
						    &spec_no_duplicates_kind, &spec_ordering_kind,
						    NULL};

const struct fl_spec_kind *fl_spec_find(const char *name)
{
	for (int i = 0; fl_spec_kinds[i]; i++)
		if (strcmp(fl_spec_kinds[i]->name, name) == 0)
			return fl_spec_kinds[i];
	return NULL;
}

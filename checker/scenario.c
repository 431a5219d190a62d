/*
 * scenario.c - scenario file -> struct fl_sys (see scenario.h, docs/scenarios.md).
 *
 * Order matters: regions and records first (kinds size their state by them), then every
 * component's instances (so wiring can name any of them), then each kind configures itself,
 * then the script, specs, fault budget and expectations. Unknown keys are caught everywhere.
 *
 * A design variant is applied to the document before anything reads it: its `set:` overrides
 * first, then the command line's --set; its `expect:` is read last, over the file's.
 */
#include "scenario.h"

#include <stdio.h>
#include <string.h>

static const char *const top_keys[] = {"name", "description", "regions", "records", "components",
				       "script", "faults", "specs", "expect", "variants", NULL};
static const char *const variant_keys[] = {"name", "about", "set", "expect", NULL};

struct loader {
	struct fl_sys *s;
	const struct fl_kind *const *kinds;
	const struct fl_spec_kind *const *spec_kinds;
	struct fl_err *e;
	const struct fl_node *variant; /* the variant being built, or NULL */
};

static const struct fl_kind *kind_named(const struct loader *L, const char *name)
{
	for (int i = 0; L->kinds[i]; i++)
		if (strcmp(L->kinds[i]->name, name) == 0)
			return L->kinds[i];
	return NULL;
}

static int read_records(struct loader *L, const struct fl_node *root)
{
	static const char *const keys[] = {"batches", "per_batch", "sizes", NULL};
	struct fl_sys *s = L->s;
	const struct fl_node *r = fl_doc_get(root, "records");
	long batches = 1, per = 1;
	int rc;
	if (!r)
		return fl_doc_errf(L->e, root, "the scenario needs 'records:' (e.g. {batches: 3, per_batch: 2})");
	if ((rc = fl_doc_want(r, FL_NODE_MAP, "records", L->e)) || (rc = fl_doc_check_keys(r, keys, "records", L->e)) ||
	    (rc = fl_doc_opt_int(r, "batches", 1, FL_MAX_RECORDS, &batches, L->e)) ||
	    (rc = fl_doc_opt_int(r, "per_batch", 1, FL_MAX_RECORDS, &per, L->e)))
		return rc;
	const struct fl_node *sizes = fl_doc_get(r, "sizes");
	s->nbatches = (int)batches;
	for (int b = 1; b <= s->nbatches && !sizes; b++)
		s->batch_end[b] = s->batch_end[b - 1] + (int)per;
	if (sizes) {
		if ((rc = fl_doc_want(sizes, FL_NODE_SEQ, "sizes", L->e)))
			return rc;
		s->nbatches = 0;
		for (const struct fl_node *x = sizes->child; x; x = x->next) {
			long n;
			if ((rc = fl_doc_int(x, 1, FL_MAX_RECORDS, &n, L->e)))
				return rc;
			if (s->nbatches >= FL_MAX_RECORDS || s->batch_end[s->nbatches] + n > FL_MAX_RECORDS)
				return fl_doc_errf(L->e, x, "at most %d records in all", FL_MAX_RECORDS);
			s->nbatches++;
			s->batch_end[s->nbatches] = s->batch_end[s->nbatches - 1] + (int)n;
		}
		if (!s->nbatches)
			return fl_doc_errf(L->e, sizes, "sizes lists no batch");
	}
	s->nrecords = s->batch_end[s->nbatches];
	if (s->nrecords > FL_MAX_RECORDS)
		return fl_doc_errf(L->e, r, "%d records; at most %d are supported", s->nrecords, FL_MAX_RECORDS);
	return FL_OK;
}

static int add_inst(struct loader *L, const struct fl_kind *k, const char *comp, int region,
		    const struct fl_node *node)
{
	struct fl_sys *s = L->s;
	if (s->ninst >= 60000)
		return fl_doc_errf(L->e, node, "too many components");
	struct fl_inst *in = fl_realloc(s->inst, (size_t)(s->ninst + 1) * sizeof *in);
	if (!in)
		return fl_fail(L->e, FL_ENOMEM, "out of memory");
	s->inst = in;
	in = &s->inst[s->ninst];
	*in = (struct fl_inst){.kind = k, .region = region, .node = node};
	s->ninst++;
	char name[160];
	if (region >= 0)
		snprintf(name, sizeof name, "%s[%d]", comp, region + 1);
	else
		snprintf(name, sizeof name, "%s", comp);
	in->name = fl_strdup(name);
	in->comp = fl_strdup(comp);
	in->conf = fl_alloc(k->conf_size);
	if (!in->name || !in->comp || !in->conf)
		return fl_fail(L->e, FL_ENOMEM, "out of memory");
	return FL_OK;
}

/* Kind names users may write (the internal script kind is not one of them). */
static void public_kind_names(const struct loader *L, const char **out, int max)
{
	int n = 0;
	for (int i = 0; L->kinds[i] && n < max - 1; i++)
		if (!L->kinds[i]->internal)
			out[n++] = L->kinds[i]->name;
	out[n] = NULL;
}

static int component_kind(struct loader *L, const struct fl_node *c, const struct fl_kind **out)
{
	int rc = fl_doc_want(c, FL_NODE_MAP, "a component", L->e);
	if (rc)
		return rc;
	const struct fl_node *kn = fl_doc_get(c, "kind");
	const char *names[64];
	char list[512] = "";
	public_kind_names(L, names, 64);
	for (int i = 0; names[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
	if (!kn || kn->type != FL_NODE_SCALAR)
		return fl_doc_errf(L->e, kn ? kn : c, "component '%s' needs 'kind:' (one of: %s)", c->key,
				   list);
	const struct fl_kind *k = kind_named(L, kn->str);
	if (!k || k->internal) {
		const char *hint = fl_suggest(kn->str, names);
		return hint ? fl_doc_errf(L->e, kn, "unknown component kind '%s' (did you mean '%s'?)",
					  kn->str, hint)
			    : fl_doc_errf(L->e, kn, "unknown component kind '%s' (kinds: %s)", kn->str, list);
	}
	char what[160];
	snprintf(what, sizeof what, "%s '%s'", k->name, c->key);
	if ((rc = fl_doc_check_keys(c, k->keys, what, L->e)))
		return rc;
	*out = k;
	return FL_OK;
}

static int read_components(struct loader *L, const struct fl_node *root)
{
	const struct fl_node *comps = fl_doc_get(root, "components");
	int rc;
	if (!comps)
		return fl_doc_errf(L->e, root, "the scenario needs 'components:'");
	if ((rc = fl_doc_want(comps, FL_NODE_MAP, "components", L->e)))
		return rc;
	for (const struct fl_node *c = comps->child; c; c = c->next) {
		const struct fl_kind *k = NULL;
		if ((rc = component_kind(L, c, &k)))
			return rc;
		if (strcmp(c->key, "script") == 0 || strchr(c->key, '[') || strchr(c->key, '.'))
			return fl_doc_errf(L->e, &(struct fl_node){.origin = c->origin, .line = c->kline,
								 .col = c->kcol},
					   "'%s' cannot name a component (reserved, or contains [ or .)",
					   c->key);
		int n = k->per_region ? L->s->nregions : 1;
		for (int r = 0; r < n; r++)
			if ((rc = add_inst(L, k, c->key, k->per_region ? r : -1, c)))
				return rc;
	}
	return FL_OK;
}

static int configure_all(struct loader *L, const struct fl_node *root)
{
	const struct fl_kind *sk = kind_named(L, "script");
	int rc;
	if (sk && (rc = add_inst(L, sk, "script", -1, fl_doc_get(root, "script"))))
		return rc;
	/* Kind by kind, in the table's order (instances of a kind in file order), so a kind may
	 * read the configuration of the kinds before it (a container its input's batch size). */
	for (int k = 0; L->kinds[k]; k++)
		for (int i = 0; i < L->s->ninst; i++) {
			const struct fl_inst *in = &L->s->inst[i];
			if (in->kind == L->kinds[k] && (rc = in->kind->configure(L->s, i, in->node, L->e)))
				return rc;
		}
	return FL_OK;
}

static int read_regions(struct loader *L, const struct fl_node *root)
{
	long r = 2;
	int rc = fl_doc_opt_int(root, "regions", 1, FL_MAX_REGIONS, &r, L->e);
	L->s->nregions = (int)r;
	return rc;
}

static int spec_index(const struct fl_sys *s, const struct fl_spec_kind *k)
{
	for (int i = 0; i < s->nspec; i++)
		if (s->spec[i].kind == k)
			return i;
	return -1;
}

static const struct fl_spec_kind *spec_named(const struct loader *L, const char *name)
{
	for (int i = 0; L->spec_kinds[i]; i++)
		if (strcmp(L->spec_kinds[i]->name, name) == 0)
			return L->spec_kinds[i];
	return NULL;
}

static int unknown_spec(const struct loader *L, const struct fl_node *at, const char *name)
{
	const char *names[FL_MAX_SPECS + 1];
	int n = 0;
	for (int i = 0; L->spec_kinds[i] && n < FL_MAX_SPECS; i++)
		names[n++] = L->spec_kinds[i]->name;
	names[n] = NULL;
	const char *hint = fl_suggest(name, names);
	if (at)
		return hint ? fl_doc_errf(L->e, at, "unknown spec '%s' (did you mean '%s'?)", name, hint)
			    : fl_doc_errf(L->e, at, "unknown spec '%s'", name);
	return hint ? fl_fail(L->e, FL_EINPUT, "--spec %s: unknown spec (did you mean '%s'?)", name, hint)
		    : fl_fail(L->e, FL_EINPUT, "--spec %s: unknown spec", name);
}

/* Adds spec k, configured from cfg (a map of options, or NULL). */
static int add_spec(struct loader *L, const struct fl_spec_kind *k, const struct fl_node *cfg,
		    const struct fl_node *at)
{
	struct fl_sys *s = L->s;
	if (spec_index(s, k) >= 0)
		return fl_doc_errf(L->e, at, "spec '%s' is listed twice%s", k->name,
				   k->reachable ? " (a scenario has at most one reachable spec; a variant "
						  "can check another)" : "");
	if (s->nspec >= FL_MAX_SPECS)
		return fl_doc_errf(L->e, at, "at most %d specs", FL_MAX_SPECS);
	if (k->needs_options && !(cfg && cfg->type == FL_NODE_MAP && fl_doc_len(cfg)))
		return at ? fl_doc_errf(L->e, at, "spec '%s' needs options: write it as {%s: {...}} "
					      "(see docs/scenarios.md)", k->name, k->name)
			  : fl_fail(L->e, FL_EINPUT, "--spec %s: the scenario does not list it, and it "
					"needs options", k->name);
	struct fl_spec *sp = fl_realloc(s->spec, (size_t)(s->nspec + 1) * sizeof *sp);
	if (!sp)
		return fl_fail(L->e, FL_ENOMEM, "out of memory");
	s->spec = sp;
	sp = &s->spec[s->nspec++];
	*sp = (struct fl_spec){.kind = k, .checked = 1, .conf = fl_alloc(k->conf_size)};
	if (!sp->conf)
		return fl_fail(L->e, FL_ENOMEM, "out of memory");
	int rc;
	if (cfg && cfg->type == FL_NODE_MAP && k->keys &&
	    (rc = fl_doc_check_keys(cfg, k->keys, k->name, L->e)))
		return rc;
	if (cfg && cfg->type == FL_NODE_MAP && !k->keys && fl_doc_len(cfg))
		return fl_doc_errf(L->e, cfg, "spec '%s' takes no options", k->name);
	return k->configure ? k->configure(s, s->nspec - 1, cfg, L->e) : FL_OK;
}

static int read_spec_item(struct loader *L, const struct fl_node *x)
{
	const struct fl_node *name = x, *cfg = NULL;
	struct fl_node key;
	if (x->type == FL_NODE_MAP) {
		if (fl_doc_len(x) != 1)
			return fl_doc_errf(L->e, x, "write a spec with options as {name: {option: value}}");
		cfg = x->child;
		key = (struct fl_node){.type = FL_NODE_SCALAR, .str = cfg->key, .origin = cfg->origin,
				       .line = cfg->kline, .col = cfg->kcol};
		name = &key;
		int rc = fl_doc_want(cfg, FL_NODE_MAP, "spec options", L->e);
		if (rc)
			return rc;
	} else if (x->type != FL_NODE_SCALAR) {
		return fl_doc_errf(L->e, x, "a spec is a name, or {name: {options}}");
	}
	const struct fl_spec_kind *k = spec_named(L, name->str);
	return k ? add_spec(L, k, cfg, name) : unknown_spec(L, name, name->str);
}

static int select_specs(struct loader *L, const struct fl_scn_opts *o)
{
	struct fl_sys *s = L->s;
	for (int j = 0; j < o->nspecs; j++) {
		const struct fl_spec_kind *k = spec_named(L, o->specs[j]);
		if (!k)
			return unknown_spec(L, NULL, o->specs[j]);
		int rc;
		if (spec_index(s, k) < 0 && (rc = add_spec(L, k, NULL, NULL)))
			return rc;
	}
	for (int i = 0; i < s->nspec; i++) {
		s->spec[i].checked = 0;
		for (int j = 0; j < o->nspecs; j++)
			if (strcmp(s->spec[i].kind->name, o->specs[j]) == 0)
				s->spec[i].checked = 1;
	}
	return FL_OK;
}

static int read_specs(struct loader *L, const struct fl_node *root, const struct fl_scn_opts *o)
{
	const struct fl_node *list = fl_doc_get(root, "specs");
	int rc = FL_OK;
	if (list && (rc = fl_doc_want(list, FL_NODE_SEQ, "specs", L->e)))
		return rc;
	for (const struct fl_node *x = list ? list->child : NULL; x && !rc; x = x->next)
		rc = read_spec_item(L, x);
	for (int i = 0; !list && !rc && L->spec_kinds[i]; i++)
		if (!L->spec_kinds[i]->needs_options)
			rc = add_spec(L, L->spec_kinds[i], NULL, root);
	if (!rc && o && o->nspecs)
		rc = select_specs(L, o);
	for (int i = 0; i < L->s->nspec; i++)
		if (!L->s->spec[i].checked)
			L->s->spec[i].size = 0; /* an unchecked monitor keeps no state */
	return rc;
}

/* A key written with no value (`set:`), which a variant may leave empty. */
static int is_empty(const struct fl_node *n)
{
	return n && n->type == FL_NODE_SCALAR && !*n->str;
}

/* Reads one expect: map (the file's, or a variant's over it). */
static int read_expect_map(struct loader *L, const struct fl_node *ex)
{
	static const char *const verdicts[] = {"holds", "violated", NULL};
	static const char *const reach[] = {"reached", "unreachable", NULL};
	int rc;
	if ((rc = fl_doc_want(ex, FL_NODE_MAP, "expect", L->e)))
		return rc;
	for (const struct fl_node *x = ex->child; x; x = x->next) {
		const struct fl_node at = {.origin = x->origin, .line = x->kline, .col = x->kcol};
		const struct fl_spec_kind *k = spec_named(L, x->key);
		if (!k)
			return unknown_spec(L, &at, x->key);
		int i = spec_index(L->s, k), v;
		if (i < 0)
			return fl_doc_errf(L->e, &at, "expect names '%s', which specs: does not list", x->key);
		if (k->reachable) {
			if ((rc = fl_doc_enum(x, reach, &v, L->e)))
				return rc;
			L->s->spec[i].expect = v == 0 ? FL_EXPECT_REACHED : FL_EXPECT_UNREACHABLE;
			continue;
		}
		if ((rc = fl_doc_enum(x, verdicts, &v, L->e)))
			return rc;
		L->s->spec[i].expect = v == 0 ? FL_EXPECT_HOLDS : FL_EXPECT_VIOLATED;
	}
	return FL_OK;
}

static int read_expect(struct loader *L, const struct fl_node *root)
{
	const struct fl_node *ex = fl_doc_get(root, "expect");
	const struct fl_node *vex = fl_doc_get(L->variant, "expect");
	int rc = ex ? read_expect_map(L, ex) : FL_OK;
	return rc || !vex || is_empty(vex) ? rc : read_expect_map(L, vex);
}

static int add_budget(struct fl_sys *s, int inst, int fault, int farg, int permanent, struct fl_err *e)
{
	for (int i = 0; i < s->nbudget; i++) {
		struct fl_budget_entry *b = &s->budget[i];
		if (b->inst == inst && b->fault == fault && b->farg == farg)
			return b->permanent = (uint8_t)permanent, FL_OK;
	}
	struct fl_budget_entry *b = fl_realloc(s->budget, (size_t)(s->nbudget + 1) * sizeof *b);
	if (!b)
		return fl_fail(e, FL_ENOMEM, "out of memory");
	s->budget = b;
	s->budget[s->nbudget++] = (struct fl_budget_entry){(uint16_t)inst, (uint8_t)fault,
							    (uint8_t)farg, (uint8_t)permanent};
	return FL_OK;
}

/* The faults an allow entry names for kind k: a list of names, or `all`. Bit f = fault f. */
static int entry_faults(struct loader *L, const struct fl_node *fl, const struct fl_kind *k,
			unsigned *mask)
{
	int nf = 0, rc;
	while (k->faults && k->faults[nf])
		nf++;
	*mask = 0;
	if (!fl || (fl->type == FL_NODE_SCALAR && strcmp(fl->str, "all") == 0)) {
		*mask = nf ? (1u << nf) - 1 : 0;
		return FL_OK;
	}
	if ((rc = fl_doc_want(fl, FL_NODE_SEQ, "faults", L->e)))
		return rc;
	for (const struct fl_node *x = fl->child; x; x = x->next) {
		int f;
		if ((rc = fl_doc_enum(x, k->faults, &f, L->e)))
			return rc;
		*mask |= 1u << f;
	}
	return FL_OK;
}

static int allow_component(struct loader *L, const struct fl_node *entry, const struct fl_node *cn,
			   long region, int permanent)
{
	struct fl_sys *s = L->s;
	if (cn->type != FL_NODE_SCALAR)
		return fl_doc_errf(L->e, cn, "name a component");
	int first = fl_sys_find_comp(s, cn->str);
	if (first < 0 || s->inst[first].kind->internal)
		return fl_doc_errf(L->e, cn, "'%s' is not a component", cn->str);
	const struct fl_kind *k = s->inst[first].kind;
	if (!k->faults)
		return fl_doc_errf(L->e, cn, "a %s has no faults to inject", k->name);
	unsigned mask;
	int rc = entry_faults(L, fl_doc_get(entry, "faults"), k, &mask);
	int lo = 0, hi = k->per_region ? s->nregions - 1 : 0, farg = FL_ANY;
	if (region > 0 && k->per_region)
		lo = hi = (int)region - 1;
	else if (region > 0)
		farg = (int)region - 1;
	for (int f = 0; !rc && k->faults[f]; f++)
		for (int r = lo; !rc && r <= hi && (mask >> f & 1u); r++)
			rc = add_budget(s, first + (k->per_region ? r : 0), f, farg, permanent, L->e);
	return rc;
}

static int read_allow(struct loader *L, const struct fl_node *entry, int permanent)
{
	static const char *const keys[] = {"component", "components", "region", "faults", "permanent", NULL};
	int rc;
	long region = 0;
	if ((rc = fl_doc_want(entry, FL_NODE_MAP, "an allow entry", L->e)) ||
	    (rc = fl_doc_check_keys(entry, keys, "an allow entry", L->e)) ||
	    (rc = fl_doc_opt_int(entry, "region", 1, L->s->nregions, &region, L->e)) ||
	    (rc = fl_doc_opt_bool(entry, "permanent", &permanent, L->e)))
		return rc;
	const struct fl_node *one = fl_doc_get(entry, "component"), *many = fl_doc_get(entry, "components");
	if (!one == !many)
		return fl_doc_errf(L->e, entry, "an allow entry names 'component: X' or 'components: [X, Y]'");
	if (one)
		return allow_component(L, entry, one, region, permanent);
	if ((rc = fl_doc_want(many, FL_NODE_SEQ, "components", L->e)))
		return rc;
	for (const struct fl_node *c = many->child; c && !rc; c = c->next)
		rc = allow_component(L, entry, c, region, permanent);
	return rc;
}

static int read_budget(struct loader *L, const struct fl_node *root)
{
	static const char *const keys[] = {"max", "permanent", "allow", NULL};
	const struct fl_node *f = fl_doc_get(root, "faults");
	long max = 1;
	int permanent = 0, rc;
	if (!f)
		return FL_OK;
	if ((rc = fl_doc_want(f, FL_NODE_MAP, "faults", L->e)) || (rc = fl_doc_check_keys(f, keys, "faults", L->e)) ||
	    (rc = fl_doc_opt_int(f, "max", 0, 250, &max, L->e)) ||
	    (rc = fl_doc_opt_bool(f, "permanent", &permanent, L->e)))
		return rc;
	const struct fl_node *allow = fl_doc_get(f, "allow");
	if (!allow)
		return fl_doc_errf(L->e, f, "faults needs 'allow:', the list of what may fail");
	if ((rc = fl_doc_want(allow, FL_NODE_SEQ, "allow", L->e)))
		return rc;
	for (const struct fl_node *x = allow->child; x && !rc; x = x->next)
		rc = read_allow(L, x, permanent);
	L->s->budget_max = (int)max;
	return rc;
}

static int read_meta(struct loader *L, const struct fl_node *root, const char *path)
{
	const struct fl_node *n = fl_doc_get(root, "name");
	fl_doc_get(root, "description");
	L->s->name = fl_strdup(n && n->type == FL_NODE_SCALAR ? n->str : path);
	L->s->file = fl_strdup(path);
	return L->s->name && L->s->file ? FL_OK : fl_fail(L->e, FL_ENOMEM, "out of memory");
}

/* --- design variants ----------------------------------------------------------------------- */

/* Where n's key is written, for messages about the key itself. */
static struct fl_node key_at(const struct fl_node *n)
{
	return (struct fl_node){.origin = n->origin, .line = n->kline ? n->kline : n->line,
				.col = n->kline ? n->kcol : n->col};
}

static int name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

/* 1 if assignment path a (up to '=' or the end) is `variants` or goes through it. */
static int sets_variants(const char *a)
{
	return strncmp(a, "variants", 8) == 0 && (a[8] == '\0' || a[8] == '.' || a[8] == '=');
}

/* A variant's name: a scalar of 1..FL_VARIANT_NAME_MAX characters a-z, 0-9, -. at: where the
 * variant is (an empty map has no position of its own). */
static int check_variant_name(const struct fl_node *v, const struct fl_node *at, struct fl_err *e)
{
	const struct fl_node *n = fl_doc_get(v, "name");
	if (!n)
		return fl_doc_errf(e, at, "a variant needs 'name:' (a-z, 0-9 and -, e.g. name: primary-only)");
	if (n->type != FL_NODE_SCALAR || !*n->str)
		return fl_doc_errf(e, n, "'name' should be a word of a-z, 0-9 and - (e.g. primary-only)");
	size_t len = strlen(n->str);
	if (len > FL_VARIANT_NAME_MAX)
		return fl_doc_errf(e, n, "variant name '%s' is %zu characters long; at most %d", n->str,
				   len, FL_VARIANT_NAME_MAX);
	char fixed[FL_VARIANT_NAME_MAX + 1];
	int bad = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = n->str[i];
		fixed[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c && !name_char(c) ? '-' : c;
		bad |= c && !name_char(c);
	}
	if (bad)
		return fl_doc_errf(e, n, "variant name '%s' may use only a-z, 0-9 and - (e.g. '%s')",
				   n->str, fixed);
	return FL_OK;
}

/* The shape of one entry of variants: (what its set: does is checked when it is applied). */
static int check_variant(const struct fl_node *v, const struct fl_node *list, struct fl_err *e)
{
	struct fl_node at = v->line ? *v : key_at(list);
	if (v->type != FL_NODE_MAP)
		return fl_doc_errf(e, v, "a variant should be a map ({name: NAME, about: TEXT, set: {...}, "
					 "expect: {...}}), not %s",
				   v->type == FL_NODE_SEQ ? "a list" : "a single value");
	const struct fl_node *n = fl_doc_get(v, "name");
	char what[FL_VARIANT_NAME_MAX + 16] = "a variant";
	if (n && n->type == FL_NODE_SCALAR && *n->str && strlen(n->str) <= FL_VARIANT_NAME_MAX)
		snprintf(what, sizeof what, "variant '%s'", n->str);
	int rc;
	if ((rc = fl_doc_check_keys(v, variant_keys, what, e)) || (rc = check_variant_name(v, &at, e)))
		return rc;
	const struct fl_node *about = fl_doc_get(v, "about"), *set = fl_doc_get(v, "set"),
			     *ex = fl_doc_get(v, "expect");
	if (about && (about->type != FL_NODE_SCALAR || strchr(about->str, '\n')))
		return fl_doc_errf(e, about, "'about' should be one line of text");
	if (set && !is_empty(set) && set->type != FL_NODE_MAP)
		return fl_doc_errf(e, set, "'set' should be a map of path: value (e.g. {records.per_batch: 2}), "
					   "not %s",
				   set->type == FL_NODE_SEQ ? "a list" : "a single value");
	for (const struct fl_node *x = set && !is_empty(set) ? set->child : NULL; x; x = x->next) {
		if (sets_variants(x->key)) {
			struct fl_node key = key_at(x);
			return fl_doc_errf(e, &key, "a variant cannot set 'variants'");
		}
	}
	if (ex && !is_empty(ex) && ex->type != FL_NODE_MAP)
		return fl_doc_errf(e, ex, "'expect' should be a map of spec: holds or violated (e.g. "
					  "{delivery: holds}), not %s",
				   ex->type == FL_NODE_SEQ ? "a list" : "a single value");
	return FL_OK;
}

/* Checks the shape of the file's variants: list, if it has one. */
static int check_variants(const struct fl_doc *d, struct fl_err *e)
{
	const struct fl_node *list = fl_doc_get(d->root, "variants");
	if (!list)
		return FL_OK;
	if (list->type != FL_NODE_SEQ)
		return fl_doc_errf(e, list, "variants should be a list, one '- name: NAME' item per variant, "
					    "not %s",
				   list->type == FL_NODE_MAP ? "a map" : "a single value");
	if (!list->child)
		return fl_doc_errf(e, list, "variants lists no variant; add '- name: NAME' items or remove it");
	if (fl_doc_len(list) > FL_MAX_VARIANTS)
		return fl_doc_errf(e, list, "%d variants; at most %d", fl_doc_len(list), FL_MAX_VARIANTS);
	int rc;
	for (const struct fl_node *v = list->child; v; v = v->next) {
		if ((rc = check_variant(v, list, e)))
			return rc;
		const struct fl_node *n = fl_doc_get(v, "name");
		for (const struct fl_node *w = list->child; w != v; w = w->next) {
			const struct fl_node *m = fl_doc_get(w, "name");
			if (strcmp(m->str, n->str) == 0)
				return fl_doc_errf(e, n, "a second variant is named '%s' (the first is at line "
							 "%d); names must be unique in the file",
						   n->str, m->line);
		}
	}
	return FL_OK;
}

/* The entry of variants: called name (checked already), or an error naming the option. */
static int find_variant(const struct fl_doc *d, const char *name, const struct fl_node **out,
			struct fl_err *e)
{
	const struct fl_node *list = fl_doc_get(d->root, "variants");
	if (!list)
		return fl_fail(e, FL_EINPUT, "--variant %s: %s has no variants: section", name, d->path);
	const char *names[FL_MAX_VARIANTS + 1];
	char all[512] = "";
	int n = 0;
	for (const struct fl_node *v = list->child; v; v = v->next) {
		names[n++] = fl_doc_get(v, "name")->str;
		if (strcmp(names[n - 1], name) == 0)
			return *out = v, FL_OK;
		snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", n > 1 ? ", " : "",
			 names[n - 1]);
	}
	names[n] = NULL;
	const char *hint = fl_suggest(name, names);
	if (hint)
		return fl_fail(e, FL_EINPUT, "--variant %s: %s has no variant '%s' (did you mean '%s'?)",
			       name, d->path, name, hint);
	return fl_fail(e, FL_EINPUT, "--variant %s: %s has no variant '%s'; its variants: %s", name,
		       d->path, name, all);
}

/* Applies the variant's set: overrides to the document, in order. */
static int apply_variant(struct fl_doc *d, const struct fl_node *v, struct fl_err *e)
{
	const struct fl_node *set = fl_doc_get(v, "set");
	int rc = FL_OK;
	for (const struct fl_node *x = set && !is_empty(set) ? set->child : NULL; x && !rc; x = x->next) {
		struct fl_node at = key_at(x);
		rc = fl_doc_set_node(d, x->key, x, &at, e);
	}
	return rc;
}

/* Edits d as o asks: the variant's overrides, then the command line's. L->variant is set. */
static int apply_options(struct loader *L, struct fl_doc *d, const struct fl_scn_opts *o)
{
	int rc = check_variants(d, L->e);
	if (!rc && o && o->variant && *o->variant && !(rc = find_variant(d, o->variant, &L->variant, L->e)))
		rc = apply_variant(d, L->variant, L->e);
	for (int i = 0; !rc && o && i < o->nsets; i++)
		rc = sets_variants(o->sets[i])
			     ? fl_fail(L->e, FL_EINPUT, "--set %s: variants cannot be changed by --set; "
							"choose them with --variant NAME",
				       o->sets[i])
			     : fl_doc_set(d, o->sets[i], L->e);
	return rc;
}

static int build(struct loader *L, struct fl_doc *d, const char *path, const struct fl_scn_opts *o)
{
	const struct fl_node *root = d->root;
	int rc;
	if ((rc = fl_doc_check_keys(root, top_keys, "the scenario", L->e)) || (rc = read_meta(L, root, path)) ||
	    (rc = read_regions(L, root)) || (rc = read_records(L, root)) ||
	    (rc = read_components(L, root)) || (rc = configure_all(L, root)) ||
	    (rc = read_specs(L, root, o)) || (rc = read_budget(L, root)) || (rc = read_expect(L, root)))
		return rc;
	fl_sys_layout(L->s);
	for (int i = 0; i < L->s->ninst; i++)
		L->s->inst[i].node = NULL; /* the document is freed after loading */
	return FL_OK;
}

int fl_scn_load(const char *path, const struct fl_scn_opts *o, const struct fl_kind *const *kinds,
		const struct fl_spec_kind *const *spec_kinds, struct fl_sys *s, struct fl_err *e)
{
	struct fl_doc d;
	struct loader L = {s, kinds, spec_kinds, e, NULL};
	*s = (struct fl_sys){0};
	int rc = fl_doc_load(&d, path, e);
	if (rc == FL_OK)
		rc = apply_options(&L, &d, o);
	if (rc == FL_OK)
		rc = build(&L, &d, path, o);
	fl_doc_free(&d);
	if (rc != FL_OK)
		fl_sys_free(s);
	return rc;
}

void fl_scn_variants_free(struct fl_scn_variant *v, int n)
{
	for (int i = 0; v && i < n; i++) {
		fl_free(v[i].name);
		fl_free(v[i].about);
		fl_free(v[i].sets);
	}
	fl_free(v);
}

/* Fills one list entry from variant node x. */
static int describe_variant(const struct fl_node *x, struct fl_scn_variant *v, struct fl_err *e)
{
	const struct fl_node *about = fl_doc_get(x, "about"), *set = fl_doc_get(x, "set");
	struct fl_buf b = {0};
	for (const struct fl_node *c = set && !is_empty(set) ? set->child : NULL; c; c = c->next) {
		fl_buf_printf(&b, "%s%s=", c == set->child ? "" : ", ", c->key);
		fl_doc_text(c, &b);
	}
	v->name = fl_strdup(fl_doc_get(x, "name")->str);
	v->about = about && *about->str ? fl_strdup(about->str) : NULL;
	v->sets = b.oom ? NULL : fl_strdup(fl_buf_str(&b));
	fl_buf_fini(&b);
	if (!v->name || !v->sets || (about && *about->str && !v->about))
		return fl_fail(e, FL_ENOMEM, "out of memory");
	return FL_OK;
}

int fl_scn_variants(const char *path, struct fl_scn_variant **out, int *n, struct fl_err *e)
{
	struct fl_doc d;
	*out = NULL;
	*n = 0;
	int rc = fl_doc_load(&d, path, e);
	if (rc == FL_OK)
		rc = check_variants(&d, e);
	const struct fl_node *list = rc ? NULL : fl_doc_get(d.root, "variants");
	int k = fl_doc_len(list);
	struct fl_scn_variant *v = k ? fl_alloc((size_t)k * sizeof *v) : NULL;
	if (k && !v)
		rc = fl_fail(e, FL_ENOMEM, "out of memory");
	int i = 0;
	for (const struct fl_node *x = v ? list->child : NULL; x && !rc; x = x->next)
		rc = describe_variant(x, &v[i++], e);
	fl_doc_free(&d);
	if (rc != FL_OK) {
		fl_scn_variants_free(v, k);
		return rc;
	}
	*out = v;
	*n = k;
	return FL_OK;
}

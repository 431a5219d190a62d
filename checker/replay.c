/*
 * replay.c - reading a trace file back and following it on a freshly built system (see
 * replay.h). Positions in messages come from the document tree, so a hand-edited trace that
 * breaks is reported as file:line:col.
 */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

/* A scalar's text; NULL for a JSON null or a collection. */
static const char *text_of(const struct fl_node *n)
{
	if (!n || n->type != FL_NODE_SCALAR || !strcmp(n->str, "null"))
		return NULL;
	return n->str;
}

/* A list of strings at key (absent or null: none) into a new array. */
static int read_strings(const struct fl_node *obj, const char *key, const char ***out, int *n,
			struct fl_err *e)
{
	const struct fl_node *l = fl_doc_get(obj, key);
	*out = NULL;
	*n = 0;
	if (!l || (!text_of(l) && l->type == FL_NODE_SCALAR))
		return FL_OK;
	int rc = fl_doc_want(l, FL_NODE_SEQ, key, e);
	if (rc)
		return rc;
	*out = fl_alloc(((size_t)fl_doc_len(l) + 1) * sizeof **out);
	if (!*out)
		return fl_fail(e, FL_ENOMEM, "out of memory");
	for (const struct fl_node *x = l->child; x; x = x->next) {
		if (!text_of(x))
			return fl_doc_errf(e, x, "%s: expected a list of strings", key);
		(*out)[(*n)++] = x->str;
	}
	return FL_OK;
}

static int add_trace(struct fl_replay_file *f, const struct fl_node *n, struct fl_err *e)
{
	const char *format = text_of(fl_doc_get(n, "format"));
	const struct fl_node *version = fl_doc_get(n, "version");
	if (format && strcmp(format, "faultline-trace"))
		return fl_doc_errf(e, fl_doc_get(n, "format"), "not a faultline trace (format '%s')", format);
	if (version && text_of(version) && strcmp(version->str, "1"))
		return fl_doc_errf(e, version, "trace format version %s; this faultline reads version 1",
				   version->str);
	const char *spec = text_of(fl_doc_get(n, "spec"));
	if (!spec)
		return fl_doc_errf(e, n, "a trace needs its \"spec\"");
	struct fl_replay *t = fl_realloc(f->t, (size_t)(f->n + 1) * sizeof *t);
	if (!t)
		return fl_fail(e, FL_ENOMEM, "out of memory");
	f->t = t;
	t = &f->t[f->n++];
	*t = (struct fl_replay){.node = n, .spec = spec,
				.variant = text_of(fl_doc_get(n, "variant"))};
	int rc = read_strings(n, "sets", &t->sets, &t->nsets, e);
	return rc ? rc : read_strings(n, "only_specs", &t->specs, &t->nspecs, e);
}

/* Every trace object in n: a trace, {"traces": [...]}, or {"variants": [{"traces": ...}]}. */
static int collect(struct fl_replay_file *f, const struct fl_node *n, struct fl_err *e)
{
	const struct fl_node *l;
	int rc = FL_OK;
	if (n->type == FL_NODE_MAP && fl_doc_get(n, "steps"))
		return add_trace(f, n, e);
	if (n->type == FL_NODE_MAP && (l = fl_doc_get(n, "traces")) != NULL) {
		if ((rc = fl_doc_want(l, FL_NODE_SEQ, "traces", e)))
			return rc;
		for (const struct fl_node *x = l->child; x && !rc; x = x->next)
			rc = collect(f, x, e);
		return rc;
	}
	if (n->type == FL_NODE_MAP && (l = fl_doc_get(n, "variants")) != NULL) {
		if ((rc = fl_doc_want(l, FL_NODE_SEQ, "variants", e)))
			return rc;
		for (const struct fl_node *x = l->child; x && !rc; x = x->next)
			if (x->type == FL_NODE_MAP && fl_doc_get(x, "traces"))
				rc = collect(f, x, e);
		return rc;
	}
	return fl_doc_errf(e, n, "not a faultline trace: expected \"steps\", \"traces\" or \"variants\"");
}

int fl_replay_read(const char *path, struct fl_replay_file *f, struct fl_err *e)
{
	*f = (struct fl_replay_file){0};
	FILE *in = fopen(path, "r");
	if (!in)
		return fl_fail(e, FL_EINPUT, "%s: cannot open the trace file", path);
	fclose(in);
	int rc = fl_doc_load(&f->doc, path, e);
	if (rc == FL_OK)
		rc = collect(f, f->doc.root, e);
	if (rc == FL_OK && !f->n)
		rc = fl_fail(e, FL_EINPUT, "%s: the file holds no trace (no spec was violated)", path);
	if (rc != FL_OK)
		fl_replay_free(f);
	return rc;
}

void fl_replay_free(struct fl_replay_file *f)
{
	for (int i = 0; i < f->n; i++) {
		fl_free(f->t[i].sets);
		fl_free(f->t[i].specs);
	}
	fl_free(f->t);
	fl_doc_free(&f->doc);
	*f = (struct fl_replay_file){0};
}

struct fl_scn_opts fl_replay_opts(const struct fl_replay *rt)
{
	return (struct fl_scn_opts){rt->sets, rt->nsets, rt->specs, rt->nspecs, rt->variant};
}

/* ---- following -------------------------------------------------------------------------- */

static int spec_of(const struct fl_sys *s, const struct fl_replay *rt, struct fl_err *e)
{
	for (int i = 0; i < s->nspec; i++)
		if (!strcmp(s->spec[i].kind->name, rt->spec) && s->spec[i].checked)
			return i;
	return fl_doc_errf(e, fl_doc_get(rt->node, "spec"), "the scenario does not check spec '%s'",
			   rt->spec);
}

static int read_field(const struct fl_node *raw, const char *key, long hi, long *v,
		      struct fl_err *e)
{
	const struct fl_node *x = fl_doc_get(raw, key);
	if (!x)
		return fl_doc_errf(e, raw, "a step's \"raw\" needs \"%s\"", key);
	return fl_doc_int(x, 0, hi, v, e);
}

/* The raw step of a step object. */
static int read_step(const struct fl_sys *s, const struct fl_node *x, struct fl_step *st,
		     struct fl_err *e)
{
	const struct fl_node *raw = fl_doc_get(x, "raw");
	long inst = 0, target = 0, cls = 0, action = 0, arg = 0, fault = 0, farg = 0;
	if (!raw || raw->type != FL_NODE_MAP)
		return fl_doc_errf(e, x, "a step needs its \"raw\" fields");
	int rc = read_field(raw, "inst", s->ninst - 1, &inst, e);
	rc = rc ? rc : read_field(raw, "target", s->ninst - 1, &target, e);
	rc = rc ? rc : read_field(raw, "cls", FL_TIMEOUT, &cls, e);
	rc = rc ? rc : read_field(raw, "action", 255, &action, e);
	rc = rc ? rc : read_field(raw, "arg", 255, &arg, e);
	rc = rc ? rc : read_field(raw, "fault", 255, &fault, e);
	rc = rc ? rc : read_field(raw, "farg", 255, &farg, e);
	*st = (struct fl_step){.inst = (uint16_t)inst, .target = (uint16_t)target, .cls = (uint8_t)cls,
			       .action = (uint8_t)action, .arg = (uint8_t)arg, .fault = (uint8_t)fault,
			       .farg = (uint8_t)farg};
	return rc;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes the recorded state at key into v (s->width bytes); 0 if absent or malformed. */
static int recorded_state(const struct fl_sys *s, const struct fl_node *obj, const char *key,
			  uint8_t *v)
{
	const char *h = text_of(fl_doc_get(obj, key));
	if (!h || strlen(h) != 2 * s->width)
		return 0;
	for (size_t i = 0; i < s->width; i++) {
		int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		v[i] = (uint8_t)(hi * 16 + lo);
	}
	return 1;
}

/* Names the first part of the state that differs between now and was (recorded). */
static int state_differs(const struct fl_sys *s, const uint8_t *now, const uint8_t *was,
			 const char *where, struct fl_err *e)
{
	for (int i = 0; i < s->ninst; i++) {
		const struct fl_inst *in = &s->inst[i];
		if (!memcmp(now + in->off, was + in->off, in->size))
			continue;
		struct fl_buf a = {0}, b = {0};
		fl_sys_describe(s, now, i, &a);
		fl_sys_describe(s, was, i, &b);
		fl_fail(e, FL_EINPUT, "%s: %s is now \"%s\"; the trace recorded \"%s\"", where, in->name,
			fl_buf_str(&a), fl_buf_str(&b));
		fl_buf_fini(&a);
		fl_buf_fini(&b);
		return 1;
	}
	if (memcmp(now, was, s->width))
		return fl_fail(e, FL_EINPUT, "%s: the state differs from the recorded one (fault count "
					     "or a spec monitor's state)", where), 1;
	return 0;
}

struct follow {
	const struct fl_sys *s;
	uint8_t *a, *b, *was;
	struct fl_step *buf;
	struct fl_buf text;
};

static int follow_step(struct follow *F, const struct fl_node *x, int k, struct fl_step *st,
		       struct fl_err *e)
{
	const struct fl_sys *s = F->s;
	const char *said = text_of(fl_doc_get(x, "action"));
	int rc = read_step(s, x, st, e);
	if (rc)
		return rc;
	int on = fl_trace_enabled(s, F->a, st, F->b, F->buf);
	int n = fl_sys_steps(s, F->a, F->buf, FL_MAX_STEPS);
	fl_buf_reset(&F->text);
	fl_sys_step_name(s, F->a, st, &F->text);
	const char *who = s->inst[st->inst].name;
	if (!on) {
		struct fl_buf can = {0};
		for (int i = 0, m = 0; i < n && m < 3; i++) {
			if (F->buf[i].inst != st->inst)
				continue;
			fl_buf_printf(&can, "%s\"", m++ ? ", " : "; it can now: ");
			fl_sys_step_name(s, F->a, &F->buf[i], &can);
			fl_buf_puts(&can, "\"");
		}
		rc = fl_doc_errf(e, x, "step %d diverges: %s cannot \"%s\" here (the step is not "
				       "enabled)%s", k + 1, who, said ? said : fl_buf_str(&F->text),
				 fl_buf_str(&can));
		fl_buf_fini(&can);
		return rc;
	}
	if (said && strcmp(said, fl_buf_str(&F->text)))
		return fl_doc_errf(e, x, "step %d diverges: the trace says %s \"%s\"; the model now says "
					 "\"%s\"", k + 1, who, said, fl_buf_str(&F->text));
	if (fl_sys_apply(s, F->a, F->b, st, 0, NULL).status != FL_OK)
		return fl_doc_errf(e, x, "step %d diverges: %s \"%s\" exceeds a model bound", k + 1, who,
				   fl_buf_str(&F->text));
	memcpy(F->a, F->b, s->width);
	char where[64];
	snprintf(where, sizeof where, "step %d diverges", k + 1);
	if (recorded_state(s, x, "state", F->was) && state_differs(s, F->a, F->was, where, e))
		return FL_EINPUT;
	return FL_OK;
}

/* The steps, states and shape (loop, at rest) of rt into t. */
static int follow_all(struct follow *F, const struct fl_replay *rt, struct fl_trace *t,
		      struct fl_err *e)
{
	const struct fl_sys *s = F->s;
	const struct fl_node *steps = fl_doc_get(rt->node, "steps"), *bytes;
	int rc = fl_doc_want(steps, FL_NODE_SEQ, "steps", e);
	if (rc)
		return rc;
	if ((bytes = fl_doc_get(rt->node, "state_vector_bytes")) && text_of(bytes) &&
	    strtoul(bytes->str, NULL, 10) != s->width)
		return fl_doc_errf(e, bytes, "the trace's states are %s bytes, this system's %zu: the "
					     "scenario or the model changed since it was written",
				   bytes->str, s->width);
	t->steps = fl_alloc(((size_t)fl_doc_len(steps) + 1) * sizeof *t->steps);
	if (!t->steps)
		return fl_fail(e, FL_ENOMEM, "out of memory");
	fl_sys_init_state(s, F->a);
	if (recorded_state(s, rt->node, "initial_state", F->was) &&
	    state_differs(s, F->a, F->was, "the initial state diverges", e))
		return FL_EINPUT;
	for (const struct fl_node *x = steps->child; x && rc == FL_OK; x = x->next, t->n++)
		rc = follow_step(F, x, t->n, &t->steps[t->n], e);
	const struct fl_node *loop = fl_doc_get(rt->node, "loop_start");
	const struct fl_node *rest = fl_doc_get(rt->node, "ends_at_rest");
	long l = 0;
	if (rc == FL_OK && loop && text_of(loop) && (rc = fl_doc_int(loop, 1, t->n, &l, e)) == FL_OK)
		t->loop = (int)l - 1;
	if (rc == FL_OK && rest)
		rc = fl_doc_bool(rest, &t->at_rest, e);
	return rc;
}

int fl_replay_follow(const struct fl_sys *s, const struct fl_replay *rt, struct fl_trace *t,
		     struct fl_err *e)
{
	*t = (struct fl_trace){.loop = -1};
	struct follow F = {s, fl_alloc(s->width), fl_alloc(s->width), fl_alloc(s->width),
			   fl_alloc(FL_MAX_STEPS * sizeof *F.buf), {0}};
	int rc = F.a && F.b && F.was && F.buf ? FL_OK : fl_fail(e, FL_ENOMEM, "out of memory");
	if (rc == FL_OK)
		rc = (t->spec = spec_of(s, rt, e)) < 0 ? FL_EINPUT : FL_OK;
	if (rc == FL_OK)
		rc = follow_all(&F, rt, t, e);
	struct fl_buf why = {0};
	struct fl_err ce = {0};
	if (rc == FL_OK && (rc = fl_trace_check(s, t, &why, &ce)) != FL_OK) {
		const char *m = strncmp(ce.msg, "trace replay: ", 14) ? ce.msg : ce.msg + 14;
		rc = rc == FL_ENOMEM ? fl_fail(e, rc, "out of memory")
				     : fl_fail(e, FL_EINPUT, "every step matches, but at the end the "
							     "spec is not broken as recorded: %s", m);
	}
	if (rc == FL_OK) {
		const char *recorded = text_of(fl_doc_get(rt->node, "why"));
		t->why = fl_strdup(why.len ? fl_buf_str(&why) : recorded ? recorded : "");
		rc = t->why ? FL_OK : fl_fail(e, FL_ENOMEM, "out of memory");
	}
	fl_buf_fini(&why);
	fl_buf_fini(&F.text);
	fl_free(F.a);
	fl_free(F.b);
	fl_free(F.was);
	fl_free(F.buf);
	return rc;
}

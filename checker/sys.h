/*
 * sys.h - a system: component instances laid out in one state vector, the spec monitors that
 * watch it, and the fault budget. This is the only contract between the explorer and the
 * domain: the explorer asks for a state size, the enabled steps of a state, the successor of a
 * step and the verdicts of the monitors; it never names a queue or a container.
 *
 * State vector layout: [header: faults used (1 byte)][instance slices...][spec slices...].
 * Every slice is a padding-free struct of fixed-width integers (plus arrays of them sized at
 * load time), zeroed before init, hashed and compared as bytes.
 *
 * Steps come in three classes: NORMAL (a component's own action, a script phase, the recovery
 * of a transient fault), FAULT (charged against the budget), TIMEOUT (only taken where no
 * normal step changes the state, like SPIN's `timeout`).
 */
#ifndef FL_SYS_H
#define FL_SYS_H

#include "doc.h"
#include "fl.h"

#include <stddef.h>
#include <stdint.h>

#define FL_MAX_STEPS 1024   /* enabled steps of one state, all instances together */
#define FL_MAX_EVENTS 8     /* events one step may emit */
#define FL_MAX_SPECS 32     /* specs are tracked in a 32-bit mask */
#define FL_MAX_REGIONS 4
#define FL_MAX_RECORDS 250  /* record ids are 1..250 and fit a byte; 0 means none */
#define FL_ANY 0xFF         /* fault argument: any region */

enum fl_step_class { FL_NORMAL = 0, FL_FAULT = 1, FL_TIMEOUT = 2 };

/* Who put a component into a failed state; decides how it may come back. */
enum fl_origin {
	FL_UP = 0,          /* not failed */
	FL_BY_SCRIPT = 1,   /* a script phase failed it: only a script phase recovers it */
	FL_TRANSIENT = 2,   /* a budget fault: recovery is a normal step (it ends eventually) */
	FL_PERMANENT = 3,   /* a permanent budget fault: it never recovers */
	FL_BY_CALL = 4      /* the component hit a failed dependency (kinds decide the way back) */
};

/* Budget faults are injected by the system with this action on the target instance. */
#define FL_ACT_INJECT 0xFF

struct fl_step {
	uint16_t inst;   /* instance that acts */
	uint16_t target; /* FAULT: instance the fault is charged to (inst for injected faults) */
	uint8_t cls;     /* enum fl_step_class */
	uint8_t action;  /* kind-specific, or FL_ACT_INJECT */
	uint8_t arg;     /* kind-specific (a region, a queue, a phase ...) */
	uint8_t fault;   /* FAULT: index into the target kind's fault names */
	uint8_t farg;    /* FAULT: 0-based region the fault concerns, or FL_ANY */
	uint8_t pad[3];  /* always zero: steps are stored and compared as bytes */
};
_Static_assert(sizeof(struct fl_step) == 12, "fl_step must stay padding-free");

/* What a step did, for the spec monitors. Types are defined by the model (model/model.h). */
struct fl_event {
	uint8_t type;
	uint8_t region; /* 0-based, or FL_ANY */
	uint16_t inst;  /* instance the event is about */
	uint16_t rec;   /* record id, 0 if none */
	uint16_t other; /* a second instance or a flag, event-specific */
};

struct fl_events {
	int n;
	int overflow;
	struct fl_event e[FL_MAX_EVENTS];
};

struct fl_sys;

/* One per component kind, in model/. All callbacks receive the instance index `self`. */
struct fl_kind {
	const char *name;            /* as written in scenarios: "queue", "container", ... */
	const char *summary;         /* one line for `faultline kinds` and docs */
	int per_region;              /* 1: one instance per region; 0: one global instance */
	int internal;                /* 1: created by the loader, not listed under components */
	const char *const *keys;     /* configuration keys it accepts (NULL-terminated) */
	const char *const *faults;   /* fault names it can suffer (NULL-terminated, may be NULL) */
	unsigned fault_needs_region; /* bit f: fault f concerns one region (farg) */
	unsigned fault_during_call;  /* bit f: fault f strikes a caller's call (a lost response):
					the caller's kind offers it as a FAULT step; it is never
					injected on its own or by a script */
	const char *const *metrics;  /* names usable in `await` conditions (NULL-terminated) */
	size_t conf_size;            /* bytes of its configuration struct */
	const void *role;            /* what the domain's kinds offer one another (a database, a
					stream ...); opaque to the explorer, which never reads it */
	/* Names of its NORMAL/TIMEOUT step actions, indexed by fl_step.action (NULL-terminated,
	 * at most 64; NULL: none or named by action_name), for coverage warnings. */
	const char *const *actions;

	/* Reads options and wiring from cfg, sets s->inst[self].size. All instances exist; kinds
	 * are configured in the order of the kind table, so this may read the configuration of
	 * instances of kinds listed before its own. */
	int (*configure)(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e);
	void (*init)(const struct fl_sys *s, uint8_t *v, int self);
	/* Appends enabled steps (any class) to out; returns how many, at most max. */
	int (*steps)(const struct fl_sys *s, const uint8_t *v, int self, struct fl_step *out, int max);
	/* Applies a step of this instance. Returns FL_OK or FL_EBOUND (a model bound was hit). */
	int (*apply)(const struct fl_sys *s, uint8_t *v, const struct fl_step *st,
		     struct fl_events *ev);
	/* Puts the instance into failed state `fault` (region farg), by origin. May be a no-op. */
	int (*inject)(const struct fl_sys *s, uint8_t *v, int self, int fault, int farg, int origin,
		      struct fl_events *ev);
	/* A script phase recovers every fault of this instance. */
	void (*recover)(const struct fl_sys *s, uint8_t *v, int self, struct fl_events *ev);
	long (*metric)(const struct fl_sys *s, const uint8_t *v, int self, int metric);
	/* One-line summary of the instance's state, for traces. */
	void (*describe)(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b);
	/* What step st does from state v, e.g. "writes record 3 to inbound-table (region 1)". */
	void (*step_name)(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
			  struct fl_buf *b);
	/* Coverage (optional): the actions (bit a = fl_step.action a) instance self can ever
	 * take in this system, judged from its configuration, wiring and the fault budget; called
	 * after loading. NULL: every named action. Leave out what is unsure: a bit set here is a
	 * warning when the search never finds that action enabled. */
	uint64_t (*possible)(const struct fl_sys *s, int self);
	/* Coverage (optional): names action a of instance self ("phase 3 (recover x[1])").
	 * NULL: actions[a]. */
	void (*action_name)(const struct fl_sys *s, int self, int a, struct fl_buf *b);
};

struct fl_inst {
	const struct fl_kind *kind;
	char *name;           /* display name: "inbound-queue[1]", or "inbound-table" */
	char *comp;           /* component name as in the scenario: "inbound-queue" */
	int region;           /* 0-based region, or -1 for a global instance */
	size_t off, size;     /* slice of the state vector */
	void *conf;           /* kind->conf_size bytes, owned by the system */
	const struct fl_node *node;
};

/* One per spec, in specs/. */
struct fl_spec_kind {
	const char *name;        /* "delivery", as written in scenarios, traces and JSON */
	const char *summary;     /* what it promises, one sentence */
	int eventually;          /* 1: judged on states at rest; 0: a safety invariant */
	const char *const *keys; /* options it accepts when written as a map (NULL-terminated) */
	size_t conf_size;
	int (*configure)(struct fl_sys *s, int self, const struct fl_node *cfg, struct fl_err *e);
	void (*init)(const struct fl_sys *s, uint8_t *v, int self);
	/* Safety: sees a step's events and the successor state (its slice may be updated).
	 * Returns 1 and writes one sentence to why when the step breaks the spec. Every why
	 * (this, at_rest's) names the records it is about as "record N": traces follow them. */
	int (*on_events)(const struct fl_sys *s, uint8_t *v, int self, const struct fl_events *ev,
			 struct fl_buf *why);
	/* Eventually: called on states where nothing more can happen; 1 = violated. */
	int (*at_rest)(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *why);
	/* 1: judged on cycles: after an exhaustive search the explorer looks for a reachable,
	 * weakly fair cycle of normal/timeout steps none of which is progress (see cycles.h). */
	int cycles;
	/* cycles specs: 1 if a step with these events makes progress. */
	int (*progress)(const struct fl_sys *s, const struct fl_events *ev);
	/* Optional: the monitor's slice of v as one line, for traces ("last delivered: 2"). */
	void (*describe)(const struct fl_sys *s, const uint8_t *v, int self, struct fl_buf *b);
	/* Safety: bit t = event type t can make on_events report (0: unknown, never called
	 * vacuous); watch_what says what they are ("a remove"), for the coverage warning that
	 * none of them ever occurred. */
	uint32_t watches;
	const char *watch_what;
	/* 1: a reachable spec (TLC's _POSSIBLE): on_events returning 1 means the situation it
	 * looks for occurred; found is good (`reached`), never found in a complete search fails
	 * (`unreachable`). The search records it like a violation, so it gets a witness trace. */
	int reachable;
	/* 1: written only with options (the loader does not add it when specs: is absent). */
	int needs_options;
};

/* For a reachable spec, VIOLATED means the monitor fired (reached), HOLDS that it never did
 * (unreachable). */
enum fl_expect { FL_EXPECT_NONE = 0, FL_EXPECT_HOLDS = 1, FL_EXPECT_VIOLATED = 2,
		 FL_EXPECT_UNREACHABLE = FL_EXPECT_HOLDS, FL_EXPECT_REACHED = FL_EXPECT_VIOLATED };

struct fl_spec {
	const struct fl_spec_kind *kind;
	size_t off, size;
	void *conf;
	int expect;      /* enum fl_expect, from the scenario's `expect` */
	int checked;     /* 0 when --spec left it out */
};

struct fl_budget_entry {
	uint16_t inst;
	uint8_t fault;
	uint8_t farg;    /* region or FL_ANY */
	uint8_t permanent;
};

struct fl_sys {
	char *name;                  /* the scenario's name */
	char *file;                  /* where it was read from */
	int nregions;
	int nrecords;                /* record ids 1..nrecords */
	int nbatches;
	int batch_end[FL_MAX_RECORDS + 1]; /* batch b (1-based) holds ids batch_end[b-1]+1..batch_end[b] */

	struct fl_inst *inst;
	int ninst;
	struct fl_spec *spec;
	int nspec;

	struct fl_budget_entry *budget;
	int nbudget;
	int budget_max;              /* at most this many FAULT steps on any path */

	size_t width;                /* bytes of a state vector */
};

/* Byte offset of the faults-used counter in the header. */
#define FL_HDR_FAULTS 0
#define FL_HDR_SIZE 1

/* Frees everything the system owns. */
void fl_sys_free(struct fl_sys *s);

/* Assigns slice offsets and computes s->width; call after every configure. */
void fl_sys_layout(struct fl_sys *s);

/* Writes the initial state into v (s->width bytes). */
void fl_sys_init_state(const struct fl_sys *s, uint8_t *v);

/* Fills out with every enabled step (FAULT steps only within the budget); returns the count,
 * or FL_EINTERNAL when more than max steps are enabled. */
int fl_sys_steps(const struct fl_sys *s, const uint8_t *v, struct fl_step *out, int max);

struct fl_outcome {
	int status;         /* FL_OK, or FL_EBOUND when the successor exceeds a model bound */
	uint32_t violated;  /* specs (bit i = s->spec[i]) this step broke, among those in `active` */
	int overflow;       /* the step emitted more events than FL_MAX_EVENTS */
};

/*
 * Computes the successor of `from` by st into `to` (both s->width bytes; may not alias) and
 * runs the safety monitors in `active` on the step's events. why[i] receives the reason for
 * each violated spec i (why may be NULL when nothing is active).
 */
struct fl_outcome fl_sys_apply(const struct fl_sys *s, const uint8_t *from, uint8_t *to,
			       const struct fl_step *st, uint32_t active, struct fl_buf *why);

/* fl_sys_apply that also hands back the step's events in *ev (the cycle search asks a cycles
 * spec whether they are progress). */
struct fl_outcome fl_sys_apply_events(const struct fl_sys *s, const uint8_t *from, uint8_t *to,
				      const struct fl_step *st, uint32_t active, struct fl_buf *why,
				      struct fl_events *ev);

/* Runs the eventually-specs in `active` on a state at rest; returns the violated mask. */
uint32_t fl_sys_at_rest(const struct fl_sys *s, const uint8_t *v, uint32_t active,
			struct fl_buf *why);

/* Mask of the specs that are checked (not filtered out by --spec). */
uint32_t fl_sys_checked_mask(const struct fl_sys *s);

/* What step st does from v, for people: "writes record 3 to inbound-table (region 1)"; the
 * acting instance (s->inst[st->inst].name) is not repeated in the text. */
void fl_sys_step_name(const struct fl_sys *s, const uint8_t *v, const struct fl_step *st,
		      struct fl_buf *b);

/* Instance i's slice of v as one line. */
void fl_sys_describe(const struct fl_sys *s, const uint8_t *v, int i, struct fl_buf *b);

/* First instance of the component named `comp`, or -1. */
int fl_sys_find_comp(const struct fl_sys *s, const char *comp);

/* The instance of component `first` (its first instance) for region r; first itself if global. */
int fl_sys_comp_region(const struct fl_sys *s, int first, int region);

/* Appends an event (counts an overflow instead of writing past the end). */
void fl_event_add(struct fl_events *ev, int type, int region, int inst, int rec, int other);

/* Region label for people: regions are numbered from 1. */
static inline int fl_region_label(int r) { return r + 1; }

#endif

/*
 * pipeline.pml - the active-active pipeline of bench/pipeline.sh in Promela, for SPIN.
 *
 *   spin -DRECORDS=6 -DSTAGES=2 -DFAULTS=1 [-DPERMANENT=1] -a test/bench/pipeline.pml
 *
 * Two regions (index 0 is faultline's region 1); a source publishing RECORDS records (one
 * batch) through a weighted in-DNS (either region); STAGES stages, each queue q(k-1) ->
 * container c(k) -> global table t(k) -> queue q(k); a destination reading both regions'
 * q(STAGES). A fault budget of FAULTS faults among the region-1 queues (outage) and
 * containers (crash): transient, or permanent with -DPERMANENT=1.
 *
 * Each faultline step is one d_step here, so the interleavings are the same, and every
 * process waits at the head of its do loop between steps, so program counters add no states:
 * SPIN's states are faultline's states (docs/benchmarks.md has the correspondence).
 * Rules that keep it so:
 *  - a step is enabled exactly when faultline's step would change the state (faultline does
 *    not store or count stutters: a send to a queue that is out is no step here);
 *  - faultline's timeout steps (a container restarted after a failed call) are taken only
 *    where no normal step is enabled, whatever fault steps are: SPIN's `timeout` would also
 *    wait for the fault steps, so the model keeps the flag normal_on instead, recomputed at
 *    the end of every step (a function of the rest of the state: it splits no state);
 *  - "at rest" (no normal and no timeout step) is where delivery is judged, like faultline's
 *    eventually-specs: asserted at the end of every step that ends at rest.
 * Properties: correctness (a container removes only what it stored: an assert at the
 * remove), no-duplicates (the destination never receives a record twice: an assert at the
 * receive), delivery (at rest: every published record is in every replica of every table
 * and at the destination, and the script ran to its end). Run pan with -c0 so the search goes
 * on after a violation, like faultline's (the state count is then the whole space).
 */
#ifndef RECORDS
#define RECORDS 2
#endif
#ifndef STAGES
#define STAGES 2
#endif
#ifndef FAULTS
#define FAULTS 1
#endif
#ifndef PERMANENT
#define PERMANENT 0
#endif

#define R  RECORDS
#define S  STAGES
#define NQ ((S + 1) * 2)          /* queue q(k) of region r: index k*2 + r */
#define NC (S * 2)                /* container c(k) of region r: (k-1)*2 + r; also its table copy */
#if 2 * RECORDS < 4               /* faultline's default capacity: max(4, 2 * records) */
#define CAP 4
#else
#define CAP (2 * RECORDS)
#endif

/* origins (checker/sys.h) */
#define UP        0
#define TRANSIENT 2
#define PERM      3
#define BYCALL    4
#if PERMANENT
#define FAULT_ORIGIN PERM
#else
#define FAULT_ORIGIN TRANSIENT
#endif
/* container modes */
#define PROC 0
#define FP   1                    /* failed processing */
#define FD   2                    /* failed dependency */
/* source modes */
#define IDLE 0
#define PUB  1

#define BIT(rec) (1 << ((rec) - 1))

byte used;                        /* faults used on this path (faultline's header byte) */
byte pc;                          /* script: 0 = publish batch 1 next, 1 = finished */
byte smode, snext, slimit;        /* source */
byte qst[NQ], qlen[NQ], qseen[NQ];
byte qit[NQ * CAP];               /* items in order, zero tail */
byte cmode[NC], corig[NC], cphase[NC], crec[NC];
byte tbits[NC];                   /* table t(k)'s region r replica: records held */
byte tplen[NC];                   /* its pending replication FIFO */
byte tpend[NC * R];
byte dhold, dheld, dgot, dtwice;  /* destination: 1 + region held from, record, bitsets */
bit normal_on = 1;                /* derived: some normal step is enabled */
bit timeout_on;                   /* derived: some timeout step is enabled */
hidden byte i, j, x, rec_;        /* scratch inside d_steps */
hidden byte delivered;

/* The queue index of container c's input and output. */
#define CIN(c)  (c)
#define COUT(c) ((c) + 2)

inline send(q, rec)
{
	assert(qlen[(q)] < CAP);    /* faultline: a full queue ends the run as incomplete */
	qit[(q) * CAP + qlen[(q)]] = (rec);
	qlen[(q)]++;
	qseen[(q)] = qseen[(q)] | BIT(rec)
}

/* Removes the first occurrence of rec from queue q (q up). */
inline qremove(q, rec)
{
	j = 0;
	do
	:: j < qlen[(q)] && qit[(q) * CAP + j] != (rec) -> j++
	:: else -> break
	od;
	if
	:: j < qlen[(q)] ->
		do
		:: j + 1 < qlen[(q)] -> qit[(q) * CAP + j] = qit[(q) * CAP + j + 1]; j++
		:: else -> break
		od;
		qlen[(q)]--;
		qit[(q) * CAP + qlen[(q)]] = 0
	:: else
	fi
}

inline cfail(c)
{
	cmode[(c)] = FD; corig[(c)] = BYCALL; cphase[(c)] = 0; crec[(c)] = 0
}

/* The end of every step: the derived flags, then delivery if the state is at rest. */
inline update()
{
	normal_on = (pc == 0 || (smode == PUB && (qst[0] == UP || qst[1] == UP)) || dhold != 0 ||
		     (qst[S * 2] == UP && qlen[S * 2] > 0) || (qst[S * 2 + 1] == UP && qlen[S * 2 + 1] > 0));
	i = 0;
	do
	:: normal_on -> break
	:: else -> if
		:: i < NC ->
			normal_on = (cmode[i] == PROC && (cphase[i] != 0 || qst[CIN(i)] != UP || qlen[CIN(i)] > 0)) ||
				    (cmode[i] != PROC && corig[i] == TRANSIENT) || tplen[i] > 0 ||
				    qst[i] == TRANSIENT;
			i++
		:: i >= NC && i < NQ -> normal_on = qst[i] == TRANSIENT; i++
		:: else -> break
		fi
	od;
	timeout_on = 0;
	i = 0;
	do
	:: !normal_on && !timeout_on && i < NC ->
		timeout_on = cmode[i] == FD && corig[i] == BYCALL && qst[CIN(i)] == UP && qst[COUT(i)] == UP;
		i++
	:: else -> break
	od;
	if
	:: !normal_on && !timeout_on ->
		delivered = (pc == 1 && (dgot & ((1 << snext) - 1)) == (1 << snext) - 1);
		i = 0;
		do
		:: delivered && i < NC -> delivered = (tbits[i] & ((1 << snext) - 1)) == (1 << snext) - 1; i++
		:: else -> break
		od;
		assert(delivered)
	:: else
	fi
}

/* Containers first: their _pid is their index c = (k-1)*2 + r. */
active [NC] proctype container()
{
end:	do
	:: d_step { /* read the input's head; the input is out: failed dependency */
		cmode[_pid] == PROC && cphase[_pid] == 0 && (qst[CIN(_pid)] != UP || qlen[CIN(_pid)] > 0) ->
		if
		:: qst[CIN(_pid)] != UP -> cfail(_pid)
		:: else -> crec[_pid] = qit[CIN(_pid) * CAP]; cphase[_pid] = 1
		fi;
		update() }
	:: d_step { /* write the table in its region (skip-write: not again); queue replication */
		cmode[_pid] == PROC && cphase[_pid] == 1 ->
		if
		:: !(tbits[_pid] & BIT(crec[_pid])) ->
			tbits[_pid] = tbits[_pid] | BIT(crec[_pid]);
			x = _pid ^ 1;                   /* the other region's replica */
			j = 0;
			do
			:: j < tplen[x] && tpend[x * R + j] != crec[_pid] -> j++
			:: else -> break
			od;
			if
			:: !(tbits[x] & BIT(crec[_pid])) && j == tplen[x] ->
				tpend[x * R + tplen[x]] = crec[_pid]; tplen[x]++
			:: else
			fi
		:: else
		fi;
		cphase[_pid] = 2;
		update() }
	:: d_step { /* publish to the output; it is out: failed dependency */
		cmode[_pid] == PROC && cphase[_pid] == 2 ->
		if
		:: qst[COUT(_pid)] == UP -> send(COUT(_pid), crec[_pid]); cphase[_pid] = 3
		:: else -> cfail(_pid)
		fi;
		update() }
	:: d_step { /* remove from the input (correctness: only once stored); it is out: failed dependency */
		cmode[_pid] == PROC && cphase[_pid] == 3 ->
		if
		:: qst[CIN(_pid)] == UP ->
			assert(cphase[_pid] >= 2);  /* written (acknowledged) in this pass */
			qremove(CIN(_pid), crec[_pid]); cphase[_pid] = 0; crec[_pid] = 0
		:: else -> cfail(_pid)
		fi;
		update() }
	:: d_step { /* recovers from a transient crash */
		cmode[_pid] != PROC && corig[_pid] == TRANSIENT ->
		cmode[_pid] = PROC; corig[_pid] = UP;
		update() }
	:: d_step { /* timeout: restarted after a failed call, once its dependencies are up */
		!normal_on && cmode[_pid] == FD && corig[_pid] == BYCALL && qst[CIN(_pid)] == UP &&
		qst[COUT(_pid)] == UP ->
		cmode[_pid] = PROC; corig[_pid] = UP;
		update() }
	:: d_step { /* fault: crash (region 1 only) */
		(_pid & 1) == 0 && used < FAULTS && cmode[_pid] == PROC ->
		cmode[_pid] = FP; corig[_pid] = FAULT_ORIGIN; cphase[_pid] = 0; crec[_pid] = 0; used++;
		update() }
	od
}

/* Region-1 queues: q(k) of region 1 is queue index (_pid - NC) * 2. */
active [S + 1] proctype queue()
{
end:	do
	:: d_step { /* recovers from its outage */
		qst[(_pid - NC) * 2] == TRANSIENT -> qst[(_pid - NC) * 2] = UP;
		update() }
	:: d_step { /* fault: outage */
		used < FAULTS && qst[(_pid - NC) * 2] == UP -> qst[(_pid - NC) * 2] = FAULT_ORIGIN; used++;
		update() }
	od
}

/* Tables: table t(k) is _pid - NC - S - 1 + 1; its replicas are copies t*2 and t*2 + 1. */
inline replicate(c)
{
	rec_ = tpend[(c) * R];
	j = 0;
	do
	:: j + 1 < tplen[(c)] -> tpend[(c) * R + j] = tpend[(c) * R + j + 1]; j++
	:: else -> break
	od;
	tplen[(c)]--;
	tpend[(c) * R + tplen[(c)]] = 0;
	tbits[(c)] = tbits[(c)] | BIT(rec_)
}

active [S] proctype table()
{
end:	do
	:: d_step { tplen[(_pid - NC - S - 1) * 2] > 0 -> replicate((_pid - NC - S - 1) * 2); update() }
	:: d_step { tplen[(_pid - NC - S - 1) * 2 + 1] > 0 -> replicate((_pid - NC - S - 1) * 2 + 1); update() }
	od
}

active proctype source()
{
end:	do
	:: d_step { /* script phase 1: publish batch 1 */
		pc == 0 -> slimit = R; smode = (snext < slimit -> PUB : IDLE); pc = 1;
		update() }
	:: d_step { /* publish record next+1 via the in-DNS to region 1 */
		smode == PUB && qst[0] == UP ->
		send(0, snext + 1); snext++;
		smode = (snext >= slimit -> IDLE : PUB);
		update() }
	:: d_step { /* ... to region 2 */
		smode == PUB && qst[1] == UP ->
		send(1, snext + 1); snext++;
		smode = (snext >= slimit -> IDLE : PUB);
		update() }
	od
}

inline receive(q)
{
	dheld = qit[(q) * CAP];
	dhold = (q) - S * 2 + 1;
	assert(!(dgot & BIT(dheld)));     /* no-duplicates */
	if
	:: dgot & BIT(dheld) -> dtwice = dtwice | BIT(dheld)
	:: else -> dgot = dgot | BIT(dheld)
	fi
}

active proctype destination()
{
end:	do
	:: d_step { /* receive from region 1's last queue */
		dhold == 0 && qst[S * 2] == UP && qlen[S * 2] > 0 -> receive(S * 2); update() }
	:: d_step { /* ... region 2's */
		dhold == 0 && qst[S * 2 + 1] == UP && qlen[S * 2 + 1] > 0 -> receive(S * 2 + 1); update() }
	:: d_step { /* remove what it holds; the queue is out: carries on (remove_failure: ignore) */
		dhold != 0 ->
		x = S * 2 + dhold - 1;
		if
		:: qst[x] == UP -> qremove(x, dheld)
		:: else
		fi;
		dhold = 0; dheld = 0;
		update() }
	od
}

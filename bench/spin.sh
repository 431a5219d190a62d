#!/usr/bin/env bash
# bench/spin.sh RECORDS STAGES FAULTS [extra pan flags]
# Checks test/bench/pipeline.pml (the pipeline of bench/pipeline.sh) with SPIN and prints one
# JSON line:
#   {"bench":"spin-pipeline-R-S-F","checker":"spin","states":S,"transitions":T,"seconds":F,
#    "states_per_sec":F,"bytes_per_state":F,"memory_bytes":B,"errors":N,"verdict":...,
#    "complete":true|false,"verdicts":{...},...}
# pan runs single-core, exhaustive (no partial-order reduction: -DNOREDUCE, no compression),
# with -c0 so that it goes on after a violation and counts the whole space, as faultline does.
# Env: PERMANENT=1 (permanent faults), SPIN_TIMEOUT=SECONDS (interrupt pan: complete false),
# SPIN_MEMLIM=MB (pan's -DMEMLIM; default 80% of the available memory), KEEP=DIR (keep pan's
# files there). Everything is built in a temporary directory, never in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
	echo "usage: bench/spin.sh RECORDS STAGES FAULTS [extra pan flags]" >&2
	exit 2
fi
R=$1 S=$2 F=$3
shift 3
P=${PERMANENT:-0}
for x in "$R" "$S" "$F" "$P"; do
	[[ $x =~ ^[0-9]+$ ]] || { echo "bench/spin.sh: '$x' is not a whole number" >&2; exit 2; }
done
if [ "$R" -lt 1 ] || [ "$R" -gt 8 ] || [ "$S" -lt 1 ] || [ "$S" -gt 9 ]; then
	echo "bench/spin.sh: RECORDS 1..8 (a record set is a byte in the model), STAGES 1..9" >&2
	exit 2
fi
name=spin-pipeline-$R-$S-$F
[ "$P" = 1 ] && name=$name-permanent
model=$PWD/test/bench/pipeline.pml

# SPIN from Debian when it is missing (as root, or through sudo), like the Makefile's ensure_pkgs.
if ! command -v spin >/dev/null 2>&1; then
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	echo "installing spin" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get install -y -q spin >/dev/null 2>&1 ||
		{ $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q spin >/dev/null; } ||
		{ echo "could not install spin: install it with apt-get and retry" >&2; exit 1; }
fi
command -v gcc >/dev/null 2>&1 || { echo "bench/spin.sh: gcc is needed" >&2; exit 1; }

dir=${KEEP:-}
if [ -z "$dir" ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/faultline-spin.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
cd "$dir"

memlim=${SPIN_MEMLIM:-$(awk '/MemAvailable/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)}
# The state vector is about 20 + 2*(S+1)*(3+2R) + 10*S + 2*S*R bytes; leave room.
vsz=$((256 + 4 * (S + 1) * (3 + 2 * R) + 16 * S + 4 * S * R))
# Depth: every record takes about 5 steps a stage plus 4, each fault adds recoveries and a
# pass of re-processing; far more than any path needs (checked below).
depth=$(((R * (5 * S + 4) + 2) * (F + 1) * 4 + 1000))

spin -DRECORDS="$R" -DSTAGES="$S" -DFAULTS="$F" -DPERMANENT="$P" -a "$model" >spin.out 2>&1 ||
	{ cat spin.out >&2; echo "bench/spin.sh: spin -a failed" >&2; exit 1; }
t0=$(date +%s.%N)
gcc -O2 -DSAFETY -DNOREDUCE -DVECTORSZ="$vsz" -DMEMLIM="$memlim" -o pan pan.c 2>gcc.err ||
	{ cat gcc.err >&2; echo "bench/spin.sh: gcc pan.c failed" >&2; exit 1; }
t1=$(date +%s.%N)
rc=0
if [ -n "${SPIN_TIMEOUT:-}" ]; then
	timeout -s INT "$SPIN_TIMEOUT" ./pan -m"$depth" -c0 "$@" >pan.out 2>&1 || rc=$?
else
	./pan -m"$depth" -c0 "$@" >pan.out 2>&1 || rc=$?
fi

num() { sed -n "$1" pan.out | head -1; }
states=$(num 's/^ *\([0-9][0-9]*\) states, stored.*/\1/p')
trans=$(num 's/^ *\([0-9][0-9]*\) transitions.*/\1/p')
secs=$(num 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p')
mem=$(num 's/^ *\([0-9.]*\).*total actual memory usage.*/\1/p')
errors=$(num 's/.*errors: \([0-9][0-9]*\).*/\1/p')
reached=$(num 's/.*depth reached \([0-9][0-9]*\).*/\1/p')
states=${states:-0} trans=${trans:-0} secs=${secs:-0} mem=${mem:-0} errors=${errors:-0} reached=${reached:-0}

# A violated assert is printed (at least once) with its text: which spec it is.
verdict_of() { grep -q "assertion violated.*$1" pan.out && echo violated || echo holds; }
complete=true
why=
if grep -q "max search depth too small" pan.out || [ "$reached" -ge "$depth" ]; then
	complete=false why="depth limit $depth reached"
elif grep -q -i "interrupted" pan.out || [ "$rc" = 124 ] || [ "$rc" = 130 ]; then
	complete=false why="interrupted after ${SPIN_TIMEOUT:-?} s"
elif grep -q -E "out of memory|VECTORSZ is too small|aborting" pan.out; then
	complete=false why=$(grep -m1 -E "out of memory|VECTORSZ|aborting" pan.out | tr -d '"\\')
elif grep -q "assertion violated.*qlen" pan.out; then
	complete=false why="a queue reached its capacity (faultline: incomplete, a model bound)"
elif ! grep -q "states, stored" pan.out; then
	complete=false why="pan failed (exit $rc)"
fi
verdicts="\"correctness\":\"$(verdict_of cphase)\",\"delivery\":\"$(verdict_of delivered)\",\"no-duplicates\":\"$(verdict_of dgot)\""
if [ "$complete" = false ]; then
	# An interrupted search only knows what it found.
	verdicts=$(sed 's/"holds"/"unknown"/g' <<<"$verdicts")
fi
verdict=holds
[ "$errors" -gt 0 ] && verdict=violated
[ "$complete" = false ] && [ "$verdict" = holds ] && verdict=unknown
awk -v name="$name" -v st="$states" -v tr="$trans" -v sec="$secs" -v mb="$mem" -v err="$errors" \
	-v verdict="$verdict" -v complete="$complete" -v verdicts="$verdicts" -v depth="$reached" \
	-v maxdepth="$depth" -v csec="$(awk "BEGIN{print $t1 - $t0}")" -v why="$why" -v vsz="$vsz" \
	'BEGIN {
		bytes = mb * 1048576
		printf "{\"bench\":\"%s\",\"checker\":\"spin\",\"states\":%d,\"transitions\":%d,", name, st, tr
		printf "\"seconds\":%g,\"states_per_sec\":%.0f,\"bytes_per_state\":%.3f,", sec, (sec > 0 ? st / sec : 0), (st > 0 ? bytes / st : 0)
		printf "\"memory_bytes\":%.0f,\"errors\":%d,\"verdict\":\"%s\",\"complete\":%s,", bytes, err, verdict, complete
		printf "\"verdicts\":{%s},\"depth\":%d,\"max_depth\":%d,\"vectorsz\":%d,\"compile_seconds\":%.2f", verdicts, depth, maxdepth, vsz, csec
		if (why != "") printf ",\"incomplete\":\"%s\"", why
		printf "}\n"
	}'

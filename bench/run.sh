#!/usr/bin/env bash
# make bench: a fixed benchmark set, one JSON line per run on stdout, a table on stderr.
# Results are printed, never stored in the repo (with BENCH_OUT=1 also build/bench/*.jsonl).
#
#  * the pipeline of bench/pipeline.sh at growing sizes (records, stages, faults), checked by
#    faultline and by SPIN on the same model (test/bench/pipeline.pml, bench/spin.sh), then a
#    "compare" line per size; faultline again with --threads 2 and --storage fingerprint;
#  * the heaviest shipped scenarios (active-active f4-replication, f5-random);
#  * build/bench-twophase and build/bench-store when they exist.
# docs/benchmarks.md explains the lines.
#
# Env: RUNS (repeats per faultline run, the median by time is printed; default 3 for runs
# under a second or so, 1 for big runs), BENCH_QUICK=1 (a subset under a minute), BENCH_BIG=1
# (also the sizes that take minutes to hours: records 5 and 6, 5 stages; SPIN is interrupted
# after SPIN_TIMEOUT, default 600 s there), BENCH_SPIN=0 (no SPIN), BENCH_SET (shipped
# scenarios, paths under scenarios/ without .yaml), BENCH_PIPELINE (sizes "R-S-F ...",
# a trailing "p" makes the faults permanent: "2-2-1p").
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${FAULTLINE:-build/faultline}
QUICK=${BENCH_QUICK:-0}
BIG=${BENCH_BIG:-0}
SPIN_ON=${BENCH_SPIN:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/faultline-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=/dev/null
if [ "${BENCH_OUT:-0}" = 1 ]; then
	mkdir -p build/bench
	out=build/bench/$(date +%Y%m%d-%H%M%S).jsonl
fi

if [ "$QUICK" = 1 ]; then
	PIPE=${BENCH_PIPELINE:-"2-2-0 2-2-1 2-2-1p"}
	SET=${BENCH_SET:-""}
	TWOPHASE="9"
else
	# Every record in flight, every stage, every fault multiplies the space by 10 to 20:
	# records 2..4, stages 2..4, faults 0..2 finish in minutes; 5 and 6 records or 5 stages
	# only with BENCH_BIG=1.
	PIPE=${BENCH_PIPELINE:-"2-2-0 3-2-0 4-2-0 2-3-0 3-3-0 2-4-0 2-2-1 2-2-1p 3-2-1 2-2-2"}
	[ "$BIG" = 1 ] && PIPE="$PIPE 5-2-0 2-5-0 6-2-0 6-2-1"
	SET=${BENCH_SET:-"active-active/f4-replication active-active/f5-random"}
	TWOPHASE="9 10"
fi

emit() { printf '%s\n' "$1"; printf '%s\n' "$1" >>"$out"; }
note() { printf '%s\n' "$*" >&2; }
# field NAME JSON -> the number or word after "NAME":
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2" | head -1; }
rows=()
row() { rows+=("$(printf '%-30s %-9s %4s %-11s %11s %12s %9s %11s %9s %9s  %s' "$@")"); }

# fl_run NAME FILE THREADS STORAGE [faultline flags...]: RUNS runs, the median by time.
fl_run() {
	local name=$1 file=$2 threads=$3 storage=$4
	shift 4
	local runs=${RUNS:-$DEFAULT_RUNS} lines=() i o rc err
	for ((i = 0; i < runs; i++)); do
		o=$("$BIN" check "$file" --quiet --no-progress --json - "$@" 2>"$tmp/err")
		rc=$?
		if [[ $o != *'"figures"'* ]]; then
			err=$(head -c 300 "$tmp/err" | tr '\n"\\' "  '")
			emit "{\"bench\":\"$name\",\"checker\":\"faultline\",\"threads\":$threads,\"storage\":\"$storage\",\"reductions\":\"none\",\"exit\":$rc,\"error\":\"${err:-no JSON result}\"}"
			row "$name" faultline "$threads" "$storage" - - - - - - "error (exit $rc)"
			return 1
		fi
		o=$(tr -d '\n' <<<"$o")
		lines+=("$(field seconds "$o") $o")
	done
	o=$(printf '%s\n' "${lines[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p")
	o=${o#* }
	local fig verdicts
	fig=$(sed 's/.*"figures":{\([^}]*\)}.*/\1/' <<<"$o")
	verdicts=$(sed 's/.*"specs":\[\(.*\)\],"figures".*/\1/' <<<"$o" |
		grep -o '"name":"[^"]*","verdict":"[^"]*"' | sed 's/"name":\("[^"]*"\),"verdict":/\1:/' | paste -sd, -)
	local rbs
	rbs=$(awk -v r="$(field peak_rss_bytes "{$fig}")" -v n="$(field states "{$fig}")" 'BEGIN { printf "%.2f", (n > 0 ? r / n : 0) }')
	local line="{\"bench\":\"$name\",\"checker\":\"faultline\",\"threads\":$threads,\"storage\":\"$storage\",\"reductions\":\"none\",\"runs\":$runs,$fig,\"rss_bytes_per_state\":$rbs,\"verdicts\":{$verdicts}}"
	emit "$line"
	FL_LAST=$line
	local rss
	rss=$(field peak_rss_bytes "$line")
	row "$name" faultline "$threads" "$storage" "$(field states "$line")" "$(field transitions "$line")" \
		"$(printf %.2f "$(field seconds "$line")")" "$(field states_per_sec "$line")" \
		"$(printf %.0f "$(field rss_bytes_per_state "$line")")" "$(awk "BEGIN{printf \"%.1f\", $rss/1048576}")" \
		"$(sed 's/"//g' <<<"$verdicts")$([ "$(field complete "$line")" = true ] || echo ' INCOMPLETE')"
	return 0
}

# speedup NAME ONE TWO: the "threads 1 -> 2" line of two runs of the same problem.
speedup() {
	[ -n "$2" ] && [ -n "$3" ] || return 0
	local r
	r=$(awk -v a="$(field seconds "$2")" -v b="$(field seconds "$3")" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	emit "{\"bench\":\"$1\",\"compare\":\"threads 1/2\",\"speedup\":$r,\"same_states\":$([ "$(field states "$2")" = "$(field states "$3")" ] && echo true || echo false)}"
	row "  = 1 -> 2 threads" "" "" "" "" "" "x$r" "" "" "" ""
}

verdicts_of() { sed -n 's/.*"verdicts":{\([^}]*\)}.*/\1/p' <<<"$1"; }

row bench checker thr storage states transitions seconds states/s B/state MB verdicts
largest=0
for size in $PIPE; do
	perm=0 s=${size%p}
	[ "$s" != "$size" ] && perm=1
	IFS=- read -r R S F <<<"$s"
	name=pipeline-$R-$S-$F
	[ "$perm" = 1 ] && name=$name-permanent
	file=$tmp/$name.yaml
	bench/pipeline.sh "$R" "$S" "$F" "$perm" >"$file" || continue
	big=$((R >= 5 || S >= 5))
	DEFAULT_RUNS=1
	[ $((R + S + F)) -le 5 ] && DEFAULT_RUNS=3
	limit=()
	[ "$big" = 1 ] && limit=(--time-limit "${FL_TIMEOUT:-600}")
	FL_LAST=
	fl_run "$name" "$file" 1 exact "${limit[@]}" || true
	fl=$FL_LAST
	if [ -n "$fl" ]; then
		st=$(field states "$fl")
		[ "$(field complete "$fl")" = true ] && [ "$st" -gt "$largest" ] && largest=$st
	fi
	if [ "$SPIN_ON" = 1 ]; then
		timeout_env=()
		[ "$big" = 1 ] && timeout_env=(SPIN_TIMEOUT="${SPIN_TIMEOUT:-600}")
		[ -n "${SPIN_TIMEOUT:-}" ] && timeout_env=(SPIN_TIMEOUT="$SPIN_TIMEOUT")
		sp=$(env "${timeout_env[@]}" PERMANENT=$perm bash bench/spin.sh "$R" "$S" "$F" 2>"$tmp/err")
		if [[ $sp != *'"states"'* ]]; then
			sp="{\"bench\":\"spin-$name\",\"checker\":\"spin\",\"error\":\"$(head -c 300 "$tmp/err" | tr '\n"\\' "  '")\"}"
			emit "$sp"
			row "spin-$name" spin 1 exact - - - - - - error
		else
			emit "$sp"
			row "spin-${name#pipeline-}" spin 1 exact "$(field states "$sp")" "$(field transitions "$sp")" \
				"$(printf %.2f "$(field seconds "$sp")")" "$(field states_per_sec "$sp")" \
				"$(printf %.0f "$(field bytes_per_state "$sp")")" \
				"$(awk "BEGIN{printf \"%.1f\", $(field memory_bytes "$sp")/1048576}")" \
				"$(verdicts_of "$sp" | sed 's/"//g')$([ "$(field complete "$sp")" = true ] || echo ' INCOMPLETE')"
			if [ -n "$fl" ]; then
				a=$(verdicts_of "$fl") b=$(verdicts_of "$sp")
				agree=false
				[ "$a" = "$b" ] && agree=true
				cmp=$(awk -v fs="$(field states "$fl")" -v ss="$(field states "$sp")" \
					-v ft="$(field seconds "$fl")" -v stt="$(field seconds "$sp")" \
					-v fm="$(field peak_rss_bytes "$fl")" -v sm="$(field memory_bytes "$sp")" \
					-v fr="$(field states_per_sec "$fl")" -v sr="$(field states_per_sec "$sp")" \
					'function r(a, b) { return b > 0 ? sprintf("%.4g", a / b) : "null" }
					 BEGIN { printf "\"states_ratio\":%s,\"time_ratio\":%s,\"memory_ratio\":%s,\"states_per_sec_ratio\":%s",
						r(fs, ss), r(ft, stt), r(fm, sm), r(fr, sr) }')
				both=$([ "$(field complete "$fl")" = true ] && [ "$(field complete "$sp")" = true ] && echo true || echo false)
				emit "{\"bench\":\"$name\",\"compare\":\"faultline/spin\",$cmp,\"verdicts_agree\":$agree,\"both_complete\":$both}"
				row "  = faultline/spin" "" "" "" "$(field states_ratio "{$cmp}")" "" "$(field time_ratio "{$cmp}")" \
					"$(field states_per_sec_ratio "{$cmp}")" "" "$(field memory_ratio "{$cmp}")" \
					"verdicts agree: $agree"
			fi
		fi
	fi
	[ "$big" = 1 ] && continue
	FL_LAST=
	fl_run "$name" "$file" 2 exact --threads 2 || true
	speedup "$name" "$fl" "$FL_LAST"
	fl_run "$name" "$file" 1 fingerprint --storage fingerprint || true
done

for sc in $SET; do
	DEFAULT_RUNS=1
	FL_LAST=
	fl_run "$sc" "scenarios/$sc.yaml" 1 exact || true
	one=$FL_LAST
	st=$(field states "$one")
	[ -n "$st" ] && [ "$st" -gt "$largest" ] && largest=$st
	FL_LAST=
	fl_run "$sc" "scenarios/$sc.yaml" 2 exact --threads 2 || true
	speedup "$sc" "$one" "$FL_LAST"
done

if [ -x build/bench-twophase ]; then
	for n in $TWOPHASE; do
		one=
		for run in "1 exact" "2 exact" "2 fingerprint"; do
			read -r t storage <<<"$run"
			o=$(build/bench-twophase "$n" --threads "$t" --storage "$storage" 2>"$tmp/err" | tail -1)
			if [[ $o == '{'* ]]; then emit "$o"; else
				emit "{\"bench\":\"twophase-$n\",\"threads\":$t,\"storage\":\"$storage\",\"error\":\"$(head -c 300 "$tmp/err" | tr '\n"\\' "  '")\"}"
			fi
			row "twophase-$n" bench-twophase "$t" "$storage" "$(field states "$o")" "$(field transitions "$o")" \
				"$(field seconds "$o")" "$(field states_per_sec "$o")" "$(field bytes_per_state "$o")" \
				"$(awk "BEGIN{printf \"%.1f\", $(field peak_rss_bytes "$o")/1048576}")" "ok: $(field ok "$o")"
			[ "$run" = "1 exact" ] && one=$o
			[ "$run" = "2 exact" ] && speedup "twophase-$n" "$one" "$o"
		done
	done
else
	note "bench: build/bench-twophase is not built yet: skipped"
fi
if [ -x build/bench-store ]; then
	o=$(build/bench-store "$largest" 2>"$tmp/err" | tail -1)
	if [[ $o == '{'* ]]; then emit "$o"; else
		emit "{\"bench\":\"store-$largest\",\"error\":\"$(head -c 300 "$tmp/err" | tr '\n"\\' "  '")\"}"
	fi
	row "store-$largest" bench-store 1 exact "$(field states "$o")" - "$(field seconds "$o")" - \
		"$(field bytes_per_state "$o")" - ""
else
	note "bench: build/bench-store is not built yet: skipped (it would store $largest states)"
fi

note ""
printf '%s\n' "${rows[@]}" >&2
[ "$out" != /dev/null ] && note "bench: the JSON lines are also in $out"
exit 0

#!/usr/bin/env bash
# make bench: figures for a fixed set of scenarios, one JSON line per scenario (the median of
# RUNS runs by time), then a table on stderr. Results are printed, never stored in the repo.
# The side-by-side comparison with SPIN is not here yet (issue "Speed and scale").
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FAULTLINE:-build/faultline}
RUNS=${RUNS:-3}
SET=${BENCH_SET:-"active-active/base active-active/f3-queue active-active/f4-replication active-active/f5-random"}

figure() { # figure NAME JSON -> the number after "NAME":
	sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" <<<"$2"
}

printf '%-28s %10s %12s %8s %12s %10s %10s\n' scenario states transitions seconds states/s B/state peak_MB >&2
for name in $SET; do
	file=scenarios/$name.yaml
	lines=()
	for ((i = 0; i < RUNS; i++)); do
		out=$("$BIN" check "$file" --quiet --no-progress --json - || true)
		lines+=("$(figure seconds "$out") $(tr -d '\n' <<<"$out" | sed 's/.*"figures":\({[^}]*}\).*/\1/')")
	done
	median=$(printf '%s\n' "${lines[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
	fig=${median#* }
	rss=$(figure peak_rss_bytes "$fig")
	printf '{"bench":"%s","runs":%d,"threads":1,"reductions":"none",%s\n' "$name" "$RUNS" "${fig#\{}"
	printf '%-28s %10s %12s %8.2f %12.0f %10.0f %10.1f\n' "$name" "$(figure states "$fig")" \
		"$(figure transitions "$fig")" "$(figure seconds "$fig")" "$(figure states_per_sec "$fig")" \
		"$(figure bytes_per_state "$fig")" "$(awk "BEGIN{print $rss/1048576}")" >&2
done

#!/usr/bin/env bash
# report-test.sh - the HTML report in a real browser: builds faultline, writes the report of the
# remove-before-write variant of lesson 2, opens it in headless Chromium through chromedriver
# (the W3C WebDriver HTTP API, driven with curl), checks that the lifelines and the violating
# step are laid out with a size, and saves a screenshot. `make test-browser` runs it.
#
# Installs chromium, chromium-driver and curl with apt-get when missing (as root or via sudo).
# Writes build/artefacts/report.html, report.png (the window) and report-chart.png (the
# violating step's chart). Exits nonzero with a message on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ART=$ROOT/build/artefacts
SCENARIO=scenarios/lessons/2-step-order.yaml
VARIANT=remove-before-write
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
DRIVER_PID=
SID=
BASE=

fail() { echo "report-test: FAIL: $*" >&2; exit 1; }

cleanup() {
	if [ -n "$SID" ] && [ -n "$BASE" ]; then
		curl -s -m 10 -X DELETE "$BASE/session/$SID" >/dev/null 2>&1 || true
	fi
	if [ -n "$DRIVER_PID" ]; then
		kill "$DRIVER_PID" 2>/dev/null || true
		wait "$DRIVER_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT

# --- packages ---------------------------------------------------------------------------
chromium_bin() {
	local b
	for b in /usr/bin/chromium /usr/lib/chromium/chromium /usr/bin/chromium-browser; do
		[ -x "$b" ] && { echo "$b"; return 0; }
	done
	command -v chromium || command -v chromium-browser || return 1
}

ensure_pkgs() {
	local debs=""
	chromium_bin >/dev/null 2>&1 || debs="$debs chromium"
	command -v chromedriver >/dev/null 2>&1 || debs="$debs chromium-driver"
	command -v curl >/dev/null 2>&1 || debs="$debs curl"
	[ -z "$debs" ] && return 0
	echo "installing$debs"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get install -y -q $debs >/dev/null 2>&1 ||
		{ $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q $debs >/dev/null; } ||
		fail "could not install$debs: install them with apt-get and retry"
}

# --- WebDriver over HTTP ----------------------------------------------------------------
# wd METHOD PATH [JSON]: prints the response body; fails on an HTTP error or a WebDriver error.
wd() {
	local out code
	out=$(curl -s -m 60 -w '\n%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		${3:+--data "$3"} "$BASE$2") || fail "WebDriver $1 $2: no answer from chromedriver"
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	if [ "$code" != 200 ] || [[ "$out" == *'"error":'* ]]; then
		fail "WebDriver $1 $2: HTTP $code: ${out:0:400}"
	fi
	printf '%s' "$out"
}

# The first string value of key in JSON text on stdin.
json_str() { grep -o "\"$1\"[[:space:]]*:[[:space:]]*\"[^\"]*\"" | head -n 1 | sed -E 's/.*:[[:space:]]*"(.*)"$/\1/' || true; }
# The first number value of key in JSON text on stdin.
json_num() { grep -oE "\"$1\"[[:space:]]*:[[:space:]]*-?[0-9.eE+-]+" | head -n 1 | sed -E 's/.*:[[:space:]]*//' || true; }
# Element ids of a find-elements answer on stdin, one a line.
elem_ids() { grep -oE '"element-6066-11e4-a52e-4f735466cecf"[[:space:]]*:[[:space:]]*"[^"]*"' | sed -E 's/.*"([^"]*)"$/\1/' || true; }

free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

start_driver() {
	local port
	for _ in 1 2 3; do
		port=$(free_port) || fail "no free local port for chromedriver"
		chromedriver --port="$port" >"$ART/chromedriver.log" 2>&1 &
		DRIVER_PID=$!
		BASE="http://127.0.0.1:$port"
		for _ in $(seq 1 100); do
			if curl -s -m 2 "$BASE/status" 2>/dev/null | grep -q '"ready"[[:space:]]*:[[:space:]]*true'; then
				return 0
			fi
			kill -0 "$DRIVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$DRIVER_PID" 2>/dev/null || true
		wait "$DRIVER_PID" 2>/dev/null || true
		DRIVER_PID=
	done
	fail "chromedriver did not start (see $ART/chromedriver.log)"
}

new_session() {
	local caps
	caps=$(printf '{"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"%s","args":["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage","--window-size=1400,1800","--hide-scrollbars"]}}}}' "$(chromium_bin)")
	SID=$(wd POST /session "$caps" | json_str sessionId)
	[ -n "$SID" ] || fail "no WebDriver session"
}

# Fails unless element $1 ($2 names it) has a rect of nonzero width and height.
check_rect() {
	local r w h
	r=$(wd GET "/session/$SID/element/$1/rect")
	w=$(json_num width <<<"$r")
	h=$(json_num height <<<"$r")
	[ -n "$w" ] && [ -n "$h" ] || fail "$2: no rect in ${r:0:200}"
	awk -v w="$w" -v h="$h" 'BEGIN { exit !(w > 0 && h > 0) }' || fail "$2: rect is ${w}x${h}"
}

# Saves the base64 "value" of a screenshot answer on stdin to $1.
save_png() {
	sed -E 's/^.*"value"[[:space:]]*:[[:space:]]*"([^"]*)".*$/\1/' | base64 -d >"$1" ||
		fail "could not decode the screenshot into $1"
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "$1 is not a PNG"
}

# --- the test ---------------------------------------------------------------------------
ensure_pkgs
make --no-print-directory build/faultline >/dev/null || fail "make build/faultline failed"
mkdir -p "$ART"
rm -f "$ART/report.html" "$ART/report.png" "$ART/report-chart.png"
rc=0
./build/faultline check "$SCENARIO" --variant "$VARIANT" --quiet --no-progress \
	--report "$ART/report.html" >"$ART/report-check.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "faultline check exited $rc, expected 1 (a spec violated); see $ART/report-check.txt"
[ -s "$ART/report.html" ] || fail "no report written to $ART/report.html"
want=$(grep -o '<g class="lifeline"' "$ART/report.html" | wc -l)
[ "$want" -gt 0 ] || fail "the report has no lifelines"

start_driver
new_session
wd POST "/session/$SID/url" "{\"url\":\"file://$ART/report.html\"}" >/dev/null
title=$(wd GET "/session/$SID/title" | json_str value)
[[ "$title" == *"faultline report"* ]] || fail "page title is '$title'"

ids=$(wd POST "/session/$SID/elements" '{"using":"css selector","value":"g.lifeline"}' | elem_ids)
got=$(grep -c . <<<"$ids" || true)
[ "$got" = "$want" ] || fail "found $got lifelines (g.lifeline) in the browser, expected $want"
n=0
for id in $ids; do
	n=$((n + 1))
	check_rect "$id" "lifeline $n"
done

vid=$(wd POST "/session/$SID/element" '{"using":"css selector","value":".step.violating"}' | elem_ids | head -n 1)
[ -n "$vid" ] || fail "no .step.violating element"
shown=$(wd GET "/session/$SID/element/$vid/displayed" | grep -oE '"value"[[:space:]]*:[[:space:]]*(true|false)' | grep -oE 'true|false')
[ "$shown" = true ] || fail ".step.violating is not displayed"
check_rect "$vid" ".step.violating"

wd GET "/session/$SID/screenshot" | save_png "$ART/report.png"
svg=$(wd POST "/session/$SID/element" '{"using":"css selector","value":"svg.chart"}' | elem_ids | head -n 1)
[ -n "$svg" ] || fail "no svg.chart element"
wd GET "/session/$SID/element/$svg/screenshot" | save_png "$ART/report-chart.png"

wd DELETE "/session/$SID" >/dev/null
SID=
echo "report-test: ok: $got lifelines, the violating step is displayed; screenshots in $ART/report.png, $ART/report-chart.png"

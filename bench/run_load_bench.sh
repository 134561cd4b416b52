#!/usr/bin/env bash
# The load benchmarks of bench/RESULTS.md, on the machine they describe. Each run's JSON summary
# (the last stdout line) goes to bench/results/<name>.json and its progress to <name>.log, with
# the load average before and after, and the code it ran.
#
# Runs use the lab's Asterisk: nothing else may use it meanwhile. A single run does not take the
# lab lock itself, wrap it:   flock /tmp/hotline-lab.lock bench/run_load_bench.sh sustain-hotline
# "all" takes the lock for each run in turn (never for all four at once).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
LIMIT_S=${LOAD_BENCH_LIMIT_S:-570}  # a run never holds the lab for more than ~10 minutes
TAG=${LOAD_BENCH_TAG:-}  # e.g. LOAD_BENCH_TAG=-stages keeps the recorded results beside a trial
run() {
  local name=$1$TAG; shift
  local log="bench/results/$name.log"
  echo "== $name: hotline load $*" >&2
  {
    echo "# $name: hotline load $* --json"
    echo "# started $(date -Is); $(uptime)"
    echo "# code: $(git rev-parse --short HEAD), $(git status --porcelain | wc -l) files changed in the tree"
  } >"$log"
  timeout --signal=TERM "$LIMIT_S" .venv/bin/hotline load "$@" --json 2>>"$log" \
    | tail -n 1 >"bench/results/$name.json" || true
  echo "# ended $(date -Is); $(uptime)" >>"$log"
  cat "bench/results/$name.json"
}
SUSTAIN=(--concurrent 600 --agents 220 --rate 15 --duration 200 --ring uniform:1:4 --talk uniform:30:60)
SURGE=(--concurrent 600 --agents 220 --rate 30 --duration 60 --ring uniform:0.5:2 --talk uniform:4:8)
# Half the issue's size, the same shape (agents:lines, arrivals per line): the largest that this
# 2-core machine carries (bench/RESULTS.md); 600/220 does not.
HALF=(--concurrent 300 --agents 110 --rate 7.5 --duration 200 --ring uniform:1:4 --talk uniform:30:60)
HALF_SURGE=(--concurrent 300 --agents 110 --rate 15 --duration 60 --ring uniform:0.5:2 --talk uniform:4:8)
case "${1:-all}" in
  sustain-hotline) run sustain-hotline "${SUSTAIN[@]}" --engine hotline ;;
  sustain-native)  run sustain-native "${SUSTAIN[@]}" --engine native ;;
  surge-hotline)   run surge-hotline "${SURGE[@]}" --engine hotline ;;
  surge-native)    run surge-native "${SURGE[@]}" --engine native ;;
  half-hotline)    run half-hotline "${HALF[@]}" --engine hotline ;;
  half-native)     run half-native "${HALF[@]}" --engine native ;;
  half-surge-hotline) run half-surge-hotline "${HALF_SURGE[@]}" --engine hotline ;;
  half-surge-native)  run half-surge-native "${HALF_SURGE[@]}" --engine native ;;
  all)
    for name in sustain-hotline sustain-native surge-hotline surge-native half-hotline half-native \
                half-surge-hotline half-surge-native; do
      flock /tmp/hotline-lab.lock "$0" "$name"
    done ;;
  *) echo "usage: $0 [all|{sustain,surge,half,half-surge}-{hotline,native}]" >&2; exit 2 ;;
esac

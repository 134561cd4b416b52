#!/usr/bin/env bash
# The load benchmarks of bench/RESULTS.md, on the machine they describe. Each run's JSON summary
# (the last stdout line) goes to bench/results/<name>.json and its progress to <name>.log.
# Runs use the lab's Asterisk: nothing else may use it meanwhile (/tmp/hotline-lab.lock).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
run() {
  local name=$1; shift
  echo "== $name: hotline load $*" >&2
  .venv/bin/hotline load "$@" --json 2>"bench/results/$name.log" | tail -n 1 >"bench/results/$name.json"
  cat "bench/results/$name.json"
}
SUSTAIN=(--concurrent 600 --agents 220 --rate 15 --duration 200 --ring uniform:1:4 --talk uniform:30:60)
SURGE=(--concurrent 600 --agents 220 --rate 30 --duration 60 --ring uniform:0.5:2 --talk uniform:4:8)
case "${1:-all}" in
  sustain-hotline) run sustain-hotline "${SUSTAIN[@]}" --engine hotline ;;
  sustain-native)  run sustain-native "${SUSTAIN[@]}" --engine native ;;
  surge-hotline)   run surge-hotline "${SURGE[@]}" --engine hotline ;;
  surge-native)    run surge-native "${SURGE[@]}" --engine native ;;
  all)
    for name in sustain-hotline sustain-native surge-hotline surge-native; do "$0" "$name"; done ;;
  *) echo "usage: $0 [all|sustain-hotline|sustain-native|surge-hotline|surge-native]" >&2; exit 2 ;;
esac

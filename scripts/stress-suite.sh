#!/usr/bin/env bash
# Runs the whole test suite N times in a row while other processes keep the CPU busy, to show
# that load makes the suite slower, never red. Prints one line per run and a summary; exits 1
# if any run failed. The log of each run is kept under $STRESS_LOG_DIR.
#
#   scripts/stress-suite.sh [N=5] [BUSY_LOOPS=1]
#
# TEST_DATABASE_URL defaults to the local Postgres; TEST_SEED, if set, is passed through so a
# failing run can be replayed with the seed it printed.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
busy="${2:-1}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
logs="${STRESS_LOG_DIR:-$(mktemp -d -t stress-suite-XXXXXX)}"
mkdir -p "$logs"

busy_pids=()
stop_busy() {
  for pid in "${busy_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${busy_pids[@]}"; do wait "$pid" 2>/dev/null; done
  busy_pids=()
}
trap stop_busy EXIT INT TERM

for _ in $(seq 1 "$busy"); do
  node -e 'for (;;) {}' &
  busy_pids+=("$!")
done
echo "load: ${busy} busy loop(s) (pids ${busy_pids[*]}) on $(nproc) CPU(s); logs in ${logs}"

failed=0
for run in $(seq 1 "$runs"); do
  log="${logs}/run-${run}.log"
  started=$(date +%s)
  npx vitest run --reporter=default >"$log" 2>&1
  code=$?
  seconds=$(( $(date +%s) - started ))
  # vitest's summary line, colours removed: "Tests  487 passed (487)".
  tests=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1 | sed 's/^ *Tests *//')
  if [ "$code" -eq 0 ]; then result=PASS; else result=FAIL; failed=$((failed + 1)); fi
  echo "run ${run}/${runs}: ${result} in ${seconds}s (${tests:-no summary}; exit ${code}; ${log})"
  if [ "$code" -ne 0 ]; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E 'FAIL|seed [0-9]+' | head -20 | sed 's/^/    /'
  fi
done

echo "${runs} run(s), $((runs - failed)) passed, ${failed} failed"
[ "$failed" -eq 0 ]

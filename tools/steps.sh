#!/usr/bin/env bash
# `make test`: run each step (a make target), time it, and end with a table of wall times,
# also when a step fails. A failed step does not stop the ones after it (CI sees every
# failure at once); the exit status is non-zero if any step failed.
#
# Each step's output is also kept in <report's folder>/logs/STEP.log, and the last lines
# printed are a digest of each failed step (its failure lines), so a CI page that shows
# only the end of the output still names what failed and why.
#
# Usage: tools/steps.sh REPORT_FILE STEP...
# A STEP of the form "a,b|c,d" is two lanes run at the same time: a then b, beside c then
# d. Each lane's output lines carry the step's name. Lanes suit steps that share no
# outputs and spend much of their time waiting on subprocesses (servers, clients, sleeps),
# which is what two cores leave idle when the steps run one after another.
set -uo pipefail
report=$1
shift
mkdir -p "$(dirname "$report")"
logs=$(dirname "$report")/logs
rm -rf "$logs" && mkdir -p "$logs"
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }  # bash 5: no bc, no date
here=$(cd "$(dirname "$0")" && pwd)

# run_step STEP LANE [LABEL]: one make target, its row appended to $rows; status 1 on failure.
run_step() {
  local step=$1 lane=$2 start ms result
  start=$(now_ms)
  echo "==> make $step"
  # shellcheck disable=SC2086 # MAKE may carry words (make -f FILE)
  if [ "$lane" = - ]; then
    ${MAKE:-make} --no-print-directory "$step" 2>&1 | tee "$logs/$step.log"
  else
    "$here/labelled.sh" "$step" ${MAKE:-make} --no-print-directory "$step" 2>&1 | tee "$logs/$step.log"
  fi
  if [ "${PIPESTATUS[0]}" = 0 ]; then result=ok; else result=FAILED; fi
  ms=$(($(now_ms) - start))
  echo "==> make $step: $result in $((ms / 1000)) s"
  printf '%s\t%s\t%s\t%d\n' "$step" "$lane" "$result" "$ms" >> "$rows"
  [ $result = ok ]
}

total_start=$(now_ms)
failed=0
for step in "$@"; do
  if [[ $step != *"|"* ]]; then
    run_step "$step" - || failed=1
    continue
  fi
  IFS='|' read -r -a lanes <<< "$step"
  pids=()
  group_start=$(now_ms)
  for i in "${!lanes[@]}"; do
    (
      status=0
      IFS=',' read -r -a seq <<< "${lanes[$i]}"
      for s in "${seq[@]}"; do run_step "$s" "$((i + 1))" || status=1; done
      exit $status
    ) &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  printf '%s\t%s\t%s\t%d\n' "(lanes ${step//|/ beside })" "all" "-" "$(($(now_ms) - group_start))" >> "$rows"
done
total=$(($(now_ms) - total_start))
{
  echo "| step | lane | result | wall time (s) |"
  echo "| --- | --- | --- | ---: |"
  while IFS=$'\t' read -r name lane result ms; do
    printf '| %s | %s | %s | %d.%d |\n' "$name" "$lane" "$result" $((ms / 1000)) $((ms % 1000 / 100))
  done < "$rows"
  printf '| **total** | | %s | %d.%d |\n' "$([ $failed = 0 ] && echo ok || echo FAILED)" $((total / 1000)) $((total % 1000 / 100))
} > "$report.tmp" && mv "$report.tmp" "$report"
echo
echo "make test: step times (also in $report); steps in lanes ran beside each other"
cat "$report"
# The digest: per failed step, the lines that say what failed (pytest's short summary,
# ctest's list, go test's FAIL lines, Maven's errors, make's), at most 15 each.
failure_lines='FAILED|Failed|FAIL[: ]|ERROR|Error [0-9]|error:|Timeout|Traceback|assert'
while IFS=$'\t' read -r name _ result _; do
  [ "$result" = FAILED ] || continue
  echo
  echo "== $name failed; full output in $logs/$name.log; its failure lines:"
  grep -E "$failure_lines" "$logs/$name.log" | grep -v -E '^\[[^]]*\] *$' | tail -n 15 | cut -c1-300
done < "$rows"
if [ $failed != 0 ]; then
  echo
  echo "make test: FAILED: $(awk -F'\t' '$3 == "FAILED" {printf "%s ", $1}' "$rows")"
fi
exit $failed

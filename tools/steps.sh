#!/usr/bin/env bash
# `make test`: run each step (a make target) in order, time it, and end with a table of
# wall times, also when a step fails. A failed step does not stop the ones after it
# (CI sees every failure at once); the exit status is non-zero if any step failed.
# Usage: tools/steps.sh REPORT_FILE STEP...
set -uo pipefail
report=$1
shift
mkdir -p "$(dirname "$report")"
names=() secs=() results=()
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }  # bash 5: no bc, no date
total_start=$(now_ms)
failed=0
for step in "$@"; do
  echo "==> make $step"
  start=$(now_ms)
  # shellcheck disable=SC2086 # MAKE may carry words (make -f FILE)
  if ${MAKE:-make} --no-print-directory "$step"; then result=ok; else result=FAILED; failed=1; fi
  ms=$(($(now_ms) - start))
  names+=("$step") results+=("$result") secs+=("$ms")
  echo "==> make $step: $result in $((ms / 1000)) s"
done
total=$(($(now_ms) - total_start))
{
  echo "| step | result | wall time (s) |"
  echo "| --- | --- | ---: |"
  for i in "${!names[@]}"; do
    printf '| %s | %s | %d.%d |\n' "${names[$i]}" "${results[$i]}" $((secs[i] / 1000)) $((secs[i] % 1000 / 100))
  done
  printf '| **total** | %s | %d.%d |\n' "$([ $failed = 0 ] && echo ok || echo FAILED)" $((total / 1000)) $((total % 1000 / 100))
} > "$report.tmp" && mv "$report.tmp" "$report"
echo
echo "make test: step times (also in $report)"
cat "$report"
exit $failed

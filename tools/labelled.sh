#!/usr/bin/env bash
# Usage: tools/labelled.sh NAME COMMAND...
# Runs COMMAND with each output line prefixed by [NAME], so parallel builds stay readable,
# and says it is still running whenever COMMAND has been silent for 10 s (Maven -q is).
# Exits with COMMAND's status.
set -uo pipefail
name=$1
shift
start=$SECONDS
"$@" 2>&1 | while true; do
  if IFS= read -r -t 10 line; then
    echo "[$name] $line"
  else
    rc=$?
    if ((rc > 128)); then
      echo "[$name] ... still running ($((SECONDS - start)) s)"
    else
      [ -n "${line:-}" ] && echo "[$name] $line"
      break
    fi
  fi
done
status=${PIPESTATUS[0]}
echo "[$name] done in $((SECONDS - start)) s$([ "$status" = 0 ] || echo ", exit $status")"
exit "$status"

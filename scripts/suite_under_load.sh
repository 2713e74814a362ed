#!/usr/bin/env bash
# The test suite N times in a row (default 5) beside one CPU burner per core: the suite
# must not depend on an idle machine (issue 15). One line per run; exit 1 if any failed.
# Needs the .venv that scripts/test.sh makes.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
logs=$(mktemp -d)
pids=()
for _ in $(seq "$(nproc)"); do yes > /dev/null & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
failed=0
for i in $(seq "$runs"); do
  start=$(date +%s)
  .venv/bin/python -m pytest --block-network --allowed-hosts=127.0.0.1,localhost,::1 -q -p no:cacheprovider \
    > "$logs/run$i.log" 2>&1
  rc=$?
  echo "run $i: exit $rc, $(( $(date +%s) - start )) s, $(tail -1 "$logs/run$i.log")"
  [ "$rc" -eq 0 ] || failed=1
done
echo "logs: $logs"
exit "$failed"

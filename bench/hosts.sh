#!/usr/bin/env bash
# Many hosts, one store: 8 `g agent` processes across 2 "hosts" (separate UTS
# namespaces with their own hostnames, `unshare --uts`, needs root) on one
# 64-point grid sweep, ROUNDS times (default 20). Prints one line per round
# and how many rounds gave exactly 64 runs, all completed, each point once.
# Build first (npm run build). Usage: bench/hosts.sh [ROUNDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-20}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export G_HOME=$WORK/home
cd "$WORK"
printf 'import argparse\np = argparse.ArgumentParser()\np.add_argument("--a")\np.add_argument("--b")\np.parse_args()\nprint("loss: 1.0")\n' >quick.py
printf 'program: quick.py\nmethod: grid\nparameters:\n  a: {values: [1, 2, 3, 4, 5, 6, 7, 8]}\n  b: {values: [1, 2, 3, 4, 5, 6, 7, 8]}\n' >grid.yaml
good=0
for round in $(seq 1 "$ROUNDS"); do
  id=$(node "$ROOT/bin/g" sweep grid.yaml 2>/dev/null)
  start=$(date +%s.%N)
  pids=()
  for i in 0 1 2 3 4 5 6 7; do
    host=host-$((i % 2))
    unshare --uts -- sh -c 'hostname "$0" && exec "$@"' "$host" node "$ROOT/bin/g" agent "$id" >/dev/null 2>&1 &
    pids+=($!)
  done
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  check=$(node -e '
    const fs = require("fs"), path = require("path");
    const [home, id] = process.argv.slice(1);
    const entries = fs.readFileSync(path.join(home, "sweeps", id, "trials.jsonl"), "utf8").trim().split("\n");
    const points = new Set(), trials = new Set();
    let completed = 0;
    for (const line of entries) {
      const { run, trial } = JSON.parse(line);
      const r = JSON.parse(fs.readFileSync(path.join(home, "runs", run, "run.json"), "utf8"));
      points.add(`${r.flags.a}/${r.flags.b}`); trials.add(trial);
      if (r.exit_status === 0 && r.stopped) completed++;
    }
    console.log(`${entries.length} ${points.size} ${trials.size} ${completed}`);
  ' "$G_HOME" "$id")
  read -r runs points trials completed <<<"$check"
  ok=no
  if [ "$failed" = 0 ] && [ "$runs" = 64 ] && [ "$points" = 64 ] && [ "$trials" = 64 ] && [ "$completed" = 64 ]; then ok=yes; good=$((good + 1)); fi
  printf 'round %2d: %s runs, %s distinct points, %s completed, %s agents failed, %.1f s: %s\n' "$round" "$runs" "$points" "$completed" "$failed" "$wall" "$ok"
done
echo "exactly 64 runs in $good of $ROUNDS rounds"

#!/bin/sh
# Runs the shared optimizer benchmark (shared/bench/optimizers/bench.py) for
# g's gp and tpe optimizers: 20 seeds, budgets 20 and 50, all five functions,
# with the stored skopt/Optuna anchors merged into the same tables.
#
#   bench/optimizers.sh            # both optimizers, ~5 min on 2 cores
#   SEEDS=5 BUDGETS=50 FUNCTIONS=branin,hartmann6 OPTIMIZERS=gp bench/optimizers.sh   # quick look
#   SETTINGS="xi=0.01" OPTIMIZERS=gp bench/optimizers.sh                            # try --opt-flag values
#
# Needs numpy for the harness (apt-get install -y python3-numpy; /usr/bin/python3)
# The optimizer is started through bench/ask-tell.mjs on a private build
# (equivalent to `g ask-tell --optimizer NAME`). Results go to
# bench/out/ (gitignored): g_<opt>.json, g_<opt>_vs_anchors.md and a combined
# optimizers.md with every table.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
HARNESS=${HARNESS:-$ROOT/../shared/bench/optimizers}
# From a git worktree under /work/wt/NAME the shared folder is one level further up.
[ -f "$HARNESS/bench.py" ] || HARNESS=$ROOT/../../shared/bench/optimizers
PYTHON=${PYTHON:-/usr/bin/python3}
SEEDS=${SEEDS:-20}
BUDGETS=${BUDGETS:-20,50}
FUNCTIONS=${FUNCTIONS:-branin,hartmann6,rosenbrock4,ackley5,guild_noisy1d}
SETTINGS=${SETTINGS:-}
JOBS=${JOBS:-2}
OPTIMIZERS=${OPTIMIZERS:-gp tpe}
# Results of an interrupted run are reused only with RESUME=1 (a rebuilt
# optimizer must not inherit stale runs).
FRESH=--fresh
[ "${RESUME:-0}" = 1 ] && FRESH=
OUT=$ROOT/bench/out
mkdir -p "$OUT"

# A private build, so that a concurrent `npm run build` cannot swap the
# optimizer under a running benchmark (tsc emits even if unrelated files have
# type errors, hence `|| true`). The same code is `g ask-tell --optimizer NAME`.
echo "building into $OUT/dist" >&2
npx tsc -p tsconfig.json --outDir "$OUT/dist" --declaration false >/dev/null 2>&1 || true
[ -f "$OUT/dist/commands/ask-tell.js" ] || { echo "build failed: no $OUT/dist/commands/ask-tell.js" >&2; exit 1; }
launcher="env G_DIST=$OUT/dist node $ROOT/bench/ask-tell.mjs"

for opt in $OPTIMIZERS; do
  echo "== g_$opt ($launcher $opt), $SEEDS seeds" >&2
  "$PYTHON" "$HARNESS/bench.py" --external "$launcher $opt $SETTINGS" --external-name "g_$opt" \
    --functions "$FUNCTIONS" --budgets "$BUDGETS" --seeds "$SEEDS" --jobs "$JOBS" --out "$OUT/g_$opt.json" --md "$OUT/g_${opt}_vs_anchors.md" \
    --merge "$HARNESS/results/anchors.json" $FRESH
done

# One table with every optimizer side by side (also those of an earlier
# invocation, e.g. OPTIMIZERS=gp after a full run).
# shellcheck disable=SC2046
"$PYTHON" "$HARNESS/bench.py" --report-only "$HARNESS/results/anchors.json" $(ls "$OUT"/g_*.json) --md "$OUT/optimizers.md"
echo "wrote $OUT/optimizers.md" >&2

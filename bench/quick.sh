#!/bin/sh
# Quick iteration: bench/quick.sh gp|tpe [functions] [seeds]
set -e
cd "$(dirname "$0")/.."
B=../shared/bench/optimizers
opt=${1:-gp}; fns=${2:-branin,hartmann6}; seeds=${3:-5}
mkdir -p bench/out
/usr/bin/python3 $B/bench.py --external "node $PWD/bench/ask-tell.mjs $opt" --external-name g_$opt \
  --out bench/out/quick_$opt.json --md bench/out/quick_$opt.md --functions "$fns" --budgets 50 \
  --seeds "$seeds" --jobs 2 --fresh >/dev/null
grep "^| [a-z_0-9]* | g_$opt |" bench/out/quick_$opt.md

#!/bin/sh
# Quick iteration on the optimizer benchmark (budget 50 only):
#   bench/quick.sh NAME "OPT [SETTING=VALUE ...]" [functions] [seeds]
set -e
cd "$(dirname "$0")/.."
B=../shared/bench/optimizers
name=$1; opt=$2; fns=${3:-branin,hartmann6}; seeds=${4:-5}
mkdir -p bench/out
/usr/bin/python3 $B/bench.py --external "node $PWD/bench/ask-tell.mjs $opt" --external-name "$name" \
  --out "bench/out/quick_$name.json" --md "bench/out/quick_$name.md" --functions "$fns" --budgets 50 \
  --seeds "$seeds" --jobs 2 --fresh >/dev/null 2>&1
awk '/^### /{f=$2} /^\| '"$name"' \| [0-9]/{print f, $0}' "bench/out/quick_$name.md"

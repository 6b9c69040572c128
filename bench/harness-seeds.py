#!/usr/bin/env python3
# Runs chosen seeds of the shared optimizer harness (its own do_run: the same
# Recorder, noise streams and ask-tell protocol as bench/optimizers.sh) for g's
# optimizers on a given build, and prints one JSON line per run with the
# regret at the budget. For per-seed comparisons between two builds without
# rerunning all 20 seeds (e.g. the seventh round's seed-11 check, issue 14):
#
#   /usr/bin/python3 bench/harness-seeds.py --dist /work/wt/base/dist \
#     --optimizers tpe,forest,gbrt,gp --budgets 20,50 --seeds 11 > old11.jsonl
#
# HARNESS (default ../shared/bench/optimizers, or ../../shared/... from a
# worktree) is the harness folder; --dist is a build's dist/ (absolute path).
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARNESS = os.environ.get("HARNESS") or next(
    (p for p in (os.path.join(ROOT, "..", "shared", "bench", "optimizers"),
                 os.path.join(ROOT, "..", "..", "shared", "bench", "optimizers"))
     if os.path.isfile(os.path.join(p, "bench.py"))),
    os.path.join(ROOT, "..", "shared", "bench", "optimizers"))
FUNCTIONS = "branin,hartmann6,rosenbrock4,ackley5,guild_noisy1d"
TIMEOUT_S = 1800.0  # the harness's own default for an external optimizer

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--dist", default=os.path.join(ROOT, "dist"), help="the build's dist/ folder")
ap.add_argument("--optimizers", default="gp,tpe")
ap.add_argument("--functions", default=FUNCTIONS)
ap.add_argument("--budgets", default="50")
ap.add_argument("--seeds", required=True, help="comma-separated harness seeds")
args = ap.parse_args()

sys.path.insert(0, HARNESS)
import bench  # noqa: E402  (the harness, found above)

launcher = os.path.join(ROOT, "bench", "ask-tell.mjs")
for opt in args.optimizers.split(","):
    cmd = f"env G_DIST={os.path.abspath(args.dist)} node {launcher} {opt}"
    for fn in args.functions.split(","):
        for budget in map(int, args.budgets.split(",")):
            for seed in map(int, args.seeds.split(",")):
                run = bench.do_run((fn, "g_" + opt, budget, seed, cmd, TIMEOUT_S))
                print(json.dumps({"optimizer": opt, "function": fn, "budget": budget, "seed": seed,
                                  "regret": run["regret"][-1], "best_x": run["best_x"]}), flush=True)

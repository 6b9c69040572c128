# A script meant for `g run`: g passes --lr, the runner puts g_runs on
# PYTHONPATH, and everything the SDK records lands in the run g made.
#   g run examples/sdk/train_in_g_run.py lr=0.5
#   g compare -T 1        # flags lr (from g) and momentum (from params.set)
import argparse
import g_runs as g
from g_runs import Experiment

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
args = parser.parse_args()

print("flags from g:", g.flags())
with Experiment(prefix="alice/inside/trial", tags=["sdk"]).run as experiment:
    # g's own flags win over params of the same name (lr stays what g passed).
    experiment.params.set(lr=args.lr, momentum=0.9)
    experiment.log("hello from g_runs")
    for epoch in range(3):
        experiment.metrics("train").log(loss=args.lr / (epoch + 1))
        experiment.metrics.log(epoch=epoch).flush()

# A script that runs its own search loop (the shape of the seed's "Bayesian
# optimization" variation, shared/seeds/002), suggesting each trial from the
# ones before and recording every trial as a g run. The optimizer here is a
# hand-written one (perturb the best point so far): any suggest/register
# optimizer fits. For g's own gp, see bayesian_optimization.py.
#   PYTHONPATH=$(g sdk python-path) python3 examples/sdk/optimizer_loop.py
import math
import os
import random
from g_runs import Experiment

class PerturbBest:
    """suggest() a point near the best one registered so far; register() a result."""

    def __init__(self, seed=0):
        self.rng = random.Random(seed)
        self.best = None

    def suggest(self):
        if self.best is None:
            return {"log_lr": self.rng.uniform(-4, -1), "momentum": self.rng.uniform(0.5, 0.99)}
        params, _ = self.best
        return {
            "log_lr": min(-1, max(-4, params["log_lr"] + self.rng.gauss(0, 0.3))),
            "momentum": min(0.99, max(0.5, params["momentum"] + self.rng.gauss(0, 0.05))),
        }

    def register(self, params, accuracy):
        if self.best is None or accuracy > self.best[1]:
            self.best = (params, accuracy)

def train_and_evaluate(params, experiment):
    # A smooth made-up objective, best near lr = 10^-2.5 and momentum 0.9.
    accuracy = 0.95 - 0.1 * (params["log_lr"] + 2.5) ** 2 - (params["momentum"] - 0.9) ** 2
    for step in range(3):
        experiment.metrics("val").log(accuracy=accuracy * (step + 1) / 3, step=step).flush()
    return accuracy

optimizer = PerturbBest(seed=int(os.environ.get("SEED", "0")))
for trial in range(int(os.environ.get("N_TRIALS", "100"))):
    # Get next params from the optimizer
    params = optimizer.suggest()

    with Experiment(
        prefix=f"alice/bayes-opt/trial-{trial}"
    ).run as experiment:
        experiment.params.set(**params, learning_rate=math.pow(10, params["log_lr"]))
        accuracy = train_and_evaluate(params, experiment)

        # Update the optimizer
        optimizer.register(params, accuracy)

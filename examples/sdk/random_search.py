# The seed's "Random search" variation (shared/seeds/002): 20 experiments with
# log-uniform learning rates, each its own g run. N_TRIALS in the environment
# changes the count (the tests use fewer).
#   PYTHONPATH=$(g sdk python-path) python3 examples/sdk/random_search.py
import os
import random
from g_runs import Experiment

def train(lr, bs, experiment):
    for epoch in range(5):
        loss = 1.0 / (epoch + 1) * (lr / 0.01) + random.uniform(-0.05, 0.05)
        experiment.metrics("train").log(loss=loss)
        experiment.metrics.log(epoch=epoch).flush()
    return loss

for i in range(int(os.environ.get("N_TRIALS", "20"))):
    lr = 10 ** random.uniform(-4, -1)  # 0.0001 to 0.1
    bs = random.choice([16, 32, 64, 128])

    with Experiment(
        prefix=f"alice/random-search/random-{i}"
    ).run as experiment:
        experiment.params.set(learning_rate=lr, batch_size=bs)
        train(lr, bs, experiment)

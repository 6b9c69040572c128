# The seed's "Bayesian optimization" variation (shared/seeds/002), run as
# written: the loop below is the seed's, word for word. What the seed leaves
# to the reader (an optimizer and train_and_evaluate) is defined first, and
# the one import that changes is ml_dash's: `from g_runs import ...`.
# BayesianOptimization has the bayesian-optimization package's constructor
# and drives g's own gp through `g ask-tell`.
#   PYTHONPATH=$(g sdk python-path) python3 examples/sdk/bayesian_optimization.py
#   g compare -T --prefix alice/bayes-opt -M val/accuracy -t 5
from g_runs import Experiment, BayesianOptimization

optimizer = BayesianOptimization(
    f=None,
    pbounds={"log_lr": (-4, -1), "momentum": (0.5, 0.99)},
    random_state=1,
)


def train_and_evaluate(params, experiment):
    # A smooth made-up objective, best near lr = 10^-2.5 and momentum 0.9.
    accuracy = 0.95 - 0.1 * (params["log_lr"] + 2.5) ** 2 - (params["momentum"] - 0.9) ** 2
    for epoch in range(3):
        experiment.metrics("val").log(accuracy=accuracy * (epoch + 1) / 3)
        experiment.metrics.log(epoch=epoch).flush()
    return accuracy


for trial in range(100):
    # Get next params from Bayesian optimizer
    params = optimizer.suggest()

    with Experiment(
        prefix=f"alice/bayes-opt/trial-{trial}"
    ).run as experiment:
        experiment.params.set(**params)
        accuracy = train_and_evaluate(params, experiment)

        # Update Bayesian optimizer
        optimizer.register(params, accuracy)

print(f"best accuracy {optimizer.max['target']:.4f} at {optimizer.max['params']}")

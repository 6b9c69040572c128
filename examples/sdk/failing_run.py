# A run whose block raises: the run is recorded with status `error`, exit_status 1
# and the exception's text in run.json's `error` field; the exception goes on
# up, so the script fails as it would without g_runs.
#   PYTHONPATH=$(g sdk python-path) python3 examples/sdk/failing_run.py; g runs
from g_runs import Experiment

with Experiment(prefix="alice/failures/diverged", tags=["demo"]).run as experiment:
    experiment.params.set(learning_rate=10.0)
    experiment.metrics("train").log(loss=1e6).flush()
    raise ValueError("loss diverged")

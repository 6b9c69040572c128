"""g_runs: log params, metrics and messages from Python into g's run store.

    from g_runs import Experiment
    with Experiment(prefix="alice/search/lr-0.1", tags=["grid"]).run as exp:
        exp.params.set(learning_rate=0.1)
        exp.metrics("train").log(loss=0.5).flush()

Inside `g run` the short forms write into the current run:

    import g_runs as g
    g.log(loss=0.1, step=3)
    g.flags()       # the run's flags, from G_FLAGS

Standard library only. See docs/sdk.md in the g package.
"""

import json
import os
import threading

from .experiment import (
    Experiment,
    LogBuilder,
    Metrics,
    Params,
    RunContext,
    current_experiment,
    ml_dash_experiment,
)
from .optimizer import BayesianOptimization, Optimizer

__all__ = [
    "Experiment",
    "LogBuilder",
    "Metrics",
    "Params",
    "RunContext",
    "ml_dash_experiment",
    "Optimizer",
    "BayesianOptimization",
    "log",
    "flags",
    "current_experiment",
]
__version__ = "0.1.0"

_default_lock = threading.Lock()
_default = None


def _target():
    """The experiment the short forms write to: the innermost open one, else a default."""
    global _default
    exp = current_experiment()
    if exp is not None:
        return exp
    with _default_lock:
        if _default is None or _default._finished:
            # Inside `g run` this writes into that run; standalone it creates a
            # run named after the script, finished when the interpreter exits.
            _default = Experiment()
        return _default


def log(step=None, **scalars):
    """Records scalars now: g_runs.log(loss=0.1, acc=0.9, step=3). step=None records no step."""
    _target().log_scalars(scalars, step)


def flags():
    """The run's flags (a dict) as `g run` passed them in G_FLAGS; {} outside g run."""
    text = os.environ.get("G_FLAGS")
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

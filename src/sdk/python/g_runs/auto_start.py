"""ml_dash's `dxp`: a ready-made Experiment for quick scripts (`from g_runs.auto_start import dxp`).

As in ml_dash it is not started on import: `with dxp.run:` or
`dxp.run.start()` starts it (here any write does too, as for every g_runs
experiment), and a run still open when the interpreter exits is completed
(by the exit hook every g_runs experiment has; an uncaught exception makes it
an error). Its prefix is ml_dash's default,
`{user}/scratch/{now:%Y/%m-%d}/{path_stem}/{now:%H.%M.%S}/{job_counter:03d}`.
ml_dash's dxp writes to its server; this one writes to the local store like
every g_runs experiment (G_HOME, or the g run it is started in).
"""

from . import templates
from .experiment import Experiment

dxp = Experiment(prefix=templates.DEFAULT_PREFIX)

__all__ = ["dxp"]

"""An optimizer client for search loops written in Python: suggest() / register(params, value).

It drives g's own gp / tpe / random optimizers through `g ask-tell` (the
JSON-lines protocol of docs/optimizers.md), started once per optimizer as a
child process with an argument array. So a script that runs its own trials
(the ml_dash seed's "Bayesian optimization" variation) gets the same
proposals `g run --optimizer gp` would make.

    from g_runs import Optimizer
    optimizer = Optimizer({"lr": (1e-4, 1e-1, "log"), "bs": [16, 32, 64]}, maximize=True)
    params = optimizer.suggest()
    optimizer.register(params, accuracy)

`BayesianOptimization(f=None, pbounds=..., random_state=...)` is the same
client with the constructor of the bayesian-optimization package (whose
suggest/register the seed calls): it maximises, with gp.

The child keeps the history, so the client keeps what a new child needs: every
observation it told, and the state the last suggestion left (each suggestion
asks for it: the count of proposals, the random stream, the model's warm
start). If the child stops (killed, or closed), the call that finds it stopped
raises and the next one starts a new child, resumes it from that state and
tells it the observations in one message, so the proposals continue as if
nothing had happened, for the cost of one model fit (the next suggestion's).
"""

import atexit
import json
import math
import os
import shutil
import signal
import subprocess
import threading
import weakref

PROTOCOL_VERSION = 1
# Observed floats this far outside their range (relative to its width) are clipped, as g ask-tell does.
CLIP_TOLERANCE = 1e-9
# How long a suggestion may take before the client gives up on `g ask-tell` (a gp fit is well under this).
REPLY_TIMEOUT_S = 600.0

_open_clients = weakref.WeakSet()


def find_g():
    """The g command: $G_BIN, else the bin/g of the package this SDK ships in, else `g` on PATH."""
    explicit = os.environ.get("G_BIN")
    if explicit:
        return explicit
    # <root>/src/sdk/python/g_runs/optimizer.py, when the SDK is used from g's package.
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    bundled = os.path.join(root, "bin", "g")
    if os.path.isfile(bundled) and os.access(bundled, os.X_OK):
        return bundled
    found = shutil.which("g")
    if found:
        return found
    raise RuntimeError("g_runs: cannot find the g command for the optimizer; put g on PATH or set G_BIN")


def _dimension(name, spec):
    """A search-space entry → ask-tell's form: (low, high), (low, high, "log"), a list of choices, or a dict as is."""
    if isinstance(spec, dict):
        return dict(spec)
    if isinstance(spec, list):
        return {"type": "categorical", "values": list(spec)}
    if isinstance(spec, tuple) and len(spec) in (2, 3):
        low, high = spec[0], spec[1]
        scale = spec[2] if len(spec) == 3 else None
        if scale not in (None, "log", "linear"):
            raise ValueError(f"g_runs: {name}: the third item of a range is 'log' or 'linear', got {scale!r}")
        for bound in (low, high):
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not math.isfinite(bound):
                raise ValueError(f"g_runs: {name}: range bounds are finite numbers, got {spec!r}")
        # A range is continuous, as in bayes_opt; an integer range is {"type": "int", "low": 1, "high": 8}.
        dim = {"type": "float", "low": low, "high": high}
        if scale == "log":
            dim["log"] = True
        return dim
    raise ValueError(
        f"g_runs: {name}: a parameter is (low, high), (low, high, 'log'), a list of choices, "
        f"or a dict such as {{'type': 'int', 'low': 1, 'high': 8}}; got {spec!r}"
    )


def _checked_params(space, params):
    """`params` as g ask-tell accepts them: exactly the space's names, each a value its dimension holds; else ValueError."""
    names = ", ".join(space)
    for name in params:
        if name not in space:
            raise ValueError(f'g_runs: register(): "params" has {_describe(name)}, which is not in the space ({names})')
    checked = {}
    for name, dim in space.items():
        if name not in params:
            raise ValueError(f'g_runs: register(): "params" lacks {_describe(name)}')
        checked[name] = _checked_param(name, params[name], dim)
    return checked


def _checked_param(name, value, dim):
    where = f"g_runs: register(): param {_describe(name)}"
    if hasattr(value, "item") and not isinstance(value, (str, list, dict)):  # numpy and torch scalars
        value = value.item()
    kind = dim.get("type")
    if kind == "categorical" and isinstance(dim.get("values"), list):
        if not any(_same_value(value, v) for v in dim["values"]):
            raise ValueError(f"{where} is {_describe(value)}, not one of {json.dumps(dim['values'], separators=(',', ':'))}")
        return value
    low, high = dim.get("low"), dim.get("high")
    if kind not in ("float", "int") or not (_is_number(low) and _is_number(high)):
        return value  # a space g ask-tell refuses at init, with its own message
    if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"{where} must be a number, got {_describe(value)}")
    if kind == "int":
        # The whole numbers of the range, as g ask-tell keeps them.
        low, high = math.ceil(low), math.floor(high)
        if value != math.floor(value):
            raise ValueError(f"{where} must be a whole number, got {_describe(value)}")
        if not low <= value <= high:
            raise ValueError(f"{where} {_describe(value)} is outside [{low}, {high}]")
        return int(value)
    slack = CLIP_TOLERANCE * (high - low)
    if not low - slack <= value <= high + slack:
        raise ValueError(f"{where} {_describe(value)} is outside [{_describe(low)}, {_describe(high)}]")
    return min(high, max(low, value))


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_value(a, b):
    """JSON's equality, as g compares a categorical value: True is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if _is_number(a) and _is_number(b):
        return a == b
    return isinstance(a, str) and isinstance(b, str) and a == b


def _describe(value):
    """A value short in a message, as g ask-tell shows it: null, "x", 1 (an integral float too), an array."""
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        value = int(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return f"a value of type {type(value).__name__}"
    return text[:40] + "..." if len(text) > 40 else text


class Optimizer:
    """suggest() the next params to try; register(params, value) what they gave."""

    def __init__(self, space, *, optimizer="gp", maximize=False, seed=0, settings=None, budget=None):
        if not isinstance(space, dict) or not space:
            raise ValueError("g_runs: the optimizer needs a space: {name: (low, high) | [choices] | {...}}")
        self.space = {str(k): _dimension(k, v) for k, v in space.items()}
        self.optimizer = str(optimizer)
        self.direction = "maximize" if maximize else "minimize"
        self.seed = seed
        self.settings = dict(settings or {})
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
            raise ValueError(f"g_runs: the optimizer's budget must be a whole number >= 0, got {budget!r}")
        # How many trials the loop will run, if known: ask-tell's init "budget" (gp's end-game setting uses it).
        self.budget = budget
        self.res = []  # {"params", "target"} per registered trial, as bayes_opt keeps them
        self._trial = 0  # suggestions the child made
        self._proc = None
        # What a new child is given to go on where this one stood: the observations the child took, in order,
        # and the state its last suggestion left ("state" of the reply).
        self._told = []
        self._state = None
        self._lock = threading.Lock()

    # -- the g ask-tell process -------------------------------------------------

    def _start(self):
        if self._trial > 0 and self._state is None:
            raise RuntimeError(
                "g_runs: the optimizer stopped, and its g ask-tell gave no state to resume from (an older g?); "
                "start a new Optimizer, or use the g this SDK ships with (G_BIN)"
            )
        argv = [find_g(), "ask-tell", "--optimizer", self.optimizer]
        for key, value in self.settings.items():
            argv += ["--opt-flag", f"{key}={value}"]
        try:
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
            )
        except OSError as err:
            raise RuntimeError(f"g_runs: cannot start {argv[0]} ask-tell: {err}") from None
        _open_clients.add(self)
        init = {"type": "init", "protocol": PROTOCOL_VERSION, "direction": self.direction,
                "seed": self.seed, "space": self.space}
        if self.budget is not None:
            init["budget"] = self.budget
        self._send(init, "ready")
        if self._state is not None:
            self._send({"type": "resume", "state": self._state}, "ok")
        if self._told:
            self._send({"type": "tell", "observations": self._told}, "ok")

    def _ask(self, message, expect):
        """Sends `message` to the child, started (and brought to where the last one stood) if none runs."""
        if self._proc is None:
            self._start()
        return self._send(message, expect)

    def _send(self, message, expect):
        proc = self._proc
        try:
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            raise RuntimeError(f"g_runs: the optimizer stopped: {self._stderr_text()}")
        reply = json.loads(line)
        if reply.get("type") != expect:
            raise RuntimeError(f"g_runs: the optimizer answered {reply!r}, expected {expect}")
        return reply

    def _stderr_text(self):
        """The stopped child's last stderr line; the next call starts a new child."""
        proc, self._proc = self._proc, None
        try:
            _, err = proc.communicate(timeout=REPLY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        text = (err or "").strip()
        if text:
            return text.splitlines()[-1]
        if proc.returncode is not None and proc.returncode < 0:
            # Popen's -N is "killed by signal N", not an exit status a user could look up.
            return f"g ask-tell was killed by {_signal_name(-proc.returncode)}"
        return f"g ask-tell exited with status {proc.returncode}"

    def close(self):
        """Ends the optimizer's process (also done when the interpreter exits); a later call starts a new one."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is None:
                return
            try:
                proc.stdin.write(json.dumps({"type": "end"}) + "\n")
                proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- the search ---------------------------------------------------------------

    def suggest(self, *unused):
        """The next params to try, a dict; proposals learn from everything registered so far."""
        with self._lock:
            reply = self._ask({"type": "suggest", "trial": self._trial, "state": True}, "suggestion")
            self._state = reply.get("state")
            self._trial += 1
            return dict(reply["params"])

    def register(self, params, target=None, **kwargs):
        """Tells the optimizer what `params` gave (target: the value; None for a failed trial)."""
        if "value" in kwargs:
            target = kwargs.pop("value")
        if kwargs:
            raise TypeError(f"g_runs: register() got unexpected arguments {sorted(kwargs)}")
        if not isinstance(params, dict):
            raise TypeError(f"g_runs: register() takes the params dict suggest() gave, got {type(params).__name__}")
        if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float))):
            if hasattr(target, "item"):
                target = target.item()
            else:
                raise TypeError(f"g_runs: register() takes a number (or None), got {type(target).__name__}")
        value = None if target is None or not math.isfinite(target) else float(target)
        # Checked here, as g ask-tell checks an observe line: a bad one would end the child.
        checked = _checked_params(self.space, params)
        with self._lock:
            self._ask({"type": "observe", "params": checked, "value": value}, "ok")
            self._told.append({"params": checked, "value": value})
            self.res.append({"params": dict(params), "target": value})

    @property
    def max(self):
        """The best registered trial, {"target", "params"} (the lowest when minimising, despite the name)."""
        done = [r for r in self.res if r["target"] is not None]
        if not done:
            return None
        pick = max if self.direction == "maximize" else min
        return dict(pick(done, key=lambda r: r["target"]))


class BayesianOptimization(Optimizer):
    """The bayesian-optimization package's constructor over g's gp: it maximises `target`.

    `f` must be None (the suggest/register form); bounds are (low, high) floats.
    """

    def __init__(self, f=None, pbounds=None, random_state=None, verbose=0, allow_duplicate_points=False, **kwargs):
        if f is not None:
            raise ValueError(
                "g_runs: BayesianOptimization(f=...) with maximize() is not supported; use f=None with suggest()/register()"
            )
        optimizer = kwargs.pop("optimizer", "gp")
        settings = kwargs.pop("settings", None)
        if kwargs:
            raise TypeError(f"g_runs: BayesianOptimization got unsupported arguments {sorted(kwargs)}")
        super().__init__(pbounds or {}, optimizer=optimizer, maximize=True,
                         seed=0 if random_state is None else random_state, settings=settings)


def _close_all():
    for client in list(_open_clients):
        try:
            client.close()
        except Exception:
            pass


atexit.register(_close_all)


def _signal_name(number):
    """`SIGKILL` for 9; the number itself for a signal Python does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"

"""Experiments in ml_dash style that record into g's run store (format 1).

Standalone, an Experiment creates a run under $G_HOME/runs (op from the
prefix, label from the name). Inside a `g run` process (G_RUN_DIR set) the
first Experiment writes into that run instead: scalars and log lines go where
the runner's go, and params go to params.json, which the runner merges into
the run's flags when the process ends (the runner owns run.json's flags; a
separate file means neither side can lose the other's update).

A script that records several experiments (a prefix or name different from
the first one's) makes each of them a run of its own, a child of the g run
(run.json `parent`); the first one is then moved out of the g run into a
child too, so no two experiments are ever merged into one run. See
docs/sdk.md, "Several experiments inside g run".
"""

import atexit
import json
import math
import os
import sys
import threading
import time
import uuid

from . import _files as files

_state_lock = threading.RLock()
_active = []  # started, unfinished experiments of this process, innermost last
_uncaught = []  # the exception that is ending the interpreter, if any
_hooks_installed = False
# By g run directory: the Experiment with a prefix or name that this process
# attached to that run, until a second one makes every experiment a child run
# (then it is moved out).
_attached_here = {}
# Messages of that experiment, kept to move them into its child run; at most this many.
MAX_KEPT_MESSAGES = 10_000


def current_experiment():
    """The innermost started, unfinished experiment of this process, or None."""
    with _state_lock:
        return _active[-1] if _active else None


class Experiment:
    """One run: `with Experiment(prefix="alice/search/lr-0.1").run as exp: ...`."""

    def __init__(self, prefix=None, description=None, tags=None, name=None, home=None):
        self.prefix = prefix
        self.description = description
        self.tags = [str(t) for t in (tags or [])]
        self.name = name
        self._home = home
        self._lock = threading.RLock()
        self.id = None
        self.dir = None
        # True while writing into the enclosing g run; False for a run of its own
        # (standalone, or a child of the g run, then `parent_id` is set).
        self.inside_g_run = False
        self.parent_id = None
        # What this experiment changed in the g run's record, to undo when it is moved out.
        self._parent_undo = None
        self._token = uuid.uuid4().hex
        self._kept_messages = []
        self._dropped_messages = 0
        self._started_at = None
        self._end = None
        self._started = False
        self._finished = False
        self._scalars = None
        self._output = None
        # The metrics row being built: {key: value}; written by flush().
        self._row = {}
        self._row_step = None
        self._rows_written = 0
        self.params = Params(self)
        self.metrics = Metrics(self, "")
        self.run = RunContext(self)

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self):
        return self.run.__enter__()

    def __exit__(self, exc_type, exc, tb):
        return self.run.__exit__(exc_type, exc, tb)

    def _check_open(self):
        """Every write goes through here: a finished run takes nothing more, and says so."""
        if self._finished:
            raise RuntimeError(f"g_runs: run {self.id} has finished; start a new Experiment to record more")

    def start(self):
        """Starts the run (idempotent); every write starts it on first use."""
        with self._lock:
            self._check_open()
            if self._started:
                return self
            self._started_at = files.iso_now()
            run_dir = os.environ.get("G_RUN_DIR")
            if run_dir:
                self._enter_g_run(os.path.abspath(run_dir))
            else:
                self._create()
            self._open_files()
            self._started = True
        with _state_lock:
            _active.append(self)
            _install_hooks()
        return self

    def finish(self, error=None):
        """Ends the run: completed, or error (exit_status 1, `error` field) when given an exception."""
        with self._lock:
            if not self._started or self._finished:
                return
            self.metrics.flush()
            self._finished = True
            interrupted = isinstance(error, KeyboardInterrupt)
            status = _exit_status(error)
            # Kept for a move into a child run, should a later experiment cause one.
            self._end = {"stopped": files.iso_now(), "exit_status": status}
            if interrupted:
                self._end["terminated"] = True
            elif status != 0:
                self._end["error"] = _describe(error)
            if not self.inside_g_run:
                files.update_json_locked(self.dir, files.RUN_FILE, lambda record: record.update(self._end))
                try:
                    os.unlink(os.path.join(self.dir, files.LOCK_FILE))
                except OSError:
                    pass
            self._scalars.close()
            self._output.close()
        with _state_lock:
            if self in _active:
                _active.remove(self)

    def _open_files(self):
        self._scalars = files.LineAppender(os.path.join(self.dir, files.SCALARS_FILE))
        self._output = files.LineAppender(os.path.join(self.dir, files.OUTPUT_FILE))

    def _identity(self):
        """What tells this experiment from another inside one g run: its prefix and name (None: neither)."""
        if not self.prefix and self.name is None:
            return None
        return {"prefix": self.prefix or None, "name": self.name}

    def _enter_g_run(self, run_dir):
        """Inside `g run`: write into that run, or become a child run of it (see the module doc)."""
        identity = self._identity()
        if identity is None:
            # No prefix or name (the short forms' default too): always the g run itself.
            self._attach(run_dir)
            return
        parent_id = os.environ.get("G_RUN_ID") or os.path.basename(run_dir)
        with _state_lock, files.DirLock(run_dir):
            path = os.path.join(run_dir, files.RUN_FILE)
            record = files.read_json(path)
            if not isinstance(record, dict):
                raise RuntimeError(f"g_runs: cannot read {path}; is G_RUN_DIR the directory of a g run?")
            first = record.get("sdk_experiment")
            same = isinstance(first, dict) and first.get("prefix") == identity["prefix"] and first.get("name") == identity["name"]
            if not record.get("sdk_children") and (first is None or same):
                if first is None:
                    record["sdk_experiment"] = identity
                self._parent_undo = _describe_parent(record, self.tags, self.description, self.prefix, self.name)
                files.write_json_atomic(path, record)
                self.inside_g_run = True
                self.dir = run_dir
                self.id = parent_id
                if first is None:
                    _attached_here[run_dir] = self
                return
            # A second experiment: from now on every one is a child run of the g run.
            record["sdk_children"] = True
            moving = _attached_here.pop(run_dir, None)
            if moving is not None:
                moving._undo_parent(record)
            files.write_json_atomic(path, record)
            if moving is not None:
                moving._move_out(run_dir, parent_id)
        self._create(parent_id=parent_id, home=_home_of(run_dir))

    def _undo_parent(self, record):
        """Takes back what this experiment wrote into the g run's record (under its lock)."""
        _undo_describe(record, self._parent_undo or {})
        record.pop("sdk_experiment", None)
        self._parent_undo = None

    def _move_out(self, run_dir, parent_id):
        """Moves this experiment's params, metrics and messages out of the g run into a child run of it.

        Called holding the g run's directory lock.
        """
        with self._lock:
            params = self.params.get()
            self._create(parent_id=parent_id, home=_home_of(run_dir), flags=params, created=self._started_at, end=self._end)
            params_path = os.path.join(run_dir, files.PARAMS_FILE)
            values = files.read_json(params_path)
            if params and isinstance(values, dict):
                for key, value in params.items():
                    if key in values and values[key] == value:
                        del values[key]
                if values:
                    files.write_json_atomic(params_path, values)
                else:
                    os.unlink(params_path)
            moved = files.move_marked_lines(os.path.join(run_dir, files.SCALARS_FILE), self._token)
            if moved:
                files.LineAppender(os.path.join(self.dir, files.SCALARS_FILE)).append("".join(moved))
            messages = list(self._kept_messages)
            if self._dropped_messages:
                messages.insert(0, f"{files.iso_now()} INFO ({self._dropped_messages} earlier messages are in the output.log of run {parent_id})\n")
            if messages:
                files.LineAppender(os.path.join(self.dir, files.OUTPUT_FILE)).append("".join(messages))
            self._kept_messages = []
            self.inside_g_run = False
            if self._scalars is not None:
                self._scalars.close()
                self._output.close()
            self._open_files()

    def _create(self, parent_id=None, home=None, flags=None, created=None, end=None):
        home = home or self._home or os.environ.get("G_HOME") or _default_home()
        runs = os.path.join(os.path.abspath(home), "runs")
        os.makedirs(runs, exist_ok=True)
        self.id = uuid.uuid4().hex
        op, label = _op_and_label(self.prefix, self.name)
        now = created or files.iso_now()
        record = {
            "format": 1,
            "id": self.id,
            "op": op,
            "cmd": list(sys.argv),
            "cwd": os.getcwd(),
            "flags": dict(flags or {}),
            "created": now,
            "started": now,
            "stopped": None,
            "exit_status": None,
            "label": label,
            "tags": list(self.tags),
            "sdk": "python",
        }
        if self.prefix:
            record["prefix"] = self.prefix
        if self.description:
            record["description"] = self.description
        if parent_id:
            record["parent"] = parent_id
            self.parent_id = parent_id
        if end:
            record.update(end)
        # Built under a name the store skips, then renamed: readers never see a
        # run without its run.json or its LOCK (which would read as `error`).
        building = os.path.join(runs, f".new-{self.id}")
        os.mkdir(building)
        if not end:
            files.write_json_atomic(
                os.path.join(building, files.LOCK_FILE), {"pid": os.getpid(), "host": files.HOST}
            )
        files.write_json_atomic(os.path.join(building, files.RUN_FILE), record)
        self.dir = os.path.join(runs, self.id)
        os.rename(building, self.dir)

    def _attach(self, run_dir):
        """Writes into the g run itself (an experiment without prefix or name)."""
        self.inside_g_run = True
        self.dir = os.path.abspath(run_dir)
        self.id = os.environ.get("G_RUN_ID") or os.path.basename(self.dir)
        if not (self.tags or self.description):
            return
        files.update_json_locked(
            self.dir, files.RUN_FILE, lambda record: _describe_parent(record, self.tags, self.description, None, None)
        )

    # -- writing -------------------------------------------------------------

    def log(self, message, level="info"):
        """Appends a timestamped line to the run's output.log."""
        self._check_open()
        text = str(message)
        line = f"{files.iso_now()} {str(level).upper()} {text}\n"
        self.start()
        with self._lock:
            if self.inside_g_run and _attached_here.get(self.dir) is self:
                if len(self._kept_messages) < MAX_KEPT_MESSAGES:
                    self._kept_messages.append(line)
                else:
                    self._dropped_messages += 1
            if not self.inside_g_run:
                self._output.append(line)
        if self.inside_g_run or self.parent_id:
            # Under g run the script's stdout is shown and teed into the g run's
            # output.log; writing that file directly could land inside one of the
            # runner's partial lines.
            sys.stdout.write(line)
            sys.stdout.flush()
        return self

    def log_scalars(self, values, step=None):
        """Writes scalars now (no buffering): {key: number}; non-finite values are skipped."""
        self._check_open()
        step = _step(step)
        t = time.time()
        numbers = {}
        for key, value in values.items():
            number = _number(key, value)
            if number is not None:
                numbers[key] = number
        if numbers:
            self.start()
            with self._lock:
                # Lines this experiment writes into a g run carry its token, so they
                # can be moved into a child run if the script starts another experiment.
                mark = {"exp": self._token} if self.inside_g_run and _attached_here.get(self.dir) is self else {}
                lines = [
                    json.dumps({"key": key, "value": number, "step": step, "t": t, **mark}, separators=(",", ":")) + "\n"
                    for key, number in numbers.items()
                ]
                self._scalars.append("".join(lines))
        return self

    def _buffer(self, values, step):
        with self._lock:
            self._check_open()
            if any(key in self._row for key in values):
                # A key logged twice before a flush starts a new row rather than
                # overwriting the first value.
                self._flush_row()
            self._row.update(values)
            if step is not None:
                self._row_step = step

    def _flush_row(self):
        with self._lock:
            if not self._row:
                return
            step = self._row_step
            if step is None and _is_whole(self._row.get("epoch")):
                step = int(self._row["epoch"])
            if step is None:
                step = self._rows_written
            row, self._row, self._row_step = self._row, {}, None
            self._rows_written += 1
            self.log_scalars(row, step)


class RunContext:
    """`experiment.run`: a context manager (and start/complete/fail for manual use)."""

    def __init__(self, experiment):
        self._experiment = experiment

    def __enter__(self):
        return self._experiment.start()

    def __exit__(self, exc_type, exc, tb):
        self._experiment.finish(exc)
        return False

    def start(self):
        return self._experiment.start()

    def complete(self):
        self._experiment.finish(None)

    def fail(self, error):
        self._experiment.finish(error if error is not None else RuntimeError("failed"))


class Params:
    """`experiment.params.set(lr=0.1, model={"depth": 3})`: merged into the run's flags."""

    def __init__(self, experiment):
        self._experiment = experiment
        self._values = {}

    def set(self, **values):
        exp = self._experiment
        exp._check_open()
        flat = flatten_params(values)
        exp.start()
        with exp._lock:
            self._values.update(flat)
            if exp.inside_g_run:
                files.update_json_locked(exp.dir, files.PARAMS_FILE, lambda p: p.update(flat), {})
            else:
                files.update_json_locked(
                    exp.dir, files.RUN_FILE, lambda r: r.setdefault("flags", {}).update(flat)
                )
        return self

    update = set

    def get(self):
        return dict(self._values)


class Metrics:
    """`experiment.metrics`: call it for a namespace, `.log()` to buffer a row, `.flush()` to write it.

    Values logged between two flushes form one row, written with one step: the
    `step` given to log(), else the row's `epoch` when it is a whole number,
    else the number of rows written before. Logging a key that the row already
    holds writes the row first, so nothing is ever overwritten; finishing the
    run writes what is left.
    """

    def __init__(self, experiment, namespace):
        self._experiment = experiment
        self._namespace = namespace

    def __call__(self, namespace):
        name = str(namespace).strip("/")
        return Metrics(self._experiment, f"{self._namespace}{name}/" if name else self._namespace)

    def log(self, step=None, **values):
        step = _step(step)
        # Checked now, not at flush: a bad value is reported by the line that logged it.
        for key, value in values.items():
            _number(self._namespace + key, value)
        self._experiment._buffer({self._namespace + k: v for k, v in values.items()}, step)
        return self

    def flush(self):
        self._experiment._check_open()
        self._experiment._flush_row()
        return self


def flatten_params(values, prefix=""):
    """Nested dicts become dotted names; values become g flag values (str, number, bool, None)."""
    out = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten_params(value, name + "."))
        else:
            out[name] = _flag_value(name, value)
    return out


def _flag_value(name, value):
    """A param as a flag value; anything JSON cannot hold as the user meant it raises."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"g_runs: param {name!r} is {value}; flags hold finite numbers (JSON has no NaN or infinity)")
        return value
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):  # numpy and torch scalars
        try:
            item = value.item()
        except (TypeError, ValueError):
            item = value
        if item is not value:
            return _flag_value(name, item)
    if isinstance(value, (list, tuple)):
        return json.dumps(_json_value(name, list(value)), allow_nan=False)
    raise TypeError(
        f"g_runs: param {name!r} must be text, a number, a boolean, None, a list or a dict, "
        f"got {type(value).__name__}; pass str(value) to record its text"
    )


def _json_value(name, value):
    """`value` checked to be plain JSON (what a list param is stored as)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"g_runs: param {name!r} holds {value}; JSON has no NaN or infinity")
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(name, v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(name, v) for k, v in value.items()}
    if hasattr(value, "item"):
        try:
            return _json_value(name, value.item())
        except (TypeError, ValueError, AttributeError):
            pass
    raise TypeError(f"g_runs: param {name!r} holds a value of type {type(value).__name__}, which JSON cannot store")


def _step(step):
    """A step as recorded: None, or a whole number (ints, whole floats, numpy integers)."""
    if step is None:
        return None
    value = step
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"g_runs: step must be a whole number, got {type(step).__name__} {step!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise TypeError(f"g_runs: step must be a whole number, got {step!r}")
        value = int(value)
    return value


def _number(key, value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        number = value
    elif isinstance(value, (str, bytes)):
        raise TypeError(f"g_runs: metric {key!r} must be a number, got {type(value).__name__} {value!r}")
    else:
        try:
            number = value.item() if hasattr(value, "item") else float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"g_runs: metric {key!r} must be a number, got {type(value).__name__}"
            ) from None
    # JSON has no NaN or Infinity; like g's output parser, such values are not recorded.
    return number if math.isfinite(number) else None


def _is_whole(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()


def _op_and_label(prefix, name):
    """op: the prefix without its last part (the project); label: the name, else the last part."""
    parts = [p for p in str(prefix or "").split("/") if p]
    if not parts:
        script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
        return script or "python", name or ""
    op = "/".join(parts[:-1]) or parts[-1]
    return op, name if name is not None else parts[-1]


def _default_home():
    """The nearest .g/ folder at or above the working folder (g init), else ~/.g: as g itself resolves it."""
    user_store = os.path.join(os.path.expanduser("~"), ".g")
    folder = os.path.abspath(os.getcwd())
    while True:
        candidate = os.path.join(folder, ".g")
        if os.path.isdir(candidate):
            return candidate
        up = os.path.dirname(folder)
        if up == folder:
            return user_store
        folder = up


def _home_of(run_dir):
    """The store a run directory belongs to: $G_HOME/runs/<id> -> $G_HOME."""
    return os.path.dirname(os.path.dirname(os.path.abspath(run_dir)))


def _describe_parent(record, tags, description, prefix, name):
    """Adds an experiment's tags, description, prefix and label to a g run's record; returns what to undo."""
    undo = {"tags": [t for t in tags if t not in record.get("tags", [])]}
    record_tags = record.setdefault("tags", [])
    record_tags.extend(undo["tags"])
    if description:
        undo["description"] = (record.get("description"), description)
        record["description"] = description
    if prefix and not record.get("prefix"):
        undo["prefix"] = prefix
        record["prefix"] = prefix
    _, label = _op_and_label(prefix, name) if (prefix or name is not None) else (None, "")
    # A label given to `g run` wins over the experiment's name.
    if label and not record.get("label"):
        undo["label"] = label
        record["label"] = label
    return undo


def _undo_describe(record, undo):
    """Takes back what _describe_parent added, where nobody changed it since."""
    added = set(undo.get("tags", []))
    record["tags"] = [t for t in record.get("tags", []) if t not in added]
    if "description" in undo:
        before, ours = undo["description"]
        if record.get("description") == ours:
            if before is None:
                record.pop("description", None)
            else:
                record["description"] = before
    if "prefix" in undo and record.get("prefix") == undo["prefix"]:
        record.pop("prefix", None)
    if "label" in undo and record.get("label") == undo["label"]:
        record["label"] = ""


def _exit_status(error):
    """What the run's exit_status is when its block ends with `error` (None: no error)."""
    if error is None:
        return 0
    if isinstance(error, KeyboardInterrupt):
        return 130
    if isinstance(error, SystemExit):
        # sys.exit() inside the block: the status the script asked for.
        code = error.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 1


def _describe(error):
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _install_hooks():
    """Once per process: runs still open when the interpreter exits are finished."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.excepthook

    def remember(exc_type, exc, tb):
        _uncaught.append(exc)
        previous(exc_type, exc, tb)

    sys.excepthook = remember
    atexit.register(_finish_open_runs)


def _finish_open_runs():
    error = _uncaught[0] if _uncaught else None
    with _state_lock:
        open_runs = list(reversed(_active))
    for exp in open_runs:
        try:
            exp.finish(error)
        except Exception as err:  # the interpreter is ending; say so and go on
            print(f"g_runs: could not finish run {exp.id}: {err}", file=sys.stderr)

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
import functools
import inspect
import json
import math
import os
import statistics
import sys
import threading
import time
import uuid

from . import _files as files
from . import artifacts
from . import templates
from . import tracks as _tracks

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

    def __init__(self, prefix=None, description=None, tags=None, name=None, home=None, *,
                 readme=None, bindrs=None, metadata=None, project=None, folder=None,
                 local_path=None, dash_root=None, dash_url=None, remote=None, api_key=None, user_name=None,
                 user=None, now=None, entry=None, project_root=None, path_stem=None, job_name=None, job_counter=None):
        # ml_dash's remote mode needs its server; g has none and never sends anything anywhere.
        for option, value in (("dash_url", dash_url), ("remote", remote), ("api_key", api_key), ("user_name", user_name)):
            if value:
                raise ValueError(
                    f"g_runs: {option}= selects ml_dash's remote server, which g does not have; "
                    "runs are written to the local store (G_HOME, or local_path=/dash_root=)"
                )
        roots = [v for v in (home, local_path, dash_root) if v is not None]
        if len(roots) > 1 and len(set(roots)) > 1:
            raise ValueError("g_runs: give the store once: home=, local_path= or dash_root=")
        if description is not None and readme is not None and description != readme:
            raise ValueError("g_runs: give description= or readme= (the same thing), not both")
        if prefix is None and project is not None:
            # ml_dash's older form: Experiment(name=..., project=..., folder=...).
            prefix = "/".join(p for p in (str(folder or "").strip("/"), str(project), name) if p)
            project = None
        # ml_dash's RUN fields, for its prefix templates ({EXP.date}, {now:%Y-%m-%d}, {job_counter:03d}).
        # Built on first use (a template, or run.id/run.now): finding the project root walks folders.
        self._run_field_args = dict(
            user=user, project=project, now=now, entry=entry, project_root=project_root, path_stem=path_stem,
            job_name=job_name, job_counter=templates.next_job_counter() if job_counter is None else job_counter,
        )
        self._run_fields_made = None
        prefix = templates.expand_prefix(prefix, self._run_fields) if prefix and "{" in prefix else prefix
        self.prefix = prefix
        self.description = description if description is not None else readme
        self.tags = [str(t) for t in (tags or [])]
        self.bindrs = [str(b) for b in (bindrs or [])]
        self.metadata = metadata
        self._name = name
        self._home = roots[0] if roots else None
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
        self._row_t = None
        self._rows_written = 0
        # Data points appended to each named metric (ml_dash's append): its step when none is given.
        self._appended = {}
        # The last time written, for ml_dash's `_ts=-1` (the previous point's time).
        self._last_t = None
        self.params = Params(self)
        self.metrics = Metrics(self, "")
        self.run = RunContext(self)
        self.files = artifacts.FilesAccessor(self)
        self._logs = None
        self._tracks = None
        # Named metrics' ml_dash options (description, tags, metadata), kept in run.json.
        self._metric_info = {}

    @property
    def _run_fields(self):
        """ml_dash's RUN fields for templates (g_runs/templates.py), made once."""
        if self._run_fields_made is None:
            self._run_fields_made = templates.run_fields(**self._run_field_args)
        return self._run_fields_made

    @property
    def name(self):
        """The experiment's name: name= when given, else the prefix's last part (ml_dash's name)."""
        if self._name is not None:
            return self._name
        parts = [p for p in str(self.prefix or "").split("/") if p]
        return parts[-1] if parts else None

    @property
    def owner(self):
        """The prefix's first part (ml_dash: `owner/project/.../name`)."""
        parts = [p for p in str(self.prefix or "").split("/") if p]
        return parts[0] if parts else None

    @property
    def project(self):
        """The prefix's second part (ml_dash: `owner/project/.../name`)."""
        parts = [p for p in str(self.prefix or "").split("/") if p]
        return parts[1] if len(parts) > 1 else None

    @property
    def logs(self):
        """ml_dash's fluent logging: `experiment.logs.info("message", epoch=1)`."""
        return LogBuilder(self, None)

    @property
    def tracks(self):
        """ml_dash's Track API: `experiment.tracks("robot/pose").append(x=1.0, _ts=2.0)` (g_runs/tracks.py)."""
        if self._tracks is None:
            self._tracks = _tracks.TracksManager(self)
        return self._tracks

    def flush(self):
        """Writes the metrics row being built (ml_dash's flush of buffered data)."""
        self.metrics.flush()

    def _describe_metric(self, name, description, tags, metadata):
        """Keeps a named metric's ml_dash options (description, tags, metadata) in run.json's `metrics`."""
        info = {"description": description, "tags": [str(t) for t in (tags or [])], "metadata": metadata}
        if self._metric_info.get(name) == info:
            return
        self._metric_info[name] = info
        self.start()
        stored = json.loads(json.dumps(info, default=str))
        if not self.inside_g_run:
            files.update_json_locked(self.dir, files.RUN_FILE, lambda r: r.setdefault("metrics", {}).update({name: stored}))

    def _mark(self):
        """{"exp": token} on what this experiment writes into a g run it may later leave for a child run."""
        return {"exp": self._token} if self.inside_g_run and _attached_here.get(self.dir) is self else {}

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
            interrupted = isinstance(error, (KeyboardInterrupt, _Cancelled))
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
        self._logs = files.LineAppender(os.path.join(self.dir, LOGS_FILE))

    def _identity(self):
        """What tells this experiment from another inside one g run: its prefix and name (None: neither)."""
        if not self.prefix and self._name is None:
            return None
        return {"prefix": self.prefix or None, "name": self._name}

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
                self._parent_undo = _describe_parent(record, self.tags, self.description, self.prefix, self._name)
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
            moved = files.move_marked_lines(os.path.join(run_dir, LOGS_FILE), self._token)
            if moved:
                files.LineAppender(os.path.join(self.dir, LOGS_FILE)).append("".join(moved))
            moved = files.move_marked_lines(os.path.join(run_dir, _tracks.TRACKS_FILE), self._token)
            if moved:
                files.LineAppender(os.path.join(self.dir, _tracks.TRACKS_FILE)).append("".join(moved))
            artifacts.move_files(self._token, run_dir, self.dir)
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
        op, label = _op_and_label(self.prefix, self._name)
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
        if self.bindrs:
            record["bindrs"] = list(self.bindrs)
        if self.metadata is not None:
            record["metadata"] = json.loads(json.dumps(self.metadata, default=str))
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

    def log(self, message=None, level=None, metadata=None, **extra_metadata):
        """Logs a message: `log("text", level="warn", metadata={...}, epoch=1)`.

        The line goes to output.log (`<time> WARN text {"epoch": 1}`) and, as
        ml_dash keeps it, to logs.jsonl ({timestamp, level, message, metadata}).
        Without a message it returns ml_dash's fluent builder:
        `log(metadata={...}).info("text")`.
        """
        combined = {**(metadata or {}), **extra_metadata}
        if message is None:
            return LogBuilder(self, combined or None)
        self._write_log(str(message), check_level(level or "info"), combined or None)
        return self

    def _write_log(self, text, level, metadata):
        self._check_open()
        stamp = files.iso_now()
        meta_text = f" {json.dumps(metadata, default=str)}" if metadata else ""
        line = f"{stamp} {level.upper()} {text}{meta_text}\n"
        entry = {"timestamp": stamp, "level": level, "message": text}
        if metadata:
            entry["metadata"] = json.loads(json.dumps(metadata, default=str))
        self.start()
        with self._lock:
            entry.update(self._mark())
            self._logs.append(json.dumps(entry, separators=(",", ":")) + "\n")
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
            # runner's partial lines. Errors go to stderr, as ml_dash prints them.
            stream = sys.stderr if level in ("error", "fatal") else sys.stdout
            stream.write(line)
            stream.flush()

    def log_scalars(self, values, step=None, t=None):
        """Writes scalars now (no buffering): {key: number}; non-finite values are skipped."""
        self._check_open()
        step = _step(step)
        t = time.time() if t is None else t
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
                mark = self._mark()
                lines = [
                    json.dumps({"key": key, "value": number, "step": step, "t": t, **mark}, separators=(",", ":")) + "\n"
                    for key, number in numbers.items()
                ]
                self._scalars.append("".join(lines))
        return self

    def _buffer(self, values, step, t=None):
        with self._lock:
            self._check_open()
            if any(key in self._row for key in values):
                # A key logged twice before a flush starts a new row rather than
                # overwriting the first value.
                self._flush_row()
            self._row.update(values)
            if step is not None:
                self._row_step = step
            if t is not None:
                self._row_t = t

    def _flush_row(self):
        with self._lock:
            if not self._row:
                return
            step = self._row_step
            if step is None:
                step = _epoch_of(self._row)
            if step is None:
                step = self._rows_written
            row, t = self._row, self._row_t
            self._row, self._row_step, self._row_t = {}, None, None
            self._rows_written += 1
            self._last_t = t if t is not None else time.time()
            self.log_scalars(row, step, self._last_t)

    def _resolve_ts(self, ts):
        """ml_dash's `_ts`: seconds since the epoch, or -1 for the previous point's time."""
        if ts is None:
            return None
        if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts):
            raise TypeError(f"g_runs: _ts must be seconds since the epoch or -1, got {ts!r}")
        if ts == -1:
            return self._last_t
        return float(ts)

    def _append_point(self, name, data):
        """ml_dash's metrics(name).append(...): one data point, written now.

        `value` is recorded under the metric's own name, other fields as
        name/field; the step is `step`, else a whole `epoch`, else the number
        of points appended to this metric before.
        """
        data = dict(data)
        step = _step(data.pop("step", None))
        t = self._resolve_ts(data.pop("_ts", None))
        base = str(name or "").strip("/")
        values = {}
        for key, value in data.items():
            full = (base if key == "value" else f"{base}/{key}") if base else key
            if value is not None:  # an optional field left empty, as in metrics.log
                values[full] = value
        if step is None and _is_whole(data.get("epoch")):
            step = int(data["epoch"])
        with self._lock:
            self._check_open()
            count = self._appended.get(base, 0)
            self._appended[base] = count + 1
            self._last_t = t if t is not None else time.time()
            self.log_scalars(values, count if step is None else step, self._last_t)
        return {"index": count, "name": base or None}

    def _series(self, name):
        """The data points of one metric (a namespace), read back from scalars.jsonl in order.

        Values written together (one row, one append) share their time and step
        and form one point: {"index", "data": {field: value, "step": ...}, "createdAt"}.
        """
        self.start()
        base = str(name or "").strip("/")
        mark = self._mark()
        points = []
        last = None
        try:
            with open(os.path.join(self.dir, files.SCALARS_FILE), encoding="utf-8") as f:
                lines = f.readlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if not isinstance(rec, dict) or (mark and rec.get("exp") != mark["exp"]):
                continue
            key = rec.get("key")
            if not isinstance(key, str):
                continue
            if base:
                if key == base:
                    field = "value"
                elif key.startswith(base + "/"):
                    field = key[len(base) + 1:]
                else:
                    continue
            elif "/" in key:
                continue
            else:
                field = key
            ident = (rec.get("t"), rec.get("step"))
            if last is None or last[0] != ident or field in last[1]["data"]:
                point = {"index": len(points), "data": {}, "createdAt": rec.get("t")}
                if rec.get("step") is not None:
                    point["data"]["step"] = rec["step"]
                points.append(point)
                last = (ident, point)
            last[1]["data"][field] = rec.get("value")
        return points


LOGS_FILE = "logs.jsonl"
# ml_dash's log levels; "warning" (in its API reference) is taken as "warn".
LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")
LEVEL_ALIASES = {"warning": "warn"}
# ml_dash's metrics.buffer.log_summary() aggregations.
SUMMARY_AGGREGATIONS = ("mean", "std", "min", "max", "count", "median", "sum", "p50", "p90", "p95", "p99", "first", "last")


def check_level(level):
    """A log level as stored (lower case); anything but ml_dash's five levels raises ValueError."""
    name = str(level).lower()
    name = LEVEL_ALIASES.get(name, name)
    if name not in LOG_LEVELS:
        raise ValueError(f"g_runs: invalid log level {level!r}; use one of {', '.join(LOG_LEVELS)}")
    return name


class LogBuilder:
    """ml_dash's fluent logging: `experiment.logs.warn("GPU memory low", free="1GB")`."""

    def __init__(self, experiment, metadata):
        self._experiment = experiment
        self._metadata = metadata

    def _write(self, level, message, extra):
        metadata = {**(self._metadata or {}), **extra}
        self._experiment._write_log(str(message), level, metadata or None)

    def debug(self, message, **metadata):
        self._write("debug", message, metadata)

    def info(self, message, **metadata):
        self._write("info", message, metadata)

    def warn(self, message, **metadata):
        self._write("warn", message, metadata)

    warning = warn

    def error(self, message, **metadata):
        self._write("error", message, metadata)

    def fatal(self, message, **metadata):
        self._write("fatal", message, metadata)


class RunContext:
    """`experiment.run`: a context manager, a decorator, and start/complete/fail/cancel."""

    def __init__(self, experiment):
        self._experiment = experiment

    def __enter__(self):
        return self._experiment.start()

    def __exit__(self, exc_type, exc, tb):
        self._experiment.finish(exc)
        return False

    def __call__(self, func):
        """`@experiment.run` on `def train(experiment): ...`: calling train() runs it as the experiment's run."""
        if not callable(func):
            raise TypeError("g_runs: @experiment.run decorates a function that takes the experiment")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self as experiment:
                return func(experiment, *args, **kwargs)

        return wrapper

    def start(self):
        return self._experiment.start()

    @property
    def prefix(self):
        """ml_dash's run.prefix; set it before the run starts, with `{EXP.attr}` templates if wanted."""
        return self._experiment.prefix

    @prefix.setter
    def prefix(self, value):
        exp = self._experiment
        if exp._started:
            raise RuntimeError(
                "g_runs: cannot change the prefix after the run has started; "
                "set run.prefix before run.start() or the with block"
            )
        if isinstance(value, str) and "{EXP." in value:
            fields = exp._run_fields
            current = {**templates.prefix_parts(exp.prefix), "prefix": exp.prefix}
            if exp.name is not None:
                current["name"] = exp.name
            merged = {**fields, **current}
            value = templates.EXP_FIELD.sub(lambda m: templates.exp_attribute(merged, m.group(1)), value)
            if merged.get("id") and not fields.get("id"):
                fields["id"] = merged["id"]
        exp.prefix = value
        exp._name = None

    @property
    def name(self):
        return self._experiment.name

    @property
    def owner(self):
        return self._experiment.owner

    @property
    def project(self):
        return self._experiment.project

    @property
    def id(self):
        """ml_dash's numeric run id ({EXP.id}), made when first asked for; g's own run id is experiment.id."""
        fields = self._experiment._run_fields
        if not fields.get("id"):
            fields["id"] = templates.new_numeric_id()
        return fields["id"]

    @property
    def now(self):
        return self._experiment._run_fields["now"]

    @property
    def date(self):
        return self.now.strftime("%Y%m%d")

    @property
    def datetime_str(self):
        return self.now.strftime("%Y%m%d.%H%M%S")

    def complete(self):
        self._experiment.finish(None)

    def fail(self, error=None):
        self._experiment.finish(error if error is not None else _Failed("marked failed with run.fail()"))

    def cancel(self):
        """Ends the run as ml_dash's CANCELLED: status `terminated`."""
        self._experiment.finish(_Cancelled())


class _Failed(Exception):
    pass


class _Cancelled(Exception):
    """run.cancel(): the run ends `terminated`, not `error`."""


def ml_dash_experiment(prefix, **kwargs):
    """ml_dash's decorator: the function runs inside a new Experiment, passed as `experiment=`."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **func_kwargs):
            with Experiment(prefix=prefix, **kwargs).run as experiment:
                func_kwargs["experiment"] = experiment
                return func(*args, **func_kwargs)

        return wrapper

    return decorate


class Params:
    """`experiment.params.set(lr=0.1, model={"depth": 3})`: merged into the run's flags."""

    def __init__(self, experiment):
        self._experiment = experiment
        self._values = {}

    def set(self, **values):
        exp = self._experiment
        exp._check_open()
        flat = flatten_params(_classes_as_dicts(values))
        if not flat:
            return self
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
    # ml_dash: "log() behaves identically to set()".
    log = set

    def get(self, flatten=True):
        """The params set so far: dotted names (`model.depth`), or nested dicts with flatten=False."""
        if flatten:
            return dict(self._values)
        nested = {}
        for key, value in self._values.items():
            node = nested
            parts = key.split(".")
            for part in parts[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[parts[-1]] = value
        return nested


class MetricBuffer:
    """`experiment.metrics.buffer`: values kept in memory, then logged as summaries (ml_dash's buffer API)."""

    def __init__(self, metrics):
        self._metrics = metrics
        self._values = {}  # namespace -> {key: [values]}

    def _store(self, namespace, values):
        bucket = self._values.setdefault(namespace, {})
        for key, value in values.items():
            number = _number(f"{namespace}{key}", value) if value is not None else None
            bucket.setdefault(key, []).append(float("nan") if number is None else float(number))

    def log_summary(self, *aggs, **extra):
        """Logs each buffered key's statistics (`loss.mean`, `loss.p95`, ...) into the row, then empties the buffer."""
        aggs = aggs or ("mean",)
        for agg in aggs:
            if agg not in SUMMARY_AGGREGATIONS:
                raise ValueError(f"g_runs: unknown aggregation {agg!r}; use {', '.join(SUMMARY_AGGREGATIONS)}")
        for namespace, bucket in list(self._values.items()):
            out = dict(extra)
            for key, values in bucket.items():
                for agg, value in _summarize(values, aggs).items():
                    out[f"{key}.{agg}"] = value
            if out:
                Metrics(self._metrics._experiment, namespace).log(**out)
        self._values.clear()

    def peek(self, prefix=None, *keys, limit=5):
        """The last `limit` buffered values, without taking them out."""
        def pick(bucket):
            return {k: list(v[-limit:]) for k, v in bucket.items() if not keys or k in keys}

        if prefix is not None:
            ns = str(prefix).strip("/") + "/" if str(prefix).strip("/") else ""
            return pick(self._values.get(ns, {}))
        return {(ns.rstrip("/") or None): pick(bucket) for ns, bucket in self._values.items()}


class Metrics:
    """`experiment.metrics`: call it for a namespace, `.log()` to buffer a row, `.flush()` to write it.

    Values logged between two flushes form one row, written with one step: the
    `step` given to log(), else the row's `epoch` when it is a whole number,
    else the number of rows written before. Logging a key that the row already
    holds writes the row first, so nothing is ever overwritten; finishing the
    run writes what is left. `append()` (ml_dash's older form) writes one data
    point at once.
    """

    def __init__(self, experiment, namespace):
        self._experiment = experiment
        self._namespace = namespace
        self._buffer_manager = None

    def __call__(self, namespace, description=None, tags=None, metadata=None):
        name = str(namespace).strip("/")
        if name and (description is not None or tags or metadata is not None):
            self._experiment._describe_metric(f"{self._namespace}{name}", description, tags, metadata)
        return Metrics(self._experiment, f"{self._namespace}{name}/" if name else self._namespace)

    @property
    def buffer(self):
        """On a namespace, `buffer(loss=...)` keeps values; on `metrics`, `.buffer.log_summary()` logs them."""
        root = self._experiment.metrics
        if root._buffer_manager is None:
            root._buffer_manager = MetricBuffer(root)
        if self._namespace == "":
            return root._buffer_manager
        manager, namespace = root._buffer_manager, self._namespace

        def keep(**values):
            manager._store(namespace, values)
            return self

        return keep

    def log(self, step=None, _flush=False, _ts=None, **values):
        """Adds values to the row; a dict value is a namespace of its own (`train=dict(loss=0.5)`)."""
        step = _step(step)
        t = self._experiment._resolve_ts(_ts)
        flat = {}
        for key, value in values.items():
            if isinstance(value, dict):
                for inner, number in value.items():
                    flat[f"{key}/{inner}"] = number
            else:
                flat[key] = value
        # Checked now, not at flush: a bad value is reported by the line that logged it.
        for key, value in flat.items():
            _number(self._namespace + key, value)
        self._experiment._buffer({self._namespace + k: v for k, v in flat.items()}, step, t)
        if _flush:
            self.flush()
        return self

    def flush(self):
        self._experiment._check_open()
        self._experiment._flush_row()
        return self

    def append(self, name=None, **data):
        """One data point now: `metrics("loss").append(value=0.5, step=3)`, or `metrics.append(name="loss", ...)`."""
        target = self._target(name, "append")
        if not data:
            raise ValueError("g_runs: append() needs values, e.g. append(value=0.5, step=1)")
        for key, value in data.items():
            if key not in ("step", "_ts"):
                _number(f"{target}/{key}", value)
        return self._experiment._append_point(target, data)

    def append_batch(self, data_points=None, name=None):
        """Several data points: a list of dicts such as {"value": 0.5, "step": 100}."""
        target = self._target(name, "append_batch")
        if not isinstance(data_points, (list, tuple)):
            raise TypeError("g_runs: append_batch() takes a list of dicts, e.g. [{'value': 0.5, 'step': 1}]")
        for point in data_points:
            if not isinstance(point, dict):
                raise TypeError(f"g_runs: append_batch() data points are dicts, got {type(point).__name__}")
        results = [self.append(name=name, **point) if self._namespace == "" else self.append(**point) for point in data_points]
        return {"count": len(results), "name": target}

    def _target(self, name, what):
        if self._namespace:
            if name is not None:
                raise TypeError(f"g_runs: metrics('{self._namespace.rstrip('/')}').{what}() already names its metric")
            return self._namespace.rstrip("/")
        if name is None:
            raise TypeError(f"g_runs: metrics.{what}() needs name=, or use metrics(NAME).{what}()")
        return str(name).strip("/")

    def read(self, start_index=0, limit=1000):
        """The metric's data points by index, as ml_dash returns them (data, startIndex, endIndex, total, hasMore)."""
        points = self._experiment._series(self._namespace)
        chosen = points[start_index:start_index + limit]
        return {
            "data": chosen,
            "startIndex": start_index,
            "endIndex": start_index + len(chosen) - 1,
            "total": len(chosen),
            "hasMore": start_index + len(chosen) < len(points),
        }

    def stats(self):
        """How many data points the metric has, and when the first and last were written."""
        points = self._experiment._series(self._namespace)
        name = self._namespace.rstrip("/") or None
        info = self._experiment._metric_info.get(name or "", {})
        return {
            "name": name,
            "description": info.get("description"),
            "tags": info.get("tags", []),
            "metadata": info.get("metadata"),
            "totalDataPoints": len(points),
            "firstDataAt": points[0]["createdAt"] if points else None,
            "lastDataAt": points[-1]["createdAt"] if points else None,
        }

    def list_all(self):
        """Every metric (namespace) of the run with its number of data points."""
        names = set()
        self._experiment.start()
        try:
            with open(os.path.join(self._experiment.dir, files.SCALARS_FILE), encoding="utf-8") as f:
                for line in f:
                    try:
                        key = json.loads(line).get("key")
                    except (ValueError, AttributeError):
                        continue
                    if isinstance(key, str):
                        names.add(key.rpartition("/")[0] if "/" in key else key)
        except FileNotFoundError:
            pass
        return [{"name": n, "totalDataPoints": len(self._experiment._series(n))} for n in sorted(names)]


def _summarize(values, aggs):
    clean = [v for v in values if v == v]
    if not clean:
        return {}
    ordered = sorted(clean)

    def percentile(p):
        k = (len(ordered) - 1) * p / 100
        lo = int(k)
        hi = min(lo + 1, len(ordered) - 1)
        return ordered[lo] + (k - lo) * (ordered[hi] - ordered[lo])

    out = {}
    for agg in aggs:
        if agg == "mean":
            out[agg] = statistics.mean(clean)
        elif agg == "std":
            out[agg] = statistics.stdev(clean) if len(clean) > 1 else 0.0
        elif agg == "min":
            out[agg] = ordered[0]
        elif agg == "max":
            out[agg] = ordered[-1]
        elif agg == "count":
            out[agg] = len(clean)
        elif agg in ("median", "p50"):
            out[agg] = statistics.median(clean)
        elif agg == "sum":
            out[agg] = sum(clean)
        elif agg in ("p90", "p95", "p99"):
            out[agg] = percentile(int(agg[1:]))
        elif agg == "first":
            out[agg] = clean[0]
        elif agg == "last":
            out[agg] = clean[-1]
    return out


def _classes_as_dicts(values):
    """ml_dash's params.log(Args=Args): a class's public, non-callable attributes become a dict."""
    out = {}
    for key, value in values.items():
        if inspect.isclass(value):
            out[key] = {
                k: v for k, v in vars(value).items()
                if not k.startswith("_") and not callable(v) and not isinstance(v, (type, staticmethod, classmethod, property))
            }
        else:
            out[key] = value
    return out


def _epoch_of(row):
    """The step a row's epoch gives: `epoch`, else a namespaced `.../epoch`, when it is a whole number."""
    if _is_whole(row.get("epoch")):
        return int(row["epoch"])
    for key, value in row.items():
        if key.endswith("/epoch") and _is_whole(value):
            return int(value)
    return None


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
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53 and not _exact_double(value):
        # g reads flags as doubles: 2**53 + 1 would come back 2**53 (the TypeScript SDK refuses it too).
        raise ValueError(f"g_runs: param {name!r} is {value}, too large to store exactly; pass str(value) to record its digits")
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
        # The text JSON.stringify writes (the TypeScript SDK, sweeps): `[64,32]`, so one value compares equal from both.
        return _json_text(_json_value(name, list(value)))
    raise TypeError(
        f"g_runs: param {name!r} must be text, a number, a boolean, None, a list or a dict, "
        f"got {type(value).__name__}; pass str(value) to record its text"
    )


def _exact_double(x):
    """Whether a double holds the int `x` exactly (2**60 does, 2**53 + 1 does not)."""
    try:
        return float(x) == x
    except OverflowError:
        return False


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


def _json_text(value):
    """Plain JSON as JavaScript's JSON.stringify writes it, the text g and the TypeScript SDK store.

    g reads `x=1.0` as the number 1, and JavaScript has one kind of number, so
    a whole float is written as an integer (`[1.0, 2]` is `[1,2]`) and every
    number in JavaScript's form (`1e-7`, `1e+21`, `0` for -0.0); object keys
    that are array indices come first, in numeric order, as in a JavaScript object.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return _js_number(value)
    if isinstance(value, list):
        return "[" + ",".join(_json_text(v) for v in value) + "]"
    indices = sorted((k for k in value if _is_array_index(k)), key=int)
    keys = indices + [k for k in value if not _is_array_index(k)]
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _json_text(value[k]) for k in keys) + "}"


def _is_array_index(key):
    """Whether JavaScript orders this object key as an array index (`"0"`, `"12"`; not `"01"`)."""
    return key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1


def _js_number(x):
    """A number as JavaScript's Number#toString writes it (ECMA-262 Number::toString)."""
    if isinstance(x, int):
        if abs(x) < 2**53:
            return str(x)
        try:
            exact = float(x) == x
        except OverflowError:
            exact = False
        if not exact:
            return str(x)  # no double holds it; its digits, as json.dumps writes them
        x = float(x)
    if x == 0:
        return "0"
    # repr() gives the shortest digits that read back as x, as JavaScript does; only the layout differs.
    text = repr(abs(x))
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    point = len(whole) + int(exp or 0) - (len(whole + frac) - len((whole + frac).lstrip("0")))
    digits = digits.rstrip("0")
    k, n = len(digits), point
    sign = "-" if x < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    rest = "." + digits[1:] if k > 1 else ""
    return f"{sign}{digits[0]}{rest}e{'+' if e >= 0 else '-'}{abs(e)}"


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
    if isinstance(error, _Cancelled):
        return 1
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

"""ml_dash's Track API: timestamped entries per topic, kept in the run's tracks.jsonl.

`experiment.tracks("robot/pose").append(x=1.0, _ts=2.0)` appends one line
`{"topic", "timestamp", "data"}` to <run>/tracks.jsonl at once (a whole
line per write, as for scalars.jsonl), so nothing waits in memory for a
flush. ml_dash merges the appends of one topic at the same timestamp when it
flushes its buffer; here they are merged when read, which gives the same
entries. The TypeScript SDK and `g runs info` read the file with the same
rules (src/store/track-files.ts).
"""

import bisect
import json
import math
import os
import threading
import time

from . import _files as files

TRACKS_FILE = "tracks.jsonl"
# read(format=...): the formats g writes; parquet needs pyarrow and mocap a viewer g does not have.
READ_FORMATS = ("json", "jsonl")


def flatten_fields(data, prefix=""):
    """Nested dicts become dotted field names, as ml_dash's local storage writes them."""
    out = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten_fields(value, name))
        else:
            out[name] = to_json_value(value)
    return out


def to_json_value(value):
    """A field value as JSON holds it: numpy arrays as lists, numpy and torch scalars through .item()."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity; ml_dash's server stores them as null.
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return to_json_value(value.tolist())
    if hasattr(value, "item"):
        return to_json_value(value.item())
    raise TypeError(f"g_runs: a track field must be JSON data (text, number, list, dict), got {type(value).__name__}")


def read_lines(run_dir, mark=None):
    """tracks.jsonl's records in file order; a torn or foreign line is skipped.

    `mark` ({"exp": token}) keeps only one experiment's lines inside a g run.
    """
    try:
        with open(os.path.join(run_dir, TRACKS_FILE), encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    out = []
    for line in text.split("\n"):
        if not line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("topic"), str):
            continue
        ts = rec.get("timestamp")
        if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not isinstance(rec.get("data"), dict):
            continue
        if mark and rec.get("exp") != mark["exp"]:
            continue
        out.append(rec)
    return out


def merge_entries(lines, topic):
    """A topic's entries, oldest first, appends at one timestamp merged (later fields win)."""
    by_time = {}
    for rec in lines:
        if rec["topic"] != topic:
            continue
        entry = by_time.setdefault(rec["timestamp"], {"timestamp": rec["timestamp"]})
        entry.update(rec["data"])
        entry["timestamp"] = rec["timestamp"]
    return sorted(by_time.values(), key=lambda e: e["timestamp"])


class TracksManager:
    """`experiment.tracks`: call it with a topic; `flush()` for ml_dash's global flush."""

    def __init__(self, experiment):
        self._experiment = experiment
        self._builders = {}

    def __call__(self, topic):
        if not isinstance(topic, str) or not topic.strip("/"):
            raise ValueError(f"g_runs: a track topic is a non-empty name such as 'robot/position', got {topic!r}")
        if topic not in self._builders:
            self._builders[topic] = TrackBuilder(self._experiment, topic)
        return self._builders[topic]

    def flush(self):
        """Every append is on disk when it returns; kept so ml_dash's code runs (a finished run still raises)."""
        self._experiment._check_open()
        return self


class TrackBuilder:
    """One topic: append(**fields, _ts=...), flush(), read(...), list_entries(), slice(...)."""

    def __init__(self, experiment, topic):
        self._experiment = experiment
        self._topic = topic

    def append(self, **fields):
        """Appends one entry now. `_ts`: none = now (each later than the last), -1 = the previous
        append's or metric's time, else seconds since the epoch. Returns the builder."""
        exp = self._experiment
        exp._check_open()
        has_ts = "_ts" in fields
        ts = fields.pop("_ts", None)
        if has_ts and (isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts)):
            raise TypeError(f"g_runs: _ts must be seconds since the epoch or -1, got {ts!r}")
        data = flatten_fields(fields)
        exp.start()
        with exp._lock:
            if not has_ts or (ts == -1 and exp._last_t is None):
                ts = _next_auto_time(exp)
            elif ts == -1:
                ts = exp._last_t
            else:
                ts = float(ts)
            exp._last_t = ts
            line = {"topic": self._topic, "timestamp": ts, "data": data, **exp._mark()}
            files.LineAppender(os.path.join(exp.dir, TRACKS_FILE)).append(json.dumps(line, separators=(",", ":")) + "\n")
        return self

    def flush(self):
        """Nothing waits in memory here; kept so ml_dash's code runs."""
        self._experiment._check_open()
        return self

    def read(self, start_timestamp=None, end_timestamp=None, columns=None, format="json"):
        """ml_dash's read: {"entries": [{"timestamp", field...}], "count"}; format="jsonl" gives bytes.

        start/end are inclusive; `columns` keeps only those fields (and the timestamp).
        """
        if format not in READ_FORMATS:
            raise ValueError(f"g_runs: track format {format!r} is not supported; use one of {', '.join(READ_FORMATS)}")
        exp = self._experiment
        if not exp._started:
            exp.start()
        # A finished run's tracks can still be read back (analysis after the with block).
        entries = []
        for entry in merge_entries(read_lines(exp.dir, exp._mark()), self._topic):
            ts = entry["timestamp"]
            if start_timestamp is not None and ts < start_timestamp:
                continue
            if end_timestamp is not None and ts > end_timestamp:
                continue
            if columns:
                entry = {"timestamp": ts, **{c: entry[c] for c in columns if c in entry}}
            entries.append(entry)
        if format == "jsonl":
            return "\n".join(json.dumps(e) for e in entries).encode("utf-8")
        return {"entries": entries, "count": len(entries)}

    def list_entries(self):
        """Every entry of the topic, oldest first."""
        return self.read()["entries"]

    def slice(self, start_timestamp=None, end_timestamp=None):
        """An iterable view of the entries in [start, end] with findByTime (floor match)."""
        return TrackSlice(self, start_timestamp, end_timestamp)


class TrackSlice:
    """ml_dash's TrackSlice: iterate, len(), findByTime(t or [t, ...]) = the last entry at or before t."""

    def __init__(self, builder, start_timestamp=None, end_timestamp=None):
        self._builder = builder
        self._start = start_timestamp
        self._end = end_timestamp
        self._data = None
        self._times = None

    def _load(self):
        if self._data is None:
            self._data = self._builder.read(self._start, self._end)["entries"]
            self._times = [e["timestamp"] for e in self._data]
        return self._data

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def findByTime(self, timestamp, neighborhood_size=10):
        """The entry with the largest timestamp <= `timestamp` (a list gives a list); KeyError before the first."""
        if isinstance(timestamp, list):
            return [self._floor(t) for t in timestamp]
        return self._floor(timestamp)

    def _floor(self, timestamp):
        data = self._load()
        index = bisect.bisect_right(self._times, timestamp)
        if index == 0:
            first = f"; the first is at {self._times[0]}" if self._times else "; the slice is empty"
            raise KeyError(f"g_runs: no entry of track {self._builder._topic!r} at or before {timestamp}{first}")
        return data[index - 1]

    def __repr__(self):
        return f"TrackSlice(topic={self._builder._topic!r}, start={self._start}, end={self._end})"


_auto_lock = threading.Lock()


def _next_auto_time(exp):
    """Now, made later than the previous automatic time, so two appends in one tick stay two entries."""
    with _auto_lock:
        now = time.time()
        last = getattr(exp, "_track_last_auto", 0.0)
        if now <= last:
            now = last + 0.000001
        exp._track_last_auto = now
        return now

"""ml_dash's prefix templates: the fields of its RUN namespace, expanded as it expands them.

ml_dash fills a prefix twice: `{EXP.attr}` is replaced by the attribute of
the run (`{EXP.name}`, `{EXP.id}`, `{EXP.date}`, `{EXP.datetime_str}`; a
missing or unset one raises AttributeError), then the prefix is formatted
with str.format over the run's fields, repeatedly (at most 10 times) so that
fields made of fields expand too: `{user}`, `{project}` ("{user}/scratch"),
`{now:%Y-%m-%d}`, `{path_stem}`, `{job_name}` ("{now:%H.%M.%S}/{job_counter:03d}"),
`{job_counter}` (1 for the first experiment of the process, then 2, ...).
An unknown field is str.format's KeyError. Its default prefix, which `dxp`
uses, is DEFAULT_PREFIX.
"""

import getpass
import os
import random
import re
import sys
import threading
import time
from datetime import datetime

DEFAULT_PREFIX = "{project}/{now:%Y/%m-%d}/{path_stem}/{job_name}"
DEFAULT_PROJECT = "{user}/scratch"
DEFAULT_JOB_NAME = "{now:%H.%M.%S}/{job_counter:03d}"
# ml_dash looks for these to find the project root that path_stem is relative to.
PROJECT_ROOT_FILES = ("pyproject.toml", "requirements.txt", "setup.py", "setup.cfg")
# str.format passes over a prefix at most this many times (ml_dash's limit).
MAX_FORMAT_PASSES = 10
EXP_FIELD = re.compile(r"\{EXP\.(\w+)\}")
# ml_dash's snowflake ids count milliseconds from this epoch (2020-01-01T00:00:00Z).
SNOWFLAKE_EPOCH_MS = 1577836800000

_counter_lock = threading.Lock()
_job_counter = 0


def next_job_counter():
    """1 for the first experiment of the process, then 2, ... (ml_dash's RUN.job_counter)."""
    global _job_counter
    with _counter_lock:
        _job_counter += 1
        return _job_counter


def new_numeric_id():
    """An 18-or-so digit numeric id in the shape of ml_dash's snowflake: time, then random bits."""
    ms = int(time.time() * 1000) - SNOWFLAKE_EPOCH_MS
    return (ms << 22) | random.getrandbits(22)


def find_project_root(start):
    """The nearest folder at or above `start` holding a project file; else the working folder."""
    folder = os.path.abspath(start)
    if os.path.isfile(folder):
        folder = os.path.dirname(folder)
    while True:
        if any(os.path.exists(os.path.join(folder, name)) for name in PROJECT_ROOT_FILES):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.getcwd()
        folder = parent


def main_script():
    """The script being run (ml_dash's entry), or None for `python -c` and the REPL."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return os.path.abspath(path) if path else None


def run_fields(user=None, project=None, now=None, entry=None, project_root=None, path_stem=None,
               job_name=None, job_counter=None):
    """The RUN fields a prefix may name, with ml_dash's defaults."""
    entry = entry if entry is not None else main_script()
    if path_stem is None:
        if entry:
            root = project_root or find_project_root(entry)
            path_stem = os.path.splitext(os.path.relpath(os.path.abspath(entry), root))[0].replace(os.sep, "/")
        else:
            path_stem = ""
    now = now or datetime.now()
    return {
        "user": user or os.environ.get("ML_DASH_USER") or os.environ.get("USER") or getpass.getuser(),
        "project": project or DEFAULT_PROJECT,
        "now": now,
        "entry": entry,
        "project_root": project_root,
        "path_stem": path_stem,
        "job_name": job_name or DEFAULT_JOB_NAME,
        "job_counter": next_job_counter() if job_counter is None else job_counter,
        "id": None,
    }


def exp_attribute(fields, name):
    """`{EXP.name}`'s value: a RUN field, a date form, or the parts of the prefix; None raises AttributeError."""
    if name == "id" and not fields.get("id"):
        fields["id"] = new_numeric_id()
    now = fields["now"]
    derived = {"date": now.strftime("%Y%m%d"), "datetime_str": now.strftime("%Y%m%d.%H%M%S")}
    value = derived[name] if name in derived else fields.get(name)
    if value is None:
        raise AttributeError(f"RUN has no attribute '{name}'")
    return str(value)


def expand_prefix(prefix, fields):
    """A prefix as ml_dash expands it: `{EXP.attr}` first, then str.format passes over the fields."""
    if prefix is None or "{" not in prefix:
        return prefix
    prefix = EXP_FIELD.sub(lambda m: exp_attribute(fields, m.group(1)), prefix)
    for _ in range(MAX_FORMAT_PASSES):
        if "{" not in prefix:
            break
        for key in ("project", "job_name"):
            if isinstance(fields[key], str) and "{" in fields[key]:
                fields[key] = fields[key].format(**fields)
        prefix = prefix.format(**fields)
    return prefix


def prefix_parts(prefix):
    """ml_dash's owner, project and name of a prefix `owner/project/.../name` (name: the last part, or the project)."""
    parts = [p for p in str(prefix or "").strip("/").split("/") if p]
    if len(parts) < 2:
        return {}
    return {"owner": parts[0], "project": parts[1], "name": parts[-1] if len(parts) > 2 else parts[1]}

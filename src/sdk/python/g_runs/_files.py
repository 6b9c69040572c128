"""Crash-safe file primitives for the g_runs SDK, matching g's store (format 1).

Whole-file replacement is temp file + fsync + rename, so readers never see a
half-written run.json; appends are one os.write of a whole line on an
O_APPEND descriptor, so concurrent threads and processes interleave lines,
never bytes of a line. The run-directory lock is the one g's TypeScript store
takes (`.lock`: proper-lockfile's directory, or g's brief lock, a symlink at
the same name; stale after 10 s), so
the SDK and `g` commands never lose each other's run.json updates.
"""

import json
import os
import random
import socket
import stat
import time
from datetime import datetime, timezone

RUN_FILE = "run.json"
SCALARS_FILE = "scalars.jsonl"
OUTPUT_FILE = "output.log"
PARAMS_FILE = "params.json"
LOCK_FILE = "LOCK"
DIR_LOCK = ".lock"
# Held (a symlink, as g's brief lock is) while a stale lock is removed: removeStaleLock in src/store/locks.ts.
DIR_LOCK_BREAK_SUFFIX = ".break"

# The same figures as RUN_LOCK_TIMEOUT_MS / RUN_LOCK_STALE_MS in src/store/store.ts.
DIR_LOCK_TIMEOUT_S = 10.0
DIR_LOCK_STALE_S = 10.0

HOST = socket.gethostname()


def iso_now():
    """UTC time as g writes it: ISO 8601 with milliseconds and a 'Z', so it sorts as text."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def append_whole(fd, data):
    """Writes all of `data` to `fd` (O_APPEND) or none of it.

    A write that fails part-way (disk full) is cut back off, so the file never
    ends in a torn line; the error is raised. Our partial bytes are the file's
    tail (O_APPEND), so they start at (size now - bytes written).
    """
    view = memoryview(data)
    done = 0
    try:
        while done < len(view):
            done += os.write(fd, view[done:])
    except OSError:
        if done:
            try:
                os.ftruncate(fd, max(0, os.fstat(fd).st_size - done))
            except OSError:
                pass
        raise


def write_json_atomic(path, value):
    """Replaces `path` with `value` as JSON: temp file in the same dir, fsync, rename."""
    directory = os.path.dirname(path)
    tmp = os.path.join(
        directory, f".{os.path.basename(path)}.{os.getpid()}.{random.getrandbits(32):08x}.tmp"
    )
    data = (json.dumps(value, indent=2, allow_nan=False) + "\n").encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    _sync_dir(directory)


def read_json(path, default=None):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


class LineAppender:
    """Appends to one file, each append a single os.write on an O_APPEND descriptor.

    The file is opened for each append, as g's own appendLines does: a
    descriptor kept open would go on writing into the old file after
    move_marked_lines replaced it.
    """

    def __init__(self, path):
        self.path = path

    def append(self, text):
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            # One call for the whole line: a regular file takes it in one piece,
            # or none of it when the disk is full.
            append_whole(fd, text.encode("utf-8"))
        finally:
            os.close(fd)

    def close(self):
        """Nothing stays open between appends; kept so callers can say they are done."""


def move_marked_lines(path, token):
    """Takes the lines whose "exp" field is `token` out of a JSON-lines file; returns them without it.

    The file is replaced atomically with the other lines. Others may append
    meanwhile (the runner, other threads, each a whole line per write): lines
    that reach the old file after it was read are carried over to the new one.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return []
    try:
        data = _read_from(fd, 0)
        # A line still being written is left for the catch-up below.
        whole = data[: data.rfind(b"\n") + 1]
        kept, moved = _split_marked(whole, token)
        directory = os.path.dirname(path)
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{random.getrandbits(32):08x}.tmp")
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            write_all(out, kept)
            os.fsync(out)
        finally:
            os.close(out)
        os.replace(tmp, path)
        late = _read_from(fd, len(whole))
        if late:
            late_kept, late_moved = _split_marked(late, token)
            moved.extend(late_moved)
            if late_kept:
                LineAppender(path).append(late_kept.decode("utf-8"))
        _sync_dir(directory)
        return moved
    finally:
        os.close(fd)


def _read_from(fd, offset):
    chunks = []
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def _split_marked(data, token):
    """(bytes of the lines to keep, [the marked lines as text, without their mark])."""
    kept = []
    moved = []
    for line in data.splitlines(keepends=True):
        if b'"exp"' in line:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict) and record.get("exp") == token:
                del record["exp"]
                moved.append(json.dumps(record, separators=(",", ":")) + "\n")
                continue
        kept.append(line)
    return b"".join(kept), moved


class DirLock:
    """Exclusive lock on a run directory, compatible with g's store (mkdir of `.lock`; g's brief lock is a symlink there)."""

    def __init__(self, directory, timeout=DIR_LOCK_TIMEOUT_S):
        self.path = os.path.join(directory, DIR_LOCK)
        self.timeout = timeout

    def __enter__(self):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                os.mkdir(self.path)
                return self
            except FileExistsError:
                seen = self._stale_entry()
                if seen is not None and self._remove_stale(seen):
                    continue  # its holder died without releasing it: try again at once
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"g_runs: {os.path.dirname(self.path)} stayed locked for {self.timeout:g} s; "
                    "another g command is using it, try again"
                )
            time.sleep(random.uniform(0.02, 0.08))

    def _stale_entry(self):
        """The lock entry's lstat if it is stale (its holder died), else None."""
        try:
            seen = os.lstat(self.path)
        except FileNotFoundError:
            return None
        return seen if time.time() - seen.st_mtime > DIR_LOCK_STALE_S else None

    def _remove_stale(self, seen):
        """Removes the stale lock entry `seen`, unless it has been replaced since; False if another waiter is removing it.

        Two waiters that see the same stale lock would otherwise both remove "it":
        the second one the fresh lock the first made after its own removal, and
        both would hold the lock. As g does, the removal is made holding
        `.lock.break` (a symlink) and only of the entry seen (same inode and
        mtime). A waiter that finds `.lock.break` held leaves the removal to its
        holder; one left by a remover that died goes stale as a lock does.
        """
        breaker = self.path + DIR_LOCK_BREAK_SUFFIX
        try:
            os.symlink(".", breaker)
        except FileExistsError:
            try:
                if time.time() - os.lstat(breaker).st_mtime > DIR_LOCK_STALE_S:
                    os.unlink(breaker)
            except OSError:
                pass
            return False
        try:
            now = os.lstat(self.path)
            if now.st_ino == seen.st_ino and now.st_mtime_ns == seen.st_mtime_ns:
                # g's brief lock is a symlink at the same path, proper-lockfile's a directory.
                if stat.S_ISLNK(now.st_mode):
                    os.unlink(self.path)
                else:
                    os.rmdir(self.path)
        except OSError:
            pass
        finally:
            try:
                os.unlink(breaker)
            except OSError:
                pass
        return True

    def __exit__(self, *exc):
        try:
            os.rmdir(self.path)
        except OSError:
            pass
        return False


def update_json_locked(directory, name, mutate, default=None):
    """Locked read-modify-write of a JSON file in a run directory; `mutate` edits in place."""
    path = os.path.join(directory, name)
    with DirLock(directory):
        value = read_json(path, default)
        if value is None:
            value = {} if default is None else default
        mutate(value)
        write_json_atomic(path, value)
        return value


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_dir(directory):
    # Makes the rename durable; not every file system allows fsync on a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

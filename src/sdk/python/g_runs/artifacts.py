"""`experiment.files`: ml_dash's file API over a g run's files/ folder.

A saved file lands at <run>/files/<path>/<filename> and is described in
<run>/files.json (ml_dash's file record: id, path, filename, sizeBytes,
checksum, description, tags, metadata, ...). The path and filename are the
file's identity, as in ml_dash's local storage: saving the same path again
replaces the file. Bytes are copied to a temporary name and renamed into
place, and files.json is rewritten atomically under the run directory's lock,
so readers never see half a file or half a record.
"""

import fnmatch
import hashlib
import json
import mimetypes
import os
import random
import shutil
import uuid

from . import _files as files

FILES_DIR = "files"
FILES_FILE = "files.json"
# Copy in chunks of this many bytes (checksum and copy in one pass).
COPY_CHUNK_BYTES = 1 << 20


def _clean_dir(path):
    """A folder inside files/: '/models//best/' -> 'models/best'; '..' is refused."""
    parts = [p for p in str(path or "").replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"g_runs: file path {path!r} leaves the run's files/ folder ('..' is not allowed)")
    return "/".join(parts)


def _split_target(directory, to, default_name):
    """The (folder, filename) a save writes to: `to` may carry folders of its own, as in ml_dash."""
    name = to if to else default_name
    joined = _clean_dir(f"{directory}/{name}")
    if not joined or joined.endswith("/"):
        raise ValueError(f"g_runs: no file name in {to!r}")
    folder, _, filename = joined.rpartition("/")
    return folder, filename


def _full_path(record):
    return f"{record['path']}/{record['filename']}" if record["path"] else record["filename"]


def _public(record):
    """A record as the caller sees it: without g's bookkeeping field."""
    return {k: v for k, v in record.items() if k != "exp"}


class FileStore:
    """The files of one experiment's run directory (the run it writes to now)."""

    def __init__(self, experiment):
        self._exp = experiment

    def _dir(self):
        exp = self._exp
        exp.start()
        return exp.dir

    def records(self):
        value = files.read_json(os.path.join(self._dir(), FILES_FILE), {"files": []})
        items = value.get("files") if isinstance(value, dict) else None
        return [r for r in (items or []) if isinstance(r, dict) and "filename" in r and "path" in r]

    def put(self, source, folder, filename, description=None, tags=None, metadata=None, bindrs=None):
        """Copies `source` (a file path) into files/<folder>/<filename>; returns the record."""
        exp = self._exp
        exp._check_open()
        if not os.path.isfile(source):
            raise ValueError(f"g_runs: file not found: {source}")
        run_dir = self._dir()
        dest_dir = os.path.join(run_dir, FILES_DIR, *folder.split("/")) if folder else os.path.join(run_dir, FILES_DIR)
        os.makedirs(dest_dir, exist_ok=True)
        dest = os.path.join(dest_dir, filename)
        tmp = os.path.join(dest_dir, f".{filename}.{os.getpid()}.{random.getrandbits(32):08x}.tmp")
        digest = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as src, open(tmp, "wb") as out:
                while True:
                    chunk = src.read(COPY_CHUNK_BYTES)
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            files._unlink(tmp)
            raise
        now = files.iso_now()
        record = {
            "id": uuid.uuid4().hex[:16],
            "path": folder,
            "filename": filename,
            "description": description,
            "tags": [str(t) for t in (tags or [])],
            "bindrs": [str(b) for b in (bindrs or [])],
            "contentType": mimetypes.guess_type(filename)[0] or "application/octet-stream",
            "sizeBytes": size,
            "checksum": digest.hexdigest(),
            "metadata": metadata,
            "uploadedAt": now,
            "updatedAt": now,
        }
        mark = exp._mark()
        if mark:
            record.update(mark)

        def replace(value):
            kept = [r for r in value.get("files", []) if not (r.get("path") == folder and r.get("filename") == filename)]
            value["files"] = kept + [json.loads(json.dumps(record, default=str))]

        files.update_json_locked(run_dir, FILES_FILE, replace, {"files": []})
        return _public(record)

    def remove(self, record):
        run_dir = self._dir()
        self._exp._check_open()

        def drop(value):
            value["files"] = [r for r in value.get("files", []) if r.get("id") != record["id"]]

        files.update_json_locked(run_dir, FILES_FILE, drop, {"files": []})
        files._unlink(os.path.join(run_dir, FILES_DIR, *_full_path(record).split("/")))
        return {"id": record["id"], "deletedAt": files.iso_now()}

    def update(self, record, description, tags, metadata):
        run_dir = self._dir()
        self._exp._check_open()
        updated = {}

        def change(value):
            for r in value.get("files", []):
                if r.get("id") == record["id"]:
                    if description is not None:
                        r["description"] = description
                    if tags is not None:
                        r["tags"] = [str(t) for t in tags]
                    if metadata is not None:
                        r["metadata"] = json.loads(json.dumps(metadata, default=str))
                    r["updatedAt"] = files.iso_now()
                    updated.update(r)

        files.update_json_locked(run_dir, FILES_FILE, change, {"files": []})
        if not updated:
            raise ValueError(f"g_runs: file {record['id']} is gone")
        return _public(updated)

    def local_path(self, record):
        return os.path.join(self._dir(), FILES_DIR, *_full_path(record).split("/"))


class FileBuilder:
    """`experiment.files("models")`: a folder to save into, or a file (or pattern) to read, list or delete."""

    def __init__(self, experiment, dir=None, *, path=None, prefix=None, description=None, tags=None,
                 bindrs=None, metadata=None, file_id=None, dest_path=None, file_path=None):
        self._exp = experiment
        self._store = FileStore(experiment)
        # ml_dash's older spellings of the folder: path=, prefix=.
        self._path = _clean_dir(dir if dir is not None else path if path is not None else prefix)
        self._description = description
        self._tags = list(tags) if tags else []
        self._bindrs = list(bindrs) if bindrs else []
        self._metadata = metadata
        self._file_id = file_id
        self._dest_path = dest_path
        self._file_path = file_path

    # -- saving ----------------------------------------------------------------

    def upload(self, fpath, *, to=None, description=None, tags=None, metadata=None):
        """Copies an existing file into the run (files/<dir>/<name>); returns its record."""
        if not fpath:
            raise ValueError("g_runs: upload() needs the path of a file")
        folder, filename = _split_target(self._path, to, os.path.basename(str(fpath)))
        return self._store.put(
            str(fpath), folder, filename,
            description=description if description is not None else self._description,
            tags=tags if tags is not None else self._tags,
            metadata=metadata if metadata is not None else self._metadata,
            bindrs=self._bindrs,
        )

    def save(self, content=None, *, to=None, description=None, tags=None, metadata=None):
        """A file path uploads it; bytes, a dict or a list are saved as a blob or JSON (`to=` required)."""
        if description is not None:
            self._description = description
        if tags is not None:
            self._tags = list(tags)
        if metadata is not None:
            self._metadata = metadata
        if content is None:
            content = self._file_path
            if content is None:
                raise ValueError("g_runs: save() needs content: a file path, bytes, a dict or a list")
        if isinstance(content, (str, os.PathLike)):
            if not os.path.isfile(content):
                raise ValueError(f"g_runs: file not found: {content}")
            return self.upload(content, to=to)
        if isinstance(content, (bytes, bytearray)):
            return self.save_blob(bytes(content), to=self._need_to(to, "bytes"))
        if isinstance(content, (dict, list)):
            return self.save_json(content, to=self._need_to(to, "a dict or list"))
        if type(content).__module__ == "numpy" and hasattr(content, "shape"):
            return self.save_image(content, to=self._need_to(to, "an array"))
        raise ValueError(
            f"g_runs: save() takes a file path, bytes, a dict or a list, not {type(content).__name__}"
        )

    @staticmethod
    def _need_to(to, what):
        if not to:
            raise ValueError(f"g_runs: saving {what} needs to= (the file name)")
        return to

    def _save_bytes(self, data, to):
        folder, filename = _split_target(self._path, to, "")
        return self._via_temp(folder, filename, lambda path: _write_bytes(path, data))

    def _via_temp(self, folder, filename, write):
        """Writes the content with `write(path)` to a temporary file, then saves that file."""
        run_dir = self._exp.start().dir
        scratch = os.path.join(run_dir, f".save-{uuid.uuid4().hex[:12]}")
        os.mkdir(scratch)
        try:
            path = os.path.join(scratch, filename)
            write(path)
            return self._store.put(path, folder, filename, self._description, self._tags, self._metadata, self._bindrs)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def save_text(self, content, *, to):
        return self._save_bytes(str(content).encode("utf-8"), to)

    def save_blob(self, data, *, to):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"g_runs: save_blob() takes bytes, not {type(data).__name__}")
        return self._save_bytes(bytes(data), to)

    def save_json(self, content, *, to):
        return self._save_bytes(json.dumps(content, indent=2, default=str).encode("utf-8"), to)

    def save_pkl(self, content, *, to):
        import pickle

        return self._save_bytes(pickle.dumps(content), to)

    def save_torch(self, model, *, to):
        torch = _optional("torch", "save_torch()")
        folder, filename = _split_target(self._path, to, "")
        return self._via_temp(folder, filename, lambda path: torch.save(model, path))

    def save_fig(self, fig=None, *, to, **kwargs):
        plt = _optional("matplotlib.pyplot", "save_fig()")
        figure = fig if fig is not None else plt.gcf()
        folder, filename = _split_target(self._path, to, "")
        try:
            return self._via_temp(folder, filename, lambda path: figure.savefig(path, **kwargs))
        finally:
            # As ml_dash does: the figure is closed once saved.
            plt.close(figure)

    def save_image(self, array, *, to, quality=95):
        imageio = _optional("imageio", "save_image()")
        folder, filename = _split_target(self._path, to, "")
        extra = {"quality": quality} if filename.lower().endswith((".jpg", ".jpeg")) else {}
        return self._via_temp(folder, filename, lambda path: imageio.imwrite(path, array, **extra))

    def save_video(self, frame_stack, *, to, fps=20, **kwargs):
        imageio = _optional("imageio", "save_video()")
        if len(frame_stack) == 0:
            raise ValueError("frame_stack is empty")
        folder, filename = _split_target(self._path, to, "")
        return self._via_temp(folder, filename, lambda path: imageio.mimsave(path, list(frame_stack), fps=fps, **kwargs))

    # -- reading -----------------------------------------------------------------

    def list(self, pattern=None):
        """The run's files under this folder (all with files()), optionally matching a glob."""
        out = []
        for record in self._store.records():
            full = _full_path(record)
            if self._path and not (full == self._path or full.startswith(self._path + "/")):
                continue
            if self._tags and not any(t in record.get("tags", []) for t in self._tags):
                continue
            if pattern:
                want = str(pattern).lstrip("/")
                if not (fnmatch.fnmatch(record["filename"], want) or fnmatch.fnmatch(full, want)
                        or fnmatch.fnmatch(full, f"{self._path}/{want}" if self._path else want)):
                    continue
            out.append(_public(record))
        return out

    def _find(self):
        """The one file this builder names: by file_id=, else by its path or bare file name."""
        records = self._store.records()
        if self._file_id is not None:
            for r in records:
                if r.get("id") == self._file_id:
                    return r
            raise ValueError(f"g_runs: no file with id {self._file_id!r} in run {self._exp.id}")
        if not self._path:
            raise ValueError("g_runs: name a file, e.g. experiment.files('models/model.pt'), or pass a pattern")
        for r in records:
            if _full_path(r) == self._path:
                return r
        for r in records:
            if r["filename"] == self._path:
                return r
        raise ValueError(f"g_runs: file not found: {self._path} (in run {self._exp.id})")

    def exists(self):
        try:
            self._find()
            return True
        except ValueError:
            return False

    def read_text(self, encoding="utf-8"):
        with open(self._store.local_path(self._find()), encoding=encoding) as f:
            return f.read()

    def download(self, pattern=None, *, to=None):
        """Copies the file (or every file matching `pattern`, into folder `to`) out of the run."""
        if pattern:
            found = self.list(pattern)
            if not found:
                raise ValueError(f"g_runs: no files match {pattern!r}")
            folder = to or "."
            os.makedirs(folder, exist_ok=True)
            return [self._copy_out(r, os.path.join(folder, r["filename"])) for r in found]
        record = self._find()
        return self._copy_out(record, to or self._dest_path or record["filename"])

    def _copy_out(self, record, dest):
        source = self._store.local_path(record)
        if os.path.isdir(dest):
            dest = os.path.join(dest, record["filename"])
        parent = os.path.dirname(os.path.abspath(dest))
        os.makedirs(parent, exist_ok=True)
        shutil.copyfile(source, dest)
        digest = hashlib.sha256()
        with open(dest, "rb") as f:
            for chunk in iter(lambda: f.read(COPY_CHUNK_BYTES), b""):
                digest.update(chunk)
        if record.get("checksum") and digest.hexdigest() != record["checksum"]:
            raise ValueError(f"g_runs: checksum mismatch for {_full_path(record)}: the stored file was changed")
        return dest

    def delete(self, pattern=None):
        if pattern:
            found = [r for r in self._store.records() if r["id"] in {f["id"] for f in self.list(pattern)}]
            if not found:
                raise ValueError(f"g_runs: no files match {pattern!r}")
            return [self._store.remove(r) for r in found]
        return self._store.remove(self._find())

    def update(self):
        if self._file_id is None:
            raise ValueError("g_runs: update() needs file_id=, e.g. experiment.files(file_id=ID, tags=[...]).update()")
        return self._store.update(self._find(), self._description, self._tags or None, self._metadata)


class FilesAccessor:
    """`experiment.files`: call it for a folder or file (`files("models")`), or use the direct forms."""

    def __init__(self, experiment):
        self._exp = experiment

    def __call__(self, dir=None, **kwargs):
        return FileBuilder(self._exp, dir, **kwargs)

    def upload(self, fpath, *, to=None, **kwargs):
        return FileBuilder(self._exp).upload(fpath, to=to, **kwargs)

    def download(self, path, *, to=None):
        """A file path downloads that file; a glob (`images/*.png`) every match into folder `to`."""
        if any(c in str(path) for c in "*?["):
            folder, _, pattern = _clean_dir(path).rpartition("/")
            return FileBuilder(self._exp, folder or None).download(pattern, to=to)
        return FileBuilder(self._exp, path).download(to=to)

    def delete(self, path):
        if any(c in str(path) for c in "*?["):
            folder, _, pattern = _clean_dir(path).rpartition("/")
            return FileBuilder(self._exp, folder or None).delete(pattern)
        return FileBuilder(self._exp, path).delete()

    def list(self, pattern=None):
        return FileBuilder(self._exp).list(pattern)

    def save(self, content=None, *, to=None, **kwargs):
        return FileBuilder(self._exp).save(content, to=to, **kwargs)

    def save_text(self, content, *, to):
        return FileBuilder(self._exp).save_text(content, to=to)

    def save_json(self, content, *, to):
        return FileBuilder(self._exp).save_json(content, to=to)

    def save_blob(self, data, *, to):
        return FileBuilder(self._exp).save_blob(data, to=to)

    def save_pkl(self, content, *, to):
        return FileBuilder(self._exp).save_pkl(content, to=to)

    def save_torch(self, model, *, to):
        return FileBuilder(self._exp).save_torch(model, to=to)

    def save_fig(self, fig=None, *, to, **kwargs):
        return FileBuilder(self._exp).save_fig(fig, to=to, **kwargs)

    def save_image(self, array, *, to, quality=95):
        return FileBuilder(self._exp).save_image(array, to=to, quality=quality)

    def save_video(self, frame_stack, *, to, fps=20, **kwargs):
        return FileBuilder(self._exp).save_video(frame_stack, to=to, fps=fps, **kwargs)


def move_files(exp_token, from_dir, to_dir):
    """Moves the files an experiment saved into a g run (marked with its token) into its child run.

    Called holding the g run's directory lock; the child run is new and only
    this process knows it yet.
    """
    path = os.path.join(from_dir, FILES_FILE)
    value = files.read_json(path, None)
    if not isinstance(value, dict):
        return
    mine = [r for r in value.get("files", []) if r.get("exp") == exp_token]
    if not mine:
        return
    value["files"] = [r for r in value.get("files", []) if r.get("exp") != exp_token]
    for r in mine:
        rel = _full_path(r).split("/")
        target = os.path.join(to_dir, FILES_DIR, *rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            os.replace(os.path.join(from_dir, FILES_DIR, *rel), target)
        except FileNotFoundError:
            pass
        r.pop("exp", None)
    files.write_json_atomic(path, value)
    files.write_json_atomic(os.path.join(to_dir, FILES_FILE), {"files": mine})


def _write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _optional(module, what):
    """Imports a library a save method needs; says which one when it is missing."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        raise ImportError(f"g_runs: {what} needs the {package} package (pip install {package})") from None

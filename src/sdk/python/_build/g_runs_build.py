"""A PEP 517 build backend for g_runs in the standard library alone.

`pip install --no-index --no-build-isolation src/sdk/python` must work on a
machine without network access, where setuptools may be present but `wheel`
(which setuptools needs to build one) is not. g_runs is pure Python, so its
wheel is a zip of the package plus three metadata files; this writes it.
"""

import base64
import hashlib
import os
import zipfile

NAME = "g_runs"
VERSION = "0.1.0"
SUMMARY = "Log params, metrics and messages from Python into g's run store (no server, standard library only)."
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST_INFO = f"{NAME}-{VERSION}.dist-info"

METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: {SUMMARY}
License: MIT
Requires-Python: >=3.8
"""

WHEEL = """Wheel-Version: 1.0
Generator: g_runs_build
Root-Is-Purelib: true
Tag: py3-none-any
"""


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    target = os.path.join(metadata_directory, DIST_INFO)
    os.makedirs(target, exist_ok=True)
    for name, text in (("METADATA", METADATA), ("WHEEL", WHEEL)):
        with open(os.path.join(target, name), "w", encoding="utf-8") as f:
            f.write(text)
    return DIST_INFO


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = f"{NAME}-{VERSION}-py3-none-any.whl"
    entries = []
    package = os.path.join(ROOT, NAME)
    for file in sorted(os.listdir(package)):
        if file.endswith(".py"):
            with open(os.path.join(package, file), "rb") as f:
                entries.append((f"{NAME}/{file}", f.read()))
    entries.append((f"{DIST_INFO}/METADATA", METADATA.encode()))
    entries.append((f"{DIST_INFO}/WHEEL", WHEEL.encode()))
    entries.append((f"{DIST_INFO}/top_level.txt", f"{NAME}\n".encode()))
    record = "".join(f"{path},sha256={_digest(data)},{len(data)}\n" for path, data in entries)
    record += f"{DIST_INFO}/RECORD,,\n"
    entries.append((f"{DIST_INFO}/RECORD", record.encode()))
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as whl:
        for path, data in entries:
            whl.writestr(path, data)
    return filename


def build_sdist(sdist_directory, config_settings=None):
    import tarfile

    base = f"{NAME}-{VERSION}"
    filename = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as tar:
        for rel in ["pyproject.toml", f"_build/{os.path.basename(__file__)}"] + [
            f"{NAME}/{f}" for f in sorted(os.listdir(os.path.join(ROOT, NAME))) if f.endswith(".py")
        ]:
            tar.add(os.path.join(ROOT, rel), arcname=f"{base}/{rel}")
    return filename


def _digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

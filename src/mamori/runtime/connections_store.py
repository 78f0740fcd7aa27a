"""Where the connection map lives on disk, and how it is written without ever leaving a
half-written file: a temporary file in the same directory, fsync, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import platformdirs

FILE_NAME = "connections.json"
MAX_FILE = 256 << 20  # a map far larger than its caps allow is not ours


def default_path() -> Path:
    """``$XDG_DATA_HOME/mamori/connections.json`` (``MAMORI_CONNECTIONS`` overrides)."""
    override = os.environ.get("MAMORI_CONNECTIONS")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("mamori")) / FILE_NAME


def encode(doc: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)  # process names, addresses: not for every local user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def decode(path: Path) -> object:
    """The JSON document at `path`; None when absent, too large or not JSON."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError:
        return None
    if len(data) > MAX_FILE:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None

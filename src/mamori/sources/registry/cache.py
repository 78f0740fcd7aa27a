"""A content-addressed blob store (`ROOT/sha256/<hex>`): the pull cache.

A blob is streamed into a private temporary file beside its final place, hashed as it
arrives, and renamed into place only when its size and digest are right; on any
failure the temporary file is removed. Two pulls writing the same blob at once are
safe: both rename a complete, verified file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import platformdirs

from mamori.sources.registry.errors import RegistryError
from mamori.sources.registry.reference import check_digest

CHUNK = 1024 * 1024


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("mamori")) / "blobs"


def blob_path(root: Path, digest: str) -> Path:
    algorithm, _, hexpart = check_digest(digest).partition(":")
    return root / algorithm / hexpart


def file_digest(path: Path, algorithm: str) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, algorithm).hexdigest()


class BlobWriter:
    """Receives one blob's bytes; `commit()` checks them and moves the file into place.

    More bytes than `size` fail at once, so a hostile server cannot fill the disk.
    """

    def __init__(self, final: Path, digest: str, size: int) -> None:
        self.final = final
        self.digest = digest
        self.size = size
        self.written = 0
        algorithm = digest.partition(":")[0]
        self._hash = hashlib.new(algorithm)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(prefix=".partial-", dir=final.parent)
        self._tmp = Path(name)
        self._fh = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.written += len(data)
        if self.written > self.size:
            raise RegistryError(
                f"blob {self.digest} is larger than the {self.size} bytes its descriptor says"
            )
        self._hash.update(data)
        self._fh.write(data)

    def commit(self) -> Path:
        self._fh.close()
        actual = f"{self.digest.partition(':')[0]}:{self._hash.hexdigest()}"
        if actual != self.digest:
            raise RegistryError(f"blob {self.digest} arrived with digest {actual}")
        os.replace(self._tmp, self.final)
        return self.final

    def discard(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()  # after commit() the temporary file is gone already


class BlobStore:
    """Verified blobs by digest under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return blob_path(self.root, digest)

    def lookup(self, digest: str, size: int | None) -> Path | None:
        """The cached file for `digest`, re-hashed so a damaged file is never used (it is
        removed and fetched again)."""
        path = self.path(digest)
        try:
            if size is not None and path.stat().st_size != size:
                path.unlink()
                return None
            algorithm, _, expected = digest.partition(":")
            if file_digest(path, algorithm) != expected:
                path.unlink()
                return None
        except OSError:
            return None
        return path

    def writer(self, digest: str, size: int) -> BlobWriter:
        return BlobWriter(self.path(digest), digest, size)

    def put(self, digest: str, data: bytes) -> Path:
        """Store bytes already in memory (a manifest fetched by tag)."""
        with self.writer(digest, len(data)) as writer:
            writer.write(data)
            return writer.commit()


def place(source: Path, target: Path) -> None:
    """Put a cached blob into a layout: a hard link when possible, else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except FileExistsError:
        return
    except OSError:
        shutil.copyfile(source, target)

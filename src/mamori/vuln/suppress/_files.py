"""Reading suppression files from disk with a size bound."""

from __future__ import annotations

from pathlib import Path

from mamori.vuln.suppress.result import SuppressionError

MAX_FILE_BYTES = 16 * 1024 * 1024


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The file's UTF-8 text; SuppressionError when unreadable, too large or not UTF-8."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise SuppressionError(str(path), [f"{path}: cannot read: {exc.strerror}"]) from None
    if len(raw) > limit:
        raise SuppressionError(str(path), [f"{path}: larger than {limit} bytes"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SuppressionError(str(path), [f"{path}: not UTF-8 (byte {exc.start})"]) from None

"""The line of every key and item of one object, looked up by RFC 6901 JSON pointer.

The YAML loader records lines by path (a tuple of keys and list indexes) for a whole
document. An object's `lines` attribute is a read-only view of that table: relative to
the object (a `List` item's paths start with ("items", n)), keyed by pointer. Converting
every path of every object to a pointer up front took a fifth of a manifest scan, while
only the fields a failing check names are ever looked up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

Path = tuple[str | int, ...]


def pointer(path: Iterable[str | int]) -> str:
    """RFC 6901 JSON pointer of a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


class PointerLines(Mapping[str, int]):
    """pointer ("/spec/replicas", "" for the object itself) -> 1-based line."""

    __slots__ = ("_lines", "_prefix")

    def __init__(self, lines: Mapping[Path, int], prefix: Path = ()) -> None:
        self._lines = lines
        self._prefix = prefix

    def _path(self, ptr: str) -> Path | None:
        """The recorded path a pointer names. A segment of digits is a list index or a
        mapping key: the table itself says which (every key and item is recorded)."""
        if ptr == "":
            return self._prefix
        if not ptr.startswith("/"):
            return None
        path = self._prefix
        for raw in ptr[1:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if part.isdigit() and (*path, int(part)) in self._lines:
                path = (*path, int(part))
            else:
                path = (*path, part)
        return path

    def __getitem__(self, ptr: str) -> int:
        path = self._path(ptr) if isinstance(ptr, str) else None
        if path is None or path not in self._lines:
            raise KeyError(ptr)
        return self._lines[path]

    def __iter__(self) -> Iterator[str]:
        n = len(self._prefix)
        for path in self._lines:
            if path[:n] == self._prefix:
                yield pointer(path[n:])

    def __bool__(self) -> bool:  # without walking the table, as __len__ would
        return self._path("") in self._lines or (bool(self._lines) and not self._prefix)

    def __len__(self) -> int:
        n = len(self._prefix)
        return sum(1 for path in self._lines if path[:n] == self._prefix)

    def __repr__(self) -> str:
        return f"PointerLines({dict(self)!r})"

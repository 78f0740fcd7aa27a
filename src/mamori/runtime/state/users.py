"""User and group names: from a capture's user list, or from passwd/group files.

Falco resolves ``user.name`` per container: the same uid can be ``www-data`` on the
host and ``nginx`` in a container. A ``UserDirectory`` keeps one table per container
id (``"host"`` for the host) and, for live use, can load a table from the
``/etc/passwd`` and ``/etc/group`` under any root directory (the host's ``/`` or a
container's merged root filesystem).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HOST = "host"
_MAX_FILE = 8 << 20  # passwd/group files larger than this are not plausible


@dataclass(frozen=True, slots=True)
class User:
    uid: int
    gid: int
    name: str
    homedir: str = ""
    shell: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    gid: int
    name: str


class UserDirectory:
    """uid/gid -> names, per container. Bounded: at most ``max_entries`` per table."""

    def __init__(self, max_entries: int = 65536) -> None:
        self._users: dict[str, dict[int, User]] = {}
        self._groups: dict[str, dict[int, Group]] = {}
        self._max = max_entries

    def add_user(self, user: User, container: str = HOST) -> None:
        table = self._users.setdefault(container, {})
        if user.uid in table or len(table) < self._max:
            table[user.uid] = user

    def add_group(self, group: Group, container: str = HOST) -> None:
        table = self._groups.setdefault(container, {})
        if group.gid in table or len(table) < self._max:
            table[group.gid] = group

    def remove_user(self, uid: int, container: str = HOST) -> None:
        self._users.get(container, {}).pop(uid, None)

    def remove_group(self, gid: int, container: str = HOST) -> None:
        self._groups.get(container, {}).pop(gid, None)

    def user(self, uid: int, container: str = HOST) -> User | None:
        found = self._users.get(container, {}).get(uid)
        if found is None and container != HOST:
            found = None  # a container's users are its own; no fallback to the host
        return found

    def group(self, gid: int, container: str = HOST) -> Group | None:
        return self._groups.get(container, {}).get(gid)

    def load_root(self, root: str | Path, container: str = HOST) -> int:
        """Load ``etc/passwd`` and ``etc/group`` under ``root``; returns entries read."""
        base = Path(root)
        count = 0
        for line in _lines(base / "etc" / "passwd"):
            parts = line.split(":")
            if len(parts) >= 7 and parts[2].isdigit() and parts[3].isdigit():
                self.add_user(
                    User(int(parts[2]), int(parts[3]), parts[0], parts[5], parts[6]), container
                )
                count += 1
        for line in _lines(base / "etc" / "group"):
            parts = line.split(":")
            if len(parts) >= 3 and parts[2].isdigit():
                self.add_group(Group(int(parts[2]), parts[0]), container)
                count += 1
        return count


def _lines(path: Path) -> list[str]:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_FILE)
    except OSError:
        return []
    return [
        line
        for line in data.decode("utf-8", "replace").splitlines()
        if line and not line.startswith("#")
    ]

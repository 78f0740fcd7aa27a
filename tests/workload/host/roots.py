"""Fixture roots for the host checks, built as real directories (modes, owners, symlinks).

The hardened base roots of each check family, and each check's changes that make it
fail, are in pairs.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support import need_root


@dataclass(frozen=True)
class F:
    """One fixture entry: a file (text, mode, owner ids), a directory, or a symlink."""

    text: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    directory: bool = False
    link: str | None = None


Spec = Mapping[str, "F | str | None"]  # path -> entry (str: a 0644 root file; None: absent)

PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
GROUP = "root:x:0:\ndaemon:x:1:\nshadow:x:42:\ncrontab:x:101:\n"
SHADOW = "root:$y$j9T$abc$def:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
SHADOW_GID = 42


def dpkg_status(*packages: str) -> str:
    return "".join(
        f"Package: {p}\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\n"
        for p in packages
    )


def build(root: Path, spec: Spec, packages: tuple[str, ...] = ()) -> Path:
    """Write `spec` under `root` (parents 0755 root:root) and a dpkg status file."""
    entries: dict[str, F | str | None] = {
        "/etc/passwd": PASSWD,
        "/etc/group": GROUP,
        "/var/lib/dpkg/status": dpkg_status(*packages),
        **spec,
    }
    for path, entry in sorted(entries.items(), key=lambda kv: kv[0]):
        if entry is None:
            continue
        item = F(entry) if isinstance(entry, str) else entry
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.link is not None:
            target.symlink_to(item.link)
            continue
        if item.directory:
            target.mkdir(exist_ok=True)
        else:
            target.write_text(item.text)
        if item.uid or item.gid:
            need_root()
            os.chown(target, item.uid, item.gid)
        os.chmod(target, item.mode)
    return root


def enabled(unit: str, target: str = "multi-user.target") -> tuple[str, F]:
    return f"/etc/systemd/system/{target}.wants/{unit}", F(link=f"/lib/systemd/system/{unit}")

"""pnpm-lock.yaml, lockfile versions 5.x, 6.x and 9.x.

Every locked package is a key of the ``packages`` map; the key format changed:

- 5.x: ``/name/1.2.3``, ``/@scope/name/1.2.3``, peers after ``_`` (``/a/1.0.0_react@17.0.2``)
- 6.x: ``/name@1.2.3``, peers in parentheses (``/a@1.0.0(react@17.0.2)``)
- 9.x: ``name@1.2.3`` (peer variants live in ``snapshots``, which adds no new packages)

Packages from tarballs or git carry ``name``/``version`` fields in their entry, which win
over the key. ``dev: true`` (5.x/6.x) is kept as metadata.
"""

from __future__ import annotations

from mamori.sbom.catalogers.npm._common import Declared, LockfileError, is_semver, valid_name
from mamori.sbom.catalogers.npm._yaml import load_mapping


def _major(value: object) -> int | None:
    try:
        return int(float(str(value)))
    except (ValueError, OverflowError):
        return None


def _split_v5(key: str) -> tuple[str, str]:
    """``/@scope/name/1.2.3_peer`` -> (``@scope/name``, ``1.2.3``)."""
    body = key.lstrip("/")
    name, _, version = body.rpartition("/")
    return name, version.partition("_")[0]


def _split_v6(key: str) -> tuple[str, str]:
    """``/@scope/name@1.2.3(peer@1)`` -> (``@scope/name``, ``1.2.3``)."""
    body = key.lstrip("/").partition("(")[0]
    at = body.find("@", 1)
    return (body, "") if at < 0 else (body[:at], body[at + 1 :])


def parse_pnpm_lock(text: str, problems: list[str]) -> list[Declared]:
    doc = load_mapping(text)
    major = _major(doc.get("lockfileVersion"))
    packages = doc.get("packages", {})
    if packages is None:
        return []
    if not isinstance(packages, dict):
        raise LockfileError("'packages' is not a mapping")
    out: list[Declared] = []
    for key, entry in packages.items():
        if not isinstance(key, str):
            problems.append(f"packages key {str(key)[:80]!r} is not a string")
            continue
        info = entry if isinstance(entry, dict) else {}
        # Without a version, guess the key format: only 5.x keys lack "@" after the name.
        v5 = (major is not None and major < 6) or (major is None and "@" not in key.lstrip("/@"))
        name, version = _split_v5(key) if v5 else _split_v6(key)
        if isinstance(info.get("name"), str):
            name = info["name"]
        if isinstance(info.get("version"), str) and not is_semver(version):
            version = info["version"]
        if not valid_name(name):
            problems.append(f"packages[{key[:80]!r}]: invalid name")
            continue
        if not is_semver(version):
            continue  # a tarball or git dependency without a registry version
        out.append(Declared(name, version, {"dev": "true"} if info.get("dev") is True else {}))
    return out

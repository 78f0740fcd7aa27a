"""Comparing two stored scans: findings by fingerprint, packages by ecosystem and name."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from mamori.model import FindingStatus, Package
from mamori.store.queries import scan_findings, scan_packages
from mamori.store.records import PackageChange, ScanDiff

_PackageKey = tuple[str, str, str]


def _key(package: Package) -> _PackageKey:
    return (str(package.type), package.name, package.arch or "")


def diff_packages(
    before: list[Package], after: list[Package]
) -> tuple[list[Package], list[Package], list[PackageChange]]:
    """(added, removed, changed). Packages are matched by (type, name, arch); several
    copies of one name (two jars, multi-arch libraries) pair up version by version, so
    equal versions cancel out and the rest pair as changes before counting as added or
    removed."""
    groups_a: dict[_PackageKey, list[Package]] = defaultdict(list)
    groups_b: dict[_PackageKey, list[Package]] = defaultdict(list)
    for package in before:
        groups_a[_key(package)].append(package)
    for package in after:
        groups_b[_key(package)].append(package)
    added: list[Package] = []
    removed: list[Package] = []
    changed: list[PackageChange] = []
    for key in sorted(groups_a.keys() | groups_b.keys()):
        left = sorted(groups_a.get(key, []), key=lambda p: p.version)
        right = sorted(groups_b.get(key, []), key=lambda p: p.version)
        for package in list(left):
            same = next((p for p in right if p.version == package.version), None)
            if same is not None:
                left.remove(package)
                right.remove(same)
        pairs = min(len(left), len(right))
        changed.extend(PackageChange(before=a, after=b) for a, b in zip(left, right, strict=False))
        removed.extend(left[pairs:])
        added.extend(right[pairs:])
    return added, removed, changed


def diff_scans(session: Session, before: str, after: str) -> ScanDiff:
    seen_a = {f.fingerprint: f for f in scan_findings(session, before)}
    seen_b = {f.fingerprint: f for f in scan_findings(session, after)}
    added, removed, changed = diff_packages(
        scan_packages(session, before), scan_packages(session, after)
    )
    return ScanDiff(
        before=before,
        after=after,
        new=tuple(f for fp, f in seen_b.items() if fp not in seen_a),
        fixed=tuple(
            f.model_copy(update={"status": FindingStatus.FIXED})
            for fp, f in seen_a.items()
            if fp not in seen_b
        ),
        unchanged=tuple(f for fp, f in seen_b.items() if fp in seen_a),
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
    )

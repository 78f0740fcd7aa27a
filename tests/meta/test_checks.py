"""Every posture check: valid metadata, id = folder, and collectors for what it reads."""

from __future__ import annotations

from pathlib import Path

from mamori.cloud.aws.types import resource_types
from mamori.posture.check import checks

CHECKS_DIR = Path(__file__).resolve().parents[2] / "src" / "mamori" / "posture" / "checks" / "aws"


def test_every_check_folder_is_registered_under_its_id() -> None:
    folders = {p.name for p in CHECKS_DIR.iterdir() if p.is_dir() and not p.name.startswith("_")}
    folders.discard("__pycache__")
    assert folders == set(checks.names())
    for name, cls in checks.items():
        assert cls.metadata.id == name


def test_every_required_resource_type_has_a_collector() -> None:
    known = set(resource_types.names())
    missing = {
        (name, t) for name, cls in checks.items() for t in cls.metadata.requires if t not in known
    }
    assert not missing, sorted(missing)
    for name, cls in checks.items():
        assert cls.metadata.requires, f"{name} declares no resource types"
        assert cls.metadata.rationale.strip() and cls.metadata.remediation.strip(), name


def test_every_collector_declares_its_calls_and_permissions() -> None:
    for name, rtype in resource_types.items():
        assert name.startswith("aws."), name
        assert rtype.calls and rtype.permissions, name
        assert all(":" in p for p in rtype.permissions), name

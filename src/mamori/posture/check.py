"""The check plug-in contract: one folder per check, code + validated metadata.

    checks/aws/<check_id>/__init__.py   the check class, registered as <check_id>
    checks/aws/<check_id>/metadata.yaml id, title, severity, rationale, remediation, ...

A check receives the Inventory and returns Verdicts; it never calls an API.

Each provider has its own registry (`registry_for`): metadata `provider: k8s` puts a check
in `k8s_checks` (checks/k8s/, judging Kubernetes manifests), anything else in `checks`
(AWS), so an AWS scan never runs a Kubernetes check and the reverse.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field

from mamori.model import CloudResource, Inventory, Severity
from mamori.registry import Registry

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Verdict(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    MANUAL = "manual"


class CheckMetadata(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(_[a-z0-9]+)+$")
    provider: str = "aws"
    title: str
    severity: Severity
    resource_type: str  # the type each result is about, e.g. "aws.iam.user"
    requires: tuple[str, ...]  # resource types the check reads (the collectors to run)
    rationale: str
    remediation: str
    references: tuple[str, ...] = ()


class Result(BaseModel):
    """One verdict about one resource (or the account), with a one-sentence reason."""

    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    reason: str
    resource: CloudResource | None = None  # None: about the account as a whole
    account: str = ""
    region: str = ""
    # Extra evidence for the finding (e.g. the JSON pointer of the offending field).
    detail: dict[str, str] = Field(default_factory=dict)


class Check(Protocol):
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterable[Result]: ...


checks: Registry[type[Check]] = Registry("check", "mamori.posture.checks.aws")
k8s_checks: Registry[type[Check]] = Registry("k8s check", "mamori.posture.checks.k8s")
_REGISTRIES = {"aws": checks, "k8s": k8s_checks}


def registry_for(provider: str) -> Registry[type[Check]]:
    """The check registry of a provider ("aws" for anything unknown)."""
    return _REGISTRIES.get(provider, checks)


M = TypeVar("M", bound=CheckMetadata)


def load_metadata(init_file: str) -> CheckMetadata:
    """The metadata.yaml beside a check's __init__.py, validated; the id must be the folder."""
    return load_metadata_as(init_file, CheckMetadata)


def load_metadata_as(init_file: str, model: type[M]) -> M:
    """`load_metadata` for a metadata model of its own (host checks add fields)."""
    folder = Path(init_file).parent
    text = (folder / "metadata.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader, in C when built
    meta = model.model_validate(data)
    if meta.id != folder.name:
        raise ValueError(f"check folder {folder.name} holds metadata for {meta.id}")
    return meta


C = TypeVar("C")


def check(init_file: str) -> Callable[[type[C]], type[C]]:
    """Decorator for a check class in `<check_id>/__init__.py`: `@check(__file__)`.

    Attaches the folder's validated metadata and registers the class under its id.
    """
    meta = load_metadata(init_file)

    def decorate(cls: type[C]) -> type[C]:
        cls.metadata = meta  # type: ignore[attr-defined]
        registry_for(meta.provider).add(meta.id, cls)  # type: ignore[arg-type]
        return cls

    return decorate

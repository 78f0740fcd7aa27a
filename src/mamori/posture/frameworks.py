"""Compliance frameworks as data: requirement ids mapped to check ids (one YAML each).

frameworks/cis_aws_3.0.yaml:
  id: cis_aws_3.0
  title: CIS Amazon Web Services Foundations Benchmark v3.0.0
  requirements:
    - id: "1.5"
      title: Ensure MFA is enabled for the 'root' user account
      automated: true
      checks: [iam_root_mfa_enabled]
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

FRAMEWORKS_DIR = Path(__file__).parent / "frameworks"


class Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    section: str = ""
    automated: bool = True
    checks: tuple[str, ...] = ()


class Framework(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    version: str = ""
    provider: str = "aws"
    requirements: tuple[Requirement, ...]


def load_framework(name: str) -> Framework:
    path = FRAMEWORKS_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(available_frameworks()) or "none"
        raise ValueError(f"unknown framework {name!r} (known: {known})")
    return Framework.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def available_frameworks() -> list[str]:
    return sorted(p.stem for p in FRAMEWORKS_DIR.glob("*.yaml"))

"""`.mamori.yaml`: reasoned exceptions and severity overrides for manifest scans.

    pss_version: v1.30            # optional: the Pod Security Admission policy version
    exceptions:
      - check: k8s_pss_privileged # a check id, or "*" for every check (required)
        reason: the CNI agent needs it; see SEC-12      # required
        namespace: kube-system    # optional glob on metadata.namespace
        kind: DaemonSet           # optional glob on the kind
        name: "cilium*"           # optional glob on metadata.name
        path: "charts/cilium/**"  # optional path glob on the file (relative to the scan root)
        expires: 2027-01-31       # optional date or date-time (UTC); expired = not applied
    severity:
      k8s_container_image_not_latest: high

All selectors given must match. Unknown keys are errors, so a typo never silently widens
or drops an exception. The file is read with the same bounded loader as manifests.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from mamori.globs import glob_to_regex
from mamori.model import Severity
from mamori.workload.k8s.manifests import read_text
from mamori.workload.k8s.yamlsafe import YamlError, iter_documents, line_of

CONFIG_NAME = ".mamori.yaml"


class ConfigError(ValueError):
    """The config file is invalid; the message names the file and, when known, the line."""


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("expected a date (YYYY-MM-DD) or a date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class ExceptionRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    check: str
    reason: str
    namespace: str | None = None
    kind: str | None = None
    name: str | None = None
    path: str | None = None
    expires: datetime | None = None

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value:
            raise ValueError("a reason is required")
        return value

    @field_validator("expires", mode="before")
    @classmethod
    def _expires(cls, value: Any) -> datetime | None:
        return None if value is None else _utc(value)

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and now >= self.expires

    def matches(self, check_id: str, attrs: dict[str, str]) -> bool:
        if self.check != "*" and self.check != check_id:
            return False
        for key in ("namespace", "kind", "name"):
            pattern = getattr(self, key)
            if pattern is not None and not fnmatch.fnmatchcase(attrs.get(key, ""), pattern):
                return False
        if self.path is not None:
            regex = glob_to_regex(self.path.lstrip("/"))
            if not re.fullmatch(regex, attrs.get("file", "")):
                return False
        return True


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pss_version: str | None = None
    exceptions: tuple[ExceptionRule, ...] = ()
    severity: dict[str, Severity] = {}
    source: str = ""  # the file it came from ("" when none)

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, name in value.items():
                severity = Severity.parse(str(name))
                if severity is Severity.UNKNOWN and str(name).strip().lower() != "unknown":
                    raise ValueError(f"{key}: unknown severity {name!r}")
                out[str(key)] = severity
            return out
        return value

    @field_validator("pss_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        return None if value is None else str(value)


def default_config_path(target: Path) -> Path | None:
    """`.mamori.yaml` in the scanned directory (or beside the scanned file), if present."""
    folder = target if target.is_dir() else target.parent
    candidate = folder / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: Path | None) -> Config:
    """The validated config (an empty one when `path` is None)."""
    if path is None:
        return Config()
    try:
        text = read_text(path)
        docs = [d for d in iter_documents(text) if d.value is not None]
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except YamlError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not docs:
        return Config(source=str(path))
    if len(docs) > 1 or not isinstance(docs[0].value, dict):
        raise ConfigError(f"{path}: expected one YAML mapping")
    try:
        return Config.model_validate({**docs[0].value, "source": str(path)})
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        line = line_of(docs[0].lines, loc)
        where = ".".join(str(p) for p in loc)
        raise ConfigError(f"{path}:{line}: {where}: {error['msg']}") from None

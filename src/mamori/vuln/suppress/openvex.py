"""OpenVEX documents (spec v0.2.0), read and validated.

A document is a list of statements "vulnerability V has status S in product P", where a
product may list the subcomponents (its dependencies) the statement is about. The older
v0.0.1 shapes (vulnerability and products as plain strings) are accepted too: many
published documents still use them.
"""

from __future__ import annotations

import enum
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mamori.vuln.suppress._files import read_text
from mamori.vuln.suppress.result import SuppressionError, describe_loc

CONTEXT_PREFIX = "https://openvex.dev/ns"


class VexStatus(enum.StrEnum):
    NOT_AFFECTED = "not_affected"
    AFFECTED = "affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


class Justification(enum.StrEnum):
    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = (
        "vulnerable_code_cannot_be_controlled_by_adversary"
    )
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


_NANOS = re.compile(r"(\.\d{6})\d+")


def _timestamp(value: Any) -> Any:
    """RFC 3339 text to an aware UTC datetime (vexctl writes nanoseconds: cut to micro)."""
    if isinstance(value, str):
        text = _NANOS.sub(r"\1", value.strip()).replace("Z", "+00:00").replace("z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("expected an RFC 3339 date-time") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return value


class _Vex(BaseModel):
    # JSON-LD documents may carry extension fields: unknown keys are ignored, known ones
    # are validated.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class VexVulnerability(_Vex):
    id: str | None = Field(default=None, alias="@id")
    name: str = Field(min_length=1)
    description: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def ids(self) -> set[str]:
        return {i.casefold() for i in (self.name, self.id or "", *self.aliases) if i}


class VexComponent(_Vex):
    id: str | None = Field(default=None, alias="@id")
    identifiers: dict[str, str] = Field(default_factory=dict)
    hashes: dict[str, str] = Field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        """The identifiers this component is known by: @id, then purl and CPEs."""
        found = [self.id, self.identifiers.get("purl")]
        found += [v for k, v in self.identifiers.items() if k != "purl"]
        return tuple(dict.fromkeys(n.strip() for n in found if n and n.strip()))


class VexProduct(VexComponent):
    subcomponents: tuple[VexComponent, ...] = ()

    @field_validator("subcomponents", mode="before")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"@id": v} if isinstance(v, str) else v for v in value]
        return value


class VexStatement(_Vex):
    id: str | None = Field(default=None, alias="@id")
    vulnerability: VexVulnerability
    timestamp: datetime | None = None
    last_updated: datetime | None = None
    products: tuple[VexProduct, ...] = ()
    status: VexStatus
    status_notes: str | None = None
    justification: Justification | None = None
    impact_statement: str | None = None
    action_statement: str | None = None
    supplier: str | None = None

    @field_validator("vulnerability", mode="before")
    @classmethod
    def _plain_vulnerability(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("products", mode="before")
    @classmethod
    def _plain_products(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"@id": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("timestamp", "last_updated", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        return _timestamp(value)


class VexDocument(_Vex):
    context: str = Field(alias="@context")
    id: str = Field(alias="@id", min_length=1)
    author: str = Field(min_length=1)
    role: str | None = None
    timestamp: datetime
    last_updated: datetime | None = None
    version: int = Field(ge=0)
    tooling: str | None = None
    statements: tuple[VexStatement, ...] = ()

    @field_validator("context")
    @classmethod
    def _openvex(cls, value: str) -> str:
        if not value.startswith(CONTEXT_PREFIX):
            raise ValueError(f"not an OpenVEX document (@context must start with {CONTEXT_PREFIX})")
        return value

    @field_validator("timestamp", "last_updated", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        return _timestamp(value)


def parse_vex(text: str, source: str = "<vex>") -> VexDocument:
    """An OpenVEX document from JSON text; SuppressionError names each bad field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuppressionError(
            source, [f"{source}:{exc.lineno}: invalid JSON: {exc.msg}"]
        ) from None
    except (RecursionError, ValueError):
        raise SuppressionError(
            source, [f"{source}: invalid JSON (too deep or malformed)"]
        ) from None
    if not isinstance(data, dict):
        raise SuppressionError(source, [f"{source}: expected a JSON object (an OpenVEX document)"])
    try:
        return VexDocument.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{source}: {describe_loc(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        ]
        raise SuppressionError(source, problems) from None
    except RecursionError:
        raise SuppressionError(source, [f"{source}: document nested too deeply"]) from None


def load_vex(path: Path) -> VexDocument:
    """Read an OpenVEX JSON file; every failure is a SuppressionError, never a crash."""
    return parse_vex(read_text(path), str(path))

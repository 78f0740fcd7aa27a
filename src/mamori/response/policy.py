"""The response policy: which alerts get which actions, and the standing mitigations.

    version: 1
    dry_run: false                 # true: every action only logs what it would do
    log: /var/log/mamori/response.jsonl
    quarantine_dir: /var/lib/mamori/quarantine
    responses:
      - name: crypto miners
        match: {globs: ["*miner*"], tags: [mitre_impact], min_priority: warning}
        actions:
          - kill                           # shorthand for {action: kill}
          - {action: kill, tree: true, signal: SIGKILL}
          - {action: quarantine, target: exe, dry_run: true}
    mitigations:                   # applied at start, whatever alerts say
      exec:
        mounts: [/tmp, /dev/shm]         # mark: filesystem to cover their bind mounts
        deny_paths: ["/tmp/*"]
        deny_sha256: [<64 hex digits>]
      connect:
        - cgroup: /sys/fs/cgroup/system.slice/web.service
          deny: ["169.254.169.254:80", "[::1]:6379", "*:4444", "10.0.0.5:*"]

A response applies when any of its ``match`` criteria holds (a rule name, a glob over
rule names, a tag) and the alert's priority is at least ``min_priority``; every
matching response's actions run, in file order. Unknown keys are errors (a typo must not
silently disable a response). Errors name ``file:line`` and the field.
"""

from __future__ import annotations

import ipaddress
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mamori.rules import Priority
from mamori.vuln.suppress._yaml import YamlError, line_of, load_with_lines

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
SIGNALS = {"SIGKILL": 9, "SIGTERM": 15, "SIGSTOP": 19, "SIGINT": 2, "SIGHUP": 1}


class PolicyError(ValueError):
    """A policy file is not valid; ``problems`` are ``file:line: field: message``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        joined = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{joined}")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Action(_Spec):
    dry_run: bool | None = None
    """None: the policy's global ``dry_run``."""


class KillSpec(_Action):
    """Kill the alert's process (``tree``: and every descendant)."""

    action: Literal["kill"]
    tree: bool = False
    signal: str = "SIGKILL"

    @field_validator("signal")
    @classmethod
    def _signal(cls, value: str) -> str:
        name = value.upper() if value.upper().startswith("SIG") else f"SIG{value.upper()}"
        if name not in SIGNALS:
            raise ValueError(f"unknown signal {value!r} (one of {', '.join(SIGNALS)})")
        return name


class KillContainerSpec(_Action):
    """Kill every process of the alert's container (its cgroup)."""

    action: Literal["kill_container"]


class StopContainerSpec(_Action):
    """Stop the alert's container through podman's API (SIGTERM, then SIGKILL)."""

    action: Literal["stop_container"]
    timeout: int = Field(default=10, ge=0, le=300)
    socket: str | None = None


class QuarantineSpec(_Action):
    """Move the alert's file (or the process's executable) into quarantine."""

    action: Literal["quarantine"]
    target: Literal["file", "exe"] = "file"


class DenyExecSpec(_Action):
    """Add the alert's executable (or file) to the running exec deny list."""

    action: Literal["deny_exec"]
    target: Literal["file", "exe"] = "exe"
    by: Literal["sha256", "path"] = "sha256"


class DenyConnectSpec(_Action):
    """Deny the alert's connection destination to the alert's container (its cgroup),
    or to a given cgroup. ``any_port``: the destination address on every port."""

    action: Literal["deny_connect"]
    cgroup: str | None = None
    any_port: bool = False


ActionSpec = Annotated[
    KillSpec | KillContainerSpec | StopContainerSpec | QuarantineSpec | DenyExecSpec
    | DenyConnectSpec,
    Field(discriminator="action"),
]  # fmt: skip
ACTIONS = ("kill", "kill_container", "stop_container", "quarantine", "deny_exec", "deny_connect")


class MatchSpec(_Spec):
    rules: tuple[str, ...] = ()
    globs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    min_priority: str | None = None

    @field_validator("min_priority")
    @classmethod
    def _priority(cls, value: str | None) -> str | None:
        if value is not None and Priority.parse(value) is None:
            raise ValueError(f"unknown priority {value!r}")
        return value


class ResponseSpec(_Spec):
    name: str = ""
    match: MatchSpec
    actions: tuple[ActionSpec, ...]

    @field_validator("actions", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """``- kill`` means ``- {action: kill}``."""
        if isinstance(value, list):
            return [{"action": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("actions")
    @classmethod
    def _some(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        if not value:
            raise ValueError("a response needs at least one action")
        return value

    @field_validator("match")
    @classmethod
    def _not_empty(cls, value: MatchSpec) -> MatchSpec:
        if not (value.rules or value.globs or value.tags):
            raise ValueError("match needs at least one of rules, globs, tags")
        return value

    def matches(self, rule: str, tags: tuple[str, ...], priority: int) -> bool:
        m = self.match
        if m.min_priority is not None:
            floor = Priority.parse(m.min_priority)
            if floor is not None and priority > floor:  # lower value = more severe
                return False
        return (
            rule in m.rules
            or any(fnmatchcase(rule, g) for g in m.globs)
            or bool(set(tags) & set(m.tags))
        )


class ExecMitigation(_Spec):
    mounts: tuple[str, ...] = Field(min_length=1)
    deny_paths: tuple[str, ...] = ()
    deny_sha256: tuple[str, ...] = ()
    timeout: float = Field(default=1.0, gt=0, le=30)
    mark: Literal["mount", "filesystem"] = "mount"
    """``filesystem`` also covers bind mounts and other mounts of the same filesystems."""

    @field_validator("deny_sha256")
    @classmethod
    def _hashes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for digest in value:
            if not _SHA256.match(digest.lower()):
                raise ValueError(f"{digest!r} is not a sha256 (64 hex digits)")
        return tuple(d.lower() for d in value)

    @field_validator("mounts")
    @classmethod
    def _absolute(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            if not path.startswith("/"):
                raise ValueError(f"{path!r} is not an absolute path")
        return value


class ConnectMitigation(_Spec):
    cgroup: str
    deny: tuple[str, ...] = Field(min_length=1)

    @field_validator("deny")
    @classmethod
    def _destinations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            parse_destination(text)
        return value


class Mitigations(_Spec):
    exec: ExecMitigation | None = None
    connect: tuple[ConnectMitigation, ...] = ()


class Policy(_Spec):
    version: Literal[1] = 1
    dry_run: bool = False
    log: str | None = None
    quarantine_dir: str = "/var/lib/mamori/quarantine"
    responses: tuple[ResponseSpec, ...] = ()
    mitigations: Mitigations = Mitigations()

    @field_validator("quarantine_dir", "log")
    @classmethod
    def _absolute_path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"{value!r} is not an absolute path")
        return value

    def for_alert(self, rule: str, tags: tuple[str, ...], priority: int) -> list[ResponseSpec]:
        """The responses that apply to an alert, in file order."""
        return [r for r in self.responses if r.matches(rule, tags, priority)]


def parse_destination(text: str) -> tuple[str | None, int]:
    """``addr:port``, ``[v6]:port``, ``*:port``, ``addr:*`` -> (address or None for any,
    port or 0 for any). Raises ValueError."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError(f"{text!r}: expected address:port ('*' for any)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port = 0
    if port_text != "*":
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{text!r}: port must be 1-65535 or '*'")
        port = int(port_text)
    if host == "*":
        if port == 0:
            raise ValueError(f"{text!r}: '*:*' would deny every connection")
        return None, port
    try:
        return str(ipaddress.ip_address(host)), port
    except ValueError:
        raise ValueError(f"{text!r}: {host!r} is not an IP address") from None


def _locate(lines: dict[tuple[str | int, ...], int], loc: tuple[str | int, ...]) -> int | None:
    """The line of a pydantic error location; discriminator tags (the action's name)
    inserted by pydantic are not keys of the document and are skipped."""
    path = tuple(
        p for i, p in enumerate(loc) if not (p in ACTIONS and i and loc[i - 1] != "action")
    )
    return line_of(lines, path)


def _where(loc: tuple[str | int, ...]) -> str:
    parts = [p for i, p in enumerate(loc) if not (p in ACTIONS and i)]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """A policy from YAML text; raises PolicyError listing every problem with its line."""
    try:
        data, lines = load_with_lines(text)
    except YamlError as exc:
        where = f"{source}:{exc.line}" if exc.line else source
        raise PolicyError(source, [f"{where}: {exc}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(source, [f"{source}:1: expected a mapping (version, responses...)"])
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        found = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            line = _locate(lines, loc)
            where = f"{source}:{line}" if line else source
            message = error["msg"].removeprefix("Value error, ")
            found.append((line or 0, f"{where}: {_where(loc)}: {message}"))
        raise PolicyError(source, [m for _, m in sorted(found)]) from None


def load_policy(path: str | Path) -> Policy:
    """Read and parse a policy file (PolicyError on unreadable or invalid files)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), [f"{path}: cannot read: {exc}"]) from None
    return parse_policy(text, str(path))

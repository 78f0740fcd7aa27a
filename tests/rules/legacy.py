"""Reading Falco's own regression specs (``falco_tests*.yaml``) as test data.

The specs are avocado "mux" files: ``trace_files: !mux`` then one mapping per case.
Each case says which rules files to load (``rules_file``) or validate
(``validate_rules_file``), the expected load errors/warnings, and, for the cases that
replay a capture (``trace_file``), the expected detections.

Capture cases replay their ``.scap`` file through the state engine and the syscall
field extractors (`mamori.app.replay`); `find_replay` returns that replay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class _MuxLoader(yaml.SafeLoader):
    pass


def _mux(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


_MuxLoader.add_constructor("!mux", _mux)


@dataclass
class Case:
    name: str
    spec: dict[str, Any]
    base: Path

    def files(self, key: str) -> list[Path]:
        value = self.spec.get(key) or []
        if isinstance(value, str):
            value = [value]
        out: list[Path] = []
        for v in value:
            # the harness gives some files as a one-entry mapping {name: path}
            path = next(iter(v.values())) if isinstance(v, dict) else v
            out.append(self.base / str(path))
        return out

    @property
    def expects_failure(self) -> bool:
        return int(self.spec.get("exit_status", 0)) != 0


@dataclass
class Expectation:
    item_type: str
    item_name: str
    code: str
    message: str | None = None
    message_contains: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_cases(spec_file: Path) -> list[Case]:
    data = yaml.load(spec_file.read_text(), Loader=_MuxLoader)
    return [Case(name, spec, spec_file.parent) for name, spec in data["trace_files"].items()]


def expectations(case: Case, key: str) -> list[Expectation]:
    out = []
    for e in case.spec.get(key) or []:
        out.append(
            Expectation(
                str(e.get("item_type", "")),
                str(e.get("item_name", "")),
                str(e["code"]),
                e.get("message"),
                e.get("message_contains"),
            )
        )
    return out


Detect = Callable[[Path, Any], Iterable[Any]]
"""Runs a capture through a loaded ruleset; yields alerts (``.name``, ``.priority``,
and for output checks ``.text()``/``.json()``)."""


def find_replay() -> Detect | None:
    """The capture replay of the syscall source (`mamori.app.replay.replay`)."""
    try:
        from mamori.app.replay import replay
    except ImportError:
        return None

    def detect(trace: Path, ruleset: Any) -> Iterable[Any]:
        return replay(trace, ruleset=ruleset)

    return detect

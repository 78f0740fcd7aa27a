"""What every Dockerfile check shares: one verdict per file, with the offending lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mamori.model import Inventory
from mamori.posture.check import Result, Verdict
from mamori.posture.checks.dockerfile import RESOURCE_TYPE
from mamori.workload.dockerfile.model import Dockerfile, Instruction, Stage

MAX_LINES_SHOWN = 20


@dataclass(frozen=True)
class Evidence:
    line: int
    message: str


Judge = Callable[[Dockerfile], tuple[list[Evidence], str]]


def judge_files(inventory: Inventory, judge: Judge) -> Iterator[Result]:
    """Run `judge` (-> failures, reason when none) on every Dockerfile: FAIL citing the
    first offending line (all of them in `lines`), else PASS."""
    for resource in inventory.resources:
        if resource.type != RESOURCE_TYPE:
            continue
        parsed = resource.attributes.get("dockerfile")
        if not isinstance(parsed, Dockerfile):
            continue
        failures, passed = judge(parsed)
        if not failures:
            yield Result(verdict=Verdict.PASS, reason=passed, resource=resource)
            continue
        failures.sort(key=lambda e: e.line)
        lines = sorted({e.line for e in failures})
        reason = failures[0].message
        if len(failures) > 1:
            reason += f" (and {len(failures) - 1} more)"
        detail = {
            "line": str(failures[0].line),
            "lines": ",".join(str(n) for n in lines[:MAX_LINES_SHOWN]),
        }
        yield Result(verdict=Verdict.FAIL, reason=reason, resource=resource, detail=detail)


def steps(stage: Stage, *commands: str) -> Iterator[tuple[int, Instruction]]:
    """(position, instruction) of a stage's instructions with one of these keywords."""
    for position, item in enumerate(stage.instructions):
        if item.cmd in commands:
            yield position, item


def all_steps(dockerfile: Dockerfile, *commands: str) -> Iterator[tuple[Stage, int, Instruction]]:
    for stage in dockerfile.stages:
        for position, item in steps(stage, *commands):
            yield stage, position, item


def stage_label(stage: Stage) -> str:
    return f"stage {stage.name}" if stage.name else f"stage {stage.index}"


def external_bases(dockerfile: Dockerfile) -> Iterator[Stage]:
    """Stages whose base is an image to pull: not scratch, not an earlier stage, and not
    a reference left empty by an unset variable."""
    for stage in dockerfile.stages:
        if stage.parent is None and stage.image is not None and not stage.image.is_scratch:
            yield stage

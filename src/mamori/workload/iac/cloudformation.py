"""CloudFormation templates (YAML or JSON) -> IacResources, intrinsics evaluated.

A file is a template when it is a mapping with `AWSTemplateFormatVersion`, or with a
`Resources` mapping whose entries have a `Type` of `AWS::...`. A SAM template's
serverless functions are first expanded into the resources the transform generates
(`cfn_sam`). Each resource's `Properties` are
evaluated by `cfn_eval.Template`; its line is its logical id's line. Resources whose
`Condition` is statically false are skipped; unknown conditions are kept with a note.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mamori.workload.iac.cfn_eval import Template
from mamori.workload.iac.cfn_sam import expand_sam
from mamori.workload.iac.cfn_yaml import CfnYamlError, load_yaml
from mamori.workload.iac.model import Budget, IacError, IacResource, IacSet

SUFFIXES = (".yaml", ".yml", ".json", ".template")
_IGNORE = re.compile(r"mamori:ignore\s+([A-Za-z0-9_.-]+)(?:\s+(.*?))?\s*$")


def is_template(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    resources = data.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(r, dict) and str(r.get("Type", "")).startswith(("AWS::", "Custom::"))
        for r in resources.values()
    )


def parse_template(text: str, name: str) -> tuple[Any, dict[tuple[str, ...], int]]:
    """(data, lines of top keys); ValueError with a message when it is not YAML/JSON."""
    if name.endswith(".json") or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except RecursionError:
            raise ValueError("JSON nesting too deep") from None
        except ValueError as exc:
            raise ValueError(f"invalid JSON: {exc}") from None
        return data, _json_lines(text, data)
    try:
        return load_yaml(text)
    except CfnYamlError as exc:
        raise ValueError(str(exc)) from None


def _json_lines(text: str, data: Any) -> dict[tuple[str, ...], int]:
    lines: dict[tuple[str, ...], int] = {}
    resources = data.get("Resources") if isinstance(data, dict) else None
    start = text.find('"Resources"')
    if not isinstance(resources, dict) or start < 0:
        return lines
    for name in resources:
        at = text.find(json.dumps(name), start + 11)
        if at >= 0:
            lines[("Resources", str(name))] = text.count("\n", 0, at) + 1
    return lines


def _suppressions(lines: list[str], first: int) -> dict[str, str]:
    """`# mamori:ignore CHECK reason` on the logical id's line, the line above, or in the
    resource's own lines up to the next logical id (same or lower indentation)."""
    found: dict[str, str] = {}
    if not lines or first < 1:
        return found
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
    number = first - 1
    end = first
    while end < len(lines):
        text = lines[end]
        stripped = text.strip()
        if stripped and not stripped.startswith("#") and len(text) - len(text.lstrip()) <= indent:
            break
        end += 1
    for text in lines[max(number - 1, 0) : end]:
        if "mamori:ignore" in text:
            hit = _IGNORE.search(text)
            if hit:
                found[hit.group(1)] = (hit.group(2) or "").strip()
    return found


def load_template(
    data: dict[str, Any], lines: dict[tuple[str, ...], int], text: str, rel: str, into: IacSet
) -> None:
    data, lines = expand_sam(data, lines)
    template = Template(data, Budget())
    source_lines = text.splitlines()
    for name, spec in template.resources.items():
        if not isinstance(spec, dict):
            continue
        notes: list[str] = []
        condition = spec.get("Condition")
        if isinstance(condition, str):
            state = template.condition(condition)
            if state is False:
                continue
            if state is None:
                notes.append(f"condition {condition} not decidable")
        props = spec.get("Properties")
        attrs = template.value(props) if isinstance(props, dict) else {}
        line = lines.get(("Resources", str(name)), 1)
        into.resources.append(
            IacResource(
                source="cloudformation",
                type=str(spec.get("Type", "")),
                address=str(name),
                attrs=attrs if isinstance(attrs, dict) else {},
                file=rel,
                line=line,
                notes=notes,
                suppressions=_suppressions(source_lines, line),
            )
        )


def load_cfn_text(text: str, rel: str, into: IacSet) -> bool:
    """Read one file's text as a template; False if it parses but is not a template."""
    try:
        data, lines = parse_template(text, rel)
    except ValueError as exc:
        into.errors.append(IacError(rel, str(exc)))
        return True
    if not is_template(data):
        return False
    into.files += 1
    load_template(data, lines, text, rel, into)
    return True


def error_for(rel: str, exc: Exception) -> IacError:
    return IacError(rel, f"{type(exc).__name__}: {exc}"[:300])

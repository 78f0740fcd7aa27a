"""CloudFormation YAML, bounded: short-form intrinsic tags become their long form.

`!Ref X` -> {"Ref": "X"}, `!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}, `!Condition C` ->
{"Condition": "C"}, any other `!Name v` -> {"Fn::Name": v}. Built from PyYAML's event
stream without recursion (deep nesting cannot overflow the stack), with caps on depth
and on expanded nodes (an alias counts as everything it repeats: no billion laughs).
Scalars follow YAML 1.1's safe schema, as CloudFormation's parser does. `lines` gives
the line of each key at depth one and two (`Resources` -> `MyBucket`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_DEPTH = 100
MAX_NODES = 500_000
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()
_TYPED = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class CfnYamlError(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


def _wrap(tag: str, value: Any) -> Any:
    name = tag[1:]
    if name == "Ref":
        return {"Ref": value}
    if name == "Condition":
        return {"Condition": value}
    if name == "GetAtt" and isinstance(value, str):
        head, _, rest = value.partition(".")
        return {"Fn::GetAtt": [head, rest]}
    return {f"Fn::{name}": value}


def _scalar(event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag and tag.startswith("!") and tag != "!":
        return _wrap(tag, event.value)
    if tag is None or tag == "!":
        tag = _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    if tag not in _TYPED:
        return event.value
    node = yaml.ScalarNode(tag, event.value, None, None, event.style)
    try:
        return _constructor.yaml_constructors[tag](_constructor, node)
    except (ValueError, TypeError, yaml.YAMLError):
        return event.value


@dataclass
class _Frame:
    container: Any
    tag: str | None
    anchor: str | None
    depth_key: tuple[str, ...]
    size: int = 1
    key: Any = None
    have_key: bool = False


@dataclass
class _Composer:
    stack: list[_Frame] = field(default_factory=list)
    anchors: dict[str, tuple[Any, int]] = field(default_factory=dict)
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    value: Any = None

    def attach(self, value: Any, size: int, line: int) -> None:
        if not self.stack:
            self.value = value
            return
        top = self.stack[-1]
        top.size += size
        if top.size > MAX_NODES:
            raise CfnYamlError(f"document expands to more than {MAX_NODES} nodes", line)
        if isinstance(top.container, list):
            top.container.append(value)
        elif not top.have_key:
            top.key = value if isinstance(value, str) else str(value)
            top.have_key = True
            if len(top.depth_key) < 2:
                self.lines.setdefault((*top.depth_key, top.key), line)
        else:
            top.container[top.key] = value
            top.have_key = False

    def path(self) -> tuple[str, ...]:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, dict) and top.have_key:
            return (*top.depth_key, str(top.key))
        return (*top.depth_key, "[]")

    def event(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise CfnYamlError(f"undefined alias *{event.anchor}", line)
            value, size = self.anchors[event.anchor]
            self.attach(value, size, line)
        elif isinstance(event, yaml.ScalarEvent):
            value = _scalar(event)
            if event.anchor:
                self.anchors[event.anchor] = (value, 1)
            self.attach(value, 1, line)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(self.stack) >= MAX_DEPTH:
                raise CfnYamlError(f"nesting deeper than {MAX_DEPTH}", line)
            container: Any = [] if isinstance(event, yaml.SequenceStartEvent) else {}
            tag = (
                event.tag if event.tag and event.tag.startswith("!") and event.tag != "!" else None
            )
            self.stack.append(_Frame(container, tag, event.anchor, self.path()))
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            frame = self.stack.pop()
            value = frame.container if frame.tag is None else _wrap(frame.tag, frame.container)
            if frame.anchor:
                self.anchors[frame.anchor] = (value, frame.size)
            self.attach(value, frame.size, line)


def load_yaml(text: str) -> tuple[Any, dict[tuple[str, ...], int]]:
    """The first document of `text` and the lines of its top keys; CfnYamlError if bad."""
    composer: _Composer | None = None
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                if composer is not None:
                    break  # a template is one document
                composer = _Composer()
            elif isinstance(event, yaml.DocumentEndEvent):
                break
            elif composer is not None and not isinstance(
                event, yaml.StreamStartEvent | yaml.StreamEndEvent
            ):
                composer.event(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise CfnYamlError(
            str(exc.problem or exc.context or "invalid YAML"), mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise CfnYamlError(str(exc) or "invalid YAML") from None
    if composer is None:
        return None, {}
    return composer.value, composer.lines

"""CloudFormation intrinsic functions, evaluated statically where the template allows.

Ref to a parameter gives its Default; to a resource, a `Ref(logical id, "Ref")` (or the
physical name when the template sets it: a bucket's BucketName); AWS::NoValue removes
the key; AWS::Partition is "aws", AWS::URLSuffix "amazonaws.com"; other pseudo
parameters are Unknown. Fn::Sub (${Name}, ${Res.Attr}, ${!Literal}, with a variable
map), Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::If over Conditions built from
Fn::Equals/Not/And/Or/Condition, Fn::Base64 evaluate when their inputs are known;
Fn::GetAtt is a Ref (Arn of a named bucket is known); Fn::ImportValue, Fn::GetAZs,
Fn::Cidr and the rest are Unknown. A `Budget` bounds the work.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from mamori.workload.iac.model import Budget, Ref, Unknown

NO_VALUE = object()
MAX_DEPTH = 64
_SUB = re.compile(r"\$\{([^}]*)\}")
_PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
# the property holding a resource's physical name, where Ref returns it
_NAME_PROPERTY = {"AWS::S3::Bucket": "BucketName"}


class Template:
    """One template's parameters, mappings, conditions and resources, for evaluation."""

    def __init__(self, data: dict[str, Any], budget: Budget) -> None:
        self.params = _mapping(data.get("Parameters"))
        self.mappings = _mapping(data.get("Mappings"))
        self.conditions = _mapping(data.get("Conditions"))
        self.resources = _mapping(data.get("Resources"))
        self.budget = budget
        self._conditions_done: dict[str, bool | None] = {}
        self._resolving: set[str] = set()

    def value(self, raw: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH or not self.budget.spend():
            return Unknown("too large or too deep")
        if isinstance(raw, list):
            items = [self.value(v, depth + 1) for v in raw]
            return [v for v in items if v is not NO_VALUE]
        if isinstance(raw, dict):
            if len(raw) == 1:
                ((key, arg),) = raw.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self.intrinsic(key, arg, depth)
            out = {}
            for k, v in raw.items():
                value = self.value(v, depth + 1)
                if value is not NO_VALUE:
                    out[str(k)] = value
            return out
        return raw

    def intrinsic(self, fn: str, arg: Any, depth: int) -> Any:
        if fn == "Ref":
            return self.ref(str(arg))
        if fn == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(parts, list) and len(parts) == 2:
                return self.getatt(str(parts[0]), self.value(parts[1], depth + 1))
            return Unknown("Fn::GetAtt")
        if fn == "Fn::Sub":
            return self.sub(arg, depth)
        if fn == "Fn::If":
            if isinstance(arg, list) and len(arg) == 3:
                chosen = self.condition(str(arg[0]))
                if chosen is None:
                    return Unknown(f"Fn::If {arg[0]}")
                return self.value(arg[1] if chosen else arg[2], depth + 1)
            return Unknown("Fn::If")
        args = self.value(arg, depth + 1)
        if _unknown(args):
            return Unknown(fn)
        return _pure(fn, args, self.mappings)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in _PSEUDO:
            return _PSEUDO[name]
        if name in self.params:
            spec = self.params[name]
            if isinstance(spec, dict) and "Default" in spec:
                default = spec["Default"]
                if isinstance(default, str) and str(spec.get("Type", "")).startswith("List<"):
                    return [s.strip() for s in default.split(",")] if default else []
                if isinstance(default, str) and spec.get("Type") == "CommaDelimitedList":
                    return [s.strip() for s in default.split(",")] if default else []
                return default
            return Unknown(f"Ref {name}")
        if name in self.resources:
            named = self._physical_name(name)
            return named if named is not None else Ref(name, "Ref")
        return Unknown(f"Ref {name}")

    def getatt(self, name: str, attr: Any) -> Any:
        if name not in self.resources or not isinstance(attr, str):
            return Unknown(f"GetAtt {name}")
        spec = self.resources[name]
        if isinstance(spec, dict) and spec.get("Type") == "AWS::S3::Bucket" and attr == "Arn":
            named = self._physical_name(name)
            if isinstance(named, str):
                return f"arn:aws:s3:::{named}"
        return Ref(name, attr)

    def _physical_name(self, name: str) -> Any:
        spec = self.resources.get(name)
        if not isinstance(spec, dict) or name in self._resolving:
            return None
        prop = _NAME_PROPERTY.get(str(spec.get("Type")))
        props = spec.get("Properties")
        if prop is None or not isinstance(props, dict) or prop not in props:
            return None
        self._resolving.add(name)
        try:
            value = self.value(props[prop])
        finally:
            self._resolving.discard(name)
        return value if isinstance(value, str) else None

    def sub(self, arg: Any, depth: int) -> Any:
        names: Any
        if isinstance(arg, str):
            text, names = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            text = arg[0]
            names = self.value(arg[1], depth + 1) if isinstance(arg[1], dict) else {}
        else:
            return Unknown("Fn::Sub")
        failed = False

        def replace(match: re.Match[str]) -> str:
            nonlocal failed
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if isinstance(names, dict) and inner in names:
                value = names[inner]
            elif "." in inner and not inner.startswith("AWS::"):
                head, _, attr = inner.partition(".")
                value = self.getatt(head, attr)
            else:
                value = self.ref(inner)
            if isinstance(value, bool | int | float | str) and value is not NO_VALUE:
                return str(value).lower() if isinstance(value, bool) else str(value)
            failed = True
            return ""

        out = _SUB.sub(replace, text)
        return Unknown(f"Fn::Sub {text[:60]}") if failed else out

    def condition(self, name: str) -> bool | None:
        if name in self._conditions_done:
            return self._conditions_done[name]
        self._conditions_done[name] = None  # a cycle evaluates to unknown
        result = self._cond(self.conditions.get(name), 0)
        self._conditions_done[name] = result
        return result

    def _cond(self, raw: Any, depth: int) -> bool | None:
        if depth > MAX_DEPTH or not isinstance(raw, dict) or len(raw) != 1:
            return None
        ((fn, arg),) = raw.items()
        if fn == "Condition":
            return self.condition(str(arg))
        if not isinstance(arg, list):
            return None
        if fn == "Fn::Equals" and len(arg) == 2:
            left, right = self.value(arg[0], depth + 1), self.value(arg[1], depth + 1)
            if _unknown(left) or _unknown(right):
                return None
            return str(left) == str(right)
        parts = [self._cond(a, depth + 1) for a in arg]
        if fn == "Fn::Not" and len(parts) == 1:
            return None if parts[0] is None else not parts[0]
        if fn == "Fn::And":
            return False if False in parts else None if None in parts else True
        if fn == "Fn::Or":
            return True if True in parts else None if None in parts else False
        return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _unknown(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Unknown | Ref):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _pure(fn: str, args: Any, mappings: dict[str, Any]) -> Any:
    """The functions whose result depends only on known arguments."""
    if fn == "Fn::Join" and isinstance(args, list) and len(args) == 2:
        sep, items = args
        if (
            isinstance(sep, str)
            and isinstance(items, list)
            and all(isinstance(i, str | int | float) for i in items)
        ):
            return sep.join(str(i) for i in items)
    if fn == "Fn::Select" and isinstance(args, list) and len(args) == 2:
        index, items = args
        try:
            return items[int(index)] if isinstance(items, list) else Unknown(fn)
        except (ValueError, TypeError, IndexError):
            return Unknown(fn)
    if fn == "Fn::Split" and isinstance(args, list) and len(args) == 2:
        sep, text = args
        if isinstance(sep, str) and sep and isinstance(text, str):
            return text.split(sep)
    if fn == "Fn::FindInMap" and isinstance(args, list) and len(args) >= 3:
        found: Any = mappings
        for step in args[:3]:
            found = found.get(str(step)) if isinstance(found, dict) else None
        return Unknown(fn) if found is None else found
    if fn == "Fn::Base64" and isinstance(args, str):
        return base64.b64encode(args.encode()).decode()
    if fn == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
        return str(args[0]) == str(args[1])
    return Unknown(fn)

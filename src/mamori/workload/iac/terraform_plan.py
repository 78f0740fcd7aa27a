"""Terraform plan JSON (`terraform show -json plan.out`) -> IacResources.

A plan knows what HCL alone cannot: variables are set, `count`/`for_each` are expanded
and module calls resolved. Each managed resource of `planned_values` (root and child
modules) becomes one IacResource with its `values`. A value that is only known after
apply (`resource_changes[].change.after_unknown`) is an `Unknown`, or a `Ref` when the
plan's `configuration` says which resource attribute it comes from (so a public-access
block still links to the bucket whose name AWS picks). The line is where the resource's
address first appears in the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mamori.workload.iac.model import IacError, IacResource, IacSet, Ref, Unknown

MAX_MODULES = 10_000
_REF = re.compile(r"^([a-z0-9_]+\.[A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.([a-z0-9_]+)$")


def is_plan(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and "format_version" in data
        and ("planned_values" in data or "resource_changes" in data)
    )


def _modules(root: Any) -> list[dict[str, Any]]:
    """The root module and every child module, iteratively (no recursion on input)."""
    out: list[dict[str, Any]] = []
    stack = [root]
    while stack and len(out) < MAX_MODULES:
        module = stack.pop()
        if not isinstance(module, dict):
            continue
        out.append(module)
        stack.extend(m for m in module.get("child_modules") or [] if isinstance(m, dict))
    return out


def _config_refs(configuration: Any) -> dict[str, dict[str, Ref]]:
    """address -> {argument: Ref} from the plan's configuration expressions."""
    found: dict[str, dict[str, Ref]] = {}
    stack: list[tuple[Any, str]] = [((configuration or {}).get("root_module"), "")]
    while stack and len(found) < 100_000:
        module, prefix = stack.pop()
        if not isinstance(module, dict):
            continue
        for resource in module.get("resources") or []:
            if not isinstance(resource, dict):
                continue
            address = f"{prefix}{resource.get('address')}"
            for arg, expr in (resource.get("expressions") or {}).items():
                refs = expr.get("references") if isinstance(expr, dict) else None
                for ref in refs or []:
                    hit = _REF.match(str(ref))
                    if hit:
                        target = f"{prefix}{hit.group(1)}"
                        found.setdefault(address, {})[str(arg)] = Ref(target, hit.group(2))
                        break
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                stack.append((call.get("module"), f"{prefix}module.{name}."))
    return found


def _unknowns(changes: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for change in changes or []:
        if isinstance(change, dict) and isinstance(change.get("change"), dict):
            after_unknown = change["change"].get("after_unknown")
            if isinstance(after_unknown, dict):
                out[str(change.get("address"))] = after_unknown
    return out


def _config_address(address: str) -> str:
    """module.a["x"].aws_s3_bucket.b[0] -> module.a.aws_s3_bucket.b (as configuration)."""
    return re.sub(r"\[[^\]]*\]", "", address)


def _line(text: str, address: str) -> int:
    at = text.find(f'"address":"{address}"')
    if at < 0:
        at = text.find(json.dumps(address))
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def load_plan(data: dict[str, Any], text: str, rel: str, into: IacSet) -> None:
    """Add the managed resources of one parsed plan to `into`."""
    refs = _config_refs(data.get("configuration"))
    unknown = _unknowns(data.get("resource_changes"))
    planned = (data.get("planned_values") or {}).get("root_module")
    for module in _modules(planned):
        for resource in module.get("resources") or []:
            if not isinstance(resource, dict) or resource.get("mode", "managed") != "managed":
                continue
            address = str(resource.get("address") or "")
            values = resource.get("values")
            attrs: dict[str, Any] = dict(values) if isinstance(values, dict) else {}
            links = refs.get(_config_address(address), {})
            for key, flag in unknown.get(address, {}).items():
                if flag is True and attrs.get(key) is None:
                    attrs[key] = links.get(key) or Unknown(f"{address}.{key} (known after apply)")
            for key, ref in links.items():  # a known name still links by address
                if attrs.get(key) is None:
                    attrs[key] = ref
            into.resources.append(
                IacResource(
                    source="terraform_plan",
                    type=str(resource.get("type") or ""),
                    address=address,
                    attrs=attrs,
                    file=rel,
                    line=_line(text, address),
                )
            )


def load_plan_file(path: Path, rel: str, text: str, into: IacSet) -> bool:
    """Parse `text` as a plan; False when it is JSON but not a plan (caller tries others)."""
    try:
        data = json.loads(text)
    except RecursionError:
        into.errors.append(IacError(rel, "JSON nesting too deep"))
        return True
    except ValueError as exc:
        into.errors.append(IacError(rel, f"invalid JSON: {exc}"))
        return True
    if not is_plan(data):
        return False
    into.files += 1
    load_plan(data, text, rel, into)
    return True

"""Terraform HCL: `.tf` files -> IacResources, with variables and locals evaluated.

Each directory of `.tf` files is a module. A directory no other scanned module calls is
a root: its variables take their defaults, overridden by `terraform.tfvars` and
`*.auto.tfvars` beside it. A `module` block whose source is a local path (`./x`, `../x`)
inside the scan root is followed (at most `MAX_MODULE_DEPTH` deep, no cycles) with the
caller's arguments as its variables, and its resources get a `module.<name>.` address
prefix; a source outside the root, or a registry/git source, is noted and not followed.
A module directory nobody in the scan calls is evaluated as a root of its own.

`count` and `for_each` are expanded (`tfexpand`): one resource per instance, addressed as
Terraform does (`aws_s3_bucket.b[0]`, `aws_s3_bucket.b["logs"]`); one the reader cannot
evaluate leaves the resource declared once, with a note. A module call's `count` /
`for_each` gives one module instance each (`module.m[0].`, `module.m["k"].`). A
`dynamic` block makes the attribute it generates unknown.
Parsed with python-hcl2 7.x (`with_meta` gives each block's lines; 8.x dropped that).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mamori.workload.iac.model import (
    Budget,
    IacError,
    IacResource,
    IacSet,
    Unknown,
    read_text,
    relative,
    walk_files,
)
from mamori.workload.iac.tfeval import Scope
from mamori.workload.iac.tfexpand import Expansion, address, expand
from mamori.workload.iac.tfhcl import loads as hcl_loads

MAX_MODULE_DEPTH = 8
MAX_INSTANCES = 500  # module instances per scan (a diamond of calls cannot explode)
_IGNORE = re.compile(r"mamori:ignore\s+([A-Za-z0-9_.-]+)(?:\s+(.*?))?\s*(\*/)?\s*$")


class HclError(ValueError):
    """A file python-hcl2 cannot parse (or that is too deep for it)."""


def parse_hcl(text: str) -> dict[str, Any]:
    """One file's HCL as python-hcl2 data (with block line markers); HclError if invalid."""
    try:
        data = hcl_loads(text, with_meta=True)
    except RecursionError:
        raise HclError("nesting too deep") from None
    except Exception as exc:  # lark raises many unrelated exception types
        message = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise HclError(message) from None
    if not isinstance(data, dict):
        raise HclError("not an HCL body")
    return data


_BLOCK_KINDS = ("resource", "variable", "locals", "module")


def parse_tf_json(text: str) -> dict[str, Any]:
    """A `.tf.json` file in the shape python-hcl2 gives HCL (block lists, line markers).

    JSON syntax writes blocks as objects (`"resource": {"aws_s3_bucket": {"b": {...}}}`);
    expressions are the same `${...}` strings. A resource's line is where its name is.
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise HclError("JSON nesting too deep") from None
    except ValueError as exc:
        raise HclError(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HclError("not a Terraform JSON object")
    body: dict[str, Any] = {}
    for kind in _BLOCK_KINDS:
        value = data.get(kind)
        blocks = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        body[kind] = [b for b in blocks if isinstance(b, dict)]
    for block in body["resource"]:
        for rtype, named in block.items():
            if not isinstance(named, dict):
                continue
            at = text.find(json.dumps(rtype))
            for name, spec in list(named.items()):
                spec = spec[0] if isinstance(spec, list) and spec else spec
                if not isinstance(spec, dict):
                    continue
                found = text.find(json.dumps(name), max(at, 0))
                line = text.count("\n", 0, found) + 1 if found >= 0 else 1
                named[name] = {**spec, "__start_line__": line, "__end_line__": line}
    return body


@dataclass
class _File:
    path: Path
    rel: str
    lines: list[str]
    body: dict[str, Any]


@dataclass
class _Module:
    folder: Path
    files: list[_File] = field(default_factory=list)
    tfvars: dict[str, Any] = field(default_factory=dict)


def _blocks(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in body.get(kind) or [] if isinstance(b, dict)]


def _suppressions(lines: list[str], first: int, last: int) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in lines[max(first - 2, 0) : min(last, len(lines))]:
        if "mamori:ignore" in text:
            hit = _IGNORE.search(text)
            if hit:
                found[hit.group(1)] = (hit.group(2) or "").strip()
    return found


class _ResourceAttr:
    """A resource argument as written in its block, evaluated in the module's scope (a
    bucket's id and ARN come from its name): what a string template may substitute."""

    def __init__(self, raws: dict[str, tuple[dict[str, Any], dict[str, Any]]], prefix: str) -> None:
        self.raws = raws
        self.prefix = prefix
        self.scope: Scope | None = None
        self.busy: set[str] = set()

    def __call__(self, address: str, attr: str) -> Any:
        found = self.raws.get(address)
        if found is None or self.scope is None or address in self.busy:
            return Unknown(f"{address}.{attr}")
        body, instance = found
        rtype = address[len(self.prefix) :].split(".", 1)[0]
        arn = rtype == "aws_s3_bucket" and attr == "arn"
        if rtype == "aws_s3_bucket" and attr in ("id", "bucket", "arn"):
            attr = "bucket"
        self.busy.add(address)
        try:
            value = self.scope.child(instance).value(body.get(attr))
        finally:
            self.busy.discard(address)
        if isinstance(value, str | int | float | bool):
            return f"arn:aws:s3:::{value}" if arn else value
        return Unknown(f"{address}.{attr}")


class _Loader:
    def __init__(self, root: Path, into: IacSet) -> None:
        self.root = root.resolve()
        self.into = into
        self.modules: dict[Path, _Module] = {}
        self.instances = 0
        self.current_root = ""

    def read(self, files: list[Path]) -> None:
        for path in files:
            rel = relative(path.resolve(), self.root)
            try:
                text = read_text(path)
                body = parse_tf_json(text) if path.name.endswith(".json") else parse_hcl(text)
            except (OSError, UnicodeDecodeError, HclError) as exc:
                self.into.errors.append(IacError(rel, str(exc)))
                continue
            self.into.files += 1
            folder = path.resolve().parent
            module = self.modules.setdefault(folder, _Module(folder))
            if path.name.endswith(".tfvars"):
                module.tfvars.update({k: v for k, v in body.items() if not k.startswith("__")})
            else:
                lines = (
                    text.splitlines() if "mamori:ignore" in text else []
                )  # only to find suppressions
                module.files.append(_File(path, rel, lines, body))

    def _source(self, caller: Path, source: Any) -> Path | None:
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            return None
        target = (caller / source).resolve()
        if target != self.root and self.root not in target.parents:
            return None
        return target if target in self.modules else None

    def run(self) -> None:
        called: set[Path] = set()
        for folder, module in self.modules.items():
            for file in module.files:
                for block in _blocks(file.body, "module"):
                    for args in block.values():
                        if isinstance(args, dict):
                            target = self._source(folder, args.get("source"))
                            if target is not None and target != folder:
                                called.add(target)
        done: set[Path] = set()
        for folder in sorted(self.modules):
            if folder not in called:
                self.current_root = relative(folder, self.root)
                self.evaluate(folder, None, "", (), done)
        for folder in sorted(self.modules):  # called only from a cycle: still read
            if folder not in done:
                self.current_root = relative(folder, self.root)
                self.evaluate(folder, None, "", (), done)

    def evaluate(
        self,
        folder: Path,
        inputs: dict[str, Any] | None,
        prefix: str,
        chain: tuple[Path, ...],
        done: set[Path],
    ) -> None:
        module = self.modules[folder]
        done.add(folder)
        self.instances += 1
        if self.instances > MAX_INSTANCES:
            return
        budget = Budget()
        variables: dict[str, Any] = {}
        raw_locals: dict[str, Any] = {}
        for file in module.files:
            for block in _blocks(file.body, "variable"):
                for name, spec in block.items():
                    if isinstance(spec, dict) and "default" in spec:
                        variables[name] = spec["default"]
                    elif isinstance(spec, dict):
                        variables[name] = Unknown(f"var.{name}")
            for block in _blocks(file.body, "locals"):
                raw_locals.update({k: v for k, v in block.items() if not k.startswith("__")})
        if inputs is None:
            variables.update(module.tfvars)
        raws: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        lookup = _ResourceAttr(raws, prefix)
        scope = Scope({}, raw_locals, prefix, budget, lookup)
        lookup.scope = scope
        plain = Scope({}, {}, prefix, budget)
        scope.variables = {k: plain.value(v) for k, v in variables.items()}
        if inputs is not None:
            scope.variables.update(inputs)
        for file in module.files:
            for block in _blocks(file.body, "resource"):
                for rtype, named in block.items():
                    if not isinstance(named, dict):
                        continue
                    for name, body in named.items():
                        if isinstance(body, dict):
                            raws[f"{prefix}{rtype}.{name}"] = (body, {})
        expansions: dict[str, Expansion] = {}
        for base, (body, _) in list(raws.items()):
            expansions[base] = expansion = expand(scope, body)
            if "count" in body or "for_each" in body:
                scope.expanded[base] = expansion.keys
            for key, instance in expansion.instances:
                raws[address(base, key)] = (body, instance)
        scope.budget = budget
        for file in module.files:
            self._resources(file, scope, prefix, expansions)
            self._calls(file, folder, scope, prefix, (*chain, folder), done)

    def _resources(
        self, file: _File, scope: Scope, prefix: str, expansions: dict[str, Expansion]
    ) -> None:
        for block in _blocks(file.body, "resource"):
            for rtype, named in block.items():
                if not isinstance(named, dict):
                    continue
                for name, body in named.items():
                    if not isinstance(body, dict):
                        continue
                    first = int(body.get("__start_line__") or 1)
                    last = int(body.get("__end_line__") or first)
                    base = f"{prefix}{rtype}.{name}"
                    expansion = expansions.get(base) or expand(scope, body)
                    declared = {
                        k: v for k, v in body.items() if k not in ("dynamic", "count", "for_each")
                    }
                    for key, instance in expansion.instances:
                        notes = list(expansion.notes)
                        attrs = scope.child(instance).value(declared)
                        for dyn in body.get("dynamic") or []:
                            for generated in dyn if isinstance(dyn, dict) else {}:
                                attrs[str(generated)] = Unknown(f"dynamic {generated}")
                                notes.append(f"dynamic {generated} not expanded")
                        self.into.resources.append(
                            IacResource(
                                source="terraform",
                                type=str(rtype),
                                address=address(base, key),
                                attrs=attrs,
                                file=file.rel,
                                line=first,
                                notes=notes,
                                suppressions=_suppressions(file.lines, first, last),
                                root=self.current_root if prefix else "",
                            )
                        )

    def _calls(
        self,
        file: _File,
        folder: Path,
        scope: Scope,
        prefix: str,
        chain: tuple[Path, ...],
        done: set[Path],
    ) -> None:
        for block in _blocks(file.body, "module"):
            for name, args in block.items():
                if not isinstance(args, dict):
                    continue
                source = args.get("source")
                target = self._source(folder, source)
                if target is None:
                    if isinstance(source, str) and source.startswith(("./", "../")):
                        self.into.notes.append(
                            f"{file.rel}: module {name}: source {source} is outside the scan "
                            "root or has no .tf files; not followed"
                        )
                    continue
                if target in chain or len(chain) >= MAX_MODULE_DEPTH:
                    self.into.notes.append(f"{file.rel}: module {name}: cycle or too deep")
                    continue
                skip = {"source", "version", "count", "for_each", "providers", "depends_on"}
                # module.x[0], module.x["a"]: one module instance per count index / key
                for key, instance in expand(scope, args).instances:
                    inner = scope.child(instance)
                    inputs = {
                        k: inner.value(v)
                        for k, v in args.items()
                        if k not in skip and not k.startswith("__")
                    }
                    called = address(f"{prefix}module.{name}", key)
                    self.evaluate(target, inputs, f"{called}.", chain, done)


def load_terraform(root: Path) -> IacSet:
    """Every `.tf` file under `root` (or `root` itself) as resources; errors per file."""
    into = IacSet()
    loader = _Loader(root if root.is_dir() else root.parent, into)
    files = walk_files(root, (".tf", ".tfvars", ".tf.json"))
    loader.read([f for f in files if not f.name.endswith(".tfvars") or _auto_tfvars(f)])
    loader.run()
    return into


def _auto_tfvars(path: Path) -> bool:
    return path.name == "terraform.tfvars" or path.name.endswith(".auto.tfvars")

"""Kubernetes manifests on disk -> objects -> CloudResources the posture checks judge.

A manifest file holds YAML documents; a document is one object, or a `List` (kind `List`
or any `*List` kind with `items`) whose items are objects. Helm's rendered output
(`helm template`) is plain multi-document YAML whose documents start with a
`# Source: chart/templates/x.yaml` comment: that template path is kept as provenance.

Every object becomes a `CloudResource` of type `k8s.<Kind>` whose attributes hold:

    apiVersion, kind, namespace ("" when not set), name
    file, line, document (0-based), item (List index or None), helm_source
    manifest     the object itself (plain JSON-like values)
    lines        JSON pointer ("/spec/replicas") -> 1-based line, for every key and item
                 (a read-only `PointerLines` mapping)
    pod_path     JSON pointer of the pod template ("" for a Pod), absent when none
    suppressions check id -> reason, from `# mamori:ignore CHECK_ID reason` comments
                 anywhere in the object's document (a List item: in the item, or above
                 the first item)

Bad input never raises: an unreadable, oversized or invalid file, or a document that is
not a mapping, is one `FileError` (path, line, message) and the rest goes on.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mamori.model import CloudResource
from mamori.workload.k8s.pointer_lines import PointerLines
from mamori.workload.k8s.yamlsafe import MAX_BYTES, Document, YamlError, iter_documents

MAX_FILES = 100_000
SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".terraform", "__pycache__"}
SKIP_FILES = {".mamori.yaml"}  # the scan's own config
# kind -> JSON pointer of its pod template
POD_TEMPLATES = {
    "Pod": "",
    "PodTemplate": "/template",
    "Deployment": "/spec/template",
    "StatefulSet": "/spec/template",
    "DaemonSet": "/spec/template",
    "ReplicaSet": "/spec/template",
    "ReplicationController": "/spec/template",
    "Job": "/spec/template",
    "DeploymentConfig": "/spec/template",
    "CronJob": "/spec/jobTemplate/spec/template",
}
_SOURCE = re.compile(r"^#\s*Source:\s*(\S.*?)\s*$")
_IGNORE = re.compile(r"#\s*mamori:ignore\s+([A-Za-z0-9_.-]+)(?:\s+(.*?))?\s*$")


@dataclass(frozen=True)
class FileError:
    path: str
    message: str
    line: int | None = None


@dataclass
class ManifestSet:
    """Everything read from a scan's path: objects as resources, and what could not be read."""

    root: str
    resources: list[CloudResource] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0  # YAML files read (with or without errors)
    documents: int = 0
    skipped: int = 0  # documents that are YAML mappings but not Kubernetes objects

    @property
    def failed_files(self) -> int:
        return len({e.path for e in self.errors})


def manifest_files(root: Path) -> Iterator[Path]:
    """YAML files under `root` (or `root` itself), sorted, not following symlinked dirs."""
    if not root.is_dir():
        yield root
        return
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(SUFFIXES) and name not in SKIP_FILES:
                count += 1
                if count > MAX_FILES:
                    return
                yield Path(dirpath) / name


def read_text(path: Path) -> str:
    """The file's text: a regular file, not through a symlink, at most MAX_BYTES."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        data = b""
        while len(data) <= MAX_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise OSError(f"larger than {MAX_BYTES} bytes")
    return data.decode("utf-8-sig")


def _relative(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _comments(
    lines: list[str], region: tuple[int, int], content_line: int
) -> tuple[str | None, dict[str, str]]:
    """(Helm source, inline suppressions) from the comment lines of one document."""
    source = None
    ignores: dict[str, str] = {}
    first, last = region
    for number in range(first, min(last, len(lines)) + 1):
        text = lines[number - 1]
        if "#" not in text:
            continue
        stripped = text.strip()
        if number < content_line:
            found = _SOURCE.match(stripped)
            if found:
                source = found.group(1)
        if "mamori:ignore" in text:
            hit = _IGNORE.search(text)
            if hit:
                ignores[hit.group(1)] = (hit.group(2) or "").strip()
    return source, ignores


def _is_object(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("kind"), str)
        and isinstance(value.get("apiVersion"), str)
    )


def to_resource(
    obj: dict[str, Any],
    *,
    file: str,
    document: int,
    item: int | None,
    lines: Mapping[str, int],
    helm_source: str | None,
    suppressions: dict[str, str],
) -> CloudResource:
    """One Kubernetes object as a CloudResource (see the module docstring)."""
    kind = str(obj["kind"])
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    name = meta.get("name") or meta.get("generateName") or "<unnamed>"
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
    where = f"{file}#{document}" + (f".{item}" if item is not None else "")
    attributes: dict[str, Any] = {
        "apiVersion": obj["apiVersion"],
        "kind": kind,
        "namespace": namespace,
        "name": str(name),
        "file": file,
        "line": lines.get("", 1),
        "document": document,
        "item": item,
        "helm_source": helm_source,
        "manifest": obj,
        "lines": lines,
        "suppressions": suppressions,
    }
    template = POD_TEMPLATES.get(kind)
    if template is not None and _resolve(obj, template) is not None:
        attributes["pod_path"] = template
    return CloudResource(
        type=f"k8s.{kind}",
        id=f"{where}:{kind}/{namespace or '-'}/{name}",
        name=f"{kind} {namespace + '/' if namespace else ''}{name}",
        account="",
        attributes=attributes,
    )


def _resolve(obj: Any, ptr: str) -> dict[str, Any] | None:
    node = obj
    for part in [p for p in ptr.split("/") if p]:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _objects(doc: Document) -> Iterator[tuple[int | None, dict[str, Any], tuple[str | int, ...]]]:
    value = doc.value
    kind = value.get("kind", "")
    items = value.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for index, entry in enumerate(items):
            if _is_object(entry):
                yield index, entry, ("items", index)
        return
    yield None, value, ()


def _item_ignores(
    lines: list[str],
    doc: Document,
    objects: list[tuple[int | None, dict[str, Any], tuple[str | int, ...]]],
    position: int,
) -> dict[str, str]:
    """A List item's suppressions: comments above the first item (the whole List's) and
    those between this item's first line and the next item's."""
    starts = [doc.lines.get(prefix, doc.content_line) for _, _, prefix in objects]
    first, last = doc.region
    _, shared = _comments(lines, (first, starts[0] - 1), doc.content_line)
    end = starts[position + 1] - 1 if position + 1 < len(starts) else last
    _, own = _comments(lines, (starts[position], end), doc.content_line)
    return {**shared, **own}


def load_file(path: Path, root: Path, into: ManifestSet) -> None:
    """Read one manifest file into `into`; every problem becomes a FileError."""
    rel = _relative(path, root)
    into.files += 1
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        into.errors.append(FileError(rel, f"cannot read: {exc}"))
        return
    lines = text.splitlines()
    try:
        for index, doc in enumerate(iter_documents(text)):
            into.documents += 1
            if doc.value is None:
                continue
            if not isinstance(doc.value, dict):
                kind = type(doc.value).__name__
                into.errors.append(
                    FileError(rel, f"document {index} is a {kind}, not a mapping", doc.content_line)
                )
                continue
            if not _is_object(doc.value):
                into.skipped += 1
                continue
            source, ignores = _comments(lines, doc.region, doc.content_line)
            objects = list(_objects(doc))
            for position, (item, obj, prefix) in enumerate(objects):
                if item is not None:
                    ignores = _item_ignores(lines, doc, objects, position)
                into.resources.append(
                    to_resource(
                        obj,
                        file=rel,
                        document=index,
                        item=item,
                        lines=PointerLines(doc.lines, prefix),
                        helm_source=source,
                        suppressions=ignores,
                    )
                )
    except YamlError as exc:
        message = str(exc)
        if "{{" in text:
            message += " (an unrendered Helm template? scan `helm template` output)"
        into.errors.append(FileError(rel, message, exc.line))
    except RecursionError:  # defensive: the event loader does not recurse
        into.errors.append(FileError(rel, "document nested too deeply"))


def load_manifests(root: Path) -> ManifestSet:
    """Every Kubernetes object in the YAML files under `root` (a directory or one file)."""
    found = ManifestSet(root=str(root))
    for path in manifest_files(root):
        load_file(path, root, found)
    return found

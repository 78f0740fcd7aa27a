"""Sessions whose clients know only the API operations mamori calls.

botocore loads each service's whole API model (EC2's: about 600 operations and 24 MB of
Python objects once parsed) and keeps it for the life of the session, while a scan calls
a dozen of them. Those models were a third of a posture scan's peak memory. The loader
here hands botocore a model cut down to the operations the registered collectors
declare (`ResourceType.calls`) plus the few the runner makes itself, with exactly the
shapes those operations reach; the full model is dropped as soon as it is cut.

This uses botocore's documented extension point (a session's `data_loader` component)
and changes nothing on the wire. It also keeps the declarations honest: a collector
calling an operation it does not declare fails its tests with "object has no attribute".
`MAMORI_AWS_FULL_MODELS=1` turns it off. Cut models are cached as JSON under the user's
cache dir (the same trust as botocore's own `~/.aws/models` override).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.session
import platformdirs
from botocore.loaders import Loader

# Operations made outside the collectors: identity, assume-role, regions, organization.
RUNNER_CALLS: dict[str, frozenset[str]] = {
    "sts": frozenset({"GetCallerIdentity", "AssumeRole"}),
    "ec2": frozenset({"DescribeRegions"}),
    "organizations": frozenset({"ListAccounts"}),
}


def declared_calls() -> dict[str, frozenset[str]]:
    """service -> operations: what every registered collector declares, plus the runner's."""
    from mamori.cloud.aws.types import resource_types

    calls: dict[str, set[str]] = {k: set(v) for k, v in RUNNER_CALLS.items()}
    for _, rtype in resource_types.items():
        for call in rtype.calls:  # "Operation", or "service:Operation" for another API
            service, _, operation = call.rpartition(":")
            calls.setdefault(service or rtype.service, set()).add(operation)
    return {service: frozenset(ops) for service, ops in calls.items()}


def prune(model: Mapping[str, Any], operations: frozenset[str]) -> dict[str, Any]:
    """`model` with only `operations` and the shapes they reach (inputs, outputs, errors)."""
    ops = {name: op for name, op in model.get("operations", {}).items() if name in operations}
    shapes = model.get("shapes", {})
    keep: set[str] = set()
    todo = [
        ref["shape"]
        for op in ops.values()
        for ref in (op.get("input"), op.get("output"), *op.get("errors", ()))
        if ref
    ]
    while todo:
        name = todo.pop()
        if name in keep or name not in shapes:
            continue
        keep.add(name)
        shape = shapes[name]
        todo.extend(member["shape"] for member in shape.get("members", {}).values())
        todo.extend(shape[key]["shape"] for key in ("member", "key", "value") if key in shape)
    return {**model, "operations": ops, "shapes": {name: shapes[name] for name in keep}}


class SlimLoader(Loader):
    """A botocore Loader that cuts service models down to the declared operations."""

    def __init__(
        self, allowed: Callable[[], Mapping[str, frozenset[str]]], search_paths: list[str]
    ) -> None:
        super().__init__(extra_search_paths=search_paths, include_default_search_paths=False)
        self._allowed_source = allowed
        self._allowed: Mapping[str, frozenset[str]] | None = None
        self._slim_lock = threading.Lock()

    def load_data(self, name: str) -> Any:
        parts = name.replace(os.sep, "/").split("/")
        if len(parts) != 3 or parts[2] != "service-2":
            return super().load_data(name)
        with self._slim_lock:
            if self._allowed is None:
                self._allowed = self._allowed_source()
            operations = self._allowed.get(parts[0])
            if operations is None:  # a service no collector declares: leave it whole
                return super().load_data(name)
            # botocore's instance cache (not in its type stubs): keys are (method, *args)
            cache: dict[tuple[str, ...], Any] = vars(self)["_cache"]
            key = ("slim", name)
            if key not in cache:
                cache[key] = self._slim(name, operations)
            return cache[key]

    def _slim(self, name: str, operations: frozenset[str]) -> Any:
        """The cut model: from the disk cache, else cut from the full one and cached.

        Parsing the full model is the scan's largest transient allocation (EC2's JSON),
        so the cut is kept under the user's cache dir, keyed by botocore's version, the
        model's path and the operations: later scans never parse the full model.
        """
        digest = hashlib.sha256("\n".join(sorted(operations)).encode()).hexdigest()[:16]
        stem = name.replace("/", "_").replace(os.sep, "_")
        path = slim_cache_dir() / botocore.__version__ / f"{stem}-{digest}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        cache: dict[tuple[str, ...], Any] = vars(self)["_cache"]
        slim = prune(super().load_data(name), operations)
        cache.pop(("load_data", name), None)  # drop botocore's cached full copy
        cache.pop(("load_data_with_path", name), None)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(slim), encoding="utf-8")
            partial.replace(path)  # atomic: a concurrent scan reads whole files only
        except OSError:
            pass  # a read-only cache only costs the next scan the full parse
        return slim


def slim_cache_dir() -> Path:
    """Where cut models are kept (MAMORI_AWS_MODEL_CACHE overrides)."""
    override = os.environ.get("MAMORI_AWS_MODEL_CACHE")
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir("mamori")) / "aws-models"


def session(**kwargs: Any) -> boto3.Session:
    """A boto3 Session (same arguments) whose clients carry the slim models."""
    core = botocore.session.get_session()
    if os.environ.get("MAMORI_AWS_FULL_MODELS", "") not in ("1", "true", "yes"):
        core.register_component("data_loader", _loader(core))
    return boto3.Session(botocore_session=core, **kwargs)


def _loader(core: botocore.session.Session) -> SlimLoader:
    # the default loader's search paths: AWS_DATA_PATH, ~/.aws/models, botocore's data
    default: Loader = core.get_component("data_loader")
    return SlimLoader(declared_calls, list(default.search_paths))

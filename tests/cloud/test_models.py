"""Slim API models: clients know only the operations the collectors declare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import UnknownServiceError

from mamori.cloud.aws import models


def test_every_declared_call_is_an_operation_of_its_service() -> None:
    """A typo in `calls` would otherwise only show when the collector runs."""
    full: Any = boto3.Session(region_name="us-east-1")
    wrong = []
    for service, operations in models.declared_calls().items():
        try:
            known = set(full.client(service).meta.service_model.operation_names)
        except UnknownServiceError:
            wrong.append(f"{service}: unknown service")
            continue
        wrong.extend(f"{service}:{op}" for op in sorted(operations - known))
    assert not wrong, wrong


def test_slim_clients_have_the_declared_operations_and_no_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MAMORI_AWS_FULL_MODELS", raising=False)
    declared = models.declared_calls()
    slim: object = models.session(region_name="us-east-1").client("ec2")
    ops = set(slim.meta.service_model.operation_names)  # type: ignore[attr-defined]
    assert ops == set(declared["ec2"])
    assert hasattr(slim, "describe_instances") and not hasattr(slim, "run_instances")
    # every shape an operation reaches is there: botocore resolves them all
    model = slim.meta.service_model  # type: ignore[attr-defined]
    for name in ops:
        op = model.operation_model(name)
        for shape in (op.input_shape, op.output_shape):
            if shape is not None:
                _walk(shape, set())


def _walk(shape: object, seen: set[str]) -> None:
    name = getattr(shape, "name", "")
    if name in seen:
        return
    seen.add(name)
    for child in getattr(shape, "members", {}).values():
        _walk(child, seen)
    for attr in ("member", "key", "value"):
        if hasattr(shape, attr):
            _walk(getattr(shape, attr), seen)


def test_full_models_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAMORI_AWS_FULL_MODELS", "1")
    client: object = models.session(region_name="us-east-1").client("ec2")
    assert hasattr(client, "run_instances")


def test_prune_keeps_reachable_shapes_only() -> None:
    model = {
        "metadata": {"protocol": "json"},
        "operations": {
            "Get": {
                "input": {"shape": "In"},
                "output": {"shape": "Out"},
                "errors": [{"shape": "E"}],
            },
            "Put": {"input": {"shape": "PutIn"}},
        },
        "shapes": {
            "In": {"type": "structure", "members": {"Id": {"shape": "S"}}},
            "Out": {
                "type": "structure",
                "members": {"Items": {"shape": "L"}, "M": {"shape": "Map"}},
            },
            "L": {"type": "list", "member": {"shape": "Out"}},  # a cycle
            "Map": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "N"}},
            "S": {"type": "string"},
            "N": {"type": "integer"},
            "E": {"type": "structure", "members": {}},
            "PutIn": {"type": "structure", "members": {"Blob": {"shape": "B"}}},
            "B": {"type": "blob"},
        },
    }
    slim = models.prune(model, frozenset({"Get"}))
    assert set(slim["operations"]) == {"Get"}
    assert set(slim["shapes"]) == {"In", "Out", "L", "Map", "S", "N", "E"}
    assert slim["metadata"] == model["metadata"]


def test_cut_models_are_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second scan reads the cut model from the cache dir and never parses the full
    one; a damaged cache file is cut again from the full model and rewritten."""
    monkeypatch.setenv("MAMORI_AWS_MODEL_CACHE", str(tmp_path))
    monkeypatch.delenv("MAMORI_AWS_FULL_MODELS", raising=False)
    first: Any = models.session(region_name="us-east-1").client("kms")
    (cached,) = tmp_path.rglob("kms_*service-2-*.json")
    assert set(json.loads(cached.read_text())["operations"]) == set(models.declared_calls()["kms"])
    cached.write_text(json.dumps({**json.loads(cached.read_text()), "marker": 1}))
    second: Any = models.session(region_name="us-east-1").client("kms")
    assert second.meta.service_model._service_description.get("marker") == 1  # read back
    cached.write_text("{ damaged")
    third: Any = models.session(region_name="us-east-1").client("kms")
    ops = set(third.meta.service_model.operation_names)
    assert ops == set(first.meta.service_model.operation_names)
    assert json.loads(cached.read_text())["operations"]  # rewritten whole

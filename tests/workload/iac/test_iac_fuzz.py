"""Hostile and random input: every parser answers with its own error (one per file), never
a crash, a hang or unbounded memory."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.workload.iac.cfn_eval import Template
from mamori.workload.iac.cfn_yaml import CfnYamlError, load_yaml
from mamori.workload.iac.cloudformation import load_cfn_text
from mamori.workload.iac.loader import load_iac
from mamori.workload.iac.model import MAX_FILE_BYTES, Budget, IacSet
from mamori.workload.iac.scan import to_model
from mamori.workload.iac.terraform import HclError, load_terraform, parse_hcl
from mamori.workload.iac.terraform_plan import load_plan
from mamori.workload.iac.tfeval import Scope, split_template

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HCL_ALPHABET = st.sampled_from(list('resource "aws_s3_bucket" {}[]()=,.\n${}?:!#/*-_x0 1'))
FUNCTIONS = [
    "Ref",
    "Fn::Sub",
    "Fn::GetAtt",
    "Fn::Join",
    "Fn::If",
    "Fn::Select",
    "Fn::Split",
    "Fn::FindInMap",
    "Fn::Base64",
    "Fn::Equals",
    "Fn::Not",
    "Fn::ImportValue",
    "Condition",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=12),
    st.sampled_from(["A", "B", "AWS::NoValue", "A.Arn", "${A}", "${B.Arn}-${!x}"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["Ref", "Fn::Sub", "Fn::GetAtt", "Fn::If", "Key", *FUNCTIONS]),
            inner,
            max_size=2,
        ),
    ),
    max_leaves=25,
)


@FUZZ
@given(st.text(HCL_ALPHABET, max_size=300))
def test_parse_hcl_only_raises_hcl_error(text: str) -> None:
    with contextlib.suppress(HclError):
        parse_hcl(text)


@FUZZ
@given(st.text(max_size=200))
def test_expression_evaluation_never_raises(text: str) -> None:
    scope = Scope({"a": True, "l": [1, {"k": "v"}]}, {"x": "${local.x}"}, "", Budget(500))
    split_template(text)
    scope.value(text)
    scope.value("${" + text + "}")


@FUZZ
@given(st.text(max_size=300))
def test_cfn_yaml_only_raises_its_error(text: str) -> None:
    with contextlib.suppress(CfnYamlError):
        load_yaml(text)


@FUZZ
@given(st.dictionaries(st.sampled_from(["A", "B", "C"]), values, max_size=3), values)
def test_intrinsics_never_raise(properties: dict[str, Any], extra: Any) -> None:
    data = {
        "Parameters": {"P": {"Default": "v"}},
        "Conditions": {"C": {"Fn::Equals": [{"Ref": "P"}, "v"]}, "D": {"Condition": "D"}},
        "Resources": {
            "A": {"Type": "AWS::S3::Bucket", "Properties": properties},
            "B": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": extra}},
        },
    }
    template = Template(data, Budget(5000))
    template.value(properties)
    into = IacSet()
    load_cfn_text(json.dumps({"AWSTemplateFormatVersion": "x", **data}), "t.json", into)
    to_model(into)  # mapping tolerates whatever the evaluation produced


@FUZZ
@given(values)
def test_plan_loader_never_raises(noise: Any) -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_s3_bucket.b",
                        "type": "aws_s3_bucket",
                        "name": "b",
                        "values": noise,
                    },
                    noise,
                ],
                "child_modules": [noise],
            }
        },
        "resource_changes": [noise, {"address": "aws_s3_bucket.b", "change": noise}],
        "configuration": {"root_module": {"resources": [noise], "module_calls": {"m": noise}}},
    }
    into = IacSet()
    load_plan(plan, json.dumps(plan, default=str), "plan.json", into)
    to_model(into)


def test_local_bomb_is_bounded(tmp_path: Path) -> None:
    """Each local doubles the one before: 2**40 leaves if expanded; the budget stops it."""
    lines = ["locals {", '  l0 = "x"']
    lines += [f"  l{i} = [local.l{i - 1}, local.l{i - 1}]" for i in range(1, 41)]
    lines += ["}", 'resource "aws_ebs_volume" "v" {', "  tags = local.l40", "}"]
    (tmp_path / "main.tf").write_text("\n".join(lines) + "\n")
    loaded = load_terraform(tmp_path)
    assert [r.address for r in loaded.resources] == ["aws_ebs_volume.v"]


def test_deep_nesting_and_huge_files(tmp_path: Path) -> None:
    (tmp_path / "deep.tf").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "deep.json").write_text('{"Resources": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (tmp_path / "deep.yaml").write_text("AWSTemplateFormatVersion: x\nResources: " + "[" * 5000)
    with (tmp_path / "huge.yaml").open("w") as fh:
        fh.write("AWSTemplateFormatVersion: x\n# " + "x" * (MAX_FILE_BYTES + 10) + "\n")
    bomb = ["AWSTemplateFormatVersion: x", "Resources:", "  l0: &l0 [a]"]
    bomb += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    (tmp_path / "ok.tf").write_text('resource "aws_ebs_volume" "v" {\n  size = 1\n}\n')
    loaded = load_iac(tmp_path)
    failed = sorted(e.path for e in loaded.errors)
    assert failed == ["bomb.yaml", "deep.json", "deep.tf", "deep.yaml", "huge.yaml"]
    assert [r.address for r in loaded.resources] == ["aws_ebs_volume.v"]

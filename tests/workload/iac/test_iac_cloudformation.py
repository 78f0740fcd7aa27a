"""CloudFormation reading: short-form tags, intrinsic functions, conditions, JSON lines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mamori.workload.iac.cfn_yaml import CfnYamlError, load_yaml
from mamori.workload.iac.cloudformation import load_cfn_text
from mamori.workload.iac.model import IacSet, Ref, Unknown

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
  Zones: {Type: CommaDelimitedList, Default: "a,b,c"}
  NoDefault: {Type: String}
Mappings:
  Sizes:
    prod: {disk: 100}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [x, x]]
  Either: !Or [!Condition NotProd, !Equals [!Ref NoDefault, y]]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${Env}-bucket"
  Probe:
    Type: AWS::Custom::Probe
    Properties:
      Ref: !Ref Env
      RefResource: !Ref Bucket
      RefPseudo: !Ref AWS::Partition
      RefAccount: !Ref AWS::AccountId
      RefMissing: !Ref NoDefault
      SubVars: !Sub ["${A}-${B}", {A: !Ref Env, B: two}]
      SubEscape: !Sub "${!Literal}-${Env}"
      SubAttr: !Sub "${Bucket.Arn}"
      SubUnknown: !Sub "${AWS::Region}-x"
      GetAtt: !GetAtt Bucket.Arn
      GetAttList: {"Fn::GetAtt": [Other, Endpoint.Address]}
      Join: !Join ["-", [a, !Ref Env, c]]
      Select: !Select [1, !Ref Zones]
      Split: !Split [",", "x,y"]
      FindInMap: !FindInMap [Sizes, !Ref Env, disk]
      IfProd: !If [IsProd, big, small]
      IfNot: !If [NotProd, big, small]
      IfBoth: !If [Both, yes-both, no-both]
      IfEither: !If [Either, e1, e2]
      NoValue: !If [IsProd, !Ref AWS::NoValue, kept]
      Base64: !Base64 abc
      Import: !ImportValue shared-vpc
      Azs: !GetAZs ""
      Nested: {List: [!Ref Env, {Inner: !Ref Env}]}
  Other:
    Type: AWS::RDS::DBInstance
    Condition: NotProd
"""


def _probe(text: str = TEMPLATE) -> dict[str, Any]:
    into = IacSet()
    assert load_cfn_text(text, "t.yaml", into)
    assert not into.errors
    (probe,) = [r for r in into.resources if r.address == "Probe"]
    return probe.attrs


def test_intrinsics() -> None:
    p = _probe()
    assert p["Ref"] == "prod"
    assert p["RefResource"] == "prod-bucket"  # a bucket's Ref is its name
    assert p["RefPseudo"] == "aws"
    assert isinstance(p["RefAccount"], Unknown)
    assert isinstance(p["RefMissing"], Unknown)
    assert p["SubVars"] == "prod-two"
    assert p["SubEscape"] == "${Literal}-prod"
    assert p["SubAttr"] == "arn:aws:s3:::prod-bucket"
    assert isinstance(p["SubUnknown"], Unknown)
    assert p["GetAtt"] == "arn:aws:s3:::prod-bucket"
    assert p["GetAttList"] == Ref("Other", "Endpoint.Address")
    assert p["Join"] == "a-prod-c"
    assert p["Select"] == "b"
    assert p["Split"] == ["x", "y"]
    assert p["FindInMap"] == 100
    assert (p["IfProd"], p["IfNot"], p["IfBoth"]) == ("big", "small", "yes-both")
    assert isinstance(p["IfEither"], Unknown)  # NotProd false, NoDefault unknown
    assert "NoValue" not in p
    assert p["Base64"] == "YWJj"
    assert isinstance(p["Import"], Unknown) and isinstance(p["Azs"], Unknown)
    assert p["Nested"] == {"List": ["prod", {"Inner": "prod"}]}


def test_condition_false_skips_resource() -> None:
    into = IacSet()
    load_cfn_text(TEMPLATE, "t.yaml", into)
    assert "Other" not in {r.address for r in into.resources}


def test_json_template_same_values_and_lines() -> None:
    """The JSON form of the template (tags in long form) evaluates the same."""
    data, _ = load_yaml(TEMPLATE)
    assert data["Resources"]["Probe"]["Properties"]["Ref"] == {"Ref": "Env"}
    text = json.dumps(data, indent=2)
    into = IacSet()
    assert load_cfn_text(text, "t.json", into)
    json_probe = next(r for r in into.resources if r.address == "Probe")
    assert json_probe.attrs["SubVars"] == "prod-two"
    assert text.splitlines()[json_probe.line - 1].strip().startswith('"Probe"')


def test_yaml_lines_point_at_logical_ids() -> None:
    into = IacSet()
    load_cfn_text(TEMPLATE, "t.yaml", into)
    lines = TEMPLATE.splitlines()
    for resource in into.resources:
        assert lines[resource.line - 1].strip() == f"{resource.address}:"


def test_not_a_template_is_skipped() -> None:
    into = IacSet()
    assert not load_cfn_text("apiVersion: v1\nkind: Pod\n", "pod.yaml", into)
    assert not into.errors and into.files == 0


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]\n",  # recursive alias
        "Resources: [" * 300 + "]" * 300,  # deep nesting
        "\n".join([f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 12)]).replace(
            "*l0", "x"
        ),  # billion laughs
        "key: [unclosed\n",
    ],
)
def test_hostile_yaml_is_refused(text: str) -> None:
    with pytest.raises(CfnYamlError):
        load_yaml(text)


def test_hostile_yaml_is_one_error_per_file() -> None:
    into = IacSet()
    load_cfn_text("AWSTemplateFormatVersion: x\nResources: [" * 1, "bad.yaml", into)
    assert len(into.errors) == 1 and into.errors[0].path == "bad.yaml"

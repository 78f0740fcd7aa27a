"""Terraform HCL reading: expression evaluation against `terraform console` (the oracle),
modules followed inside the scan root only, count/for_each/dynamic, errors per file.
Functions: test_iac_tffuncs.py; count/for_each expansion: test_iac_tfexpand.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mamori.workload.iac.model import Ref, Unknown
from mamori.workload.iac.terraform import HclError, load_terraform, parse_hcl
from tests.support import oracle_tool

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"

ORACLE_TF = """
variable "name" {
  default = "acme"
}
variable "tags" {
  default = { env = "prod", team = "sec" }
}
variable "ports" {
  default = [22, 443]
}
variable "enabled" {
  type    = bool
  default = true
}
locals {
  bucket   = "${var.name}-logs"
  nested   = { a = [1, 2, { b = local.bucket }] }
  pick     = local.nested.a[2].b
  port     = var.ports[1]
  team     = var.tags["team"]
  chained  = "${local.pick}/${var.tags.env}/${local.port}"
  flag     = var.enabled ? "on" : "off"
  count    = var.enabled && var.name == "acme" ? 1 : 0
  negated  = !var.enabled
  differs  = var.name != "acme" || false
  literal  = "$${not_interpolated}"
  doc = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Resource = [local.bucket] }]
  })
  quoted   = { "aws:SecureTransport" = "false" }
}
"""
NAMES = [
    "bucket",
    "nested",
    "pick",
    "port",
    "team",
    "chained",
    "flag",
    "count",
    "negated",
    "differs",
    "literal",
    "doc",
    "quoted",
]


def _normal(value: Any) -> Any:
    """jsonencode output compared as data (Terraform sorts keys, mamori keeps order)."""
    if isinstance(value, str) and value.startswith("{"):
        return json.loads(value)
    return value


def test_expressions_match_terraform_console(tmp_path: Path) -> None:
    terraform = oracle_tool("terraform", "HashiCorp ships it outside Debian")
    (tmp_path / "main.tf").write_text(ORACLE_TF)
    query = "jsonencode([" + ", ".join(f"local.{n}" for n in NAMES) + "])\n"
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    done = subprocess.run(
        [terraform, "console"],
        input=query,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    oracle = json.loads(json.loads(done.stdout.strip().splitlines()[-1]))
    ours = _locals(tmp_path)
    for name, expected in zip(NAMES, oracle, strict=True):
        assert _normal(ours[name]) == _normal(expected), name


def _locals(folder: Path) -> dict[str, Any]:
    """The evaluated locals, read back through a resource that names them all."""
    body = "\n".join(f"  v_{n} = local.{n}" for n in NAMES)  # `count` is a meta-argument
    (folder / "probe.tf").write_text(f'resource "aws_probe" "p" {{\n{body}\n}}\n')
    loaded = load_terraform(folder)
    (probe,) = [r for r in loaded.resources if r.type == "aws_probe"]
    (folder / "probe.tf").unlink()
    return {n: probe.attrs[f"v_{n}"] for n in NAMES}


def test_references_and_unknowns(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "nodefault" {}\n'
        'resource "aws_s3_bucket" "a" {\n  bucket = "named-a"\n}\n'
        'resource "aws_thing" "t" {\n'
        "  ref     = aws_s3_bucket.a.id\n"
        "  indexed = aws_s3_bucket.a[0].arn\n"
        '  arn_in  = "${aws_s3_bucket.a.arn}/*"\n'
        "  missing = var.nodefault\n"
        "  data    = data.aws_caller_identity.me.account_id\n"
        "  call    = upper(var.nodefault)\n"
        "}\n"
    )
    (thing,) = [r for r in load_terraform(tmp_path).resources if r.type == "aws_thing"]
    assert thing.attrs["ref"] == Ref("aws_s3_bucket.a", "id")
    assert thing.attrs["indexed"] == Ref("aws_s3_bucket.a", "arn")
    assert thing.attrs["arn_in"] == "arn:aws:s3:::named-a/*"
    for key in ("missing", "data", "call"):
        assert isinstance(thing.attrs[key], Unknown), key


def test_local_modules_followed_inside_root_only() -> None:
    loaded = load_terraform(FIXTURES / "modules_root")
    buckets = {r.address: r for r in loaded.resources if r.type == "aws_s3_bucket"}
    # tfvars override the root default; module inputs become the module's variables
    assert buckets["module.logs.aws_s3_bucket.this"].attrs["bucket"] == "prod-logs"
    assert buckets["module.data.aws_s3_bucket.this"].attrs["bucket"] == "prod-data"
    assert buckets["module.logs.aws_s3_bucket.this"].file == "modules/bucket/main.tf"
    logging = {r.address for r in loaded.resources if r.type == "aws_s3_bucket_logging"}
    # count = 0 in module.logs, 1 in module.data: one instance, addressed as Terraform does
    assert logging == {"module.data.aws_s3_bucket_logging.this[0]"}
    # ../checks is outside the scanned root: not read at all
    assert not any(r.file.startswith("..") for r in loaded.resources)
    assert any("../checks is outside the scan root" in n for n in loaded.notes)
    volumes = {r.address for r in loaded.resources if r.type == "aws_ebs_volume"}
    assert volumes == {  # for_each = toset(["a", "b"]) in each module instance
        f'module.{m}.aws_ebs_volume.scratch["{k}"]' for m in ("logs", "data") for k in "ab"
    }


def test_module_cycle_terminates(tmp_path: Path) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(
            f'module "m" {{\n  source = "../{other}"\n}}\n'
            f'resource "aws_ebs_volume" "{name}" {{\n  size = 1\n}}\n'
        )
    loaded = load_terraform(tmp_path)
    assert {r.type for r in loaded.resources} == {"aws_ebs_volume"}
    assert any("cycle" in n for n in loaded.notes)


def test_dynamic_block_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_security_group" "g" {\n'
        '  dynamic "ingress" {\n    for_each = var.rules\n'
        "    content {\n      from_port = ingress.value\n    }\n  }\n}\n"
    )
    (group,) = load_terraform(tmp_path).resources
    assert isinstance(group.attrs["ingress"], Unknown)
    assert "dynamic ingress not expanded" in group.notes


def test_invalid_file_is_one_error(tmp_path: Path) -> None:
    (tmp_path / "good.tf").write_text('resource "aws_ebs_volume" "v" {\n  size = 1\n}\n')
    (tmp_path / "bad.tf").write_text('resource "aws_ebs_volume" {\n  size = \n')
    loaded = load_terraform(tmp_path)
    assert [e.path for e in loaded.errors] == ["bad.tf"]
    assert [r.address for r in loaded.resources] == ["aws_ebs_volume.v"]


def test_parse_hcl_rejects_garbage() -> None:
    with pytest.raises(HclError):
        parse_hcl("resource {{{{")


def test_tf_json_is_read_like_hcl(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        json.dumps(
            {
                "variable": {"name": {"default": "jsonbucket"}},
                "locals": {"suffix": "logs"},
                "resource": {
                    "aws_s3_bucket": {"b": {"bucket": "${var.name}-${local.suffix}"}},
                    "aws_ebs_volume": {"v": [{"size": 1}]},
                },
            },
            indent=2,
        )
    )
    (tmp_path / "broken.tf.json").write_text("{")
    loaded = load_terraform(tmp_path)
    found = {r.address: r for r in loaded.resources}
    assert found["aws_s3_bucket.b"].attrs["bucket"] == "jsonbucket-logs"
    lines = (tmp_path / "main.tf.json").read_text().splitlines()
    assert '"b"' in lines[found["aws_s3_bucket.b"].line - 1]
    assert found["aws_ebs_volume.v"].attrs["size"] == 1
    assert [e.path for e in loaded.errors] == ["broken.tf.json"]

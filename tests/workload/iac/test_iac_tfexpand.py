"""`count` and `for_each` expansion, against `terraform plan` (the oracle): the same
configuration, with `terraform_data` resources (built into Terraform, so planning needs
no provider and no network), gives the instance addresses and each instance's evaluated
`input`; mamori must read the same instances with the same values. Then a check on a
count-expanded bucket: it fails on one instance and passes on the other."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from mamori.model import FindingStatus
from mamori.workload.iac.model import Ref
from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
from mamori.workload.iac.terraform import load_terraform
from mamori.workload.iac.tfexpand import MAX_RESOURCE_INSTANCES
from tests.support import oracle_tool

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
CONFIG = """
variable "names" {
  default = ["logs", "data", "audit"]
}
variable "envs" {
  default = { prod = { size = 3 }, dev = { size = 1 } }
}
locals {
  subnets = { for_a = "10.0.1.0/24", for_b = "10.0.2.0/24" }
  enabled = length(var.names) > 2
}
resource "terraform_data" "counted" {
  count = length(var.names)
  input = {
    name   = "${var.names[count.index]}-${count.index}"
    cidr   = cidrsubnet("10.0.0.0/16", 8, count.index + 1)
    last   = count.index == length(var.names) - 1
  }
}
resource "terraform_data" "by_map" {
  for_each = var.envs
  input    = { key = each.key, size = each.value.size * 2, tag = upper(each.key) }
}
resource "terraform_data" "by_set" {
  for_each = toset(concat(var.names, ["logs", "extra"]))
  input    = "${each.key}=${each.value}"
}
resource "terraform_data" "from_local" {
  for_each = local.subnets
  input    = replace(each.value, ".0/24", ".128/25")
}
resource "terraform_data" "conditional" {
  count = local.enabled ? 2 : 0
  input = terraform_data.counted[count.index].input.name
}
resource "terraform_data" "none" {
  count = 0
  input = "never"
}
resource "terraform_data" "empty" {
  for_each = {}
  input    = "never"
}
"""


def _plan(folder: Path) -> dict[str, Any]:
    """Instance address -> planned `input`, from `terraform plan` and `show -json`."""
    terraform = oracle_tool("terraform", "HashiCorp ships it outside Debian")
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": os.devnull,
    }
    for args in (["init", "-backend=false"], ["plan", "-refresh=false", "-out=plan.out"]):
        done = subprocess.run(
            [terraform, *args], cwd=folder, capture_output=True, text=True, timeout=120, env=env
        )
        assert done.returncode == 0, done.stderr[-2000:]
    shown = subprocess.run(
        [terraform, "show", "-json", "plan.out"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    found: dict[str, Any] = {}
    modules = [json.loads(shown.stdout)["planned_values"]["root_module"]]
    while modules:
        module = modules.pop()
        modules.extend(module.get("child_modules", []))
        found.update({r["address"]: r["values"].get("input") for r in module.get("resources", [])})
    return found


def test_instances_match_terraform_plan(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    oracle = _plan(tmp_path)
    ours = {r.address: r.attrs.get("input") for r in load_terraform(tmp_path).resources}
    assert set(ours) == set(oracle)
    # a reference into another instance's object is a Ref (linking), not a value
    assert ours.pop("terraform_data.conditional[0]") == Ref("terraform_data.counted[0]", "input")
    assert ours.pop("terraform_data.conditional[1]") == Ref("terraform_data.counted[1]", "input")
    for address, value in ours.items():
        assert value == oracle[address], address
    print(f"{len(oracle)} instances agree with terraform plan")


def test_unknown_count_is_not_expanded(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "n" {}\n'
        'resource "aws_ebs_volume" "v" {\n  count = var.n\n  size = 1\n}\n'
        'resource "aws_ebs_volume" "w" {\n  for_each = data.x.y.ids\n  size = 1\n}\n'
        'resource "aws_thing" "t" {\n  ref = aws_ebs_volume.v[0].id\n}\n'
    )
    found = {r.address: r for r in load_terraform(tmp_path).resources}
    assert found["aws_ebs_volume.v"].notes == ["count not expanded"]
    assert found["aws_ebs_volume.w"].notes == ["for_each not expanded"]
    # an index into a resource that stays declared once points at that declaration
    assert found["aws_thing.t"].attrs["ref"] == Ref("aws_ebs_volume.v", "id")


def test_huge_count_is_capped(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_ebs_volume" "v" {\n  count = 1000000000\n  size = count.index\n}\n'
        'resource "aws_ebs_volume" "w" {\n  for_each = toset([for i in range(5) : "x"])\n}\n'
    )
    loaded = load_terraform(tmp_path)
    volumes = [r for r in loaded.resources if r.address.startswith("aws_ebs_volume.v")]
    assert len(volumes) == MAX_RESOURCE_INSTANCES
    assert volumes[-1].attrs["size"] == MAX_RESOURCE_INSTANCES - 1
    assert "only the first 1000 instances read" in volumes[0].notes[0]


def test_check_fails_on_one_instance_and_passes_on_another() -> None:
    report = run_iac_scan(IacScanRequest(FIXTURES / "count_buckets", include_passed=True)).report
    seen = {(f.rule_id, f.evidence["address"]): f for f in report.findings}
    block = "s3_bucket_public_access_block"
    assert seen[(block, "aws_s3_bucket.site[0]")].status == FindingStatus.OPEN
    assert seen[(block, "aws_s3_bucket.site[1]")].status == FindingStatus.PASS
    rotation = "kms_cmk_rotation_enabled"
    assert seen[(rotation, 'aws_kms_key.key["data"]')].status == FindingStatus.OPEN
    assert seen[(rotation, 'aws_kms_key.key["logs"]')].status == FindingStatus.PASS
    failing = seen[(block, "aws_s3_bucket.site[0]")]
    assert failing.evidence["file"] == "main.tf"
    assert failing.provenance.source == f"main.tf:{failing.evidence['line']}"
    assert not any("never" in address for _, address in seen)


def test_module_instances_match_terraform_plan(tmp_path: Path) -> None:
    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "main.tf").write_text(
        'variable "label" {}\nvariable "copies" {\n  default = 1\n}\n'
        'resource "terraform_data" "x" {\n  count = var.copies\n'
        '  input = "${var.label}/${count.index}"\n}\n'
    )
    (tmp_path / "main.tf").write_text(
        'module "counted" {\n  source = "./child"\n  count = 2\n'
        '  label = "c${count.index}"\n}\n'
        'module "keyed" {\n  source = "./child"\n  for_each = { a = 1, b = 2 }\n'
        "  label = each.key\n  copies = each.value\n}\n"
        'module "off" {\n  source = "./child"\n  count = 0\n  label = "never"\n}\n'
    )
    oracle = _plan(tmp_path)
    ours = {r.address: r.attrs.get("input") for r in load_terraform(tmp_path).resources}
    assert ours == oracle
    assert 'module.keyed["b"].terraform_data.x[1]' in ours

"""One entry point for every IaC format under a path: Terraform HCL, plan JSON, CFN.

`.tf` (and tfvars) go to `terraform`; `.json` files are plans when they look like
`terraform show -json` output, else templates when they look like CloudFormation;
`.yaml`/`.yml`/`.template` are CloudFormation when they are templates. A YAML or JSON
file that does not parse is reported only when it mentions a CloudFormation or plan
key, so a directory mixing Kubernetes manifests or package.json stays quiet. Any
failure is one `IacError` for that file; nothing raises.
"""

from __future__ import annotations

from pathlib import Path

from mamori.workload.iac.cloudformation import SUFFIXES, error_for, load_cfn_text
from mamori.workload.iac.model import IacError, IacSet, read_text, relative, walk_files
from mamori.workload.iac.terraform import load_terraform
from mamori.workload.iac.terraform_plan import load_plan_file

_MARKERS = ("AWSTemplateFormatVersion", "Resources", "planned_values", "resource_changes")


def _interesting(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


def load_iac(path: Path, *, terraform: bool = True, cloudformation: bool = True) -> IacSet:
    """Every IaC resource under `path` (a file or a directory), errors per file."""
    into = load_terraform(path) if terraform else IacSet()
    if not cloudformation:
        return into
    root = path if path.is_dir() else path.parent
    for file in walk_files(path, SUFFIXES):
        rel = relative(file, root)
        try:
            text = read_text(file)
        except (OSError, UnicodeDecodeError) as exc:
            into.errors.append(IacError(rel, f"cannot read: {exc}"))
            continue
        if not _interesting(text):
            continue
        before = len(into.errors)
        try:
            if "format_version" in text and (
                "planned_values" in text or "resource_changes" in text
            ):
                if load_plan_file(file, rel, text, into):
                    continue
                del into.errors[before:]
            load_cfn_text(text, rel, into)
        except RecursionError:
            into.errors.append(IacError(rel, "nesting too deep"))
        except Exception as exc:  # a reader bug must not end the scan: report it
            into.errors.append(error_for(rel, exc))
    return into

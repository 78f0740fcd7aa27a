"""`mamori scan ...`: every kind of scan, each imported only when it runs (`_lazy`)."""

from __future__ import annotations

import typer

from mamori.cli._lazy import lazy_group

SCANS = {
    "fs": "mamori.cli.scan:scan_fs",
    "image": "mamori.cli.scan:scan_image",
    "sbom": "mamori.cli.scan:scan_sbom",
    "host": "mamori.cli.scan_host:scan_host",
    "aws": "mamori.cli.scan_aws:scan_aws",
    "k8s": "mamori.cli.scan_k8s:scan_k8s",
    "iac": "mamori.cli.scan_iac:scan_iac",
    "dockerfile": "mamori.cli.scan_dockerfile:scan_dockerfile",
    "secrets": "mamori.cli.scan_secrets:scan_secrets",
    "cloudtrail": "mamori.cli.logs:scan_cloudtrail",
    "vpcflow": "mamori.cli.logs_vpcflow:scan_vpcflow",
}

scan_app = typer.Typer(
    cls=lazy_group(SCANS),
    help="Scan a target: packages and vulnerabilities, cloud posture, configuration, logs.",
    no_args_is_help=True,
)

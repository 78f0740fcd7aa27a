"""`mamori scan k8s PATH | --cluster`: Kubernetes manifests, or a live cluster's objects,
against PSS, CIS section 5 and NSA checks."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import typer

from mamori.cli._exit import tune_for_batch
from mamori.cli._render import (
    INCLUDE_PASSED_HELP,
    WORKLOAD_FORMATS,
    check_format,
    fail,
    finish_scan,
    parse_severity,
    render,
    write_with,
)
from mamori.model import ScanReport, Severity

FORMATS = WORKLOAD_FORMATS


def _stdin_to(folder: Path) -> Path:
    """`-`: the manifests on stdin (e.g. `helm template . | mamori scan k8s -`), bounded."""
    from mamori.workload.k8s.yamlsafe import MAX_BYTES

    data = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        fail(f"stdin holds more than {MAX_BYTES} bytes")
    path = folder / "stdin.yaml"
    path.write_bytes(data)
    return path


def scan_k8s(
    path: Path | None = typer.Argument(
        None,
        metavar="PATH",
        help="A manifest file, a directory of them, or - for stdin (e.g. helm template).",
    ),
    fmt: str = typer.Option(
        "table", "-f", "--format", callback=check_format, help="table, json or sarif."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the report here."),
    fail_on: str | None = typer.Option(
        None, "--fail-on", help="Exit 1 if an open finding at or above this severity remains."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Exceptions and severity overrides (default: PATH/.mamori.yaml)."
    ),
    pss_version: str | None = typer.Option(
        None, "--pss-version", help="Pod Security Standards policy version: latest or v1.N."
    ),
    framework: str | None = typer.Option(
        None,
        "--framework",
        help="Run only a framework's checks: k8s_pss_baseline, k8s_pss_restricted, cis_k8s_1.10.",
    ),
    check: list[str] = typer.Option([], "--check", help="Run only these check ids (repeat)."),
    cluster: bool = typer.Option(
        False, "--cluster", help="Scan the live cluster of a kubeconfig (or in-cluster) instead."
    ),
    kubeconfig: Path | None = typer.Option(
        None, "--kubeconfig", help="With --cluster: kubeconfig file (default ~/.kube/config)."
    ),
    context: str | None = typer.Option(
        None, "--context", help="With --cluster: kubeconfig context (default: the current one)."
    ),
    namespace: list[str] = typer.Option(
        [], "-n", "--namespace", help="With --cluster: only these namespaces (repeat)."
    ),
    include_passed: bool = typer.Option(False, "--include-passed", help=INCLUDE_PASSED_HELP),
) -> None:
    """Judge Kubernetes manifests or a live cluster: PSS, CIS section 5, NSA hardening."""
    tune_for_batch()
    if fmt not in FORMATS:
        fail(f"format {fmt!r} is not available for k8s scans (one of: {', '.join(FORMATS)})")
    threshold = parse_severity(fail_on)
    if cluster == (path is not None):
        fail("give exactly one of PATH or --cluster")
    if not cluster and (kubeconfig is not None or context is not None or namespace):
        fail("--kubeconfig, --context and --namespace need --cluster")
    if path is None:
        if config is None and (Path.cwd() / ".mamori.yaml").is_file():
            config = Path.cwd() / ".mamori.yaml"
        _scan_cluster(
            (kubeconfig, context, namespace),
            fmt,
            output,
            threshold,
            config,
            pss_version,
            framework,
            check,
            include_passed,
        )
        return
    with tempfile.TemporaryDirectory(prefix="mamori-k8s-") as tmp:
        if str(path) == "-":
            path = _stdin_to(Path(tmp))
            config = config or Path.cwd() / ".mamori.yaml"
            if not config.is_file():
                config = None
        _scan(path, fmt, output, threshold, config, pss_version, framework, check, include_passed)


def _scan_cluster(
    where: tuple[Path | None, str | None, list[str]],
    fmt: str,
    output: Path | None,
    threshold: Severity | None,
    config: Path | None,
    pss_version: str | None,
    framework: str | None,
    check: list[str],
    include_passed: bool,
) -> None:
    from mamori.registry import RegistryError
    from mamori.workload.k8s.cluster import ClusterError, ClusterTarget
    from mamori.workload.k8s.cluster_scan import ClusterScanRequest, run_cluster_scan

    kubeconfig, context, namespaces = where
    request = ClusterScanRequest(
        target=ClusterTarget(kubeconfig=kubeconfig, context=context, namespaces=tuple(namespaces)),
        config=config,
        pss_version=pss_version,
        checks=tuple(check) or None,
        framework=framework,
        include_passed=include_passed,
    )
    try:
        outcome = run_cluster_scan(request)
    except (ValueError, RegistryError, ClusterError) as exc:
        fail(str(exc).strip("\"'"))
    _emit(outcome.report, fmt, output, threshold)


def _emit(report: ScanReport, fmt: str, output: Path | None, threshold: Severity | None) -> None:
    if fmt == "sarif":
        from mamori.workload.k8s.sarif import render_sarif

        write_with(report, output, render_sarif)
    else:
        render(report, fmt, output)
    finish_scan(report, threshold)


def _scan(
    path: Path,
    fmt: str,
    output: Path | None,
    threshold: Severity | None,
    config: Path | None,
    pss_version: str | None,
    framework: str | None,
    check: list[str],
    include_passed: bool,
) -> None:
    from mamori.registry import RegistryError
    from mamori.workload.k8s.scan import K8sScanRequest, run_k8s_scan

    request = K8sScanRequest(
        path=path,
        config=config,
        pss_version=pss_version,
        checks=tuple(check) or None,
        framework=framework,
        include_passed=include_passed,
    )
    try:
        outcome = run_k8s_scan(request)
    except (ValueError, RegistryError) as exc:
        fail(str(exc).strip("\"'"))
    _emit(outcome.report, fmt, output, threshold)

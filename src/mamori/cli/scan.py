"""`mamori scan fs|image|sbom|host` and `mamori sbom`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from mamori.app.targets import RegistryOptions, TargetError, TargetKind
from mamori.app.vulnscan import ScanRequest, run_scan
from mamori.cli._render import (
    check_format,
    err_console,
    exit_code,
    fail,
    parse_severity,
    progress_bar,
    render,
)
from mamori.sources.sbom_file import SbomFormatError
from mamori.vuln.suppress import SuppressionError

FORMAT = typer.Option(
    "table", "-f", "--format", callback=check_format, help="table, json, sarif, cyclonedx or spdx."
)
OUTPUT = typer.Option(None, "-o", "--output", help="Write the report to this file.")
FAIL_ON = typer.Option(
    None,
    "--fail-on",
    help="Exit 1 if a match at or above this severity "
    "remains (critical, high, medium, low, negligible, unknown).",
)
IGNORE = typer.Option(None, "--ignore-file", help="YAML ignore rules (reason, expires).")
VEX = typer.Option([], "--vex", help="OpenVEX document(s); not_affected/fixed suppress.")
OFFLINE = typer.Option(False, "--offline", help="Do not update the advisory database.")
NO_STORE = typer.Option(False, "--no-store", help="Do not save the results in the store.")
PLATFORM = typer.Option("linux/amd64", "--platform", help="Image platform, e.g. linux/arm64.")
INSECURE = typer.Option(False, "--insecure", help="Allow plain HTTP / unverified TLS registries.")
USERNAME = typer.Option(
    None,
    "--username",
    envvar="MAMORI_REGISTRY_USERNAME",
    help="Registry user (else docker/podman auth files, else anonymous).",
)
PASSWORD = typer.Option(
    None,
    "--password",
    envvar="MAMORI_REGISTRY_PASSWORD",
    help="Registry password or token (prefer the environment variable).",
)


def _run(
    request: ScanRequest,
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    no_store: bool,
) -> None:
    threshold = parse_severity(fail_on)
    try:
        with progress_bar(True) as progress:
            outcome = run_scan(request, progress=progress)
    except (TargetError, SbomFormatError, SuppressionError) as exc:
        fail(str(exc))
    report = outcome.report
    if not no_store:
        from mamori.store import Store, StoreError  # only when storing: ~30 MB

        try:
            with Store.open() as store:
                store.save_scan(report, ignored=outcome.suppressed)
        except StoreError as exc:
            err_console.print(f"[yellow]warning:[/yellow] results not saved: {exc}")
    render(report, fmt, output)
    raise typer.Exit(exit_code(report, threshold))


def _request(
    kind: TargetKind, target: str, ignore_file: Path | None, vex: list[Path], offline: bool
) -> ScanRequest:
    return ScanRequest(
        kind=kind,
        target=target,
        allow_db_update=not offline,
        ignore_file=ignore_file,
        vex_files=vex,
    )


def scan_image(
    image: str = typer.Argument(
        ..., help="docker-archive or oci-archive tar, OCI layout dir, or a registry reference."
    ),
    fmt: str = FORMAT,
    output: Path | None = OUTPUT,
    fail_on: str | None = FAIL_ON,
    ignore_file: Path | None = IGNORE,
    vex: list[Path] = VEX,
    offline: bool = OFFLINE,
    no_store: bool = NO_STORE,
    platform: str = PLATFORM,
    insecure: bool = INSECURE,
    username: str | None = USERNAME,
    password: str | None = PASSWORD,
) -> None:
    """Scan a container image (a local archive or layout, or pulled from a registry)."""
    request = _request(TargetKind.IMAGE, image, ignore_file, vex, offline)
    request.platform = platform
    request.registry = RegistryOptions(insecure=insecure, username=username, password=password)
    _run(request, fmt, output, fail_on, no_store)


def _plain_command(kind: TargetKind, target: object, doc: str) -> Callable[..., None]:
    """A scan command whose only own parameter is its target (fs, sbom, host)."""

    def command(
        target: str = target,  # type: ignore[assignment]  # a typer.Argument
        fmt: str = FORMAT,
        output: Path | None = OUTPUT,
        fail_on: str | None = FAIL_ON,
        ignore_file: Path | None = IGNORE,
        vex: list[Path] = VEX,
        offline: bool = OFFLINE,
        no_store: bool = NO_STORE,
    ) -> None:
        _run(_request(kind, target, ignore_file, vex, offline), fmt, output, fail_on, no_store)

    command.__doc__ = doc
    return command


scan_fs = _plain_command(
    TargetKind.FS,
    typer.Argument(..., metavar="PATH", help="A directory, mounted root filesystem or snapshot."),
    "Scan a directory tree (symlinks never leave it).",
)
scan_sbom = _plain_command(
    TargetKind.SBOM,
    typer.Argument(..., metavar="SBOM", help="A CycloneDX or SPDX JSON file."),
    "Match the packages of an existing SBOM.",
)


def _guess_kind(target: str) -> TargetKind:
    path = Path(target)
    if path.is_dir():
        if (path / "oci-layout").exists() or (path / "manifest.json").exists():
            return TargetKind.IMAGE
        return TargetKind.FS
    if path.suffix == ".json":
        return TargetKind.SBOM
    return TargetKind.IMAGE


def sbom(
    target: str = typer.Argument(
        ..., help="A directory, image archive, OCI layout, SBOM or registry reference."
    ),
    fmt: str = typer.Option(
        "cyclonedx", "-f", "--format", callback=check_format, help="cyclonedx, spdx, json or table."
    ),
    output: Path | None = OUTPUT,
    platform: str = PLATFORM,
    insecure: bool = INSECURE,
    username: str | None = USERNAME,
    password: str | None = PASSWORD,
) -> None:
    """Write the software bill of materials of a target (no vulnerability matching)."""
    request = ScanRequest(
        kind=_guess_kind(target),
        target=target,
        platform=platform,
        match=False,
        registry=RegistryOptions(insecure=insecure, username=username, password=password),
    )
    try:
        with progress_bar(True) as progress:
            outcome = run_scan(request, progress=progress)
    except (TargetError, SbomFormatError) as exc:
        fail(str(exc))
    render(outcome.report, fmt, output)

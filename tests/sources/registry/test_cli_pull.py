"""`mamori sbom|scan image REF` pulls from a real registry on loopback."""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from mamori.cli.main import app
from tests import targets
from tests.sources.registry.servers import Registry

pytestmark = pytest.mark.xdist_group("registry")


def test_sbom_of_a_registry_image_equals_dpkg(registry: Registry) -> None:
    rootfs = targets.bookworm_rootfs()
    expected = set(
        subprocess.run(
            [
                "dpkg-query",
                f"--admindir={rootfs}/var/lib/dpkg",
                "-W",
                "-f",
                "${Package} ${Version}\n",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    ) - {""}
    ref = f"{registry.host}/bookworm:docker"
    result = CliRunner().invoke(app, ["sbom", ref, "--insecure", "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    got = {f"{p['name']} {p['version']}" for p in report["sbom"]["packages"]}
    assert got == expected
    assert report["target"]["identity"]["image_digest"].startswith("sha256:")


def test_unknown_tag_is_a_clear_error(registry: Registry) -> None:
    result = CliRunner().invoke(
        app, ["scan", "image", f"{registry.host}/bookworm:nope", "--insecure", "--offline"]
    )
    assert result.exit_code == 2
    assert "nope" in result.output

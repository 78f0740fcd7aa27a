"""The registry storage the tests serve: real images pushed by skopeo into a real
docker-registry once, then cached like tests/targets.py (pulls only read it).

Tags: bookworm:docker (pushed from the docker-archive: Docker schema 2 manifest),
bookworm:oci (from the OCI layout: OCI manifest), multi:oci (an OCI index for
linux/amd64 and linux/arm64/v8), multi:docker (the same as a Docker manifest list),
armonly:1 (a single-platform linux/arm64/v8 image).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.sources.imagefix import E, Img, layer_tar, write_layout
from tests.sources.registry.servers import run_registry
from tests.support import need_tool
from tests.targets import _build_once, bookworm_images

PLATFORMS = (("amd64", None), ("arm64", "v8"))


def small_image(arch: str, variant: str | None) -> Img:
    files = [
        E("etc", kind="dir"),
        E("etc/arch", data=f"{arch}{'/' + variant if variant else ''}\n".encode()),
        E("etc/os-release", data=b'ID=mamori-test\nVERSION_ID="1"\n'),
    ]
    return Img([layer_tar(files)], arch=arch, variant=variant)


def _push(*args: str) -> None:
    subprocess.run(
        ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def registry_storage() -> Path:
    images = bookworm_images()
    need_tool("docker-registry")
    need_tool("skopeo")

    def build(d: Path) -> None:
        multi, arm = d / "multi-layout", d / "arm-layout"
        write_layout(multi, [small_image(a, v) for a, v in PLATFORMS], tag="multi")
        write_layout(arm, [small_image("arm64", "v8")], tag="arm")
        with run_registry(d / "storage", d / "run") as reg:
            host = reg.host
            _push(
                f"docker-archive:{images / 'image.docker.tar'}", f"docker://{host}/bookworm:docker"
            )
            _push(f"oci:{images / 'oci'}:minbase", f"docker://{host}/bookworm:oci")
            _push("--all", f"oci:{multi}:multi", f"docker://{host}/multi:oci")
            _push(
                "--all", "--format", "v2s2", f"oci:{multi}:multi", f"docker://{host}/multi:docker"
            )
            _push(f"oci:{arm}:arm", f"docker://{host}/armonly:1")
        for name in ("run", "multi-layout", "arm-layout"):
            shutil.rmtree(d / name)

    return _build_once("registry-storage-v1", build) / "storage"

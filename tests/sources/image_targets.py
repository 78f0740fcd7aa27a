"""Real multi-layer images built with podman (cached like tests/targets.py)."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

from tests.support import need_tool
from tests.targets import _build_once, _run, bookworm_images, bookworm_tar

PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
BASE = "localhost/mamori-test/bookworm:minbase"
LAYERED = "localhost/mamori-test/layered:1"

# Each RUN is one layer; podman's overlay diff writes the whiteouts, the opaque
# directory, the hard link, the setuid bit and the fifo into the layer tars.
CONTAINERFILE = """\
FROM localhost/mamori-test/bookworm:minbase
RUN rm -rf /usr/share/doc/apt /etc/issue.net && mkdir -p /opt/app \\
 && echo one > /opt/app/a && ln /opt/app/a /opt/app/hard && chmod u+s /opt/app/a
RUN rm -rf /etc/apt && mkdir -p /etc/apt/new && echo x > /etc/apt/new/f \\
 && echo two > /opt/app/a && rm /opt/app/hard && mkfifo /opt/app/fifo \\
 && ln -s ../opt/app/a /usr/bin/app-link
LABEL org.opencontainers.image.title=layered
"""


def _ensure_base() -> None:
    exists = subprocess.run([*PODMAN, "image", "exists", BASE], check=False)
    if exists.returncode != 0:
        archive = bookworm_images() / "image.docker.tar"
        subprocess.run([*PODMAN, "load", "-q", "-i", str(archive)], check=True)


def layered_images() -> Path:
    """A 3-layer image as docker-archive, oci-archive, OCI layout (gzip and zstd layers),
    and the flattened filesystem `podman export` gives, extracted by GNU tar (rootfs/)."""
    need_tool("podman")
    need_tool("skopeo")
    bookworm_images()

    def build(d: Path) -> None:
        _ensure_base()
        ctx = d / "ctx"
        ctx.mkdir()
        (ctx / "Containerfile").write_text(CONTAINERFILE)
        _run(*PODMAN, "build", "-q", "--network", "none", "-t", LAYERED, str(ctx))
        for fmt, name in (("docker-archive", "image.docker.tar"), ("oci-archive", "image.oci.tar")):
            _run(*PODMAN, "save", "--format", fmt, "-o", str(d / name), LAYERED)
        oci = f"oci:{d / 'oci'}:layered"
        _run("skopeo", "copy", "-q", f"oci-archive:{d / 'image.oci.tar'}", oci)
        zstd = f"oci:{d / 'oci-zstd'}:layered"
        _run("skopeo", "copy", "-q", "--dest-compress-format", "zstd", "--dest-compress", oci, zstd)
        created = subprocess.run(
            [*PODMAN, "create", LAYERED, "true"], check=True, capture_output=True, text=True
        )
        cid = created.stdout.strip()
        try:
            _run(*PODMAN, "export", "-o", str(d / "export.tar"), cid)
        finally:
            _run(*PODMAN, "rm", cid)
        (d / "rootfs").mkdir()
        _run("tar", "-C", str(d / "rootfs"), "--numeric-owner", "-xf", str(d / "export.tar"))
        (d / "export.tar").unlink()
        shutil.rmtree(ctx)

    return _build_once("layered-images", build)


def bookworm_tar_gz() -> Path:
    """The bookworm rootfs tarball, gzip-compressed (a disk-snapshot style export)."""
    tar = bookworm_tar()

    def build(d: Path) -> None:
        with tar.open("rb") as src, gzip.open(d / "rootfs.tar.gz", "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)

    return _build_once("bookworm-tar-gz", build) / "rootfs.tar.gz"

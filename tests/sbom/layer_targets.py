"""Real multi-layer images whose package databases change layer by layer, with what the
distro's own tool lists in every intermediate image (the layer-attribution oracle).

The packages installed in the upper layers are made here, offline: .debs by
`dpkg-deb --build`, .apks in apk-tools' v2 format (a gzip stream of the control tar,
cut before its end-of-archive blocks, followed by a gzip stream of the data tar whose
checksum `.PKGINFO`'s datahash gives). The real dpkg and apk-tools install and remove
them inside `podman build`, so each database version is what the tool wrote. The
oracle runs `dpkg-query -W` / `apk info -v` in every intermediate image `podman history`
names, and reads the layer order from `podman inspect`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import tarfile
from pathlib import Path

from tests.support import need_shared, need_tool
from tests.targets import _build_once, _run, bookworm_images

PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
RUN_LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
DEBIAN_BASE = "localhost/mamori-test/bookworm:minbase"
DEBIAN_IMAGE = "localhost/mamori-test/dpkg-layers:1"
ALPINE_BASE = "localhost/mamori-test/alpine:3.20.3"
ALPINE_IMAGE = "localhost/mamori-test/apk-layers:1"
ALPINE_TAR = "data/targets/alpine-minirootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz"
MOUNT = "--mount=type=bind,source=.,target=/ctx"

# Layer 1 is the base image. Layer 3 changes no package; layer 4 upgrades beta;
# layer 5 removes a base package and alpha, which layer 6 installs again.
DEBIAN_STEPS = f"""\
FROM {DEBIAN_BASE}
RUN {MOUNT} dpkg -i /ctx/mamori-test-alpha_1.0_all.deb /ctx/mamori-test-beta_1.0_all.deb
RUN echo "no package change" > /etc/mamori-note
RUN {MOUNT} dpkg -i /ctx/mamori-test-gamma_1.0_all.deb /ctx/mamori-test-beta_2.0_all.deb
RUN dpkg --purge --force-depends debian-archive-keyring && dpkg --purge mamori-test-alpha
RUN {MOUNT} dpkg -i /ctx/mamori-test-alpha_1.0_all.deb
"""
DEBS = (("alpha", "1.0"), ("beta", "1.0"), ("beta", "2.0"), ("gamma", "1.0"))

APK = "apk --no-network --allow-untrusted --force-non-repository"
ALPINE_STEPS = f"""\
FROM {ALPINE_BASE}
RUN {MOUNT} {APK} add /ctx/mamori-test-alpha-1.0-r0.apk /ctx/mamori-test-beta-1.0-r0.apk
RUN echo "no package change" > /etc/mamori-note
RUN {MOUNT} {APK} add /ctx/mamori-test-gamma-1.0-r0.apk /ctx/mamori-test-beta-2.0-r0.apk
RUN {APK} del alpine-keys mamori-test-alpha
RUN {MOUNT} {APK} add /ctx/mamori-test-alpha-1.0-r0.apk
"""
APKS = (("alpha", "1.0-r0"), ("beta", "1.0-r0"), ("beta", "2.0-r0"), ("gamma", "1.0-r0"))

DPKG_QUERY = r"dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n'"


def _podman_out(*args: str) -> str:
    done = subprocess.run([*PODMAN, *args], check=True, capture_output=True, text=True)
    return done.stdout


def _make_deb(ctx: Path, name: str, version: str) -> None:
    root = ctx / f"pkg-{name}-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    share = root / "usr" / "share" / f"mamori-test-{name}"
    share.mkdir(parents=True)
    (share / "VERSION").write_text(f"{name} {version}\n")
    (root / "DEBIAN" / "control").write_text(
        f"Package: mamori-test-{name}\nVersion: {version}\nArchitecture: all\n"
        "Maintainer: mamori tests <tests@mamori.invalid>\n"
        f"Description: layer attribution test package {name}\n"
    )
    deb = ctx / f"mamori-test-{name}_{version}_all.deb"
    _run("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb))
    _run("rm", "-r", str(root))


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for info, data in members:
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _without_end(tar: bytes) -> bytes:
    """The members of a tar without its end-of-archive blocks (abuild-tar --cut)."""
    end = 0
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        for member in tf:
            end = member.offset_data + (member.size + 511) // 512 * 512
    return tar[:end]


def make_apk(name: str, version: str) -> bytes:
    """An unsigned apk v2 package installing /usr/share/<name>/VERSION."""
    payload = f"{name} {version}\n".encode()
    members: list[tuple[tarfile.TarInfo, bytes | None]] = []
    for directory in ("usr", "usr/share", f"usr/share/{name}"):
        info = tarfile.TarInfo(directory)
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        members.append((info, None))
    info = tarfile.TarInfo(f"usr/share/{name}/VERSION")
    info.size, info.mode = len(payload), 0o644
    info.pax_headers = {"APK-TOOLS.checksum.SHA1": hashlib.sha1(payload).hexdigest()}
    members.append((info, payload))
    data = gzip.compress(_tar(members), mtime=0)
    pkginfo = (
        f"pkgname = {name}\npkgver = {version}\npkgdesc = layer attribution test\n"
        f"url = https://mamori.invalid\nbuilddate = 1700000000\nsize = {len(payload)}\n"
        f"arch = noarch\norigin = {name}\nlicense = MIT\n"
        f"datahash = {hashlib.sha256(data).hexdigest()}\n"
    ).encode()
    control = tarfile.TarInfo(".PKGINFO")
    control.size, control.mode = len(pkginfo), 0o644
    return gzip.compress(_without_end(_tar([(control, pkginfo)])), mtime=0) + data


def _oracle(image: str, query: list[str]) -> dict[str, object]:
    """The final image's diff_ids and, per number of layers, what `query` lists."""
    diff_ids = json.loads(_podman_out("inspect", "--format", "{{json .RootFS.Layers}}", image))
    listed: dict[str, list[str]] = {}
    for image_id in _podman_out("history", "--format", "{{.ID}}", image).split():
        if image_id == "<missing>":
            continue
        count = _podman_out("inspect", "--format", "{{len .RootFS.Layers}}", image_id).strip()
        out = _podman_out("run", "--rm", "--network", "none", *RUN_LIMITS, image_id, *query)
        listed[count] = sorted(line for line in out.splitlines() if line.strip())
    return {"diff_ids": diff_ids, "listed": listed}


def _build(d: Path, steps: str, image: str, query: list[str]) -> None:
    ctx = d / "ctx"
    (ctx / "Containerfile").write_text(steps)
    # --no-cache: a bind mount is not part of the cache key, so a stale step could be reused.
    _run(*PODMAN, "build", "-q", "--no-cache", "--network", "none", "-t", image, str(ctx))
    for fmt, name in (("docker-archive", "image.docker.tar"), ("oci-archive", "image.oci.tar")):
        _run(*PODMAN, "save", "-q", "--format", fmt, "-o", str(d / name), image)
    (d / "oracle.json").write_text(json.dumps(_oracle(image, query), indent=1))
    _run("rm", "-r", str(ctx))


def dpkg_layers() -> Path:
    """bookworm plus five layers run by dpkg (see DEBIAN_STEPS), and its oracle."""
    need_tool("podman")
    need_tool("dpkg-deb")
    archive = bookworm_images() / "image.docker.tar"

    def build(d: Path) -> None:
        if subprocess.run([*PODMAN, "image", "exists", DEBIAN_BASE], check=False).returncode:
            _run(*PODMAN, "load", "-q", "-i", str(archive))
        (d / "ctx").mkdir()
        for name, version in DEBS:
            _make_deb(d / "ctx", name, version)
        _build(d, DEBIAN_STEPS, DEBIAN_IMAGE, ["sh", "-c", DPKG_QUERY])

    return _build_once("dpkg-layers", build)


def apk_layers() -> Path:
    """Alpine 3.20.3's minirootfs plus five layers run by apk (ALPINE_STEPS), and its oracle."""
    need_tool("podman")
    tarball = need_shared(ALPINE_TAR)

    def build(d: Path) -> None:
        if subprocess.run([*PODMAN, "image", "exists", ALPINE_BASE], check=False).returncode:
            _run(*PODMAN, "import", "-q", str(tarball), ALPINE_BASE)
        (d / "ctx").mkdir()
        for name, version in APKS:
            apk = make_apk(f"mamori-test-{name}", version)
            (d / "ctx" / f"mamori-test-{name}-{version}.apk").write_bytes(apk)
        _build(d, ALPINE_STEPS, ALPINE_IMAGE, ["apk", "info", "-v"])

    return _build_once("apk-layers", build)

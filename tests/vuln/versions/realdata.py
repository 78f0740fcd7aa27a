"""Real version strings: installed package databases and the shared advisory data.

Reading thousands of advisories takes seconds, so each corpus is extracted once into a
JSON list under CACHE (rebuilt when missing). Tests sample from the lists with a fixed
seed, so a failure names the same versions on every run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from tests.support import CACHE, need_shared, need_tool
from tests.targets import ALPINE_VERSIONS, alpine_rootfs

_EVENT_KEYS = ("introduced", "fixed", "last_affected", "limit")


def _cached(name: str, build: Callable[[], Iterable[str]]) -> list[str]:
    path = CACHE / "version-corpora" / f"{name}.json"
    if path.exists():
        loaded: list[str] = json.loads(path.read_text())
        return loaded
    versions = sorted(set(build()) - {"", "0", "*"})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(versions))
    tmp.rename(path)
    return versions


def _tar_members(archive: Path, suffix: str) -> Iterator[bytes]:
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(suffix):
                handle = tar.extractfile(member)
                if handle is not None:
                    yield handle.read()


def _osv_versions(archive: Path, ecosystem: str) -> Iterator[str]:
    """Every version an OSV archive names for `ecosystem` (events and version lists)."""
    for raw in _tar_members(archive, ".json"):
        record = json.loads(raw)
        for affected in record.get("affected", []):
            if not affected.get("package", {}).get("ecosystem", "").startswith(ecosystem):
                continue
            yield from affected.get("versions", [])
            for rng in affected.get("ranges", []):
                if rng.get("type") in ("ECOSYSTEM", "SEMVER"):
                    for event in rng.get("events", []):
                        yield from (event[k] for k in _EVENT_KEYS if k in event)


def dpkg_real() -> list[str]:
    """This Debian host's installed versions and the fixed versions of DSAs and DLAs."""
    need_tool("dpkg-query")
    tracker = need_shared("data/advisories/debian-security-tracker-2023")

    def build() -> Iterator[str]:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}\n"], capture_output=True, text=True, check=True
        ).stdout
        yield from out.split()
        for name in ("DSA_list", "DLA_list"):
            text = (tracker / name).read_text(errors="replace")
            yield from re.findall(r"^\t\[\w+\] - \S+ (\S+)", text, re.MULTILINE)

    return _cached("dpkg", build)


def rpm_real() -> list[str]:
    """CBL-Mariner 2.0's installed EVRs and AlmaLinux advisories' EVRs."""
    qa = need_shared("data/targets/rpmdb/mariner2/rpm-qa.tsv")
    alma = need_shared("data/advisories/almalinux-osv-database.tar.gz")

    def build() -> Iterator[str]:
        for line in qa.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) > 1:
                yield fields[1]
                yield fields[1].split(":", 1)[-1]  # the same without its epoch
        yield from _osv_versions(alma, "AlmaLinux")

    return _cached("rpm", build)


def apk_real() -> list[str]:
    """Installed versions of every Alpine minirootfs and the 2020 secdb's fixed versions."""
    secdb = need_shared("data/advisories/alpine-secdb-2020.tar.gz")
    roots = [alpine_rootfs(v) for v in ALPINE_VERSIONS]

    def build() -> Iterator[str]:
        for root in roots:
            text = (root / "lib" / "apk" / "db" / "installed").read_text(errors="replace")
            yield from re.findall(r"^V:(.+)$", text, re.MULTILINE)
        for raw in _tar_members(secdb, ".yaml"):
            yield from re.findall(r"^ {8}(\S+):\s*$", raw.decode(), re.MULTILINE)

    return _cached("apk", build)


def pep440_real() -> list[str]:
    """Versions named by the PyPA advisory database (YAML; read with a small scanner)."""
    archive = need_shared("data/advisories/pypa-advisory-database.tar.gz")

    def build() -> Iterator[str]:
        for raw in _tar_members(archive, ".yaml"):
            in_list = False
            for line in raw.decode(errors="replace").splitlines():
                event = re.match(r"\s*- (?:introduced|fixed|last_affected|limit): (.+)$", line)
                if event:
                    yield event.group(1).strip("\"'")
                if line.strip() == "versions:":
                    in_list = True
                elif in_list and line.startswith("  - "):
                    yield line[4:].strip().strip("\"'")
                else:
                    in_list = False

    return _cached("pep440", build)


def go_real() -> list[str]:
    archive = need_shared("data/advisories/golang-vulndb-osv.tar.gz")
    return _cached("go", lambda: _osv_versions(archive, "Go"))


def semver_real() -> list[str]:
    """crates.io versions from RustSec and the npm target's installed versions."""
    archive = need_shared("data/advisories/rustsec-advisory-db-osv.tar.gz")

    def build() -> Iterator[str]:
        yield from _osv_versions(archive, "crates.io")
        lock = CACHE / "npm-tree" / "package-lock.json"
        if lock.exists():
            packages = json.loads(lock.read_text()).get("packages", {})
            yield from (p["version"] for p in packages.values() if "version" in p)

    return _cached("semver", build)


def maven_real() -> list[str]:
    """Version directories of Debian's Maven repository (/usr/share/maven-repo)."""
    repo = Path("/usr/share/maven-repo")
    need_tool("mvn")

    def build() -> Iterator[str]:
        for pom in repo.rglob("*.pom"):
            yield pom.parent.name

    return _cached("maven", build)


def gem_real() -> list[str]:
    """Versions of the gems installed with Ruby here."""
    need_tool("ruby")
    script = "Gem::Specification.each { |s| puts s.version }"
    out = subprocess.run(["ruby", "-e", script], capture_output=True, text=True, check=True)
    return sorted(set(out.stdout.split()))

"""The dpkg cataloger against dpkg itself: dpkg-query on a real bookworm rootfs and the host."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from mamori.model import Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.osrelease import detect_distro
from mamori.sources.directory import DirectoryTree
from tests.support import need, need_tool
from tests.targets import bookworm_rootfs

FORMAT = "${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n"  # noqa: E501


def catalog(root: Path, paths: list[str]) -> tuple[list[Package], CatalogContext]:
    tree = DirectoryTree(root)
    ctx = CatalogContext(tree=tree, distro=detect_distro(tree))
    return list(catalogers.get("dpkg")().catalog(ctx, paths)), ctx


def dpkg_query(admindir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [need_tool("dpkg-query"), f"--admindir={admindir}", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def present(admindir: Path) -> set[tuple[str, ...]]:
    """What dpkg-query lists, less config-files packages (only their conffiles remain)."""
    out = dpkg_query(admindir, "-W", "-f", FORMAT)
    assert out.returncode == 0, out.stderr
    rows = [tuple(line.split("\t")) for line in out.stdout.splitlines()]
    return {row[1:] for row in rows if row[0] != "config-files"}


def rows(packages: list[Package]) -> set[tuple[str, ...]]:
    return {
        (p.name, p.version, p.arch or "", p.source_name or "", p.source_version or "")
        for p in packages
    }


@pytest.fixture(scope="module")
def bookworm() -> Path:
    return bookworm_rootfs()


def test_bookworm_packages_match_dpkg_query(bookworm: Path) -> None:
    packages, ctx = catalog(bookworm, ["/var/lib/dpkg/status"])
    expected = present(bookworm / "var/lib/dpkg")
    assert len(expected) >= 80
    assert rows(packages) == expected
    assert not ctx.notices


def test_host_packages_match_dpkg_query() -> None:
    need(Path("/var/lib/dpkg/status").is_file(), "this machine has no dpkg database")
    packages, _ = catalog(Path("/"), ["/var/lib/dpkg/status"])
    assert rows(packages) == present(Path("/var/lib/dpkg"))


def test_purl_and_source_follow_syft_convention(bookworm: Path) -> None:
    packages, _ = catalog(bookworm, ["/var/lib/dpkg/status"])
    by_name = {p.name: p for p in packages}
    out = dpkg_query(bookworm / "var/lib/dpkg", "-W", "-f", "${Version}", "libc6")
    version = out.stdout.strip()
    libc = by_name["libc6"]
    assert libc.source_name == "glibc"
    quoted = version.replace("+", "%2B")
    assert libc.purl == f"pkg:deb/debian/libc6@{quoted}?arch=amd64&distro=debian-12&upstream=glibc"
    out = dpkg_query(bookworm / "var/lib/dpkg", "-W", "-f", "${Version} ${source:Version}", "bash")
    bash_version, bash_source = out.stdout.split()
    assert bash_version != bash_source  # a binNMU: "Source: bash (<version>)"
    assert by_name["bash"].purl == (
        f"pkg:deb/debian/bash@{bash_version.replace('+', '%2B')}"
        f"?arch=amd64&distro=debian-12&upstream=bash%40{bash_source}"
    )
    assert by_name["adduser"].purl.endswith("?arch=all&distro=debian-12")  # no Source field
    assert by_name["adduser"].metadata["installed_size"].isdigit()


def _canonical(root: Path, path: str) -> str:
    """`path`'s directory resolved on the host (bookworm's links are all relative)."""
    parent, _, base = path.rpartition("/")
    real = os.path.realpath(str(root) + (parent or "/"))
    assert real.startswith(str(root))
    return real[len(str(root)) :] + "/" + base


def test_bookworm_file_ownership_matches_dpkg_listfiles(bookworm: Path) -> None:
    packages, ctx = catalog(bookworm, ["/var/lib/dpkg/status"])
    specs = [f"{p.name}:{p.arch}" for p in packages]
    out = dpkg_query(bookworm / "var/lib/dpkg", "-L", *specs)
    assert out.returncode == 0, out.stderr
    blocks = out.stdout.split("\n\n")
    assert len(blocks) == len(packages)
    total = 0
    for package, block in zip(packages, blocks, strict=True):
        listed = [line for line in block.splitlines() if line.startswith("/") and line != "/."]
        parents = {line.rpartition("/")[0] for line in listed}
        expected = set()
        for path in listed:
            canonical = _canonical(bookworm, path)
            real = str(bookworm) + canonical
            if path in parents or (os.path.isdir(real) and not os.path.islink(real)):
                continue
            expected.add(canonical)
        assert set(ctx.owned_files.get(package.id, [])) == expected, package.name
        total += len(expected)
    owned = {path for paths in ctx.owned_files.values() for path in paths}
    assert total > 3000
    assert all(os.path.lexists(str(bookworm) + path) for path in owned)
    assert "/usr/bin/bash" in owned  # listed by dpkg as /bin/bash; /bin is a link here


def test_bookworm_owners_agree_with_dpkg_search(bookworm: Path) -> None:
    packages, ctx = catalog(bookworm, ["/var/lib/dpkg/status"])
    names = {p.id: p.name for p in packages}
    owners: dict[str, set[str]] = {}
    for pkg_id, paths in ctx.owned_files.items():
        for path in paths:
            owners.setdefault(path, set()).add(names[pkg_id])
    listed: dict[str, str] = {}  # the path as dpkg lists it -> canonical
    for info in (bookworm / "var/lib/dpkg/info").glob("*.list"):
        for line in info.read_text().splitlines():
            canonical = _canonical(bookworm, line) if line not in ("/.", "") else ""
            if canonical in owners:
                listed[line] = canonical
    sample = random.Random(7).sample(sorted(listed), 300)
    out = dpkg_query(bookworm / "var/lib/dpkg", "-S", *sample)
    assert out.returncode == 0, out.stderr
    found: dict[str, set[str]] = {}
    for line in out.stdout.splitlines():
        if line.startswith("diversion by "):
            continue
        pkgs, _, path = line.partition(": ")
        found[path] = {p.strip().split(":")[0] for p in pkgs.split(",")}
    for path in sample:
        assert found[path] == owners[listed[path]], path


def test_states_counted_as_present_match_dpkg_query(tmp_path: Path, bookworm: Path) -> None:
    """Every dpkg state, on real paragraphs: what dpkg-query lists (less config-files)."""
    text = (bookworm / "var/lib/dpkg/status").read_text()
    states = [
        "install ok installed",
        "deinstall ok config-files",
        "purge ok not-installed",
        "install reinstreq half-installed",
        "install ok unpacked",
        "install ok half-configured",
        "install ok triggers-awaited",
        "install ok triggers-pending",
        "hold ok installed",
    ]
    out = []
    for i, paragraph in enumerate(p for p in text.split("\n\n") if p.strip()):
        lines = [line for line in paragraph.splitlines() if not line.startswith("Status:")]
        state = states[i % len(states)]
        lines.insert(1, f"Status: {state}")
        if state.endswith("triggers-awaited"):
            lines.append("Triggers-Awaited: dpkg")
        if state.endswith("triggers-pending"):
            lines.append("Triggers-Pending: ldconfig")
        if i % 18 == 9:  # an installed one
            del lines[1]  # no Status at all: dpkg does not list it
        out.append("\n".join(lines))
    admin = tmp_path / "var/lib/dpkg"
    (admin / "info").mkdir(parents=True)
    (admin / "updates").mkdir()
    (admin / "status").write_text("\n\n".join(out) + "\n")
    packages, ctx = catalog(tmp_path, ["/var/lib/dpkg/status"])
    expected = present(admin)
    assert len(expected) < len(out)
    assert rows(packages) == expected
    assert not ctx.notices


def test_distroless_status_d_matches_dpkg_query(tmp_path: Path, bookworm: Path) -> None:
    """Distroless keeps one status file per package in status.d/, md5sums beside it."""
    info = bookworm / "var/lib/dpkg/info"
    status_d = tmp_path / "var/lib/dpkg/status.d"
    status_d.mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    shutil.copy(bookworm / "etc/os-release", tmp_path / "etc/os-release")
    text = (bookworm / "var/lib/dpkg/status").read_text()
    expected_files: dict[str, set[str]] = {}
    for i, paragraph in enumerate(p for p in text.split("\n\n") if p.strip()):
        name = paragraph.split("\n", 1)[0].removeprefix("Package: ")
        if i % 2:  # some distroless generators leave Status out
            paragraph = "\n".join(
                line for line in paragraph.splitlines() if not line.startswith("Status:")
            )
        (status_d / name).write_text(paragraph + "\n")
        sums = [info / f"{name}.md5sums", *info.glob(f"{name}:*.md5sums")]
        for md5sums in sums:
            if md5sums.exists():
                shutil.copy(md5sums, status_d / f"{name}.md5sums")
                lines = md5sums.read_text().splitlines()
                expected_files[name] = {"/" + line.split("  ", 1)[1] for line in lines}
    paths = sorted("/var/lib/dpkg/status.d/" + p.name for p in status_d.iterdir())
    packages, ctx = catalog(tmp_path, paths)
    assert rows(packages) == present(bookworm / "var/lib/dpkg")
    assert len(expected_files) > 50
    for package in packages:
        owned = set(ctx.owned_files.get(package.id, []))
        assert owned == expected_files.get(package.name, set()), package.name
    assert packages[0].purl.endswith("distro=debian-12") or "distro=debian-12" in packages[0].purl


def test_licenses_match_python_debian_copyright_parser(bookworm: Path) -> None:
    try:
        from debian.copyright import Copyright, NotMachineReadableError
    except ImportError:
        need(False, "python-debian is not installed (the DEP-5 copyright oracle)")
        raise
    packages, _ = catalog(bookworm, ["/var/lib/dpkg/status"])
    compared = 0
    for package in packages:
        path = bookworm / "usr/share/doc" / package.name / "copyright"
        if not path.exists():
            assert package.licenses == ()
            continue
        try:
            with path.open(encoding="utf-8", errors="replace") as fh:
                parsed = Copyright(fh, strict=False)
        except (NotMachineReadableError, ValueError):
            continue
        expected = set()
        for paragraph in parsed.all_paragraphs():
            license_ = getattr(paragraph, "license", None)
            if license_ is not None and license_.synopsis:
                expected.add(" ".join(license_.synopsis.split()))
        assert set(package.licenses) == expected, package.name
        compared += 1
    assert compared >= 40

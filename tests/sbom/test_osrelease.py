"""OS detection against the shell that os-release is written for: the target's own sh."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mamori.model import Distro
from mamori.sbom.osrelease import detect_distro, parse_os_release
from mamori.sources.directory import DirectoryTree
from tests.support import need_root, need_tool
from tests.targets import ALPINE_VERSIONS, alpine_rootfs, bookworm_rootfs

KEYS = ("ID", "VERSION_ID", "VERSION_CODENAME", "NAME", "PRETTY_NAME", "ID_LIKE")


def sourced(root: Path) -> dict[str, str]:
    """The variables the target's /bin/sh gets from `. /etc/os-release`, in a chroot."""
    need_root()
    script = ". /etc/os-release; printf '%s\\0' " + " ".join(f'"${k}"' for k in KEYS)
    out = subprocess.run(
        ["chroot", str(root), "/bin/sh", "-c", script], capture_output=True, check=True
    )
    return dict(zip(KEYS, out.stdout.decode().split("\0")[:-1], strict=True))


def expected(values: dict[str, str]) -> Distro:
    return Distro(
        id=values["ID"].lower(),
        version_id=values["VERSION_ID"],
        version_codename=values["VERSION_CODENAME"],
        name=values["NAME"],
        pretty_name=values["PRETTY_NAME"],
        id_like=tuple(values["ID_LIKE"].split()),
    )


def test_bookworm_matches_its_shell() -> None:
    root = bookworm_rootfs()
    distro = detect_distro(DirectoryTree(root))
    assert distro == expected(sourced(root))
    assert (distro.id, distro.version_id, distro.version_codename) == ("debian", "12", "bookworm")


@pytest.mark.parametrize("version", ALPINE_VERSIONS)
def test_alpine_matches_its_shell(version: str) -> None:
    root = alpine_rootfs(version)
    distro = detect_distro(DirectoryTree(root))
    assert distro == expected(sourced(root))
    assert distro.id == "alpine"
    assert distro.version_id == (root / "etc/alpine-release").read_text().strip()


def test_fallback_release_files_of_real_targets(tmp_path: Path) -> None:
    alpine = alpine_rootfs(ALPINE_VERSIONS[-1])
    (tmp_path / "a/etc").mkdir(parents=True)
    shutil.copy(alpine / "etc/alpine-release", tmp_path / "a/etc/alpine-release")
    found = detect_distro(DirectoryTree(tmp_path / "a"))
    assert found is not None
    assert (found.id, found.version_id) == ("alpine", ALPINE_VERSIONS[-1])

    bookworm = bookworm_rootfs()
    (tmp_path / "d/etc").mkdir(parents=True)
    shutil.copy(bookworm / "etc/debian_version", tmp_path / "d/etc/debian_version")
    found = detect_distro(DirectoryTree(tmp_path / "d"))
    assert found is not None
    assert (found.id, found.version_id) == ("debian", "12")

    (tmp_path / "u/usr/lib").mkdir(parents=True)  # no /etc/os-release at all
    shutil.copy(bookworm / "usr/lib/os-release", tmp_path / "u/usr/lib/os-release")
    assert detect_distro(DirectoryTree(tmp_path / "u")) == detect_distro(DirectoryTree(bookworm))

    assert detect_distro(DirectoryTree(tmp_path / "a/etc")) is None


def test_absolute_os_release_link_stays_inside_the_target(tmp_path: Path) -> None:
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "usr/lib/os-release").write_text('ID=mariner\nVERSION_ID="2.0"\n')
    (tmp_path / "etc/os-release").symlink_to("/usr/lib/os-release")  # not the host's
    found = detect_distro(DirectoryTree(tmp_path))
    assert found is not None
    assert (found.id, found.version_id) == ("mariner", "2.0")


# Values as os-release(5) allows them: anything printable, shell specials escaped.
VALUES = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
    | st.sampled_from(list("$\\\"'` #;=\t")),
    max_size=20,
)


def encode(value: str, style: int) -> str:
    """One of the quotings the spec permits, as a distro's file would write it."""
    if style == 0:  # double quotes, with $ " \ ` escaped
        escaped = "".join("\\" + c if c in '$"\\`' else c for c in value)
        return f'"{escaped}"'
    if style == 1 and "'" not in value:  # single quotes: nothing is special inside
        return f"'{value}'"
    # unquoted, every character that is not plainly safe backslash-escaped
    return "".join(c if c.isalnum() or c in "._-" else "\\" + c for c in value)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(VALUES, st.integers(0, 2)), min_size=1, max_size=8))
@example([('a$b`c\\d"e', 0), ("it's #1", 2), ("x'y", 1), ("\u2028 \u3000", 2)])
def test_parser_agrees_with_sh(cases: list[tuple[str, int]]) -> None:
    sh = need_tool("sh")
    lines = ["# comment", ""]
    lines += [f"K{i}={encode(value, style)}" for i, (value, style) in enumerate(cases)]
    text = "\n".join(lines) + "\n"
    names = " ".join(f'"$K{i}"' for i in range(len(cases)))
    script = f". /dev/stdin; printf '%s\\0' {names}"
    out = subprocess.run([sh, "-c", script], input=text.encode(), capture_output=True, check=True)
    from_sh = out.stdout.decode().split("\0")[:-1]
    parsed = parse_os_release(text)
    assert [parsed[f"K{i}"] for i in range(len(cases))] == from_sh
    assert from_sh == [value for value, _ in cases]


def test_parser_takes_comments_and_odd_lines() -> None:
    text = 'ID=debian # a comment\nVERSION_ID="1"2\nBAD LINE\n=x\nNAME="unterminated\n'
    values = parse_os_release(text)
    assert values["ID"] == "debian"
    assert values["VERSION_ID"] == "12"  # sh concatenates the quoted and bare parts
    assert values["NAME"] == "unterminated"
    assert "" not in values

"""python-declared: requirements files against pip's own parser, lockfiles against fixtures
whose expected content is written by hand, and a real pylock.toml written by ``pip lock``
against pip's resolver report."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement

from mamori.model import Package
from mamori.sbom.build import build_sbom
from mamori.sbom.catalogers.python._common import canonical_name
from mamori.sbom.catalogers.python.requirements import parse_requirements
from mamori.sources.directory import DirectoryTree
from tests.support import need
from tests.targets import _build_once

FIXTURES = Path(__file__).parent / "fixtures" / "python"


def catalog(root: Path) -> tuple[list[Package], list[str]]:
    sbom, notices = build_sbom(DirectoryTree(root), only=["python-declared"])
    return list(sbom.packages), [f"{n.path}: {n.message}" for n in notices]


def pins(packages: list[Package]) -> set[tuple[str, str]]:
    return {(canonical_name(p.name), p.version) for p in packages}


def pip_pins(path: Path) -> set[tuple[str, str]]:
    """What pip's requirements parser reads from `path` (following -r), pinned with ==."""
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import parse_requirements as pip_parse

    out: set[tuple[str, str]] = set()
    for parsed in pip_parse(str(path), session=PipSession()):
        if parsed.constraint or parsed.is_editable:
            continue
        try:
            req = Requirement(parsed.requirement)
        except InvalidRequirement:
            continue  # a path or URL: pip installs it, but it pins no version
        # Pinned: exactly one ==/=== clause without a wildcard (other clauses may narrow it).
        exact = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
        if len(exact) == 1:
            out.add((canonical_name(req.name), exact[0].version))
    return out


def test_requirements_match_pips_parser() -> None:
    root = FIXTURES / "requirements"
    packages, _ = catalog(root)
    good = [p for p in packages if not p.locations[0].path.startswith("/broken/")]
    assert pins(good) == pip_pins(root / "requirements.txt")
    assert len(good) == 9
    # Each pin is located in the file that declares it, -r includes included.
    where = {p.name: p.locations[0].path for p in good}
    assert where["chardet"] == "/common.txt"
    assert where["pytest"] == "/dev-requirements.txt"
    assert where["Django"] == "/requirements.txt"
    meta = {p.name: p.metadata for p in good}
    assert meta["requests"]["extras"] == "socks,security"
    assert meta["requests"]["markers"] == 'python_version >= "3.6"'
    assert all(m["declared"] == "true" and m["format"] == "requirements" for m in meta.values())


def test_broken_requirements_warn_and_keep_going() -> None:
    packages, notices = catalog(FIXTURES / "requirements" / "broken")
    assert pins(packages) == {("six", "1.16.0"), ("idna", "2.7")}
    assert notices == [
        "/requirements.txt: line 2: not a requirement: "
        "'pytz==2021.1#a-hash-without-space-is-not-a-comment'",
        "/requirements.txt: line 3: not a requirement: 'this is not a requirement'",
        "/loop.txt: included file not in the tree: /etc/passwd",
        "/requirements.txt: included file not in the tree: /missing.txt",
    ]


def test_requirements_inside_site_packages_are_not_declarations(tmp_path: Path) -> None:
    inner = tmp_path / "usr/lib/python3/site-packages/somepkg"
    inner.mkdir(parents=True)
    (inner / "requirements.txt").write_text("six==1.16.0\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements-prod.txt").write_text("six==1.15.0\n")
    packages, _ = catalog(tmp_path)
    assert pins(packages) == {("six", "1.15.0")}


EXPECTED_LOCKS = {
    "poetry-1/poetry.lock": {
        ("certifi", "2021.10.8", ""),
        ("my-lib", "0.3.0", ""),
        ("pytest", "6.2.5", "true"),
        ("sphinx-rtd-theme", "1.0.0", "true"),
    },
    "poetry-2/poetry.lock": {
        ("django", "4.2.11", ""),
        ("ruff", "0.3.4", "true"),
        ("local-thing", "0.1.0", ""),
    },
    "pipenv/Pipfile.lock": {
        ("requests", "2.31.0", ""),
        ("urllib3", "2.2.1", ""),
        ("pytest", "8.1.1", "true"),
    },
    # The project (virtual) and a workspace member (editable) are not dependencies.
    "uv/uv.lock": {
        ("anyio", "4.3.0", ""),
        ("flask", "3.0.3", ""),
        ("idna", "3.6", ""),
        ("sniffio", "1.3.1", ""),
    },
    "pdm/pdm.lock": {("certifi", "2024.2.2", ""), ("pytest", "8.1.1", "")},
    "pylock/pylock.toml": {("attrs", "23.1.0", "")},
}


def test_lockfile_fixtures() -> None:
    packages, notices = catalog(FIXTURES / "locks")
    got: dict[str, set[tuple[str, str, str]]] = {}
    for p in packages:
        key = p.locations[0].path.lstrip("/")
        got.setdefault(key, set()).add(
            (canonical_name(p.name), p.version, p.metadata.get("dev", ""))
        )
        assert p.metadata["declared"] == "true"
        assert p.purl == f"pkg:pypi/{canonical_name(p.name)}@{p.version}"
    assert got == EXPECTED_LOCKS
    assert notices == ["/pipenv/Pipfile.lock: default: weird: unpinned version '*'"]
    fmt = {p.locations[0].path.split("/")[1]: p.metadata["format"] for p in packages}
    assert fmt == {
        "poetry-1": "poetry",
        "poetry-2": "poetry",
        "pipenv": "pipenv",
        "uv": "uv",
        "pdm": "pdm",
        "pylock": "pylock",
    }


def _pip_lock(d: Path) -> None:
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    reqs = ["django==3.2.0", "requests==2.19.0", "jinja2==2.10"]
    subprocess.run([*pip, "lock", "-o", str(d / "pylock.toml"), *reqs], check=True)
    subprocess.run(
        [
            *pip,
            "install",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(d / "report.json"),
            *reqs,
        ],
        check=True,
    )


@pytest.mark.slow
def test_pip_lock_output_matches_pips_resolution() -> None:
    try:
        target = _build_once("pylock-pip", _pip_lock)
    except subprocess.CalledProcessError as exc:
        need(False, f"pip lock needs PyPI: {exc}")
        raise
    report = json.loads((target / "report.json").read_text())
    expected = {
        (canonical_name(i["metadata"]["name"]), i["metadata"]["version"]) for i in report["install"]
    }
    packages, notices = catalog(target)
    assert notices == []
    assert pins(packages) == expected
    assert len(expected) >= 8


# --- differential fuzzing against pip's parser ------------------------------------------

_names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}([-_.][A-Za-z0-9]{1,3})?", fullmatch=True)
_versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)
_specs = st.sampled_from(
    ["", "==V", "===V", ">=V", "==V.*", "==V,<99", " == V", "(==V)", "~=V", "!=V"]
)
_markers = st.sampled_from(["", ' ; python_version >= "3.6"', ';sys_platform!="win32"'])
_tails = st.sampled_from(
    ["", "  # note", " --hash=sha256:" + "a" * 64, " \\\n    --hash=sha256:" + "b" * 64]
)
_others = st.sampled_from(
    ["", "# comment", "--index-url https://example.org/simple", "-i https://x.org/s", "--pre"]
)


@st.composite
def requirement_lines(draw: st.DrawFn) -> str:
    name = draw(_names)
    extras = draw(st.sampled_from(["", "[a]", "[a,b]"]))
    spec = draw(_specs).replace("V", draw(_versions))
    return name + extras + spec + draw(_markers) + draw(_tails)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(requirement_lines(), _others), max_size=12))
def test_requirements_agree_with_pip_on_generated_files(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requirements.txt"
        path.write_text(text)
        expected = pip_pins(path)
    parsed = parse_requirements(text, "/requirements.txt")
    assert {(canonical_name(e.name), e.version) for e in parsed.entries} == expected
    assert parsed.problems == []

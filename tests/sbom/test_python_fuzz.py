"""Fuzz every Python manifest parser: random and mutated inputs never raise out of a
cataloger, and unusable input is reported as a warning."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import NoticeLevel, Package
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.python import PythonDeclaredCataloger, PythonInstalledCataloger
from mamori.sbom.catalogers.python._common import LockfileError
from mamori.sbom.catalogers.python._files import installed_files_paths, record_paths
from mamori.sbom.catalogers.python._metadata import parse_core_metadata
from mamori.sbom.catalogers.python.declared import LOCKFILES
from mamori.sbom.catalogers.python.requirements import parse_requirements
from mamori.sources.directory import DirectoryTree

FIXTURES = Path(__file__).parent / "fixtures" / "python"
SEEDS = {
    "poetry.lock": (FIXTURES / "locks/poetry-2/poetry.lock").read_text(),
    "Pipfile.lock": (FIXTURES / "locks/pipenv/Pipfile.lock").read_text(),
    "uv.lock": (FIXTURES / "locks/uv/uv.lock").read_text(),
    "pdm.lock": (FIXTURES / "locks/pdm/pdm.lock").read_text(),
    "pylock.toml": (FIXTURES / "locks/pylock/pylock.toml").read_text(),
    "requirements.txt": (FIXTURES / "requirements/requirements.txt").read_text(),
    "METADATA": (
        FIXTURES / "site/lib/python3.11/site-packages/Example_Pkg-1.0.dist-info/METADATA"
    ).read_text(),
}
# MAMORI_FUZZ_EXAMPLES raises the example count for a long local fuzzing run.
FUZZ = settings(
    max_examples=int(os.environ.get("MAMORI_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> str:
    """The seed with a few random cuts, insertions and duplications."""
    text = seed
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        op = draw(st.sampled_from(["cut", "insert", "dup", "swap"]))
        if op == "cut":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.text(max_size=20)) + text[i:]
        elif op == "dup":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + text[j:] + text[i:j]
    return text


def run(cataloger: object, files: dict[str, bytes]) -> tuple[list[Package], CatalogContext]:
    """Write `files` into a fresh tree and run the cataloger over them."""
    with tempfile.TemporaryDirectory() as tmp:
        for rel, data in files.items():
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        ctx = CatalogContext(tree=DirectoryTree(Path(tmp)))
        paths: Sequence[str] = ["/" + rel for rel in files]
        found = list(cataloger.catalog(ctx, paths))  # type: ignore[attr-defined]
    assert all(n.level is NoticeLevel.WARNING for n in ctx.notices)
    return found, ctx


lockfile_inputs = st.sampled_from(sorted(LOCKFILES)).flatmap(
    lambda name: st.tuples(
        st.just(name),
        st.one_of(st.text(max_size=300), mutated(SEEDS.get(name, SEEDS["poetry.lock"]))),
    )
)


@FUZZ
@given(lockfile_inputs)
def test_lockfile_parsers_raise_only_lockfile_error(case: tuple[str, str]) -> None:
    name, text = case
    _, parse = LOCKFILES[name]
    problems: list[str] = []
    try:
        entries = parse(text, problems)
    except LockfileError:
        return
    assert all(e.name and e.version for e in entries)


@FUZZ
@given(lockfile_inputs)
def test_declared_cataloger_never_raises(case: tuple[str, str]) -> None:
    name, text = case
    found, _ = run(PythonDeclaredCataloger(), {f"app/{name}": text.encode("utf-8", "replace")})
    assert all(p.metadata["declared"] == "true" for p in found)


@FUZZ
@given(st.one_of(st.text(max_size=400), mutated(SEEDS["requirements.txt"])))
def test_requirements_parser_never_raises(text: str) -> None:
    parsed = parse_requirements(text, "/app/requirements.txt")
    assert all(include.startswith("/") for include in parsed.includes)
    found, _ = run(PythonDeclaredCataloger(), {"app/requirements.txt": text.encode()})
    assert len(found) <= len(parsed.entries)


@FUZZ
@given(st.one_of(st.binary(max_size=400), mutated(SEEDS["METADATA"]).map(str.encode)))
def test_installed_cataloger_never_raises(data: bytes) -> None:
    try:
        parse_core_metadata(data)
        usable = True
    except LockfileError:
        usable = False
    found, ctx = run(PythonInstalledCataloger(), {"site/x-1.dist-info/METADATA": data})
    assert len(found) == (1 if usable else 0)
    assert len(ctx.notices) == (0 if usable else 1)


@FUZZ
@given(st.text(max_size=400))
def test_file_lists_always_give_in_tree_paths(text: str) -> None:
    for path in [*record_paths(text, "/usr/lib/site"), *installed_files_paths(text, "/a/b")]:
        assert path.startswith("/") and "/../" not in path and "\x00" not in path


def test_unreadable_lockfile_is_a_warning() -> None:
    found, ctx = run(PythonDeclaredCataloger(), {"uv.lock": b"[[package]\nname="})
    assert found == []
    assert [n.message.split(":")[0] for n in ctx.notices] == ["skipped uv lockfile"]

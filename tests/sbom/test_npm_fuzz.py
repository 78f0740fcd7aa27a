"""Fuzz every npm manifest parser: random and mutated inputs never raise out of a
cataloger, and unusable input is reported as a warning."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import NoticeLevel, Package
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.npm import NpmDeclaredCataloger, NpmInstalledCataloger
from mamori.sbom.catalogers.npm._common import LockfileError, is_semver, licenses_of, valid_name
from mamori.sbom.catalogers.npm.lock import LOCKFILES
from mamori.sources.directory import DirectoryTree
from tests.sbom.test_python_fuzz import mutated

LOCKS = Path(__file__).parent / "fixtures" / "npm" / "locks"
SEEDS = {
    "package-lock.json": [
        (LOCKS / "lock-v1/package-lock.json").read_text(),
        (LOCKS / "lock-v2/package-lock.json").read_text(),
    ],
    "yarn.lock": [
        (LOCKS / "yarn-v1/yarn.lock").read_text(),
        (LOCKS / "yarn-berry/yarn.lock").read_text(),
    ],
    "pnpm-lock.yaml": [
        (LOCKS / "pnpm-v5/pnpm-lock.yaml").read_text(),
        (LOCKS / "pnpm-v9/pnpm-lock.yaml").read_text(),
    ],
}
SEEDS["npm-shrinkwrap.json"] = SEEDS["package-lock.json"]
# MAMORI_FUZZ_EXAMPLES raises the example count for a long local fuzzing run.
FUZZ = settings(
    max_examples=int(os.environ.get("MAMORI_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def run(cataloger: object, files: dict[str, bytes]) -> tuple[list[Package], CatalogContext]:
    with tempfile.TemporaryDirectory() as tmp:
        for rel, data in files.items():
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        ctx = CatalogContext(tree=DirectoryTree(Path(tmp)))
        found = list(cataloger.catalog(ctx, ["/" + rel for rel in files]))  # type: ignore[attr-defined]
    assert all(n.level is NoticeLevel.WARNING for n in ctx.notices)
    return found, ctx


lockfile_inputs = st.sampled_from(sorted(LOCKFILES)).flatmap(
    lambda name: st.tuples(
        st.just(name),
        st.one_of(
            st.text(max_size=300),
            st.sampled_from(SEEDS[name]).flatmap(mutated),
        ),
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
    assert all(valid_name(e.name) and is_semver(e.version) for e in entries)


@FUZZ
@given(lockfile_inputs)
def test_declared_cataloger_never_raises(case: tuple[str, str]) -> None:
    name, text = case
    found, _ = run(NpmDeclaredCataloger(), {f"app/{name}": text.encode("utf-8", "replace")})
    assert len({(p.name, p.version) for p in found}) == len(found)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
package_docs = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.sampled_from(["a", "@s/a", "A_b.c"]), st.text(max_size=8)),
        "version": st.one_of(st.sampled_from(["1.0.0", "2.0.0-rc.1"]), json_values),
        "license": json_values,
        "licenses": json_values,
        "private": json_values,
    },
)


@FUZZ
@given(st.one_of(package_docs.map(json.dumps), st.text(max_size=200)))
def test_installed_cataloger_never_raises(text: str) -> None:
    found, ctx = run(NpmInstalledCataloger(), {"node_modules/x/package.json": text.encode()})
    assert len(found) + len(ctx.notices) <= 1
    for pkg in found:
        assert all(isinstance(lic, str) and lic for lic in pkg.licenses)


@FUZZ
@given(st.dictionaries(st.sampled_from(["license", "licenses", "other"]), json_values))
def test_licence_forms_never_raise(doc: dict[str, object]) -> None:
    assert all(isinstance(lic, str) for lic in licenses_of(doc))


def test_unreadable_lockfile_is_a_warning() -> None:
    found, ctx = run(NpmDeclaredCataloger(), {"pnpm-lock.yaml": b"packages: [\n"})
    assert found == []
    assert [n.message.split(":")[0] for n in ctx.notices] == ["skipped pnpm lockfile"]

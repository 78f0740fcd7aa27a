"""go.mod / go.sum cataloging, checked against the Go toolchain's own go.mod parser."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import PackageType
from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.golang.gomod import GoModCataloger, parse_gomod
from mamori.sources.directory import DirectoryTree
from tests.support import need_tool

FIXTURES = Path(__file__).parent / "fixtures" / "golang"


def _go_mod_edit_json(gomod: Path, tmp_path: Path) -> dict[str, object]:
    """`go mod edit -json`: the toolchain's parse of a go.mod (offline, no network)."""
    need_tool("go")
    work = tmp_path / gomod.parent.name
    work.mkdir()
    shutil.copy(gomod, work / "go.mod")
    out = subprocess.run(
        ["go", "mod", "edit", "-json"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GOFLAGS": "", "GOPROXY": "off"},
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_parse_agrees_with_go_mod_edit(tmp_path: Path) -> None:
    for name in ("project", "oldstyle"):
        gomod = FIXTURES / name / "go.mod"
        oracle = _go_mod_edit_json(gomod, tmp_path)
        mine = parse_gomod(gomod.read_text())
        assert mine.problems == []
        assert mine.module == oracle["Module"]["Path"]  # type: ignore[index]
        want_req = [
            (r["Path"], r["Version"], bool(r.get("Indirect")))
            for r in oracle.get("Require") or []  # type: ignore[attr-defined]
        ]
        assert [(r.path, r.version, r.indirect) for r in mine.require] == want_req
        want_repl = {
            (r["Old"]["Path"], r["Old"].get("Version", "")): (
                r["New"]["Path"],
                r["New"].get("Version", ""),
            )
            for r in oracle.get("Replace") or []  # type: ignore[attr-defined]
        }
        assert mine.replace == want_repl
        want_excl = {(e["Path"], e["Version"]) for e in oracle.get("Exclude") or []}  # type: ignore[attr-defined]
        assert mine.exclude == want_excl


def test_catalog_applies_replace_exclude_and_go_sum() -> None:
    ctx = CatalogContext(tree=DirectoryTree(FIXTURES))
    pkgs = list(GoModCataloger().catalog(ctx, ["/project/go.mod"]))
    assert ctx.notices == []
    got = {(p.name, p.version) for p in pkgs}
    # The fixture's requirements after its directives (facts of the file, by hand):
    assert got == {
        ("github.com/spf13/cobra", "v1.8.0"),
        ("golang.org/x/net", "v0.23.0"),  # version-specific replace
        ("gopkg.in/yaml.v3", "v3.0.1"),  # quoted path
        ("github.com/sirupsen/logrus", "v1.9.3"),  # v1.8.0 excluded, not this one
        ("github.com/gogo/protobuf", "v1.3.3"),  # path-wide replace
        ("github.com/docker/docker", "v24.0.7+incompatible"),
        ("github.com/pkg/errors", "v0.9.1"),
        ("github.com/google/uuid", "v1.3.0"),
        ("github.com/example/internal", ""),  # replaced by ./internal: no version
    }  # golang.org/x/crypto v0.14.0 is excluded
    by_name = {p.name: p for p in pkgs}
    assert by_name["golang.org/x/net"].metadata["replaces"] == "golang.org/x/net@v0.17.0"
    assert by_name["golang.org/x/net"].metadata["indirect"] == "true"
    assert by_name["github.com/example/internal"].metadata["replaced_by_path"] == "./internal"
    assert by_name["github.com/pkg/errors"].metadata["h1_digest"].startswith("h1:FEBLx1")
    assert by_name["github.com/gogo/protobuf"].metadata["h1_digest"].startswith("h1:b56qQc")
    assert "h1_digest" not in by_name["github.com/example/internal"].metadata  # a directory
    assert by_name["gopkg.in/yaml.v3"].purl == "pkg:golang/gopkg.in/yaml.v3@v3.0.1"
    assert all(p.type is PackageType.GOLANG for p in pkgs)
    assert all(p.locations[0].path == "/project/go.mod" for p in pkgs)


def test_modern_directives_and_raw_strings() -> None:
    mod = parse_gomod((FIXTURES / "modern" / "go.mod").read_text())
    assert mod.problems == []
    assert (mod.go, mod.toolchain) == ("1.23.0", "go1.23.4")
    assert [(r.path, r.version, r.indirect) for r in mod.require] == [
        ("github.com/google/go-cmp", "v0.6.0", False),
        ("golang.org/x/text", "v0.14.0", True),
    ]


def test_registered_and_found_by_build_sbom() -> None:
    sbom, notices = build_sbom(DirectoryTree(FIXTURES), only=["go-mod"])
    assert {p.locations[0].path for p in sbom.packages} == {
        "/project/go.mod",
        "/oldstyle/go.mod",
        "/modern/go.mod",
    }
    assert ("github.com/grpc/grpc-go", "v1.16.1") in {(p.name, p.version) for p in sbom.packages}
    assert notices == []


def test_malformed_lines_warn_and_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(
        'module x\nrequire (\n\ta v1\n\t"unterminated v2\n\tb\n)\nreplace c => \nrequire d v1.0.0\n'
    )
    ctx = CatalogContext(tree=DirectoryTree(tmp_path))
    pkgs = list(GoModCataloger().catalog(ctx, ["/go.mod"]))
    assert {(p.name, p.version) for p in pkgs} == {("a", "v1"), ("d", "v1.0.0")}
    assert len(ctx.notices) == 3


_GOMOD_WORDS = st.sampled_from(
    ["module", "require", "replace", "exclude", "retract", "(", ")", "=>", "//", "indirect"]
)
_GOMOD_LINE = st.lists(
    st.one_of(_GOMOD_WORDS, st.text(max_size=12), st.just('"'), st.just("`")), max_size=6
).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_GOMOD_LINE, max_size=30), gosum=st.text(max_size=300))
def test_fuzz_gomod_never_raises(lines: list[str], gosum: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "go.mod").write_text("\n".join(lines), encoding="utf-8", errors="replace")
        (root / "go.sum").write_text(gosum, encoding="utf-8", errors="replace")
        ctx = CatalogContext(tree=DirectoryTree(root))
        for pkg in GoModCataloger().catalog(ctx, ["/go.mod"]):
            assert pkg.purl.startswith("pkg:golang/")

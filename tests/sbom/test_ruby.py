"""Ruby: installed gemspecs checked against RubyGems itself (`gem list --local` and
`Gem::Specification.load`), Gemfile.lock against Bundler's own LockfileParser."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext, compile_patterns
from mamori.sbom.catalogers.ruby.gemfile_lock import GemfileLockCataloger
from mamori.sbom.catalogers.ruby.gemspec import GemspecCataloger, parse_gemspec
from mamori.sources.directory import DirectoryTree
from tests.support import need, need_tool

FIXTURES = Path(__file__).parent / "fixtures" / "ruby"
HOST_SPEC_DIRS = (
    "/usr/lib/ruby/gems/*/specifications",
    "/usr/share/rubygems-integration/*/specifications",
    "/usr/lib/*/rubygems-integration/*/specifications",
    "/usr/lib/*/ruby/gems/*/specifications",
    "/var/lib/gems/*/specifications",
)

_LOAD_SPECS = (
    "ARGV.each { |f| s = Gem::Specification.load(f); "
    'puts [f, s.name, s.version, s.platform, s.licenses.join(",")].join("\\t") }'
)


def host_gemspecs() -> list[str]:
    paths: list[str] = []
    for pattern in HOST_SPEC_DIRS:
        for d in glob.glob(pattern):
            paths += glob.glob(f"{d}/*.gemspec") + glob.glob(f"{d}/default/*.gemspec")
    return sorted(paths)


def gem_list_local() -> set[tuple[str, str]]:
    """(name, version) pairs from `gem list --local`: "rake (13.0.6, default: 13.0.3)"."""
    gem = need_tool("gem")
    out = subprocess.run([gem, "list", "--local"], check=True, capture_output=True, text=True)
    pairs = set()
    for line in out.stdout.splitlines():
        m = re.match(r"(\S+) \((.*)\)$", line)
        if m:
            for version in m.group(2).split(", "):
                pairs.add((m.group(1), version.removeprefix("default: ").split(" ")[0]))
    return pairs


def test_host_gems_agree_with_gem_list() -> None:
    paths = host_gemspecs()
    need(bool(paths), "no Ruby installation with gem specifications on this host")
    ctx = CatalogContext(tree=DirectoryTree(Path("/")))
    pkgs = list(GemspecCataloger().catalog(ctx, paths))
    assert ctx.notices == []
    mine = {(p.name, p.version) for p in pkgs}
    oracle = gem_list_local()
    assert mine == oracle, (sorted(mine - oracle), sorted(oracle - mine))
    # build_sbom would hand the cataloger exactly these files:
    rx = compile_patterns(GemspecCataloger.patterns)
    assert all(rx.match(p) for p in paths)


def test_each_gemspec_agrees_with_rubygems() -> None:
    """name, version, platform, licenses of every host and fixture gemspec."""
    ruby = need_tool("ruby")
    files = host_gemspecs() + sorted(str(p) for p in FIXTURES.rglob("*.gemspec"))
    out = subprocess.run(
        [ruby, "-e", _LOAD_SPECS, *files], check=True, capture_output=True, text=True
    ).stdout
    oracle = {}
    for line in out.splitlines():
        f, name, version, platform, licenses = line.split("\t")
        oracle[f] = (name, version, platform, tuple(x for x in licenses.split(",") if x))
    assert len(oracle) == len(files)
    for f in files:
        spec = parse_gemspec(Path(f).read_text())
        assert spec is not None, f
        assert (spec.name, spec.version, spec.platform or "ruby", spec.licenses) == oracle[f], f


def test_fixture_gems_through_build_sbom() -> None:
    sbom, notices = build_sbom(DirectoryTree(FIXTURES), only=["ruby-gemspec"])
    assert notices == []
    by = {p.name: p for p in sbom.packages}
    assert set(by) == {"rack", "nokogiri", "json"}
    assert by["nokogiri"].purl == "pkg:gem/nokogiri@1.13.10?platform=x86_64-linux"
    assert by["nokogiri"].licenses == ("MIT", "LGPL-2.1-or-later")
    assert by["json"].metadata["default_gem"] == "true"
    assert by["rack"].purl == "pkg:gem/rack@1.1.0"


def bundler_specs(lockfile: Path) -> set[tuple[str, str, str]]:
    """(name, version, platform) from Bundler::LockfileParser."""
    ruby = need_tool("ruby")
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(lockfile, Path(d) / "Gemfile.lock")
        (Path(d) / "Gemfile").write_text("")
        out = subprocess.run(
            [
                ruby,
                "-rbundler",
                "-e",
                "p = Bundler::LockfileParser.new(Bundler.read_file(ARGV[0])); "
                'p.specs.each { |s| puts [s.name, s.version, s.platform].join("\\t") }',
                "Gemfile.lock",
            ],
            cwd=d,
            env={"PATH": "/usr/bin:/bin", "HOME": d, "BUNDLE_GEMFILE": f"{d}/Gemfile"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return {tuple(line.split("\t")) for line in out.splitlines()}  # type: ignore[misc]


def test_gemfile_lock_agrees_with_bundler() -> None:
    lockfile = FIXTURES / "app" / "Gemfile.lock"
    oracle = bundler_specs(lockfile)
    assert len(oracle) == 15
    sbom, notices = build_sbom(DirectoryTree(FIXTURES), only=["ruby-gemfile-lock"])
    assert notices == []
    mine = {(p.name, p.version, p.metadata.get("platform", "ruby")) for p in sbom.packages}
    assert mine == oracle
    by = {(p.name, p.metadata.get("platform", "")): p for p in sbom.packages}
    assert by[("nokogiri", "x86_64-linux")].purl == (
        "pkg:gem/nokogiri@1.13.10?platform=x86_64-linux"
    )
    assert by[("rails-html-sanitizer", "")].metadata["source"] == "git"
    assert by[("billing", "")].metadata["source"] == "path"
    assert by[("crass", "")].metadata["remote"] == "https://rubygems.org/"


_RUBYISH = st.lists(
    st.sampled_from(
        [
            's.name = "x".freeze',
            "s.version = %q{1.0}",
            "s.licenses = [",
            's.license = "MIT"',
            "# stub: a 1 ruby lib",
            "GEM",
            "  specs:",
            "    foo (1.0-x86_64-linux)",
            "    bar ()",
            "PLATFORMS",
            '"',
            "%q{",
        ]
    )
    | st.text(max_size=20),
    max_size=20,
).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_RUBYISH)
def test_fuzz_ruby_parsers_never_raise(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "specifications").mkdir()
        (root / "specifications" / "x-1.gemspec").write_text(text, errors="replace")
        (root / "Gemfile.lock").write_text(text, errors="replace")
        ctx = CatalogContext(tree=DirectoryTree(root))
        found = [
            *GemspecCataloger().catalog(ctx, ["/specifications/x-1.gemspec"]),
            *GemfileLockCataloger().catalog(ctx, ["/Gemfile.lock"]),
        ]
        assert all(p.purl.startswith("pkg:gem/") for p in found)


def test_pathological_gemspec_is_fast() -> None:
    """Regexes stay linear on long lines of quotes and backslashes."""
    import time

    text = 's.name = "' + "\\" * 200_000 + '\ns.version = "' + '"' * 200_000
    started = time.monotonic()
    parse_gemspec(text)
    assert time.monotonic() - started < 1.0

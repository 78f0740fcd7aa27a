"""Fuzzing the ignore-file parser and rule matching: clear errors, never a crash."""

from __future__ import annotations

import json
import random
import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import VulnerabilityMatch
from mamori.vuln.suppress import (
    SuppressionError,
    apply_ignores,
    parse_ignore_file,
    path_matches,
    purl_matches,
)
from tests.support import CACHE, need_tool

FIXTURE = (Path(__file__).parent / "fixtures" / "ignore" / "mamori-ignore.yaml").read_text()
NOW = datetime(2025, 5, 1, tzinfo=UTC)
KEYS = [
    "vulnerabilities",
    "id",
    "reason",
    "statement",
    "expires",
    "expired_at",
    "purls",
    "package",
    "name",
    "version",
    "type",
    "paths",
    "misconfigurations",
]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.dates(),
    st.datetimes(),
    st.text(max_size=30),
    st.sampled_from(["CVE-2024-1", "pkg:deb/debian/curl", "pkg:", "pypi", "2024-01-01", "**"]),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=25,
)
MATCHES = [
    VulnerabilityMatch(
        package_id="p1",
        package_name="curl",
        package_version="7.88.1-10",
        package_type="deb",
        purl="pkg:deb/debian/curl@7.88.1-10?arch=amd64",
        vulnerability_id="CVE-2024-1",
        aliases=("GHSA-aaaa-bbbb-cccc",),
        locations=("/var/lib/dpkg/status",),
    ),
    VulnerabilityMatch(
        package_id="p2",
        package_name="Django",
        package_version="3.2.0",
        package_type="pypi",
        purl="pkg:pypi/django@3.2.0",
        vulnerability_id="CVE-2023-44487",
        locations=("/usr/lib/python3/site-packages/Django-3.2.0.dist-info/METADATA",),
    ),
]


def check(text: str) -> None:
    try:
        loaded = parse_ignore_file(text, "fuzz.yaml")
    except SuppressionError as exc:
        assert exc.problems and all(p.startswith("fuzz.yaml") for p in exc.problems)
        return
    kept, ignored, notices = apply_ignores(MATCHES, loaded.rules, NOW)
    assert len(kept) + len(ignored) == len(MATCHES)
    assert all(s.reason.strip() for s in ignored)
    assert len(notices) <= len(loaded.rules)


def _dump(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=False, allow_unicode=True)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    check(text)


@FUZZ
@given(trees)
def test_arbitrary_yaml_structures(tree: Any) -> None:
    check(_dump(tree))
    check(_dump({"vulnerabilities": tree}))
    check(_dump({"vulnerabilities": [tree]}))


entries = st.fixed_dictionaries(
    {"id": st.sampled_from(["CVE-2024-1", "ghsa-aaaa-bbbb-cccc", "CVE-2023-44487", "x"])},
    optional={
        "reason": st.text(max_size=20),
        "expires": st.one_of(st.dates(), st.datetimes(), st.text(max_size=12)),
        "purls": st.lists(
            st.sampled_from(["pkg:deb/debian/curl", "pkg:pypi/Django@3.2.0", "junk"])
        ),
        "package": st.fixed_dictionaries(
            {},
            optional={"name": st.text(max_size=8), "type": st.sampled_from(["deb", "pypi", "x"])},
        ),
        "paths": st.lists(st.text(alphabet="ab/*?.", max_size=12), max_size=3),
    },
)


@FUZZ
@given(st.lists(entries, max_size=6))
def test_nearly_valid_files(rules: list[dict[str, Any]]) -> None:
    check(_dump({"vulnerabilities": rules}))


@FUZZ
@given(st.data())
def test_mutated_fixture(data: st.DataObject) -> None:
    text = FIXTURE
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 12))
        insert = data.draw(st.text(alphabet=" -:&*!|>[]{}\n\t'\"#%@abc1", max_size=6))
        text = text[:at] + insert + text[at + cut :]
    check(text)


@FUZZ
@given(st.text(max_size=60), st.text(max_size=60))
def test_purl_matching_never_raises(pattern: str, candidate: str) -> None:
    purl_matches(pattern, candidate)
    purl_matches("pkg:" + pattern, "pkg:" + candidate)


def test_dates_as_yaml_writes_them() -> None:
    loaded = parse_ignore_file(
        _dump({"vulnerabilities": [{"id": "CVE-1", "reason": "r", "expires": date(2030, 1, 2)}]})
    )
    assert loaded.rules[0].expires == datetime(2030, 1, 2, tzinfo=UTC)


GO_MATCH = """package main

import (
	"encoding/json"
	"os"
	"path"
)

func main() {
	var pairs [][2]string
	if err := json.NewDecoder(os.Stdin).Decode(&pairs); err != nil {
		panic(err)
	}
	out := make([]bool, len(pairs))
	for i, p := range pairs {
		ok, err := path.Match(p[0], p[1])
		if err != nil {
			panic(err)
		}
		out[i] = ok
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
"""


def test_single_star_globs_agree_with_go_path_match(tmp_path: Path) -> None:
    """Without `**`, the glob language is Go's path.Match (Trivy's): checked against Go."""
    go = need_tool("go")
    rng = random.Random(20250501)

    def instance(pattern: str) -> str:
        """A name built from the pattern; wildcards filled sometimes with a '/'."""
        fill = {
            "*": lambda: "".join(rng.choices("ab./", k=rng.randint(0, 3))),
            "?": lambda: rng.choice("ab./"),
        }
        return "".join(fill[c]() if c in fill else c for c in pattern)

    patterns = [
        re.sub(r"\*+", "*", "".join(rng.choices("ab/.*?", k=rng.randint(1, 8)))) for _ in range(600)
    ]
    cases = [
        (p, instance(p) if i % 2 else "".join(rng.choices("ab/.", k=rng.randint(0, 8))))
        for i, p in enumerate(patterns)
    ]
    cases += [("a/*/b", "a/x/b"), ("a/*", "a/b/c"), ("*.a", ".a"), ("a?b", "a/b"), ("?", "")]
    source = tmp_path / "match.go"
    source.write_text(GO_MATCH)
    env = {
        "GOCACHE": str(CACHE / "go-build"),
        "GOFLAGS": "-mod=mod",
        "GO111MODULE": "off",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [go, "run", str(source)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    oracle = json.loads(result.stdout)
    ours = [
        path_matches(p, n) if not n.startswith("/") and not p.startswith("/") else None
        for p, n in cases
    ]
    differ = [
        (c, o) for c, o, m in zip(cases, oracle, ours, strict=True) if m is not None and o != m
    ]
    assert not differ, differ[:10]
    compared = [o for o, m in zip(oracle, ours, strict=True) if m is not None]
    assert len(compared) > 300 and 20 < sum(compared) < len(compared) - 20

"""pom.xml cataloging: declared dependencies with versions, properties resolved, hostile
XML (entity expansion, external entities) refused with a warning."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.java.pom import PomCataloger
from mamori.sources.directory import DirectoryTree

FIXTURES = Path(__file__).parent / "fixtures" / "java"


def test_dependencies_with_resolved_versions() -> None:
    sbom, notices = build_sbom(DirectoryTree(FIXTURES), only=["java-pom"])
    assert notices == []
    got = {(p.locations[0].path, p.purl, p.metadata.get("scope", "")) for p in sbom.packages}
    app, plain = "/app/pom.xml", "/nons/pom.xml"
    # Facts of the fixtures: the BOM import in <dependencyManagement> is not a dependency;
    # spring-boot-starter-web (version from the BOM), snakeyaml (undefined property) and
    # h2 (a version range) name no version this file can know.
    assert got == {
        (app, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", ""),
        (app, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.0", ""),
        (app, "pkg:maven/com.example.platform/orders-api@3.4.1", ""),  # parent coordinates
        (app, "pkg:maven/junit/junit@4.12", "test"),
        (plain, "pkg:maven/commons-io/commons-io@2.6", ""),
    }


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<project><dependencies><dependency><groupId>g</groupId><artifactId>&lol9;</artifactId>
<version>1</version></dependency></dependencies></project>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<project><dependencies><dependency><groupId>g</groupId><artifactId>&xxe;</artifactId>
<version>1</version></dependency></dependencies></project>
"""


def test_entity_attacks_are_refused(tmp_path: Path) -> None:
    for name, text in (("laughs", BILLION_LAUGHS), ("xxe", EXTERNAL)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pom.xml").write_text(text)
    ctx = CatalogContext(tree=DirectoryTree(tmp_path))
    started = time.monotonic()
    pkgs = list(PomCataloger().catalog(ctx, ["/laughs/pom.xml", "/xxe/pom.xml"]))
    assert time.monotonic() - started < 1.0
    assert pkgs == []
    assert [n.path for n in ctx.notices] == ["/laughs/pom.xml", "/xxe/pom.xml"]
    assert all("DTD" in n.message for n in ctx.notices)


def test_self_referencing_properties_terminate(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(
        "<project><properties><a>${b}</a><b>${a}${a}</b></properties><dependencies>"
        "<dependency><groupId>g</groupId><artifactId>x</artifactId><version>${a}</version>"
        "</dependency></dependencies></project>"
    )
    ctx = CatalogContext(tree=DirectoryTree(tmp_path))
    assert list(PomCataloger().catalog(ctx, ["/pom.xml"])) == []


_XMLISH = st.lists(
    st.sampled_from(
        [
            "<project>",
            "</project>",
            "<dependencies>",
            "</dependencies>",
            "<dependency>",
            "</dependency>",
            "<groupId>g</groupId>",
            "<artifactId>a</artifactId>",
            "<version>${v}</version>",
            "<version>1</version>",
            "<properties><v>2</v></properties>",
            "<!DOCTYPE x>",
            "&amp;",
            "<",
            "${",
            "]]>",
        ]
    )
    | st.text(max_size=8),
    max_size=25,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_XMLISH)
def test_fuzz_pom_never_raises(text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        Path(d, "pom.xml").write_text(text, errors="replace")
        ctx = CatalogContext(tree=DirectoryTree(Path(d)))
        for pkg in PomCataloger().catalog(ctx, ["/pom.xml"]):
            assert pkg.purl.startswith("pkg:maven/")

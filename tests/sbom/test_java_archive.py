"""Java archives: Debian's real log4j2 and jackson-databind jars, checked against
`unzip -p JAR 'META-INF/maven/*/*/pom.properties'`, and a war built here around them with
nested and doubly nested jars."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from mamori.model import PackageType
from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.java._identify import (
    from_manifest_and_name,
    parse_filename,
    parse_manifest,
)
from mamori.sbom.catalogers.java.archive import JavaArchiveCataloger
from mamori.sources.directory import DirectoryTree
from tests.support import need_tool
from tests.targets import java_jars

Coords = tuple[str, str, str]


def unzip_pom_properties(jar: Path) -> set[Coords]:
    """(groupId, artifactId, version) of each pom.properties, read with Info-ZIP unzip."""
    unzip = need_tool("unzip")
    names = subprocess.run(
        [unzip, "-Z1", str(jar)], check=True, capture_output=True, text=True
    ).stdout.split()
    out: set[Coords] = set()
    for name in names:
        if name.startswith("META-INF/maven/") and name.endswith("/pom.properties"):
            text = subprocess.run(
                [unzip, "-p", str(jar), name], check=True, capture_output=True, text=True
            ).stdout
            kv = dict(
                line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#"
            )
            out.add((kv["groupId"].strip(), kv["artifactId"].strip(), kv["version"].strip()))
    return out


def _coords(pkgs: list) -> set[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    return {
        (p.locations[0].path, p.metadata["group_id"], p.metadata["artifact_id"], p.version)
        for p in pkgs
    }


@pytest.fixture(scope="module")
def jars_root() -> Path:
    return java_jars()


def test_real_jars_agree_with_unzip(jars_root: Path) -> None:
    jars = sorted(p for p in (jars_root / "usr/share/java").glob("*.jar") if not p.is_symlink())
    assert len(jars) >= 10
    expected = {
        ("/" + str(jar.relative_to(jars_root)), *coords)
        for jar in jars
        for coords in unzip_pom_properties(jar)
    }
    sbom, notices = build_sbom(DirectoryTree(jars_root), only=["java-archive"])
    assert notices == []
    # maven-repo/ and the versioned names are symlinks to these files: each jar once.
    assert _coords(list(sbom.packages)) == expected
    core = next(p for p in sbom.packages if p.name == "log4j-core")
    assert core.purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0"
    assert core.type is PackageType.MAVEN
    assert core.metadata["identified_by"] == "pom.properties"


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _pom(group: str, artifact: str, version: str) -> dict[str, bytes]:
    path = f"META-INF/maven/{group}/{artifact}/pom.properties"
    return {path: f"groupId={group}\nartifactId={artifact}\nversion={version}\n".encode()}


def test_nested_war_locations(jars_root: Path, tmp_path: Path) -> None:
    lib = jars_root / "usr/share/java"
    core, api, databind = (
        lib / "log4j-core.jar",
        lib / "log4j-api.jar",
        lib / "jackson-databind.jar",
    )
    fat = _zip(
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\nStart-Class: app.Main\r\n",
            "BOOT-INF/lib/log4j-api-2.19.0.jar": api.read_bytes(),
        },
        zipfile.ZIP_STORED,  # Spring Boot stores nested jars
    )
    shaded = _zip(
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\nImplementation-Version: 3.1\n",
            **_pom("org.apache.logging.log4j", "log4j-jcl", "2.19.0"),
            **_pom("commons-logging", "commons-logging", "1.2"),
        }
    )
    war = _zip(
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n",
            "WEB-INF/web.xml": b"<web-app/>",
            "WEB-INF/lib/log4j-core.jar": core.read_bytes(),
            "WEB-INF/lib/jackson-databind-2.14.0.jar": databind.read_bytes(),
            "WEB-INF/lib/boot-app.jar": fat,
            "WEB-INF/lib/shaded-app-3.1.jar": shaded,
            "WEB-INF/lib/commons-lang-2.6.jar": _zip({"META-INF/MANIFEST.MF": b""}),
        }
    )
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "outer.war").write_bytes(war)
    need_tool("jar")  # Java's own tool lists the nested entries we built
    listing = subprocess.run(
        ["jar", "tf", str(tmp_path / "srv" / "outer.war")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "WEB-INF/lib/boot-app.jar" in listing.split()
    sbom, notices = build_sbom(DirectoryTree(tmp_path), only=["java-archive"])
    assert notices == []
    got = _coords(list(sbom.packages))
    outer = "/srv/outer.war"
    expected = {(f"{outer}:WEB-INF/lib/log4j-core.jar", *c) for c in unzip_pom_properties(core)}
    expected |= {
        (f"{outer}:WEB-INF/lib/jackson-databind-2.14.0.jar", *c)
        for c in unzip_pom_properties(databind)
    }
    expected |= {
        (f"{outer}:WEB-INF/lib/boot-app.jar:BOOT-INF/lib/log4j-api-2.19.0.jar", *c)
        for c in unzip_pom_properties(api)
    }
    shaded_at = f"{outer}:WEB-INF/lib/shaded-app-3.1.jar"
    expected |= {
        (shaded_at, "shaded-app", "shaded-app", "3.1"),  # the shaded jar itself, by name
        (shaded_at, "org.apache.logging.log4j", "log4j-jcl", "2.19.0"),
        (shaded_at, "commons-logging", "commons-logging", "1.2"),
        (f"{outer}:WEB-INF/lib/commons-lang-2.6.jar", "commons-lang", "commons-lang", "2.6"),
    }
    assert got == expected
    by_where = {p.locations[0].path: p for p in sbom.packages}
    assert by_where[f"{outer}:WEB-INF/lib/commons-lang-2.6.jar"].metadata["identified_by"] == (
        "filename"
    )


def test_manifest_only_identity_and_jenkins_plugin(tmp_path: Path) -> None:
    (tmp_path / "git.hpi").write_bytes(
        _zip(
            {
                "META-INF/MANIFEST.MF": (
                    b"Manifest-Version: 1.0\nShort-Name: git\nGroup-Id: org.jenkins-ci.plugins\n"
                    b"Plugin-Version: 4.11.0\nLong-Name: Jenkins Git plugin\n"
                )
            }
        )
    )
    (tmp_path / "bundle.jar").write_bytes(
        _zip(
            {
                "META-INF/MANIFEST.MF": (
                    b"Manifest-Version: 1.0\r\n"
                    b"Bundle-SymbolicName: org.example.widget;singleton:=\r\n true\r\n"
                    b"Bundle-Version: 5.0.2\r\nImplementation-Title: Widget Library\r\n"
                )
            }
        )
    )
    ctx = CatalogContext(tree=DirectoryTree(tmp_path))
    pkgs = {p.purl for p in JavaArchiveCataloger().catalog(ctx, ["/git.hpi", "/bundle.jar"])}
    assert pkgs == {
        "pkg:maven/org.jenkins-ci.plugins/git@4.11.0",
        "pkg:maven/org.example.widget/bundle@5.0.2",  # group: the symbolic name
    }


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("log4j-core-2.14.1.jar", ("log4j-core", "2.14.1")),
        ("log4j-1.2-api-2.19.0.jar", ("log4j-1.2-api", "2.19.0")),
        ("guava-31.1-jre.jar", ("guava", "31.1-jre")),
        ("jetty-server-9.4.44.v20210927.jar", ("jetty-server", "9.4.44.v20210927")),
        ("bcprov-jdk15on-1.70.jar", ("bcprov-jdk15on", "1.70")),
        ("spring-core-5.3.20-SNAPSHOT.jar", ("spring-core", "5.3.20-SNAPSHOT")),
        ("log4j-core.jar", ("log4j-core", "")),
        ("app.war", ("app", "")),
    ],
)
def test_parse_filename(filename: str, expected: tuple[str, str]) -> None:
    assert parse_filename(filename) == expected


def test_parse_manifest_main_section_and_continuations() -> None:
    text = (
        'Manifest-Version: 1.0\r\nExport-Package: a.b;uses:="c\r\n .d"\r\n'
        "Implementation-Version: 1.2\r\n\r\nName: x/y.class\r\nImplementation-Version: 9\r\n"
    )
    assert parse_manifest(text) == {
        "Manifest-Version": "1.0",
        "Export-Package": 'a.b;uses:="c.d"',
        "Implementation-Version": "1.2",
    }


@pytest.mark.parametrize(
    ("manifest", "filename", "purl"),
    [
        (
            {"Bundle-SymbolicName": "org.objectweb.asm.tree", "Bundle-Version": "9.7.1"},
            "asm-tree-9.7.1.jar",
            "pkg:maven/org.objectweb.asm/asm-tree@9.7.1",
        ),
        (
            {"Automatic-Module-Name": "org.apache.logging.log4j.core"},
            "log4j-core-2.19.0.jar",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0",
        ),
        (
            {"Implementation-Vendor-Id": "org.apache", "Implementation-Version": "1.2"},
            "commons-logging.jar",
            "pkg:maven/org.apache/commons-logging@1.2",
        ),
        ({"Implementation-Title": "No Version"}, "tool.jar", None),
    ],
)
def test_manifest_group_heuristics(
    manifest: dict[str, str], filename: str, purl: str | None
) -> None:
    ident = from_manifest_and_name(manifest, filename)
    assert (ident.purl if ident else None) == purl

"""Who a Java archive is: pom.properties, then MANIFEST.MF, then the file name.

Maven writes META-INF/maven/<groupId>/<artifactId>/pom.properties into every artifact it
builds; a shaded ("uber") jar keeps one per artifact merged into it, so a jar can name
several packages. Archives built otherwise are identified from their manifest and from
a "<name>-<version>.jar" file name, as syft does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mamori.sbom.catalogers._purl import make_purl

MAX_FIELD = 512
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_UNICODE = re.compile(r"\\u([0-9a-fA-F]{4})")
_VERSIONISH = re.compile(r"\d[0-9A-Za-z.+_~]*\Z")


@dataclass(frozen=True, slots=True)
class JavaId:
    group: str
    artifact: str
    version: str
    source: str  # "pom.properties", "manifest" or "filename"
    evidence: str = ""  # the member the identity was read from

    @property
    def purl(self) -> str:
        return make_purl("maven", self.artifact, self.version, namespace=self.group)


def parse_properties(text: str) -> dict[str, str]:
    """java.util.Properties text: key=value, key:value or key value; # and ! comments."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].lstrip()
        i += 1
        if not line or line[0] in "#!":
            continue
        while _continues(line) and i < len(lines):  # an odd number of trailing backslashes
            line = line[:-1] + lines[i].lstrip()
            i += 1
        match = re.match(r"((?:\\.|[^=:\s\\])*)\s*[=:\s]?\s*(.*)\Z", line, re.S)
        if match:
            out[_unescape(match.group(1))] = _unescape(match.group(2)).strip()
    return out


def _continues(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _unescape(text: str) -> str:
    text = _UNICODE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text, flags=re.S)


def parse_manifest(text: str) -> dict[str, str]:
    """The main section of a JAR manifest ("Name: value", continuation lines start " ")."""
    out: dict[str, str] = {}
    key: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if out:
                break  # the main section ends at the first blank line
            continue
        if line.startswith(" ") and key is not None:
            out[key] = (out[key] + line[1:])[: MAX_FIELD * 8]
            continue
        name, sep, value = line.partition(":")
        if sep and name.strip():
            key = name.strip()
            out[key] = value.strip()
    return {k: v.strip() for k, v in out.items()}


def parse_filename(filename: str) -> tuple[str, str]:
    """("name", "version") from "name-1.2.3.jar"; the version part is the last dash-part
    starting with a digit and everything after it ("guava-31.1-jre" -> "31.1-jre")."""
    base = filename.rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    parts = stem.split("-")
    for i in range(len(parts) - 1, 0, -1):
        if parts[i][:1].isdigit() and _VERSIONISH.match(parts[i]):
            return "-".join(parts[:i]), "-".join(parts[i:])
    return stem, ""


def _clean(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip()[:MAX_FIELD]


def _group_from_manifest(manifest: dict[str, str], name: str) -> str:
    """A dotted group id from the manifest, as syft's heuristics find one."""
    keys = ("Group-Id", "Implementation-Vendor-Id", "Bundle-SymbolicName", "Automatic-Module-Name")
    for key in keys:
        value = _clean(manifest.get(key))
        if "." not in value or " " in value:
            continue
        if key in ("Group-Id", "Implementation-Vendor-Id"):
            return value
        # OSGi/JPMS names are "<group>.<module>": drop the module part when the artifact
        # name ends with it (org.apache.logging.log4j.core, log4j-core -> ...log4j).
        head, _, last = value.rpartition(".")
        if head and (name == last or name.endswith("-" + last) or name.endswith("." + last)):
            return head
        return value
    return ""


def from_pom_properties(props: dict[str, str], evidence: str) -> JavaId | None:
    group, artifact = _clean(props.get("groupId")), _clean(props.get("artifactId"))
    version = _clean(props.get("version"))
    if not artifact or not version:
        return None
    return JavaId(group or artifact, artifact, version, "pom.properties", evidence)


def from_manifest_and_name(manifest: dict[str, str] | None, filename: str) -> JavaId | None:
    """The archive's own identity when no pom.properties names it."""
    manifest = manifest or {}
    file_name, file_version = parse_filename(filename)
    name = (
        file_name
        or _clean(manifest.get("Short-Name"))  # Jenkins plugins
        or _clean(manifest.get("Extension-Name"))
        or _clean(manifest.get("Implementation-Title"))
        or _clean(manifest.get("Bundle-SymbolicName"))
    )
    version = file_version or next(
        (
            v
            for key in (
                "Implementation-Version",
                "Plugin-Version",
                "Bundle-Version",
                "Specification-Version",
            )
            if (v := _clean(manifest.get(key)))
        ),
        "",
    )
    if not name or not version or " " in name:
        return None
    group = _group_from_manifest(manifest, name) or name
    source = "filename" if file_version else "manifest"
    return JavaId(group, name, version, source, "META-INF/MANIFEST.MF" if manifest else "")


def identify(filename: str, poms: list[JavaId], manifest: dict[str, str] | None) -> list[JavaId]:
    """Every package an archive names.

    All pom.properties identities are reported. The archive's own identity from the
    manifest/file name is added when no pom.properties names the archive: none at all, or
    several (a shaded jar) none of which matches the file name.
    """
    found = list(dict.fromkeys(poms))
    file_name, _ = parse_filename(filename)
    names_archive = any(p.artifact == file_name for p in found)
    if not found or (len(found) > 1 and not names_archive):
        own = from_manifest_and_name(manifest, filename)
        if own is not None and not any(
            (p.artifact, p.version) == (own.artifact, own.version) for p in found
        ):
            found.insert(0, own)
    return found

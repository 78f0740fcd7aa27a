"""pom.xml: the dependencies a Maven project declares with a version.

Versions given as ${property} are resolved from the pom's own <properties> and the
project/parent coordinates; a dependency whose version stays unresolved (inherited from a
parent or a BOM this file does not contain), or is a range, is not reported. XML is parsed
with defusedxml with DTDs refused: no entity expansion (billion laughs), no external
entities.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from mamori.model import Location, Package, PackageType
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers._purl import make_purl
from mamori.sources.tree import TreeError

NAME = "java-pom"
MAX_FILE = 8 * 1024 * 1024
MAX_SUBSTITUTIONS = 10
_PROPERTY = re.compile(r"\$\{([^}]{1,200})\}")


class PomError(ValueError):
    """Not a readable pom.xml."""


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(elem: Element | None, name: str) -> Element | None:
    if elem is None:
        return None
    for child in elem:
        if _local(child.tag) == name:
            return child
    return None


def _text(elem: Element | None, name: str) -> str:
    child = _child(elem, name)
    return (child.text or "").strip() if child is not None else ""


def _properties(project: Element) -> dict[str, str]:
    parent = _child(project, "parent")
    section = _child(project, "properties")
    children = list(section) if section is not None else []
    props = {_local(p.tag): (p.text or "").strip() for p in children}
    coords = {
        "groupId": _text(project, "groupId") or _text(parent, "groupId"),
        "artifactId": _text(project, "artifactId"),
        "version": _text(project, "version") or _text(parent, "version"),
    }
    for key, value in coords.items():
        props[f"project.{key}"] = props[f"pom.{key}"] = value
    props["project.parent.version"] = _text(parent, "version")
    props["project.parent.groupId"] = _text(parent, "groupId")
    return props


def resolve(value: str, props: dict[str, str]) -> str:
    """Substitute ${name} references; "" if any stays unresolved."""
    for _ in range(MAX_SUBSTITUTIONS):
        if "${" not in value:
            return value
        value = _PROPERTY.sub(lambda m: props.get(m.group(1), m.group(0)), value)
        if len(value) > 1000:
            return ""
    return "" if "${" in value else value


def parse_pom(data: bytes) -> Iterator[dict[str, str]]:
    """Declared dependencies as {groupId, artifactId, version, scope, optional}."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, RecursionError) as exc:
        raise PomError(f"invalid XML: {exc}") from exc
    if _local(root.tag) != "project":
        raise PomError("root element is not <project>")
    props = _properties(root)
    for dep in _deps(root):
        group = resolve(_text(dep, "groupId"), props)
        artifact = resolve(_text(dep, "artifactId"), props)
        version = resolve(_text(dep, "version"), props)
        # A range ("[1.4,)") names no installed version.
        if group and artifact and version and not version.startswith(("[", "(")):
            yield {
                "groupId": group,
                "artifactId": artifact,
                "version": version,
                "scope": _text(dep, "scope"),
                "optional": _text(dep, "optional"),
            }


def _deps(root: Element) -> list[Element]:
    deps = _child(root, "dependencies")
    return [] if deps is None else [d for d in deps if _local(d.tag) == "dependency"]


def packages_for(data: bytes, location: Location) -> Iterator[Package]:
    for dep in parse_pom(data):
        try:
            purl = make_purl("maven", dep["artifactId"], dep["version"], namespace=dep["groupId"])
        except ValueError:
            continue
        meta = {
            "group_id": dep["groupId"],
            "artifact_id": dep["artifactId"],
            "scope": dep["scope"],
            "optional": dep["optional"],
        }
        yield Package(
            name=dep["artifactId"],
            version=dep["version"],
            type=PackageType.MAVEN,
            purl=purl,
            cataloger=NAME,
            locations=(location,),
            metadata={k: v[:200] for k, v in meta.items() if v},
        )


@catalogers.register(NAME)
class PomCataloger:
    """Maven pom.xml files in source trees."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = ("**/pom.xml",)
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        for path in paths:
            try:
                found = list(packages_for(ctx.tree.read_bytes(path, MAX_FILE), Location(path=path)))
            except (PomError, TreeError, OSError) as exc:
                ctx.warn(f"sbom.{NAME}", f"unreadable pom.xml: {exc}", path)
                continue
            yield from found

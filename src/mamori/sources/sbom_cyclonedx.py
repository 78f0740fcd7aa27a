"""CycloneDX JSON (1.2 to 1.6) to a mamori Sbom.

Components are walked depth-first in document order, nested ones included, with a cap on
nesting. A component with a purl becomes a Package; mamori's own `mamori:*` properties
(see `mamori.outputs.cyclonedx`) restore its facts exactly, syft's `syft:*` properties
give locations and the cataloger, and the purl's qualifiers give the source package and
architecture. The operating-system component becomes the Distro.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mamori.model import Distro, PackageType, Sbom
from mamori.sources._sbom_common import (
    ENTRY_ERRORS,
    MAX_PACKAGES,
    UNREADABLE,
    Draft,
    Notes,
    build_package,
    distro_from_qualifier,
    index,
    items,
    mapping,
    parse_purl,
    text,
)

MAX_DEPTH = 64
SUPPORTED = ("1.2", "1.3", "1.4", "1.5", "1.6")
# Component types that are never packages (their nested components still are read).
NOT_PACKAGES = frozenset(
    {
        "operating-system",
        "container",
        "file",
        "device",
        "device-driver",
        "firmware",
        "platform",
        "data",
        "machine-learning-model",
        "cryptographic-asset",
    }
)
_TYPES = {t.value: t for t in PackageType}


def walk(roots: list[Any], notes: Notes) -> Iterator[Mapping[str, Any]]:
    """Every component dict under `roots`, parents before children, in document order."""
    stack: list[tuple[Mapping[str, Any], int]] = [
        (c, 0) for c in reversed(roots) if isinstance(c, dict)
    ]
    too_deep = 0
    while stack:
        component, depth = stack.pop()
        yield component
        children = [c for c in items(component.get("components")) if isinstance(c, dict)]
        if children and depth + 1 > MAX_DEPTH:
            too_deep += len(children)
            continue
        stack.extend((c, depth + 1) for c in reversed(children))
    if too_deep:
        notes.warn(f"skipped {too_deep} components nested deeper than {MAX_DEPTH} levels")


def properties(component: Mapping[str, Any]) -> list[tuple[str, str]]:
    out = []
    for prop in items(component.get("properties")):
        prop = mapping(prop)
        name = text(prop.get("name"), 256)
        if name:
            out.append((name, text(prop.get("value"))))
    return out


def licenses(component: Mapping[str, Any]) -> list[str]:
    found = []
    for entry in items(component.get("licenses")):
        entry = mapping(entry)
        if isinstance(entry.get("expression"), str):
            found.append(text(entry["expression"]))
            continue
        lic = mapping(entry.get("license"))
        found.append(text(lic.get("id")) or text(lic.get("name")))
    return [f for f in found if f]


def _locations(props: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
    """mamori:location[:N][:layer] first; else syft:location:N:path / :layerID."""
    mine: dict[int, list[str | None]] = {}
    syft: dict[int, list[str | None]] = {}
    for name, value in props:
        parts = name.split(":")
        if parts[0] == "mamori" and parts[1:2] in (["location"], ["layer"]):
            at = index(parts[2]) if len(parts) > 2 else 0
            if at is None:
                continue
            slot = mine.setdefault(at, [None, None])
            is_layer = parts[1] == "layer" or parts[-1] == "layer"
            slot[1 if is_layer else 0] = value
        elif parts[0] == "syft" and len(parts) == 4 and parts[1] == "location":
            at = index(parts[2])
            if at is None:
                continue
            slot = syft.setdefault(at, [None, None])
            if parts[3] == "path":
                slot[0] = value
            elif parts[3] == "layerID":
                slot[1] = value
    chosen = mine or syft
    return [(p, layer) for _, (p, layer) in sorted(chosen.items()) if p]


def _evidence_locations(component: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    evidence = mapping(component.get("evidence"))
    paths = [text(mapping(o).get("location")) for o in items(evidence.get("occurrences"))]
    return [(p, None) for p in paths if p]


def _syft_upstream(syft: Mapping[str, str]) -> str:
    """syft's source-package properties in purl `upstream` form (deb, rpm, apk)."""
    source = syft.get("syft:metadata:source", "")
    if source:
        version = syft.get("syft:metadata:sourceVersion", "")
        return f"{source}@{version}" if version else source
    return syft.get("syft:metadata:sourceRpm", "") or syft.get("syft:metadata:originPackage", "")


def draft(component: Mapping[str, Any]) -> Draft:
    props = properties(component)
    mine = {k.removeprefix("mamori:"): v for k, v in props if k.startswith("mamori:")}
    syft = {k: v for k, v in props if k.startswith("syft:")}
    own = "cataloger" in mine
    purl = text(component.get("purl")).strip() or mine.get("purl", "")
    d = Draft(
        name=text(component.get("name")),
        version=text(component.get("version")),
        purl=purl,
        cataloger=mine.get("cataloger") or syft.get("syft:package:foundBy") or "sbom-cyclonedx",
        ptype=_TYPES.get(mine.get("package-type", "")),
        locations=_locations(props) or _evidence_locations(component),
        licenses=licenses(component),
        own=own,
    )
    d.upstream_hint = _syft_upstream(syft)
    if own:
        d.source_name = mine.get("source-name")
        d.source_version = mine.get("source-version")
        d.arch = mine.get("arch") or None
        d.metadata = {
            k[len("metadata:") :]: v for k, v in mine.items() if k.startswith("metadata:")
        }
        found = {k.removeprefix("license:"): v for k, v in mine.items() if k.startswith("license:")}
        if found:
            d.licenses = [found[k] for k in sorted(found, key=lambda k: (len(k), k))]
    group = text(component.get("group"))
    if group and d.name and group.startswith("@") and "/" not in d.name:
        d.name = f"{group}/{d.name}"  # CycloneDX keeps an npm scope in `group`
    return d


def distro(component: Mapping[str, Any]) -> Distro | None:
    props = dict(properties(component))

    def pick(*keys: str) -> str:
        return next((props[k] for k in keys if props.get(k)), "")

    distro_id = pick("mamori:distro:id", "syft:distro:id") or text(component.get("name"), 64)
    if not distro_id:
        return None
    id_like = pick("mamori:distro:id-like", "syft:distro:idLike").replace(",", " ").split()
    return Distro(
        id=distro_id.lower(),
        version_id=pick("mamori:distro:version-id", "syft:distro:versionID")
        or text(component.get("version"), 64),
        version_codename=pick("mamori:distro:codename", "syft:distro:versionCodename"),
        name=pick("mamori:distro:name", "syft:distro:name"),
        pretty_name=pick("mamori:distro:pretty-name", "syft:distro:prettyName")
        or text(component.get("description"), 256),
        id_like=tuple(id_like),
    )


def read_cyclonedx(doc: Mapping[str, Any], notes: Notes) -> tuple[Sbom, str]:
    """The Sbom and the target's name (metadata.component) of a CycloneDX document."""
    spec = text(doc.get("specVersion"), 16)
    if spec not in SUPPORTED:
        notes.warn(f"CycloneDX specVersion {spec or 'missing'} is not 1.2-1.6: read as 1.6")
    root = mapping(mapping(doc.get("metadata")).get("component"))
    roots = [root] if root else []
    packages = []
    found_distro: Distro | None = None
    for component in walk([*roots, *items(doc.get("components"))], notes):
        try:
            ctype = text(component.get("type"), 64)
            if ctype == "operating-system":
                found_distro = found_distro or distro(component)
                continue
            if component is root and not text(root.get("purl")):
                continue  # the target itself, not a package
            if ctype in NOT_PACKAGES:
                continue
            d = draft(component)
            if not d.purl and not d.own:
                notes.skip("components without a purl", d.name)
                continue
            pkg = build_package(d, notes)
        except ENTRY_ERRORS as exc:
            notes.skip(UNREADABLE, repr(exc))
            continue
        if pkg is not None:
            packages.append(pkg)
            if len(packages) >= MAX_PACKAGES:
                notes.warn(f"stopped reading after {MAX_PACKAGES} packages")
                break
    if found_distro is None:
        found_distro = next(
            (q for p in packages if (q := distro_from_qualifier(parse_purl(p.purl)))), None
        )
    declared: dict[int, str] = {}
    for key, value in properties(mapping(doc.get("metadata"))):
        at = index(key.removeprefix("mamori:sbom-layer:"))
        if key.startswith("mamori:sbom-layer:") and at is not None and value:
            declared[at] = value
    layers = [declared[i] for i in sorted(declared)]
    layers += [loc.layer for p in packages for loc in p.locations if loc.layer]
    sbom = Sbom(distro=found_distro, packages=tuple(packages), layers=tuple(dict.fromkeys(layers)))
    return sbom, text(root.get("name"))

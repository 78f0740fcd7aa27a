"""Fuzzing parse_sbom: random JSON, mutated real documents and random bytes.

Whatever the input, parse_sbom returns a document or raises SbomFormatError, nothing else.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.sources._sbom_common import UNREADABLE
from mamori.sources.sbom_file import SbomDocument, SbomFormatError, parse_sbom
from tests.outputs.factory import realistic_sbom
from tests.sources.sbom_docs import sbom_bytes

KEYS = (
    "bomFormat",
    "specVersion",
    "components",
    "component",
    "metadata",
    "purl",
    "name",
    "version",
    "type",
    "properties",
    "value",
    "licenses",
    "license",
    "id",
    "expression",
    "group",
    "evidence",
    "occurrences",
    "location",
    "packages",
    "SPDXID",
    "spdxVersion",
    "versionInfo",
    "externalRefs",
    "referenceCategory",
    "referenceType",
    "referenceLocator",
    "relationships",
    "relationshipType",
    "spdxElementId",
    "relatedSpdxElement",
    "documentDescribes",
    "annotations",
    "comment",
    "primaryPackagePurpose",
    "licenseDeclared",
    "hasExtractedLicensingInfos",
    "licenseId",
    "extractedText",
    "description",
)
STRINGS = (
    "pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12&upstream=openssl%403.0.11",
    "pkg:rpm/fedora/curl@8.0-1?epoch=2&upstream=curl-8.0-1.src.rpm",
    "pkg:apk/alpine/musl@1.2.5-r0?upstream=musl&distro=alpine-3.20",
    "pkg:npm/%40scope/x@1",
    "pkg:",
    "pkg:rpm/x@1?upstream=.src.rpm",
    "pkg:deb/x@1?distro=-",
    "mamori:location:1",
    "mamori:location:²",
    "syft:location:٣:path",
    "mamori:sbom-layer:99999999999999999999",
    "mamori:location:2:layer",
    "mamori:layer",
    "mamori:cataloger",
    "mamori:sbom-layer:3",
    "mamori:license:0",
    "syft:location:0:path",
    "syft:distro:id",
    'mamori:package {"locations": [[1, 2], ["/a", null]], "metadata": {"a": 1}}',
    "mamori:distro {}",
    "mamori:target []",
    "operating-system",
    "OPERATING-SYSTEM",
    "PACKAGE-MANAGER",
    "purl",
    "SPDXRef-DOCUMENT",
    "DESCRIBES",
    "CycloneDX",
    "SPDX-2.3",
    "library",
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(STRINGS)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=40,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(data: bytes) -> None:
    try:
        result = parse_sbom(data, "fuzz")
    except SbomFormatError:
        return
    assert isinstance(result, SbomDocument)
    assert isinstance(result.target, str)
    # The per-entry safety net must never be what saved the day: that would be a bug.
    assert not any(UNREADABLE in n.message for n in result.notices), result.notices


@FUZZ
@given(st.sampled_from(["cyclonedx", "spdx"]), st.dictionaries(st.sampled_from(KEYS), values))
def test_random_documents(kind: str, body: dict[str, Any]) -> None:
    head = {"bomFormat": "CycloneDX"} if kind == "cyclonedx" else {"spdxVersion": "SPDX-2.3"}
    _check(json.dumps({**body, **head}).encode())


@cache
def _real(kind: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(sbom_bytes(kind, realistic_sbom(22)))
    return doc


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@FUZZ
@given(st.sampled_from(["cyclonedx", "spdx"]), st.data())
def test_mutated_real_documents(kind: str, data: st.DataObject) -> None:
    doc = copy.deepcopy(_real(kind))
    paths = _paths(doc)
    for _ in range(data.draw(st.integers(1, 6))):
        path = data.draw(st.sampled_from(paths))
        if not path:
            continue
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    _check(json.dumps(doc).encode())


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@FUZZ
@given(st.sampled_from(["cyclonedx", "spdx"]), st.integers(0, 5000), st.binary(max_size=8))
def test_truncated_and_spliced_real_documents(kind: str, cut: int, junk: bytes) -> None:
    raw = json.dumps(_real(kind)).encode()
    _check(raw[:cut] + junk + raw[cut:])

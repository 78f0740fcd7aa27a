"""CIS 5.7.1: workloads are not all in `default` / `kube-system` (one verdict per scan)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.k8s._pod import pods

SHARED = frozenset({"", "default", "kube-system"})  # "": no namespace -> default


@check(__file__)
class K8sNamespacesAsBoundaries:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        # sorted, so the verdict lands on the same object whatever order they were read in
        workloads = sorted(
            (p.resource for p in pods(inventory)),
            key=lambda r: tuple(str(r.attributes.get(k)) for k in ("namespace", "kind", "name")),
        )
        if not workloads:
            return
        own = sorted({str(r.attributes.get("namespace")) for r in workloads} - SHARED)
        if own:
            first = next(r for r in workloads if str(r.attributes.get("namespace")) in own)
            yield Result(
                verdict=Verdict.PASS,
                reason=f"Workloads run in {len(own)} namespace(s) of their own: "
                + ", ".join(own[:10]),
                resource=first,
            )
            return
        yield Result(
            verdict=Verdict.FAIL,
            reason=f"All {len(workloads)} workloads run in default or kube-system.",
            resource=workloads[0],
            detail={"field": "/metadata/namespace"},
        )

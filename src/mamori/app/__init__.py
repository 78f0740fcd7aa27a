"""Use cases that compose the layers below (sources, sbom, vuln, store, outputs)."""

"""Layers import only downward: the model imports nothing of mamori but itself."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "mamori"

# The agentless stack and everything above the model: off limits to the model-level
# packages of the runtime side.
AGENTLESS = ("sources", "sbom", "vuln", "store", "outputs", "cli", "app")

# package -> packages of mamori it must never import
FORBIDDEN = {
    "model": ("sources", "sbom", "vuln", "store", "outputs", "cli", "host", "app"),
    "sources": ("sbom", "vuln", "store", "outputs", "cli", "app"),
    "sbom": ("vuln", "store", "outputs", "cli", "app"),
    "vuln": ("store", "outputs", "cli", "app"),
    "outputs": ("store", "cli", "app"),
    "store": ("outputs", "cli", "app"),
    "app": ("cli",),
    "host": ("sources", "sbom", "vuln", "store", "outputs", "cli", "app"),
    # runtime side: producers (captures, sensor) and the state engine know only the
    # model; the rules engine sits above the state engine; log readers know the model
    "captures": (*AGENTLESS, "rules", "runtime", "sensor"),
    "sensor": (*AGENTLESS, "rules", "runtime", "captures"),
    "runtime": (*AGENTLESS, "rules", "captures", "sensor"),
    "rules": ("store", "outputs", "cli", "app", "captures", "sensor"),
    "logs": (*AGENTLESS, "rules", "runtime", "sensor", "captures"),
    # protection sits beside the rules: it reads the state engine's views, makes alerts
    "protect": ("store", "outputs", "cli", "app", "captures", "sensor"),
    "response": ("store", "outputs", "cli", "app", "captures"),
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_layers_import_only_downward() -> None:
    violations = []
    for layer, forbidden in FORBIDDEN.items():
        for path in (SRC / layer).rglob("*.py"):
            for mod in imported_modules(path):
                parts = mod.split(".")
                if parts[0] == "mamori" and len(parts) > 1 and parts[1] in forbidden:
                    violations.append(f"{path.relative_to(SRC)} imports {mod}")
    assert not violations, "\n".join(violations)


def test_python_files_stay_small() -> None:
    big = [
        f"{p.relative_to(SRC)}: {n} lines"
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 500
    ]
    assert not big, big


def test_every_registry_loads_and_names_its_plugins() -> None:
    from mamori.outputs import outputs
    from mamori.sbom.cataloger import catalogers
    from mamori.vuln.versions import ECOSYSTEM_SCHEMES, schemes

    assert {"table", "json", "sarif", "cyclonedx", "spdx"} <= set(outputs.names())
    for name, cls in catalogers.items():
        assert cls.name == name, f"cataloger {cls.__name__} registered as {name}"
        assert cls.patterns or cls.wants_executables, name
    for scheme in set(ECOSYSTEM_SCHEMES.values()) | {"generic"}:
        assert scheme in schemes, scheme
    for name, out in outputs.items():
        assert out.name == name

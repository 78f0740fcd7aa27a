"""Micro-benchmark: load + compile Falco's rulesets, and evaluate one event.

    .venv/bin/python bench/bench_rules_compile.py [RULES_DIR]

Prints the best of N load times per ruleset and the evaluation rate of the stable
ruleset on a synthetic ``openat`` event (dict-based fields standing in for the syscall
extractors, so this measures the compiled closures, not field extraction).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from mamori.rules.engine import load, load_files
from mamori.rules.source import CatalogSource, FieldInfo, FieldRef
from mamori.rules.syscall_fields import syscall_fields
from mamori.rules.syscall_fields.event_types import EVENT_TYPES

DEFAULT = Path(__file__).resolve().parents[2] / "shared/anchors/falco/rules"


def _dict_source() -> CatalogSource[dict[str, Any]]:
    src: CatalogSource[dict[str, Any]] = CatalogSource(
        "syscall", syscall_fields(), EVENT_TYPES, lambda e: str(e["evt.type"])
    )

    def factory(ref: FieldRef, _info: FieldInfo) -> Any:
        key = str(ref)
        return lambda e: e.get(key)

    for name in src.fields:
        src.add_extractor(name, factory)
    return src


def main() -> None:
    base = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    for name in ("falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            rs = load_files([base / name])
            times.append(time.perf_counter() - t0)
        print(f"{name:32s} {len(rs.rules):3d} rules  load+compile best {min(times) * 1000:7.1f} ms")
    text = (base / "falco_rules.yaml").read_text()
    rs = load([("falco_rules.yaml", text)], {"syscall": _dict_source()})
    event = {
        "evt.type": "openat",
        "evt.is_open_read": True,
        "fd.typechar": "f",
        "fd.num": 3,
        "fd.name": "/etc/shadow",
        "fd.directory": "/etc",
        "fd.filename": "shadow",
        "proc.name": "cat",
        "proc.pname": "bash",
        "proc.aname[2]": "sshd",
        "proc.cmdline": "cat /etc/shadow",
        "container.id": "host",
        "user.name": "root",
    }
    n = 200_000
    t0 = time.perf_counter()
    matched = 0
    for _ in range(n):
        matched += len(rs.match(event))
    dt = time.perf_counter() - t0
    print(f"stable ruleset, openat event: {n / dt:,.0f} events/s ({matched // n} match/event)")


if __name__ == "__main__":
    main()

"""`mamori doctor`: what this host supports, with the reason for every "no"."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from mamori.host.probes import run_all
from mamori.sensor.select import CHOICES, choose_sensor, sensor_name
from mamori.sensor.sensor import SensorError

# Which later capability each probe enables.
USED_BY = {
    "kernel BTF": "eBPF sensor (CO-RE)",
    "syscall tracepoints": "eBPF sensor (syscall events)",
    "eBPF program load": "eBPF sensor",
    "BPF LSM": "in-kernel deny (optional)",
    "libbpf": "eBPF sensor loader",
    "fanotify": "file and exec monitoring, exec deny (fallback sensor)",
    "audit netlink": "exec and connect events (fallback sensor)",
    "proc connector": "process fork/exec/exit (fallback sensor)",
    "cgroup v2": "per-container connect deny",
    "podman": "container context, image scans of local containers",
}


def sensor_choice(requested: str) -> dict[str, object]:
    """The runtime sensor ``mamori agent --sensor REQUESTED`` would run, and why."""
    try:
        factory, reason = choose_sensor(requested)
    except SensorError as exc:
        return {"capability": "runtime sensor", "available": False, "detail": str(exc),
                "used_by": f"mamori agent --sensor {requested}", "sensor": None}  # fmt: skip
    name = sensor_name(factory)
    return {"capability": "runtime sensor", "available": True, "detail": reason,
            "used_by": f"mamori agent --sensor {requested}", "sensor": name}  # fmt: skip


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the probes as JSON."),
    sensor: str = typer.Option(
        "auto", "--sensor", help=f"Sensor choice to evaluate: {', '.join(CHOICES)}."
    ),
) -> None:
    """Show what this host supports for each capability, and why not when it does not."""
    probes = run_all()
    choice = sensor_choice(sensor)
    if as_json:
        rows = [
            {
                "capability": p.name,
                "available": p.available,
                "detail": p.detail,
                "used_by": USED_BY.get(p.name, ""),
            }
            for p in probes
        ]
        typer.echo(json.dumps([*rows, choice], indent=2))
        return
    table = Table(title="mamori doctor: host capabilities")
    table.add_column("capability")
    table.add_column("available")
    table.add_column("used by")
    table.add_column("detail / reason")
    for p in probes:
        mark = "[green]yes[/green]" if p.available else "[red]no[/red]"
        table.add_row(p.name, mark, USED_BY.get(p.name, ""), p.detail)
    Console().print(table)
    typer.echo(f"runtime sensor (--sensor {sensor}): {choice['detail']}")

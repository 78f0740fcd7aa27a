"""Services that should not be in use: judged by package, boot enablement and, live, by
running programs. CIS accepts a needed package whose service is neither enabled nor
running, so an installed but disabled (or masked) service passes, with that evidence.
"""

from __future__ import annotations

from mamori.workload.host.result import Evidence, HostResult, failed, passed
from mamori.workload.host.view import HostView


def not_in_use(
    view: HostView, packages: tuple[str, ...], units: tuple[str, ...], programs: tuple[str, ...]
) -> HostResult:
    installed = {p: v for p, v in view.packages().items() if p in packages}
    enabled = [u for u in units if u in view.enabled_units() and not view.unit_masked(u)]
    running = sorted(set(programs) & view.live.programs) if view.live is not None else []
    evidence = [
        Evidence("/var/lib/dpkg/status", f"{p} {v} installed") for p, v in installed.items()
    ]
    evidence += [Evidence("/etc/systemd/system", f"{u} enabled") for u in enabled]
    evidence += [Evidence("live:/proc", f"{p} running") for p in running]
    if enabled or running:
        what = ", ".join([*(f"{u} enabled" for u in enabled), *(f"{p} running" for p in running)])
        return failed(what, *evidence)
    if installed:
        return passed(
            f"{', '.join(installed)} installed but not enabled"
            + (" or running" if view.live is not None else ""),
            *evidence,
        )
    return passed(f"none of {', '.join(packages)} is installed")


def not_installed(view: HostView, packages: tuple[str, ...]) -> HostResult:
    installed = {p: v for p, v in view.packages().items() if p in packages}
    if installed:
        return failed(
            f"installed: {', '.join(installed)}",
            *(Evidence("/var/lib/dpkg/status", f"{p} {v}") for p, v in installed.items()),
        )
    return passed(f"none of {', '.join(packages)} is installed")

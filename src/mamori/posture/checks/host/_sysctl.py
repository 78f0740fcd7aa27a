"""Kernel parameter judgements.

Live host: the running value in /proc/sys decides (the configured one is shown too).
Directory: the value the root would boot with: the winning sysctl.d / sysctl.conf
assignment, else the kernel's built-in default (given by each check). A parameter the
running kernel does not have (IPv6 disabled, no Yama) is not applicable.
"""

from __future__ import annotations

from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.sysctl import Assignment, assignments, configured
from mamori.workload.host.view import HostView


def _assignments(view: HostView) -> list[Assignment]:
    if "sysctl" not in view.cache:
        view.cache["sysctl"] = assignments(view)
    found: list[Assignment] = view.cache["sysctl"]
    return found


def judge(
    view: HostView, wanted: dict[str, tuple[str, ...]], defaults: dict[str, str]
) -> HostResult:
    """Every parameter in `wanted` must have one of its allowed values."""
    problems: list[str] = []
    evidence: list[Evidence] = []
    absent = 0
    for name, allowed in wanted.items():
        setting = configured(_assignments(view), name)
        conf = (
            Evidence(setting.file, f"{name} = {setting.value}", setting.line) if setting else None
        )
        if view.live is not None:
            value = view.live.sysctl(name)
            if value is None:
                absent += 1
                continue
            evidence.append(Evidence(f"live:/proc/sys/{name.replace('.', '/')}", value))
        elif setting is not None:
            value = setting.value
        else:
            value = defaults.get(name, "")
            evidence.append(Evidence("kernel default", f"{name} = {value or 'unknown'}"))
        if conf is not None:
            evidence.append(conf)
        if value not in allowed:
            problems.append(f"{name} is {value or 'unknown'} (want {' or '.join(allowed)})")
    if absent == len(wanted):
        return not_applicable("the running kernel has none of these parameters")
    if problems:
        return failed("; ".join(problems), *evidence)
    shown = ", ".join(f"{n} in ({'/'.join(a)})" for n, a in wanted.items())
    return passed(f"{shown}", *evidence)

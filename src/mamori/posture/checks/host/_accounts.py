"""Account judgements over the root's /etc/passwd and /etc/shadow."""

from __future__ import annotations

from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.view import HostView


def _records(view: HostView, path: str) -> list[tuple[int, list[str]]]:
    return [
        (n, line.split(":"))
        for n, line in view.lines(path)
        if line.strip() and not line.startswith(("#", "+", "-"))
    ]


def only_root_uid0(view: HostView) -> HostResult:
    records = _records(view, "/etc/passwd")
    if not records:
        return not_applicable("/etc/passwd does not exist")
    zero = [(n, f) for n, f in records if len(f) > 2 and f[2].strip() == "0"]
    others = [(n, f) for n, f in zero if f[0] != "root"]
    evidence = [Evidence("/etc/passwd", f"{f[0]} uid 0", n) for n, f in zero]
    if others:
        return failed(f"uid 0 also belongs to {', '.join(f[0] for _, f in others)}", *evidence)
    if not zero:
        return failed("no account has uid 0")
    return passed("root is the only uid 0 account", *evidence)


def shadowed(view: HostView) -> HostResult:
    records = _records(view, "/etc/passwd")
    if not records:
        return not_applicable("/etc/passwd does not exist")
    bad = [(n, f) for n, f in records if len(f) > 1 and f[1] != "x"]
    if bad:
        return failed(
            f"{len(bad)} account(s) keep their password hash in /etc/passwd",
            *(Evidence("/etc/passwd", f"{f[0]}: password field is not x", n) for n, f in bad[:10]),
        )
    return passed("every account's password field in /etc/passwd is x")


def no_empty_passwords(view: HostView) -> HostResult:
    records = _records(view, "/etc/shadow")
    if not records:
        return not_applicable("/etc/shadow does not exist or is empty")
    bad = [(n, f) for n, f in records if len(f) > 1 and f[1] == ""]
    if bad:
        return failed(
            f"{len(bad)} account(s) have an empty password",
            *(Evidence("/etc/shadow", f"{f[0]}: empty password field", n) for n, f in bad[:10]),
        )
    return passed("no account in /etc/shadow has an empty password field")

"""Response: per-rule actions from a policy file, and standing mitigations.

    policy = load_policy("/etc/mamori/response.yaml")      # PolicyError: file:line: why
    responder = Responder(policy).start()                   # exec / connect mitigations
    results = responder(alert, ResponseContext.from_view(view))
    responder.stop()

Actions (one module each): `kill` (process or tree, through pidfds after proving the
pid was not reused), `container` (kill a container's cgroup, or stop it through podman),
`quarantine` (move aside, mode 000, ledger, restore), `exec_deny` (fanotify exec
permission events with a watchdog that allows on timeout), `connect_deny` (cgroup
connect4/6 BPF programs). Every action is fail-safe: it never acts on pid 1, the agent
or kernel threads, and a failure is a logged result, never an exception.
"""

from __future__ import annotations

from mamori.response.base import ActionError, ActionResult, ResponseContext
from mamori.response.connect_deny import ConnectDeny
from mamori.response.exec_deny import ExecDecision, ExecDeny
from mamori.response.policy import Policy, PolicyError, load_policy, parse_policy
from mamori.response.quarantine import LedgerEntry, Quarantine
from mamori.response.responder import Responder

__all__ = [
    "ActionError",
    "ActionResult",
    "ConnectDeny",
    "ExecDecision",
    "ExecDeny",
    "LedgerEntry",
    "Policy",
    "PolicyError",
    "Quarantine",
    "Responder",
    "ResponseContext",
    "load_policy",
    "parse_policy",
]

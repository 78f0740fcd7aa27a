"""auditd's configuration: auditd.conf and the rules auditd loads at boot.

Rules come from /etc/audit/rules.d/*.rules (what augenrules compiles into audit.rules),
else /etc/audit/audit.rules. Each line is an auditctl(8) command: `-w PATH -p PERMS`
watches, `-a action,list ... -S syscall[,syscall] -F arch=b64` syscall rules, `-e 2`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mamori.workload.host.view import HostView

AUDITD_CONF = "/etc/audit/auditd.conf"
RULES_D = "/etc/audit/rules.d"
AUDIT_RULES = "/etc/audit/audit.rules"


@dataclass(frozen=True, slots=True)
class Rule:
    file: str
    line: int
    text: str
    watch: str = ""  # -w path
    perms: str = ""  # -p
    syscalls: frozenset[str] = frozenset()  # -S (comma lists and repeats merged)
    fields: tuple[str, ...] = ()  # -F
    action: str = ""  # -a
    enable: str = ""  # -e


@dataclass
class AuditRules:
    rules: list[Rule] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def watches(self, path: str) -> list[Rule]:
        return [r for r in self.rules if r.watch.rstrip("/") == path.rstrip("/")]

    def syscall_rules(self, name: str, arch: str) -> list[Rule]:
        return [
            r
            for r in self.rules
            if name in r.syscalls
            and (f"arch={arch}" in r.fields or not arch)
            and r.action.replace(" ", "") in ("always,exit", "exit,always")
        ]


def parse_rule(text: str, path: str, number: int) -> Rule | None:
    tokens = text.split("#", 1)[0].split()
    if not tokens:
        return None
    values: dict[str, str] = {}
    syscalls: set[str] = set()
    fields: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        arg = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in ("-w", "-p", "-a", "-e", "-k"):
            values[token] = arg
            i += 2
        elif token == "-S":
            syscalls.update(s for s in arg.split(",") if s)
            i += 2
        elif token == "-F":
            fields.append(arg)
            i += 2
        else:
            i += 1
    return Rule(
        path,
        number,
        " ".join(tokens),
        values.get("-w", ""),
        values.get("-p", ""),
        frozenset(syscalls),
        tuple(fields),
        values.get("-a", ""),
        values.get("-e", ""),
    )


def audit_rules(view: HostView) -> AuditRules:
    files = view.glob(RULES_D, "*.rules") or ([AUDIT_RULES] if view.exists(AUDIT_RULES) else [])
    rules = AuditRules(files=files)
    for path in files:
        for number, line in view.lines(path):
            rule = parse_rule(line, path, number)
            if rule is not None:
                rules.rules.append(rule)
    return rules


def auditd_conf(view: HostView) -> dict[str, tuple[str, int]]:
    """auditd.conf keys (lower case) -> (value, line)."""
    found: dict[str, tuple[str, int]] = {}
    for number, line in view.lines(AUDITD_CONF):
        key, sep, value = line.split("#", 1)[0].partition("=")
        if sep and key.strip():
            found[key.strip().lower()] = (value.strip(), number)
    return found

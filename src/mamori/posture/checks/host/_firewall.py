"""Host firewall judgements (CIS 4.1.1, 4.2 ufw, 4.3 nftables).

A utility is in use when its package is installed and it is switched on: ufw with
ENABLED=yes in /etc/ufw/ufw.conf (and ufw.service not masked), nftables and
iptables-persistent with their service enabled at boot. CIS wants exactly one. The ufw
and nftables checks judge the utility the host uses (the ones in use, else the ones
installed): they are not applicable when another one is used, and they FAIL when there
is no firewall at all, because CIS wants one.
"""

from __future__ import annotations

from mamori.workload.host.grub import shell_word
from mamori.workload.host.nftables import NFTABLES_CONF, ruleset
from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.view import HostView

UFW_CONF = "/etc/ufw/ufw.conf"
UFW_DEFAULTS = "/etc/default/ufw"
UTILITIES = {  # utility -> (package, unit)
    "ufw": ("ufw", "ufw.service"),
    "nftables": ("nftables", "nftables.service"),
    "iptables-persistent": ("iptables-persistent", "netfilter-persistent.service"),
}
DENY = ("DROP", "REJECT")
FAMILIES = ("inet", "ip", "ip6")
HOOKS = ("input", "forward", "output")
NONE = "no firewall utility (ufw, nftables or iptables-persistent) is installed"


def shell_vars(view: HostView, path: str) -> dict[str, tuple[str, int, str]]:
    """NAME -> (value, line, text) of simple shell assignments, the last one winning."""
    found: dict[str, tuple[str, int, str]] = {}
    for number, raw in view.lines(path):
        text = raw.strip()
        name, sep, rest = text.partition("=")
        if sep and name.isidentifier():
            found[name] = (shell_word(rest, {}), number, text[:200])
    return found


def _unit_on(view: HostView, unit: str) -> bool:
    return unit in view.enabled_units() and not view.unit_masked(unit)


def in_use(view: HostView) -> dict[str, Evidence]:
    """Utility -> the evidence that it is switched on."""
    installed = view.packages()
    active: dict[str, Evidence] = {}
    if "ufw" in installed and not view.unit_masked("ufw.service"):
        value, line, text = shell_vars(view, UFW_CONF).get("ENABLED", ("no", 0, ""))
        if value.lower() == "yes":
            active["ufw"] = Evidence(UFW_CONF, text, line)
    for name in ("nftables", "iptables-persistent"):
        package, unit = UTILITIES[name]
        if package in installed and _unit_on(view, unit):
            active[name] = Evidence("/etc/systemd/system", f"{unit} enabled")
    return active


def installed_utilities(view: HostView) -> list[str]:
    return [name for name, (package, _) in UTILITIES.items() if package in view.packages()]


def single_utility(view: HostView) -> HostResult:
    active = in_use(view)
    if len(active) == 1:
        [(name, evidence)] = active.items()
        return passed(f"{name} is the one firewall utility in use", evidence)
    if active:
        return failed(
            f"several firewall utilities are in use: {', '.join(active)}", *active.values()
        )
    installed = installed_utilities(view)
    if installed:
        return failed(
            f"{', '.join(installed)} installed but not switched on",
            *(Evidence("/var/lib/dpkg/status", f"{n} installed") for n in installed),
        )
    return failed(NONE, Evidence("/var/lib/dpkg/status", "ufw, nftables not installed"))


def _applies(view: HostView, utility: str) -> HostResult | None:
    chosen = list(in_use(view)) or installed_utilities(view)
    if not chosen:
        return failed(NONE, Evidence("/var/lib/dpkg/status", "ufw, nftables not installed"))
    if utility not in chosen:
        return not_applicable(f"{utility} is not the firewall in use ({', '.join(chosen)} is)")
    return None


def ufw_enabled(view: HostView) -> HostResult:
    if (other := _applies(view, "ufw")) is not None:
        return other
    value, line, text = shell_vars(view, UFW_CONF).get("ENABLED", ("no", 0, ""))
    evidence = [Evidence(UFW_CONF, text, line) if line else Evidence(UFW_CONF, "no ENABLED=")]
    unit = _unit_on(view, "ufw.service")
    evidence.append(Evidence("/etc/systemd/system", f"ufw.service {'' if unit else 'not '}enabled"))
    if value.lower() != "yes":
        return failed("ufw is not enabled (ENABLED=yes in ufw.conf)", *evidence)
    if not unit:
        return failed("ufw.service is not enabled at boot", *evidence)
    return passed("ufw is enabled and ufw.service starts at boot", *evidence)


def ufw_default_deny(view: HostView) -> HostResult:
    if (other := _applies(view, "ufw")) is not None:
        return other
    found = shell_vars(view, UFW_DEFAULTS)
    problems, evidence = [], []
    for direction in ("INPUT", "OUTPUT", "FORWARD"):
        key = f"DEFAULT_{direction}_POLICY"
        value, line, text = found.get(key, ("", 0, ""))
        if line:
            evidence.append(Evidence(UFW_DEFAULTS, text, line))
        if value.upper() not in DENY:
            problems.append(f"{direction.lower()} {value or 'unset'}")
    if problems:
        return failed(f"ufw default policy is not deny: {', '.join(problems)}", *evidence)
    return passed("ufw denies incoming, outgoing and routed traffic by default", *evidence)


def nftables_enabled(view: HostView) -> HostResult:
    if (other := _applies(view, "nftables")) is not None:
        return other
    if _unit_on(view, "nftables.service"):
        return passed(
            "nftables.service loads the rules at boot",
            Evidence("/etc/systemd/system", "nftables.service enabled"),
        )
    return failed(
        "nftables.service is not enabled: no rules are loaded at boot",
        Evidence("/etc/systemd/system", "nftables.service not enabled"),
    )


def nftables_default_deny(view: HostView) -> HostResult:
    if (other := _applies(view, "nftables")) is not None:
        return other
    if not view.tree.is_file(NFTABLES_CONF):
        return failed(f"{NFTABLES_CONF} does not exist: nftables.service loads no rules")
    rules = ruleset(view)
    problems, evidence = [], []
    for hook in HOOKS:
        chains = [c for c in rules.base_chains(hook) if c.family in FAMILIES]
        drop = [c for c in chains if c.policy == "drop"]
        for chain in (drop or chains)[:2]:
            where = (
                (chain.policy_file, chain.policy_line)
                if chain.policy_line
                else (chain.file, chain.line)
            )
            evidence.append(
                Evidence(
                    where[0],
                    f"{chain.family} {chain.table} {chain.name}: hook {hook}, "
                    f"policy {chain.policy}",
                    where[1],
                )
            )
        if not chains:
            problems.append(f"no {hook} base chain")
        elif not drop:
            problems.append(f"the {hook} base chain accepts by default")
    if problems:
        return failed("; ".join(problems), *evidence)
    return passed("input, forward and output base chains drop by default", *evidence)

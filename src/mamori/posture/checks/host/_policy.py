"""Password policy judgements: login.defs and the PAM password/auth stacks."""

from __future__ import annotations

from collections.abc import Callable

from mamori.workload.host.policy import (
    Value,
    faillock,
    login_defs,
    module_setting,
    pam_stack,
    pwquality,
)
from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.view import HostView


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def at_most(limit: int, low: int = 1) -> Callable[[str], bool]:
    return lambda v: (n := _int(v)) is not None and low <= n <= limit


def at_least(limit: int) -> Callable[[str], bool]:
    return lambda v: (n := _int(v)) is not None and n >= limit


def _judge(
    name: str, value: Value | None, default: str, ok: Callable[[str], bool], want: str
) -> HostResult:
    if value is None:
        evidence = Evidence("default", f"{name} {default}")
        shown = default
    else:
        evidence = Evidence(value.file, f"{name} {value.value}", value.line)
        shown = value.value
    if ok(shown):
        return passed(f"{name} is {shown}", evidence)
    return failed(f"{name} is {shown or 'unset'}; {want}", evidence)


def login_def(
    view: HostView, name: str, default: str, ok: Callable[[str], bool], want: str
) -> HostResult:
    if not view.exists("/etc/login.defs"):
        return not_applicable("/etc/login.defs does not exist")
    return _judge(name, login_defs(view).get(name), default, ok, want)


def pam_option(
    view: HostView,
    service: str,
    kind: str,
    module: str,
    option: str,
    default: str,
    ok: Callable[[str], bool],
    want: str,
) -> HostResult:
    """An option of a PAM module in a stack (module arguments beat its conf file)."""
    if not view.exists(f"/etc/pam.d/{service}"):
        return not_applicable(f"/etc/pam.d/{service} does not exist")
    lines = pam_stack(view, service, kind)
    if not any(line.module == module for line in lines):
        return failed(
            f"{module} is not in the {kind} stack of {service}",
            Evidence(f"/etc/pam.d/{service}", f"no {module}"),
        )
    files = {"pam_pwquality.so": pwquality, "pam_faillock.so": faillock}.get(module)
    value = module_setting(view, lines, module, option, files(view) if files else {})
    return _judge(option, value, default, ok, want)


def unix_no_nullok(view: HostView) -> HostResult:
    offending = []
    for service, kind in (
        ("common-auth", "auth"),
        ("common-password", "password"),
        ("common-account", "account"),
        ("common-session", "session"),
    ):
        for line in pam_stack(view, service, kind):
            if line.module == "pam_unix.so" and line.option("nullok") is not None:
                offending.append(line)
    if not view.exists("/etc/pam.d/common-auth"):
        return not_applicable("/etc/pam.d/common-auth does not exist")
    if offending:
        return failed(
            "pam_unix accepts empty passwords (nullok)",
            *(Evidence(o.file, f"{o.module} {' '.join(o.args)}", o.line) for o in offending),
        )
    return passed("no pam_unix line has nullok")


def unix_hashing(view: HostView) -> HostResult:
    if not view.exists("/etc/pam.d/common-password"):
        return not_applicable("/etc/pam.d/common-password does not exist")
    for line in pam_stack(view, "common-password", "password"):
        if line.module == "pam_unix.so":
            evidence = Evidence(line.file, f"{line.module} {' '.join(line.args)}", line.line)
            strong = [a for a in ("yescrypt", "sha512") if line.option(a) is not None]
            weak = [
                a for a in ("md5", "bigcrypt", "sha256", "blowfish") if line.option(a) is not None
            ]
            if strong and not weak:
                return passed(f"pam_unix hashes new passwords with {strong[0]}", evidence)
            return failed("pam_unix does not name yescrypt or sha512 for new passwords", evidence)
    return failed("no pam_unix line in the password stack")

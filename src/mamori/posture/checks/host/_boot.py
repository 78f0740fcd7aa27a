"""Bootloader judgements (CIS 1.4): grub.cfg's owner and mode, the menu password.

Not applicable without GRUB (no /boot/grub/grub.cfg, /etc/default/grub or /etc/grub.d:
a container image, or a host booting otherwise). grub.cfg is what boots, so when it
exists it decides; /etc/grub.d (what update-grub would generate from) decides only
when grub.cfg is absent, and is named in a failure as "not yet in grub.cfg".
"""

from __future__ import annotations

from mamori.posture.checks.host._files import judge_mode
from mamori.workload.host.grub import GRUB_CFG, grub_d_files, has_grub, protection
from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.view import HostView


def config_permissions(view: HostView) -> HostResult:
    return judge_mode(
        view,
        GRUB_CFG,
        0o600,
        missing=not_applicable(f"{GRUB_CFG} does not exist (no GRUB, or /boot not mounted)"),
    )


def password(view: HostView) -> HostResult:
    if not has_grub(view):
        return not_applicable("no GRUB configuration (/boot/grub/grub.cfg, /etc/grub.d)")
    in_cfg = view.tree.is_file(GRUB_CFG)
    judged = protection(view, [GRUB_CFG] if in_cfg else grub_d_files(view))
    where = GRUB_CFG if in_cfg else "/etc/grub.d"
    evidence = [
        Evidence(found[0], found[2], found[1])
        for found in (judged.superusers, judged.password)
        if found is not None
    ]
    if judged.superusers is not None and judged.password is not None:
        return passed(f"{where} sets superusers and a PBKDF2 password", *evidence)
    missing = [
        name
        for name, found in (
            ("set superusers", judged.superusers),
            ("password_pbkdf2", judged.password),
        )
        if found is None
    ]
    reason = f"{where} has no {' and no '.join(missing)}"
    evidence.append(Evidence(where, f"no {' and no '.join(missing)}"))
    if in_cfg:
        pending = protection(view, grub_d_files(view))
        if pending.superusers is not None and pending.password is not None:
            reason += " (set in /etc/grub.d but not yet in grub.cfg: run update-grub)"
            evidence.append(Evidence(pending.password[0], pending.password[2], pending.password[1]))
    return failed(reason, *evidence)

"""Fixture pairs for the AppArmor, bootloader, firewall, sudo, journald and AIDE checks,
in the style of pairs.py: a hardened base per family, and per check the few files (or
packages) that make it fail. `passing_root`/`failing_root` here cover every check
(these and pairs.py's)."""

from __future__ import annotations

from pathlib import Path

from tests.workload.host import pairs as base
from tests.workload.host.pairs import Pair
from tests.workload.host.roots import GROUP, F, Spec, build, enabled

# --- AppArmor and GRUB ----------------------------------------------------------------

KERNEL_ARGS = "root=UUID=1234 ro quiet apparmor=1 security=apparmor"
GRUB_PASSWORD = 'set superusers="admin"\npassword_pbkdf2 admin grub.pbkdf2.sha512.10000.0A1B.2C3D\n'


def grub_cfg(password: str = GRUB_PASSWORD, args: str = KERNEL_ARGS, mode: int = 0o600) -> F:
    return F(
        "### BEGIN /etc/grub.d/00_header ###\n"
        + password
        + "menuentry 'Debian GNU/Linux' --unrestricted {\n"
        + f"\tlinux\t/vmlinuz-6.1.0-18-amd64 {args}\n"
        + "\tinitrd\t/initrd.img-6.1.0-18-amd64\n}\n"
        + "submenu 'Advanced options' {\n"
        + f"\tlinux\t/vmlinuz-6.1.0-18-amd64 {args.replace('quiet', 'single')}\n}}\n",
        mode,
    )


PROFILE = "#include <tunables/global>\n/usr/sbin/foo {\n  #include <abstractions/base>\n}\n"
BOOT_PACKAGES = ("apparmor", "apparmor-utils", "grub-pc")
BOOT: Spec = {
    "/etc/default/grub": 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'
    'GRUB_CMDLINE_LINUX=""\n',
    # grub.d/*.cfg is sourced after /etc/default/grub and extends its value
    "/etc/default/grub.d/50-apparmor.cfg": "# CIS 1.3.1.2\n"
    'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX apparmor=1 security=apparmor"\n',
    "/boot/grub/grub.cfg": grub_cfg(),
    "/etc/grub.d/40_custom": F("#!/bin/sh\nexec tail -n +3 $0\n", 0o755),
    "/etc/apparmor.d/usr.sbin.foo": PROFILE,
    "/etc/apparmor.d/usr.bin.bar": "/usr/bin/bar flags=(complain) {\n}\n",
    "/etc/apparmor.d/usr.bin.baz.dpkg-old": "/usr/bin/baz flags=(unconfined) {\n}\n",
    "/etc/apparmor.d/abstractions/base": "# not a profile\n",
    "/etc/apparmor.d/local/usr.sbin.foo": "",
    "/etc/apparmor.d/disable": F(mode=0o755, directory=True),
}

# --- firewall -------------------------------------------------------------------------

UFW_DEFAULTS = (
    'IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nDEFAULT_OUTPUT_POLICY="REJECT"\n'
    'DEFAULT_FORWARD_POLICY="DROP"\nDEFAULT_APPLICATION_POLICY="SKIP"\n'
)
UFW: Spec = {
    "/etc/ufw/ufw.conf": "# Set to yes to start on boot.\nENABLED=yes\nLOGLEVEL=low\n",
    "/etc/default/ufw": UFW_DEFAULTS,
    "/lib/systemd/system/ufw.service": "[Unit]\nDescription=Uncomplicated firewall\n",
    **dict([enabled("ufw.service")]),
}
NFT_STOCK = """#!/usr/sbin/nft -f

flush ruleset

table inet filter {
\tchain input {
\t\ttype filter hook input priority filter;
\t}
\tchain forward {
\t\ttype filter hook forward priority filter;
\t}
\tchain output {
\t\ttype filter hook output priority filter;
\t}
}
"""
NFT: Spec = {
    # the stock file, its chains given a drop policy by an included file
    "/etc/nftables.conf": NFT_STOCK + 'include "/etc/nftables.d/*.nft"\n',
    "/etc/nftables.d/50-policy.nft": "chain inet filter input { policy drop; }  # CIS 4.3.8\n"
    "add chain inet filter forward { type filter hook forward priority 0 ; policy drop ; }\n"
    "chain inet filter output {\n  policy drop\n}\n",
    **dict([enabled("nftables.service")]),
}

# --- sudo -----------------------------------------------------------------------------

SUDOERS = """#
# This file MUST be edited with the 'visudo' command as root.
#
Defaults\tenv_reset
Defaults\tmail_badpass
Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults\tuse_pty

# User privilege specification
root\tALL=(ALL:ALL) ALL
%sudo\tALL=(ALL:ALL) ALL

# See sudoers(5) for more information on "@include" directives:
@includedir /etc/sudoers.d
"""
SUDO: Spec = {
    "/etc/sudoers": F(SUDOERS, 0o440),
    "/etc/sudoers.d/README": F("# files with a dot or ending in ~ are skipped\n", 0o440),
    "/etc/sudoers.d/10-cis": F(
        'Defaults logfile="/var/log/sudo.log", \\\n    timestamp_timeout=10\n', 0o440
    ),
    # skipped by sudo (a dot in the name, a trailing ~): never judged
    "/etc/sudoers.d/old.conf": F("ALL ALL=(ALL) NOPASSWD: ALL\nDefaults !authenticate\n", 0o440),
    "/etc/sudoers.d/20-local~": F("Defaults !use_pty\n", 0o440),
}
LOCAL = "/etc/sudoers.d/20-local"
PAM_SU = (
    "auth       sufficient pam_rootok.so\n"
    "# auth       required   pam_wheel.so\n"
    "auth       required   pam_wheel.so use_uid group=sugroup\n"
    "@include common-auth\n"
)
SU: Spec = {"/etc/pam.d/su": PAM_SU, "/etc/group": GROUP + "sugroup:x:1001:\n"}

# --- journald -------------------------------------------------------------------------

JOURNALD_MAIN = "[Journal]\n#Storage=auto\n#Compress=yes\nStorage=volatile\nCompress=no\n"
JOURNALD: Spec = {
    "/etc/systemd/journald.conf": JOURNALD_MAIN,
    "/usr/lib/systemd/journald.conf.d/10-vendor.conf": "[Journal]\nStorage=volatile\n",
    "/etc/systemd/journald.conf.d/60-cis.conf": "[Journal]\nStorage=persistent\n"
    "Compress=yes\nForwardToSyslog=no\n",
    # the same name in /usr/lib is hidden by the /etc one
    "/usr/lib/systemd/journald.conf.d/60-cis.conf": "[Journal]\nCompress=no\n",
}
RSYSLOG: Spec = {
    "/etc/systemd/journald.conf": "[Journal]\n#ForwardToSyslog=yes\n",
    "/lib/systemd/system/rsyslog.service": "[Unit]\nDescription=System Logging Service\n",
    **dict([enabled("rsyslog.service")]),
}
DROPIN = "/etc/systemd/journald.conf.d/90-local.conf"

# --- AIDE -----------------------------------------------------------------------------

AIDE_PACKAGES = ("aide", "aide-common")
AIDE: Spec = {
    "/lib/systemd/system/dailyaidecheck.timer": "[Timer]\nOnCalendar=daily\n",
    **dict([enabled("dailyaidecheck.timer", "timers.target")]),
}


def _more() -> dict[str, Pair]:
    pairs: dict[str, Pair] = {}
    boot = BOOT_PACKAGES
    pairs["apparmor_installed"] = Pair(BOOT, boot, {}, ("apparmor", "grub-pc"))
    pairs["apparmor_bootloader_enabled"] = Pair(
        BOOT, boot, {"/etc/default/grub.d/50-apparmor.cfg": 'GRUB_CMDLINE_LINUX="apparmor=1"\n'}
    )
    pairs["apparmor_profiles_enforce_or_complain"] = Pair(
        BOOT, boot, {"/etc/apparmor.d/disable/usr.sbin.foo": F(link="../usr.sbin.foo")}
    )
    pairs["boot_password_set"] = Pair(BOOT, boot, {"/boot/grub/grub.cfg": grub_cfg(password="")})
    pairs["boot_config_permissions"] = Pair(
        BOOT, boot, {"/boot/grub/grub.cfg": grub_cfg(mode=0o644)}
    )
    pairs["firewall_single_utility"] = Pair(
        UFW, ("ufw",), dict([enabled("nftables.service")]), ("ufw", "nftables")
    )
    pairs["ufw_service_enabled"] = Pair(UFW, ("ufw",), {"/etc/ufw/ufw.conf": "ENABLED=no\n"})
    pairs["ufw_default_deny"] = Pair(
        UFW, ("ufw",), {"/etc/default/ufw": UFW_DEFAULTS.replace('"REJECT"', '"ACCEPT"')}
    )
    pairs["nftables_default_deny"] = Pair(
        NFT, ("nftables",), {"/etc/nftables.d/50-policy.nft": None}
    )
    pairs["nftables_service_enabled"] = Pair(
        NFT, ("nftables",), {enabled("nftables.service")[0]: None}
    )
    sudo_changes: list[tuple[str, Spec]] = [
        ("sudo_use_pty", {LOCAL: F("Defaults:alice !use_pty\n", 0o440)}),
        ("sudo_logfile", {"/etc/sudoers.d/10-cis": F("Defaults timestamp_timeout=10\n", 0o440)}),
        (
            "sudo_password_required",
            {LOCAL: F("deploy ALL=(root) NOPASSWD: /usr/bin/systemctl\n", 0o440)},
        ),
        ("sudo_reauthentication_enabled", {LOCAL: F("Defaults:deploy !authenticate\n", 0o440)}),
        ("sudo_timestamp_timeout", {LOCAL: F("Defaults timestamp_timeout=-1\n", 0o440)}),
    ]
    for check, change in sudo_changes:
        pairs[check] = Pair(SUDO, ("sudo",), change)
    pairs["sudo_installed"] = Pair(SUDO, ("sudo",), {}, ())
    pairs["su_access_restricted"] = Pair(SU, (), {"/etc/group": GROUP + "sugroup:x:1001:alice\n"})
    systemd = ("systemd",)
    journald_changes: list[tuple[str, Spec]] = [
        ("journald_storage_persistent", {DROPIN: "[Journal]\nStorage=auto\n"}),
        ("journald_compress", {DROPIN: "[Journal]\nCompress=no\n"}),
        # an empty assignment resets to Debian's default, yes
        ("journald_forward_to_syslog_disabled", {DROPIN: "[Journal]\nForwardToSyslog=\n"}),
    ]
    for check, change in journald_changes:
        pairs[check] = Pair(JOURNALD, systemd, change)
    pairs["journald_forward_to_rsyslog"] = Pair(
        RSYSLOG, ("systemd", "rsyslog"), {DROPIN: "[Journal]\nForwardToSyslog=no\n"}
    )
    pairs["aide_installed"] = Pair(AIDE, AIDE_PACKAGES, {}, ("aide",))
    pairs["aide_periodic_check"] = Pair(
        AIDE, AIDE_PACKAGES, {enabled("dailyaidecheck.timer", "timers.target")[0]: None}
    )
    return pairs


MORE_PAIRS = _more()
PAIRS = {**base.PAIRS, **MORE_PAIRS}


def passing_root(check: str, root: Path) -> Path:
    pair = PAIRS[check]
    return build(root, pair.base, pair.packages)


def failing_root(check: str, root: Path) -> Path:
    pair = PAIRS[check]
    packages = pair.packages if pair.failing_packages is None else pair.failing_packages
    return build(root, {**pair.base, **(pair.failing or {})}, packages)

"""Per check: a passing root (its family's hardened base) and a failing one (the base
with a few files changed), so each pair differs only in what the check judges."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.workload.host.roots import (
    GROUP,
    PASSWD,
    SHADOW,
    SHADOW_GID,
    F,
    Spec,
    build,
    enabled,
)

# --- sshd -----------------------------------------------------------------------------

SSHD_HARDENED = """# hardened
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin no
PermitEmptyPasswords no
HostbasedAuthentication no
IgnoreRhosts yes
MaxAuthTries 4
LoginGraceTime 60
PermitUserEnvironment no
LogLevel VERBOSE
UsePAM yes
DisableForwarding yes
Banner /etc/issue.net
MaxSessions 10
GSSAPIAuthentication no
Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com
KexAlgorithms curve25519-sha256,diffie-hellman-group16-sha512
ClientAliveInterval 15
ClientAliveCountMax 3
"""
SSHD: Spec = {
    "/etc/ssh/sshd_config": F(SSHD_HARDENED, 0o600),
    "/etc/ssh/sshd_config.d/README": "files here are included first\n",
    "/etc/ssh/ssh_host_ed25519_key": F("-----BEGIN OPENSSH PRIVATE KEY-----\n", 0o600),
    "/etc/ssh/ssh_host_ed25519_key.pub": "ssh-ed25519 AAAA root@h\n",
}
SSHD_WEAKER = {  # check -> a line in sshd_config.d/00-weak.conf, which sshd reads first
    "ssh_permit_root_login_disabled": "PermitRootLogin yes",
    "ssh_permit_empty_passwords_disabled": "PermitEmptyPasswords yes",
    "ssh_hostbased_auth_disabled": "HostbasedAuthentication yes",
    "ssh_ignore_rhosts_enabled": "IgnoreRhosts no",
    "ssh_max_auth_tries_limited": "MaxAuthTries 6",
    "ssh_login_grace_time_limited": "LoginGraceTime 2m",
    "ssh_permit_user_environment_disabled": "PermitUserEnvironment yes",
    "ssh_log_level_sufficient": "LogLevel QUIET",
    "ssh_use_pam_enabled": "UsePAM no",
    "ssh_forwarding_disabled": "DisableForwarding no",
    "ssh_banner_configured": "Banner none",
    "ssh_max_sessions_limited": "MaxSessions 20",
    "ssh_gssapi_disabled": "GSSAPIAuthentication yes",
    "ssh_ciphers_strong": "Ciphers +aes128-cbc",
    "ssh_macs_strong": "MACs hmac-md5,hmac-sha2-256",
    "ssh_kex_strong": "KexAlgorithms +diffie-hellman-group14-sha1",
    "ssh_client_alive_configured": "ClientAliveInterval 0",
}

# --- sysctl ---------------------------------------------------------------------------

HARDENED_SYSCTL = {
    "net.ipv4.ip_forward": "0",
    "net.ipv6.conf.all.forwarding": "0",
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.send_redirects": "0",
    "net.ipv4.icmp_ignore_bogus_error_responses": "1",
    "net.ipv4.icmp_echo_ignore_broadcasts": "1",
    "net.ipv4.conf.all.accept_redirects": "0",
    "net.ipv4.conf.default.accept_redirects": "0",
    "net.ipv6.conf.all.accept_redirects": "0",
    "net.ipv6.conf.default.accept_redirects": "0",
    "net.ipv4.conf.all.secure_redirects": "0",
    "net.ipv4.conf.default.secure_redirects": "0",
    "net.ipv4.conf.all.rp_filter": "1",
    "net.ipv4.conf.default.rp_filter": "1",
    "net.ipv4.conf.all.accept_source_route": "0",
    "net.ipv4.conf.default.accept_source_route": "0",
    "net.ipv6.conf.all.accept_source_route": "0",
    "net.ipv6.conf.default.accept_source_route": "0",
    "net.ipv4.conf.all.log_martians": "1",
    "net.ipv4.conf.default.log_martians": "1",
    "net.ipv4.tcp_syncookies": "1",
    "net.ipv6.conf.all.accept_ra": "0",
    "net.ipv6.conf.default.accept_ra": "0",
    "kernel.randomize_va_space": "2",
    "kernel.yama.ptrace_scope": "1",
    "fs.suid_dumpable": "0",
}
WEAK_VALUE = {"0": "1", "1": "0", "2": "0"}


def sysctl_text(values: dict[str, str]) -> str:
    return "".join(f"{k} = {v}\n" for k, v in values.items())


WEAK_SYSCTL = {k: WEAK_VALUE[v] for k, v in HARDENED_SYSCTL.items()}
WEAK_SYSCTL["fs.suid_dumpable"] = "2"
SYSCTL: Spec = {
    # vendor file with weak values, overridden by the admin's file (read later: 60 > 50)
    "/usr/lib/sysctl.d/50-vendor.conf": sysctl_text(WEAK_SYSCTL),
    "/etc/sysctl.d/60-cis.conf": "# CIS\n" + sysctl_text(HARDENED_SYSCTL),
}
SYSCTL_FAIL: Spec = {"/etc/sysctl.d/99-local.conf": sysctl_text(WEAK_SYSCTL)}

# --- mounts ---------------------------------------------------------------------------

FSTAB_GOOD = (
    "# <fs> <mount point> <type> <options> <dump> <pass>\n"
    "UUID=1234 / ext4 errors=remount-ro 0 1\n"
    "tmpfs /tmp tmpfs defaults,rw,nosuid,nodev,noexec,relatime,size=2G 0 0\n"
    "tmpfs /dev/shm tmpfs defaults,nodev,nosuid,noexec 0 0\n"
)
MOUNTS: Spec = {"/etc/fstab": FSTAB_GOOD}


def fstab_without(target: str, option: str | None) -> Spec:
    lines = []
    for line in FSTAB_GOOD.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[1] == target:
            if option is None:
                continue
            line = line.replace(f",{option}", "")
        lines.append(line)
    return {"/etc/fstab": "\n".join(lines) + "\n"}


# --- files, cron, accounts ------------------------------------------------------------

FILES: Spec = {
    "/etc/passwd-": PASSWD,
    "/etc/group-": GROUP,
    "/etc/shadow": F(SHADOW, 0o640, gid=SHADOW_GID),
    "/etc/shadow-": F(SHADOW, 0o600),
    "/etc/gshadow": F("root:*::\n", 0o640, gid=SHADOW_GID),
    "/etc/gshadow-": F("root:*::\n", 0o600),
    "/etc/shells": "/bin/sh\n/bin/bash\n",
    "/etc/security/opasswd": F("", 0o600),
    "/usr/bin/tool": F("#!/bin/sh\n", 0o755),
    "/var/tmp": F(mode=0o1777, directory=True),
    "/tmp": F(mode=0o1777, directory=True),
}
CRON_PACKAGES = ("cron",)
CRON: Spec = {
    "/etc/crontab": F("17 * * * * root cd / && run-parts --report /etc/cron.hourly\n", 0o600),
    **{
        f"/etc/cron.{d}": F(mode=0o700, directory=True)
        for d in ("hourly", "daily", "weekly", "monthly", "d")
    },
    "/etc/cron.allow": F("root\n", 0o640),
}
ACCOUNTS: Spec = {"/etc/shadow": F(SHADOW, 0o640, gid=SHADOW_GID)}

# --- audit ----------------------------------------------------------------------------

AUDIT_PACKAGES = ("auditd", "audispd-plugins")
AUDIT_RULES = """## CIS 6.2.3.x
-w /etc/group -p wa -k identity
-w /etc/passwd -p wa -k identity
-w /etc/gshadow -p wa -k identity
-w /etc/shadow -p wa -k identity
-w /etc/security/opasswd -p wa -k identity
-w /etc/sudoers -p wa -k scope
-w /etc/sudoers.d -p wa -k scope
-a always,exit -F arch=b64 -S adjtimex,settimeofday -k time-change
-a always,exit -F arch=b64 -S clock_settime -F a0=0x0 -k time-change
-a always,exit -F arch=b32 -S adjtimex -S settimeofday -S clock_settime -k time-change
"""
AUDIT: Spec = {
    **dict([enabled("auditd.service")]),
    "/etc/audit/auditd.conf": "log_file = /var/log/audit/audit.log\nmax_log_file = 8\n"
    "max_log_file_action = keep_logs\nspace_left_action = email\ndisk_full_action = HALT\n",
    "/etc/audit/rules.d/50-cis.rules": AUDIT_RULES,
    "/etc/audit/rules.d/99-finalize.rules": "-e 2\n",
    "/etc/default/grub": "GRUB_DEFAULT=0\n"
    'GRUB_CMDLINE_LINUX="quiet audit=1 audit_backlog_limit=8192"\n',
    "/lib/systemd/system/auditd.service": "[Unit]\nDescription=auditd\n",
}

# --- password policy ------------------------------------------------------------------

LOGIN_DEFS = (
    "MAIL_DIR /var/mail\nPASS_MAX_DAYS 99999\nPASS_MAX_DAYS\t365\nPASS_MIN_DAYS 1\n"
    "PASS_WARN_AGE 7\nENCRYPT_METHOD YESCRYPT\n"
)
COMMON_PASSWORD = (
    "password requisite pam_pwquality.so retry=3\n"
    "password requisite pam_pwhistory.so remember=24 enforce_for_root use_authtok\n"
    "password [success=1 default=ignore] pam_unix.so obscure use_authtok try_first_pass yescrypt\n"
    "password requisite pam_deny.so\n"
    "password required pam_permit.so\n"
)
COMMON_AUTH = (
    "auth required pam_faillock.so preauth\n"
    "auth [success=1 default=ignore] pam_unix.so\n"
    "auth [default=die] pam_faillock.so authfail\n"
    "auth requisite pam_deny.so\n"
    "auth required pam_permit.so\n"
)
POLICY: Spec = {
    "/etc/login.defs": LOGIN_DEFS,
    "/etc/pam.d/common-password": COMMON_PASSWORD,
    "/etc/pam.d/common-auth": COMMON_AUTH,
    "/etc/pam.d/common-account": "account [success=1 new_authtok_reqd=done default=ignore] "
    "pam_unix.so\naccount requisite pam_deny.so\n",
    "/etc/security/pwquality.conf": "# minlen = 8\nminlen = 14\n",
    "/etc/security/faillock.conf": "deny = 5\nunlock_time = 900\n",
}

# --- services -------------------------------------------------------------------------

SERVICES = {  # package -> unit, one per "not in use" check
    "autofs": "autofs.service",
    "avahi-daemon": "avahi-daemon.service",
    "isc-dhcp-server": "isc-dhcp-server.service",
    "bind9": "named.service",
    "dnsmasq": "dnsmasq.service",
    "vsftpd": "vsftpd.service",
    "slapd": "slapd.service",
    "dovecot-imapd": "dovecot.service",
    "nfs-kernel-server": "nfs-server.service",
    "ypserv": "ypserv.service",
    "cups": "cups.service",
    "rpcbind": "rpcbind.service",
    "rsync": "rsync.service",
    "samba": "smbd.service",
    "snmpd": "snmpd.service",
    "tftpd-hpa": "tftpd-hpa.service",
    "squid": "squid.service",
    "xinetd": "xinetd.service",
}
SERVICES_IN_USE: Spec = dict(enabled(unit) for unit in SERVICES.values())


@dataclass(frozen=True)
class Pair:
    base: Spec
    packages: tuple[str, ...] = ()
    failing: Spec | None = None  # changes that make the check fail
    failing_packages: tuple[str, ...] | None = None


def _pairs() -> dict[str, Pair]:
    pairs: dict[str, Pair] = {}
    ssh = ("openssh-server",)
    for check, line in SSHD_WEAKER.items():
        pairs[check] = Pair(SSHD, ssh, {"/etc/ssh/sshd_config.d/00-weak.conf": line + "\n"})
    pairs["ssh_config_permissions"] = Pair(
        SSHD, ssh, {"/etc/ssh/sshd_config": F(SSHD_HARDENED, 0o644)}
    )
    pairs["ssh_private_host_keys_permissions"] = Pair(
        SSHD, ssh, {"/etc/ssh/ssh_host_ed25519_key": F("key\n", 0o644)}
    )
    for check in (
        "sysctl_ip_forwarding_disabled", "sysctl_send_redirects_disabled",
        "sysctl_icmp_bogus_responses_ignored", "sysctl_icmp_broadcasts_ignored",
        "sysctl_icmp_redirects_rejected", "sysctl_secure_redirects_rejected",
        "sysctl_reverse_path_filter_enabled", "sysctl_source_route_rejected",
        "sysctl_martians_logged", "sysctl_tcp_syncookies_enabled",
        "sysctl_ipv6_router_adverts_rejected", "sysctl_aslr_enabled",
        "sysctl_ptrace_scope_restricted", "sysctl_suid_dumpable_disabled",
    ):  # fmt: skip
        pairs[check] = Pair(SYSCTL, (), SYSCTL_FAIL)
    pairs["mount_tmp_separate"] = Pair(MOUNTS, (), fstab_without("/tmp", None))
    for option in ("nodev", "nosuid", "noexec"):
        pairs[f"mount_tmp_{option}"] = Pair(MOUNTS, (), fstab_without("/tmp", option))
        pairs[f"mount_dev_shm_{option}"] = Pair(MOUNTS, (), fstab_without("/dev/shm", option))
    for check, path, bad in (
        ("file_passwd_permissions", "/etc/passwd", F(PASSWD, 0o664)),
        ("file_passwd_backup_permissions", "/etc/passwd-", F(PASSWD, 0o666)),
        ("file_group_permissions", "/etc/group", F(GROUP, 0o646)),
        ("file_group_backup_permissions", "/etc/group-", F(GROUP, 0o644, uid=1)),
        ("file_shadow_permissions", "/etc/shadow", F(SHADOW, 0o644, gid=SHADOW_GID)),
        ("file_shadow_backup_permissions", "/etc/shadow-", F(SHADOW, 0o640, gid=1)),
        ("file_gshadow_permissions", "/etc/gshadow", F("root:*::\n", 0o660, gid=SHADOW_GID)),
        ("file_gshadow_backup_permissions", "/etc/gshadow-", F("root:*::\n", 0o604)),
        ("file_shells_permissions", "/etc/shells", F("/bin/sh\n", 0o664)),
        ("file_opasswd_permissions", "/etc/security/opasswd", F("", 0o640)),
        ("file_world_writable_secured", "/usr/share/doc/notes", F("x", 0o666)),
    ):
        pairs[check] = Pair(FILES, (), {path: bad})
    pairs["cron_crontab_permissions"] = Pair(
        CRON, CRON_PACKAGES, {"/etc/crontab": F("# x\n", 0o644)}
    )
    for name in ("hourly", "daily", "weekly", "monthly"):
        pairs[f"cron_{name}_permissions"] = Pair(
            CRON, CRON_PACKAGES, {f"/etc/cron.{name}": F(mode=0o755, directory=True)}
        )
    pairs["cron_d_dir_permissions"] = Pair(
        CRON, CRON_PACKAGES, {"/etc/cron.d": F(mode=0o700, uid=1, directory=True)}
    )
    pairs["cron_access_restricted"] = Pair(CRON, CRON_PACKAGES, {"/etc/cron.allow": None})
    audit = AUDIT_PACKAGES
    rules = "/etc/audit/rules.d/50-cis.rules"
    audit_changes: list[tuple[str, Spec]] = [
        ("audit_service_enabled", {enabled("auditd.service")[0]: None}),
        ("audit_boot_enabled", {"/etc/default/grub": 'GRUB_CMDLINE_LINUX="quiet"\n'}),
        (
            "audit_logs_kept",
            {"/etc/audit/auditd.conf": "max_log_file_action = ROTATE\ndisk_full_action = HALT\n"},
        ),
        (
            "audit_disk_full_halts",
            {
                "/etc/audit/auditd.conf": "max_log_file_action = keep_logs\n"
                "disk_full_action = SUSPEND\n"
            },
        ),
        ("audit_rules_identity", {rules: AUDIT_RULES.replace("-w /etc/security/opasswd", "#")}),
        ("audit_rules_sudoers", {rules: AUDIT_RULES.replace("sudoers.d -p wa", "sudoers.d -p r")}),
        ("audit_rules_time_change", {rules: AUDIT_RULES.replace("arch=b32", "arch=b31")}),
        ("audit_rules_immutable", {"/etc/audit/rules.d/99-finalize.rules": "-e 1\n"}),
    ]
    for check, change in audit_changes:
        pairs[check] = Pair(AUDIT, audit, change)
    pairs["audit_packages_installed"] = Pair(AUDIT, audit, {}, ("auditd",))
    login = "/etc/login.defs"
    policy_changes: list[tuple[str, Spec]] = [
        ("login_defs_pass_max_days", {login: LOGIN_DEFS + "PASS_MAX_DAYS 99999\n"}),
        ("login_defs_pass_min_days", {login: LOGIN_DEFS.replace("PASS_MIN_DAYS 1", "")}),
        ("login_defs_pass_warn_age", {login: LOGIN_DEFS.replace("WARN_AGE 7", "WARN_AGE 3")}),
        ("login_defs_encrypt_method_strong", {login: LOGIN_DEFS + "ENCRYPT_METHOD MD5\n"}),
        ("pam_pwquality_minlen", {"/etc/security/pwquality.conf.d/90-local.conf": "minlen=8\n"}),
        (
            "pam_faillock_deny",
            {"/etc/pam.d/common-auth": COMMON_AUTH.replace("authfail", "authfail deny=10")},
        ),
        (
            "pam_pwhistory_remember",
            {"/etc/pam.d/common-password": COMMON_PASSWORD.replace("remember=24", "remember=5")},
        ),
        (
            "pam_unix_no_nullok",
            {"/etc/pam.d/common-auth": COMMON_AUTH.replace("pam_unix.so", "pam_unix.so nullok")},
        ),
        (
            "pam_unix_hashing_strong",
            {"/etc/pam.d/common-password": COMMON_PASSWORD.replace("yescrypt", "md5")},
        ),
    ]
    for check, change in policy_changes:
        pairs[check] = Pair(POLICY, (), change)
    account_changes: list[tuple[str, Spec]] = [
        ("accounts_root_only_uid0", {"/etc/passwd": PASSWD + "toor:x:0:0::/root:/bin/sh\n"}),
        ("accounts_shadowed_passwords", {"/etc/passwd": PASSWD.replace("root:x:", "root:$1$ab:")}),
        (
            "accounts_no_empty_passwords",
            {"/etc/shadow": F(SHADOW + "guest::19000:0:99999:7:::\n", 0o640, gid=SHADOW_GID)},
        ),
    ]
    for check, change in account_changes:
        pairs[check] = Pair(ACCOUNTS, (), change)
    services = tuple(SERVICES)
    for check in (
        "service_autofs_not_in_use", "service_avahi_not_in_use",
        "service_dhcp_server_not_in_use", "service_dns_server_not_in_use",
        "service_dnsmasq_not_in_use", "service_ftp_server_not_in_use",
        "service_ldap_server_not_in_use", "service_mail_access_not_in_use",
        "service_nfs_server_not_in_use", "service_nis_server_not_in_use",
        "service_print_server_not_in_use", "service_rpcbind_not_in_use",
        "service_rsync_not_in_use", "service_samba_not_in_use", "service_snmp_not_in_use",
        "service_tftp_not_in_use", "service_web_proxy_not_in_use",
        "service_xinetd_not_in_use",
    ):  # fmt: skip
        pairs[check] = Pair({}, (), SERVICES_IN_USE, services)
    pairs["package_prelink_not_installed"] = Pair({}, (), {}, ("prelink",))
    return pairs


PAIRS = _pairs()


def passing_root(check: str, root: Path) -> Path:
    pair = PAIRS[check]
    return build(root, pair.base, pair.packages)


def failing_root(check: str, root: Path) -> Path:
    pair = PAIRS[check]
    packages = pair.packages if pair.failing_packages is None else pair.failing_packages
    return build(root, {**pair.base, **(pair.failing or {})}, packages)

"""Host hardening: CIS Debian Linux 12 Level 1 checks on a live host or a root directory.

view.py      HostView: bounded, symlink-safe reads under a root (a DirectoryTree), owners
             named from the root's own passwd/group, dpkg status, enabled systemd units
live.py      LiveFacts: what only a running system knows (/proc/sys, mountinfo, processes,
             the kernel command line, `sshd -T`); None when the root is not "/"
sshd.py      effective sshd_config the way sshd reads it (Include, Match, first value wins)
sysctl.py    sysctl.d / sysctl.conf in systemd-sysctl's order (last assignment wins)
policy.py    login.defs, PAM stacks, pwquality/faillock conf files
audit.py     auditd.conf and the audit rules files
mounts.py    fstab, systemd .mount units and the live mount table
result.py    HostVerdict / HostResult / Evidence: what a host check returns
scan.py      root -> host checks -> findings (suppressions from `.mamori.yaml`) -> ScanReport
sarif.py     SARIF 2.1.0 for host findings (the shared writer, workload/sarif.py, with host help)
"""

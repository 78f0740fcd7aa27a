"""HostView safety: symlinks never leave ROOT (absolute targets are ROOT-relative, `..`
stops at ROOT), owners are named from ROOT's own passwd/group, reads are bounded."""

from __future__ import annotations

from pathlib import Path

from mamori.posture.checks.host import host_checks
from mamori.workload.host.result import HostVerdict
from mamori.workload.host.view import HostView
from tests.workload.host.roots import F, build


def test_symlinks_resolve_inside_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "login.defs").write_text("PASS_MAX_DAYS 30\n")
    root = build(
        tmp_path / "root",
        {
            # both would reach the outside file if followed on the real filesystem
            "/etc/login.defs": F(link=str(outside / "login.defs")),
            "/etc/sysctl.d/10-x.conf": F(link="../../../../../../../../outside/login.defs"),
        },
    )
    view = HostView.open(root, live=False)
    assert view.read_text("/etc/login.defs") is None
    assert view.read_text("/etc/sysctl.d/10-x.conf") is None
    [result] = host_checks.get("login_defs_pass_max_days")().run(view)
    assert result.verdict is HostVerdict.NOT_APPLICABLE  # no login.defs inside the root


def test_symlink_inside_root_is_followed_and_stat_names_owners_from_root(
    tmp_path: Path,
) -> None:
    root = build(
        tmp_path,
        {
            "/etc/group": "root:x:0:\nwheel:x:1:\n",
            "/usr/share/defaults/login.defs": F("PASS_MAX_DAYS 30\n", 0o640, gid=1),
            "/etc/login.defs": F(link="/usr/share/defaults/login.defs"),
        },
    )
    view = HostView.open(root, live=False)
    info = view.stat("/etc/login.defs")
    assert info is not None and info.path == "/usr/share/defaults/login.defs"
    assert (info.mode, view.user(info.uid), view.group(info.gid)) == (0o640, "root", "wheel")
    [result] = host_checks.get("login_defs_pass_max_days")().run(view)
    assert result.verdict is HostVerdict.PASS


def test_oversized_file_is_a_notice_not_a_crash(tmp_path: Path) -> None:
    root = build(tmp_path, {})
    (root / "etc" / "login.defs").write_bytes(b"# x\n" * (2 * 1024 * 1024))
    view = HostView.open(root, live=False)
    assert view.read_text("/etc/login.defs") is None
    assert any("login.defs" in n.message for n in view.notices)


def test_fifo_and_directory_in_place_of_a_file(tmp_path: Path) -> None:
    import os

    root = build(tmp_path, {"/etc/ssh/sshd_config": F(directory=True, mode=0o755)})
    os.mkfifo(root / "etc" / "login.defs")
    view = HostView.open(root, live=False)
    assert view.read_text("/etc/login.defs") is None  # never blocks on the fifo
    for check in ("login_defs_pass_max_days", "ssh_permit_root_login_disabled"):
        assert list(host_checks.get(check)().run(view))


def test_walk_is_bounded_and_stays_on_the_filesystem(tmp_path: Path) -> None:
    root = build(tmp_path, {f"/usr/lib/f{i}": "x" for i in range(50)})
    view = HostView.open(root, live=False)
    assert len(list(view.walk("/usr", 10))) == 10
    assert any("walk stopped" in n.message for n in view.notices)


def test_stat_without_following_resolves_the_parent_inside_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text("x")
    root = build(tmp_path / "root", {"/etc/link": F(link=str(outside))})
    view = HostView.open(root, live=False)
    assert view.stat("/etc/link/shadow", follow=False) is None  # not the outside file
    info = view.stat("/etc/link", follow=False)
    assert info is not None and info.kind.value == "symlink"

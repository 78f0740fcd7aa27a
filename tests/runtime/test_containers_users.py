"""Container identity from cgroups and user names from passwd/group files, against real
oracles: podman (the id of a container it runs, and the names busybox's ``id`` prints
inside it) and the C library's passwd/group lookups on the host."""

from __future__ import annotations

import grp
import json
import pwd
import subprocess
from pathlib import Path

import pytest

from mamori.model.events import SyscallEvent
from mamori.runtime.state import ContainerTable, UserDirectory, detect, split_image
from tests.support import need_root, need_tool

HEX = "0123456789abcdef" * 4
CASES = [
    (["cpu=/"], "host", ""),
    (["cpu=/user.slice/user-1000.slice/session-1.scope"], "host", ""),
    ([f"cpu=/docker/{HEX}"], HEX[:12], ""),
    ([f"0::/system.slice/docker-{HEX}.scope"], HEX[:12], ""),
    ([f"1:cpu:/crio-{HEX}"], HEX[:12], ""),
    ([f"0::/machine.slice/libpod-{HEX}.scope"], HEX[:12], ""),
    ([f"0::/machine.slice/libpod-conmon-{HEX}.scope"], "host", ""),
    ([f"cpu=/libpod_parent/libpod-{HEX}"], HEX[:12], ""),
    (
        [f"cpu=/kubepods/besteffort/pod0b1c2d3e-1111-4222-8333-444455556666/{HEX}"],
        HEX[:12],
        "0b1c2d3e-1111-4222-8333-444455556666",
    ),
    (
        [
            "0::/kubepods.slice/kubepods-burstable.slice/"
            "kubepods-burstable-pod0b1c2d3e_1111_4222_8333_444455556666.slice/"
            f"cri-containerd-{HEX}.scope"
        ],
        HEX[:12],
        "0b1c2d3e-1111-4222-8333-444455556666",
    ),
]


@pytest.mark.parametrize(("cgroups", "cid", "pod"), CASES)
def test_cgroup_shapes(cgroups: list[str], cid: str, pod: str) -> None:
    identity = detect(cgroups)
    assert (identity.id, identity.pod_uid) == (cid, pod)


def test_host_users_match_the_c_library() -> None:
    users = UserDirectory()
    assert users.load_root("/") > 0
    for entry in pwd.getpwall():
        found = users.user(entry.pw_uid)
        assert found is not None
        assert (found.gid, found.homedir, found.shell) == (
            entry.pw_gid,
            entry.pw_dir,
            entry.pw_shell,
        )
        assert pwd.getpwuid(entry.pw_uid).pw_name == found.name
    for group in grp.getgrall():
        found_group = users.group(group.gr_gid)
        assert found_group is not None and grp.getgrgid(group.gr_gid).gr_name == found_group.name


@pytest.mark.slow
def test_podman_container_identity_and_users(tmp_path: Path) -> None:
    need_root()
    podman = need_tool("podman")
    busybox = Path("/bin/busybox")
    if not busybox.exists():
        pytest.skip("busybox-static is not installed")
    root = tmp_path / "rootfs"
    for sub in ("bin", "etc", "proc", "sys", "dev"):
        (root / sub).mkdir(parents=True)
    (root / "bin" / "busybox").write_bytes(busybox.read_bytes())
    (root / "bin" / "busybox").chmod(0o755)
    for applet in ("sh", "cat", "id"):
        (root / "bin" / applet).symlink_to("busybox")
    (root / "etc" / "passwd").write_text(
        "root:x:0:0::/root:/bin/sh\nwebapp:x:4321:4322::/srv:/bin/sh\n"
    )
    (root / "etc" / "group").write_text("root:x:0:\nwebgrp:x:4322:\n")
    image = f"localhost/mamori-state-test:{tmp_path.name.lower()}"
    tar = subprocess.run(["tar", "-C", str(root), "-c", "."], capture_output=True, check=True)
    subprocess.run(
        [podman, "import", "-", image], input=tar.stdout, capture_output=True, check=True
    )
    cidfile = tmp_path / "cid"
    try:
        out = subprocess.run(
            [podman, "--runtime", "runc", "--cgroup-manager", "cgroupfs", "run", "--rm",
             "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
             "--cidfile", str(cidfile), "--user", "4321", image,
             "/bin/sh", "-c", "cat /proc/self/cgroup; echo ---; id -un; id -gn"],
            capture_output=True, check=True, timeout=60,
        ).stdout.decode()  # fmt: skip
    finally:
        subprocess.run([podman, "rmi", "-f", image], capture_output=True, check=False)
    cgroups, _, names = out.partition("---\n")
    full_id = cidfile.read_text().strip()
    identity = detect(cgroups.splitlines())
    assert (identity.id, identity.full_id, identity.runtime) == (full_id[:12], full_id, "podman")
    users = UserDirectory()
    users.load_root(root, container=identity.id)
    user, group = users.user(4321, identity.id), users.group(4322, identity.id)
    assert user is not None and group is not None
    assert names.split() == [user.name, group.name]
    assert users.user(4321) is None  # the container's users are not the host's


def test_container_metadata_from_capture_events() -> None:

    assert split_image("registry:5000/team/nginx:1.25") == ("registry:5000/team/nginx", "1.25", "")
    assert split_image("alpine") == ("alpine", "", "")
    assert split_image("a/b@sha256:00") == ("a/b", "", "sha256:00")
    table = ContainerTable(max_containers=2)
    mounts = [{"Source": "/", "Destination": "/host"}]
    doc = {"container": {"id": "abc", "name": "web", "image": "nginx:1", "privileged": True,
                         "Mounts": mounts, "type": 11}}  # fmt: skip
    info = table.from_event(SyscallEvent(0, 0, "container", ">", {"json": json.dumps(doc)}))
    assert info is not None
    assert (info.name, info.image_repository, info.image_tag, info.privileged, info.type) == (
        "web", "nginx", "1", True, "podman",
    )  # fmt: skip
    assert info.mounts[0]["Destination"] == "/host"
    assert table.from_event(SyscallEvent(0, 0, "container", ">", {"json": "{broken"})) is None
    for cid in ("x", "y", "z"):
        table.from_event(
            SyscallEvent(0, 0, "container", ">", {"id": cid, "type": 0, "name": cid, "image": "i"})
        )
    assert len(table) == 2

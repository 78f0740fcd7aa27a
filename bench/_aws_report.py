"""Printing for bench_aws.py: the agreement table, the cost table, the tools' errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from _aws_agree import Row, totals

# What investigation of the differences found (printed beside a control when one of the
# tools disagrees with the seeded truth). Keep to what was verified.
NOTES: dict[str, str] = {
    "1.4": "moto's credential report has no <root_account> row: Prowler reads nothing "
    "(mamori reads GetAccountSummary)",
    "1.5": "moto's credential report has no <root_account> row: Prowler reads nothing "
    "(mamori reads GetAccountSummary)",
    "1.12": "Prowler passes credentials never used (no password_last_used, key last used "
    "N/A); CIS 1.12 counts them unused",
    "1.19": "moto answers Expiration 2012-05-08 for every server certificate: the valid one "
    "reads as expired to both",
    "1.20": "moto has no Access Analyzer API (HTTP 500): nothing to judge for either tool",
    "2.1.4": "Prowler's bucket check reads only IgnorePublicAcls and RestrictPublicBuckets; "
    "CIS 2.1.4 wants all four",
    "2.2.1": "Prowler judges each volume (ec2_ebs_volume_encryption); CIS 2.2.1 audits the "
    "region's EBS default encryption",
    "2.3.3": "Prowler passes PubliclyAccessible instances whose security group is not open "
    "to the internet; CIS 2.3.3 audits the flag",
    "3.3": "Prowler keys Config recorders by name: 'default' in two regions, one region's "
    "verdict is lost",
    "3.8": "moto: GetEventSelectors by ARN outside the trail's home region is TrailNotFound; "
    "Prowler then skips the other trails (order-dependent)",
    "4.15": "Prowler requires event names the CIS v3.0 pattern lacks (CancelHandshake, "
    "CreateOrganization, EnableAllFeatures, ...)",
    "4.16": "moto has no GetEnabledStandards (404): Prowler drops the region where Security "
    "Hub is enabled",
    "5.1": "Prowler maps ec2_networkacl_allow_ingress_any_port to 5.1: a NACL denying 22/3389 "
    "first but allowing other ports from 0.0.0.0/0 fails",
    "5.2": "Prowler's 5.2 and 5.3 checks do not tell 0.0.0.0/0 from ::/0 apart: ::/0-only "
    "groups fail 5.2 too",
    "5.3": "Prowler's 5.2 and 5.3 checks do not tell 0.0.0.0/0 from ::/0 apart: "
    "0.0.0.0/0-only groups fail 5.3 too",
}


@dataclass
class SizeResult:
    size: int
    resources: int
    seed_s: float
    mamori_s: float
    mamori_mb: float
    prowler_s: float | None
    prowler_mb: float | None


def print_agreement(
    rows: Sequence[Row],
    automated: tuple[Mapping[str, bool], Mapping[str, bool]],
    explain: bool,
) -> None:
    """One line per control. auto: Automated (A) or Manual (M) per mamori/Prowler's
    framework files. Score columns: verdicts matching the seeded truth / verdicts given
    on seeded resources, then -missed (seeded resources the control applies to, no verdict).
    """
    print(
        f"{'control':8s} {'auto':4s} {'truth':8s} {'mamori ok/given':>16s} "
        f"{'prowler ok/given':>16s}  agree differ only-m only-p  note"
    )
    for r in rows:
        flag = "/".join(
            "-" if r.control not in a else ("A" if a[r.control] else "M") for a in automated
        )
        wrong = r.mamori.correct < r.mamori.given or r.prowler.correct < r.prowler.given
        note = NOTES.get(r.control, "") if wrong or r.mamori.missed or r.prowler.missed else ""
        print(
            f"{r.control:8s} {flag:4s} {r.truth:8s} {r.mamori!s:>16s} {r.prowler!s:>16s}  "
            f"{r.agree:5d} {r.differ:6d} {r.only_mamori:6d} {r.only_prowler:6d}  {note}"
        )
        if explain:
            for tool, score in (("mamori", r.mamori), ("prowler", r.prowler)):
                if score.wrong:
                    print(f"{'':10s}{tool} wrong: {', '.join(score.wrong[:6])}")
    m, p = totals(rows)
    print(
        f"{'total':8s} {'':4s} {'':8s} {m!s:>16s} {p!s:>16s}  "
        f"mamori {pct(m.correct, m.given)} correct, prowler {pct(p.correct, p.given)} correct"
    )


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "n/a"


def print_errors(title: str, errors: Mapping[str, Sequence[str]] | Sequence[str]) -> None:
    if not errors:
        print(f"{title}: none")
        return
    print(f"{title}:")
    if isinstance(errors, Mapping):
        for service, items in errors.items():
            print(f"  {service}: {'; '.join(items)[:300]}")
    else:
        for line in errors:
            print(f"  {line}")


def print_costs(results: Sequence[SizeResult]) -> None:
    print(
        f"\n{'size':>6s} {'resources':>9s} {'seed s':>7s} {'mamori s':>9s} {'MB':>6s} "
        f"{'prowler s':>10s} {'MB':>6s} {'speed x':>8s} {'mem x':>6s} "
        f"{'mamori ms/res':>13s} {'prowler ms/res':>14s}"
    )
    for r in results:
        ps = f"{r.prowler_s:10.1f}" if r.prowler_s is not None else f"{'-':>10s}"
        pm = f"{r.prowler_mb:6.0f}" if r.prowler_mb is not None else f"{'-':>6s}"
        speed = f"{r.prowler_s / r.mamori_s:8.1f}" if r.prowler_s else f"{'-':>8s}"
        mem = f"{r.prowler_mb / r.mamori_mb:6.1f}" if r.prowler_mb else f"{'-':>6s}"
        per_p = f"{1000 * r.prowler_s / r.resources:14.1f}" if r.prowler_s else f"{'-':>14s}"
        print(
            f"{r.size:6d} {r.resources:9d} {r.seed_s:7.1f} {r.mamori_s:9.2f} {r.mamori_mb:6.0f} "
            f"{ps} {pm} {speed} {mem} {1000 * r.mamori_s / r.resources:13.2f} {per_p}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        grow = last.resources / first.resources
        print(
            f"resources x{grow:.1f} from first to last size: mamori time "
            f"x{last.mamori_s / first.mamori_s:.1f}"
            + (
                f", prowler time x{last.prowler_s / first.prowler_s:.1f}"
                if last.prowler_s and first.prowler_s
                else ""
            )
            + " (linear = the same factor; less = fixed start-up cost dominates)"
        )

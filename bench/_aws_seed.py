"""Seed a moto account of about N resources with known good and bad configurations.

Deterministic (no randomness: every resource's configuration is a function of its index)
and fast (one boto3 client per service and region, calls spread over threads, EC2
instances created in batches). The seeder records the seeded truth: per CIS v3.0
control, which resources it made compliant (PASS) or not (FAIL). That truth, not either
scanner, is what the benchmark judges both scanners against.

Keys of the truth are short ids, the form both scanners' output is normalised to:
user/policy/certificate/bucket/trail names, sg-/acl-/vpc-/i-/fs- ids, KMS key ids, RDS
identifiers; the region for per-region controls, "account" for account-wide ones.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from _aws_moto import HOME, REGIONS
from botocore.config import Config

# Controls judged once per region or once for the account; all others per resource.
REGION_SCOPE = frozenset({"1.20", "2.2.1", "3.3", "4.16"})
ACCOUNT_SCOPE = frozenset(
    {"1.4", "1.5", "1.8", "1.9", "1.17", "3.1", "3.8", "3.9"} | {f"4.{i}" for i in range(1, 16)}
)

# Share of the scaled resources per kind, and the minimum so every profile occurs.
WEIGHTS: dict[str, tuple[float, int]] = {
    "users": (0.10, 8),
    "groups": (0.02, 2),
    "roles": (0.04, 3),
    "policies": (0.04, 3),
    "buckets": (0.08, 4),
    "vpcs": (0.03, 3),
    "subnets": (0.05, 3),
    "security_groups": (0.12, 5),
    "nacls": (0.03, 3),
    "instances": (0.06, 4),
    "volumes": (0.06, 2),
    "snapshots": (0.03, 1),
    "kms_keys": (0.04, 3),
    "rds": (0.03, 4),
    "efs": (0.03, 2),
    "lambdas": (0.04, 1),
    "log_groups": (0.04, 1),
}
FIXED = 60  # account-wide resources (trails, monitoring, defaults per region, ...)
KEYS_PER_USER = 0.9  # access keys are resources too


def scope(control: str) -> str:
    if control in REGION_SCOPE:
        return "region"
    return "account" if control in ACCOUNT_SCOPE else "resource"


# moto's ListEntitiesForPolicy looks at the first 100 roles only (sorted by random id, no
# marker): with more, the support role (1.17) may be invisible to both scanners.
MAX_ROLES = 90


def plan(total: int) -> dict[str, int]:
    """How many of each kind for an account of about `total` resources."""
    weight = sum(w for w, _ in WEIGHTS.values()) + WEIGHTS["users"][0] * KEYS_PER_USER
    rest = max(0, total - FIXED)
    counts = {k: max(lo, round(w * rest / weight)) for k, (w, lo) in WEIGHTS.items()}
    counts["roles"] = min(counts["roles"], MAX_ROLES)
    return counts


@dataclass
class Truth:
    """control -> key -> (verdict, required). Not required: n/a, judged only if reported."""

    verdicts: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def put(self, control: str, key: str, ok: bool, *, required: bool = True) -> None:
        with self._lock:
            self.verdicts.setdefault(control, {})[key] = ("PASS" if ok else "FAIL", required)

    def count(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.counts[kind] += n

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Clients:
    """One boto3 client per (service, region), created up front (clients are thread-safe)."""

    def __init__(self) -> None:
        self._session = boto3.Session()
        self._cfg = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32)
        self._made: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str, region: str = HOME) -> Any:
        with self._lock:
            if (service, region) not in self._made:
                session: Any = self._session
                self._made[service, region] = session.client(
                    service, region_name=region, config=self._cfg
                )
            return self._made[service, region]


def region_of(index: int) -> str:
    """Resources are spread round-robin over the seeded regions."""
    return REGIONS[index % len(REGIONS)]


def run_all(tasks: Sequence[Callable[[], object]], workers: int = 8) -> None:
    """Run seeding tasks on threads; the first failure is raised (seeding must be whole)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(t) for t in tasks]:
            future.result()


def seed(total: int) -> Truth:
    """Seed the (freshly reset) moto account with about `total` resources."""
    from _aws_seed_account import seed_account
    from _aws_seed_data import seed_data
    from _aws_seed_iam import seed_iam
    from _aws_seed_net import seed_network

    counts = plan(total)
    truth = Truth()
    aws = Clients()
    seed_iam(aws, counts, truth)
    seed_network(aws, counts, truth)
    seed_data(aws, counts, truth)
    seed_account(aws, truth)
    return truth

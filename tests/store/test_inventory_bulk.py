"""A 5,000-resource snapshot saves in bulk, and two of them diff in well under a second."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from mamori.model import CloudResource
from mamori.store import Store
from tests.store.inventory_factory import T0, big_inventory, iam_user, inventory, posture_report

COUNT = 5000
# Measured on the shared 2-core machine at load average ~5 (printed with -s): save
# 0.5-0.9 s on SQLite, 0.25-0.35 s on PostgreSQL (COPY); diff 0.1-0.5 s. Row-by-row
# inserts take far longer; the bounds catch that, not noise from a busy machine.
SAVE_BOUND_S = 10.0
DIFF_BOUND_S = 10.0


def evolve(resources: list[CloudResource]) -> list[CloudResource]:
    """The next hour: 1% deleted, 1% created, 5% changed deep inside their attributes."""
    out: list[CloudResource] = []
    for i, resource in enumerate(resources):
        if i % 100 == 7:
            continue
        if i % 40 in (2, 3):  # a security group and a NACL in every 40
            attributes = dict(resource.attributes)
            if resource.type == "aws.ec2.security_group":
                ingress = [dict(r) for r in attributes["ingress"]]
                ingress[1]["ipv4_ranges"] = [*ingress[1]["ipv4_ranges"], {"cidr": "0.0.0.0/0"}]
                attributes["ingress"] = ingress
            else:
                attributes["tags"] = [{"key": "owner", "value": f"team-{i}"}]
            resource = resource.model_copy(update={"attributes": attributes})
        out.append(resource)
    out.extend(iam_user(f"new-user-{i:03d}") for i in range(COUNT // 100))
    return out


@pytest.mark.slow
def test_large_snapshots_save_and_diff_fast(
    db_url: str, record_property: pytest.RecordProperty
) -> None:
    first = big_inventory(COUNT)
    second = evolve(first)
    with Store.open(db_url) as store:
        ids = []
        timings = []
        for hour, resources in enumerate((first, second)):
            at = T0 + timedelta(hours=hour)
            scan_id = store.save_scan(posture_report([], at=at), kind="posture")
            started = time.perf_counter()
            store.save_inventory(scan_id, inventory(resources, at=at))
            timings.append(time.perf_counter() - started)
            ids.append(scan_id)
        started = time.perf_counter()
        loaded = store.get_inventory(ids[0])
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        diff = store.diff_inventory(*ids)
        diff_s = time.perf_counter() - started
    backend = db_url.split(":")[0]
    record_property("save_s", round(timings[0], 3))
    record_property("diff_s", round(diff_s, 3))
    print(
        f"\n{backend}: save {COUNT} resources {timings[0]:.3f} s (second {timings[1]:.3f} s), "
        f"load {load_s:.3f} s, diff {diff_s:.3f} s"
    )
    assert loaded is not None and len(loaded.resources) == COUNT
    assert loaded.resources == tuple(first)
    assert len(diff.removed) == COUNT // 100 and len(diff.added) == COUNT // 100
    changed = [i for i in range(COUNT) if i % 40 in (2, 3)]
    assert len(diff.changed) == len(changed)
    assert diff.unchanged == COUNT - len(diff.removed) - len(diff.changed)
    sg_paths = {a.path for c in diff.changed if "security-group" in c.key for a in c.attributes}
    assert sg_paths == {"ingress[1].ipv4_ranges[cidr=0.0.0.0/0]"}
    assert max(timings) < SAVE_BOUND_S and diff_s < DIFF_BOUND_S

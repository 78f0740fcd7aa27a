"""Benchmark: the Debian bookworm minbase image, mamori against syft in the same run.

Prints: SBOM time vs syft (docker-archive and OCI layout), the ratio, peak memory,
advisory DB import time for all shared advisories, and the full scan time with them.

    .venv/bin/python bench/bench_bookworm.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from _common import BENCH_CACHE, MAMORI, ROOT, measure, median_runs, syft
from tests import targets

ADVISORIES = ROOT.parent / "shared" / "data" / "advisories"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.pop("CI", None)
    images = targets.bookworm_images()
    archive = images / "image.docker.tar"
    layout = images / "oci"
    syft_bin = syft()
    # Not /tmp: on some machines file creation there is 20-40x slower than elsewhere
    # on the same disk, which would measure the machine, not the tools.
    BENCH_CACHE.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="home-", dir=BENCH_CACHE))
    env = {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "SYFT_CHECK_FOR_APP_UPDATE": "false",
        # Both tools unpack images into TMPDIR: give them the same (fast) one.
        "TMPDIR": "/dev/shm",
        "MAMORI_WORKDIR": "/dev/shm",
    }
    print(f"target: bookworm minbase, {archive.stat().st_size / 1e6:.0f} MB docker-archive")
    rows = []
    for label, mamori_target, syft_target in (
        ("docker-archive", str(archive), f"docker-archive:{archive}"),
        ("oci layout", str(layout), f"oci-dir:{layout}"),
        ("directory", str(targets.bookworm_rootfs()), f"dir:{targets.bookworm_rootfs()}"),
    ):
        # warm the page cache for both, then alternate measured runs
        measure([str(MAMORI), "sbom", mamori_target, "-f", "json", "-o", "/dev/null"], env)
        measure([syft_bin, "scan", syft_target, "-q", "-o", "json=/dev/null"], env)
        m_s, m_rss = median_runs(
            [str(MAMORI), "sbom", mamori_target, "-f", "json", "-o", "/dev/null"], args.runs, env
        )
        s_s, s_rss = median_runs(
            [syft_bin, "scan", syft_target, "-q", "-o", "json=/dev/null"], args.runs, env
        )
        rows.append((label, m_s, s_s, m_rss, s_rss))
        print(
            f"sbom {label:15s} mamori {m_s:6.2f}s ({m_rss:5.0f} MB)  syft {s_s:6.2f}s "
            f"({s_rss:5.0f} MB)  mamori/syft = {m_s / s_s:.2f}"
        )
    t = time.perf_counter()
    files = sorted(p for p in ADVISORIES.glob("*-osv*.tar.gz")) + sorted(
        p for p in ADVISORIES.glob("*-database.tar.gz")
    )
    imp = measure([str(MAMORI), "db", "import", *map(str, files)], env)
    kev = ADVISORIES / "kev" / "known_exploited_vulnerabilities.json"
    measure([str(MAMORI), "db", "import", "--kev", str(kev)], env)
    print(
        f"db import (all shared OSV: {len(files)} archives) {imp.seconds:.2f}s, "
        f"peak {imp.max_rss_mb:.0f} MB  (with KEV {time.perf_counter() - t:.2f}s)"
    )
    scan_s, scan_rss = median_runs(
        [
            str(MAMORI),
            "scan",
            "image",
            str(archive),
            "--offline",
            "--no-store",
            "-f",
            "json",
            "-o",
            "/dev/null",
        ],
        args.runs,
        env,
    )
    print(f"full scan docker-archive (all advisories) {scan_s:.2f}s, peak {scan_rss:.0f} MB")
    store_s, _ = median_runs(
        [str(MAMORI), "scan", "image", str(archive), "--offline", "-f", "json", "-o", "/dev/null"],
        args.runs,
        env,
    )
    print(f"full scan + save in the SQLite store {store_s:.2f}s")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

"""How far mamori's package inventory agrees with syft's, per target and ecosystem.

Runs syft (installed into its own venv under .cache/bench) and `mamori sbom -f json` on
the real targets of tests/targets.py and compares name+version sets per ecosystem.
Agreement = packages both list / packages either lists.

    .venv/bin/python bench/sbom_agreement.py [--details]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from _common import BENCH_CACHE, MAMORI, measure, syft
from tests import targets

# syft artifact type -> mamori package type
SYFT_TYPES = {
    "deb": "deb",
    "apk": "apk",
    "rpm": "rpm",
    "python": "pypi",
    "npm": "npm",
    "go-module": "golang",
    "java-archive": "maven",
    "jenkins-plugin": "maven",
    "gem": "gem",
    "rust-crate": "cargo",
    "php-composer": "composer",
}
MARINER = Path(__file__).resolve().parents[2] / "shared/data/targets/rpmdb/mariner2"

Pairs = dict[str, set[tuple[str, str]]]


def key(kind: str, name: str) -> str:
    """Names as each ecosystem compares them: PyPI names are case-insensitive (PEP 503)."""
    if kind == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def mariner_root() -> Path:
    root = BENCH_CACHE / "mariner-root"
    if not (root / "var/lib/rpm/rpmdb.sqlite").exists():
        (root / "var/lib/rpm").mkdir(parents=True, exist_ok=True)
        (root / "etc").mkdir(exist_ok=True)
        shutil.copy(MARINER / "rpmdb.sqlite", root / "var/lib/rpm/rpmdb.sqlite")
        (root / "etc/os-release").write_text(
            'NAME="Common Base Linux Mariner"\nID=mariner\nVERSION_ID="2.0"\n'
        )
    return root


def usr_go_binaries() -> Path:
    """Every Go executable this machine has in /usr (Debian-built: podman, runc, ...)."""
    out = BENCH_CACHE / "go-usr"
    if not out.is_dir():
        out.mkdir(parents=True)
        for folder in ("/usr/bin", "/usr/sbin", "/usr/lib/podman"):
            for path in sorted(Path(folder).glob("*")) if Path(folder).is_dir() else ():
                if path.is_symlink() or not path.is_file():
                    continue
                probe = subprocess.run(["go", "version", str(path)], capture_output=True, text=True)
                if ": go1" in probe.stdout:
                    shutil.copy2(path, out / path.name)
    return out


def syft_pairs(target: str, env: dict[str, str]) -> Pairs:
    out = measure([syft(), "scan", target, "-q", "-o", "json"], env).stdout
    pairs: Pairs = defaultdict(set)
    for art in json.loads(out)["artifacts"]:
        kind = SYFT_TYPES.get(art["type"], art["type"])
        pairs[kind].add((key(kind, art["name"]), art["version"]))
    return pairs


def mamori_pairs(target: str, env: dict[str, str]) -> Pairs:
    out = measure([str(MAMORI), "sbom", target, "-f", "json"], env).stdout
    pairs: Pairs = defaultdict(set)
    for pkg in json.loads(out)["sbom"]["packages"]:
        name = pkg["name"]
        if pkg["type"] == "maven" and ":" in name:
            name = name.split(":", 1)[1]
        pairs[pkg["type"]].add((key(pkg["type"], name), pkg["version"]))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--details", action="store_true", help="list every difference")
    args = parser.parse_args()
    os.environ.pop("CI", None)
    home = BENCH_CACHE / "home"
    env = {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "SYFT_CHECK_FOR_APP_UPDATE": "false",
    }
    images = targets.bookworm_images()
    cases = [
        ("bookworm dir", str(targets.bookworm_rootfs()), f"dir:{targets.bookworm_rootfs()}"),
        (
            "bookworm docker-archive",
            str(images / "image.docker.tar"),
            f"docker-archive:{images / 'image.docker.tar'}",
        ),
        ("bookworm OCI layout", str(images / "oci"), f"oci-dir:{images / 'oci'}"),
        *[
            (f"alpine {v}", str(targets.alpine_rootfs(v)), f"dir:{targets.alpine_rootfs(v)}")
            for v in targets.ALPINE_VERSIONS
        ],
        ("mariner rpmdb", str(mariner_root()), f"dir:{mariner_root()}"),
        ("old PyPI venv", str(targets.old_venv()), f"dir:{targets.old_venv()}"),
        ("npm tree", str(targets.npm_tree()), f"dir:{targets.npm_tree()}"),
        ("java jars", str(targets.java_jars()), f"dir:{targets.java_jars()}"),
        ("go binaries", str(targets.go_binaries()), f"dir:{targets.go_binaries()}"),
        ("go binaries of /usr", str(usr_go_binaries()), f"dir:{usr_go_binaries()}"),
    ]
    print(f"{'target':26s} {'ecosystem':9s} {'both':>5s} {'syft':>5s} {'mamori':>6s} {'agree':>7s}")
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for label, mamori_target, syft_target in cases:
        theirs = syft_pairs(syft_target, env)
        ours = mamori_pairs(mamori_target, env)
        for eco in sorted(set(theirs) | set(ours)):
            a, b = theirs.get(eco, set()), ours.get(eco, set())
            if eco not in SYFT_TYPES.values() and not b:
                continue  # syft-only kinds mamori does not catalog (binary, ...)
            both = len(a & b)
            union = len(a | b)
            pct = 100.0 * both / union if union else 100.0
            print(f"{label:26s} {eco:9s} {both:5d} {len(a):5d} {len(b):6d} {pct:7.2f}%")
            for i, n in enumerate((both, len(a), len(b), union)):
                totals[eco][i] += n
            if args.details:
                for name, version in sorted(a - b):
                    print(f"    only syft:   {name} {version}")
                for name, version in sorted(b - a):
                    print(f"    only mamori: {name} {version}")
    print_totals(totals)


def print_totals(totals: dict[str, list[int]]) -> None:
    print("\nper ecosystem, all targets: both / syft / mamori / agreement (both / either)")
    for eco, (both, theirs, ours, union) in sorted(totals.items()):
        pct = 100.0 * both / union if union else 100.0
        print(f"  {eco:9s} {both:5d} {theirs:5d} {ours:6d} {pct:7.2f}%")


if __name__ == "__main__":
    main()

"""Pulls from a real docker-registry (distribution 2.8) that skopeo pushed into.

Oracles: the pulled layout lists exactly the files of the original docker-archive; skopeo
(an independent client) resolves the same manifest digests per platform and accepts our
layout, verifying every digest while copying it.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from mamori.model import Notice
from mamori.sources.image import open_image
from mamori.sources.registry import (
    RegistryError,
    parse_reference,
    pull_image,
    pull_to_layout,
)
from tests.sources.imagefix import snapshot_tree
from tests.sources.registry.conftest import Requests
from tests.sources.registry.servers import Registry
from tests.support import need_tool
from tests.targets import bookworm_images

pytestmark = [pytest.mark.network, pytest.mark.xdist_group("registry")]


def _skopeo_inspect(ref: str, *extra: str) -> dict[str, object]:
    need_tool("skopeo")
    out = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", *extra, f"docker://{ref}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def _snapshot(path: Path, workdir: Path, platform: str = "linux/amd64") -> dict[str, object]:
    notices: list[Notice] = []
    with open_image(path, workdir=workdir, notices=notices, platform=platform) as tree:
        return dict(snapshot_tree(tree))


@pytest.mark.slow
def test_pull_by_tag_lists_the_files_of_the_docker_archive(
    registry: Registry, workdir: Path, requests: Requests
) -> None:
    ref = f"{registry.host}/bookworm:docker"
    pulled = pull_to_layout(
        ref, workdir / "layout", cache_dir=workdir / "cache", options=requests.options()
    )
    assert pulled.media_type == "application/vnd.docker.distribution.manifest.v2+json"
    assert requests.seen["blob"] == 2  # the config and the one layer, nothing else
    oracle = _skopeo_inspect(ref)
    assert pulled.manifest_digest == oracle["Digest"]
    assert list(pulled.layer_digests) == oracle["Layers"]
    index = json.loads((pulled.layout / "index.json").read_text())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == ref
    original = _snapshot(bookworm_images() / "image.docker.tar", workdir)
    assert _snapshot(pulled.layout, workdir) == original
    assert len(original) > 5000


def test_pulled_layout_is_accepted_by_skopeo(registry: Registry, workdir: Path) -> None:
    """skopeo reads our layout and re-checks every blob digest while copying it."""
    need_tool("skopeo")
    pulled = pull_to_layout(
        f"{registry.host}/multi:docker",
        workdir / "layout",
        platform="linux/arm64/v8",
        cache_dir=workdir / "cache",
    )
    subprocess.run(
        ["skopeo", "copy", "-q", f"oci:{pulled.layout}", f"dir:{workdir / 'copy'}"], check=True
    )
    assert (workdir / "copy" / "manifest.json").read_bytes() == (
        pulled.layout / "blobs" / "sha256" / pulled.manifest_digest.split(":")[1]
    ).read_bytes()


def test_pull_by_digest(registry: Registry, workdir: Path, requests: Requests) -> None:
    digest = str(_skopeo_inspect(f"{registry.host}/bookworm:oci")["Digest"])
    ref = f"{registry.host}/bookworm@{digest}"
    pulled = pull_to_layout(ref, workdir / "layout", cache_dir=workdir / "cache")
    assert pulled.manifest_digest == digest
    # Again: everything named by digest comes from the cache; only /v2/ is asked.
    pull_to_layout(ref, workdir / "again", cache_dir=workdir / "cache", options=requests.options())
    assert requests.seen["manifest"] == requests.seen["blob"] == 0 and requests.seen["ping"] >= 1
    assert pulled.media_type == "application/vnd.oci.image.manifest.v1+json"
    notices: list[Notice] = []
    with open_image(pulled.layout, workdir=workdir, notices=notices) as tree:
        assert tree.info.manifest_digest == digest
        assert tree.info.repo_tags == (ref,)
        assert "VERSION_CODENAME=bookworm" in tree.read_text("/etc/os-release")
    # A digest naming a manifest list: the platform is chosen from it.
    index_digest = str(_skopeo_inspect(f"{registry.host}/multi:docker")["Digest"])
    pulled = pull_to_layout(
        f"{registry.host}/multi@{index_digest}",
        workdir / "multi",
        platform="linux/arm64",
        cache_dir=workdir / "cache",
    )
    assert pulled.index_digest == index_digest and pulled.platform == "linux/arm64/v8"


@pytest.mark.parametrize("tag", ["multi:oci", "multi:docker"])
@pytest.mark.parametrize(
    ("platform", "skopeo_args", "arch_file"),
    [
        ("linux/amd64", ["--override-arch", "amd64"], "amd64\n"),
        ("linux/arm64/v8", ["--override-arch", "arm64", "--override-variant", "v8"], "arm64/v8\n"),
        ("linux/arm64", ["--override-arch", "arm64"], "arm64/v8\n"),
    ],
)
def test_platform_is_chosen_from_the_list(
    registry: Registry,
    workdir: Path,
    tag: str,
    platform: str,
    skopeo_args: list[str],
    arch_file: str,
    requests: Requests,
) -> None:
    ref = f"{registry.host}/{tag}"
    pulled = pull_to_layout(
        ref,
        workdir / "layout",
        platform=platform,
        cache_dir=workdir / "cache",
        options=requests.options(),
    )
    # skopeo's Digest is the list's; its Layers are those of the image it chose.
    oracle = _skopeo_inspect(ref, "--override-os", "linux", *skopeo_args)
    assert pulled.index_digest == oracle["Digest"]
    assert list(pulled.layer_digests) == oracle["Layers"]
    assert pulled.platform is not None and pulled.platform.startswith(platform)
    assert requests.seen["manifest"] == 2  # the list, then the chosen manifest only
    notices: list[Notice] = []
    with open_image(pulled.layout, workdir=workdir, notices=notices, platform=platform) as tree:
        assert tree.read_text("/etc/arch") == arch_file


def test_absent_platform_lists_the_available_ones(registry: Registry, workdir: Path) -> None:
    with pytest.raises(RegistryError) as err:
        pull_to_layout(
            f"{registry.host}/multi:oci",
            workdir / "layout",
            platform="linux/s390x",
            cache_dir=workdir / "cache",
        )
    assert "no image for linux/s390x" in str(err.value)
    assert "available platforms: linux/amd64, linux/arm64/v8" in str(err.value)
    assert not (workdir / "layout").exists()


def test_single_platform_image_for_another_platform_is_pulled_with_a_warning(
    registry: Registry, workdir: Path
) -> None:
    pulled = pull_to_layout(
        f"{registry.host}/armonly:1", workdir / "layout", cache_dir=workdir / "cache"
    )
    assert pulled.platform is None
    assert any("linux/arm64/v8, not linux/amd64" in w for w in pulled.warnings)


def test_second_pull_downloads_no_blob(
    registry: Registry, workdir: Path, requests: Requests
) -> None:
    ref = f"{registry.host}/bookworm:docker"
    cache = workdir / "cache"
    seen: list[tuple[int, int | None]] = []
    start = time.monotonic()
    cold = pull_to_layout(
        ref,
        workdir / "cold",
        cache_dir=cache,
        options=requests.options(),
        progress=lambda d, t: seen.append((d, t)),
    )
    cold_s = time.monotonic() - start
    assert requests.seen["blob"] == 2
    total = cold.downloaded_bytes
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    warm_requests = Requests()
    start = time.monotonic()
    warm = pull_to_layout(ref, workdir / "warm", cache_dir=cache, options=warm_requests.options())
    warm_s = time.monotonic() - start
    assert warm_requests.seen["blob"] == 0
    assert warm.downloaded_bytes == 0 and warm.blobs_cached == 2 and warm.blobs_downloaded == 0
    assert warm.manifest_digest == cold.manifest_digest
    print(f"bookworm pull: cold {cold_s:.2f}s ({total} bytes), warm {warm_s:.2f}s")
    # A damaged cache entry is noticed (re-hashed) and fetched again.
    layer = cache / "sha256" / cold.layer_digests[0].split(":")[1]
    with layer.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\0" * 16)
    again = Requests()
    pull_to_layout(ref, workdir / "again", cache_dir=cache, options=again.options())
    assert again.seen["blob"] == 1


def test_unknown_tag_and_repository(registry: Registry, workdir: Path) -> None:
    with pytest.raises(RegistryError, match=r"/bookworm:nope not found: MANIFEST_UNKNOWN") as err:
        pull_to_layout(f"{registry.host}/bookworm:nope", workdir / "a", cache_dir=workdir / "c")
    assert err.value.status == 404
    # distribution 2.8 says MANIFEST_UNKNOWN for an unknown repository too
    with pytest.raises(RegistryError, match=r"nothing/here:latest not found"):
        pull_to_layout(f"{registry.host}/nothing/here", workdir / "b", cache_dir=workdir / "c")


def test_pull_image_for_the_cli(
    registry: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(workdir / "xdg-cache"))
    work = workdir / "scan"
    work.mkdir()
    layout = pull_image(f"{registry.host}/multi:oci", workdir=work, platform="linux/arm64")
    assert layout.parent.parent == work
    assert (workdir / "xdg-cache" / "mamori" / "blobs" / "sha256").is_dir()
    notices: list[Notice] = []
    with open_image(layout, workdir=work, notices=notices, platform="linux/arm64") as tree:
        assert tree.read_text("/etc/arch") == "arm64/v8\n"
    before = set(work.iterdir())
    with pytest.raises(RegistryError, match="available platforms"):
        pull_image(f"{registry.host}/multi:oci", workdir=work, platform="linux/ppc64le")
    assert set(work.iterdir()) == before  # nothing left behind


def test_self_signed_https_needs_insecure(tls_registry: Registry, workdir: Path) -> None:
    ref = f"{tls_registry.host}/multi:oci"
    with pytest.raises(RegistryError, match=r"over HTTPS \(cannot connect: .*CERTIFICATE_VERIFY"):
        pull_to_layout(ref, workdir / "a", cache_dir=workdir / "c")
    pulled = pull_to_layout(ref, workdir / "b", cache_dir=workdir / "c", insecure=True)
    assert pulled.blobs_downloaded == 2


def test_loopback_reference_forms(registry: Registry) -> None:
    ref = parse_reference(f"localhost:{registry.port}/multi:oci")
    assert ref.is_loopback and ref.registry == f"localhost:{registry.port}"

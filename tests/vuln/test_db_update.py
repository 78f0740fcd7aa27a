"""`update()` against a real HTTP server on 127.0.0.1 serving OSV's bucket layout, built
from the shared advisory tarballs re-zipped per ecosystem (`{Ecosystem}/all.zip` of flat
JSON records, as OSV publishes them)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from mamori.vuln.db import UpdateProgress, VulnDb, status, update
from tests.support import need_shared

SOURCES = {
    "PyPI": ("pypa-advisory-database.tar.gz", 2661),
    "Go": ("golang-vulndb-osv.tar.gz", 4291),
    "crates.io": ("rustsec-advisory-db-osv.tar.gz", 1206),
}


def rezip(tarball: Path, out: Path) -> int:
    """Every OSV record of `tarball` as `<id>.json` in a flat zip (YAML converted)."""
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tf, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in tf:
            name = member.name.rsplit("/", 1)[-1]
            if not member.isfile() or name.startswith("."):
                continue
            fh = tf.extractfile(member)
            assert fh is not None
            if name.endswith(".json"):
                doc = json.loads(fh.read())
            elif name.endswith(".yaml"):
                doc = yaml.load(fh.read(), Loader=yaml.BaseLoader)
            else:
                continue
            zf.writestr(f"{doc['id']}.json", json.dumps(doc))
            count += 1
    return count


class Handler(SimpleHTTPRequestHandler):
    """Static files with ETag/If-None-Match (as GCS does) on top of the stdlib's
    Last-Modified/If-Modified-Since, a request log, and a few broken paths."""

    server: Server

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.server.log.append((self.command, self.path, int(code)))

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _etag(self) -> str | None:
        path = Path(self.translate_path(self.path))
        if not self.server.etags or not path.is_file():
            return None
        return '"' + hashlib.sha256(path.read_bytes()).hexdigest()[:16] + '"'

    def send_head(self) -> Any:
        if self.path.endswith("/truncated/all.zip"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"PK\x03\x04" + b"\0" * 100)
            self.close_connection = True
            return None
        etag = self._etag()
        if etag is not None and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        self._pending_etag = etag
        return super().send_head()

    def end_headers(self) -> None:
        etag = getattr(self, "_pending_etag", None)
        if etag is not None:
            self.send_header("ETag", etag)
            self._pending_etag = None
        super().end_headers()


class Server(ThreadingHTTPServer):
    log: list[tuple[str, str, int]]
    etags: bool


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Path:
    advisories = need_shared("data/advisories")
    root = tmp_path_factory.mktemp("bucket")
    for ecosystem, (tarball, expected) in SOURCES.items():
        assert rezip(advisories / tarball, root / ecosystem / "all.zip") == expected
    (root / "ecosystems.txt").write_text("PyPI\nGo\ncrates.io\nDebian:12\n\n")
    shutil.copy(advisories / "kev" / "known_exploited_vulnerabilities.json", root / "kev.json")
    return root


def serve(root: Path, etags: bool = True) -> Iterator[tuple[str, Server]]:
    server = Server(("127.0.0.1", 0), lambda *a: Handler(*a, directory=str(root)))
    server.log, server.etags = [], etags
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http(bucket: Path) -> Iterator[tuple[str, Server]]:
    yield from serve(bucket)


def zip_gets(server: Server) -> list[tuple[str, int]]:
    return [(path, code) for method, path, code in server.log if path.endswith("all.zip")]


def counts(db: VulnDb) -> dict[str, int]:
    return status(db).per_ecosystem


def test_update_then_nothing_to_download(http: tuple[str, Server], tmp_path: Path) -> None:
    base, server = http
    events: list[UpdateProgress] = []
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        first = update(base, list(SOURCES), events.append, db=db, kev_url=f"{base}/kev.json")
        assert first.ok, first.errors
        assert [f.status for f in first.feeds] == ["updated"] * 4
        imported = {f.feed: f.imported.records for f in first.feeds if f.imported}
        assert imported == {eco: n for eco, (_, n) in SOURCES.items()}
        assert first.feeds[-1].kev is not None and first.feeds[-1].kev.entries == 1404
        assert sorted(zip_gets(server)) == sorted((f"/{e}/all.zip", 200) for e in SOURCES)
        assert {e.phase for e in events} >= {"download", "import", "updated"}
        before = counts(db)

        server.log.clear()
        second = update(base, list(SOURCES), db=db, kev_url=f"{base}/kev.json")
        assert [f.status for f in second.feeds] == ["unchanged"] * 4
        assert all(code == 304 for _, _, code in server.log), server.log
        assert len(server.log) == 4
        assert counts(db) == before
        st = status(db)
        assert st.kev_entries == 1404
        assert {f.feed for f in st.feeds if f.etag} == {*SOURCES, "kev"}


def test_changed_zip_imports_only_newer_records(bucket: Path, tmp_path: Path) -> None:
    served = tmp_path / "served"
    shutil.copytree(bucket, served)
    for etags in (True, False):  # ETag, then Last-Modified alone
        for gen in serve(served, etags=etags):
            base, server = gen
            with VulnDb.open(tmp_path / f"db-{etags}.sqlite") as db:
                assert update(base, ["crates.io"], db=db, kev_url=None).ok
                zip_path = served / "crates.io" / "all.zip"
                with zipfile.ZipFile(zip_path) as zf:
                    records = {n: json.loads(zf.read(n)) for n in zf.namelist()}
                changed = records["RUSTSEC-2023-0001.json"]
                changed["modified"] = "2099-01-01T00:00:00Z"
                changed["summary"] = "changed upstream"
                records["RUSTSEC-2099-0001.json"] = {**changed, "id": "RUSTSEC-2099-0001"}
                stale = records["RUSTSEC-2016-0001.json"]
                stale["summary"] = "older copy"
                stale["modified"] = "2000-01-01T00:00:00Z"
                with zipfile.ZipFile(zip_path, "w") as zf:
                    for name, doc in records.items():
                        zf.writestr(name, json.dumps(doc))
                # Last-Modified has a resolution of one second: make the change visible.
                os.utime(zip_path, (zip_path.stat().st_atime, zip_path.stat().st_mtime + 10))
                server.log.clear()
                report = update(base, ["crates.io"], db=db, kev_url=None)
                (feed,) = report.feeds
                assert feed.status == "updated" and feed.imported is not None
                assert (feed.imported.added, feed.imported.updated) == (1, 1)
                assert feed.imported.older == 1
                assert feed.imported.unchanged == 1204
                summary = db.advisories(["RUSTSEC-2023-0001", "RUSTSEC-2016-0001"])
                assert summary["RUSTSEC-2023-0001"].advisory.summary == "changed upstream"
                assert summary["RUSTSEC-2016-0001"].advisory.summary != "older copy"
                # and unchanged again afterwards
                assert update(base, ["crates.io"], db=db, kev_url=None).feeds[0].status == (
                    "unchanged"
                )
            shutil.copy(bucket / "crates.io" / "all.zip", served / "crates.io" / "all.zip")


def test_ecosystem_list_skips_release_scoped_entries(
    http: tuple[str, Server], tmp_path: Path
) -> None:
    base, server = http
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        report = update(base, None, db=db, kev_url=None)
    assert [f.feed for f in report.feeds] == ["PyPI", "Go", "crates.io"]
    assert "/Debian:12/all.zip" not in {p for _, p, _ in server.log}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_offline_gives_a_clear_error_and_no_change(tmp_path: Path) -> None:
    port = free_port()
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        report = update(
            f"http://127.0.0.1:{port}", ["PyPI"], db=db, kev_url=f"http://127.0.0.1:{port}/k"
        )
        assert not report.ok and len(report.errors) == 2
        message = str(report.errors[0])
        assert message.startswith(f"PyPI: offline: could not reach 127.0.0.1:{port}")
        assert report.errors[1].feed == "kev"
        assert status(db).info.advisories == 0
        listing = update(f"http://127.0.0.1:{port}", None, db=db, kev_url=None)
        assert listing.errors[0].feed == "ecosystems.txt"


def test_http_errors_and_broken_downloads_leave_the_database_alone(
    bucket: Path, tmp_path: Path
) -> None:
    served = tmp_path / "served"
    shutil.copytree(bucket, served, ignore=shutil.ignore_patterns("PyPI", "Go"))
    for base, server in serve(served):
        with VulnDb.open(tmp_path / "db.sqlite") as db:
            assert update(base, ["crates.io"], db=db, kev_url=None).ok
            before = counts(db), db.feed_state("crates.io")
            (served / "crates.io" / "all.zip").write_bytes(b"this is not a zip")
            (served / "truncated").mkdir()
            report = update(base, ["crates.io", "NoSuch", "truncated"], db=db, kev_url=None)
            errors = {e.feed: e.message for e in report.errors}
            assert "not a zip archive" in errors["crates.io"]
            assert errors["NoSuch"].startswith("HTTP 404")
            assert "truncated" in errors
            assert (counts(db), db.feed_state("crates.io")) == before
            # The validators were not replaced: the next update downloads again.
            server.log.clear()
            update(base, ["crates.io"], db=db, kev_url=None)
            assert zip_gets(server) == [("/crates.io/all.zip", 200)]


def test_ecosystem_urls_follow_the_bucket_layout() -> None:
    from mamori.vuln.db.update import OSV_BASE_URL, ecosystem_url

    assert ecosystem_url(OSV_BASE_URL, "PyPI") == f"{OSV_BASE_URL}/PyPI/all.zip"
    assert ecosystem_url(OSV_BASE_URL + "/", "Debian:12") == f"{OSV_BASE_URL}/Debian:12/all.zip"
    assert ecosystem_url("http://h", "Rocky Linux:9") == "http://h/Rocky%20Linux:9/all.zip"

"""`update()`: download OSV's per-ecosystem zips (and CISA's KEV feed) and import them.

The layout is OSV's public bucket: `{base}/ecosystems.txt` lists the ecosystems and
`{base}/{ecosystem}/all.zip` holds each one's records. Downloads are conditional
(If-None-Match / If-Modified-Since from the validators stored per feed), so an unchanged
zip costs one 304; a changed one streams to a temporary file and is imported in one
transaction together with its new validators, so a failed download or import leaves the
database exactly as it was. Records not newer than the stored ones are skipped.
Failures are reported per feed as `UpdateError`s, never raised half-way.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

from mamori.model.common import utcnow
from mamori.vuln.db.importer import ImportResult, import_into
from mamori.vuln.db.kev import KEV_URL, MAX_KEV_BYTES, KevError, KevResult, load_kev
from mamori.vuln.db.store import VulnDb

OSV_BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"
MAX_DOWNLOAD_BYTES = 4 * 1024**3
CHUNK = 1024 * 1024


class UpdateError(Exception):
    """One feed could not be updated; `str()` is a message fit to show a user."""

    def __init__(self, feed: str, url: str, message: str) -> None:
        super().__init__(f"{feed}: {message}")
        self.feed = feed
        self.url = url
        self.message = message


@dataclass(frozen=True)
class UpdateProgress:
    feed: str
    phase: str  # "download", "import", "updated", "unchanged", "failed"
    done: int = 0  # bytes downloaded
    total: int | None = None


@dataclass
class FeedResult:
    feed: str
    url: str
    status: str  # "updated", "unchanged", "failed"
    downloaded: int = 0
    imported: ImportResult | None = None
    kev: KevResult | None = None
    error: UpdateError | None = None


@dataclass
class UpdateReport:
    feeds: list[FeedResult] = field(default_factory=list)

    @property
    def errors(self) -> list[UpdateError]:
        return [f.error for f in self.feeds if f.error is not None]

    @property
    def ok(self) -> bool:
        return not self.errors


ProgressCallback = Callable[[UpdateProgress], None]


def update(
    base_url: str = OSV_BASE_URL,
    ecosystems: list[str] | None = None,
    progress: ProgressCallback | None = None,
    *,
    db: VulnDb | None = None,
    kev_url: str | None = KEV_URL,
    client: httpx.Client | None = None,
    timeout: float = 60.0,
) -> UpdateReport:
    """Bring the database up to date. `ecosystems=None` takes every top-level ecosystem
    from `ecosystems.txt` (release-scoped ones like "Debian:12" only when named)."""
    report = UpdateReport()
    notify = progress or (lambda _event: None)
    own_db = db is None
    target = db if db is not None else VulnDb.open()
    http = client or httpx.Client(timeout=timeout, follow_redirects=True)
    base = base_url.rstrip("/")
    try:
        names = ecosystems
        if names is None:
            names = _list_ecosystems(http, base, report)
        for ecosystem in names or []:
            report.feeds.append(_update_ecosystem(http, target, base, ecosystem, notify))
        if kev_url:
            report.feeds.append(_update_kev(http, target, kev_url, notify))
        return report
    finally:
        if client is None:
            http.close()
        if own_db:
            target.close()


def ecosystem_url(base: str, ecosystem: str) -> str:
    return f"{base.rstrip('/')}/{quote(ecosystem, safe=':')}/all.zip"


def _list_ecosystems(http: httpx.Client, base: str, report: UpdateReport) -> list[str] | None:
    url = f"{base}/ecosystems.txt"
    try:
        response = http.get(url)
        _check(response, "ecosystems.txt", url)
    except UpdateError as exc:
        report.feeds.append(FeedResult("ecosystems.txt", url, "failed", error=exc))
        return None
    except httpx.HTTPError as exc:
        error = _http_error("ecosystems.txt", url, exc)
        report.feeds.append(FeedResult("ecosystems.txt", url, "failed", error=error))
        return None
    lines = (line.strip() for line in response.text.splitlines())
    return [line for line in lines if line and ":" not in line and not line.startswith("#")]


def _update_ecosystem(
    http: httpx.Client, db: VulnDb, base: str, ecosystem: str, notify: ProgressCallback
) -> FeedResult:
    url = ecosystem_url(base, ecosystem)
    try:
        with _download(http, db, ecosystem, url, ".zip", MAX_DOWNLOAD_BYTES, notify) as got:
            if got.path is None:
                notify(UpdateProgress(ecosystem, "unchanged"))
                return FeedResult(ecosystem, url, "unchanged")
            _require_zip(ecosystem, url, got.path)
            notify(UpdateProgress(ecosystem, "import", got.size, got.size))
            with db.transaction():
                imported = import_into(db, got.path)
                _record_validators(db, ecosystem, url, got)
        notify(UpdateProgress(ecosystem, "updated", got.size, got.size))
        return FeedResult(ecosystem, url, "updated", got.size, imported=imported)
    except sqlite3.Error as exc:
        notify(UpdateProgress(ecosystem, "failed"))
        error = UpdateError(ecosystem, url, f"advisory database not writable: {exc}")
        return FeedResult(ecosystem, url, "failed", error=error)
    except UpdateError as exc:
        notify(UpdateProgress(ecosystem, "failed"))
        return FeedResult(ecosystem, url, "failed", error=exc)


def _update_kev(http: httpx.Client, db: VulnDb, url: str, notify: ProgressCallback) -> FeedResult:
    try:
        with _download(http, db, "kev", url, ".json", MAX_KEV_BYTES, notify) as got:
            if got.path is None:
                notify(UpdateProgress("kev", "unchanged"))
                return FeedResult("kev", url, "unchanged")
            data = got.path.read_bytes()
            with db.transaction():
                try:
                    result = load_kev(db, data)
                except KevError as exc:
                    raise UpdateError("kev", url, str(exc)) from None
                _record_validators(db, "kev", url, got)
        notify(UpdateProgress("kev", "updated", got.size, got.size))
        return FeedResult("kev", url, "updated", got.size, kev=result)
    except UpdateError as exc:
        notify(UpdateProgress("kev", "failed"))
        return FeedResult("kev", url, "failed", error=exc)


@dataclass
class _Download:
    path: Path | None  # None: not modified since the stored validators
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None


@contextmanager
def _download(
    http: httpx.Client,
    db: VulnDb,
    feed: str,
    url: str,
    suffix: str,
    limit: int,
    notify: ProgressCallback,
) -> Iterator[_Download]:
    """Stream `url` to a temporary file beside the database (conditional request)."""
    state = db.feed_state(feed)
    headers = {}
    if state["url"] == url:
        if state["etag"]:
            headers["If-None-Match"] = state["etag"]
        if state["last_modified"]:
            headers["If-Modified-Since"] = state["last_modified"]
    with tempfile.TemporaryDirectory(dir=db.path.parent, prefix=".update-") as tmp:
        target = Path(tmp) / f"download{suffix}"
        try:
            with http.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    _touch(db, feed)
                    yield _Download(None)
                    return
                _check(response, feed, url)
                total = _int(response.headers.get("Content-Length"))
                if response.headers.get("Content-Encoding"):
                    total = None  # the length is of the encoded body
                size = 0
                with target.open("wb") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        size += len(chunk)
                        if size > limit:
                            raise UpdateError(feed, url, f"download larger than {limit} bytes")
                        out.write(chunk)
                        notify(UpdateProgress(feed, "download", size, total))
                if total is not None and size != total:
                    raise UpdateError(feed, url, f"download cut short ({size} of {total} bytes)")
                etag = response.headers.get("ETag")
                last_modified = response.headers.get("Last-Modified")
        except httpx.HTTPError as exc:
            raise _http_error(feed, url, exc) from None
        yield _Download(target, size, etag, last_modified)


def _check(response: httpx.Response, feed: str, url: str) -> None:
    if response.status_code >= 400:
        raise UpdateError(feed, url, f"HTTP {response.status_code} from {url}")


def _http_error(feed: str, url: str, exc: httpx.HTTPError) -> UpdateError:
    host = urlsplit(url).netloc or url
    if isinstance(exc, httpx.ConnectError):
        return UpdateError(feed, url, f"offline: could not reach {host} ({exc})")
    if isinstance(exc, httpx.TimeoutException):
        return UpdateError(feed, url, f"timed out talking to {host}")
    return UpdateError(feed, url, f"download from {host} failed: {exc}")


def _require_zip(feed: str, url: str, path: Path) -> None:
    try:
        with zipfile.ZipFile(path):
            pass
    except (zipfile.BadZipFile, OSError) as exc:
        raise UpdateError(feed, url, f"downloaded file is not a zip archive: {exc}") from None


def _record_validators(db: VulnDb, feed: str, url: str, got: _Download) -> None:
    now = utcnow().isoformat()
    db.set_feed_state(
        feed,
        url=url,
        etag=got.etag,
        last_modified=got.last_modified,
        checked_at=now,
        updated_at=now,
    )
    db.set_meta("last_update", now)
    db.set_meta("update_source", url)


def _touch(db: VulnDb, feed: str) -> None:
    with db.transaction():
        db.set_feed_state(feed, checked_at=utcnow().isoformat())


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

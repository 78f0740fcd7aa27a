"""CloudTrail log files read straight from their S3 bucket, incrementally.

    reader = CloudTrailS3("s3://trail-bucket/", cursors=StateFile(), notices=notices)
    for record in reader.records():     # one pass: every object not read before
        ...
    reader.cursors.flush()

CloudTrail writes ``<prefix>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_
CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz``; an organization trail adds
``<org-id>/`` (``o-...``) after ``AWSLogs``. The URL names the trail's key prefix (the
part before ``AWSLogs``) or any whole level below it (``.../AWSLogs/o-abc/``, an
account, ``CloudTrail``, a region, then a date filter such as ``2026/11/``). Each pass
discovers the account/region folders with delimiter listings (so accounts and regions
that appear later are picked up) and reads each folder's new objects in key order with
``ListObjectsV2`` pages (``StartAfter``), each parsed record by record, gunzipped as it
goes, by `mamori.logs.cloudtrail.read_cloudtrail_stream`. The next few small objects
download in threads meanwhile (`CloudTrailS3.prefetch`, `PREFETCH_MAX_BYTES`); larger
ones stream from the ``GetObject`` body. Memory: one record plus that window.

The cursor of a folder is the last key read there. Within a folder keys sort by
delivery time, except that the objects of one delivery minute differ only by a random
suffix: one arriving after its sibling was read may sort before it. So a listing starts
at the beginning of the last key's minute, and the keys of that minute already read
(`Cursor.seen`) are skipped. An object whose delivery is later than the next one's
minute (not observed in CloudTrail's behaviour) would be missed.

A cursor moves past an object once all its records have been handed out (at-least-once:
a reader stopped mid-object reads it again next time). A corrupt object (not gzip, not
JSON, truncated) is a warning and the cursor moves past it: re-reading the same bytes
cannot fix it. An S3 error (access denied, throttled beyond retries, network) stops
that folder for this pass *without* moving its cursor, so the object is retried next
pass. Errors are notices naming the code and the S3 URI, never an exception; messages
never carry credentials (boto3 resolves them; they are never formatted).
"""

from __future__ import annotations

import io
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, NoReturn

from mamori.logs._cursors import Cursor, CursorStore, MemoryCursors
from mamori.logs._io import Limits, Notices
from mamori.logs._s3 import (
    DENIED,
    THROTTLED,
    Body,
    S3Url,
    S3UrlError,
    TransportError,
    error_code,
    error_message,
    read_body,
    s3_client,
)
from mamori.logs.cloudtrail import read_cloudtrail_stream
from mamori.model import Notice, NoticeLevel

__all__ = ["CloudTrailS3", "ReadStats", "S3Url", "S3UrlError", "advance", "minute_start",
           "s3_client"]  # fmt: skip

SOURCE = "logs.cloudtrail_s3"
PREFETCH_MAX_BYTES = 8 << 20
"""Objects up to this size (compressed) are downloaded ahead, whole; larger ones stream."""
_ORG = re.compile(r"o-[a-z0-9]{10,32}")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+-\d{1,2}")
_STAMP = re.compile(r"_\d{8}T\d{4}Z(?=_[^/]*$)")
_LOG_SUFFIXES = (".json.gz", ".json")


@dataclass(slots=True)
class ReadStats:
    """What one reader has done so far (all passes)."""

    passes: int = 0
    folders: int = 0
    objects: int = 0
    records: int = 0
    bytes: int = 0
    corrupt: int = 0
    errors: int = 0
    skipped: int = 0  # keys that are not log files


class _StopFolderError(Exception):
    """An S3 error: this folder is done for this pass (already reported)."""


class CloudTrailS3:
    """Incremental reader of one trail's bucket prefix (see the module docstring).

    Other AWS logs delivered in the same layout (``AWSLogs/<account>/<service>/<region>/
    YYYY/MM/DD/<account>_<service>_<region>_..._<YYYYMMDDTHHmmZ>_<unique>``) are read by a
    subclass naming its `service` folder, its file `suffixes` and its record `_stream`
    (`mamori.logs.vpcflow_s3.VpcFlowS3`)."""

    service = "CloudTrail"
    suffixes: tuple[str, ...] = _LOG_SUFFIXES

    def __init__(
        self,
        url: str | S3Url,
        *,
        client: Any = None,
        cursors: CursorStore | None = None,
        notices: list[Notice] | None = None,
        limits: Limits | None = None,
        page_size: int = 1000,
        prefetch: int = 4,
    ) -> None:
        self.url = url if isinstance(url, S3Url) else S3Url.parse(url)
        self.client = client if client is not None else s3_client()
        self.cursors: CursorStore = cursors if cursors is not None else MemoryCursors()
        self.notices = notices if notices is not None else []
        self.limits = limits or Limits()
        self.page_size = page_size
        self.prefetch = max(0, prefetch)
        self.stats = ReadStats()
        self._sink = Notices(self.notices, SOURCE)

    # -- discovery -----------------------------------------------------------------------

    def folders(self) -> list[str]:
        """The listing prefixes to read: one per account and region (plus the URL's
        date filter, if any), sorted. Errors are notices; the list may then be short."""
        parts = [p for p in self.url.prefix.split("/") if p]
        if "AWSLogs" not in parts:
            base = "".join(p + "/" for p in parts) + "AWSLogs/"
            rest: list[str] = []
        else:
            i = parts.index("AWSLogs")
            base, rest = "".join(p + "/" for p in parts[: i + 1]), parts[i + 1 :]
        try:
            return sorted(self._below_awslogs(base, rest))
        except _StopFolderError:
            return []

    def _below_awslogs(self, base: str, rest: list[str]) -> Iterator[str]:
        if rest and _ORG.fullmatch(rest[0]):
            yield from self._accounts(base + rest[0] + "/", rest[1:])
        elif rest:
            yield from self._accounts(base, rest)
        else:
            for name in self._children(base):
                if _ORG.fullmatch(name):
                    yield from self._accounts(base + name + "/", [])
                elif _ACCOUNT.fullmatch(name):
                    yield from self._regions(f"{base}{name}/{self.service}/", [])

    def _accounts(self, base: str, rest: list[str]) -> Iterator[str]:
        if rest:
            if not _ACCOUNT.fullmatch(rest[0]) or rest[1:2] not in ([], [self.service]):
                self._warn("layout", f"{rest[0]!r} is not where {self.service} writes", base)
                return
            yield from self._regions(f"{base}{rest[0]}/{self.service}/", rest[2:])
            return
        for name in self._children(base):
            if _ACCOUNT.fullmatch(name):
                yield from self._regions(f"{base}{name}/{self.service}/", [])

    def _regions(self, base: str, rest: list[str]) -> Iterator[str]:
        if rest:
            date = "/".join(rest[1:])
            trailing = "/" if date and self.url.prefix.endswith("/") else ""
            yield base + rest[0] + "/" + date + trailing
            return
        for name in self._children(base):
            if _REGION.fullmatch(name):
                yield base + name + "/"

    def _children(self, prefix: str) -> list[str]:
        """Names of the "folders" directly below `prefix`."""
        names: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.url.bucket, Prefix=prefix, Delimiter="/"
        )
        for page in self._pages(pages, prefix):
            for common in page.get("CommonPrefixes", ()):
                name = str(common.get("Prefix", ""))[len(prefix) :].rstrip("/")
                if name:
                    names.append(name)
        return names

    # -- reading -------------------------------------------------------------------------

    def records(self) -> Iterator[dict[str, Any]]:
        """One pass: the records of every object not read before, folder by folder."""
        self._sink = Notices(self.notices, SOURCE)  # the per-kind cap is per pass
        self.stats.passes += 1
        for folder in self.folders():
            self.stats.folders += 1
            try:
                yield from self._folder(folder)
            except _StopFolderError:
                continue
        self.cursors.flush()

    def location(self, folder: str) -> str:
        return f"s3://{self.url.bucket}/{folder}"

    def _folder(self, folder: str) -> Iterator[dict[str, Any]]:
        """The folder's new objects in key order. Up to `prefetch` of the next small
        objects download in threads while this one is parsed (memory: at most
        `prefetch` x `PREFETCH_MAX_BYTES` compressed bytes); the cursor moves in order."""
        location = self.location(folder)
        cursor = self.cursors.load(location)
        kwargs: dict[str, Any] = {"Bucket": self.url.bucket, "Prefix": folder}
        seen: set[str] = set()
        if cursor is not None:
            kwargs["StartAfter"] = minute_start(cursor.last_key)
            seen = set(cursor.seen) | {cursor.last_key}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            **kwargs, PaginationConfig={"PageSize": self.page_size}
        )
        pool = ThreadPoolExecutor(self.prefetch) if self.prefetch else None
        queue: deque[tuple[str, int, Future[bytes] | None]] = deque()

        def drain(keep: int) -> Iterator[dict[str, Any]]:
            nonlocal cursor
            while len(queue) > keep:
                key, size, future = queue.popleft()
                if key.endswith(self.suffixes):
                    yield from self._object(key, size, future)
                else:
                    self.stats.skipped += 1
                cursor = advance(cursor, key)
                self.cursors.save(location, cursor)

        try:
            for page in self._pages(pages, folder):
                for obj in page.get("Contents", ()):
                    key, size = str(obj.get("Key", "")), int(obj.get("Size", 0))
                    if key in seen:
                        continue
                    ahead = pool is not None and key.endswith(self.suffixes)
                    ahead = ahead and size <= PREFETCH_MAX_BYTES
                    future = pool.submit(self._download, key) if pool and ahead else None
                    queue.append((key, size, future))
                    yield from drain(self.prefetch)
            yield from drain(0)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _download(self, key: str) -> bytes:
        """A whole (small) object, in a worker thread."""
        body = self.client.get_object(Bucket=self.url.bucket, Key=key)["Body"]
        try:
            return read_body(body)
        finally:
            body.close()

    def _object(
        self, key: str, size: int, future: Future[bytes] | None
    ) -> Iterator[dict[str, Any]]:
        uri = f"s3://{self.url.bucket}/{key}"
        try:
            if future is not None:
                body: Any = io.BytesIO(future.result())
            else:
                body = self.client.get_object(Bucket=self.url.bucket, Key=key)["Body"]
        except Exception as exc:  # botocore's ClientError / BotoCoreError, TransportError
            if error_code(exc) in ("NoSuchKey", "404"):  # deleted since listed
                self._warn("gone", "listed but deleted before it was read", uri)
                return
            self._fail(exc, "reading", uri)
        found: list[Notice] = []
        try:
            stream = io.BufferedReader(Body(body), 1 << 16)
            for record in self._stream(stream, uri, found):
                self.stats.records += 1
                yield record
        except TransportError as exc:  # the connection failed mid-object: retried next pass
            self._fail(exc, "reading", uri)
        finally:
            body.close()
        self.stats.objects += 1
        self.stats.bytes += size
        if found:
            self.stats.corrupt += 1
            for notice in found:
                self._sink.warn("corrupt", f"{notice.message} (not read again)", notice.path)

    def _stream(self, stream: IO[bytes], uri: str, found: list[Notice]) -> Iterator[dict[str, Any]]:
        """The records of one object's (decompressed or not) byte stream."""
        return read_cloudtrail_stream(stream, uri, notices=found, limits=self.limits)

    def _pages(self, pages: Any, prefix: str) -> Iterator[dict[str, Any]]:
        iterator = iter(pages)
        while True:
            try:
                page = next(iterator)
            except StopIteration:
                return
            except Exception as exc:  # botocore's ClientError / BotoCoreError
                self._fail(exc, "listing", self.location(prefix))
            yield page

    def _fail(self, exc: Exception, action: str, where: str) -> NoReturn:
        self.stats.errors += 1
        code = error_code(exc)
        if code in ("NoSuchBucket",):
            message = f"bucket {self.url.bucket!r} does not exist"
        elif code in DENIED:
            message = f"access denied {action} ({code}): {error_message(exc)}"
        elif code in THROTTLED:
            message = f"throttled {action} ({code}) after retries; retried next pass"
        elif isinstance(exc, TransportError):
            message = f"{action} failed ({exc}); retried next pass"
        else:
            message = f"{action} failed: {type(exc).__name__}: {error_message(exc)}"
        kind = f"error:{code or type(exc).__name__}"
        self._sink.counts[kind] += 1  # bounded like warnings: at most per_kind of a kind
        if self._sink.counts[kind] <= self._sink.per_kind:
            self.notices.append(
                Notice(level=NoticeLevel.ERROR, source=SOURCE, message=message, path=where)
            )
        raise _StopFolderError from None

    def _warn(self, kind: str, message: str, where: str) -> None:
        self._sink.warn(kind, message, where)


def minute_start(key: str) -> str:
    """Where to list from to see again every key of `key`'s delivery minute: the key up
    to its ``_YYYYMMDDTHHmmZ`` stamp (sorts before all of them), else the key itself."""
    m = _STAMP.search(key)
    return key[: m.end()] if m else key


def advance(cursor: Cursor | None, key: str) -> Cursor:
    """The cursor after reading `key` (keys come in listing order)."""
    stem = minute_start(key)
    if cursor is not None and stem != key and minute_start(cursor.last_key) == stem:
        return Cursor(key, (*cursor.seen, key)[-1000:])
    return Cursor(key, (key,) if stem != key else ())

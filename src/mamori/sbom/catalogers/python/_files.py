"""The file lists that say which files a distribution installed.

- ``RECORD`` (dist-info, PEP 376/627): CSV rows ``path,hash,size``; paths are relative to
  the directory holding the .dist-info folder (site-packages), and may climb out of it
  (``../../../bin/django-admin``) or be absolute.
- ``installed-files.txt`` (egg-info installed by pip's legacy path): one path a line,
  relative to the .egg-info directory itself.
"""

from __future__ import annotations

import csv
import posixpath

from mamori.sources.tree import normalize


def _resolve(base: str, entry: str) -> str | None:
    entry = entry.strip().replace("\\", "/")
    if not entry or "\x00" in entry:
        return None
    if entry.startswith("/"):
        return normalize(entry)
    return normalize(posixpath.join(base, entry))


def record_paths(text: str, site_dir: str) -> list[str]:
    """In-tree paths listed in a RECORD file whose .dist-info lives in `site_dir`."""
    out: dict[str, None] = {}
    try:
        for row in csv.reader(text.splitlines()):
            if row:
                path = _resolve(site_dir, row[0])
                if path is not None:
                    out[path] = None
    except csv.Error:
        # A malformed row (NUL, runaway quote): fall back to the text before the first comma.
        for line in text.splitlines():
            path = _resolve(site_dir, line.split(",", 1)[0].strip('"'))
            if path is not None:
                out[path] = None
    return list(out)


def installed_files_paths(text: str, egg_info_dir: str) -> list[str]:
    """In-tree paths listed in an egg-info's installed-files.txt."""
    out: dict[str, None] = {}
    for line in text.splitlines():
        path = _resolve(egg_info_dir, line)
        if path is not None:
            out[path] = None
    return list(out)

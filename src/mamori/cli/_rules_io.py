"""Reading the files given to ``mamori rules``: checked before anything is parsed.

A path that is not a readable regular text file is a usage error (exit 2, like every
other command's bad path), reported by name before any rule is loaded: a directory,
a FIFO or device (reading ``/dev/zero`` would never end), a file over the engine's size
limit, or binary content. Whatever is text goes to the loader, which reports YAML and
rules problems as typed load errors with positions.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from mamori.cli._render import fail
from mamori.rules.engine import MAX_FILE_BYTES
from mamori.rules.testing import TEST_SUFFIXES, is_test_file

RULES_SUFFIXES = (".yaml", ".yml")


def read_text_files(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """``(name, text)`` for each path, in order; exits with a clear message on the first
    path that is not a readable UTF-8 text file."""
    return [(str(p), read_text(p)) for p in paths]


def read_text(path: Path) -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        fail(f"{path}: no such file or directory")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")
    if stat.S_ISDIR(info.st_mode):
        fail(f"{path}: is a directory; give the rules files in it (e.g. {path}/*.yaml)")
    if not stat.S_ISREG(info.st_mode):
        fail(f"{path}: not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        fail(f"{path}: larger than the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")
    nul = data.find(b"\0")
    if nul >= 0:
        fail(f"{path}: binary content (NUL byte at offset {nul}); expected YAML text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); expected YAML")


def split_tests(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Rules files and tests files for ``mamori rules test``.

    Arguments named ``*.tests.yaml`` are tests, the others rules. Each rules file's
    sibling ``<stem>.tests.yaml`` is added to the tests; when only tests are given, each
    one's sibling rules file ``<stem>.yaml`` is loaded.
    """
    rules = [p for p in paths if not is_test_file(p.name)]
    tests = [p for p in paths if is_test_file(p.name)]
    for r in rules:
        tests.extend(_siblings(r, TEST_SUFFIXES))
    if not rules:
        for t in tests:
            rules.extend(_siblings(t, RULES_SUFFIXES))
    return list(dict.fromkeys(rules)), list(dict.fromkeys(tests))


def _siblings(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    name = path.name
    for suffix in (*TEST_SUFFIXES, *RULES_SUFFIXES):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            break
    else:
        stem = path.stem
    found = (path.with_name(stem + s) for s in suffixes)
    return [p for p in found if p != path and p.is_file()][:1]

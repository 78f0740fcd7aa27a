"""The real version comparators, each run once per batch of pairs.

Every function takes a list of (a, b) pairs and returns, per pair, the oracle's sign
(-1, 0, 1) or None where the oracle refuses the input. A batch is one process (a shell
loop around dpkg or apk counts as one). Tools that are absent skip the test (fail in CI)
through tests.support.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.support import CACHE, need, need_root, need_tool

Pairs = Sequence[tuple[str, str]]
_C_ENV = {**os.environ, "LC_ALL": "C"}
_UTF8_ENV = {**os.environ, "LC_ALL": "C.UTF-8"}


def _run(cmd: list[str], stdin: str | bytes, env: dict[str, str] | None = None) -> str:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(cmd, input=data, capture_output=True, env=env, check=False, timeout=300)
    assert done.returncode == 0, f"{cmd[0]} failed: {done.stderr.decode(errors='replace')}"
    return done.stdout.decode("utf-8", "surrogateescape")


def _nul_joined(pairs: Pairs) -> bytes:
    return b"".join(a.encode() + b"\0" + b.encode() + b"\0" for a, b in pairs)


# --- dpkg ------------------------------------------------------------------------------

_DPKG_LOOP = r"""
while IFS= read -r -d '' a && IFS= read -r -d '' b; do
  dpkg --compare-versions -- "$a" lt "$b" 2>/dev/null; r=$?
  if [ $r -eq 0 ]; then echo -1
  elif [ $r -eq 1 ]; then dpkg --compare-versions -- "$a" eq "$b" 2>/dev/null && echo 0 || echo 1
  else echo E; fi
done
"""

_DPKG_VALIDITY = r"""
while IFS= read -r -d '' v; do
  err=$(dpkg --compare-versions -- "$v" eq "$v" 2>&1 >/dev/null); r=$?
  if [ $r -ne 0 ]; then echo error; elif [ -n "$err" ]; then echo warning; else echo ok; fi
done
"""


def dpkg(pairs: Pairs) -> list[int | None]:
    """`dpkg --compare-versions`, None where dpkg refuses a version."""
    need_tool("dpkg")
    out = _run(["bash", "-c", _DPKG_LOOP], _nul_joined(pairs), _C_ENV).split()
    assert len(out) == len(pairs)
    return [None if r == "E" else int(r) for r in out]


def dpkg_validity(versions: Sequence[str]) -> list[str]:
    """Per version: "ok", "warning" (dpkg still compares it) or "error" (refused)."""
    need_tool("dpkg")
    data = b"".join(v.encode() + b"\0" for v in versions)
    out = _run(["bash", "-c", _DPKG_VALIDITY], data, _C_ENV).split()
    assert len(out) == len(versions)
    return out


# --- rpm (Debian's python3-rpm, the real librpm) ----------------------------------------

_RPM_SCRIPT = """
import json, sys, rpm
out = []
for a, b in json.load(sys.stdin):
    try:
        x, y = rpm.ver(a), rpm.ver(b)
        out.append(rpm.labelCompare((x.e, x.v, x.r), (y.e, y.v, y.r)))
    except Exception:
        out.append(None)
json.dump(out, sys.stdout)
"""


def rpm(pairs: Pairs) -> list[int | None]:
    """rpm's own EVR parser (`rpm.ver`) and `rpm.labelCompare`."""
    python = "/usr/bin/python3"
    has_rpm = (
        Path(python).exists()
        and subprocess.run(
            [python, "-c", "import rpm"], capture_output=True, check=False
        ).returncode
        == 0
    )
    need(has_rpm, "Debian's python3-rpm is not installed (/usr/bin/python3 -c 'import rpm')")
    result: list[int | None] = json.loads(_run([python, "-c", _RPM_SCRIPT], json.dumps(pairs)))
    return result


# --- apk (apk-tools inside the Alpine root filesystem) ----------------------------------

_APK_LOOP = """
while IFS= read -r a && IFS= read -r b; do /sbin/apk version -t -- "$a" "$b"; done
"""


def apk(root: Path, pairs: Pairs) -> list[int]:
    """`apk version -t` run by the Alpine rootfs' own apk-tools, in a chroot."""
    need_root()
    need_tool("chroot")
    assert all("\n" not in a + b and "\0" not in a + b for a, b in pairs)
    data = "".join(f"{a}\n{b}\n" for a, b in pairs)
    out = _run(["chroot", str(root), "/bin/sh", "-c", _APK_LOOP], data, _C_ENV).split()
    assert len(out) == len(pairs), out[-5:]
    return [{"<": -1, "=": 0, ">": 1}[r] for r in out]


def apk_invalid(root: Path, versions: Sequence[str]) -> set[str]:
    """The versions `apk version -c` reports as invalid (it prints exactly those)."""
    need_root()
    cmd = ["chroot", str(root), "/sbin/apk", "version", "-c", "--", *versions]
    done = subprocess.run(cmd, capture_output=True, env=_C_ENV, check=False, timeout=300)
    return set(done.stdout.decode("utf-8", "surrogateescape").split("\n"))


# --- npm's semver package ---------------------------------------------------------------

_NODE_SCRIPT = """
const semver = require(process.argv[1]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.pairs.map(([a, b]) => {
  try { return semver.compare(a, b, true); } catch (e) { return null; }
});
const valid = input.versions.map((v) => semver.valid(v) !== null);
process.stdout.write(JSON.stringify({ out, valid }));
"""


def npm_semver_dir() -> Path:
    """npm's `semver` package, installed once from the npm registry under CACHE."""
    need_tool("node")
    need_tool("npm")
    target = CACHE / "npm-semver"
    module = target / "node_modules" / "semver"
    if not (module / "package.json").exists():
        tmp = CACHE / f".npm-semver.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        (tmp / "package.json").write_text('{"name": "mamori-semver-oracle", "version": "1.0.0"}\n')
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "semver@7"],
            cwd=tmp,
            check=True,
            capture_output=True,
            timeout=300,
        )
        try:
            tmp.rename(target)
        except OSError:  # another worker finished first
            shutil.rmtree(tmp, ignore_errors=True)
    return module


def npm_semver(pairs: Pairs, versions: Sequence[str] = ()) -> tuple[list[int | None], list[bool]]:
    """(semver.compare(a, b, loose) per pair, semver.valid(v) strict per version)."""
    module = npm_semver_dir()
    data = json.dumps({"pairs": list(pairs), "versions": list(versions)})
    result = json.loads(_run(["node", "-e", _NODE_SCRIPT, str(module)], data))
    return result["out"], result["valid"]


# --- Maven's ComparableVersion ----------------------------------------------------------


def maven_jar() -> str:
    """The maven-artifact jar of the Maven installed here."""
    need_tool("java")
    jars = sorted(glob.glob("/usr/share/maven/lib/maven-artifact-*.jar"))
    jars += sorted(glob.glob("/usr/share/java/maven*-artifact*.jar"))
    need(bool(jars), "no maven-artifact jar (install maven)")
    return jars[0]


def maven(versions: Sequence[str]) -> list[int]:
    """ComparableVersion's own main(): the sign of each adjacent pair of `versions`."""
    jar = maven_jar()
    assert all("\n" not in v and "\r" not in v for v in versions)
    cmd = ["java", "-Dstdout.encoding=UTF-8", "-Dsun.stdout.encoding=UTF-8", "-cp", jar]
    cmd += ["org.apache.maven.artifact.versioning.ComparableVersion", *versions]
    out = _run(cmd, b"", _UTF8_ENV)
    lines = [line for line in out.split("\n") if line.startswith("   ")]
    assert len(lines) == len(versions) - 1
    signs = []
    for line, prev, cur in zip(lines, versions[:-1], versions[1:], strict=True):
        head, tail = f"   {prev} ", f" {cur}"
        assert line.startswith(head) and line.endswith(tail), (line, prev, cur)
        signs.append({"<": -1, "==": 0, ">": 1}[line[len(head) : len(line) - len(tail)]])
    return signs


# --- RubyGems ---------------------------------------------------------------------------

_RUBY_SCRIPT = """
require "json"
require "rubygems"
input = JSON.parse(STDIN.read)
ok = ->(v) { Gem::Version.correct?(v) }
cmp = ->(a, b) { Gem::Version.new(a) <=> Gem::Version.new(b) }
out = input["pairs"].map { |a, b| ok.(a) && ok.(b) ? cmp.(a, b) : nil }
valid = input["versions"].map { |v| ok.(v) }
print JSON.generate({ "out" => out, "valid" => valid })
"""


def gem(pairs: Pairs, versions: Sequence[str] = ()) -> tuple[list[int | None], list[bool]]:
    """(Gem::Version#<=> per pair, Gem::Version.correct? per version)."""
    need_tool("ruby")
    data = json.dumps({"pairs": list(pairs), "versions": list(versions)})
    result = json.loads(_run(["ruby", "-e", _RUBY_SCRIPT], data))
    return result["out"], result["valid"]


# --- PHP's version_compare --------------------------------------------------------------

_PHP_SCRIPT = """
$pairs = json_decode(file_get_contents('php://stdin'), true);
$out = [];
foreach ($pairs as [$a, $b]) { $out[] = version_compare($a, $b); }
echo json_encode($out);
"""


def php_version_compare(pairs: Pairs) -> list[int]:
    need_tool("php")
    result: list[int] = json.loads(_run(["php", "-r", _PHP_SCRIPT], json.dumps(pairs)))
    return result

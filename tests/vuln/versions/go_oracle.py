"""The go command's own version order, as an oracle.

cmd/go orders module versions with golang.org/x/mod/semver and recognises
pseudo-versions with golang.org/x/mod/module. The Go toolchain ships both, vendored, in
GOROOT/src/cmd/vendor. They cannot be imported from outside cmd/, and the module proxy
is unreachable here, so the test builds a tiny program against a copy of those vendored
packages, made under CACHE at test time (the copy is the toolchain's, not the project's).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.support import CACHE, need, need_tool

_MAIN = """package main

import (
	"encoding/json"
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

type input struct {
	Pairs    [][2]string
	Versions []string
}

type version struct {
	Valid  bool
	Pseudo bool
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	out := struct {
		Compare  []int
		Versions []version
	}{}
	for _, p := range in.Pairs {
		out.Compare = append(out.Compare, semver.Compare(p[0], p[1]))
	}
	for _, v := range in.Versions {
		out.Versions = append(out.Versions, version{semver.IsValid(v), module.IsPseudoVersion(v)})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
"""


def _goroot() -> Path:
    need_tool("go")
    done = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def go_oracle_binary() -> Path:
    """Build (once) the oracle program against the toolchain's vendored x/mod."""
    vendored = _goroot() / "src" / "cmd" / "vendor" / "golang.org" / "x" / "mod"
    need((vendored / "semver" / "semver.go").exists(), f"{vendored} is absent")
    target = CACHE / "go-xmod-oracle"
    binary = target / "oracle"
    if binary.exists():
        return binary
    tmp = CACHE / f".go-xmod-oracle.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    xmod = tmp / "xmod"
    for package in ("semver", "module", "internal/lazyregexp"):
        shutil.copytree(vendored / package, xmod / package)
    (xmod / "go.mod").write_text("module golang.org/x/mod\n\ngo 1.17\n")
    (tmp / "go.mod").write_text(
        "module oracle\n\ngo 1.17\n\nrequire golang.org/x/mod v0.0.0\n\n"
        "replace golang.org/x/mod => ./xmod\n"
    )
    (tmp / "main.go").write_text(_MAIN)
    env = {
        **os.environ,
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOCACHE": str(CACHE / "go-build-cache"),
        "GOTOOLCHAIN": "local",
    }
    subprocess.run(
        ["go", "build", "-o", "oracle", "."],
        cwd=tmp,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    try:
        tmp.rename(target)
    except OSError:  # another worker finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return binary


def go(
    pairs: Sequence[tuple[str, str]], versions: Sequence[str] = ()
) -> tuple[list[int], list[tuple[bool, bool]]]:
    """(semver.Compare per pair, (semver.IsValid, module.IsPseudoVersion) per version)."""
    binary = go_oracle_binary()
    data = json.dumps({"Pairs": [list(p) for p in pairs], "Versions": list(versions)})
    done = subprocess.run([str(binary)], input=data.encode(), capture_output=True, check=True)
    result = json.loads(done.stdout)
    compare = result["Compare"] or []
    found = [(v["Valid"], v["Pseudo"]) for v in result["Versions"] or []]
    return compare, found

"""Main-module versions the build info lacks, read where the linker put them.

Oracle: the program's own `--version` output (it prints the -X value the linker placed).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mamori.sbom.build import build_sbom
from mamori.sources.directory import DirectoryTree
from tests.support import need_tool

# Debian builds these without module versions ("(devel)") but sets -X ...Version.
PROGRAMS = {"runc": ["--version"], "umoci": ["--version"], "docker-registry": ["--version"]}


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_linker_version_is_what_the_program_prints(program: str, tmp_path: Path) -> None:
    binary = need_tool(program)
    shutil.copy2(binary, tmp_path / program)
    printed = subprocess.run(
        [binary, *PROGRAMS[program]], capture_output=True, text=True, check=False
    ).stdout
    sbom, _ = build_sbom(DirectoryTree(tmp_path), only=["go-binary"])
    main = [p for p in sbom.packages if p.metadata.get("main") == "true"]
    assert len(main) == 1
    assert main[0].metadata["main_version_source"] == "linker-strings"
    assert main[0].version.startswith("v")
    assert main[0].version[1:] in printed.split(), (main[0].version, printed)


def test_no_version_beside_the_go_version_gives_devel(tmp_path: Path) -> None:
    """A binary built here with no -X flags must stay "(devel)", not pick up a stray string."""
    need_tool("go")
    src = tmp_path / "src"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
    (src / "main.go").write_text(
        'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("1.2.3 is not a version") }\n'
    )
    out = tmp_path / "bin"
    out.mkdir()
    subprocess.run(
        ["go", "build", "-buildvcs=false", "-o", str(out / "hello"), "."],
        cwd=src,
        check=True,
        env={
            "GOFLAGS": "-mod=mod",
            "GOPROXY": "off",
            "HOME": str(tmp_path),
            "GOCACHE": str(tmp_path / "cache"),
            "PATH": "/usr/bin:/bin",
        },
    )
    sbom, _ = build_sbom(DirectoryTree(out), only=["go-binary"])
    main = [p for p in sbom.packages if p.metadata.get("main") == "true"]
    assert [p.version for p in main] == ["(devel)"]

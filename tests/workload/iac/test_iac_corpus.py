"""The shared real-world corpus (terraform-aws-modules vpc/eks, awslabs CloudFormation
templates): every file is read with zero crashes, errors are per file, and the scan runs
every IaC check over it. `terraform fmt` is the oracle for which .tf files are valid."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from mamori.model import NoticeLevel
from mamori.workload.iac.cloudformation import SUFFIXES
from mamori.workload.iac.loader import load_iac
from mamori.workload.iac.model import walk_files
from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
from mamori.workload.iac.terraform import load_terraform, parse_hcl
from tests.support import need_shared, oracle_tool


def _listed(corpus: Path, kind: str) -> int:
    sources = (corpus.parent / "SOURCES.tsv").read_text().splitlines()
    return sum(1 for line in sources if line.startswith(f"{kind}\t"))


def test_terraform_corpus_parses_with_zero_errors() -> None:
    corpus = need_shared("data/iac-corpus/terraform")
    loaded = load_iac(corpus, cloudformation=False)
    assert loaded.files == _listed(corpus, "terraform") == 144
    # terraform itself accepts every file (fmt parses without providers): so must we
    terraform = oracle_tool("terraform", "HashiCorp ships it outside Debian")
    check = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-list=false", str(corpus)],
        capture_output=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr[-500:]
    assert loaded.errors == []
    # count/for_each expanded (on resources and module calls): 1513 declarations (1304
    # with an unexpanded count) became 569 resources, 303 of them keyed instances; most
    # `create_x ? 1 : 0` counts are 0 by default and the wrappers' `for_each = var.items`
    # is empty by default
    assert len(loaded.resources) >= 500
    keyed = [r for r in loaded.resources if r.address.endswith("]")]
    assert len(keyed) >= 250
    unexpanded = sum(1 for r in loaded.resources if "count not expanded" in r.notes)
    assert unexpanded <= 350
    print(
        f"terraform corpus: {loaded.files} files, {len(loaded.resources)} resources, "
        f"{len(keyed)} keyed instances, {unexpanded} counts not expanded"
    )


def test_cloudformation_corpus_parses_with_zero_crashes() -> None:
    corpus = need_shared("data/iac-corpus/cloudformation")
    files = walk_files(corpus, SUFFIXES)
    assert len(files) == _listed(corpus, "cloudformation") == 191
    loaded = load_iac(corpus, terraform=False)
    # the rest are not templates: Lambda test events, a macro's resource spec, a stack
    # policy, a ShortHand-macro list and nothing else
    assert loaded.files >= 185
    for error in loaded.errors:
        assert error.path and error.message
    assert len(loaded.errors) == 0
    assert len(loaded.resources) >= 1000
    print(f"cloudformation corpus: {loaded.files} templates of {len(files)} files")


def test_corpus_scan_has_no_check_errors() -> None:
    corpus = need_shared("data/iac-corpus")
    for kind in ("terraform", "cloudformation"):
        report = run_iac_scan(IacScanRequest(corpus / kind)).report
        assert not [n for n in report.notices if n.level == NoticeLevel.ERROR]
        assert report.stats["results_fail"] > 0 and report.stats["results_pass"] > 0
        for finding in report.findings:
            assert finding.evidence["file"] and int(finding.evidence["line"]) >= 1


_REFERENCE = re.compile(r"\b(aws_\w+\.|data\.|module\.|terraform\.|path\.|each\.|count\.)")
_LOCAL = re.compile(r"\blocal\.(\w+)")
_COUNT = re.compile(r"^\s{2}count\s*=\s*(.+?)\s*$")


def _span(lines: list[str], spec: dict[str, Any]) -> str:
    return "\n".join(lines[spec["__start_line__"] - 1 : spec["__end_line__"]])


def _module_counts(folder: Path) -> tuple[str, dict[str, str]]:
    """A module's variables and reference-free locals blocks as text, and each resource's
    one-line `count` that uses only those (the rest needs providers and state)."""
    kept: list[str] = []
    counts: dict[str, str] = {}
    for path in sorted(folder.glob("*.tf")):
        text = path.read_text()
        lines, body = text.splitlines(), parse_hcl(text)
        for block in body.get("locals") or []:
            if not _REFERENCE.search(_span(lines, block)):
                kept.append(_span(lines, block))
        for block in body.get("variable") or []:
            kept.extend(_span(lines, spec) for spec in block.values() if isinstance(spec, dict))
        for block in body.get("resource") or []:
            for rtype, named in block.items():
                for name, spec in named.items():
                    hits = [_COUNT.match(line) for line in _span(lines, spec).splitlines()]
                    found = [h.group(1) for h in hits if h]
                    if len(found) == 1 and not _REFERENCE.search(found[0]):
                        counts[f"{rtype}.{name}"] = found[0]
    while True:  # drop locals blocks naming locals no kept block declares, to a fixpoint
        declared = {k for t in kept for b in parse_hcl(t).get("locals") or [] for k in b}
        ok = [t for t in kept if set(_LOCAL.findall(t)) <= declared]
        if len(ok) == len(kept):
            break
        kept = ok
    usable = {n: c for n, c in counts.items() if set(_LOCAL.findall(c)) <= declared}
    return "\n".join(kept), usable


def test_corpus_counts_match_terraform_console(tmp_path: Path) -> None:
    """Each corpus module read as a root (variable defaults): every resource's `count`
    that mamori evaluates gives as many instances as `terraform console` computes."""
    corpus = need_shared("data/iac-corpus/terraform")
    terraform = oracle_tool("terraform", "HashiCorp ships it outside Debian")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    env["TF_CLI_CONFIG_FILE"] = os.devnull
    compared = 0
    for folder in sorted({p.parent for p in corpus.glob("*/**/*.tf")}):
        if "examples" in folder.parts or "wrappers" in folder.parts:
            continue
        context, counts = _module_counts(folder)
        instances = dict.fromkeys(counts, 0)  # a count of zero: no instance read
        alone = tmp_path / f"{len(list(tmp_path.iterdir()))}-module"
        alone.mkdir()  # the module by itself, as a root: its callers' inputs do not apply
        for path in folder.glob("*.tf"):
            (alone / path.name).write_text(path.read_text())
        for resource in load_terraform(alone).resources:
            base = resource.address.split("[", 1)[0]
            if base in instances and "count not expanded" in resource.notes:
                del instances[base]  # unknown to mamori: not compared
            elif base in instances:
                instances[base] += 1
        if not instances:
            continue
        work = alone / "oracle"
        work.mkdir()
        (work / "main.tf").write_text(context)
        names = sorted(instances)
        query = "jsonencode([" + ", ".join(f"try({counts[n]}, -1)" for n in names) + "])\n"
        done = subprocess.run(
            [terraform, "console"],
            input=query,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0, (folder.name, done.stderr[-1500:])
        oracle = json.loads(json.loads(done.stdout.strip().splitlines()[-1]))
        for name, expected in zip(names, oracle, strict=True):
            assert instances[name] == expected, (folder.name, name, counts[name])
        compared += len(names)
    assert compared >= 30
    print(f"{compared} corpus counts agree with terraform console")

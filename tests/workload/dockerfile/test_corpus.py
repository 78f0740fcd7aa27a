"""The shared real-world corpus (../shared/data/iac-corpus/dockerfile): every file parses,
and two independent oracles from the Checkov venv (.cache/bench/checkov-venv, never the
project venv) agree:

- dockerfile-parse (Red Hat's instruction splitter, used only as an oracle) on every
  instruction's keyword, first and last line and arguments (blanks folded: it joins
  continuation lines its own way), for files without heredocs (it has no heredocs);
- Checkov's own Dockerfile checks on the verdicts that mean the same thing as ours.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from mamori.model import FindingStatus
from mamori.workload.dockerfile.files import dockerfiles, load
from mamori.workload.dockerfile.model import ParseError
from mamori.workload.dockerfile.scan import DockerfileScanRequest, run_dockerfile_scan
from tests.support import need, need_shared
from tests.workload.checkov_oracle import CHECKOV, VENV, install_checkov

CORPUS = "data/iac-corpus/dockerfile"
ORACLE_SCRIPT = """
import io, json, sys
from dockerfile_parse import DockerfileParser
out = {}
for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        parser = DockerfileParser(fileobj=io.BytesIO(fh.read()))
    out[path] = [
        [i["instruction"], i["startline"] + 1, i["endline"] + 1, " ".join(i["value"].split())]
        for i in parser.structure
        if i["instruction"] != "COMMENT"
    ]
print(json.dumps(out))
"""
# mamori check -> Checkov checks judging the same property (file fails if any fails)
SAME = {
    "dockerfile_healthcheck_present": ("CKV_DOCKER_2",),
    "dockerfile_user_not_root": ("CKV_DOCKER_3", "CKV_DOCKER_8"),
    "dockerfile_base_image_not_latest": ("CKV_DOCKER_7",),
    "dockerfile_workdir_absolute": ("CKV_DOCKER_10",),
}


def test_corpus_parses_with_zero_errors() -> None:
    root = need_shared(CORPUS)
    files = list(dockerfiles(root))
    assert len(files) >= 90
    errors = []
    instructions = 0
    for path in files:
        try:
            instructions += len(load(path, str(path)).instructions)
        except ParseError as exc:
            errors.append(f"{path}:{exc.line}: {exc}")
    assert errors == []
    assert instructions > 1000


def test_instruction_splitting_matches_dockerfile_parse() -> None:
    root = need_shared(CORPUS)
    need(install_checkov(), "Checkov (and dockerfile-parse) could not be installed")
    files = [p for p in dockerfiles(root) if "<<" not in p.read_text()]
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", ORACLE_SCRIPT, *map(str, files)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    oracle = json.loads(done.stdout)
    compared = 0
    for path in files:
        mine = [
            [i.cmd, i.line, i.end_line, " ".join(i.args.split())]
            for i in load(path, str(path)).instructions
        ]
        assert mine == oracle[str(path)], path
        compared += len(mine)
    assert compared > 1000


@pytest.mark.slow
def test_verdicts_agree_with_checkov() -> None:
    root = need_shared(CORPUS)
    need(install_checkov(), "Checkov could not be installed")
    done = subprocess.run(
        [str(CHECKOV), "-d", ".", "--framework", "dockerfile", "-o", "json", "--compact",
         "--skip-download"],
        cwd=root, capture_output=True, text=True, timeout=900, check=False,
        env={"LOG_LEVEL": "ERROR", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    doc = json.loads(done.stdout)
    theirs: dict[str, dict[str, bool]] = defaultdict(dict)
    for part in doc if isinstance(doc, list) else [doc]:
        for passed, key in ((True, "passed_checks"), (False, "failed_checks")):
            for item in part["results"].get(key, []):
                verdicts = theirs[item["file_path"].lstrip("/")]
                verdicts[item["check_id"]] = verdicts.get(item["check_id"], True) and passed
    report = run_dockerfile_scan(DockerfileScanRequest(path=root, include_passed=True)).report
    compared = agreed = 0
    differences = []
    explained = []
    for finding in report.findings:
        ids = SAME.get(finding.rule_id)
        ckv = theirs.get(finding.evidence["file"])
        if not ids or not ckv or not any(i in ckv for i in ids):
            continue
        if finding.rule_id == "dockerfile_base_image_not_latest" and _from_variable(
            root / finding.evidence["file"]
        ):
            explained.append(finding.evidence["file"])  # Checkov does not substitute ARGs
            continue
        oracle = all(ckv.get(i, True) for i in ids)
        mine = finding.status == FindingStatus.PASS
        compared += 1
        agreed += oracle == mine
        if oracle != mine:
            differences.append((finding.rule_id, finding.evidence["file"], mine))
    assert compared >= 300
    assert differences == [], differences[:10]
    assert len(explained) <= 5, explained


def _from_variable(path: Path) -> bool:
    """A FROM whose image is an ARG: Checkov judges the literal `${X}` text."""
    return any(s.base.startswith("$") for s in load(path, path.name).stages)

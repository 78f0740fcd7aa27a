"""The judgements behind the Dockerfile checks: Dockerfile -> (failures, reason if none).

Each judges what Docker would build: the final stage and the stages it is built FROM for
USER, HEALTHCHECK and what the final image carries (package caches, recommended
packages); every stage for what runs at build time (base images, ADD, curl | sh, sudo,
WORKDIR).
"""

from __future__ import annotations

import re

from mamori.posture.checks.dockerfile._common import (
    Evidence,
    all_steps,
    external_bases,
    stage_label,
    steps,
)
from mamori.workload.dockerfile import shell
from mamori.workload.dockerfile.model import Dockerfile, Instruction

Judgement = tuple[list[Evidence], str]
_URL = re.compile(r"^(?:https?|ftp)://|^git@|^git://", re.IGNORECASE)
_ABSOLUTE = re.compile(r"^(?:/|[A-Za-z]:[\\/]|\\\\)")


def user_not_root(dockerfile: Dockerfile) -> Judgement:
    final = dockerfile.final
    assert final is not None
    for stage in dockerfile.lineage(final):
        users = list(steps(stage, "USER"))
        if not users:
            continue
        position, item = users[-1]
        if position in stage.unresolved_at:
            return [], f"USER is set from a variable ({item.rest}); not judged as root"
        words = stage.words[position] or ("",)
        user = words[0].strip().split(":", 1)[0]
        if user in ("", "root", "0") or user.lower() == "containeradministrator":
            return [Evidence(item.line, f"the final stage runs as root (USER {user or '?'})")], ""
        return [], f"the final stage runs as {user}"
    return [Evidence(final.line, "no USER in the final stage: it runs as root")], ""


def base_digest(dockerfile: Dockerfile) -> Judgement:
    failures = []
    for stage in external_bases(dockerfile):
        assert stage.image is not None
        if stage.image.digest is None:
            message = f"FROM {stage.image.raw} ({stage_label(stage)}) is not pinned by digest"
            failures.append(Evidence(stage.line, message))
    return failures, "every base image is pinned by digest (or is scratch or a stage)"


def base_not_latest(dockerfile: Dockerfile) -> Judgement:
    failures = []
    for stage in external_bases(dockerfile):
        image = stage.image
        assert image is not None
        if image.digest is None and (image.tag is None or image.tag == "latest"):
            shown = "latest" if image.tag else "no tag (latest)"
            failures.append(
                Evidence(stage.line, f"FROM {image.raw} ({stage_label(stage)}) uses {shown}")
            )
    return failures, "every base image names a version or digest"


def add_no_url(dockerfile: Dockerfile) -> Judgement:
    failures = []
    for stage, position, item in all_steps(dockerfile, "ADD"):
        if item.flag("checksum"):
            continue
        words = stage.words[position] or ()
        for source in words[:-1]:
            if _URL.match(source):
                failures.append(Evidence(item.line, f"ADD fetches {source} without --checksum"))
    return failures, "no ADD fetches a remote URL unverified"


def healthcheck(dockerfile: Dockerfile) -> Judgement:
    final = dockerfile.final
    assert final is not None
    for stage in dockerfile.lineage(final):
        checks = list(steps(stage, "HEALTHCHECK"))
        if checks:
            _, item = checks[-1]
            if item.rest.strip().upper() == "NONE":
                return [Evidence(item.line, "HEALTHCHECK NONE disables the health check")], ""
            return [], f"HEALTHCHECK at line {item.line}"
    return [Evidence(final.line, "the final stage has no HEALTHCHECK")], ""


def _shipped_runs(dockerfile: Dockerfile) -> list[Instruction]:
    """RUN steps whose layers end up in the final image: the final stage and the stages
    it is built FROM (a builder stage's cache is left behind with the stage)."""
    final = dockerfile.final
    assert final is not None
    runs: list[Instruction] = []
    for stage in reversed(dockerfile.lineage(final)):
        runs.extend(item for _, item in steps(stage, "RUN"))
    return runs


def cache_cleaned(dockerfile: Dockerfile) -> Judgement:
    failures = []
    for item in _shipped_runs(dockerfile):
        text = shell.script(item)
        for install in shell.installs(text):
            if not shell.cleaned(item, install, text):
                message = f"{install.manager} installs packages without cleaning its cache"
                failures.append(Evidence(item.line, message))
    return failures, "every package install of the final image cleans up in the same RUN"


def no_recommends(dockerfile: Dockerfile) -> Judgement:
    failures = []
    for item in _shipped_runs(dockerfile):
        for install in shell.installs(shell.script(item)):
            if shell.without_recommends(install):
                failures.append(
                    Evidence(item.line, "apt-get install without --no-install-recommends")
                )
    return failures, "every apt-get install of the final image skips recommended packages"


def no_pipe_to_shell(dockerfile: Dockerfile) -> Judgement:
    failures = [
        Evidence(item.line, "RUN pipes a download into a shell")
        for _, _, item in all_steps(dockerfile, "RUN")
        if shell.pipes_to_shell(shell.script(item))
    ]
    return failures, "no RUN pipes a download into a shell"


def no_sudo(dockerfile: Dockerfile) -> Judgement:
    failures = [
        Evidence(item.line, "RUN uses sudo")
        for _, _, item in all_steps(dockerfile, "RUN")
        if shell.uses_sudo(shell.script(item))
    ]
    return failures, "no RUN uses sudo"


def workdir_absolute(dockerfile: Dockerfile) -> Judgement:
    failures = []
    for stage, position, item in all_steps(dockerfile, "WORKDIR"):
        if position in stage.unresolved_at:
            continue
        path = (stage.words[position] or ("",))[0].strip()
        if not _ABSOLUTE.match(path):
            failures.append(Evidence(item.line, f"WORKDIR {path or '(empty)'} is relative"))
    return failures, "every WORKDIR is absolute"

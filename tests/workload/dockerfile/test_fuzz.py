"""Hypothesis fuzzing: the lexer, parser, substitution and every check accept any text,
failing only with ParseError, in bounded time and memory."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import CloudResource, Inventory
from mamori.posture.checks.dockerfile import RESOURCE_TYPE, dockerfile_checks
from mamori.workload.dockerfile.model import ParseError
from mamori.workload.dockerfile.parser import parse
from mamori.workload.dockerfile.shell import commands, installs, pipes_to_shell
from mamori.workload.dockerfile.words import expand, name_values, split_words

KEYWORDS = [
    "FROM", "from", "RUN", "CMD", "ENV", "ARG", "USER", "WORKDIR", "ADD", "COPY", "LABEL",
    "HEALTHCHECK", "ONBUILD", "SHELL", "EXPOSE", "VOLUME", "ENTRYPOINT", "STOPSIGNAL", "#",
]  # fmt: skip
PIECES = [
    " ", "\\", "`", "\n", "\t", "$", "${", "}", ":-", ":+", "=", '"', "'", "[", "]", ",",
    "<<EOF", "<<-'X'", "EOF", "X", "AS", "--from=a", "--mount=type=cache", "&&", "|", ";",
    "curl", "sh", "apt-get install", "apk add", "sudo", "root", "scratch", "a", "b:1",
    "@sha256:", "https://x", "# escape=`", "# syntax=x", "\r\n", "\x00", "é",
]  # fmt: skip
line = st.tuples(st.sampled_from(KEYWORDS), st.lists(st.sampled_from(PIECES), max_size=12))
dockerfiles = st.lists(line, max_size=30).map(
    lambda ls: "".join(k + " " + "".join(p) + "\n" for k, p in ls)
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_all_checks(text: str) -> None:
    try:
        parsed = parse(text)
    except ParseError:
        return
    resource = CloudResource(
        type=RESOURCE_TYPE, id="f", account="", attributes={"dockerfile": parsed}
    )
    inventory = Inventory(resources=(resource,))
    for check_id in dockerfile_checks.names():
        results = list(dockerfile_checks.get(check_id)().run(inventory))
        assert len(results) == 1


@FUZZ
@given(dockerfiles)
def test_structured_dockerfiles_never_crash(text: str) -> None:
    run_all_checks(text)
    run_all_checks("FROM base\n" + text)


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text: str) -> None:
    run_all_checks(text)
    run_all_checks("FROM x\nRUN " + text)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("${}:-+?abAB_\\'\" =`")), max_size=80))
def test_substitution_and_words(text: str) -> None:
    env = {"a": "1", "b": "", "A": None}
    for escape in ("\\", "`"):
        try:
            out = expand(text, env, escape)
            assert len(out.value) <= 65536
        except ParseError:
            pass
        split_words(text, escape)
        for legacy in (True, False):
            with contextlib.suppress(ParseError):
                name_values(text, escape, legacy=legacy)


SHELL_PIECES = [
    "$(", ")", "`", "${", "}", "(", '"', "'", "\\", "\n", "&&", "&", "|", ";", " ",
    "apt-get install", "apk add", "--no-cache", "rm -rf /var/lib/apt/lists/*", "sudo",
    "curl x", "sh", "2>&1", "A=1", "if", "then", "fi",
]  # fmt: skip


@FUZZ
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(SHELL_PIECES)).map("".join)))
def test_shell_analysis(text: str) -> None:
    for words in commands(text):
        assert words and all(isinstance(w, str) for w in words)
    for install in installs(text):
        assert install.manager in ("apt-get", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper")
    pipes_to_shell(text)


def test_deeply_nested_substitutions_are_bounded() -> None:
    deep = "$(" * 5000 + "sudo x" + ")" * 5000
    assert ["sudo", "x"] in commands(deep)

"""The Dockerfile parser against Docker's reference semantics (docs.docker.com/reference/
dockerfile): each case is an example or rule stated there."""

from __future__ import annotations

import pytest

from mamori.workload.dockerfile.lexer import MAX_CHAIN_LINES, MAX_INSTRUCTION_CHARS, lex
from mamori.workload.dockerfile.model import ParseError
from mamori.workload.dockerfile.parser import image_ref, parse
from mamori.workload.dockerfile.words import MAX_EXPANDED, expand, name_values


def cmds(text: str) -> list[tuple[str, str, int]]:
    return [(i.cmd, i.args, i.line) for i in lex(text).instructions]


def test_instructions_are_case_insensitive_and_keep_their_lines() -> None:
    text = "from alpine\n\n  run echo hi\nCoPy a b\n"
    assert cmds(text) == [("FROM", "alpine", 1), ("RUN", "echo hi", 3), ("COPY", "a b", 4)]


def test_continuation_joins_lines_dropping_comments_and_blank_lines() -> None:
    # Reference: "comment lines are removed before the Dockerfile instructions are
    # executed"; empty continuation lines are allowed (deprecated).
    text = "RUN echo hello \\\n# comment\n\n    world\nRUN x\n"
    items = lex(text).instructions
    assert [(i.cmd, i.args) for i in items] == [("RUN", "echo hello     world"), ("RUN", "x")]
    assert (items[0].line, items[0].end_line, items[1].line) == (1, 4, 5)


def test_trailing_blanks_after_the_escape_still_continue() -> None:
    assert cmds("RUN a \\  \t\n b\n") == [("RUN", "a  b", 1)]


def test_hash_inside_an_argument_is_not_a_comment() -> None:
    assert cmds("RUN echo '# not a comment'\n") == [("RUN", "echo '# not a comment'", 1)]


def test_escape_directive_backtick_windows_example() -> None:
    # The reference's Windows example: with `# escape=`` the backslashes are paths.
    text = "# escape=`\n\nFROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\n"
    lexed = lex(text)
    assert lexed.escape == "`"
    assert [(i.cmd, i.args) for i in lexed.instructions] == [
        ("FROM", "microsoft/nanoserver"),
        ("COPY", "testfile.txt c:\\"),
        ("RUN", "dir c:\\"),
    ]
    assert cmds("# escape=`\nRUN a `\n  b\n") == [("RUN", "a   b", 2)]


def test_directives_only_at_the_top() -> None:
    # After a comment that is not a directive, `# escape=` is a comment.
    lexed = lex("# About my dockerfile\n# escape=`\nFROM x\nRUN a `\nRUN b\n")
    assert lexed.escape == "\\"
    assert [i.cmd for i in lexed.instructions] == ["FROM", "RUN", "RUN"]
    # Unknown directives end the directive block too.
    assert lex("# unknowndirective=value\n# escape=`\nFROM x\n").escape == "\\"
    # Whitespace is allowed around the parts; directive names are case-insensitive.
    assert lex("#  ESCAPE = `\nFROM x\n").escape == "`"
    assert lex("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n").directives == {
        "syntax": "docker/dockerfile:1",
        "escape": "`",
    }


def test_directive_errors() -> None:
    with pytest.raises(ParseError, match="only one escape"):
        lex("# escape=\\\n# escape=`\nFROM x\n")
    with pytest.raises(ParseError, match="invalid escape"):
        lex("# escape=x\nFROM x\n")


def test_heredocs() -> None:
    text = (
        "FROM x\n"
        "RUN <<EOF\napt-get update\napt-get install -y vim\nEOF\n"
        'COPY <<-"A" <<B /dest/\n\tone $X\n\tA\ntwo\nB\n'
        "RUN echo done\n"
    )
    items = lex(text).instructions
    assert [(i.cmd, i.line, i.end_line) for i in items] == [
        ("FROM", 1, 1),
        ("RUN", 2, 5),
        ("COPY", 6, 10),
        ("RUN", 11, 11),
    ]
    assert items[1].heredocs[0].body == "apt-get update\napt-get install -y vim\n"
    first, second = items[2].heredocs
    assert (first.name, first.body, first.expand, first.strip_tabs) == (
        "A",
        "one $X\n",
        False,
        True,
    )
    assert (second.name, second.body, second.expand) == ("B", "two\n", True)
    with pytest.raises(ParseError, match="unterminated heredoc"):
        lex("FROM x\nRUN <<EOF\necho\n")
    # `<<<` is a here-string, not a heredoc.
    assert lex("FROM x\nRUN cat <<<word\nRUN y\n").instructions[1].heredocs == ()


def test_exec_and_shell_forms_and_flags() -> None:
    items = lex(
        'FROM --platform=$BUILDPLATFORM golang AS b\nRUN ["echo", "a b"]\nCMD echo hi\n'
        "RUN --mount=type=cache,target=/root/.cache --network=none go build\n"
        "ENTRYPOINT ['no', 'json']\n"
    ).instructions
    assert items[0].flags == ("--platform=$BUILDPLATFORM",) and items[0].rest == "golang AS b"
    assert items[1].json == ("echo", "a b")
    assert items[2].json is None
    assert items[3].flag("mount") == "type=cache,target=/root/.cache"
    assert items[3].flag("network") == "none" and items[3].rest == "go build"
    assert items[4].json is None  # single quotes are not JSON: shell form


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$FOO", "/bar"),
        ("${FOO}", "/bar"),
        ("${FOO}/x", "/bar/x"),
        ("${UNSET:-word}", "word"),
        ("${EMPTY:-word}", "word"),
        ("${EMPTY-word}", ""),
        ("${FOO:+word}", "word"),
        ("${UNSET:+word}", ""),
        ("${EMPTY:+word}", ""),
        ("${EMPTY+word}", "word"),
        ("${UNSET:-${FOO}z}", "/barz"),
        ("\\$FOO", "$FOO"),
        ("\\${FOO}", "${FOO}"),
        ("'$FOO'", "$FOO"),
        ('"$FOO x"', "/bar x"),
        ("a$", "a$"),
    ],
)
def test_substitution(text: str, expected: str) -> None:
    assert expand(text, {"FOO": "/bar", "EMPTY": ""}).value == expected


def test_substitution_reports_unset_variables() -> None:
    out = expand("$A-${B}-${C:-x}", {"B": None})
    assert out.value == "--x" and out.unresolved == {"A", "B"}


def test_env_and_arg_word_forms() -> None:
    assert name_values('MY_NAME="John Doe" MY_DOG=Rex\\ The\\ Dog', legacy=True) == [
        ("MY_NAME", '"John Doe"'),
        ("MY_DOG", "Rex\\ The\\ Dog"),
    ]
    assert name_values("MY_VAR my-value with spaces", legacy=True) == [
        ("MY_VAR", "my-value with spaces")
    ]
    assert name_values("user1=someuser buildno", legacy=False) == [
        ("user1", "someuser"),
        ("buildno", None),
    ]


def test_arg_before_from_is_global_and_must_be_redeclared() -> None:
    text = (
        "ARG CODE_VERSION=latest\n"
        "FROM base:${CODE_VERSION}\n"
        "RUN x\n"
        "FROM extras:${CODE_VERSION}\n"
        "ARG CODE_VERSION\n"
        "USER $CODE_VERSION\n"
        "WORKDIR /$NOT_DECLARED\n"
    )
    parsed = parse(text)
    assert [s.image.raw if s.image else None for s in parsed.stages] == [
        "base:latest",
        "extras:latest",
    ]
    final = parsed.stages[1]
    assert final.words[2] == ("latest",)  # USER after the re-declared ARG
    assert 3 in final.unresolved_at  # WORKDIR uses a variable never set


def test_env_overrides_arg_and_applies_from_the_next_instruction() -> None:
    text = "FROM ubuntu\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nUSER $CONT_IMG_VER\n"
    assert parse(text).stages[0].words[3] == ("v1.0.0",)
    text = "FROM x\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n"
    assert parse(text).stages[0].env == {"abc": "bye", "def": "hello", "ghi": "bye"}


def test_stages_names_and_inheritance() -> None:
    text = (
        "FROM golang:1.22 AS Build\nENV CGO=0\nUSER builder\n"
        "FROM scratch\nCOPY --from=build /app /app\n"
        "FROM build AS test\n"
    )
    parsed = parse(text)
    build, scratch, test = parsed.stages
    assert build.name == "build" and build.image == image_ref("golang:1.22")
    assert scratch.image is not None and scratch.image.is_scratch and scratch.parent is None
    assert test.parent == 0 and test.env == {"CGO": "0"}
    assert [s.index for s in parsed.lineage(test)] == [2, 0]
    assert scratch.instructions[1].flag("from") == "build"


def test_a_base_image_with_an_unset_variable_is_unknown() -> None:
    parsed = parse("ARG REGISTRY\nARG TAG=3.12\nFROM $REGISTRY/python:$TAG\nFROM python:$TAG\n")
    assert parsed.stages[0].image is None
    assert parsed.stages[1].image == image_ref("python:3.12")


def test_image_references() -> None:
    ref = image_ref("localhost:5000/team/app:1.2@sha256:" + "a" * 64)
    assert (ref.name, ref.tag, ref.digest) == (
        "localhost:5000/team/app",
        "1.2",
        "sha256:" + "a" * 64,
    )
    ref = image_ref("localhost:5000/app")
    assert (ref.name, ref.tag, ref.digest) == ("localhost:5000/app", None, None)


def test_errors_name_the_line() -> None:
    with pytest.raises(ParseError) as err:
        parse("RUN x\nFROM y\n")
    assert err.value.line == 1
    with pytest.raises(ParseError, match="no FROM"):
        parse("# just a comment\nARG A=1\n")
    with pytest.raises(ParseError, match="one or three"):
        parse("FROM a b\n")


def test_hostile_sizes_are_errors_not_crashes() -> None:
    with pytest.raises(ParseError, match="longer than"):
        lex("RUN " + "a" * (MAX_INSTRUCTION_CHARS + 1) + "\n")
    with pytest.raises(ParseError, match="continuation lines"):
        lex("RUN a \\\n" * (MAX_CHAIN_LINES + 2) + "b\n")
    doubling = "FROM x\nENV A=aaaaaaaaaaaaaaaa\n" + "ENV A=$A$A\n" * 40
    with pytest.raises(ParseError, match=str(MAX_EXPANDED)):
        parse(doubling)
    with pytest.raises(ParseError, match="nested"):
        expand("${A:-" * 100 + "}" * 100, {})
    deep = parse("FROM x\nRUN " + "[" * 50_000 + "]" * 50_000 + "\n")  # not JSON: shell form
    assert deep.instructions[1].json is None

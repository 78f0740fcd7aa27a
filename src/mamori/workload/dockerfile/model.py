"""The parsed shape of a Dockerfile: instructions, grouped into build stages."""

from __future__ import annotations

from dataclasses import dataclass, field


class ParseError(ValueError):
    """The file is not a Dockerfile this parser can read; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Heredoc:
    """`<<EOF` ... `EOF` after an instruction. `expand` is False for a quoted delimiter."""

    name: str
    body: str
    expand: bool = True
    strip_tabs: bool = False  # `<<-EOF`


@dataclass(frozen=True)
class Instruction:
    """One logical instruction. `args` is everything after the keyword with continuation
    lines joined (escape character and trailing blanks removed, indentation kept)."""

    cmd: str  # upper case: FROM, RUN, ...
    args: str
    line: int  # first physical line (1-based)
    end_line: int  # last physical line, heredoc bodies included
    flags: tuple[str, ...] = ()  # leading `--name=value` / `--name` options, as written
    rest: str = ""  # args after the flags
    json: tuple[str, ...] | None = None  # exec form: ["a", "b"]
    heredocs: tuple[Heredoc, ...] = ()

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` ("" for a bare `--name`), None when absent."""
        for item in self.flags:
            key, sep, value = item[2:].partition("=")
            if key.lower() == name:
                return value if sep else ""
        return None


@dataclass(frozen=True)
class ImageRef:
    """A base image reference split into parts; `raw` is the expanded text."""

    raw: str
    name: str = ""
    tag: str | None = None
    digest: str | None = None

    @property
    def is_scratch(self) -> bool:
        return self.name.lower() == "scratch" and self.tag is None and self.digest is None


@dataclass
class Stage:
    """A build stage: FROM and the instructions up to the next FROM."""

    index: int
    base: str  # FROM's image as written (after --flags), before expansion
    image: ImageRef | None  # None when the reference uses an unset variable
    name: str | None  # `AS name`, lower case (Docker compares stage names case-insensitively)
    line: int
    parent: int | None = None  # index of the stage `FROM <stage>` builds on
    instructions: list[Instruction] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # ENV in effect at the stage's end
    args: dict[str, str | None] = field(default_factory=dict)  # ARG declared in the stage
    unresolved: set[str] = field(default_factory=set)  # variables used but never set
    # Per instruction (aligned with `instructions`): the expanded words of ADD, COPY,
    # EXPOSE and VOLUME, the expanded argument of USER and WORKDIR, else None.
    words: list[tuple[str, ...] | None] = field(default_factory=list)
    unresolved_at: set[int] = field(default_factory=set)  # USER/WORKDIR using unset vars


@dataclass
class Dockerfile:
    path: str
    escape: str = "\\"
    directives: dict[str, str] = field(default_factory=dict)
    global_args: dict[str, str | None] = field(default_factory=dict)  # ARG before FROM
    instructions: list[Instruction] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)  # (line, text after #)

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def lineage(self, stage: Stage) -> list[Stage]:
        """The stage and the stages it builds on (`FROM <stage>`), nearest first."""
        chain = [stage]
        seen = {stage.index}
        while chain[-1].parent is not None and chain[-1].parent not in seen:
            parent = self.stages[chain[-1].parent]
            seen.add(parent.index)
            chain.append(parent)
        return chain

"""Logical instructions -> build stages, with Docker's ARG/ENV scoping:

- ARG before the first FROM is global: usable in FROM lines only; inside a stage it must
  be declared again (`ARG NAME`, taking the global default) to be used.
- ENV and ARG of a stage apply from the next instruction on; ENV wins over an ARG of the
  same name; a stage built `FROM <stage>` starts with that stage's ENV (not its ARGs).
- `FROM image [AS name]`: stage names compare case-insensitively; `FROM <earlier stage>`
  and `FROM scratch` are not images to pull.
- ADD, COPY, USER, WORKDIR, EXPOSE and VOLUME arguments are expanded (the words the checks
  judge); RUN, CMD and ENTRYPOINT are left to the shell, as Docker does.

The total expanded text of a file is bounded, so a file cannot grow memory through
substitution.
"""

from __future__ import annotations

from mamori.workload.dockerfile.lexer import lex
from mamori.workload.dockerfile.model import (
    Dockerfile,
    ImageRef,
    Instruction,
    ParseError,
    Stage,
)
from mamori.workload.dockerfile.words import Expanded, expand, name_values, split_words

MAX_TOTAL_EXPANDED = 8 << 20
EXPANDED_WORDS = {"ADD", "COPY", "EXPOSE", "VOLUME"}
EXPANDED_WHOLE = {"USER", "WORKDIR"}


def image_ref(raw: str) -> ImageRef:
    """Split `[registry/]repository[:tag][@digest]`."""
    text = raw.strip()
    name, _, digest = text.partition("@")
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return ImageRef(raw=text, name=name, tag=tag, digest=digest or None)


class _Builder:
    def __init__(self, path: str, escape: str) -> None:
        self.file = Dockerfile(path=path, escape=escape)
        self.budget = MAX_TOTAL_EXPANDED

    def expand(self, text: str, scope: dict[str, str | None], line: int) -> Expanded:
        try:
            out = expand(text, scope, self.file.escape)
        except ParseError as exc:
            raise ParseError(str(exc), line) from None
        self.budget -= len(out.value)
        if self.budget < 0:
            raise ParseError(f"more than {MAX_TOTAL_EXPANDED} characters of expanded text", line)
        return out

    def pairs(self, item: Instruction, legacy: bool) -> list[tuple[str, str | None]]:
        try:
            return name_values(item.rest, self.file.escape, legacy=legacy)
        except ParseError as exc:
            raise ParseError(f"{item.cmd}: {exc}", item.line) from None

    def global_arg(self, item: Instruction) -> None:
        for name, raw in self.pairs(item, legacy=False):
            value = None
            if raw is not None:
                value = self.expand(raw, self.file.global_args, item.line).value
            self.file.global_args[name] = value

    def start(self, item: Instruction) -> None:
        words = split_words(item.rest, self.file.escape)
        if not words:
            raise ParseError("FROM requires an image", item.line)
        name = None
        if len(words) >= 3 and words[1].lower() == "as":
            name = words[2].lower()
        elif len(words) != 1:
            raise ParseError("FROM requires either one or three arguments", item.line)
        expanded = self.expand(words[0], self.file.global_args, item.line)
        # A reference using an unset variable is unknown, not "untagged": not judged.
        known = expanded.value.strip() and not expanded.unresolved
        image = image_ref(expanded.value) if known else None
        stage = Stage(
            index=len(self.file.stages),
            base=words[0],
            image=image,
            name=name,
            line=item.line,
        )
        stage.unresolved |= expanded.unresolved
        wanted = expanded.value.strip().lower()
        for earlier in reversed(self.file.stages):
            if earlier.name is not None and earlier.name == wanted:
                stage.parent = earlier.index
                stage.env = dict(earlier.env)
                break
        stage.instructions.append(item)
        stage.words.append(None)
        self.file.stages.append(stage)

    def step(self, stage: Stage, item: Instruction) -> None:
        scope: dict[str, str | None] = {**stage.args, **stage.env}
        words: tuple[str, ...] | None = None
        if item.cmd == "ARG":
            for name, raw in self.pairs(item, legacy=False):
                if raw is None:
                    stage.args[name] = stage.env.get(name, self.file.global_args.get(name))
                else:
                    out = self.expand(raw, scope, item.line)
                    stage.unresolved |= out.unresolved
                    stage.args[name] = out.value
        elif item.cmd == "ENV":
            for name, raw in self.pairs(item, legacy=True):
                out = self.expand(raw or "", scope, item.line)
                stage.unresolved |= out.unresolved
                stage.env[name] = out.value
        elif item.cmd in EXPANDED_WHOLE:
            out = self.expand(item.rest, scope, item.line)
            stage.unresolved |= out.unresolved
            words = (out.value,)
            if out.unresolved:
                stage.unresolved_at.add(len(stage.instructions))
        elif item.cmd in EXPANDED_WORDS:
            raw_words = item.json if item.json is not None else split_words(item.rest)
            expanded = []
            for raw in raw_words:
                out = self.expand(raw, scope, item.line) if item.json is None else Expanded(raw)
                stage.unresolved |= out.unresolved
                expanded.append(out.value)
            words = tuple(expanded)
        stage.instructions.append(item)
        stage.words.append(words)


def parse(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile text. Raises ParseError (with the line when known)."""
    lexed = lex(text)
    builder = _Builder(path, lexed.escape)
    out = builder.file
    out.directives = lexed.directives
    out.instructions = lexed.instructions
    out.comments = lexed.comments
    for item in lexed.instructions:
        if item.cmd == "FROM":
            builder.start(item)
        elif not out.stages:
            if item.cmd != "ARG":
                raise ParseError(f"{item.cmd} before the first FROM", item.line)
            builder.global_arg(item)
        else:
            builder.step(out.stages[-1], item)
    if not out.stages:
        raise ParseError("no FROM instruction: not a Dockerfile")
    return out

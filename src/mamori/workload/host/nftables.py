"""The base chains nftables.service loads: /etc/nftables.conf and the files it includes.

nft(8) syntax, as far as base chains go: `table FAMILY NAME { chain NAME { type filter
hook input priority 0; policy drop; ... } }`, or the flat form `add chain FAMILY TABLE
NAME { type ... hook ...; policy drop; }`; a later declaration of the same chain can
change its policy. `#` comments run to the end of the line (outside quotes);
`include "FILE"` (globs allowed; relative names under /etc, nft's include path) is read
in place; `flush ruleset` forgets everything read before it. Only base chains (those
with a `hook`) are collected; rules and sets are not interpreted. The default policy of
a base chain is accept.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from mamori.workload.host.view import HostView

NFTABLES_CONF = "/etc/nftables.conf"
INCLUDE_PATH = "/etc"
MAX_DEPTH = 8
MAX_FILES = 128
MAX_TOKENS = 1_000_000
_SEPARATORS = "{};\n"


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    line: int


@dataclass
class Chain:
    family: str
    table: str
    name: str
    file: str
    line: int
    hook: str | None = None
    policy: str = "accept"
    policy_line: int = 0
    policy_file: str = ""


@dataclass
class Ruleset:
    files: list[str] = field(default_factory=list)
    chains: dict[tuple[str, str, str], Chain] = field(default_factory=dict)

    def base_chains(self, hook: str) -> list[Chain]:
        return [c for c in self.chains.values() if c.hook == hook]


def tokenize(text: str) -> list[Token]:
    """Words, quoted strings (kept with their quotes) and the separators { } ; newline."""
    tokens: list[Token] = []
    line, i, n = 1, 0, len(text)
    while i < n and len(tokens) < MAX_TOKENS:
        char = text[i]
        if char == "\n":
            tokens.append(Token("\n", line))
            line += 1
            i += 1
        elif char in " \t\r":
            i += 1
        elif char == "\\" and text[i + 1 : i + 2] == "\n":  # line continuation
            line += 1
            i += 2
        elif char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif char in "{};":
            tokens.append(Token(char, line))
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            end = n - 1 if end < 0 else end
            tokens.append(Token(text[i : end + 1], line))
            line += text.count("\n", i, end + 1)
            i = end + 1
        else:
            j = i
            while j < n and text[j] not in ' \t\r\n{};#"':
                j += 1
            tokens.append(Token(text[i:j], line))
            i = j
    return tokens


def _statements(tokens: list[Token]) -> list[tuple[list[Token], bool]]:
    """Split at separators: (words, whether the statement opens a block `{`), with
    closing braces as their own statements ([Token('}')], False)."""
    out: list[tuple[list[Token], bool]] = []
    words: list[Token] = []
    for token in tokens:
        if token.text in _SEPARATORS:
            if words or token.text == "{":
                out.append((words, token.text == "{"))
            if token.text == "}":
                out.append(([token], False))
            words = []
        else:
            words.append(token)
    if words:
        out.append((words, False))
    return out


class _Reader:
    def __init__(self, view: HostView) -> None:
        self.view = view
        self.ruleset = Ruleset()
        self.seen: set[str] = set()
        self.budget = MAX_TOKENS  # tokens over every file read

    def read(self, path: str, depth: int) -> None:
        resolved = self.view.resolve(path)
        if resolved is None or not self.view.tree.is_file(path):
            return
        if resolved in self.seen or len(self.ruleset.files) >= MAX_FILES:
            self.view.warn(f"{path}: nftables include loop or too many files, skipped", path)
            return
        self.seen.add(resolved)
        self.ruleset.files.append(path)
        tokens = tokenize(self.view.read_text(path) or "")[: max(self.budget, 0)]
        self.budget -= len(tokens)
        if self.budget <= 0:
            self.view.warn(f"{path}: nftables rules too large, the rest skipped", path)
        self.parse(path, tokens, depth)

    def include(self, argument: str, current: str, depth: int) -> None:
        if depth >= MAX_DEPTH:
            self.view.warn(f"{current}: nftables includes nested too deeply", current)
            return
        target = argument.strip('"')
        if not target.startswith("/"):
            target = posixpath.join(INCLUDE_PATH, target)
        target = posixpath.normpath(target)
        directory, pattern = posixpath.split(target)
        if any(c in pattern for c in "*?["):
            for path in self.view.glob(directory, pattern):
                self.read(path, depth + 1)
        else:
            self.read(target, depth + 1)

    def parse(self, path: str, tokens: list[Token], depth: int) -> None:
        # stack of open blocks: ("table", family, name) / ("chain", key) / ("other",)
        stack: list[tuple[str, ...]] = []
        for words, opens in _statements(tokens):
            texts = [w.text for w in words]
            if texts == ["}"]:
                if stack:
                    stack.pop()
                continue
            chain = next((s for s in reversed(stack) if s[0] == "chain"), None)
            if chain is not None and texts:
                current = self.ruleset.chains.get((chain[1], chain[2], chain[3]))
                self.chain_statement(current, texts, path, words[0].line)
            if texts[:1] == ["include"] and len(texts) >= 2 and not stack:
                self.include(texts[1], path, depth)
            elif texts[:2] == ["flush", "ruleset"] and not stack:
                self.ruleset.chains.clear()
            if opens:
                stack.append(self.open_block(texts, stack, path, words))

    def open_block(
        self, texts: list[str], stack: list[tuple[str, ...]], path: str, words: list[Token]
    ) -> tuple[str, ...]:
        body = texts[1:] if texts[:1] in (["add"], ["create"]) else texts
        if body[:1] == ["table"] and not stack:
            family, name = (body[1], body[2]) if len(body) >= 3 else ("ip", body[-1])
            return ("table", family, name)
        if body[:1] == ["chain"] and len(body) >= 2:
            table = next((s for s in reversed(stack) if s[0] == "table"), None)
            if table is not None:
                family, table_name, name = table[1], table[2], body[-1]
            elif len(body) >= 4:
                family, table_name, name = body[1], body[2], body[3]
            elif len(body) == 3:
                family, table_name, name = "ip", body[1], body[2]
            else:
                return ("other",)
            key = (family, table_name, name)
            if key not in self.ruleset.chains:
                self.ruleset.chains[key] = Chain(family, table_name, name, path, words[0].line)
            return ("chain", *key)
        return ("other",)

    @staticmethod
    def chain_statement(chain: Chain | None, texts: list[str], path: str, line: int) -> None:
        if chain is None:
            return
        if texts[0] == "type" and "hook" in texts:
            at = texts.index("hook")
            if at + 1 < len(texts):
                chain.hook = texts[at + 1]
        elif texts[0] == "policy" and len(texts) >= 2:
            chain.policy = texts[1].lower()
            chain.policy_line = line
            chain.policy_file = path


def ruleset(view: HostView, path: str = NFTABLES_CONF) -> Ruleset:
    """The base chains of `path` and its includes (cached per scan for the default)."""
    key = f"nftables:{path}"
    if key not in view.cache:
        reader = _Reader(view)
        reader.read(path, 0)
        view.cache[key] = reader.ruleset
    found: Ruleset = view.cache[key]
    return found

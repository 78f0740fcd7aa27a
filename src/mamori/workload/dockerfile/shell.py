"""What a RUN instruction's shell script does, as far as the checks need to know.

Not a shell parser: a script is cut into simple commands at `&&`, `||`, `;`, `|`, `&`,
newlines and parentheses (outside quotes), each command into words (quotes removed), and
command substitutions are analysed as scripts of their own. That is enough to find
package-manager installs and their cleanups in the same RUN, `curl | sh` and sudo, and it
cannot fail on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mamori.workload.dockerfile.model import Instruction

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = {"sudo", "env", "command", "exec", "nice", "time", "xargs"}
_KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"}
MAX_DEPTH = 16
# Runs of characters the splitter gives no meaning to, taken at once rather than one by
# one (the character loop was most of a Dockerfile scan): outside quotes, and in "...".
_PLAIN = re.compile(r"[^\\$`\"' \t\r\n;|()&]+")
_IN_DOUBLE = re.compile(r'[^\\$`"]+')
_PIPE_TO_SHELL = re.compile(
    r"\b(?:curl|wget)\b[^\n|;&]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/usr)?(?:/bin/)?"
    r"(?:env\s+)?(?:ba|z|da|k|fi)?sh\b"
    r"|\b(?:ba|z|da|k)?sh\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b"
    r"|\b(?:ba|z|da|k)?sh\s+<\(\s*(?:curl|wget)\b"
)


def script(item: Instruction) -> str:
    """The shell text a RUN executes: the command, then any heredoc bodies."""
    text = " ".join(item.json) if item.json is not None else item.rest
    return "\n".join([text, *(doc.body for doc in item.heredocs)])


def _closing(text: str, start: int, opener: str, closer: str) -> int:
    """Index of the `closer` matching the `opener` before `start` (quotes skipped)."""
    depth, quote, index = 1, "", start
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1
        elif char in "\"'":
            quote = char
        elif char == "\\":
            index += 1
        elif char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return len(text)


class _Splitter:
    """Cuts a script into simple commands; `$(...)` and backquotes are kept as one word
    in their command and also analysed as scripts of their own."""

    def __init__(self, text: str, depth: int) -> None:
        self.text, self.depth = text, depth
        self.out: list[list[str]] = []
        self.words: list[str] = []
        self.word: list[str] = []
        self.nested: list[str] = []

    def flush_word(self) -> None:
        if self.word:
            self.words.append("".join(self.word))
            self.word = []

    def flush_command(self) -> None:
        self.flush_word()
        words = self.words
        while words and (words[0] in _KEYWORDS or _ASSIGNMENT.match(words[0])):
            words.pop(0)
        if words:
            self.out.append(words)
        self.words = []

    def substitution(self, index: int, opener: str, closer: str, skip: int) -> int:
        end = _closing(self.text, index + skip, opener, closer)
        self.nested.append(self.text[index + skip : end])
        self.word.append("$(...)")
        return end + 1

    def run(self) -> list[list[str]]:
        text, index, quote = self.text, 0, ""
        while index < len(text):
            if quote == "'":
                end = text.find("'", index)
                end = len(text) if end < 0 else end
                if end > index:
                    self.word.append(text[index:end])
                quote = "" if end < len(text) else quote
                index = end + 1
                continue
            run = (_IN_DOUBLE if quote else _PLAIN).match(text, index)
            if run is not None:
                self.word.append(run.group())
                index = run.end()
                continue
            char = text[index]
            nxt = text[index + 1 : index + 2]
            if char == "\\":
                if nxt and nxt != "\n":
                    self.word.append(nxt)
                index += 2
            elif char == "$" and nxt == "(" and self.depth < MAX_DEPTH:
                index = self.substitution(index, "(", ")", 2)
            elif char == "`" and self.depth < MAX_DEPTH:
                end = text.find("`", index + 1)
                end = len(text) if end < 0 else end
                self.nested.append(text[index + 1 : end])
                self.word.append("$(...)")
                index = end + 1
            elif char == "$" and nxt == "{":
                end = _closing(text, index + 2, "{", "}")
                self.word.append(text[index : end + 1])
                index = end + 1
            elif quote == '"':
                if char == '"':
                    quote = ""
                else:
                    self.word.append(char)
                index += 1
            elif char in "\"'":
                quote = char
                index += 1
            elif char in " \t\r":
                self.flush_word()
                index += 1
            elif char in "\n;|()" or (char == "&" and not self._redirect(index)):
                self.flush_command()
                index += 1
            else:
                self.word.append(char)
                index += 1
        self.flush_command()
        for inner in self.nested:
            self.out.extend(_Splitter(inner, self.depth + 1).run())
        return self.out

    def _redirect(self, index: int) -> bool:
        """`2>&1`, `&>file`, `>&2`: an ampersand that is part of a redirection."""
        before = self.text[index - 1 : index]
        after = self.text[index + 1 : index + 2]
        return before in (">", "<") or after == ">"


def commands(text: str) -> list[list[str]]:
    """Simple commands as word lists (quotes removed); leading `VAR=x` assignments and
    shell keywords (if, then, do, ...) are dropped; substitutions come last."""
    return [list(words) for words in _commands(text)]


@lru_cache(maxsize=512)
def _commands(text: str) -> tuple[tuple[str, ...], ...]:
    """`commands`, kept: every check of a Dockerfile asks about the same RUN scripts."""
    return tuple(tuple(words) for words in _Splitter(text, 0).run())


def _program(words: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The program run (wrappers such as sudo skipped) and its arguments."""
    index = 0
    while index < len(words) - 1 and (
        words[index] in _WRAPPERS or words[index].startswith("-") or _ASSIGNMENT.match(words[index])
    ):
        index += 1
    return words[index].rsplit("/", 1)[-1], words[index + 1 :]


@dataclass(frozen=True)
class Install:
    manager: str  # apt-get, apk, yum, dnf, microdnf, zypper
    args: tuple[str, ...]


_INSTALL_VERBS = {
    "apt-get": {"install"},
    "apt": {"install"},
    "apk": {"add"},
    "yum": {"install", "groupinstall", "localinstall"},
    "dnf": {"install", "groupinstall"},
    "microdnf": {"install"},
    "tdnf": {"install"},
    "zypper": {"install", "in"},
}


_DRY_RUN = {"-s", "--simulate", "--dry-run", "--just-print", "--no-act", "--recon", "--assumeno"}


def installs(text: str) -> list[Install]:
    found = []
    for words in _commands(text):
        program, args = _program(words)
        verbs = _INSTALL_VERBS.get(program)
        if any(a in _DRY_RUN for a in args):  # `apt-get install -s`: installs nothing
            continue
        if verbs and any(a in verbs for a in args if not a.startswith("-")):
            manager = "apt-get" if program == "apt" else program
            found.append(Install(manager, tuple(args)))
    return found


_CACHE_PATHS = {
    "apt-get": ("/var/lib/apt/lists",),
    "apk": ("/var/cache/apk",),
    "yum": ("/var/cache/yum",),
    "dnf": ("/var/cache/dnf", "/var/cache/yum", "/var/cache/libdnf5"),
    "microdnf": ("/var/cache/yum", "/var/cache/dnf"),
    "tdnf": ("/var/cache/tdnf",),
    "zypper": ("/var/cache/zypp",),
}


def _cache_mounted(item: Instruction, manager: str) -> bool:
    for flag in item.flags:
        if not (flag.startswith("--mount=") and "type=cache" in flag):
            continue
        if any(path in flag for path in _CACHE_PATHS[manager]) or (
            manager == "apt-get" and "/var/lib/apt" in flag
        ):
            return True
    return False


def cleaned(item: Instruction, install: Install, text: str) -> bool:
    """Does the same RUN leave no package cache behind for this install?"""
    manager = install.manager
    if _cache_mounted(item, manager):
        return True
    if manager == "apk" and ("--no-cache" in install.args or "--no-network" in install.args):
        return True
    paths = _CACHE_PATHS[manager]
    for words in _commands(text):
        program, args = _program(words)
        if program == "rm" and any(a.rstrip("/*").startswith(paths) for a in args):
            return True
        if program == manager or (manager == "apt-get" and program == "apt"):
            if "clean" in args and (manager in ("apk", "zypper") or "all" in args):
                return True
            if manager == "apt-get" and "dist-clean" in args:  # apt >= 2.7: lists too
                return True
            if manager == "zypper" and ("cc" in args or "clean" in args):
                return True
            if manager == "apk" and "cache" in args and "clean" in args:
                return True
    return False


def without_recommends(install: Install) -> bool:
    """apt-get install that also installs recommended packages."""
    if install.manager != "apt-get":
        return False
    args = install.args
    if "--no-install-recommends" in args:
        return False
    return not any(
        a.lower().startswith("apt::install-recommends=") and a.split("=", 1)[1] in ("false", "0")
        for a in args
    )


def pipes_to_shell(text: str) -> bool:
    """A download piped into (or substituted into) a shell: `curl ... | sh`."""
    return _PIPE_TO_SHELL.search(text) is not None


def uses_sudo(text: str) -> bool:
    return any(words[0].rsplit("/", 1)[-1] == "sudo" for words in _commands(text))

"""The effective sshd configuration, read the way sshd(8) reads sshd_config(5).

- keywords are case-insensitive; `Keyword value`, `Keyword=value`, `Keyword = value`;
  arguments may be double-quoted; `#` lines and blank lines are comments;
- for most keywords the FIRST value obtained wins; list keywords (Port, ListenAddress,
  HostKey, AllowUsers, AcceptEnv...) accumulate;
- `Include` takes one or more paths, each a glob, relative ones under /etc/ssh, expanded
  in lexical order and read in place (so a file in sshd_config.d included at the top of
  sshd_config beats a later line of sshd_config itself); a Match block opened inside an
  included file ends with that file;
- `Match` blocks hold overrides for the connections they match. The effective global
  configuration (what `sshd -T` prints without `-C`) ignores them except `Match all`;
  they are kept in `overrides`, because an override that weakens a setting for some users
  is still a finding;
- a keyword never set takes sshd's compiled-in default (OpenSSH 9.2, Debian 12).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Protocol

SSHD_CONFIG = "/etc/ssh/sshd_config"
SSH_DIR = "/etc/ssh"
MAX_DEPTH = 16
MAX_FILES = 256
MAX_LINES = 100_000

MULTI = frozenset(
    {
        "port", "listenaddress", "hostkey", "hostcertificate", "acceptenv", "setenv",
        "allowusers", "denyusers", "allowgroups", "denygroups", "subsystem", "permitopen",
        "permitlisten", "logverbose", "channeltimeout", "authorizedkeysfile",
    }
)  # fmt: skip

DEFAULTS: dict[str, str] = {
    "permitrootlogin": "prohibit-password",
    "permitemptypasswords": "no",
    "hostbasedauthentication": "no",
    "ignorerhosts": "yes",
    "maxauthtries": "6",
    "logingracetime": "120",
    "permituserenvironment": "no",
    "clientaliveinterval": "0",
    "clientalivecountmax": "3",
    "loglevel": "INFO",
    "usepam": "no",
    "disableforwarding": "no",
    "x11forwarding": "no",
    "allowtcpforwarding": "yes",
    "banner": "none",
    "maxsessions": "10",
    "maxstartups": "10:30:100",
    "gssapiauthentication": "no",
    "ciphers": "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com",
    "macs": "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
    "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,"
    "umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
    "kexalgorithms": "sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
    "curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
    "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
}


class Reader(Protocol):
    """What the parser needs from a root: HostView satisfies it."""

    def lines(self, path: str) -> list[tuple[int, str]]: ...

    def glob(self, directory: str, pattern: str) -> list[str]: ...

    def exists(self, path: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Setting:
    keyword: str  # lower case
    value: str
    file: str = ""  # "" : sshd's compiled-in default
    line: int = 0
    match: str = ""  # the Match criteria the setting sits under ("" : global)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file else "sshd default"


@dataclass
class SshdConfig:
    settings: dict[str, list[Setting]] = field(default_factory=dict)  # global, in order
    overrides: list[Setting] = field(default_factory=list)  # inside non-`all` Match blocks
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def get(self, keyword: str) -> Setting:
        """The effective global value: the first one set, else sshd's default."""
        keyword = keyword.lower()
        found = self.settings.get(keyword)
        if found:
            return found[0]
        return Setting(keyword, DEFAULTS.get(keyword, ""))

    def values(self, keyword: str) -> list[Setting]:
        return list(self.settings.get(keyword.lower(), ()))

    def overrides_of(self, keyword: str) -> list[Setting]:
        keyword = keyword.lower()
        return [s for s in self.overrides if s.keyword == keyword]


def split_args(text: str) -> list[str]:
    """sshd's argument splitting: whitespace-separated, double or single quotes group."""
    args: list[str] = []
    current: list[str] = []
    quote = ""
    started = False
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            else:
                current.append(ch)
        elif ch in "\"'":
            quote, started = ch, True
        elif ch in " \t":
            if started:
                args.append("".join(current))
                current, started = [], False
        else:
            current.append(ch)
            started = True
    if started:
        args.append("".join(current))
    return args


def split_line(line: str) -> tuple[str, str] | None:
    """(keyword lower-cased, the rest) of a config line; None for comments and blanks."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    cut = len(text)
    for i, ch in enumerate(text):
        if ch in " \t=":
            cut = i
            break
    keyword, rest = text[:cut], text[cut:].lstrip(" \t")
    if rest.startswith("="):
        rest = rest[1:].lstrip(" \t")
    return keyword.lower(), rest


@dataclass
class _State:
    config: SshdConfig
    lines_read: int = 0


def _expand(reader: Reader, pattern: str) -> list[str]:
    if not pattern.startswith("/"):
        pattern = posixpath.join(SSH_DIR, pattern)
    directory, name = posixpath.split(pattern)
    if not any(c in name for c in "*?["):
        return [pattern] if reader.exists(pattern) else []
    if any(c in directory for c in "*?["):
        return []  # sshd would expand directory globs too; never seen in practice
    return reader.glob(directory, name)


def _parse(reader: Reader, path: str, state: _State, match: str, depth: int) -> None:
    config = state.config
    if depth > MAX_DEPTH or len(config.files) >= MAX_FILES:
        config.errors.append(f"{path}: Include nesting or file count limit reached")
        return
    config.files.append(path)
    for number, line in reader.lines(path):
        state.lines_read += 1
        if state.lines_read > MAX_LINES:
            config.errors.append(f"{path}: more than {MAX_LINES} lines, rest ignored")
            return
        parsed = split_line(line)
        if parsed is None:
            continue
        keyword, rest = parsed
        if keyword == "match":
            criteria = " ".join(split_args(rest))
            match = "" if criteria.lower() == "all" else (criteria or "?")
            continue
        if keyword == "include":
            for pattern in split_args(rest):
                for included in _expand(reader, pattern):
                    _parse(reader, included, state, match, depth + 1)
            continue
        args = split_args(rest)
        value = " ".join(args)
        setting = Setting(keyword, value, path, number, match)
        if match:
            config.overrides.append(setting)
            continue
        existing = config.settings.setdefault(keyword, [])
        if not existing or keyword in MULTI:
            existing.append(setting)


def parse_sshd_config(reader: Reader, path: str = SSHD_CONFIG) -> SshdConfig | None:
    """The effective configuration under a root; None when there is no sshd_config."""
    if not reader.exists(path):
        return None
    state = _State(SshdConfig())
    _parse(reader, path, state, "", 0)
    return state.config


def from_sshd_t(output: dict[str, list[str]]) -> SshdConfig:
    """`sshd -T` output as an SshdConfig (the daemon's own view: the oracle)."""
    config = SshdConfig(files=["sshd -T"])
    for keyword, values in output.items():
        config.settings[keyword] = [Setting(keyword, v, "live:sshd -T") for v in values]
    return config

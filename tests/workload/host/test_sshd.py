"""The sshd_config parser against sshd_config(5)'s rules: first value wins, Include globs
read in place and in lexical order, relative Includes under /etc/ssh, Match blocks kept
as overrides (ending with their file), `Match all`, `=` syntax, quotes, defaults."""

from __future__ import annotations

import fnmatch
import posixpath

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.posture.checks.host._sshd import algorithm_list, seconds
from mamori.workload.host.sshd import (
    DEFAULTS,
    parse_sshd_config,
    split_args,
    split_line,
)


class Mem:
    """An in-memory root for the parser (the Reader protocol)."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def lines(self, path: str) -> list[tuple[int, str]]:
        return list(enumerate(self.files.get(path, "").splitlines(), 1))

    def glob(self, directory: str, pattern: str) -> list[str]:
        return sorted(
            p
            for p in self.files
            if posixpath.dirname(p) == directory
            and fnmatch.fnmatchcase(posixpath.basename(p), pattern)
        )

    def exists(self, path: str) -> bool:
        return path in self.files


def test_first_value_wins_and_includes_are_read_in_place() -> None:
    config = parse_sshd_config(
        Mem(
            {
                "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n"
                "PermitRootLogin yes\nMaxAuthTries 3\nPort 22\n",
                "/etc/ssh/sshd_config.d/20-b.conf": "PermitRootLogin prohibit-password\n"
                "Port 2222\n",
                "/etc/ssh/sshd_config.d/10-a.conf": "permitrootlogin=no\n",
                "/etc/ssh/sshd_config.d/notconf.txt": "MaxAuthTries 9\n",
            }
        )
    )
    assert config is not None
    root = config.get("PermitRootLogin")
    assert (root.value, root.file, root.line) == ("no", "/etc/ssh/sshd_config.d/10-a.conf", 1)
    assert config.get("maxauthtries").value == "3"
    assert [s.value for s in config.values("Port")] == ["2222", "22"]  # lists accumulate
    assert config.files == [
        "/etc/ssh/sshd_config",
        "/etc/ssh/sshd_config.d/10-a.conf",
        "/etc/ssh/sshd_config.d/20-b.conf",
    ]


def test_relative_include_is_under_etc_ssh_and_defaults_apply() -> None:
    config = parse_sshd_config(
        Mem(
            {
                "/etc/ssh/sshd_config": "Include extra.conf\n",
                "/etc/ssh/extra.conf": "LogLevel VERBOSE\n",
            }
        )
    )
    assert config is not None
    assert config.get("LogLevel").value == "VERBOSE"
    default = config.get("PermitRootLogin")
    assert (default.value, default.file, default.where) == (
        DEFAULTS["permitrootlogin"],
        "",
        "sshd default",
    )


def test_match_blocks_are_overrides_not_global_values() -> None:
    config = parse_sshd_config(
        Mem(
            {
                "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n"
                "PermitRootLogin no\nMatch User backup\n  PermitRootLogin yes\n"
                "  Include more.conf\nMatch all\nX11Forwarding no\n",
                "/etc/ssh/more.conf": "MaxSessions 50\n",
                "/etc/ssh/sshd_config.d/50-m.conf": "Match Address 10.0.0.0/8\nBanner none\n",
            }
        )
    )
    assert config is not None
    assert config.get("PermitRootLogin").value == "no"
    assert config.get("Banner").value == "none" and config.get("Banner").file == ""
    assert config.get("X11Forwarding").value == "no"  # after `Match all`: global again
    assert config.get("MaxSessions").value == DEFAULTS["maxsessions"]  # included under Match
    overrides = {(s.keyword, s.value, s.match) for s in config.overrides}
    assert overrides == {
        ("permitrootlogin", "yes", "User backup"),
        ("maxsessions", "50", "User backup"),
        ("banner", "none", "Address 10.0.0.0/8"),
    }


def test_match_in_an_included_file_ends_with_that_file() -> None:
    config = parse_sshd_config(
        Mem(
            {
                "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n",
                "/etc/ssh/sshd_config.d/a.conf": "Match Group sftp\nForceCommand internal-sftp\n",
            }
        )
    )
    assert config is not None
    assert config.get("UsePAM").value == "yes"
    assert config.get("UsePAM").file == "/etc/ssh/sshd_config"


def test_include_loops_are_bounded() -> None:
    config = parse_sshd_config(Mem({"/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\n"}))
    assert config is not None and config.errors


def test_no_sshd_config() -> None:
    assert parse_sshd_config(Mem({})) is None


def test_line_and_argument_syntax() -> None:
    assert split_line("  # comment") is None and split_line("") is None
    assert split_line("Banner = /etc/issue.net") == ("banner", "/etc/issue.net")
    assert split_line("Banner=/etc/issue.net") == ("banner", "/etc/issue.net")
    assert split_line("\tAllowUsers  a b") == ("allowusers", "a b")
    assert split_args('"/path with space" two') == ["/path with space", "two"]
    assert split_args('""') == [""]


def test_time_format_and_algorithm_lists() -> None:
    assert seconds("1m30s") == 90 and seconds("60") == 60 and seconds("2h") == 7200
    assert seconds("abc") is None and seconds("") is None
    assert algorithm_list("+x", "a,b") == ["a", "b", "x"]
    assert algorithm_list("^x", "a,b") == ["x", "a", "b"]
    assert algorithm_list("-a*", "aa,ab,b") == ["b"]
    assert algorithm_list("c,d", "a,b") == ["c", "d"]


TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300)


@settings(max_examples=200, deadline=None)
@given(main=TEXT, included=TEXT)
def test_parser_never_crashes(main: str, included: str) -> None:
    config = parse_sshd_config(
        Mem(
            {
                "/etc/ssh/sshd_config": "Include x.conf\n" + main,
                "/etc/ssh/x.conf": included,
            }
        )
    )
    assert config is not None
    for keyword in ("permitrootlogin", "ciphers", "port"):
        config.get(keyword)

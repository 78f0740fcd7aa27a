"""The readers behind the AppArmor, bootloader, firewall, sudo, journald and AIDE checks:
their syntax rules, and hypothesis fuzzing (pure parsers, then whole hostile roots run
through every one of those checks: never an exception, always one verdict)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.posture.checks.host import host_checks
from mamori.workload.host.grub import MAX_VALUE, assignments, shell_word
from mamori.workload.host.journald import parse_boolean, parse_unit_text
from mamori.workload.host.nftables import _Reader, tokenize
from mamori.workload.host.sudoers import logical_lines, parse_defaults, split_params, strip_comment
from mamori.workload.host.view import HostView
from tests.workload.host.roots import F, build

NEW = ("apparmor_", "boot_", "firewall_", "ufw_", "nftables_", "sudo_", "su_", "journald_", "aide_")
NEW_CHECKS = [c for c in host_checks.names() if c.startswith(NEW)]
CHARS = st.text(
    alphabet=st.sampled_from([*"ab=#;:!@{}()[]\"'\\$ \t\n,.-/*~", "\x00", "é", "\r"]),
    max_size=300,
)
WORDS = (  # the keywords of every format read here, so that fuzzing reaches deep paths
    "Defaults", "Defaults:bob", "@includedir /etc/sudoers.d", "#include /etc/sudoers",
    "@include a", "NOPASSWD:", "timestamp_timeout=", "use_pty", "!authenticate", "[Journal]",
    "Storage=", "Compress=", "ForwardToSyslog=", "GRUB_CMDLINE_LINUX=", "$GRUB_CMDLINE_LINUX",
    "${X}", "set superusers=", "password_pbkdf2 a grub.pbkdf2.x", "linux /vmlinuz", "table",
    "inet", "chain", "add", "hook", "input", "output", "type filter", "policy", "drop",
    'include "/etc/nftables.conf"', 'include "*"', "flush ruleset", "ENABLED=yes",
    "DEFAULT_INPUT_POLICY=", "flags=(", "complain", "unconfined", "aide --check", "{", "}", ";",
    "=", ",", "!", "#", '"', "'", "\\\n", " ", "\n", "\t",
)  # fmt: skip
HOSTILE = st.one_of(CHARS, st.lists(st.sampled_from(WORDS), max_size=80).map("".join))


def test_there_are_23_new_checks() -> None:
    assert len(NEW_CHECKS) == 23


def test_sudoers_syntax() -> None:
    assert strip_comment('Defaults x="a#b" # c') == 'Defaults x="a#b" '
    assert strip_comment("#1000 ALL=(ALL) ALL") == "#1000 ALL=(ALL) ALL"
    assert logical_lines("a \\\nb\nc\\") == [(1, "a  b"), (3, "c")]
    assert split_params('a="x,y", b\\,c , !d') == ['a="x,y"', "b\\,c", "!d"]
    [flag, value, plus] = (
        parse_defaults('Defaults:%wheel !!lecture, x="1", env_keep+=A', "f", 3) or []
    )
    assert (flag.name, flag.negated, flag.binding) == ("lecture", False, ":%wheel")
    assert (value.value, plus.value, plus.name) == ("1", "A", "env_keep")
    assert parse_defaults("Defaultsfoo x", "f", 1) is None
    assert parse_defaults("alice ALL=(ALL) ALL", "f", 1) is None


def test_grub_shell_words(tmp_path: Path) -> None:
    assert shell_word("'a b' c", {}) == "a b"
    assert shell_word('"x \\"y\\" $Z"z', {}) == 'x "y" z'
    root = build(
        tmp_path,
        {
            "/etc/default/grub": 'GRUB_CMDLINE_LINUX="quiet"\n'
            "export GRUB_X=${GRUB_CMDLINE_LINUX}1\n",
            "/etc/default/grub.d/10.cfg": 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX a=1" # c\n',
            "/etc/default/grub.d/20.cfg": 'GRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} b=2"\n',
            "/etc/default/grub.d/30.txt": 'GRUB_CMDLINE_LINUX=""\n',  # not *.cfg: not sourced
        },
    )
    found = assignments(HostView.open(root, live=False))
    assert found["GRUB_CMDLINE_LINUX"].value == "quiet a=1 b=2"
    assert found["GRUB_X"].value == "quiet1"


def test_journald_unit_syntax() -> None:
    text = "[Journal]\n# c\n;c\nStorage = persistent \nA=b\\\nc\n[Other]\nStorage=none\n"
    assert parse_unit_text(text) == [(4, "Storage", "persistent"), (5, "A", "b c")]
    assert [parse_boolean(v) for v in ("YES", "off", "1", "maybe")] == [True, False, True, None]


def test_nftables_tokens_keep_lines_and_quotes() -> None:
    tokens = tokenize('table inet f { # x {\n chain c { policy "drop;" ; }\n}\n')
    assert [t.text for t in tokens if t.text != "\n"] == [
        "table", "inet", "f", "{", "chain", "c", "{", "policy", '"drop;"', ";", "}", "}",
    ]  # fmt: skip
    assert tokens[-2].line == 3


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_pure_parsers_never_crash(text: str) -> None:
    for number, line in logical_lines(text):
        assert number >= 1
        strip_comment(line)
        split_params(line)
        parse_defaults(line.strip(), "/etc/sudoers", number)
    shell_word(text, {})
    for line, key, _ in parse_unit_text(text):
        assert line >= 1 and key
    parse_boolean(text)
    assert all(t.line >= 1 for t in tokenize(text))


@settings(max_examples=150, deadline=None)
@given(HOSTILE)
def test_nftables_parse_never_crashes(text: str) -> None:
    with tempfile.TemporaryDirectory(dir=Path(tempfile.gettempdir())) as tmp:
        reader = _Reader(HostView.open(Path(tmp), live=False))
        reader.parse("/etc/nftables.conf", tokenize("table inet f {\n" + text), 0)
        for chain in reader.ruleset.chains.values():
            assert chain.family and chain.name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(HOSTILE, min_size=10, max_size=10))
def test_hostile_roots_give_one_verdict_per_check(texts: list[str]) -> None:
    paths = (
        "/etc/sudoers", "/etc/sudoers.d/a", "/etc/systemd/journald.conf",
        "/etc/systemd/journald.conf.d/a.conf", "/etc/default/grub", "/boot/grub/grub.cfg",
        "/etc/nftables.conf", "/etc/ufw/ufw.conf", "/etc/pam.d/su", "/etc/apparmor.d/p",
    )  # fmt: skip
    spec = {p: F(t.replace("\x00", "")) for p, t in zip(paths, texts, strict=True)}
    spec["/etc/crontab"] = F(texts[0] + " aide --check")
    packages = ("sudo", "systemd", "ufw", "nftables", "aide", "cron", "rsyslog", "apparmor")
    with tempfile.TemporaryDirectory(dir=Path(tempfile.gettempdir())) as tmp:
        view = HostView.open(build(Path(tmp), spec, packages), live=False)
        for check in NEW_CHECKS:
            results = list(host_checks.get(check)().run(view))
            assert len(results) == 1 and results[0].reason, check


def test_grub_self_doubling_assignments_stay_bounded(tmp_path: Path) -> None:
    doubling = 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX"\n'
    root = build(tmp_path, {"/etc/default/grub": 'GRUB_CMDLINE_LINUX="x"\n' + doubling * 200})
    found = assignments(HostView.open(root, live=False))["GRUB_CMDLINE_LINUX"]
    assert found.line == 201 and len(found.value) == MAX_VALUE

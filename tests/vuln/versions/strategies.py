"""Hypothesis strategies shaped like each ecosystem's real versions, edge cases included.

Each ecosystem has a "shaped" strategy (what its packages really look like, drawn from
small alphabets so that equal and nearly-equal versions meet often) and a "rough" one
(short strings over the characters that matter to its parser, to hit the corners).
"""

from __future__ import annotations

from hypothesis import strategies as st

SMALL = st.sampled_from(["0", "1", "2", "9", "10", "00", "01", "010", "11", "123"])
BIG = st.sampled_from(["4294967296", "9007199254740991", "99999999999999999999"])
NUMBER = st.one_of(SMALL, SMALL, SMALL, BIG, st.integers(0, 10**6).map(str))


def joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


def optional(part: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), part)


def runs(
    atoms: st.SearchStrategy[str], min_size: int = 0, max_size: int = 4
) -> st.SearchStrategy[str]:
    return st.lists(atoms, min_size=min_size, max_size=max_size).map("".join)


def rough(alphabet: str, max_size: int = 10) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, max_size=max_size)


def dotted(n_min: int = 1, n_max: int = 4) -> st.SearchStrategy[str]:
    return st.lists(NUMBER, min_size=n_min, max_size=n_max).map(".".join)


# --- dpkg -------------------------------------------------------------------------------

_DEB_WORD = st.sampled_from(["a", "b", "z", "A", "Z", "dfsg", "deb12u1", "ubuntu", "rc", "git"])
_DEB_SEP = st.sampled_from([".", "+", "~", "-", ":", "~~"])
_DEB_ATOM = st.one_of(NUMBER, _DEB_WORD, _DEB_SEP)
dpkg_shaped = joined(
    optional(st.sampled_from(["0:", "1:", "2:", "10:", "01:"])),
    SMALL,
    runs(_DEB_ATOM, max_size=5),
    optional(joined(st.just("-"), runs(st.one_of(NUMBER, _DEB_WORD, st.sampled_from(".+~"))))),
)
dpkg_rough = rough("0123456789aAz.+-~:_ é!", 10)
dpkg_versions = st.one_of(dpkg_shaped, dpkg_shaped, dpkg_rough)

# --- rpm --------------------------------------------------------------------------------

_RPM_WORD = st.sampled_from(["a", "b", "Z", "el9", "el8_3", "fc38", "cm2", "rc", "git", "beta"])
_RPM_SEP = st.sampled_from([".", "_", "+", "~", "^", "..", "~~", "^^", "%"])
_RPM_PART = runs(st.one_of(NUMBER, _RPM_WORD, _RPM_SEP), min_size=1, max_size=5)
rpm_shaped = joined(
    optional(st.sampled_from(["0:", "1:", "2:", "01:", "10:", ":"])),
    _RPM_PART,
    optional(joined(st.just("-"), _RPM_PART)),
)
rpm_rough = rough("0123456789aZ.~^-:_+ ", 10)
rpm_versions = st.one_of(rpm_shaped, rpm_shaped, rpm_rough)

# --- apk --------------------------------------------------------------------------------

_APK_SUFFIX = st.sampled_from(
    ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p", "foo", "preview", "rcx", ""]
)
apk_shaped = joined(
    dotted(1, 4),
    optional(st.sampled_from(["a", "b", "z"])),
    runs(joined(st.just("_"), _APK_SUFFIX, optional(SMALL)), max_size=2),
    optional(st.sampled_from(["~abc123", "~0f", "~"])),
    optional(joined(st.just("-r"), optional(SMALL))),
)
apk_rough = rough("0123456789._-rabpz~", 10)
apk_versions = st.one_of(apk_shaped, apk_shaped, apk_rough)

# --- PEP 440 ----------------------------------------------------------------------------

_PRE = st.sampled_from(["a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "RC", "A"])
_PRE_SEP = st.sampled_from(["", ".", "-", "_"])
pep440_shaped = joined(
    optional(st.sampled_from(["v", "V", " "])),
    optional(st.sampled_from(["0!", "1!", "2!"])),
    dotted(1, 4),
    optional(joined(_PRE_SEP, _PRE, optional(SMALL))),
    optional(joined(st.sampled_from([".post", "-post", "post", "-", ".r", "rev"]), SMALL)),
    optional(joined(st.sampled_from([".dev", "dev", "-dev"]), optional(SMALL))),
    optional(joined(st.just("+"), st.sampled_from(["local", "ubuntu.1", "1", "abc.5", "x-y"]))),
)
pep440_rough = rough("0123456789.abcdeprvost!+-_ ", 10)
pep440_versions = st.one_of(pep440_shaped, pep440_shaped, pep440_rough)

# --- SemVer -----------------------------------------------------------------------------

_SV_NUMBER = st.one_of(
    st.sampled_from(["0", "1", "2", "10", "11"]), st.integers(0, 2**53 - 1).map(str)
)
_SV_IDENT = st.one_of(
    _SV_NUMBER, st.sampled_from(["alpha", "beta", "rc", "x-y", "-", "0a", "Alpha", "a1", "1a"])
)
_SV_BUILD = st.sampled_from(["build", "001", "exp.sha.5114f85", "x-1"])


_NO_PREFIX = st.just("")


def semver_core(
    number: st.SearchStrategy[str] = _SV_NUMBER, prefix: st.SearchStrategy[str] = _NO_PREFIX
) -> st.SearchStrategy[str]:
    return joined(
        prefix,
        st.lists(number, min_size=3, max_size=3).map(".".join),
        optional(joined(st.just("-"), st.lists(_SV_IDENT, min_size=1, max_size=3).map(".".join))),
        optional(joined(st.just("+"), _SV_BUILD)),
    )


semver_shaped = semver_core(prefix=st.sampled_from(["", "", "v", "=", "=v", " "]))
semver_loose = semver_core(st.sampled_from(["00", "01", "1", "007"]))
semver_rough = rough("0123456789.-+vx=a ", 10)
semver_versions = st.one_of(semver_shaped, semver_shaped, semver_loose, semver_rough)

# --- Go ---------------------------------------------------------------------------------

_STAMP = st.sampled_from(["20191109021931", "20200101000000", "20191109021932", "19991231235959"])
_REV = st.sampled_from(["daa7c04131f5", "000000000000", "abcdefabcdef"])
go_pseudo = st.one_of(
    joined(st.sampled_from(["v0.0.0-", "v1.0.0-", "v2.0.0-"]), _STAMP, st.just("-"), _REV),
    joined(
        st.sampled_from(["v1.2.4-0.", "v1.2.3-pre.0.", "v0.1.1-0.", "v1.2.4-rc.1.0."]),
        _STAMP,
        st.just("-"),
        _REV,
    ),
)
go_shaped = st.one_of(
    semver_core(prefix=st.just("v")),
    joined(st.just("v"), dotted(1, 2)),  # the shorthands "v1" and "v1.2"
    joined(go_pseudo, optional(st.just("+incompatible"))),
    joined(semver_core(prefix=st.just("v")), st.just("+incompatible")),
    semver_core(),  # OSV ranges and SBOMs drop the "v"
)
go_rough = rough("0123456789.-+v", 10)
go_versions = st.one_of(go_shaped, go_shaped, go_rough)

# --- Maven ------------------------------------------------------------------------------

_QUALIFIER = st.sampled_from(
    [
        *("alpha", "a", "beta", "b", "milestone", "m", "rc", "cr", "snapshot", "SNAPSHOT"),
        *("ga", "final", "FINAL", "release", "sp", "", "foo", "jre", "android", "RELEASE"),
    ]
)
_MVN_SEP = st.sampled_from([".", "-", "", "..", "--", ".-"])
_MVN_NUMBER = st.one_of(NUMBER, st.sampled_from(["0000000000", "1234567890", "0" * 19, "٣"]))
maven_shaped = joined(
    dotted(1, 3),
    runs(joined(_MVN_SEP, st.one_of(_MVN_NUMBER, _QUALIFIER)), max_size=4),
)
maven_rough = rough("0123456789.-abmrcsp", 10)
maven_versions = st.one_of(maven_shaped, maven_shaped, maven_rough).filter(bool)

# --- RubyGems ---------------------------------------------------------------------------

_GEM_SEG = st.one_of(NUMBER, st.sampled_from(["a", "b", "pre", "rc", "beta", "A", "Z", "x1", "1x"]))
gem_shaped = joined(
    optional(st.sampled_from([" ", "\t"])),
    SMALL,
    runs(joined(st.just("."), _GEM_SEG), max_size=4),
    optional(joined(st.just("-"), st.sampled_from(["1", "rc1", "pre.2", "beta-3", "a.b"]))),
    optional(st.sampled_from([" ", "\n"])),
)
gem_rough = rough("0123456789.-aZ ", 10)
gem_versions = st.one_of(gem_shaped, gem_shaped, gem_rough)

# --- Composer ---------------------------------------------------------------------------

_STABILITY = st.sampled_from(
    ["stable", "beta", "b", "RC", "rc", "alpha", "a", "patch", "pl", "p", "BETA", "dev"]
)
composer_shaped = st.one_of(
    joined(
        optional(st.just("v")),
        dotted(1, 4),
        optional(joined(st.sampled_from(["", "-", ".", "_"]), _STABILITY, optional(SMALL))),
        optional(st.sampled_from(["-dev", ".dev", "dev"])),
        optional(st.sampled_from(["+build.1", "@beta", "@dev"])),
    ),
    joined(dotted(1, 3), st.sampled_from([".x-dev", "-dev", ".*-dev", ".X-dev"])),
    st.sampled_from(["dev-main", "dev-master", "master", "dev-feature/x", "trunk", "dev-1.x"]),
    joined(st.sampled_from(["2024", "2023"]), st.sampled_from(["0102", "-01-02", ".01.02", "01"])),
)
composer_rough = rough("0123456789.-_+#abdeprlvx", 10)
composer_versions = st.one_of(composer_shaped, composer_shaped, composer_rough)

# --- anything ---------------------------------------------------------------------------

garbage = st.one_of(st.text(max_size=40), st.binary(max_size=20).map(lambda b: b.decode("latin-1")))

"""OSV ecosystem strings and package-name normalisation, shared by import and matching.

Both sides must normalise the same way, or an index lookup silently misses: PyPI names
compare after PEP 503 normalisation ("PyYAML" == "pyyaml", "zope.interface" ==
"zope-interface"); every other ecosystem compares names exactly (Go module paths and npm
names are case-sensitive; distro package names are already canonical).
"""

from __future__ import annotations

import re

_PEP503 = re.compile(r"[-_.]+")


def ecosystem_base(ecosystem: str) -> str:
    """The ecosystem without its release suffix: "Debian:12" -> "Debian"."""
    return ecosystem.split(":", 1)[0].strip()


def normalize_name(ecosystem: str, name: str) -> str:
    """The name as it is stored in, and looked up from, the index."""
    if ecosystem_base(ecosystem) == "PyPI":
        return _PEP503.sub("-", name).lower()
    return name


def source_of(advisory_id: str) -> str:
    """The database an advisory comes from, from its id prefix ("PYSEC-..." -> "pypa")."""
    prefix = re.split(r"[-:]", advisory_id, maxsplit=1)[0].upper()
    return _SOURCES.get(prefix, prefix.lower())


_SOURCES = {
    "PYSEC": "pypa",
    "GO": "go",
    "RUSTSEC": "rustsec",
    "GHSA": "github",
    "PSF": "psf",
    "ALSA": "almalinux",
    "ALBA": "almalinux",
    "ALEA": "almalinux",
    "RLSA": "rocky",
    "RXSA": "rocky",
    "RHSA": "redhat",
    "RHBA": "redhat",
    "RHEA": "redhat",
    "DSA": "debian",
    "DLA": "debian",
    "DTSA": "debian",
    "DEBIAN": "debian",
    "USN": "ubuntu",
    "UBUNTU": "ubuntu",
    "ALPINE": "alpine",
    "CVE": "nvd",
    "OSV": "oss-fuzz",
    "MAL": "ossf-malicious",
}

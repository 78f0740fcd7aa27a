"""Java: archives (with nested archives) and pom.xml manifests.

The registry imports only top-level modules of `mamori.sbom.catalogers`; importing the
cataloger modules here registers them.
"""

from mamori.sbom.catalogers.java import archive, pom

__all__ = ["archive", "pom"]

"""Go: module build info in binaries, go.mod/go.sum in source trees.

The registry imports only top-level modules of `mamori.sbom.catalogers`; importing the
cataloger modules here registers them.
"""

from mamori.sbom.catalogers.golang import binary, gomod

__all__ = ["binary", "gomod"]

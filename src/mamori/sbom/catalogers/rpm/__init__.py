"""RPM packages: the rpmdb readers (sqlite, BerkeleyDB hash, NDB), the header parser and
the cataloger. Importing the package registers the cataloger."""

from mamori.sbom.catalogers.rpm.cataloger import RpmCataloger
from mamori.sbom.catalogers.rpm.header import HeaderError, RpmHeader, parse_header

__all__ = ["HeaderError", "RpmCataloger", "RpmHeader", "parse_header"]

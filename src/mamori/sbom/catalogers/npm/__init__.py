"""npm packages: installed ones (package.json under node_modules) and declared ones
(package-lock.json, npm-shrinkwrap.json, yarn.lock of yarn 1 and berry, pnpm-lock.yaml).

The registry imports only the top-level modules of ``mamori.sbom.catalogers``; importing
the cataloger modules here is what registers them.
"""

from mamori.sbom.catalogers.npm.installed import NpmInstalledCataloger
from mamori.sbom.catalogers.npm.lock import NpmDeclaredCataloger

__all__ = ["NpmDeclaredCataloger", "NpmInstalledCataloger"]

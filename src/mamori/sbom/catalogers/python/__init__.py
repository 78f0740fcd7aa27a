"""Python packages: installed distributions (dist-info, egg-info) and declared ones
(requirements files, poetry/uv/pdm/pipenv lockfiles, pylock.toml).

The registry imports only the top-level modules of ``mamori.sbom.catalogers``; importing
the cataloger modules here is what registers them.
"""

from mamori.sbom.catalogers.python.declared import PythonDeclaredCataloger
from mamori.sbom.catalogers.python.installed import PythonInstalledCataloger

__all__ = ["PythonDeclaredCataloger", "PythonInstalledCataloger"]

"""PHP: Composer's composer.lock and vendor/composer/installed.json.

The registry imports only top-level modules of `mamori.sbom.catalogers`; importing the
cataloger modules here registers them.
"""

from mamori.sbom.catalogers.php import composer_lock, installed_json

__all__ = ["composer_lock", "installed_json"]

"""Ruby: installed gem specifications and Gemfile.lock.

The registry imports only top-level modules of `mamori.sbom.catalogers`; importing the
cataloger modules here registers them.
"""

from mamori.sbom.catalogers.ruby import gemfile_lock, gemspec

__all__ = ["gemfile_lock", "gemspec"]

"""Rust: Cargo.lock lockfiles and cargo-auditable dependency data in binaries.

The registry imports only top-level modules of `mamori.sbom.catalogers`; importing the
cataloger modules here registers them.
"""

from mamori.sbom.catalogers.rust import auditable, cargo_lock

__all__ = ["auditable", "cargo_lock"]

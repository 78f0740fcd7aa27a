from __future__ import annotations

import pytest

from mamori.registry import Registry, RegistryError


def test_register_and_get() -> None:
    reg: Registry[type[object]] = Registry("thing")

    @reg.register("a")
    class A:
        pass

    assert reg.get("a") is A
    assert "a" in reg
    assert reg.names() == ["a"]


def test_duplicate_name_rejected() -> None:
    reg: Registry[int] = Registry("number")
    reg.add("one", 1)
    with pytest.raises(RegistryError, match="duplicate"):
        reg.add("one", 2)


def test_unknown_name_lists_known() -> None:
    reg: Registry[int] = Registry("number")
    reg.add("one", 1)
    with pytest.raises(RegistryError, match="known: one"):
        reg.get("two")


def test_lazy_loading_imports_plugin_package() -> None:
    from mamori.sbom.cataloger import catalogers

    # Loading is deferred until first use, then every module of the package registers.
    assert isinstance(catalogers.names(), list)

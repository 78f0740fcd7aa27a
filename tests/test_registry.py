from __future__ import annotations

import sys
from pathlib import Path

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


def _package(root: Path, name: str, modules: dict[str, str]) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(
        "from mamori.registry import Registry\n"
        f"reg = Registry('thing', {name!r}, modules={{'j': 'j_module'}})\n"
    )
    for module, plugin in modules.items():
        (root / name / f"{module}.py").write_text(
            f"from {name} import reg\nreg.add({plugin!r}, {module!r})\n"
        )


def test_get_imports_only_the_named_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """get() of one plug-in imports its module alone (by name, or as `modules` maps it);
    a name no module is called after falls back to loading the whole package."""
    _package(tmp_path, "regpkg_one", {"a": "a", "j_module": "j", "b": "b", "other": "z"})
    monkeypatch.syspath_prepend(str(tmp_path))
    import regpkg_one

    reg = regpkg_one.reg
    assert reg.get("a") == "a" and "regpkg_one.b" not in sys.modules
    assert reg.get("j") == "j_module" and "regpkg_one.b" not in sys.modules
    assert reg.get("z") == "other" and "regpkg_one.b" in sys.modules  # the full load
    with pytest.raises(RegistryError, match="known: a, b, j, z"):
        reg.get("nothing")

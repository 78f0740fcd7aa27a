"""The one plug-in registry.

Plug-ins register themselves with a decorator in the module that defines them. A
registry knows the package its plug-ins live in and imports that package's modules the
first time it is asked for its contents, so nothing is loaded until it is needed and no
second hand-written list of plug-ins exists.

    catalogers: Registry[Cataloger] = Registry("cataloger", "mamori.sbom.catalogers")

    @catalogers.register("dpkg")
    class DpkgCataloger: ...
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class RegistryError(KeyError):
    """Raised for an unknown or duplicate plug-in name."""


class Registry(Generic[T]):
    """Maps plug-in names to plug-ins (classes, functions or instances)."""

    def __init__(
        self, kind: str, package: str | None = None, modules: dict[str, str] | None = None
    ) -> None:
        self.kind = kind
        self._package = package
        self._modules = modules or {}  # plug-in name -> its module's name, when they differ
        self._items: dict[str, T] = {}
        self._loaded = package is None
        self._lock = threading.RLock()

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated object under `name`."""

        def decorate(obj: T) -> T:
            self.add(name, obj)
            return obj

        return decorate

    def add(self, name: str, obj: T) -> None:
        with self._lock:
            existing = self._items.get(name)
            if existing is not None and existing is not obj:
                raise RegistryError(f"duplicate {self.kind} plug-in {name!r}")
            self._items[name] = obj

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            assert self._package is not None
            pkg = importlib.import_module(self._package)
            for info in pkgutil.iter_modules(pkg.__path__, prefix=f"{self._package}."):
                if not info.name.rsplit(".", 1)[-1].startswith("_"):
                    importlib.import_module(info.name)
            self._loaded = True

    def _load_one(self, name: str) -> None:
        """Import only the module named like the plug-in (or as `modules` says), when
        there is one: asking for one output format or check should not import them all."""
        if self._loaded or name in self._items or self._package is None:
            return
        module = self._modules.get(name, name)
        if not module.isidentifier() or module.startswith("_"):
            return
        full = f"{self._package}.{module}"
        try:
            found = importlib.util.find_spec(full) is not None
        except (ImportError, ValueError):
            found = False
        if found:
            with self._lock:
                importlib.import_module(full)

    def get(self, name: str) -> T:
        self._load_one(name)
        if name in self._items:
            return self._items[name]
        self._load()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise RegistryError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        self._load()
        return sorted(self._items)

    def items(self) -> list[tuple[str, T]]:
        self._load()
        return sorted(self._items.items())

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load()
        return len(self._items)

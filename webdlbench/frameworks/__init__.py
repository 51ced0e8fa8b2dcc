"""The registry of frameworks: one module per framework in this package, found automatically.

Each module defines FRAMEWORK, a `Framework`. Adding a framework means adding one module here and
one adapter in web/adapters/; nothing else changes.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

from webdlbench.paths import NODE_MODULES


@dataclass(frozen=True)
class Framework:
    """What the harness needs to know about one JavaScript framework."""

    name: str                       # id used in suites and the store, e.g. "tfjs"
    title: str                      # display name, e.g. "TensorFlow.js"
    npm_package: str                # whose package.json gives the installed version
    adapter: str                    # file in web/adapters/
    backends: dict[str, tuple[str, ...]]   # backend -> tasks it can do
    scripts: dict[str, tuple[str, ...]]    # backend -> bundles (node_modules paths), loaded in order
    assets: tuple[str, ...] = ()    # further node_modules paths a page may fetch (wasm binaries)
    model_format: str = ""          # what the framework's own serializer writes
    notes: str = ""                 # caveats shown in `frameworks` and the report
    options: dict = field(default_factory=dict)  # per-framework settings passed to the adapter

    def version(self, node_modules: Path = NODE_MODULES) -> str | None:
        manifest = node_modules / self.npm_package / "package.json"
        if not manifest.is_file():
            return None
        return json.loads(manifest.read_text()).get("version")

    def missing_files(self, node_modules: Path = NODE_MODULES) -> list[str]:
        wanted = {p for paths in self.scripts.values() for p in paths} | set(self.assets)
        return sorted(p for p in wanted if not (node_modules / p).exists())

    def availability(self, node_modules: Path = NODE_MODULES) -> tuple[bool, str]:
        """(available, reason): available when every bundle file it needs is installed."""
        missing = self.missing_files(node_modules)
        if missing:
            return False, f"not installed: {missing[0]} is missing (run `npm ci`)"
        return True, ""

    def tasks(self) -> set[str]:
        return {t for tasks in self.backends.values() for t in tasks}


def _discover() -> dict[str, Framework]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{module.name}")
        fw = getattr(mod, "FRAMEWORK", None)
        if isinstance(fw, Framework):
            found[fw.name] = fw
    return dict(sorted(found.items()))


FRAMEWORKS: dict[str, Framework] = _discover()


def get(name: str) -> Framework:
    return FRAMEWORKS[name]

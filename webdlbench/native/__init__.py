"""Native runtimes (runtime = "native"): the same Specs measured outside the browser.

Each module in this package defines RUNTIME, a `NativeRuntime`; they are found automatically,
like the browser frameworks. Specs are measured by runners/native.py, each replicate in a fresh
subprocess (`python -m webdlbench.native.worker`, the page harness's twin) whose threads are pinned
before the library is imported. The runtime modules import their library only inside the worker,
never here.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import pkgutil
from dataclasses import dataclass


class Unsupported(Exception):
    """This runtime cannot do this spec here (no GPU, no library build for it): not an error."""


@dataclass(frozen=True)
class NativeRuntime:
    name: str                              # id used in suites, e.g. "tensorflow"
    title: str                             # display name
    python_module: str                     # what must be importable for it to be available
    backends: dict[str, tuple[str, ...]]   # backend ("cpu", "gpu") -> tasks
    notes: str = ""
    adapter: str = ""                      # "module:Class" the worker runs (see worker.py)
    distributions: tuple[str, ...] = ()    # PyPI distributions whose versions are recorded
    model_format: str = ""                 # what the runtime's own serializer writes
    install_hint: str = ""                 # how to get it where `make setup` leaves it out

    def availability(self) -> tuple[bool, str]:
        if importlib.util.find_spec(self.python_module) is None:
            hint = f": {self.install_hint}" if self.install_hint else ""
            return False, f"Python package {self.python_module} is not installed{hint}"
        return True, ""

    def version(self) -> str | None:
        """The installed version of the runtime's main distribution (without importing it)."""
        for dist in self.distributions:
            try:
                return importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
        return None


def _discover() -> dict[str, NativeRuntime]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "worker":  # the subprocess entry point, not a runtime
            continue
        mod = importlib.import_module(f"{__name__}.{module.name}")
        runtime = getattr(mod, "RUNTIME", None)
        if isinstance(runtime, NativeRuntime):
            found[runtime.name] = runtime
    return dict(sorted(found.items()))


RUNTIMES: dict[str, NativeRuntime] = _discover()

"""Native runtimes (runtime = "native"): the same Specs measured outside the browser.

Each module in this package defines RUNTIME, a `NativeRuntime`; they are found automatically,
like the browser frameworks. `measure(spec, cache_dir)` runs one spec and returns a SpecResult
with the same metrics as the browser (train_batch_ms, load_ms, warmup_ms, infer_ms).
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import time
from dataclasses import dataclass
from pathlib import Path

from webdlbench.spec import Spec, SpecResult


@dataclass(frozen=True)
class NativeRuntime:
    name: str                              # id used in suites, e.g. "tensorflow"
    title: str                             # display name
    python_module: str                     # what must be importable for it to be available
    backends: dict[str, tuple[str, ...]]   # backend ("cpu", "gpu") -> tasks
    notes: str = ""

    def availability(self) -> tuple[bool, str]:
        if importlib.util.find_spec(self.python_module) is None:
            return False, f"Python package {self.python_module} is not installed"
        return True, ""


def _discover() -> dict[str, NativeRuntime]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{module.name}")
        runtime = getattr(mod, "RUNTIME", None)
        if isinstance(runtime, NativeRuntime):
            found[runtime.name] = runtime
    return dict(sorted(found.items()))


RUNTIMES: dict[str, NativeRuntime] = _discover()


async def measure(spec: Spec, cache_dir: Path) -> SpecResult:
    """Measure one native spec. Until a runner exists for it, the outcome says so."""
    return SpecResult(spec, "unsupported", error=f"no native runner for {spec.framework} yet",
                      started_at=time.time(), finished_at=time.time())

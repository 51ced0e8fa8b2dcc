"""The registry of frameworks: one folder per framework in this package, found automatically.

A framework's folder, `frameworks/<name>/`, holds everything that is particular to it:
  __init__.py     FRAMEWORK = Framework(...): its declaration (backends, bundles, notes, ...)
  adapter.js      its page adapter (window.webdlbench.adapters.<name>), with describe() for the survey
  node-probe.js   optional: `webdlbench survey` runs it in Node.js (load the package, run a tiny net)
  *.py            optional: the Python writer of its model format, a setup build, ...
Adding a framework means adding one folder here and its npm package to package.json; nothing else.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from webdlbench.paths import NODE_MODULES

FRAMEWORKS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Framework:
    """What the harness needs to know about one JavaScript framework."""

    name: str                       # id used in suites and the store, e.g. "tfjs"
    title: str                      # display name, e.g. "TensorFlow.js"
    npm_package: str                # whose package.json gives the installed version
    backends: dict[str, tuple[str, ...]]   # backend -> tasks it can do
    scripts: dict[str, tuple[str, ...]]    # backend -> bundles (node_modules paths), loaded in order
    adapter: str = ""               # its JS adapter: "" = adapter.js in its folder; else a path to another
    assets: tuple[str, ...] = ()    # further node_modules paths a page may fetch (wasm binaries)
    model_format: str = ""          # what the framework's own serializer writes
    notes: str = ""                 # caveats shown in `frameworks` and the report
    options: dict = field(default_factory=dict)  # per-framework settings passed to the adapter
    # Frameworks that cannot save models (Keras.js, WebDNN, ONNX Runtime Web) get their model file
    # written in Python from the same weights: write_model(layers, folder) writes files into folder.
    # Frameworks that can save leave it None: a page builds the model and saves it itself.
    write_model: Callable | None = None
    model_entry: str = "model.json"  # the file the adapter's load() is pointed at
    # backend -> the files of the model folder that backend loads (default: all of them), so
    # that model_file_bytes counts what is fetched, not other backends' copies.
    model_files: dict[str, tuple[str, ...]] = field(default_factory=dict)
    python_modules: tuple[str, ...] = ()  # Python packages its model writer needs
    # Finding 6: json_encoding(saved_folder, out_folder) writes the same saved model with its weights
    # as JSON numbers, which the adapter's loadJsonEncoded(url) loads (None: the format has one encoding).
    json_encoding: Callable | None = None
    # The function the framework computes, when it is not the paper's MLP (Mind: no biases, sigmoid
    # everywhere): reference(layers, inputs) -> outputs, computed in Python from the same weights.
    reference: Callable | None = None
    # Not on npm: the page loads /userlib/NAME.js, the file given with `--lib NAME=PATH` or, without
    # one, the bundle the framework builds from source at setup (`local_build`); when there is
    # neither, `unavailable_reason` (or the build's own reason) says why.
    user_bundle: bool = False
    unavailable_reason: str = ""
    local_build: "LocalBuild | None" = None
    # `webdlbench survey`: extra environment for node-probe.js (e.g. a model it runs), and extra
    # fields of the probe page's job.survey for the adapter's describe(job).
    node_probe_env: Callable[[], dict[str, str]] | None = None
    survey_page_data: Callable[[], dict] | None = None

    def version(self, node_modules: Path = NODE_MODULES) -> str | None:
        if self.user_bundle:  # a --lib bundle is known by its path only; a local build records its version
            built = self.local_build.built() if self.local_build and self.name not in USER_BUNDLES else None
            return built.version if built else None
        manifest = node_modules / self.npm_package / "package.json"
        if not manifest.is_file():
            return None
        return json.loads(manifest.read_text()).get("version")

    def missing_files(self, node_modules: Path = NODE_MODULES) -> list[str]:
        wanted = {p for paths in self.scripts.values() for p in paths} | set(self.assets)
        return sorted(p for p in wanted if not (node_modules / p).exists())

    def bundle_path(self) -> Path | None:
        """The file served as /userlib/NAME.js: the --lib bundle, else the one built at setup."""
        if self.name in USER_BUNDLES:
            return USER_BUNDLES[self.name]
        return self.local_build.built().path if self.local_build else None

    @property
    def folder(self) -> Path:
        """frameworks/<name>/: the folder of its declaration, beside which its adapter and probes lie."""
        module = sys.modules.get(f"{__name__}.{self.name}")
        return Path(module.__file__).parent if module is not None else FRAMEWORKS_DIR / self.name

    def adapter_file(self) -> Path:
        return Path(self.adapter) if self.adapter else self.folder / "adapter.js"

    def adapter_url(self) -> str:
        """Where the page fetches the adapter: the results server serves adapter_file() there."""
        return f"/adapters/{self.name}.js"

    def node_probe_file(self) -> Path | None:
        probe = self.folder / "node-probe.js"
        return probe if probe.is_file() else None

    def script_urls(self, backend: str) -> list[str]:
        """What the page loads for this backend: /lib/ (node_modules) or /userlib/ (--lib)."""
        libs = [f"/lib/{p}" for p in self.scripts.get(backend, ())]
        return [*libs, f"/userlib/{self.name}.js"] if self.user_bundle else libs

    def availability(self, node_modules: Path = NODE_MODULES) -> tuple[bool, str]:
        """(available, reason): available when every bundle file it needs is installed."""
        if self.user_bundle:
            if self.bundle_path() is not None:
                return True, ""
            reason = self.local_build.built().reason if self.local_build else self.unavailable_reason
            return False, reason or f"no bundle: pass --lib {self.name}=PATH"
        for module in self.python_modules:
            if importlib.util.find_spec(module) is None:
                return False, f"Python package {module} is not installed (pip install -e . installs it)"
        missing = self.missing_files(node_modules)
        if missing:
            return False, f"not installed: {missing[0]} is missing (run `npm ci`)"
        return True, ""

    def tasks(self) -> set[str]:
        return {t for tasks in self.backends.values() for t in tasks}


@dataclass(frozen=True)
class Built:
    """What a local build left: the bundle (None when there is none), its version, or why not."""

    path: Path | None
    version: str | None = None
    reason: str = ""


class LocalBuild(Protocol):
    """A bundle a framework builds from source at setup, for a library that is not on npm."""

    def build(self) -> str:
        """Build (or keep, when its inputs are unchanged) the bundle; one line saying what was done."""

    def built(self) -> Built:
        """What is there now, without building."""


def _discover() -> dict[str, Framework]:
    """Every folder here whose __init__.py defines FRAMEWORK; the folder is named as the framework."""
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if not module.ispkg or module.name.startswith("_"):  # __main__.py is the setup build
            continue
        mod = importlib.import_module(f"{__name__}.{module.name}")
        fw = getattr(mod, "FRAMEWORK", None)
        if isinstance(fw, Framework):
            if fw.name != module.name:
                raise ImportError(f"frameworks/{module.name}/ declares the framework {fw.name!r}: "
                                  f"rename the folder to {fw.name}/ (its adapter and probes are found by name)")
            found[fw.name] = fw
    return dict(sorted(found.items()))


FRAMEWORKS: dict[str, Framework] = _discover()
# Bundles the user supplied with --lib NAME=PATH, for frameworks not published on npm.
USER_BUNDLES: dict[str, Path] = {}


def set_user_bundles(pairs: list[str] | None) -> None:
    """Register `NAME=PATH` bundles (from --lib); a bad pair is a user error."""
    from webdlbench.errors import UserError
    for pair in pairs or ():
        name, sep, path = pair.partition("=")
        if not sep or name not in FRAMEWORKS:
            raise UserError(f"--lib {pair}: give NAME=PATH with NAME one of {', '.join(FRAMEWORKS)}")
        if not Path(path).is_file():
            raise UserError(f"--lib {pair}: no file at {path}")
        USER_BUNDLES[name] = Path(path).resolve()


def get(name: str) -> Framework:
    return FRAMEWORKS[name]


def surveyed() -> dict[str, Framework]:
    """The frameworks the survey (paper Table 1) covers: those that train or infer the study's
    networks. RQ4-only runtimes (transformers.js) are measured by the web-ai suites instead."""
    return {name: fw for name, fw in FRAMEWORKS.items() if fw.tasks() & {"train", "infer"}}

"""Mind's browser bundle, built at setup from the authors' source: Mind is not on npm any more.

The source (stevenmiller888/mind and its `htan` / `htan-prime`, which are gone from npm too) is an
outside dependency, never part of this repository. It is looked for in $MIND_SOURCE, then in
../shared/vendor/mind beside the repository, then in /work/shared/vendor/mind; its folders mind/,
htan/ and htan-prime/ are bundled by esbuild (npm, locked) with Mind's other dependencies from
npm (node-matrix, samples, sigmoid, sigmoid-prime, emitter-component; locked) into
BUILD_DIR/mind/mind.js, a plain script that defines the global `Mind`. The bundle begins with the
licence notice of every package it contains. `build()` rebuilds only when an input changed (the
source files, the npm packages' versions, esbuild's version, the options); `built()` reads what
is there. Without a source, Mind is unavailable with the places that were searched as its reason.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from webdlbench.frameworks import Built
from webdlbench.paths import BUILD_DIR, NODE_MODULES, PACKAGE_DIR

SOURCE_VARIABLE = "MIND_SOURCE"
FALLBACK_SOURCES = (PACKAGE_DIR.parent.parent / "shared" / "vendor" / "mind", Path("/work/shared/vendor/mind"))
PARTS = ("mind", "htan", "htan-prime")  # folders of the source; `htan*` replace the npm packages
GLOBAL_NAME = "Mind"
ESBUILD_TIMEOUT_S = 120


def _esbuild_options(source: Path) -> list[str]:
    return ["--bundle", "--format=iife", f"--global-name={GLOBAL_NAME}", "--log-level=warning",
            f"--alias:htan={source / 'htan'}", f"--alias:htan-prime={source / 'htan-prime'}"]


class MindBundle:
    """The LocalBuild of Mind (see webdlbench.frameworks.LocalBuild)."""

    def __init__(self, out_dir: Path | None = None, node_modules: Path | None = None):
        self.out_dir = Path(out_dir or BUILD_DIR / "mind")
        self.node_modules = Path(node_modules or NODE_MODULES)

    @property
    def bundle(self) -> Path:
        return self.out_dir / "mind.js"

    @property
    def record(self) -> Path:  # what was built from what, or why the build failed
        return self.out_dir / "build.json"

    # -- where the source is -------------------------------------------------------------------
    @staticmethod
    def searched() -> list[str]:
        """The places looked in, in order, as a user would name them."""
        variable = os.environ.get(SOURCE_VARIABLE)
        first = f"${SOURCE_VARIABLE} ({variable})" if variable else f"${SOURCE_VARIABLE} (unset)"
        return [first, *(str(p) for p in FALLBACK_SOURCES)]

    @staticmethod
    def find_source() -> Path | None:
        """The first of $MIND_SOURCE, ../shared/vendor/mind, /work/shared/vendor/mind holding mind/index.js."""
        variable = os.environ.get(SOURCE_VARIABLE)
        for folder in ([Path(variable)] if variable else []) + list(FALLBACK_SOURCES):
            if (folder / "mind" / "index.js").is_file():
                return folder.resolve()
        return None

    def _no_source_reason(self) -> str:
        return (f"no source of Mind (not on npm): looked in {', '.join(self.searched())}; put the authors' "
                f"mind/, htan/ and htan-prime/ in one of them and run `make setup`, or pass --lib mind=PATH")

    # -- what is there -------------------------------------------------------------------------
    def built(self) -> Built:
        try:
            record = json.loads(self.record.read_text())
        except (OSError, ValueError):
            record = None
        if record and record.get("error"):
            return Built(None, reason=f"building the Mind bundle failed: {record['error']}")
        if record and self.bundle.is_file():
            return Built(self.bundle, record.get("version"))
        if self.find_source() is None:
            return Built(None, reason=self._no_source_reason())
        return Built(None, reason=f"the Mind bundle is not built ({self.bundle} is missing): run `make setup`")

    # -- building ------------------------------------------------------------------------------
    def build(self) -> str:
        source = self.find_source()
        if source is None:
            shutil.rmtree(self.out_dir, ignore_errors=True)  # no stale bundle from a source now gone
            return f"Mind: unavailable, {self._no_source_reason()}"
        esbuild = self.node_modules / ".bin" / "esbuild"
        inputs = self._fingerprint(source, esbuild)
        try:
            record = json.loads(self.record.read_text())
        except (OSError, ValueError):
            record = {}
        if record.get("inputs") == inputs and not record.get("error") and self.bundle.is_file():
            return f"Mind: {self.bundle} is up to date"
        try:
            text, packages = self._bundle(source, esbuild)
        except BuildError as exc:
            self._write({"inputs": inputs, "source": str(source), "error": str(exc)}, None)
            return f"Mind: unavailable, building the bundle failed: {exc}"
        version = json.loads((source / "mind" / "package.json").read_text())["version"]
        notice = licence_notice(version, source, _tool_version(esbuild), packages)
        self._write({"inputs": inputs, "source": str(source), "version": version, "packages": packages,
                     "esbuild": _tool_version(esbuild)}, notice + text)
        return f"Mind: built {self.bundle} ({len(notice) + len(text)} bytes) from {source}"

    def _bundle(self, source: Path, esbuild: Path) -> tuple[str, list[dict]]:
        """Run esbuild; (the bundle's text, the packages it holds with their licences)."""
        if not esbuild.is_file():
            raise BuildError(f"{esbuild} is missing (run `npm ci`)")
        with tempfile.TemporaryDirectory(prefix="webdlbench-mind-") as scratch:
            out, meta = Path(scratch) / "mind.js", Path(scratch) / "meta.json"
            # NODE_PATH: the source's own `require('node-matrix')` etc. resolve in our node_modules.
            env = {**os.environ, "NODE_PATH": str(self.node_modules)}
            try:
                done = subprocess.run([str(esbuild), str(source / "mind" / "index.js"), *_esbuild_options(source),
                                       f"--metafile={meta}", f"--outfile={out}"],
                                      cwd=scratch, env=env, capture_output=True, text=True, timeout=ESBUILD_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise BuildError(f"esbuild gave no answer within {ESBUILD_TIMEOUT_S} s") from None
            if done.returncode != 0:
                raise BuildError(" ".join(done.stderr.split())[:500] or f"esbuild exited {done.returncode}")
            inputs = json.loads(meta.read_text())["inputs"]
            return out.read_text(), _packages([Path(scratch) / p for p in inputs])  # paths relative to cwd

    def _fingerprint(self, source: Path, esbuild: Path) -> str:
        digest = hashlib.sha256()
        for part in PARTS:
            for path in sorted((source / part).rglob("*")):
                if path.is_file():
                    digest.update(path.relative_to(source).as_posix().encode() + b"\0" + path.read_bytes())
        # Mind's npm dependencies and esbuild: their locked versions, as installed.
        for name in ("node-matrix", "samples", "sigmoid", "sigmoid-prime", "emitter-component", "esbuild"):
            manifest = self.node_modules / name / "package.json"
            digest.update(manifest.read_bytes() if manifest.is_file() else b"missing " + name.encode())
        digest.update(json.dumps(_esbuild_options(source)).encode() + Path(__file__).read_bytes())
        return digest.hexdigest()

    def _write(self, record: dict, bundle_text: str | None) -> None:
        """Replace the folder whole: a reader sees the old build or the new one, never half of one."""
        staging = self.out_dir.with_name(self.out_dir.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if bundle_text is not None:
            (staging / "mind.js").write_text(bundle_text)
        (staging / "build.json").write_text(json.dumps(record, indent=2) + "\n")
        shutil.rmtree(self.out_dir, ignore_errors=True)
        staging.replace(self.out_dir)


class BuildError(Exception):
    """esbuild failed or is missing; the message is its own words."""


def _tool_version(esbuild: Path) -> str:
    manifest = esbuild.parent.parent / "esbuild" / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.is_file() else "?"


def _packages(files: list[Path]) -> list[dict]:
    """The packages the bundled files belong to (nearest package.json), with version, licence, author."""
    found: dict[Path, dict] = {}
    for file in files:
        folder = next((p for p in file.resolve().parents if (p / "package.json").is_file()), None)
        if folder is None or folder in found:
            continue
        manifest = json.loads((folder / "package.json").read_text())
        # emitter-component 1.1.2 states its licence in component.json / bower.json only.
        licence = manifest.get("license") or next(
            (json.loads((folder / f).read_text()).get("license") for f in ("component.json", "bower.json")
             if (folder / f).is_file()), None)
        author = manifest.get("author")
        repository = manifest.get("repository")
        found[folder] = {"name": manifest.get("name"), "version": manifest.get("version"),
                         "license": licence or "not stated",
                         "author": author.get("name") if isinstance(author, dict) else author,
                         "repository": repository.get("url") if isinstance(repository, dict) else repository}
    return sorted(found.values(), key=lambda p: p["name"] or "")


def licence_notice(version: str, source: Path, esbuild_version: str, packages: list[dict]) -> str:
    """The comment the bundle begins with: what it contains and under which licence."""
    lines = [f"Mind {version} (stevenmiller888/mind) for the browser: the global `{GLOBAL_NAME}`.",
             f"Bundled by webdlbench with esbuild {esbuild_version} from {source} and npm packages.",
             "It contains these packages, each under the licence its own files state:"]
    for p in packages:
        by = f", by {p['author']}" if p["author"] else ""
        at = f", {p['repository']}" if p["repository"] else ""
        lines.append(f"  {p['name']} {p['version']}: {p['license']} licence{by}{at}")
    if any(p["license"] == "MIT" for p in packages):
        lines += MIT_LICENCE
    return "/*!\n" + "\n".join(f" * {line}".rstrip() for line in lines) + "\n */\n"


MIT_LICENCE = ["", "The MIT licence (the packages marked MIT above):", "",
               "Permission is hereby granted, free of charge, to any person obtaining a copy of this software",
               "and associated documentation files (the \"Software\"), to deal in the Software without",
               "restriction, including without limitation the rights to use, copy, modify, merge, publish,",
               "distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the",
               "Software is furnished to do so, subject to the following conditions:", "",
               "The above copyright notice and this permission notice shall be included in all copies or",
               "substantial portions of the Software.", "",
               "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,",
               "INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR",
               "PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR",
               "ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE,",
               "ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE",
               "SOFTWARE."]

"""Mind's bundle, built at setup from the authors' source (frameworks/mind/bundle.py), without a
browser: where the source is looked for, what happens without one, the build with its licence
notice and its rebuild on a changed input, --lib taking precedence, and reference_forward against
what Mind itself computes from our weights (Mind run in Node.js)."""
import asyncio
import json
import shutil
import subprocess

import aiohttp
import numpy as np
import pytest

from webdlbench import frameworks
from webdlbench.frameworks import mind
from webdlbench.frameworks.mind import bundle as mind_bundle
from webdlbench.models import mlp, mnist
from webdlbench.paths import NODE_MODULES
from webdlbench.server import ResultsServer

SOURCE = mind_bundle.MindBundle.find_source()
needs_source = pytest.mark.skipif(SOURCE is None, reason="no Mind source here: " + ", ".join(mind_bundle.MindBundle.searched()))
needs_node = pytest.mark.skipif(shutil.which("node") is None or not (NODE_MODULES / ".bin" / "esbuild").exists(),
                                reason="needs Node.js and `npm ci` (esbuild)")


@pytest.fixture
def no_source(tmp_path, monkeypatch):
    monkeypatch.setenv(mind_bundle.SOURCE_VARIABLE, str(tmp_path / "nowhere"))
    monkeypatch.setattr(mind_bundle, "FALLBACK_SOURCES", (tmp_path / "beside", tmp_path / "shared"))


@pytest.fixture
def source_copy(tmp_path, monkeypatch):
    """A writable copy of the real source, found through $MIND_SOURCE."""
    copy = tmp_path / "source"
    for part in mind_bundle.PARTS:
        shutil.copytree(SOURCE / part, copy / part)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the vendor folder is read-only
    monkeypatch.setenv(mind_bundle.SOURCE_VARIABLE, str(copy))
    return copy


def test_without_a_source_mind_is_unavailable_naming_every_place_searched(tmp_path, no_source):
    build = mind_bundle.MindBundle(out_dir=tmp_path / "out")
    said = build.build()
    built = build.built()
    assert built.path is None and not (tmp_path / "out").exists()
    for place in (f"$MIND_SOURCE ({tmp_path / 'nowhere'})", str(tmp_path / "beside"), str(tmp_path / "shared")):
        assert place in said and place in built.reason
    assert "--lib mind=PATH" in built.reason and said.startswith("Mind: unavailable")
    fw = frameworks.Framework(name="mind_here", title="Mind", npm_package="node-mind",
                              backends={"cpu": ("train",)}, scripts={"cpu": ()}, user_bundle=True, local_build=build)
    assert fw.availability() == (False, built.reason) and fw.version() is None and fw.bundle_path() is None


@needs_source
def test_a_failed_build_leaves_mind_unavailable_with_the_reason(tmp_path, source_copy):
    build = mind_bundle.MindBundle(out_dir=tmp_path / "out", node_modules=tmp_path / "empty_node_modules")
    said = build.build()
    assert "building the bundle failed" in said and "esbuild is missing (run `npm ci`)" in said
    built = build.built()
    assert built.path is None and built.reason.startswith("building the Mind bundle failed:")


@needs_source
@needs_node
def test_the_bundle_is_built_with_its_licence_notice_and_rebuilt_when_a_source_file_changes(tmp_path, source_copy):
    build = mind_bundle.MindBundle(out_dir=tmp_path / "out")
    assert build.build().startswith("Mind: built")
    text = build.bundle.read_text()
    assert text.startswith("/*!") and "var Mind = " in text
    for line in ("node-mind 1.0.1: MIT licence, by Steven Miller", "htan 1.0.0: MIT licence",
                 "htan-prime 0.0.1: MIT licence", "node-matrix 0.1.1: MIT licence", "Permission is hereby granted"):
        assert line in text
    assert build.built().path == build.bundle and build.built().version == "1.0.1"
    assert build.build().endswith("is up to date") and build.bundle.read_text() == text

    htan = source_copy / "htan" / "lib" / "index.js"
    htan.write_text(htan.read_text() + "\nmodule.exports.changedHere = true;\n")
    assert build.build().startswith("Mind: built") and "changedHere" in build.bundle.read_text()


@needs_source
@needs_node
def test_reference_forward_is_what_mind_computes_from_our_weights(tmp_path, source_copy):
    build = mind_bundle.MindBundle(out_dir=tmp_path / "out")
    build.build()
    layers = mlp.make_weights(2, 16, 0)
    inputs = mnist.reference_inputs()[:4]
    script = """
const vm = require('vm'), fs = require('fs');
vm.runInThisContext(fs.readFileSync(process.argv[1], 'utf8'));
const job = JSON.parse(fs.readFileSync(0, 'utf8'));
const m = new Mind({ activator: job.activator, iterations: 1, hiddenLayers: 1, hiddenUnits: 1 });
m.learn([{ input: [0], output: [0] }]);
const Matrix = m.download()[0].constructor;
const net = new Mind({ activator: job.activator, hiddenLayers: job.kernels.length - 1 });
net.upload(job.kernels.map((rows) => new Matrix(rows)));
console.log(JSON.stringify(job.inputs.map((x) => net.predict(x))));
"""
    job = {"activator": mind.ACTIVATOR, "kernels": [k.astype(float).tolist() for k, _ in layers],
           "inputs": inputs.astype(float).tolist()}
    done = subprocess.run(["node", "-e", script, str(build.bundle)], input=json.dumps(job), capture_output=True,
                          text=True, timeout=120, check=True)
    got = np.array(json.loads(done.stdout))
    want = mind.reference_forward(layers, inputs)
    assert np.max(np.abs(got - want)) < 1e-12
    # Not the study's MLP: the output check compares Mind with its own function, not mlp.forward.
    assert np.max(np.abs(want - mlp.forward(layers, inputs))) > 0.1


def test_lib_takes_precedence_over_the_bundle_built_at_setup(tmp_path, monkeypatch):
    other = tmp_path / "other-mind.js"
    other.write_text("var Mind = function () {};  // another build\n")
    fw = frameworks.FRAMEWORKS["mind"]
    monkeypatch.setitem(frameworks.USER_BUNDLES, "mind", other)

    async def fetch_bundle():
        server = ResultsServer(tmp_path)
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{server.base_url}/userlib/mind.js") as response:
                    return response.status, await response.text()
        finally:
            await server.stop()

    assert fw.bundle_path() == other and fw.availability() == (True, "") and fw.version() is None
    assert asyncio.run(fetch_bundle()) == (200, other.read_text())

"""The WebDNN descriptor writer: WebDNN's converter run on our weights, in a contained subprocess."""
import subprocess
import sys

import numpy as np
import pytest

from webdlbench.frameworks.webdnn import _generate as _webdnn_generate
from webdlbench.frameworks.webdnn import writer as webdnn_writer
from webdlbench.models import mlp

DEPTH, WIDTH = 2, 8


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("webdnn")
    layers = mlp.make_weights(DEPTH, WIDTH, seed=4)
    webdnn_writer.write_model(layers, folder, backends=("webgl", "fallback"))
    return folder, layers


def test_writes_exactly_the_files_the_runtime_fetches(written):
    folder, _ = written
    expected = set(webdnn_writer.DESCRIPTOR_FILES["webgl"]) | set(webdnn_writer.DESCRIPTOR_FILES["fallback"])
    assert {p.name for p in folder.iterdir()} == expected


@pytest.mark.parametrize("backend", ["webgl", "fallback"])
def test_every_weight_is_in_the_descriptor_raw(written, backend):
    folder, layers = written
    assert webdnn_writer.read_descriptor(folder, backend)["weight_encoding"] == "raw"
    stored = list(webdnn_writer.constants(folder, backend).values())
    assert len(stored) == 2 * len(layers)
    for kernel, bias in layers:
        # The optimizer may store a kernel transposed for its memory layout; the values are ours.
        assert any(np.array_equal(v, kernel.ravel()) or np.array_equal(v, kernel.T.ravel()) for v in stored)
        assert any(np.array_equal(v, bias) for v in stored)


def test_fallback_descriptor_shapes_and_kernels(written):
    folder, _ = written
    d = webdnn_writer.read_descriptor(folder, "fallback")
    static = d["memory_layout"]["static"]["allocations"]
    assert [static[n]["size"] for n in d["inputs"]] == [784] and [static[n]["size"] for n in d["outputs"]] == [10]
    calls = [e["entry_func_name"] for e in d["exec_infos"]]
    assert sum(c == "tensordot" for c in calls) == DEPTH + 1
    assert sum(c.startswith("relu") for c in calls) == DEPTH and calls[-1] == "softmax"
    reductions = [e["call_option"]["reduction_size"] for e in d["exec_infos"] if e["entry_func_name"] == "tensordot"]
    assert reductions == [784] + [WIDTH] * DEPTH
    source = (folder / "kernels_fallback.js").read_text()
    assert source.lstrip().startswith("dnn_fallback_kernel=") and all(f"{c}:" in source for c in set(calls))


def test_webgl_descriptor_shapes_and_shaders(written):
    folder, _ = written
    d = webdnn_writer.read_descriptor(folder, "webgl")
    layout = d["memory_layout"]
    size_of = lambda name: layout["static"]["allocations"][layout["mapping"][name]]["size"]  # noqa: E731
    assert [size_of(n) for n in d["inputs"]] == [784] and [size_of(n) for n in d["outputs"]] == [10]
    for allocation in layout["static"]["allocations"].values():
        per_pixel = 4 if allocation["channel_mode"] == "RGBA" else 1
        assert allocation["width"] <= 4096 and allocation["width"] * allocation["height"] * per_pixel >= allocation["size"]
    assert d["exec_infos"] and all(e["shader_name"] in d["shader_sources"] for e in d["exec_infos"])
    assert all("void main" in source for source in d["shader_sources"].values())
    assert sum(name.startswith("Tensordot") for name in (e["shader_name"] for e in d["exec_infos"])) == DEPTH + 1


def test_webassembly_only_where_emscripten_is(monkeypatch):
    monkeypatch.setattr(webdnn_writer.shutil, "which", lambda name: None)
    reason = webdnn_writer.webassembly_unavailable_reason()
    assert "emscripten" in reason and "not installed" in reason
    assert webdnn_writer.backends_written() == ("webgl", "fallback")
    monkeypatch.setattr(webdnn_writer.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert webdnn_writer.webassembly_unavailable_reason() == ""
    assert webdnn_writer.backends_written() == ("webgl", "fallback", "webassembly")


def test_converter_errors_come_back_verbatim(tmp_path):
    with pytest.raises(RuntimeError, match="Unknown backend: nosuch"):
        webdnn_writer.write_model(mlp.make_weights(1, 4, seed=0), tmp_path, backends=("nosuch",))


def test_compat_patches_stay_in_the_subprocess():
    # Importing the writer (what the harness does) patches nothing here...
    assert "int" not in np.__dict__ and "float" not in np.__dict__
    # ...while the converter's process gets the names webdnn 1.2.11 expects.
    probe = ("from webdlbench.frameworks.webdnn._generate import patch_old_python_assumptions as p; p(); "
             "import collections, numpy as np, pkg_resources; "
             "assert collections.Collection is __import__('collections.abc').abc.Collection; "
             "assert np.int is int and np.float is float; "
             "assert np.fromstring(b'\\x02\\x00\\x00\\x00', dtype=np.int32).tolist() == [2]; "
             "assert np.fromstring('1 2', dtype=np.int32, sep=' ').tolist() == [1, 2]; "
             "print(pkg_resources.require('webdnn')[0].version)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == _webdnn_generate.WEBDNN_VERSION


def test_generator_usage_error():
    done = subprocess.run([sys.executable, "-m", "webdlbench.frameworks.webdnn._generate"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "webdnn._generate" in done.stderr

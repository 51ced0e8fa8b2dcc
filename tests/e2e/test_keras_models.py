"""Converted Keras models for real: the three quick suites (gap-cnn-quick, gap-rnn-quick,
pretrained-quick, run as `webdlbench run paper-gap-cnn --quick` and so on) into one store — tf_keras models built with seeded
weights, converted by the official TF.js converter in its own process, loaded and run by TF.js in
headless Chromium and by native TensorFlow from the same weights (MobileNetV2 also by ONNX Runtime
Web and PyTorch, through its ONNX conversion) — then `webdlbench gap` on it.

What this shows: every spec ends ok with its check passed; the browser's outputs match TensorFlow's
for the same inputs within the kind's stated tolerance; training starts from the very same loss in
the browser and natively (same weights, same first batch) and the loss falls; the model facts of
Table 4 are recorded; and the gap command pairs the CNN and RNN results and fits their trees."""
import json

import pytest

from tests.conftest import run_cli
from webdlbench.models import artifacts, kinds
from webdlbench.models.torch_graph_maker import GRAPH_FOLDER
from webdlbench.store import Store

pytestmark = pytest.mark.browser

PAPER_SUITES = ("paper-gap-cnn", "paper-gap-rnn", "paper-pretrained")  # each run with --quick


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keras-models")
    store = folder / "results" / "store.sqlite"
    for suite in PAPER_SUITES:
        done = run_cli("run", suite, "--quick", "--store", store, "--retries", "0")
        assert done.returncode == 0, suite + "\n" + done.stdout[-3000:] + done.stderr[-3000:]
    with Store.open(store, create=False) as opened:
        results, samples, _ = opened.frames()
    return {"store": store, "cache": store.parent / "cache", "results": results, "samples": samples}


def test_every_spec_of_the_quick_suites_is_ok_with_its_check_passed(swept):
    results = swept["results"]
    assert set(results["model"]) == {"cnn", "lstm", "keras:MobileNetV2"}
    assert len(results) == 6 + 6 + 5
    failures = results[results.outcome != "ok"][["runtime", "backend", "task", "model", "outcome", "error"]]
    assert failures.empty, failures.to_string()
    assert all(check["passed"] for check in results.checks)


def test_browser_outputs_match_tensorflows_within_the_stated_tolerance(swept):
    results = swept["results"]
    infer = results[results.task == "infer"]
    assert len(infer) == 11
    for row in infer.itertuples():
        kind = kinds.get(row.model)
        checks = row.checks
        assert checks["reference"] == "tensorflow" and checks["compared"] >= 3
        assert (checks["atol"], checks["rtol"]) == (kind.output_atol, kind.output_rtol)
        assert checks["max_rel_error"] <= kind.output_rtol and checks["argmax_agree"], (row.backend, row.model)
        assert checks["warmup_max_abs_error"] <= kind.output_atol + kind.output_rtol


def test_training_starts_from_the_same_loss_in_the_browser_and_natively_and_falls(swept):
    results = swept["results"]
    train = results[results.task == "train"]
    assert len(train) == 6
    for model in ("cnn", "lstm"):
        rows = train[train.model == model]
        firsts = {(r.runtime, r.backend): r.checks["loss_first"] for r in rows.itertuples()}
        native = firsts[("native", "cpu")]
        for where, first in firsts.items():
            assert first == pytest.approx(native, rel=1e-5), (model, where)  # same weights, same first batch
        assert all(r.checks["loss_last"] < r.checks["loss_first"] for r in rows.itertuples())


def test_the_converted_model_is_recorded_and_cached_whole(swept):
    results, samples = swept["results"], swept["samples"]
    for row in results.itertuples():
        facts = row.info["model_facts"]
        assert facts["converter"] == "tensorflowjs 4.22.0" and facts["params_total"] > 0 and facts["flops"] > 0
        assert facts["flops_method"]
        artifact = swept["cache"] / artifacts.CACHE_FOLDER / facts["artifact"]
        manifest = json.loads((artifact / "manifest.json").read_text())
        assert manifest["sha256"]["tfjs"].keys() == manifest["files"]["tfjs"].keys() >= {"model.json"}
        if row.task == "infer":  # the bytes the page (TF.js files) or TensorFlow (.keras) loads
            size = samples[(samples.result_id == row.result_id) & (samples.metric == "model_file_bytes")].value
            if row.framework == "pytorch":  # the ONNX graph it runs, made beside the TF.js files
                files = {f.name: f.stat().st_size for f in (artifact / GRAPH_FOLDER).iterdir()}
                assert set(files) == {"graph.json", "weights.npz"} and "tf2onnx" in row.info["torch_graph"]["made_by"]
                assert row.info["torch_graph"]["op_types"]["Conv"] == 52  # MobileNetV2's convolutions
            elif row.framework == "onnxruntime_web":  # tf2onnx's file of the same weights
                files = {"model.onnx": (artifact / "onnx" / "model.onnx").stat().st_size}
            else:
                files = manifest["files"]["tfjs" if row.runtime == "browser" else "keras"]
            assert size.tolist() == [sum(files.values())]
    mobilenet = results[results.model == "keras:MobileNetV2"].iloc[0]["info"]["model_facts"]
    assert mobilenet["params_trainable"] == 3_504_872  # Keras's summary() count for MobileNetV2, 1000 classes
    assert mobilenet["input_shape"] == [96, 96, 3] and mobilenet["tfjs_model_bytes"] > 4 * 3_000_000
    # No converter process leaves a half-made artifact behind.
    assert not list((swept["cache"] / artifacts.CACHE_FOLDER).glob("*.partial"))


def test_timings_are_measured_for_every_phase(swept):
    results, samples = swept["results"], swept["samples"]
    for row in results.itertuples():
        mine = samples[samples.result_id == row.result_id]
        metrics = ("load_ms", "warmup_ms", "infer_ms") if row.task == "infer" else ("train_warmup_ms", "train_batch_ms")
        for metric in metrics:
            values = mine[mine.metric == metric].value
            assert len(values) >= 1 and (values > 0).all(), (row.runtime, row.backend, row.model, metric)


def test_gap_pairs_the_cnn_and_rnn_results_and_fits_their_trees(swept):
    done = run_cli("gap", "--store", swept["store"], "--no-peak")
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())  # the text is wrapped to the terminal's width
    assert "Decision tree of the ratio, CNN: tfjs (cpu/webgl) over tensorflow, 4 configurations" in out
    assert "Decision tree of the ratio, RNN: tfjs (cpu/webgl) over tensorflow, 4 configurations" in out
    pretrained = out[out.index("(suite pretrained-quick)"):]
    assert "infer, MobileNetV2 " in pretrained and " tfjs/cpu " in pretrained and " tfjs/webgl " in pretrained
    assert " onnxruntime_web/wasm " in pretrained and " pytorch/cpu " in pretrained  # ratios, no tree
    assert "Decision tree" not in pretrained

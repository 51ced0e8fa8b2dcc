"""Model kinds (models/kinds.py): what depth and width mean, their inputs and classes, suite
validation per kind, which frameworks run them, network types for `gap`, and their learning-rate
rules. Data: tests/test_datasets.py; artifacts: tests/test_artifacts.py; real conversions run in
tests/e2e."""
import sys

import numpy as np
import pandas as pd
import pytest

from webdlbench.analysis import gap
from webdlbench.errors import UserError
from webdlbench.grid import expand, load_suite
from webdlbench.models import corpus, kinds, training
from webdlbench.models.webai import kinds as webai_kinds

PAPER_APPLICATIONS = {"VGG16", "VGG19", "ResNet50", "MobileNet", "MobileNetV2", "DenseNet121", "DenseNet169",
                      "NASNetLarge", "Xception", "InceptionV3", "InceptionResNetV2"}


def grid(**fields):
    base = {"framework": "tfjs", "backend": "cpu", "task": "infer"}
    return {"grid": [{**base, **fields}]}


def test_the_registry_has_the_papers_kinds_and_networks():
    assert {k[len("keras:"):] for k in kinds.KINDS if k.startswith("keras:")} == PAPER_APPLICATIONS
    networks = gap.NETWORK_TYPES
    assert (networks["mlp"], networks["cnn"], networks["lstm"]) == ("DNN", "CNN", "RNN")
    assert networks["keras:VGG16"] == kinds.APPLICATION_NETWORK
    assert kinds.get("cnn").input_shape(9, 400) == (28, 28, 1) and kinds.get("cnn").classes() == 10
    assert kinds.get("keras:Xception").input_shape(1, 299) == (299, 299, 3) and kinds.get("keras:Xception").classes() == 1000
    shape = kinds.get("lstm").input_shape(2, 64)
    assert shape == (corpus.SEQUENCE_LENGTH, len(corpus.vocabulary())) and kinds.get("lstm").classes() == shape[1]
    # Every kind but the MLP is made by the TF.js converter, except RQ4's (models/webai/ makes those).
    assert not kinds.get("mlp").converted and all(k.converted for n, k in kinds.KINDS.items()
                                                  if n != "mlp" and not webai_kinds.owns(k))
    assert {n for n, k in kinds.KINDS.items() if webai_kinds.owns(k)} == set(webai_kinds.KINDS)


def test_keras_applications_fill_depth_and_their_own_input_side():
    specs = expand(grid(model=["keras:VGG16", "keras:NASNetLarge", "keras:InceptionV3"]))
    assert [(s.model, s.depth, s.width) for s in specs] == [
        ("keras:VGG16", 1, 224), ("keras:NASNetLarge", 1, 331), ("keras:InceptionV3", 1, 299)]
    small, = expand(grid(model="keras:MobileNetV2", width=96))
    assert (small.depth, small.width) == (1, 96)


@pytest.mark.parametrize("suite, words", [
    (grid(model="keras:VGG16", task="train"), "model keras:VGG16 cannot train"),
    (grid(model="keras:VGG16", depth=3), "depth must be 1"),
    (grid(model="keras:Xception", width=64), "keras:Xception needs width >= 71"),
    (grid(model="cnn", depth=5, width=200), "cnn needs depth >= 6"),
    (grid(model="cnn", width=200), "missing 'depth'"),
    (grid(model="gru", depth=1, width=8), "unknown model 'gru'"),
])
def test_suites_that_do_not_fit_the_kind_name_the_problem(suite, words):
    with pytest.raises(UserError) as caught:
        expand(suite, where="s.toml")
    assert words in str(caught.value) and str(caught.value).startswith("s.toml")


def test_the_paper_suites_cover_table_5_and_the_eleven_models():
    cnn = load_suite("paper-gap-cnn").specs
    assert {(s.depth, s.width) for s in cnn} == {(d, w) for d in (6, 9, 15, 27) for w in (200, 400, 800)}
    assert all(s.model == "cnn" for s in cnn)
    rnn = load_suite("paper-gap-rnn").specs
    assert {(s.depth, s.width) for s in rnn} == {(d, w) for d in (1, 2, 3) for w in (4, 8, 16, 32, 64, 256)}
    for specs in (cnn, rnn):
        browser = {(s.backend, s.task) for s in specs if s.runtime == "browser"}
        assert browser == {(b, t) for b in ("cpu", "webgl") for t in ("train", "infer")}
        assert {(s.framework, s.backend) for s in specs if s.runtime == "native"} == {("tensorflow", "cpu"),
                                                                                     ("tensorflow", "gpu")}
    pretrained = load_suite("paper-pretrained").specs
    assert {s.model[len("keras:"):] for s in pretrained} == PAPER_APPLICATIONS
    assert all(s.task == "infer" and s.batch == 1 for s in pretrained)
    assert {s.backend for s in pretrained if s.runtime == "browser"} == {"cpu", "wasm", "webgl", "webgpu"}
    for quick in ("gap-cnn-quick", "gap-rnn-quick", "pretrained-quick"):
        assert len(load_suite(quick).specs) <= 6, quick


def test_other_frameworks_and_runtimes_say_why_they_skip_converted_kinds():
    assert kinds.unsupported_reason(kinds.get("mlp"), "convnetjs", "browser") == ""
    assert kinds.unsupported_reason(kinds.get("cnn"), "tfjs", "browser") == ""
    assert kinds.unsupported_reason(kinds.get("lstm"), "tensorflow", "native") == ""
    reason = kinds.unsupported_reason(kinds.get("lstm"), "pytorch", "native")
    assert "pytorch runs only the MLP" in reason and "tensorflow" in reason


def _summary_row(runtime, framework, backend, task, model, depth, width, median):
    return {"runtime": runtime, "framework": framework, "backend": backend, "task": task, "model": model,
            "depth": depth, "width": width, "batch": 16 if task == "train" else 1, "seed": 0, "threads": 1,
            "metric": gap.HEADLINE[task], "outcome": "ok", "n": 5, "median": median, "ci_low": median * 0.9,
            "ci_high": median * 1.1, "unstable": False}


def test_gap_takes_the_network_type_from_the_kind_and_fits_trees_for_table_5_only():
    rows = []
    # Three configurations per network: 12 tree rows, enough for leaves of 5 (analysis/gap.MIN_LEAF).
    for model, depth, width in (("cnn", 6, 8), ("cnn", 9, 16), ("cnn", 15, 32), ("lstm", 1, 8), ("lstm", 2, 16),
                                ("lstm", 3, 32), ("keras:MobileNetV2", 1, 96), ("keras:ResNet50", 1, 224)):
        tasks = ("infer",) if model.startswith("keras:") else ("train", "infer")
        for task in tasks:
            rows.append(_summary_row("native", "tensorflow", "cpu", task, model, depth, width, 2.0 * width))
            for backend, factor in (("cpu", 30.0), ("webgl", 3.0)):
                rows.append(_summary_row("browser", "tfjs", backend, task, model, depth, width, factor * 2.0 * width))
    ratios = gap.ratio_frame(pd.DataFrame(rows))
    assert set(ratios["network"]) == {"CNN", "RNN", kinds.APPLICATION_NETWORK}
    assert ratios[ratios["model"] == "lstm"]["ratio"].tolist() == pytest.approx([30.0] * 6 + [3.0] * 6)
    trees = gap.fit_trees(ratios)
    assert sorted(t.network for t in trees) == ["CNN", "RNN"]  # the Keras applications are §5.1, not Table 5
    assert all(t.importances["backend_gpu"] > 0.9 for t in trees)


def test_the_converters_stand_ins_never_reach_the_harness():
    import webdlbench.runners.browser  # noqa: F401  (the browser side)
    import webdlbench.native.worker  # noqa: F401  (the native side)
    from webdlbench.models import tfjs_converter
    assert not any(name in sys.modules for name in tfjs_converter.STAND_INS)
    assert "tensorflowjs" not in sys.modules


def test_the_cnn_learning_rate_shrinks_with_filters_and_depth():
    cnn, lstm, mlp_kind = kinds.get("cnn"), kinds.get("lstm"), kinds.get("mlp")
    assert training.learning_rate(cnn, 6, training.CNN_REFERENCE_FILTERS, 0.1) == pytest.approx(0.1)
    assert training.learning_rate(cnn, 6, 200, 0.1) == pytest.approx(0.004)
    assert training.learning_rate(cnn, 27, 800, 0.1) == pytest.approx(0.1 / 100 / 22)
    assert training.learning_rate(lstm, 3, 256, 0.1) == training.learning_rate(mlp_kind, 1, 512, 0.1) == 0.1


def test_the_mlp_learning_rate_shrinks_with_the_square_root_of_depth():
    mlp_kind = kinds.get("mlp")
    assert training.learning_rate(mlp_kind, 4, 64, 0.1) == pytest.approx(0.05)
    assert training.learning_rate(mlp_kind, 16, 512, 0.1) == pytest.approx(0.025)

"""`webdlbench survey` (paper Table 1 regenerated): the table from facts, the probes, and one real run."""
import argparse
import json
import shutil

import pytest

from webdlbench import frameworks
from webdlbench.analysis import survey as table
from webdlbench.commands import survey

MEASURED_ROWS = [r.label for r in table.ROWS if r.source == table.MEASURED_LABEL]
PAPER_ROWS = [r.label for r in table.ROWS if r.source == table.PAPER_LABEL]


def _facts(name: str, available: bool = True) -> dict:
    """Facts shaped as commands/survey.py collects them, for a framework that did everything."""
    fw = frameworks.FRAMEWORKS[name]
    entry = survey.static_facts(fw)
    entry["available"], entry["reason"] = available, "" if available else "gone from npm"
    count = {"count": 3, "names": ["a", "b", "c"], "method": "counted"}
    entry["probe"] = {"outcome": "ok", "error": "", "adapter_version": None, "describe": {
        "network_types": {"DNN": {"supported": True, "evidence": "x"}, "CNN": {"supported": False, "evidence": "y"},
                          "RNN": {"supported": None, "evidence": "not exposed"}},
        "layer_types": count, "activation_types": count, "optimizer_types": {"count": None, "reason": "none"},
        "training_api": "train()", "save_api": "save()", "load_api": "load()", "gpu_api": None}}
    entry["specs"] = [{"backend": s.backend, "task": s.task, "outcome": "ok", "error": "", "saved": True,
                       "checks": {"loss_first": 2.3, "loss_last": 2.1}, "device": "SwiftShader",
                       "software_gpu": s.backend in table.GPU_BACKENDS} for s in survey.probe_specs(fw)]
    entry["node"] = {"ran": True, "ok": True, "detail": "node v20: output 2"}
    return entry


def test_every_row_has_a_cell_for_every_framework():
    facts = {name: _facts(name) for name in frameworks.surveyed()}
    frame = table.build_table(facts)
    assert list(frame.index) == MEASURED_ROWS + PAPER_ROWS
    titles = [facts[n]["title"] for n in table.column_order(facts)]
    assert list(frame.columns) == [*titles, "source", "method"]
    assert frame[titles].map(lambda cell: isinstance(cell, str) and cell.strip() != "").all().all()
    assert (frame.loc[PAPER_ROWS, "source"] == table.PAPER_LABEL).all()
    assert frame.loc["GitHub stars", "TensorFlow.js"] == "9453"
    assert frame.loc["GitHub stars", "ONNX Runtime Web"] == "— (not in the paper)"
    # A measured value that differs from the paper's carries the paper's beside it, labelled.
    assert frame.loc["Layer types", "TensorFlow.js"] == "3 (counted) · 2018: 49"
    assert frame.loc["Network type RNN", "TensorFlow.js"].startswith("n/a (not exposed)")


def test_columns_follow_the_paper_then_the_rest():
    assert table.column_order(["onnxruntime_web", "mind", "tfjs", "zzz", "brainjs"]) == \
        ["tfjs", "brainjs", "mind", "onnxruntime_web", "zzz"]


def test_an_unavailable_framework_shows_its_reason_and_the_paper_values():
    facts = {"tfjs": _facts("tfjs"), "mind": _facts("mind", available=False)}
    frame = table.build_table(facts)
    assert frame.loc["Version installed", "Mind"] == "unavailable: gone from npm"
    assert frame.loc["Support for training", "Mind"] == "unavailable · 2018: Y"
    assert frame.loc["Main contributor", "Mind"] == "Steven Miller"


def test_failures_are_shown_with_their_words():
    facts = {"tfjs": _facts("tfjs")}
    facts["tfjs"]["specs"] = [{"backend": "webgpu", "task": "infer", "outcome": "unsupported", "saved": False,
                               "error": "no adapter\nsecond line", "checks": {}, "software_gpu": None}]
    facts["tfjs"]["probe"] = {"outcome": "error", "error": "TypeError: boom", "describe": None}
    frame = table.build_table(facts)
    assert frame.loc["GPU acceleration", "TensorFlow.js"].startswith("N: webgpu infer: unsupported (no adapter)")
    assert frame.loc["Layer types", "TensorFlow.js"].startswith("probe page failed: TypeError: boom")


def test_markdown_has_one_line_per_row_and_a_note_per_method():
    facts = {name: _facts(name) for name in ("tfjs", "synaptic")}
    text = table.to_markdown(table.build_table(facts))
    lines = text.splitlines()
    assert lines[0] == "|  | TensorFlow.js | synaptic | source |"
    body = [line for line in lines if line.startswith("| ") and "[" in line.split("|")[1]]
    assert len(body) == len(table.ROWS)
    assert sum(line.startswith("[") for line in lines) == len(table.ROWS)


def test_probe_specs_cover_training_inference_and_every_gpu_backend():
    specs = {(s.backend, s.task) for s in survey.probe_specs(frameworks.FRAMEWORKS["tfjs"])}
    assert specs == {("cpu", "train"), ("cpu", "infer"), ("webgl", "train"), ("webgl", "infer"),
                     ("webgpu", "train"), ("webgpu", "infer")}
    ort = {(s.backend, s.task) for s in survey.probe_specs(frameworks.FRAMEWORKS["onnxruntime_web"])}
    assert ort == {("wasm", "infer"), ("webgpu", "infer")}


class _Done:
    def __init__(self, returncode=0, stdout="", stderr=""):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def test_registry_facts_keep_the_registrys_answer_or_its_words():
    """The I/O boundary (`npm view`) faked: what is kept from each kind of answer."""
    tfjs = frameworks.FRAMEWORKS["tfjs"]
    times = {"created": "2018-03-30T00:00:00.000Z", "modified": "2026-10-01T00:00:00.000Z",
             "4.22.0": "2026-10-01T00:00:00.000Z"}
    asked = []

    def answers(argv, **kwargs):
        asked.append(argv)
        return _Done(stdout=json.dumps(times))
    facts = survey.registry_facts(tfjs, run=answers)
    assert facts["answered"] and facts["time"] == times and facts["package"] == "@tensorflow/tfjs"
    assert asked[0][:4] == ["npm", "view", "@tensorflow/tfjs", "time"] and "--fetch-retries=0" in asked[0]
    refused = json.dumps({"error": {"code": "ENOTFOUND", "summary": "request to https://registry.npmjs.org failed"}})
    offline = survey.registry_facts(tfjs, run=lambda argv, **kw: _Done(1, refused, "npm error code ENOTFOUND"))
    assert not offline["answered"] and offline["error"] == "ENOTFOUND request to https://registry.npmjs.org failed"

    def missing(argv, **kwargs):
        raise FileNotFoundError("npm")
    assert survey.registry_facts(tfjs, run=missing)["error"] == "npm is not installed"
    garbled = survey.registry_facts(tfjs, run=lambda argv, **kw: _Done(stdout="<html>"))
    assert not garbled["answered"] and garbled["error"].startswith("the answer is not JSON")


def test_last_npm_publish_row_counts_only_npms_own_dates():
    facts = {"tfjs": _facts("tfjs"), "convnetjs": _facts("convnetjs"), "brainjs": _facts("brainjs")}
    facts["tfjs"]["registry"] = {"package": "@tensorflow/tfjs", "answered": True, "asked_at": 1796083200.0,
                                 "time": {"created": "2018-03-30T00:00:00.000Z", "modified": "2026-10-01T00:00:00Z",
                                          "4.22.0": "2026-10-01T00:00:00.000Z", "0.6.0": "2018-03-30T01:00:00Z"}}
    facts["convnetjs"]["registry"] = {"package": "convnetjs", "answered": True, "asked_at": 1796083200.0,
                                      "time": {"0.3.0": "2024-12-07T08:10:01.017000+00:00"}}  # a mirror's copy time
    frame = table.build_table(facts)
    assert frame.loc["Last npm publish", "TensorFlow.js"].startswith("2026-10-01 (npm @tensorflow/tfjs: version "
                                                                    "4.22.0 published 2026-10-01)")
    assert "· 2018: Oct 30, 2018" in frame.loc["Last npm publish", "TensorFlow.js"]
    assert frame.loc["Last npm publish", "ConvNetJS"].startswith("not known (the registry's answer has no")
    assert frame.loc["Last npm publish", "brain.js"].startswith("not known (not asked")


def test_unknown_framework_is_a_user_error():
    from webdlbench.errors import UserError

    with pytest.raises(UserError, match="unknown framework 'nope'"):
        survey._selected("tfjs,nope")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_node_probe_runs_the_package_and_reports_failures():
    ok = survey.node_probe(frameworks.FRAMEWORKS["synaptic"], available=True)
    assert ok["ran"] and ok["ok"] and ok["detail"].startswith("node v")
    assert survey.node_probe(frameworks.FRAMEWORKS["mind"], available=False) == \
        {"ran": False, "ok": False, "detail": "framework unavailable"}


@pytest.mark.browser
def test_survey_probes_every_available_framework_for_every_row(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    survey.add_arguments(parser)
    facts_path = tmp_path / "facts.json"
    assert survey.run(parser.parse_args(["--facts", str(facts_path)])) == 0
    markdown = capsys.readouterr().out
    facts = json.loads(facts_path.read_text())
    frame = table.build_table(facts)
    assert set(facts) == set(frameworks.surveyed())
    for name, entry in facts.items():
        title = entry["title"]
        assert f"| {title} " in markdown.splitlines()[0] + " "
        if not entry["available"]:
            assert entry["reason"] and frame.loc["Version installed", title] == f"unavailable: {entry['reason']}"
            continue
        assert entry["probe"]["outcome"] == "ok", (name, entry["probe"])
        assert entry["probe"]["describe"], (name, entry["probe"])
        assert entry["bundle"]["bytes"] > entry["bundle"]["gzip_bytes"] > 0
        assert entry["node"]["ran"]
        assert entry["registry"]["package"] == frameworks.FRAMEWORKS[name].npm_package
        assert entry["registry"]["answered"] == ("time" in entry["registry"]), entry["registry"]
        assert entry["specs"], name  # every available framework ran at least one tiny spec
        for label in MEASURED_ROWS:
            cell = frame.loc[label, title]
            assert cell and not cell.startswith(("not probed", "probe page failed", "not run")), (name, label, cell)
    # Training is probed for real: the frameworks that train did, the inference-only ones say N.
    for name in ("tfjs", "convnetjs", "brainjs", "synaptic"):
        assert frame.loc["Support for training", facts[name]["title"]].startswith("Y: "), name
    assert frame.loc["Support for training", "ONNX Runtime Web"].startswith("N (")
    assert "paper (2018)" in markdown and "[1] Version installed:" in markdown

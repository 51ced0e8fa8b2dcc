"""The contract between the harness and the pages / native workers (contract.py), held on both sides
without a browser: the reply harness.js builds has exactly the contract's fields (run in Node), every
adapter provides the methods its framework's declared backends x tasks need, and the JSON Schema that
ships in web/ is the contract as written. Each check is also shown to fail on a broken copy."""
import json
import shutil
import subprocess

import pytest

from webdlbench import contract, frameworks
from webdlbench.paths import WEB_DIR
from webdlbench.spec import Spec

CHECK = str(WEB_DIR.parents[1] / "tests" / "js" / "contract_check.js")
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (make setup needs it for npm ci)")


def job(kind: str) -> dict:
    spec = Spec("stub", "cpu", kind, depth=1, width=4, batch=4, samples=3, sample_time_s=0, warmup=2, max_warmup=3,
                time_budget_s=1)
    the_job = {"kind": kind, "framework": "stub", "spec": spec.to_dict(), "scripts": [],
               "adapters": ["/stub-adapter.js"], "options": {"learning_rate": 0.1, "batch_size": 4, "threads": 1},
               "data": {"images": "/data/images", "labels": "/data/labels", "train_count": 8,
                        "reference_offset": 8, "reference_count": 4},
               "weights": {"url": "/data/weights", "layers": [[784, 4], [4, 10]]},
               "required_methods": contract.required_methods(kind)}
    if kind == "infer":  # the MLP trains from its weights; inference loads the saved file
        the_job["model_url"] = "/data/model.json"
    if kind == "embed":  # RQ4 (web/webai.js): token ids, and the visit of the replicate
        the_job.update(scripts=["/webai.js"], weights=None, data={"ids": {"url": "/data/ids", "count": 2, "length": 4}},
                       model_url="/data/model.onnx", model_folder="/data/model/", visit="warm")
    if kind == "classify":  # RQ4's image classifier: preprocessed images of the job's shape
        the_job.update(scripts=["/webai.js"], weights=None, model_url="/data/model.tflite", model_folder="/data/model/",
                       data={"images": {"url": "/data/pixels", "count": 2, "shape": [1, 2, 2, 1], "layout": "NHWC"}},
                       runtime_scripts=[], visit="cold")
    assert set(contract.JOB_FIELDS) <= set(the_job) <= set(contract.JOB_FIELDS) | set(contract.OPTIONAL_JOB_FIELDS)
    return the_job


def posted_reply(tmp_path, kind: str, harness=WEB_DIR / "harness.js", the_job=None) -> dict:
    job_file = tmp_path / f"{kind}.json"
    job_file.write_text(json.dumps(the_job or job(kind)))
    done = subprocess.run([NODE, CHECK, "harness", str(harness), str(WEB_DIR / "sampling.js"), str(job_file),
                           str(WEB_DIR / "webai.js")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def adapter_methods(path, name) -> dict:
    done = subprocess.run([NODE, CHECK, "adapter", str(path), name], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("kind", ["train", "infer"])
def test_the_reply_harness_js_posts_has_exactly_the_contracts_fields(tmp_path, kind):
    reply = posted_reply(tmp_path, kind)
    assert set(reply) == set(contract.REPLY_FIELDS)
    assert contract.validate_reply(reply) == "", reply
    assert reply["outcome"] == "ok", reply["error"]
    if kind == "train":
        assert len(reply["metrics"]["train_batch_ms"]) == 3 and reply["sampling"]["warmup_calls"] >= 2
    else:
        assert len(reply["outputs"]) == 4 and reply["warmup_output"] and "infer_ms" in reply["metrics"]


@pytest.mark.parametrize("visit", ["cold", "warm"])
def test_an_embed_visit_posts_the_contracts_fields_with_its_own_metrics(tmp_path, visit):
    reply = posted_reply(tmp_path, "embed", the_job={**job("embed"), "visit": visit})
    assert contract.validate_reply(reply) == "" and reply["outcome"] == "ok", reply["error"]
    assert reply["outputs"] == [[2, 4, 3], [5, 4, 3]] and reply["warmup_output"] == [2, 4, 3]
    expected = {"cold_load_ms", "first_infer_ms"} if visit == "cold" else {"warm_load_ms", "warmup_ms", "infer_ms"}
    assert set(reply["metrics"]) == expected
    assert reply["info"]["backend_used"] == {"runtime": "stub"} and reply["info"]["visit"] == visit


def test_a_classify_visit_posts_each_images_outputs(tmp_path):
    reply = posted_reply(tmp_path, "classify")
    assert contract.validate_reply(reply) == "" and reply["outcome"] == "ok", reply["error"]
    assert reply["outputs"] == [[1, 4, 7], [6, 4, 7]] and reply["warmup_output"] == [1, 4, 7]
    assert set(reply["metrics"]) == {"cold_load_ms", "first_infer_ms"} and reply["info"]["visit"] == "cold"


def test_a_field_the_contract_lacks_is_caught(tmp_path):
    broken = tmp_path / "harness.js"
    source = (WEB_DIR / "harness.js").read_text()
    assert "warmup_output: [], sampling: {} };" in source
    broken.write_text(source.replace("warmup_output: [], sampling: {} };", "warmup_output: [], sampling: {}, extra: 1 };"))
    reply = posted_reply(tmp_path, "train", harness=broken)
    assert contract.validate_reply(reply) == "unknown field 'extra'"


def test_an_adapter_lacking_a_method_its_job_needs_is_refused_by_name(tmp_path):
    the_job = {**job("train"), "required_methods": [*contract.required_methods("train"), "trainEverything"]}
    reply = posted_reply(tmp_path, "train", the_job=the_job)
    assert reply["outcome"] == "error" and "adapter stub lacks trainEverything" in reply["error"]


@pytest.mark.parametrize("name", sorted(frameworks.FRAMEWORKS))
def test_every_adapter_provides_what_its_backends_and_tasks_need(name):
    fw = frameworks.FRAMEWORKS[name]
    found = adapter_methods(fw.adapter_file(), fw.name)
    assert found["registered"], f"{fw.adapter} does not register window.webdlbench.adapters.{fw.name}"
    converted = name == "tfjs"  # the converted model kinds run on TF.js only (models/kinds.py)
    missing = set(contract.framework_methods(fw, converted_kinds=converted)) - set(found["methods"])
    assert not missing, f"{fw.adapter} lacks {sorted(missing)}"


def test_an_adapter_missing_a_method_fails_the_check(tmp_path):
    source = frameworks.FRAMEWORKS["convnetjs"].adapter_file().read_text()
    assert "trainBatch(" in source
    broken = tmp_path / "convnetjs.js"
    broken.write_text(source.replace("trainBatch(", "trainBatchRenamed("))
    found = adapter_methods(broken, "convnetjs")
    missing = set(contract.framework_methods(frameworks.FRAMEWORKS["convnetjs"])) - set(found["methods"])
    assert missing == {"trainBatch"}


def test_the_shipped_json_schema_is_the_contract_as_written():
    assert contract.SCHEMA_FILE.read_text() == contract.schema_text(), \
        "web/contract.schema.json is stale: run `python -m webdlbench.contract`"
    schema = json.loads(contract.SCHEMA_FILE.read_text())
    assert set(schema["$defs"]["reply"]["required"]) == set(contract.REPLY_FIELDS)


def test_required_methods_follow_the_task():
    assert contract.required_methods("train") == ["version", "init", "build", "prepareBatch", "trainBatch"]
    assert "loadTrainable" in contract.required_methods("train", converted=True)
    assert contract.required_methods("infer") == ["version", "init", "load", "predict"]
    assert contract.required_methods("prepare")[-2:] == ["build", "save"]
    assert contract.required_methods("embed")[2:] == ["loadEncoder", "embed", "backendUsed"]

"""Suite files -> Specs: expansion, include/exclude, and one clear error per bad input."""
import pytest

from webdlbench.errors import UserError
from webdlbench.grid import builtin_suites, expand, load_suite


def grid(**overrides):
    base = {"framework": "tfjs", "backend": "cpu", "task": "train", "depth": 1, "width": 64}
    return {"grid": [{**base, **overrides}]}


def test_lists_expand_as_a_cartesian_product_in_order():
    specs = expand(grid(backend=["cpu", "wasm"], depth=[1, 2], width=[64, 128]))
    assert [(s.backend, s.depth, s.width) for s in specs] == [
        ("cpu", 1, 64), ("cpu", 1, 128), ("cpu", 2, 64), ("cpu", 2, 128),
        ("wasm", 1, 64), ("wasm", 1, 128), ("wasm", 2, 64), ("wasm", 2, 128)]


def test_exclude_drops_matching_combinations_and_include_adds():
    specs = expand(grid(backend=["cpu", "webgl"], depth=[1, 2], exclude=[{"backend": "webgl", "depth": 2}],
                        include=[{"framework": "convnetjs", "backend": "cpu", "task": "infer", "depth": 3, "width": 32}]))
    keys = [(s.framework, s.backend, s.depth) for s in specs]
    assert ("tfjs", "webgl", 2) not in keys
    assert ("tfjs", "webgl", 1) in keys and ("convnetjs", "cpu", 3) in keys


def test_defaults_apply_and_a_grid_overrides_them():
    specs = expand({"defaults": {"samples": 7, "warmup": 1}, **grid(samples=9)})
    assert specs[0].samples == 9 and specs[0].warmup == 1


def test_batch_is_the_training_batch_and_inference_is_single_sample():
    train, infer = expand({"defaults": {"batch": 32}, **grid(task=["train", "infer"])})
    assert (train.batch, infer.batch) == (32, 1)


def test_duplicate_combinations_are_measured_once():
    specs = expand({"grid": [grid()["grid"][0], grid()["grid"][0]]})
    assert len(specs) == 1


def test_hash_ignores_budgets_but_not_the_model():
    a, = expand(grid(samples=5))
    b, = expand(grid(samples=50))
    c, = expand(grid(width=65))
    assert a.spec_hash == b.spec_hash != c.spec_hash


def test_threads_all_is_every_cpu_this_machine_allows(monkeypatch):
    from webdlbench import hostinfo

    monkeypatch.setattr(hostinfo, "cpu_count", lambda: 16)
    specs = expand(grid(runtime="native", framework="pytorch", threads=[1, "all"]))
    assert [s.threads for s in specs] == [1, 16]
    monkeypatch.setattr(hostinfo, "cpu_count", lambda: 1)  # one CPU: "all" is the 1-thread spec, measured once
    assert [s.threads for s in expand(grid(runtime="native", framework="pytorch", threads=[1, "all"]))] == [1]


@pytest.mark.parametrize("suite, words", [
    ({"grid": [{"framework": "tfjs"}]}, "missing 'backend'"),
    (grid(colour="red"), "unknown key 'colour'"),
    ({"nme": "x", **grid()}, "unknown key 'nme'"),
    (grid(depth=0), "depth = 0 is too small"),
    (grid(width=-64), "width = -64 is too small"),
    (grid(batch=0), "batch = 0 is too small"),
    (grid(depth="two"), "depth = 'two' must be a whole number"),
    (grid(depth=[]), "'depth' is an empty list"),
    (grid(framework="caffe"), "unknown browser framework 'caffe'"),
    (grid(runtime="wasm"), "unknown runtime 'wasm'"),
    (grid(backend="cuda"), "tfjs has no backend 'cuda'"),
    (grid(task="finetune"), "unknown task 'finetune'"),
    (grid(framework="convnetjs", backend="webgl"), "convnetjs has no backend 'webgl'"),
    (grid(exclude=[{"backend": "cpu"}]), "the grid is empty"),
    ({"name": "x"}, "no [[grid]] tables"),
    (grid(time_budget_s=0), "time_budget_s = 0 is too small"),
    (grid(samples=True), "samples = True must be a whole number"),
    (grid(threads="most"), 'threads = \'most\' must be a whole number or "all"'),
    ({"capabilities": "linux", **grid()}, "'capabilities' must be a table"),
])
def test_bad_suites_name_the_field_and_the_fix(suite, words):
    with pytest.raises(UserError) as caught:
        expand(suite, where="s.toml")
    message = str(caught.value)
    assert words in message and message.startswith("s.toml") and "\n" not in message


def test_toml_syntax_errors_and_missing_files_are_user_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(UserError, match="TOML syntax error"):
        load_suite(str(bad))
    with pytest.raises(UserError, match="not found"):
        load_suite(str(tmp_path / "missing.toml"))
    with pytest.raises(UserError, match="unknown suite 'nosuch'"):
        load_suite("nosuch")


def test_builtin_suites_are_valid_and_cover_the_paper_grids():
    assert {"quick", "paper-training", "paper-inference"} <= set(builtin_suites())
    training = load_suite("paper-training").specs
    assert {(s.depth, s.width) for s in training} == {(d, w) for d in (1, 2, 4, 8) for w in (64, 128, 256)}
    assert all(s.task == "train" and s.batch == 64 for s in training)
    inference = load_suite("paper-inference").specs
    assert {(s.depth, s.width) for s in inference} == {(d, w) for d in (1, 2, 4) for w in (64, 128, 256)}
    assert all(s.task == "infer" and s.batch == 1 for s in inference)
    # Mind, the paper's seventh framework, over each suite's whole grid.
    assert {(s.depth, s.width) for s in training if s.framework == "mind"} == {(s.depth, s.width) for s in training}
    assert {(s.depth, s.width) for s in inference if s.framework == "mind"} == {(s.depth, s.width) for s in inference}


def test_the_paper_inference_suites_run_the_separate_passes():
    inference = load_suite("paper-inference").specs
    assert all(s.memory and s.qoe for s in inference)
    # The operators pass at one size per framework and backend, natively too (its other side).
    with_ops = {(s.runtime, s.framework, s.backend, s.depth, s.width) for s in inference if s.ops}
    assert {(r, f, b) for r, f, b, *_ in with_ops} == {("browser", "tfjs", b) for b in ("cpu", "wasm", "webgl", "webgpu")} \
        | {("browser", "onnxruntime_web", "wasm"), ("browser", "onnxruntime_web", "webgpu"), ("native", "onnxruntime", "cpu")}
    assert {(d, w) for *_, d, w in with_ops} == {(2, 128)}
    pretrained = load_suite("paper-pretrained").specs
    assert {s.backend for s in pretrained if s.qoe and s.memory and s.ops} == {"wasm"}
    assert len([s for s in pretrained if s.ops and s.runtime == "browser"]) == 11


def test_samples_override():
    assert {s.samples for s in load_suite("quick", samples=4).specs} == {4}
    with pytest.raises(UserError, match="--samples"):
        load_suite("quick", samples=0)


def test_quick_runs_the_suites_ci_sized_variant(tmp_path):
    assert load_suite("paper-gap-dnn", quick=True).name == "gap-quick"
    assert load_suite("paper-gap-cnn", quick=True).name == "gap-cnn-quick"
    assert load_suite("paper-gap-rnn", quick=True).name == "gap-rnn-quick"
    assert load_suite("paper-pretrained", quick=True).name == "pretrained-quick"
    assert load_suite("paper-pretrained", samples=2, quick=True).specs[0].samples == 2
    small = tmp_path / "small.toml"
    small.write_text('name = "small"\n[[grid]]\nframework = "tfjs"\nbackend = "cpu"\ntask = "infer"\n'
                     'depth = 1\nwidth = 8\n')
    mine = tmp_path / "mine.toml"
    mine.write_text('name = "mine"\nquick = "small.toml"\n[[grid]]\nframework = "tfjs"\nbackend = "cpu"\n'
                    'task = "infer"\ndepth = [1, 2]\nwidth = [8, 16]\n')
    assert load_suite(str(mine), quick=True).name == "small"  # a path relative to the suite's folder
    with pytest.raises(UserError, match="quick has no quick variant.*paper-gap-dnn"):
        load_suite("quick", quick=True)
    mine.write_text('name = "mine"\nquick = 3\n[[grid]]\nframework = "tfjs"\nbackend = "cpu"\ntask = "infer"\n'
                    'depth = 1\nwidth = 8\n')
    with pytest.raises(UserError, match="'quick' must be strings"):
        load_suite(str(mine))


def test_a_suites_capabilities_are_kept_for_the_grid_and_leave_the_specs_alone(tmp_path):
    body = '[[grid]]\nframework = "tfjs"\nbackend = "cpu"\ntask = "infer"\ndepth = 1\nwidth = 8\n'
    plain, asking = tmp_path / "plain.toml", tmp_path / "asking.toml"
    plain.write_text(body)
    asking.write_text(body + '[capabilities]\nplatformName = "linux"\n"acme:options" = { build = "7" }\n')
    suite = load_suite(str(asking))
    assert suite.capabilities == {"platformName": "linux", "acme:options": {"build": "7"}}
    # Where a spec runs is not what it is: the same spec, the same hash.
    assert [s.spec_hash for s in suite.specs] == [s.spec_hash for s in load_suite(str(plain)).specs]
    assert load_suite(str(plain)).capabilities == {}

"""A results store filled as real runs fill it, for the report's tests (tests/test_report*.py): two
suites' worth of browser and native results with three replicates each, a failure and an error,
in environments with a software or a hardware GPU; and readers of the built page."""
import base64
import re

import pytest

from webdlbench.spec import Spec, SpecResult
from webdlbench.store import Store

MACHINE = {"cpu_model": "Test CPU 9000", "cpu_count": 4, "platform": "Linux-test"}
SOFTWARE_GPU = {
    **MACHINE, "browser_version": "156.0.1", "driver": "local",
    "webgl_renderer": "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)",
    "webgpu_adapter": {"vendor": "google", "architecture": "swiftshader", "is_fallback": True,
                       "max_buffer_size": 1 << 30},
    "cross_origin_isolated": True, "wasm_simd": True, "wasm_threads": True,
    "library_versions": {"tfjs": "4.22.0"}, "odd_new_key": "kept",
}
# A remote Selenium Grid node: its driver knows the node, not the machine's CPU.
HARDWARE_GPU = {**SOFTWARE_GPU, "webgl_renderer": "ANGLE (NVIDIA, Vulkan 1.4 (NVIDIA H200 (0x2335)), NVIDIA)",
                "webgpu_adapter": {"vendor": "nvidia", "architecture": "", "is_fallback": False,
                                   "max_buffer_size": 4 << 30}, "node": "grid-node-2", "driver": "grid",
                "cpu_model": None, "cpu_count": None, "platform": None}
NATIVE = {**MACHINE, "runtime": "native", "tensorflow_version": "2.21.0"}
PEAK = {"gflops": 50.0, "method": "best of 10", "cpu_model": "Test CPU 9000", "blas": "openblas"}
ERROR = "TypeError: Cannot read properties of undefined (reading 'dataSync') at <anonymous>:1"
OOM = "GL OUT OF MEMORY: Requested texture size [16384x16384] greater than WebGL maximum on this browser"
GRID = [(d, w) for d in (1, 2) for w in (64, 128)]
FACTS = {"params_trainable": 2_223_872, "params_total": 2_257_984, "flops": 6_100_000, "keras_model_bytes": 9_400_000,
         "flops_method": "profiler"}


def add_result(store, run, spec, environment, outcome="ok", error="", info=None, **metrics):
    result = SpecResult(spec, outcome, error=error, environment=environment, info=info or {})
    for metric, values in metrics.items():
        result.add(metric, values)
    store.add_result(run, result)


# A suite is run once, with three replicates of every spec (a fresh page or process each), their
# timings a little apart, so that comparisons have replicates to test; failures are stored once.
# (A report counts a spec's latest run only: replicates spread over runs would not be pooled.)
REPLICATE_FACTORS = (0.98, 1.0, 1.02)


class Replicates:
    """Stands in for the store while a run is filled: a spec added again becomes the next replicate
    of its first result; `flush` stores each result once."""

    def __init__(self, store):
        self.store, self.kept = store, {}

    def __getattr__(self, name):
        return getattr(self.store, name)

    def add_result(self, run, result):
        if result.spec.spec_hash not in self.kept:
            self.kept[result.spec.spec_hash] = [run, result, 1]
            return
        entry = self.kept[result.spec.spec_hash]
        for metric, values in result.metrics.items():
            entry[1].add(metric, values, replicate=entry[2])
        entry[2] += 1

    def flush(self):
        for run, result, _ in self.kept.values():
            self.store.add_result(run, result)


def fill_runs(store, suite, driver, fill, *args, **kwargs):
    run, collected = store.start_run(suite, driver, []), Replicates(store)
    for replicate, factor in enumerate(REPLICATE_FACTORS):
        fill(collected, run, *args, factor=factor, first=replicate == 0, **kwargs)
    collected.flush()


def browser_results(store, run, environment, slow=1.0, factor=1.0, first=True):
    def _replicated(store, run, spec, environment, info=None, **metrics):
        add_result(store, run, spec, environment, info=info,
             **{m: [v * factor for v in values] if m.endswith("_ms") else values
                for m, values in metrics.items()})

    for fw, backend in (("tfjs", "cpu"), ("tfjs", "webgl"), ("convnetjs", "cpu")):
        speed = {"tfjs": 2.0, "convnetjs": 1.0}[fw] * slow
        for depth, width in GRID:
            size = depth * width * width / 4096
            _replicated(store, run, Spec(fw, backend, "train", depth, width), environment,
                        train_batch_ms=[speed * size * (1 + j / 100) for j in range(10)],
                        cpu_renderer_pct=[90, 100, 110], cpu_gpu_pct=[10, 20, 30],
                        max_stack_depth=[50 if fw == "tfjs" else 8])
            spec = Spec(fw, backend, "infer", depth, width)
            if (fw, backend, depth, width) == ("tfjs", "webgl", 2, 128):
                if first:
                    add_result(store, run, spec, environment, "error", ERROR)
                continue
            json_factor = 7 if fw == "convnetjs" else 1
            _replicated(store, run, spec, environment,
                        load_ms=[size * 5 * json_factor, size * 6 * json_factor, size * 7 * json_factor] * 2,
                        warmup_ms=[size * 9] * 6, infer_ms=[size / 10 + j / 1000 for j in range(8)],
                        model_file_bytes=[100_000 * width * json_factor])
    _replicated(store, run, Spec("tfjs", "webgl", "infer", 1, 96, model="keras:MobileNetV2"), environment,
                infer_ms=[30.0 + j for j in range(8)], model_file_bytes=[14_000_000], info={"model_facts": FACTS})
    if first:
        add_result(store, run, Spec("tfjs", "webgl", "infer", 1, 224, model="keras:VGG16"), environment, "error", OOM)


NATIVE_LOAD = {"start": 1.0, "end": 1.4, "cpus": 2}  # what the native run recorded; the browser run recorded none


def native_results(store, run, factor=1.0, first=True):
    def _replicated(store, run, spec, environment, info=None, **metrics):
        add_result(store, run, spec, environment, info={**(info or {}), "machine_load": NATIVE_LOAD},
             **{m: [v * factor for v in values] for m, values in metrics.items()})
    for depth, width in GRID:
        size = depth * width * width / 4096
        _replicated(store, run, Spec("tensorflow", "cpu", "train", depth, width, runtime="native"), NATIVE,
                    train_batch_ms=[size / 10 + j / 1000 for j in range(20)], info={"gemm_peak": PEAK})
        _replicated(store, run, Spec("tensorflow", "cpu", "infer", depth, width, runtime="native"), NATIVE,
                    infer_ms=[size / 50 + j / 10000 for j in range(20)], info={"gemm_peak": PEAK})
    _replicated(store, run, Spec("tensorflow", "cpu", "infer", 1, 96, model="keras:MobileNetV2", runtime="native"),
                NATIVE, infer_ms=[60.0 + j for j in range(8)], info={"model_facts": FACTS})


def one_environment_store(path):
    with Store.open(path) as store:
        fill_runs(store, "paper-training", "test", browser_results, SOFTWARE_GPU)
        fill_runs(store, "gap-quick", "test", native_results)
    return path


@pytest.fixture
def store_path(tmp_path):
    return one_environment_store(tmp_path / "store.sqlite")


def embedded_pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def section_html(html: str, key: str) -> str:
    return html.split(f'<section id="{key}">', 1)[1].split("</section>", 1)[0]



"""One rule for "ran on a software GPU" (software_gpu.py), and every place that says so asks it: the
report's environments and Table 2 note, the findings' GPU classes and the survey's GPU facts."""
from types import SimpleNamespace

from webdlbench import software_gpu
from webdlbench.analysis.findings import base as findings
from webdlbench.commands import survey
from webdlbench.frameworks import FRAMEWORKS
from webdlbench.report import environments
from webdlbench.report.sections import rq2
from webdlbench.spec import Spec

SWIFTSHADER = "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)"
LLVMPIPE = "llvmpipe (LLVM 15.0.7, 256 bits)"
NVIDIA = "ANGLE (NVIDIA Corporation, NVIDIA H200/PCIe/SSE2, OpenGL 4.5.0)"
# A fallback adapter whose architecture does not say swiftshader: software all the same.
FALLBACK = {"vendor": "google", "architecture": "", "is_fallback": True}
HARDWARE = {"vendor": "nvidia", "architecture": "hopper", "is_fallback": False}


def test_the_rule_reads_renderers_and_adapters():
    assert software_gpu.software_device(SWIFTSHADER) == "SwiftShader" and software_gpu.software_device(NVIDIA) == ""
    assert software_gpu.webgl_is_software({"webgl_renderer": LLVMPIPE}) is True
    assert software_gpu.webgl_is_software({"webgl_renderer": NVIDIA}) is False
    assert software_gpu.webgl_is_software({}) is None
    assert software_gpu.webgpu_is_software({"webgpu_adapter": FALLBACK}) is True
    assert software_gpu.webgpu_is_software({"webgpu_adapter": {"vendor": "google", "architecture": "swiftshader"}})
    assert software_gpu.webgpu_is_software({"webgpu_adapter": HARDWARE}) is False
    assert software_gpu.backend_is_software("wasm", {"webgl_renderer": SWIFTSHADER}) is None


def test_the_reports_environments_say_it_with_the_devices_name():
    assert environments.gpu_summary({"webgl_renderer": SWIFTSHADER}) == "SwiftShader (software)"
    assert environments.gpu_summary({"webgl_renderer": LLVMPIPE}) == "llvmpipe (software)"
    assert environments.gpu_summary({"webgl_renderer": NVIDIA}) == "NVIDIA Corporation, NVIDIA H200/PCIe/SSE2, OpenGL 4.5.0"
    warned = environments.environment_warnings({"webgl_renderer": LLVMPIPE, "webgpu_adapter": FALLBACK})
    assert warned[0].startswith("The WebGL renderer is llvmpipe: software rendering on the CPU.")
    assert warned[1].startswith("WebGPU fell back to a software adapter")
    assert environments.environment_warnings({"webgl_renderer": NVIDIA, "webgpu_adapter": HARDWARE}) == []


def test_table_2s_note_asks_per_backend():
    fingerprint = {"webgl_renderer": NVIDIA, "webgpu_adapter": FALLBACK}
    data = SimpleNamespace(environments=[SimpleNamespace(label="B1", fingerprint=fingerprint)])
    assert rq2._software_gpu(data, "B1", "webgpu") and not rq2._software_gpu(data, "B1", "webgl")
    assert not rq2._software_gpu(data, "B2", "webgpu")  # an unknown environment says nothing


def test_the_findings_and_the_survey_decide_by_the_same_rule():
    fingerprint = {"webgl_renderer": LLVMPIPE, "webgpu_adapter": FALLBACK}
    assert findings.hardware_gpu(fingerprint, "webgl") == (False, f"WebGL renderer {LLVMPIPE} (software)")
    assert findings.hardware_gpu(fingerprint, "webgpu")[1].endswith("(software fallback)")
    assert findings.hardware_gpu({"webgl_renderer": NVIDIA}, "webgl")[0]
    result = SimpleNamespace(environment=fingerprint, outcome="ok", error="", checks={}, info={})
    facts = {b: survey.spec_facts(FRAMEWORKS["tfjs"], Spec("tfjs", b, "infer", depth=1, width=8), result)
             for b in ("webgl", "webgpu", "cpu")}
    assert facts["webgl"]["software_gpu"] and facts["webgpu"]["software_gpu"]
    assert facts["cpu"]["software_gpu"] is None and facts["webgl"]["device"] == LLVMPIPE

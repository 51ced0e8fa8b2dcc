"""Whether a GPU backend ran on a software device: one rule for the whole tool (the run summary and
verdict, the report's environments and Table 2, the findings and the survey all ask here). Without a
GPU, Chromium runs WebGL and WebGPU on SwiftShader, on the CPU; their timings then measure the CPU,
never a GPU, and must say so."""
from __future__ import annotations

# Words in a WebGL renderer string or a WebGPU adapter's description that mean "on the CPU", and
# the name a sentence gives each.
SOFTWARE_DEVICES = {"swiftshader": "SwiftShader", "llvmpipe": "llvmpipe", "softpipe": "softpipe",
                    "lavapipe": "lavapipe", "microsoft basic render": "Microsoft Basic Render Driver",
                    "software": "a software renderer"}
GPU_BACKENDS = ("webgl", "webgpu")


def software_device(text: str) -> str:
    """The software device a renderer or adapter text names ("SwiftShader", ...), or '' if none."""
    lowered = str(text or "").lower()
    return next((name for word, name in SOFTWARE_DEVICES.items() if word in lowered), "")


def webgl_is_software(fingerprint: dict) -> bool | None:
    """True/False from the page's WebGL renderer string; None when the page saw no WebGL."""
    renderer = fingerprint.get("webgl_renderer")
    if not renderer:
        return None
    return bool(software_device(renderer))


def webgpu_is_software(fingerprint: dict) -> bool | None:
    """True/False from the page's WebGPU adapter (a fallback adapter or a software architecture);
    None when the page had no adapter."""
    adapter = fingerprint.get("webgpu_adapter")
    if not adapter:
        return None
    if adapter.get("is_fallback"):
        return True
    described = " ".join(str(adapter.get(k) or "") for k in ("vendor", "architecture", "device", "description"))
    return bool(software_device(described))


def backend_is_software(backend: str, fingerprint: dict) -> bool | None:
    """Did this GPU backend run on a software device here? None for CPU backends or when unknown."""
    if backend == "webgl":
        return webgl_is_software(fingerprint)
    if backend == "webgpu":
        return webgpu_is_software(fingerprint)
    return None

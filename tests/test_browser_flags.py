"""Browser flags follow the machine: the NVIDIA set only where a GPU is seen (or forced)."""
from webdlbench import browser


def test_without_a_gpu_webgl_and_webgpu_use_swiftshader(monkeypatch):
    monkeypatch.setenv("WEBDLBENCH_GPU", "0")
    flags = browser.choose_flags(browser.has_nvidia_gpu())
    assert "--enable-unsafe-swiftshader" in flags and "--use-angle=vulkan" not in flags
    assert "--enable-unsafe-webgpu" in flags


def test_with_an_nvidia_gpu_both_go_to_it(monkeypatch):
    monkeypatch.setenv("WEBDLBENCH_GPU", "1")
    flags = browser.choose_flags(browser.has_nvidia_gpu())
    assert {"--use-angle=vulkan", "--ignore-gpu-blocklist", "--enable-unsafe-webgpu"} <= set(flags)
    assert any("VulkanFromANGLE" in f for f in flags) and "--enable-unsafe-swiftshader" not in flags


def test_gpu_detection_looks_for_the_nvidia_device(monkeypatch, tmp_path):
    monkeypatch.delenv("WEBDLBENCH_GPU", raising=False)
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.setattr(browser, "Path", lambda p: tmp_path / "nvidia0" if p == "/dev/nvidia0" else tmp_path / p)
    assert browser.has_nvidia_gpu() is False
    (tmp_path / "nvidia0").write_text("")
    assert browser.has_nvidia_gpu() is True


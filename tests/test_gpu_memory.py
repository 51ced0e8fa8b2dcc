"""GPU memory from nvidia-smi (Finding 8): its XML report read, and the monitor's readings of the
browser GPU process's memory while a page measures. nvidia-smi itself is faked by a script on PATH
(there is no NVIDIA card here); the processes it reports on are real."""
import asyncio
import os
import subprocess
import sys

import psutil
import pytest

from webdlbench import gpu_memory
from webdlbench.monitor import ProcessMonitor


def report(total_mib=143771, used_mib=1200, processes=()):
    """An `nvidia-smi -q -x` report in its shape (abridged: nvidia-smi writes many more fields)."""
    rows = "".join(f"<process_info><gpu_instance_id>N/A</gpu_instance_id><pid>{pid}</pid><type>{kind}</type>"
                   f"<process_name>chrome</process_name><used_memory>{held}</used_memory></process_info>"
                   for pid, kind, held in processes)
    return (f'<?xml version="1.0" ?><nvidia_smi_log><driver_version>550.54</driver_version><attached_gpus>1'
            f'</attached_gpus><gpu id="00000000:19:00.0"><product_name>NVIDIA H200</product_name><fb_memory_usage>'
            f"<total>{total_mib} MiB</total><reserved>500 MiB</reserved><used>{used_mib} MiB</used>"
            f"<free>{total_mib - used_mib} MiB</free></fb_memory_usage><processes>{rows}</processes></gpu>"
            "</nvidia_smi_log>")


@pytest.fixture
def fake_smi(tmp_path, monkeypatch):
    """An nvidia-smi on PATH that prints the file `report.xml` (write it to change what it says)."""
    script = tmp_path / "bin" / "nvidia-smi"
    script.parent.mkdir()
    script.write_text(f"#!/bin/sh\n[ \"$1 $2\" = \"-q -x\" ] || exit 9\ncat {tmp_path / 'report.xml'} || exit 6\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "report.xml"


def test_the_report_gives_the_cards_memory_and_each_processs_graphics_or_compute():
    parsed = gpu_memory.parse(report(processes=[(101, "G", "512 MiB"), (202, "C", "2 GiB"), (303, "C+G", "N/A")]))
    assert parsed.total_bytes == 143771 * 2**20 and parsed.used_bytes == 1200 * 2**20
    assert parsed.by_pid == {101: 512 * 2**20, 202: 2 * 2**30}  # N/A: not a number, left out


def test_a_report_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="not XML"):
        gpu_memory.parse("No devices were found")
    with pytest.raises(ValueError, match="names no GPU"):
        gpu_memory.parse("<nvidia_smi_log><attached_gpus>0</attached_gpus></nvidia_smi_log>")


def test_read_runs_nvidia_smi_and_is_none_when_it_fails_or_is_absent(fake_smi, monkeypatch):
    fake_smi.write_text(report(used_mib=3000))
    assert gpu_memory.read().used_bytes == 3000 * 2**20
    fake_smi.unlink()  # the script exits 6, as nvidia-smi does without a driver
    assert gpu_memory.read() is None
    monkeypatch.setenv("PATH", "/nonexistent")
    assert not gpu_memory.available() and gpu_memory.read() is None


@pytest.fixture
def gpu_process():
    """A real child process whose command line says it is a Chromium GPU process."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "--type=gpu-process"])
    yield child.pid
    child.kill()
    child.wait()


def test_the_monitor_records_the_gpu_processs_peak_while_measuring(fake_smi, gpu_process):
    async def measure():
        monitor = ProcessMonitor(psutil.Process(), gpu_memory_readings=True)
        monitor.start()
        fake_smi.write_text(report(used_mib=900, processes=[(gpu_process, "C+G", "300 MiB"), (1, "G", "50 MiB")]))
        monitor.mark("measure")
        await asyncio.sleep(1.2)
        fake_smi.write_text(report(used_mib=1500, processes=[(gpu_process, "C+G", "700 MiB")]))
        await asyncio.sleep(1.2)
        monitor.mark("done")
        fake_smi.write_text(report(used_mib=9000, processes=[(gpu_process, "C+G", "5000 MiB")]))  # after: not kept
        await asyncio.sleep(1.2)
        await monitor.stop()
        return monitor

    monitor = asyncio.run(measure())
    metrics = monitor.metrics()
    assert metrics["gpu_memory_peak_bytes"] == [700 * 2**20]
    assert metrics["gpu_memory_used_peak_bytes"] == [1500 * 2**20]
    assert monitor.gpu_memory_identified == "nvidia-smi"


def test_a_gpu_process_nvidia_smi_does_not_list_has_no_figure_and_the_reason(gpu_process):
    monitor = ProcessMonitor(psutil.Process(), gpu_memory_readings=True)
    monitor._discover()
    monitor.note_gpu_memory(gpu_memory.parse(report(used_mib=800, processes=[(1, "G", "50 MiB")])))
    assert "gpu_memory_peak_bytes" not in monitor.metrics()
    assert monitor.metrics()["gpu_memory_used_peak_bytes"] == [800 * 2**20]
    assert f"[{gpu_process}] is not among the 1 processes" in monitor.gpu_memory_identified
    monitor.note_gpu_memory(None)
    assert monitor.gpu_memory_identified == "nvidia-smi gave no report"

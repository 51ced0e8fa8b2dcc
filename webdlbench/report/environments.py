"""Which environment each result ran in, for a report that may hold several (browsers, devices,
Selenium Grid nodes): results are grouped by machine and, in the browser, by browser and GPU.

A browser environment is (machine, node, driver, browser, WebGL renderer, WebGPU adapter); a native
one is the machine alone (native CPU and GPU specs of one machine are one environment). Fingerprints that
differ only in other details (library versions, flags) fall into one group. Browser environments
are labelled B1, B2, …, native ones N1, N2, … in order of their first result.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from webdlbench.software_gpu import software_device, webgl_is_software, webgpu_is_software

# Keys that name the machine the harness ran on (drivers of remote browsers leave them None), and
# keys that name a remote node, device or host (Selenium Grid, remote CDP).
MACHINE_KEYS = ("cpu_model", "cpu_count", "platform")
NODE_KEYS = ("node", "grid_node", "node_id", "node_url", "hostname", "host", "device_name")
BROWSER_KEYS = ("driver", "browser_name", "browser_version", "webgl_renderer", "gpu_flags")
ADAPTER_KEYS = ("vendor", "architecture", "is_fallback")
UNRECORDED = "environment not recorded (the spec ended before a page or process reported one)"


@dataclass
class Environment:
    label: str
    runtime: str
    machine: tuple
    description: str
    fingerprint: dict
    env_ids: list[str] = field(default_factory=list)
    result_ids: list[int] = field(default_factory=list)


def machine_key(fingerprint: dict) -> tuple:
    """The machine: its CPU and platform where known (a browser on a local Grid node shares the
    harness's machine, and so its native results); a remote node's name where they are not."""
    if fingerprint.get("cpu_model"):
        return tuple((k, str(fingerprint.get(k))) for k in MACHINE_KEYS)
    return tuple((k, str(fingerprint[k])) for k in NODE_KEYS if fingerprint.get(k))


def environment_key(fingerprint: dict, runtime: str) -> tuple:
    key = machine_key(fingerprint) + tuple((k, str(fingerprint[k])) for k in NODE_KEYS if fingerprint.get(k))
    if runtime == "browser":
        adapter = fingerprint.get("webgpu_adapter") or {}
        # Stores written before the driver was recorded ran the local driver only.
        key += tuple((k, str(fingerprint.get(k, "local" if k == "driver" else None))) for k in BROWSER_KEYS)
        key += (("webgpu", tuple(str(adapter.get(k)) for k in ADAPTER_KEYS) if adapter else None),)
    return key


def gpu_summary(fingerprint: dict) -> str:
    """The WebGL renderer in a few words, saying 'software' when it is."""
    renderer = str(fingerprint.get("webgl_renderer") or "")
    if not renderer:
        return "no WebGL renderer recorded"
    if webgl_is_software(fingerprint):
        return f"{software_device(renderer)} (software)"
    inner = re.search(r"\((.*)\)", renderer)
    text = inner.group(1) if inner else renderer
    return text if len(text) <= 70 else text[:67] + "…"


def describe(fingerprint: dict, runtime: str) -> str:
    if not fingerprint:
        return UNRECORDED
    cores = fingerprint.get("cpu_count") or fingerprint.get("hardware_concurrency")
    node = next((str(fingerprint[k]) for k in NODE_KEYS if fingerprint.get(k)), "")
    if fingerprint.get("cpu_model"):
        where = f"{fingerprint['cpu_model']} ×{cores or '?'}" + (f" on {node}" if node else "")
    else:  # a remote node: the harness cannot see its CPU
        where = f"node {node or '?'}" + (f" ({cores} logical cores)" if cores else "")
    if runtime == "native":
        gpu = f", GPU {fingerprint['gpu_name']}" if fingerprint.get("gpu_name") else ""
        return f"native, {where}{gpu}"
    browser = fingerprint.get("browser_name") or "Chromium"
    version = fingerprint.get("browser_version") or _ua_version(fingerprint.get("user_agent", ""))
    driver = f" via {fingerprint['driver']}" if fingerprint.get("driver") else ""
    return f"{browser} {version}{driver}, WebGL {gpu_summary(fingerprint)}, {where}"


def _ua_version(user_agent: str) -> str:
    found = re.search(r"(?:Chrome|Firefox|Version)/([\d.]+)", user_agent or "")
    return found.group(1) if found else "?"


def group_environments(results: pd.DataFrame, envs: dict[str, dict]) -> tuple[list[Environment], dict[int, str]]:
    """(environments in order of first result, result_id -> environment label)."""
    groups: dict[tuple, Environment] = {}
    assigned: dict[int, tuple] = {}
    counts = Counter()
    unplaced = []
    for r in results.sort_values("result_id").to_dict("records"):
        fingerprint = envs.get(r["env_id"]) if isinstance(r["env_id"], str) else None
        if not fingerprint:
            unplaced.append(r)
            continue
        key = (r["runtime"], environment_key(fingerprint, r["runtime"]))
        if key not in groups:
            counts[r["runtime"]] += 1
            prefix = "B" if r["runtime"] == "browser" else "N"
            groups[key] = Environment(f"{prefix}{counts[r['runtime']]}", r["runtime"], machine_key(fingerprint),
                                      describe(fingerprint, r["runtime"]), fingerprint)
        group = groups[key]
        if r["env_id"] not in group.env_ids:
            group.env_ids.append(r["env_id"])
        group.result_ids.append(int(r["result_id"]))
        assigned[int(r["result_id"])] = key
    for r in unplaced:  # a failure before any page: the group its run used, if there is one
        same_run = Counter(assigned[int(o)] for o in results[(results["run_id"] == r["run_id"])
                                                             & (results["runtime"] == r["runtime"])]["result_id"]
                           if int(o) in assigned)
        of_runtime = [k for k in groups if k[0] == r["runtime"]]
        if same_run:
            key = same_run.most_common(1)[0][0]
        elif len(of_runtime) == 1:
            key = of_runtime[0]
        else:
            key = (r["runtime"], ("unrecorded",))
            if key not in groups:
                prefix = "B" if r["runtime"] == "browser" else "N"
                groups[key] = Environment(f"{prefix}?", r["runtime"], (), UNRECORDED, {})
        groups[key].result_ids.append(int(r["result_id"]))
        assigned[int(r["result_id"])] = key
    labels = {rid: groups[key].label for rid, key in assigned.items()}
    return list(groups.values()), labels


def environment_warnings(fingerprint: dict) -> list[str]:
    """Plain statements about what a fingerprint means for GPU and threading results."""
    warnings = []
    if webgl_is_software(fingerprint):
        warnings.append(f"The WebGL renderer is {software_device(fingerprint['webgl_renderer'])}: software rendering "
                        "on the CPU. WebGL timings from this environment measure no GPU.")
    if "webgpu_adapter" in fingerprint:
        adapter = fingerprint["webgpu_adapter"]
        if not adapter:
            warnings.append("No WebGPU adapter: WebGPU specs are unsupported here.")
        elif webgpu_is_software(fingerprint):
            warnings.append("WebGPU fell back to a software adapter (SwiftShader): WebGPU timings measure the CPU.")
    if fingerprint.get("cross_origin_isolated") is False:
        warnings.append("Not cross-origin isolated: SharedArrayBuffer, and so multi-threaded WebAssembly, is "
                        "unavailable.")
    elif fingerprint.get("wasm_threads") is False:
        warnings.append("WebAssembly threads are unavailable: wasm backends run single-threaded.")
    return warnings

"""`webdlbench survey`: the paper's Table 1 regenerated from probes on this machine.

Collects facts per framework (I/O lives here; the table is built by analysis/survey.py):
* a probe page: the framework's bundle + adapter + web/survey-probe.js, which asks the adapter's
  describe() to introspect the library;
* tiny specs through the real pipeline: one train, one infer (save + load), every GPU backend;
* Node.js: the framework's node-probe.js loads the npm package (or its bundle) and runs a tiny network;
* the bytes (and gzipped bytes) of the files the page loads;
* `npm view PACKAGE time --json`: the registry's publish dates, where it answers (Finding 1's
  "actively maintained"; analysis/survey.py decides whether they are npm's own dates).
"""
from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from webdlbench import frameworks
from webdlbench.analysis import survey as table
from webdlbench.errors import UserError
from webdlbench.paths import NODE_MODULES
from webdlbench.software_gpu import backend_is_software
from webdlbench.spec import Spec

HELP = "print paper Table 1 regenerated: each framework's features, probed here (Markdown)"
# A tiny network for every probe run: large enough to be a real MLP, small enough for synaptic.
PROBE_SPEC = {"depth": 1, "width": 8, "batch": 32, "samples": 4, "warmup": 1, "time_budget_s": 30, "replicates": 1,
              "max_warmup": 5}
PROBE_PAGE_TIMEOUT_S = 120   # loading a bundle and introspecting it; WebGPU start-up included
NODE_TIMEOUT_S = 120
NPM_TIMEOUT_S = 60
# One try, a bounded wait: an offline machine answers "not tested here" in seconds, not minutes.
NPM_VIEW_FLAGS = ("--json", "--fetch-retries=0", "--fetch-timeout=20000")
GPU_BACKENDS = table.GPU_BACKENDS


def add_arguments(parser) -> None:
    parser.add_argument("--frameworks", metavar="NAMES", help="comma-separated framework names (default: all)")
    parser.add_argument("--lib", action="append", metavar="NAME=PATH",
                        help="a framework bundle not on npm (e.g. mind=./mind.js); may repeat")
    parser.add_argument("--browser", metavar="PATH", help="Chromium binary (default: found on PATH)")
    parser.add_argument("--skip-pipeline", action="store_true",
                        help="do not run the tiny train/infer/GPU specs (those rows say 'not run')")
    parser.add_argument("--skip-registry", action="store_true",
                        help="do not ask the npm registry for publish dates (Finding 1's maintenance is then not "
                             "tested)")
    parser.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown",
                        help="what to print on stdout (default markdown)")
    parser.add_argument("--facts", metavar="PATH", help="also write the collected facts as JSON to PATH")
    parser.add_argument("--store", metavar="PATH",
                        help="also store the facts in this results store, where `webdlbench report` reads Table 1")


def run(args) -> int:
    frameworks.set_user_bundles(args.lib)
    names = _selected(args.frameworks)
    if args.store:  # refuse a bad store before minutes of probing, not after
        from webdlbench.store import Store
        Store.open(args.store).close()
    from webdlbench.browser import find_browser  # imported here: Playwright is only needed now

    browser = find_browser(args.browser)
    console = Console(stderr=True)
    facts = asyncio.run(collect(names, browser, console, run_pipeline=not args.skip_pipeline,
                                ask_registry=not args.skip_registry))
    if args.facts:
        Path(args.facts).write_text(json.dumps(facts, indent=2, sort_keys=True, default=str))
    if args.store:
        store_survey(args.store, facts, browser)
        console.print(f"survey: facts stored in {args.store}")
    frame = table.build_table(facts)
    if args.format == "markdown":
        sys.stdout.write(table.to_markdown(frame))
    elif args.format == "csv":
        sys.stdout.write(frame.to_csv())
    else:
        sys.stdout.write(frame.to_json(orient="index", indent=2) + "\n")
    return 0


def store_survey(store_path, facts: dict, browser: str) -> int:
    """Write the facts into the results store (the report's Table 1), with where they were taken."""
    import platform

    from webdlbench.store import Store

    environment = {"browser_executable": str(browser), "platform": platform.platform(),
                   "python_version": platform.python_version(), "cpu_count": os.cpu_count(),
                   "frameworks": sorted(facts)}
    with Store.open(store_path) as store:
        return store.add_survey(facts, environment)


def _selected(wanted: str | None) -> list[str]:
    known = frameworks.surveyed()
    if not wanted:
        return list(known)
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        name = unknown[0]
        if name in frameworks.FRAMEWORKS:
            raise UserError(f"--frameworks: {name!r} runs only RQ4's tasks (the web-ai suites) and is not surveyed; "
                            f"surveyed: {', '.join(known)}")
        raise UserError(f"--frameworks: unknown framework {name!r}; known: {', '.join(known)}")
    return names


# -- collecting ----------------------------------------------------------------------------------
async def collect(names: list[str], browser: str, console: Console, run_pipeline: bool = True,
                  ask_registry: bool = True) -> dict[str, dict]:
    """Facts per framework name (see analysis/survey.py for how they become cells)."""
    from webdlbench.runners.browser import BrowserRunner
    from webdlbench.runners.skeleton import measure_spec

    facts = {name: static_facts(frameworks.FRAMEWORKS[name]) for name in names}
    with tempfile.TemporaryDirectory(prefix="webdlbench-survey-") as cache:
        session = BrowserRunner(browser, Path(cache))
        await session.start()
        try:
            for name in names:
                fw, entry = frameworks.FRAMEWORKS[name], facts[name]
                if not entry["available"]:
                    console.print(f"survey: {fw.title}: unavailable ({entry['reason']})")
                    continue
                console.print(f"survey: {fw.title}: probe page")
                entry["probe"] = await probe_page(session, fw)
                if run_pipeline:
                    for spec in probe_specs(fw):
                        console.print(f"survey: {fw.title}: {spec.backend} {spec.task}")
                        entry["specs"].append(spec_facts(fw, spec, await measure_spec(spec, session)))
        finally:
            await session.stop()
    for name in names:
        console.print(f"survey: {frameworks.FRAMEWORKS[name].title}: node")
        facts[name]["node"] = node_probe(frameworks.FRAMEWORKS[name], facts[name]["available"])
        if ask_registry:
            console.print(f"survey: {frameworks.FRAMEWORKS[name].title}: npm registry")
            facts[name]["registry"] = registry_facts(frameworks.FRAMEWORKS[name])
    return facts


def static_facts(fw: frameworks.Framework) -> dict:
    """What needs no browser: availability, version, bundle bytes, declared backends."""
    available, reason = fw.availability()
    return {
        "name": fw.name, "title": fw.title, "available": available, "reason": reason,
        "version": fw.version(), "user_bundle": str(frameworks.USER_BUNDLES[fw.name]) if fw.name in frameworks.USER_BUNDLES else None, "bundle": bundle_size(fw) if available else None,
        "declared": {"backends": {b: list(t) for b, t in fw.backends.items()},
                     "gpu_backends": [b for b in fw.backends if b in GPU_BACKENDS],
                     "write_model": fw.write_model is not None},
        "probe": None, "specs": [], "node": None,
    }


def bundle_size(fw: frameworks.Framework) -> dict:
    """Bytes and gzip -9 bytes of the files the page loads for the framework's first backend."""
    backend = next(iter(fw.backends))
    if fw.user_bundle:
        paths = [fw.bundle_path()]
    else:
        paths = [NODE_MODULES / p for p in fw.scripts[backend]]
    data = [p.read_bytes() for p in paths]
    return {"backend": backend, "files": [str(p.relative_to(NODE_MODULES)) if not fw.user_bundle else str(p) for p in paths],
            "bytes": sum(len(d) for d in data),
            "gzip_bytes": sum(len(gzip.compress(d, compresslevel=9, mtime=0)) for d in data)}


def probe_job(fw: frameworks.Framework) -> dict:
    """A page job that loads the framework and survey-probe.js; the probe's init() reports."""
    backend = next(iter(fw.backends))
    options = {"learning_rate": 0.1, "batch_size": 1, "threads": 1}
    options.update({k: f"/lib/{v}" if k.endswith("_dir") else v for k, v in fw.options.items()})
    survey = {"framework": fw.name, **(fw.survey_page_data() if fw.survey_page_data else {})}
    return {"kind": "env", "framework": "__survey", "spec": {"backend": backend, "task": "survey"},
            "scripts": fw.script_urls(backend), "adapters": [fw.adapter_url(), "/survey-probe.js"],
            "options": options, "survey": survey}


async def probe_page(session, fw: frameworks.Framework) -> dict:
    from webdlbench.runners.skeleton import Failed

    try:
        message = await session._open_page(probe_job(fw), PROBE_PAGE_TIMEOUT_S)
    except Failed as failure:
        return {"outcome": failure.outcome, "error": failure.detail, "describe": None}
    found = message["info"].get("survey") or {}
    return {"outcome": message["outcome"], "error": message["error"], **found}


def probe_specs(fw: frameworks.Framework) -> list[Spec]:
    """One train spec, one infer spec (prefer a cpu-side backend), and every task of every GPU backend."""
    chosen: list[tuple[str, str]] = []
    for task in ("train", "infer"):
        backends = [b for b, tasks in fw.backends.items() if task in tasks]
        cpu_side = [b for b in backends if b not in GPU_BACKENDS]
        if backends:
            chosen.append(((cpu_side or backends)[0], task))
    for backend, tasks in fw.backends.items():
        if backend in GPU_BACKENDS:
            chosen += [(backend, t) for t in tasks if t in ("train", "infer")]  # the paper's tasks (not RQ4's)
    unique = list(dict.fromkeys(chosen))
    return [Spec(framework=fw.name, backend=b, task=t, **PROBE_SPEC) for b, t in unique]


def spec_facts(fw: frameworks.Framework, spec: Spec, result) -> dict:
    env = result.environment or {}
    software = backend_is_software(spec.backend, env)  # None: a CPU backend, or nothing recorded
    if spec.backend == "webgpu":
        adapter = env.get("webgpu_adapter") or {}
        device = f"{adapter.get('vendor')} / {adapter.get('architecture')}" if adapter else None
    elif spec.backend in GPU_BACKENDS:
        device = env.get("webgl_renderer") or None
    else:
        device = None
    checks = {k: v for k, v in (result.checks or {}).items() if isinstance(v, (int, float, str, bool))}
    return {"backend": spec.backend, "task": spec.task, "outcome": result.outcome, "error": result.error,
            "checks": checks, "device": device, "software_gpu": software,
            "saved": fw.write_model is None and spec.task == "infer" and "model_files" in result.info}


def node_probe(fw: frameworks.Framework, available: bool) -> dict:
    """Run the framework's node-probe.js (its folder) with Node.js; ok when it prints a line starting 'ok'."""
    probe = fw.node_probe_file()
    if not available:
        return {"ran": False, "ok": False, "detail": "framework unavailable"}
    if probe is None:
        return {"ran": False, "ok": False, "detail": f"no Node.js probe written for {fw.name} (frameworks/{fw.name}/node-probe.js)"}
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES), **(fw.node_probe_env() if fw.node_probe_env else {})}
    if fw.user_bundle:
        env["WEBDLBENCH_BUNDLE"] = str(fw.bundle_path())
    try:
        done = subprocess.run(["node", str(probe)], cwd=NODE_MODULES.parent, env=env, capture_output=True,
                              text=True, timeout=NODE_TIMEOUT_S)
    except FileNotFoundError:
        return {"ran": False, "ok": False, "detail": "node is not installed"}
    except subprocess.TimeoutExpired:
        return {"ran": True, "ok": False, "detail": f"no answer within {NODE_TIMEOUT_S} s"}
    version = _node_version()
    said = [line for line in done.stdout.splitlines() if line.startswith("ok")]
    if done.returncode == 0 and said:
        return {"ran": True, "ok": True, "detail": f"node {version}: {said[-1][3:].strip()}"}
    return {"ran": True, "ok": False, "detail": f"node {version}: {_first_error(done.stderr) or f'exit {done.returncode}'}"}


def registry_facts(fw: frameworks.Framework, run=subprocess.run) -> dict:
    """The npm registry's answer to `npm view PACKAGE time --json`, asked now: {package, asked_at,
    answered, time (the answer) or error (npm's own words)}. Whether the dates are npm's publish
    dates is decided later (analysis/survey.py), not here."""
    asked = {"package": fw.npm_package, "asked_at": time.time(),
             "command": f"npm view {fw.npm_package} time --json"}
    try:
        done = run(["npm", "view", fw.npm_package, "time", *NPM_VIEW_FLAGS], capture_output=True, text=True,
                   timeout=NPM_TIMEOUT_S)
    except FileNotFoundError:
        return {**asked, "answered": False, "error": "npm is not installed"}
    except subprocess.TimeoutExpired:
        return {**asked, "answered": False, "error": f"no answer within {NPM_TIMEOUT_S} s"}
    if done.returncode != 0:
        return {**asked, "answered": False, "error": _npm_error(done.stdout, done.stderr, done.returncode)}
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        return {**asked, "answered": False, "error": f"the answer is not JSON: {done.stdout.strip()[:200]}"}
    if not isinstance(answer, dict):
        return {**asked, "answered": False, "error": f"unexpected answer: {done.stdout.strip()[:200]}"}
    return {**asked, "answered": True, "time": answer}


def _npm_error(stdout: str, stderr: str, code: int) -> str:
    """npm's error: the `error.summary` of its JSON answer, else its 'npm error' lines."""
    try:
        said = json.loads(stdout).get("error", {})
        if said.get("summary"):
            return f"{said.get('code', '')} {said['summary']}".strip()[:300]
    except (ValueError, AttributeError):
        pass
    lines = [line.strip() for line in stderr.splitlines() if line.strip().startswith(("npm error", "npm ERR!"))]
    return " ".join(lines)[:300] or f"npm exited {code}"


def _node_version() -> str:
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def _first_error(stderr: str) -> str:
    """The line of a Node.js failure that names the error (not the stack or the code excerpt)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "Error" in line and not line.startswith("at "):
            return line[:300]
    return lines[-1][:300] if lines else ""

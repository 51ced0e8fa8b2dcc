#!/usr/bin/env bash
# Prepare the carry folders for a GPU run on the lent NVIDIA machine (issue #7; see README.md here).
# Run from the project root after `make setup`. Writes, all ignored by git:
#   .device-chromium/a, .device-chromium/b  headless Chromium + GL/Vulkan loaders (shared tool)
#   .device-wheels/                         Playwright + greenlet + pyee wheels for the device's Python 3.12
#   .device-bundles/bundles.tar.xz          only the node_modules files the suite's pages load
#   .device-artifacts/                      the suite's converted Keras models (TF.js files only), from
#                                           ARTIFACTS_FROM (a store's cache/models/kinds), when it has any
#   .device-artifacts-torch/                their PyTorch graphs and, in .device-artifacts-onnx/, their
#   .device-artifacts-onnx/                 ONNX files (made here when the suite runs them on native
#                                           pytorch / ONNX Runtime Web: the device has no TensorFlow)
# SUITE=gpu-pretrained picks another suite (default gpu). The device has no TensorFlow: its models
# are converted here first (`webdlbench run paper-pretrained` fills results/cache/models/kinds).
set -euo pipefail
suite=${SUITE:-gpu}
root=$(git rev-parse --show-toplevel)
cd "$root"
for d in /.device-chromium/ /.device-wheels/ /.device-bundles/ /.device-artifacts/ /.device-artifacts-torch/ /.device-artifacts-onnx/; do
  grep -qx "$d" .git/info/exclude 2>/dev/null || echo "$d" >> .git/info/exclude
done

if [ ! -f .device-chromium/b/install.sh ]; then
  tool="$root/../shared/tools/device-chromium/pack.sh"
  [ -x "$tool" ] || tool="bash $tool"
  $tool
fi

rm -rf .device-wheels && mkdir -p .device-wheels
.venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux1_x86_64 \
  -d .device-wheels "playwright==$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("playwright"))')" greenlet pyee

rm -rf .device-bundles && mkdir -p .device-bundles
SUITE=$suite .venv/bin/python - <<'PY'
# The bundles and assets of every framework the suite uses, plus MNIST and package.json files.
import os
import tarfile
from webdlbench import frameworks
from webdlbench.grid import load_suite
from webdlbench.paths import NODE_MODULES

names = {s.framework for s in load_suite(os.environ["SUITE"]).specs if s.runtime == "browser"}
paths = {"mnist/src/digits", "mnist/package.json"}
for name in names:
    fw = frameworks.FRAMEWORKS[name]
    paths |= {p for scripts in fw.scripts.values() for p in scripts} | set(fw.assets)
    paths.add(f"{fw.npm_package}/package.json")
    paths |= {v for k, v in fw.options.items() if k.endswith("_dir")}
with tarfile.open(".device-bundles/bundles.tar.xz", "w:xz") as tar:
    for path in sorted(paths):
        tar.add(NODE_MODULES / path, arcname=f"node_modules/{path.rstrip('/')}")
print("bundles for", ", ".join(sorted(names)))
PY
rm -rf .device-artifacts .device-artifacts-torch .device-artifacts-onnx && mkdir -p .device-artifacts
SUITE=$suite ARTIFACTS_FROM=${ARTIFACTS_FROM:-results/cache/models/kinds} .venv/bin/python - <<'PY'
# The suite's converted models: their TF.js files (the page's), and where the suite runs them on
# native PyTorch their ONNX graph, made here (the device has no TensorFlow: its native TensorFlow
# specs are recorded as unsupported there). Found by kind, depth, width, seed.
import os
import shutil
import sys
from pathlib import Path
from webdlbench.grid import load_suite
from webdlbench.models import artifacts, kinds
from webdlbench.models.torch_graph_maker import GRAPH_FOLDER, ONNX_FOLDER
import asyncio
import json

source = Path(os.environ["ARTIFACTS_FROM"])
wanted = {(s.model, s.depth, s.width, s.seed) for s in load_suite(os.environ["SUITE"]).specs
          if kinds.get(s.model).converted}
for model, depth, width, seed in sorted(wanted):
    slug = model.replace(":", "-").lower()
    found = [f for f in sorted(source.glob(f"{slug}-{depth}x{width}-s{seed}-*")) if (f / "manifest.json").is_file()]
    if not found:
        sys.exit(f"{model} {depth}x{width} is not converted in {source}: run a suite with it here first")
    runners = {s.framework for s in load_suite(os.environ["SUITE"]).specs if s.model == model}
    extra = {"pytorch": (GRAPH_FOLDER, ".device-artifacts-torch"), "onnxruntime_web": (ONNX_FOLDER, ".device-artifacts-onnx")}
    if runners & set(extra):  # the ONNX conversion, made here: the device has no TensorFlow to make it
        asyncio.run(artifacts.ensure_onnx(artifacts.Artifact(found[0], found[0].name, json.loads(
            (found[0] / "manifest.json").read_text()))))
    shutil.copytree(found[0], Path(".device-artifacts") / found[0].name,
                    ignore=shutil.ignore_patterns("keras", GRAPH_FOLDER, ONNX_FOLDER))
    for runner in sorted(runners & set(extra)):  # each carried apart (a call carries at most 64 MiB)
        folder, tree = extra[runner]
        shutil.copytree(found[0] / folder, Path(tree) / found[0].name / folder)
    print("artifact", found[0].name, *(f"+ {extra[r][0]}" for r in sorted(runners & set(extra))))
PY
# One device call carries at most 64 MiB: each artifact's TF.js files and its PyTorch graph travel apart.
parts=$(find .device-artifacts .device-artifacts-torch .device-artifacts-onnx -mindepth 1 -maxdepth 1 -type d 2>/dev/null)
du -sh .device-chromium/a .device-chromium/b .device-wheels .device-bundles .device-artifacts* 2>/dev/null || true
cat <<TXT
Device calls, back to back (a warm machine keeps /root/stage, /tmp/site and /tmp/artifacts ~30 s):
  1. carry [".device-chromium/a"]:   bash .device-chromium/a/stage.sh
  2. carry [".device-wheels"]:       bash scripts/device/stage-wheels.sh
  3. (only when .device-artifacts has models) one call per part below, each under 64 MiB:
$(for part in $parts; do echo "     carry [\"$part\"] ($(du -sh "$part" | cut -f1)):  bash scripts/device/stage-artifacts.sh"; done)
  4. carry [".device-chromium/b", ".device-bundles"]:  SUITE=$suite bash scripts/device/run-gpu.sh
Then copy the store from files_at into results/ and run \`webdlbench report\` here.
TXT

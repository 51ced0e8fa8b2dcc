#!/usr/bin/env bash
# Device call 3: assemble Chromium, unpack the JS bundles, run the gpu suite; the store comes back in $OUT.
set -euo pipefail
[ -d /tmp/site/playwright ] || { echo "Playwright is not staged: run call 2 (stage-wheels.sh) just before"; exit 3; }
source .device-chromium/b/install.sh
mkdir -p /tmp/bundles && tar -xJf .device-bundles/bundles.tar.xz -C /tmp/bundles
export PYTHONPATH=/tmp/site:$PWD WEBDLBENCH_NODE_MODULES=/tmp/bundles/node_modules PYTHONUNBUFFERED=1
[ -d /tmp/artifacts ] && export WEBDLBENCH_ARTIFACTS=/tmp/artifacts  # models converted here (stage-artifacts.sh)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -m webdlbench env --browser /root/chr/chromium-gpu > "$OUT/env.json"
python3 -c "import json; e=json.load(open('$OUT/env.json')); print('WebGL:', e.get('webgl_renderer')); print('WebGPU:', e.get('webgpu_adapter'))"
# The store (and its model cache) live outside $OUT; only the finished store comes back.
python3 -m webdlbench run "${SUITE:-gpu}" --browser /root/chr/chromium-gpu --store /tmp/gpu/gpu.sqlite ${SAMPLES:+--samples $SAMPLES}
python3 -c "import sqlite3; s=sqlite3.connect('/tmp/gpu/gpu.sqlite'); d=sqlite3.connect('$OUT/gpu.sqlite'); s.backup(d); d.close()"

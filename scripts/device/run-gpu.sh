#!/usr/bin/env bash
# Device call 3: assemble Chromium, unpack the JS bundles, run the gpu suite; the store comes back in $OUT.
set -euo pipefail
[ -d /tmp/site/playwright ] || { echo "Playwright is not staged: run call 2 (stage-wheels.sh) just before"; exit 3; }
source .device-chromium/b/install.sh
mkdir -p /tmp/bundles && tar -xJf .device-bundles/bundles.tar.xz -C /tmp/bundles
export PYTHONPATH=/tmp/site:$PWD WEBDLBENCH_NODE_MODULES=/tmp/bundles/node_modules PYTHONUNBUFFERED=1
[ -d /tmp/artifacts ] && export WEBDLBENCH_ARTIFACTS=/tmp/artifacts  # models converted here (stage-artifacts.sh)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
nvidia-smi -q -x > "$OUT/nvidia-smi.xml" || true  # the report gpu_memory.py reads (Finding 8), kept to check it
python3 -c "from webdlbench import gpu_memory as g; print('nvidia-smi:', g.read())"
python3 -m webdlbench env --browser /root/chr/chromium-gpu > "$OUT/env.json"
python3 -c "import json; e=json.load(open('$OUT/env.json')); print('WebGL:', e.get('webgl_renderer')); print('WebGPU:', e.get('webgpu_adapter'))"
# The store (and its model cache) live outside $OUT; only the finished store comes back.
python3 -m webdlbench run "${SUITE:-gpu}" --browser /root/chr/chromium-gpu --store /tmp/gpu/gpu.sqlite ${SAMPLES:+--samples $SAMPLES}
python3 -c "import sqlite3; s=sqlite3.connect('/tmp/gpu/gpu.sqlite'); d=sqlite3.connect('$OUT/gpu.sqlite'); s.backup(d); d.close()"
# Finding 8's figures: was the GPU process listed, and how much did it (or the card) hold?
python3 - <<'PY'
import json, sqlite3
store = sqlite3.connect("/tmp/gpu/gpu.sqlite")
seen = {}
for (info,) in store.execute("select info from results"):
    for replicate in json.loads(info).get("replicates") or []:  # each page's sampling facts
        said = replicate.get("gpu_memory_identified")
        seen[said] = seen.get(said, 0) + 1
print("gpu_memory_identified:", seen)
for metric, n, peak in store.execute("select metric, count(*), max(value) from samples where metric like 'gpu_memory%' group by metric"):
    print(f"{metric}: {n} values, max {peak / 2**30:.2f} GiB")
PY

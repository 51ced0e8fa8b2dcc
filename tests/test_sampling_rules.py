"""The sampling rules are written twice — web/sampling.js for pages, native/worker.py for native
workers — and must agree: the same timings settle (or not), the same calls get the same block size
and the same sampling goes on, in both. Run in Node and Python on the same cases."""
import json
import shutil
import subprocess

import pytest

from webdlbench.native import worker
from webdlbench.paths import WEB_DIR

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

SETTLE_CASES = [
    ([5, 4, 3, 2, 1, 1, 1, 1, 1, 1], 3),     # still falling: not settled
    ([9, 9, 9, 9, 9, 1, 1, 1, 1, 1], 3),     # a JIT tier change: not settled
    ([2, 2, 2.1, 1.9, 2, 2, 2.05, 1.95, 2, 2], 3),  # flat: settled
    ([2, 2, 2, 2, 2, 2, 2, 2, 2], 3),         # too few timings to tell
    ([2.0] * 12, 12),                         # flat, and the minimum is reached
    ([2.0] * 12, 13),                         # flat, but the minimum is not
    ([1.0] * 5 + [1.11] * 5, 0),              # 11% apart: over the tolerance
    ([1.0] * 5 + [1.09] * 5, 0),              # 9% apart: within it
]
REGION_CASES = [(0.005, 0.0), (0.005, 1.0), (0.1, 1.0), (0.1, 0.5), (0.000001, 0.0)]
BLOCK_CASES = [(0.002, 0.5), (0.2, 0.5), (0.5, 0.5), (10, 5.0), (0.03, 5.0), (0, 0.5), (1e-9, 10.0)]
SAMPLE_CASES = [(0, 0, 20, 1.0), (19, 5000, 20, 1.0), (20, 999, 20, 1.0), (20, 1000, 20, 1.0), (999, 0, 20, 1.0),
                (1000, 0, 20, 1.0), (20, 0, 20, 0.0)]


def test_the_page_and_the_native_worker_apply_the_same_rules():
    script = f"""
    const S = require({json.dumps(str(WEB_DIR / 'sampling.js'))});
    const settle = {json.dumps(SETTLE_CASES)}.map(([t, m]) => S.settled(t, m));
    const region = {json.dumps(REGION_CASES)}.map(([r, t]) => S.minRegionMs(r, t));
    const block = {json.dumps(BLOCK_CASES)}.map(([c, r]) => S.blockSize(c, r));
    const sample = {json.dumps(SAMPLE_CASES)}.map((a) => S.wantsSample(...a));
    process.stdout.write(JSON.stringify({{settle, region, block, sample}}));
    """
    done = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert page["settle"] == [worker.settled(t, m) for t, m in SETTLE_CASES]
    assert page["region"] == pytest.approx([worker.min_region_ms(r, t) for r, t in REGION_CASES])
    assert page["block"] == [worker.block_size(c, r) for c, r in BLOCK_CASES]
    assert page["sample"] == [worker.wants_sample(*a) for a in SAMPLE_CASES]
    # And they say what they should, not merely the same thing.
    assert page["settle"] == [False, False, True, False, True, False, False, True]
    assert page["region"][:4] == pytest.approx([0.5, 5.0, 10.0, 10.0])  # 100 ticks, or 1 s over 200 samples
    assert page["block"][:5] == [250, 3, 1, 1, 167] and page["sample"] == [True, True, True, False, True, False, False]

"""Finding 6 (paper §4.3, Table 3): "model files encoded in JSON are much bigger than binary ones and
take longer to load". The paper compared different frameworks' files; to compare the encoding alone,
the same TF.js model is also written with its weights as JSON numbers — the topology and weight specs
unchanged, every float32 value as the shortest text that reads back to it (what JSON.stringify writes
for a Float32Array copied into an Array) — and the page loads both (adapter.loadJsonEncoded).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

JSON_FILE = "model.weights.json"


class EncodingError(ValueError):
    """The saved model cannot be re-encoded (not float32, shards missing); the words say which."""


def write_json_encoding(model_dir: Path, out_dir: Path, entry: str = "model.json") -> Path:
    """Write `out_dir/model.weights.json`: the TF.js layers model saved in `model_dir` with its weights
    inlined as JSON numbers ({"modelTopology", "weightSpecs", "weights"}); returns its path."""
    saved = json.loads((model_dir / entry).read_text())
    specs, chunks = [], []
    for group in saved["weightsManifest"]:
        chunks.append(b"".join((model_dir / path).read_bytes() for path in group["paths"]))
        specs += group["weights"]
    if any(spec.get("dtype", "float32") != "float32" for spec in specs):
        raise EncodingError("only float32 weights are re-encoded as JSON")
    values = np.frombuffer(b"".join(chunks), dtype="<f4")
    expected = sum(int(np.prod(spec["shape"], dtype=np.int64)) for spec in specs)
    if values.size != expected:
        raise EncodingError(f"the weight files hold {values.size} values, the manifest names {expected}")
    # float(np.float32) widens exactly; repr gives the shortest text that reads back to the double,
    # as JavaScript's number-to-string does (they differ only in how an exponent is spelled).
    numbers = ",".join(repr(float(v)) for v in values.tolist())
    head = json.dumps({"modelTopology": saved["modelTopology"], "weightSpecs": specs}, separators=(",", ":"))
    path = out_dir / JSON_FILE
    path.write_text(head[:-1] + ',"weights":[' + numbers + "]}")
    return path

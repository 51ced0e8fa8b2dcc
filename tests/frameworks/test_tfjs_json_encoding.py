"""The JSON encoding of a saved TF.js model (Finding 6): the same weights, bit for bit, as JSON numbers."""
import json

import numpy as np
import pytest

from webdlbench.frameworks.tfjs.json_encoding import EncodingError, write_json_encoding


def _saved_model(folder, values, dtype="float32", shards=2):
    """A TF.js layers model folder as model.save writes it: model.json and weight shards."""
    blob = np.asarray(values, dtype="<f4").tobytes()
    cut = len(blob) // 2 // 4 * 4
    parts = [blob[:cut], blob[cut:]] if shards == 2 else [blob]
    for i, part in enumerate(parts):
        (folder / f"shard{i}.bin").write_bytes(part)
    manifest = [{"paths": [f"shard{i}.bin" for i in range(len(parts))],
                 "weights": [{"name": "dense/kernel", "shape": [2, 2], "dtype": dtype},
                             {"name": "dense/bias", "shape": [2], "dtype": dtype}]}]
    (folder / "model.json").write_text(json.dumps({"modelTopology": {"class_name": "Sequential"},
                                                   "weightsManifest": manifest}))


def test_the_weights_read_back_exactly_as_float32(tmp_path):
    values = [0.1, -1e-7, 3.4e38, 0.0, 123.456, -0.5]
    _saved_model(tmp_path, values)
    out = tmp_path / "out"
    out.mkdir()
    encoded = json.loads(write_json_encoding(tmp_path, out).read_text())
    assert encoded["modelTopology"] == {"class_name": "Sequential"}
    assert [w["name"] for w in encoded["weightSpecs"]] == ["dense/kernel", "dense/bias"]
    assert np.array_equal(np.asarray(encoded["weights"], dtype="<f4"), np.asarray(values, dtype="<f4"))


def test_a_non_float32_model_or_a_short_shard_is_refused(tmp_path):
    _saved_model(tmp_path, [1, 2, 3, 4, 5, 6], dtype="int32")
    with pytest.raises(EncodingError, match="float32"):
        write_json_encoding(tmp_path, tmp_path)
    _saved_model(tmp_path, [1, 2, 3, 4, 5], shards=1)  # the manifest names 6 values
    with pytest.raises(EncodingError, match="hold 5 values, the manifest names 6"):
        write_json_encoding(tmp_path, tmp_path)

"""Converted-model artifacts (models/artifacts.py): a conversion that fails is an outcome with the
converter's own words and leaves nothing half-made; an artifact converted elsewhere is adopted."""
import asyncio
import json

import pytest

from webdlbench.models import artifacts, kinds


@pytest.mark.native
def test_a_failed_conversion_is_an_error_with_the_converters_words(tmp_path):
    # Xception refuses inputs under 71x71 (the grid stops this; the converter must report it too).
    xception = kinds.get("keras:Xception")
    with pytest.raises(artifacts.ArtifactError) as caught:
        asyncio.run(artifacts.ensure_artifact(xception, 1, 32, 0, tmp_path))
    message = str(caught.value)
    assert message.startswith("building the tf_keras model failed: ValueError:") and "71" in message
    assert not list((tmp_path / artifacts.CACHE_FOLDER).iterdir())  # nothing half-made is left as cached


def test_an_artifact_converted_elsewhere_is_adopted_by_kind_depth_width_and_seed(tmp_path, monkeypatch):
    kind = kinds.get("keras:MobileNetV2")
    elsewhere = tmp_path / "elsewhere" / "keras-mobilenetv2-1x224-s0-0123456789ab"
    (elsewhere / "tfjs").mkdir(parents=True)
    (elsewhere / "tfjs" / "model.json").write_text("{}")
    manifest = {"facts": {"parameters": 3538984}, "files": {"tfjs": {"model.json": 2}, "keras": {}},
                "versions": {"tensorflowjs": "4.22.0"}, "input_shape": [224, 224, 3], "classes": 1000}
    (elsewhere / "manifest.json").write_text(json.dumps(manifest))
    cache = tmp_path / "cache"
    assert artifacts.cached_artifact(kind, 1, 224, 0, cache) is None  # not asked for: nothing adopted
    monkeypatch.setenv(artifacts.PREBUILT_VARIABLE, str(elsewhere.parent))
    assert artifacts.cached_artifact(kind, 1, 160, 0, cache) is None  # another input size is another model
    adopted = artifacts.cached_artifact(kind, 1, 224, 0, cache)
    assert adopted.folder.parent == (cache / artifacts.CACHE_FOLDER).resolve()
    assert adopted.folder.name == artifacts.artifact_key(kind, 1, 224, 0)  # this machine's key
    assert (adopted.folder / "tfjs" / "model.json").read_text() == "{}"
    assert adopted.facts()["prebuilt_from"] == elsewhere.name and adopted.facts()["parameters"] == 3538984
    assert artifacts.cached_artifact(kind, 1, 224, 0, cache).folder == adopted.folder  # cached from now on


"""The ids of users' own model files (`model = "file:PATH"`, models/user_models.py), with nothing
imported: what a spec's label, a report's table and the model registry need to name such a model
and to know its format, without reading the file.

An id holds the file's absolute path and what the suite added: `file:/abs/model.onnx`,
`file:/abs/model.onnx|shape=1x3x8x8|inputs=/abs/x.npy`.
"""
from __future__ import annotations

from pathlib import Path

PREFIX = "file:"
ONNX, TFJS = "onnx", "tfjs"
LOADERS = {  # format -> (browser frameworks, native runtimes)
    ONNX: (("onnxruntime_web",), ("onnxruntime",)),
    TFJS: (("tfjs",), ("tensorflow",)),
}
FORMAT_NAMES = {ONNX: "an ONNX file", TFJS: "a TF.js model.json"}
USER_NETWORK = "Your model"  # not one of Table 5's networks: ratios, no decision tree


def is_user_model(model: str) -> bool:
    return isinstance(model, str) and model.startswith(PREFIX)


def model_id(path: Path, input_shape: tuple[int, ...] | None = None, inputs: Path | None = None) -> str:
    """The id a spec names the model by (its identity in the store)."""
    parts = [PREFIX + str(path)]
    if input_shape:
        parts.append("shape=" + "x".join(str(d) for d in input_shape))
    if inputs:
        parts.append(f"inputs={inputs}")
    return "|".join(parts)


def parse_id(model: str) -> tuple[Path, tuple[int, ...] | None, Path | None]:
    """(path, input shape from the suite or None, .npy inputs or None) of a model id."""
    path, *extras = model[len(PREFIX):].split("|")
    shape, inputs = None, None
    for extra in extras:
        key, _, value = extra.partition("=")
        if key == "shape":
            shape = tuple(int(d) for d in value.split("x"))
        elif key == "inputs":
            inputs = Path(value)
    return Path(path), shape, inputs


def display_name(model: str) -> str:
    """What a table or label calls the model: the file's name (its shape where the suite gave one)."""
    path, shape, _ = parse_id(model)
    name = path.name if path.name != "model.json" else f"{path.parent.name}/model.json"
    return name + (f" {'x'.join(map(str, shape))}" if shape else "")


def file_format(path: Path) -> str:
    """A .json is a TF.js model.json; anything else is read as ONNX."""
    return TFJS if path.suffix.lower() == ".json" else ONNX

"""Your own model: `model = "file:PATH"` in a suite, for an ONNX file or a TF.js Layers `model.json`.

What a file is, read from the file itself (never run here): its format, its one input's name, shape
and dtype, and for a TF.js model its weight shards and the Keras file or SavedModel beside it (what
native TensorFlow loads). Where the file leaves a dimension symbolic, a suite gives the shape
(`input_shape = [1, 3, 224, 224]`); a symbolic first (batch) dimension is 1, as every inference
spec is one sample. The inputs are seeded random numbers of that shape, or a user's .npy file
(`inputs = "x.npy"`).

Which runtime loads which format:

| format | browser framework | native runtime | the reference outputs |
|---|---|---|---|
| ONNX (.onnx) | onnxruntime_web (wasm, webgpu) | onnxruntime | native ONNX Runtime (CPU) |
| TF.js Layers model.json | tfjs (every backend) | tensorflow, with a .keras / .h5 / SavedModel beside | TensorFlow |

A spec names the model by an id that holds the file's absolute path and what the suite added
(models/user_ids.py; its kind: kinds.user_kind). Everything a user
can get wrong here is a UserError (one line, exit 2) when the suite is read, before anything is
written. The model's artifact (its files, inputs and reference outputs) is models/user_artifacts.py.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from webdlbench.errors import UserError
from webdlbench.limits import shown
from webdlbench.models.user_ids import (FORMAT_NAMES, LOADERS, PREFIX, TFJS, display_name, file_format,
                                        is_user_model, model_id, parse_id)

SUITE_KEYS = ("input_shape", "inputs")  # what a suite may add to a file: model, in a grid or [defaults]
FLOAT_INPUT = "float32"  # what webdlbench feeds: random numbers, or a .npy cast to it
# ONNX TensorProto element types by number (onnx.TensorProto), for the error words without importing onnx.
ONNX_FLOAT, ONNX_DOUBLE = 1, 11
NATIVE_KERAS_SUFFIXES = (".keras", ".h5")
SAVED_MODEL_FILE = "saved_model.pb"


@dataclass(frozen=True)
class UserModel:
    """A user's model file, read: what both runtimes load and what they are fed."""

    model_id: str
    path: Path                      # the ONNX file or model.json, absolute
    format: str                     # ONNX or TFJS
    input_name: str
    input_shape: tuple[int, ...]    # the whole tensor one prediction is fed, batch dimension included
    inputs: Path | None = None      # a .npy of inputs given by the suite (else seeded random ones)
    weight_files: tuple[str, ...] = ()  # TF.js: the shards model.json names, relative to its folder
    native_file: Path | None = None     # TF.js: the Keras file or SavedModel folder beside it

    @property
    def name(self) -> str:
        return self.path.name


def without_paths(results):
    """A results frame whose `file:` models are named by the file's name alone (reports show no
    machine paths); the id stays a `file:` id, of the same kind."""
    if "model" not in results or not results["model"].map(is_user_model).any():
        return results
    return results.assign(model=results["model"].map(lambda m: PREFIX + display_name(m) if is_user_model(m) else m))


# -- reading a suite's `file:` model -----------------------------------------------------------------------
def resolve(fields: dict, extras: dict, where: str, base: Path) -> None:
    """Check a spec's `file:` model against its file and its framework, and name it by its id.

    `fields` are the spec's (model, runtime, framework, task, depth, width); `extras` the suite's
    input_shape / inputs. Raises UserError naming the file and the fix."""
    raw = fields["model"][len(PREFIX):]
    if not raw:
        raise UserError(f"{where}: model = \"file:\" names no file: give the path of an ONNX file or a TF.js "
                        "model.json, e.g. model = \"file:model.onnx\" (relative to the suite's folder)")
    path = (base / raw).resolve()
    shape = _shape_setting(extras.get("input_shape"), where)
    inputs = extras.get("inputs")
    if inputs is not None:
        if not isinstance(inputs, str) or not inputs:
            raise UserError(f"{where}: inputs = {shown(inputs)} must be the path of a .npy file")
        inputs = (base / inputs).resolve()
    fields["model"] = model_id(path, shape, inputs)
    try:
        model = inspect(fields["model"])
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
    browser, native = LOADERS[model.format]
    runtime, framework = fields.get("runtime", "browser"), fields["framework"]
    allowed = browser if runtime == "browser" else native
    if framework not in allowed:
        raise UserError(f"{where}: {model.name} is {FORMAT_NAMES[model.format]}, which {runtime} framework "
                        f"{framework} cannot load: use framework = \"{allowed[0]}\" (runtime = \"{runtime}\")")
    if runtime == "native" and model.format == TFJS and model.native_file is None:
        raise UserError(f"{where}: native tensorflow needs the model {model.name} came from: put its Keras file "
                        f"(.keras, .h5) or SavedModel folder beside {model.path}, or measure it in the browser only")
    if fields["task"] != "infer":
        raise UserError(f"{where}: {model.name} can only infer (a file has no training data or loss): "
                        "use task = \"infer\"")
    for axis in ("depth", "width"):
        if fields.get(axis, 1) != 1:
            raise UserError(f"{where}: {axis} = {fields[axis]} means nothing for a file: model: leave it out")
        fields[axis] = 1


def refuse_extras(extras: dict, model: str, where: str) -> None:
    """input_shape / inputs belong to a file: model only."""
    if extras and not is_user_model(model):
        raise UserError(f"{where}: {', '.join(extras)} applies to a file: model only, not to model "
                        f"{shown(model)}: remove it, or use model = \"file:PATH\"")


def _shape_setting(value, where: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if (not isinstance(value, list) or not value
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 < d <= 1 << 20 for d in value)):
        raise UserError(f"{where}: input_shape = {shown(value)} must be a list of positive whole numbers, "
                        "e.g. input_shape = [1, 3, 224, 224]")
    if math.prod(value) > 1 << 28:
        raise UserError(f"{where}: input_shape = {value} is over 2^28 values per input: give a smaller shape")
    return tuple(value)


# -- reading the file ------------------------------------------------------------------------------------
def inspect(model: str) -> UserModel:
    """The model a `file:` id names, read from its file (cached while the file is unchanged)."""
    path, _, _ = parse_id(model)
    try:
        stat = path.stat()
    except OSError as exc:
        raise UserError(f"model file {path} cannot be read ({exc.strerror or exc}): give the path of an ONNX "
                        "file or a TF.js model.json, relative to the suite's folder") from None
    if not path.is_file():
        raise UserError(f"model file {path} is not a file: give the path of an ONNX file or a TF.js model.json")
    return _inspect(model, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _inspect(model: str, mtime_ns: int, size: int) -> UserModel:
    path, shape, inputs = parse_id(model)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"model file {path} cannot be read ({exc.strerror or exc}): check its permissions") from None
    if file_format(path) == TFJS:
        name, found, extra = _read_tfjs(path, data)
    else:
        name, found, extra = _read_onnx(path, data)
    npy_shape = _npy_shape(inputs, path) if inputs else None
    return UserModel(model, path, file_format(path), name, _fill_shape(path, name, found, shape, npy_shape),
                     inputs, **extra)


def _read_onnx(path: Path, data: bytes) -> tuple[str, list, dict]:
    """(input name, its dims: ints or None where symbolic, {}) of an ONNX file; UserError if it is not one
    webdlbench can feed."""
    import onnx  # only when a suite names an ONNX file
    from google.protobuf.message import DecodeError

    fix = "give an .onnx file (torch.onnx.export or onnx.save writes one), or a TF.js model.json"
    try:
        proto = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise UserError(f"{path} is not an ONNX model ({type(exc).__name__}: {str(exc)[:120]}): {fix}") from None
    graph = proto.graph
    if proto.ir_version <= 0 or not graph.node or not graph.output:
        raise UserError(f"{path} is not an ONNX model (no graph with nodes and outputs in it): {fix}")
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in graph.initializer):
        raise UserError(f"{path} keeps its weights in external data files, which webdlbench does not serve: "
                        "save it as one file (onnx.save(model, path, save_as_external_data=False))")
    weights = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in weights]
    if len(inputs) != 1:
        raise UserError(f"{path} has {len(inputs)} inputs ({', '.join(i.name for i in inputs) or 'none'}); "
                        "webdlbench feeds a model one input tensor: export it with one input")
    tensor = inputs[0].type.tensor_type
    if tensor.elem_type != ONNX_FLOAT:
        raise UserError(f"{path}: input {inputs[0].name!r} is {onnx.TensorProto.DataType.Name(tensor.elem_type)}; "
                        f"webdlbench feeds {FLOAT_INPUT} inputs only: export the model with a float32 input")
    output = graph.output[0].type.tensor_type.elem_type
    if output not in (ONNX_FLOAT, ONNX_DOUBLE):
        raise UserError(f"{path}: output {graph.output[0].name!r} is {onnx.TensorProto.DataType.Name(output)}; "
                        "webdlbench compares float outputs: make the first output float32 (e.g. the logits)")
    dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in tensor.shape.dim]
    return inputs[0].name, dims, {}


def _read_tfjs(path: Path, data: bytes) -> tuple[str, list, dict]:
    """(input layer's name, its dims, {weight_files, native_file}) of a TF.js Layers model.json."""
    fix = "give a TF.js Layers model.json (tensorflowjs_converter --output_format tfjs_layers_model), or an .onnx file"
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise UserError(f"{path} is not a TF.js model.json (not JSON: {str(exc)[:80]}): {fix}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("modelTopology"), dict) \
            or not isinstance(manifest.get("weightsManifest"), list):
        raise UserError(f"{path} is not a TF.js model.json (no modelTopology and weightsManifest): {fix}")
    topology = manifest["modelTopology"]
    if manifest.get("format") == "graph-model" or "node" in topology:
        raise UserError(f"{path} is a TF.js graph model, which has no input layer to read and no Python loader "
                        f"for the reference: {fix}")
    topology = topology.get("model_config", topology)
    layer = _input_layer(path, topology, fix)
    config = layer.get("config") or {}
    shape = config.get("batch_input_shape") or config.get("batch_shape")
    if not isinstance(shape, list) or not shape:
        raise UserError(f"{path}: the input layer {layer.get('name')!r} gives no batch_input_shape: {fix}")
    dtype = config.get("dtype", FLOAT_INPUT)
    dtype = dtype.get("config", {}).get("name", FLOAT_INPUT) if isinstance(dtype, dict) else dtype
    if dtype != FLOAT_INPUT:
        raise UserError(f"{path}: the input layer is {dtype}; webdlbench feeds {FLOAT_INPUT} inputs only")
    shards = []
    for group in manifest["weightsManifest"]:
        for shard in (group.get("paths") or []) if isinstance(group, dict) else []:
            where = (path.parent / str(shard)).resolve()
            if path.parent.resolve() not in where.parents:
                raise UserError(f"{path}: weight file {shard!r} is outside the model's folder: keep the shards beside it")
            if not where.is_file():
                raise UserError(f"{path}: weight file {shard} is missing beside it: copy every shard "
                                "the converter wrote next to model.json")
            shards.append(where.relative_to(path.parent.resolve()).as_posix())
    dims = [d if isinstance(d, int) and d > 0 else None for d in shape]
    return str(config.get("name") or layer.get("name") or "input"), dims, \
        {"weight_files": tuple(shards), "native_file": native_beside(path)}


def _input_layer(path: Path, topology: dict, fix: str) -> dict:
    config = topology.get("config")
    layers = config.get("layers") if isinstance(config, dict) else config
    if not isinstance(layers, list) or not layers or not all(isinstance(l, dict) for l in layers):
        raise UserError(f"{path}: its modelTopology lists no layers: {fix}")
    if isinstance(config, dict) and "input_layers" in config:  # a functional model
        names = [entry[0] for entry in config["input_layers"] if isinstance(entry, list) and entry]
        outputs = config.get("output_layers") or []
        if len(names) != 1 or len(outputs) != 1:
            raise UserError(f"{path} has {len(names)} input and {len(outputs)} output layers; webdlbench feeds one "
                            "input and compares one output: give a model with one of each")
        layer = next((l for l in layers if l.get("name") == names[0] or (l.get("config") or {}).get("name") == names[0]), None)
        if layer is None:
            raise UserError(f"{path}: its input layer {names[0]!r} is not among its layers: {fix}")
        return layer
    return layers[0]  # a Sequential model: the first layer holds the input shape


def native_beside(path: Path) -> Path | None:
    """The model a TF.js model.json came from, beside it: a .keras or .h5 file, or a SavedModel
    folder (this folder or one under it)."""
    folder = path.parent
    for suffix in NATIVE_KERAS_SUFFIXES:
        found = sorted(folder.glob(f"*{suffix}"))
        if found:
            return found[0]
    if (folder / SAVED_MODEL_FILE).is_file():
        return folder
    found = sorted(p.parent for p in folder.glob(f"*/{SAVED_MODEL_FILE}"))
    return found[0] if found else None


def _npy_shape(inputs: Path, model_path: Path) -> tuple[int, ...]:
    import numpy as np

    try:
        array = np.load(inputs, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UserError(f"inputs file {inputs} for {model_path.name} cannot be read as .npy ({exc}): "
                        "save it with numpy.save") from None
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)) or array.size == 0:
        raise UserError(f"inputs file {inputs} holds {array.dtype} {list(array.shape)}: give numbers "
                        "(they are fed as float32)")
    return tuple(int(d) for d in array.shape)


def _fill_shape(path: Path, name: str, dims: list, given: tuple[int, ...] | None,
                npy_shape: tuple[int, ...] | None) -> tuple[int, ...]:
    """The whole input tensor's shape: the suite's, else the file's with a symbolic batch of 1 (or the
    .npy's); UserError where the file leaves other dimensions open or disagrees."""
    written = "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"
    if given is None and npy_shape is not None:  # one input of the model's rank, or several stacked
        given = npy_shape if len(npy_shape) == len(dims) else npy_shape[1:]
    if given is not None:
        if len(given) != len(dims) or any(d is not None and d != g for d, g in zip(dims, given)):
            raise UserError(f"{path}: input {name!r} is {written}, which input_shape = {list(given)} does not fit: "
                            "give the file's rank and fixed dimensions")
        shape = tuple(given)
    else:
        shape = tuple(1 if d is None and i == 0 else d for i, d in enumerate(dims))
        if None in shape:
            example = [1 if d is None and i == 0 else (d or 224) for i, d in enumerate(dims)]
            raise UserError(f"{path}: input {name!r} is {written}, with symbolic dimensions: give them in the suite, "
                            f"e.g. input_shape = {example}")
    if npy_shape is not None and npy_shape != shape and npy_shape[1:] != shape:
        raise UserError(f"inputs file for {path.name} is {list(npy_shape)}: give one input {list(shape)} or "
                        f"several stacked, [N, {', '.join(map(str, shape))}]")
    return shape

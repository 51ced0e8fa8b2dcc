"""Keras.js 1.0.3 model files, written from our weights without Keras.

Keras.js loads one protobuf message (`Model`, schema `model.proto` shipped in the package as
`lib/proto.js` and `python/model_pb2.py`) holding a Keras 2.1.2 model config as JSON and every
weight as float32 bytes named like Keras's HDF5 file (`dense_1/kernel:0`). The package's own
`encoder.py` converts an HDF5 file but cannot run on today's protobuf/h5py; the paper converted
Keras models, so we write what that converter writes, from the same weights every framework gets.

The message classes are built at run time from the schema below (protobuf's descriptor API), so
no generated code is needed; a unit test checks the schema against the one the package ships.
"""
from __future__ import annotations

import functools
import hashlib
import json
import uuid
from pathlib import Path

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

MODEL_FILE = "model.bin"       # the file Keras.js's Model({filepath}) fetches
KERAS_VERSION = "2.1.2"        # the Keras release Keras.js 1.0.3 reads (its README and demos)
KERAS_BACKEND = "tensorflow"
MODEL_NAME = "mlp"             # encoder.py names the model after its .h5 file
INPUT_NAME = "input"           # Keras.js names the input of a Sequential model "input"
# uuid5 namespace: the model id is derived from the weights, so the same weights give the same bytes.
ID_NAMESPACE = uuid.UUID("8a3c2f0e-6b1d-5e4f-9a7b-2c8d0e1f3a5b")

_F = descriptor_pb2.FieldDescriptorProto
# (name, number, type, label[, message type]) exactly as model.proto (proto3) declares them.
_SCHEMA = {
    "Weights": [
        ("layer_name", 1, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("weight_name", 2, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("shape", 3, _F.TYPE_UINT32, _F.LABEL_REPEATED),
        ("type", 4, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("data", 5, _F.TYPE_BYTES, _F.LABEL_OPTIONAL),
        ("quantize_min", 6, _F.TYPE_FLOAT, _F.LABEL_OPTIONAL),
        ("quantize_max", 7, _F.TYPE_FLOAT, _F.LABEL_OPTIONAL),
    ],
    "Model": [
        ("id", 1, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("name", 2, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("keras_version", 3, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("backend", 4, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("model_config", 5, _F.TYPE_STRING, _F.LABEL_OPTIONAL),
        ("model_weights", 6, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, ".Weights"),
    ],
}


def schema() -> descriptor_pb2.FileDescriptorProto:
    """Keras.js's model.proto as a FileDescriptorProto (package '', proto3)."""
    proto = descriptor_pb2.FileDescriptorProto(name="model.proto", syntax="proto3")
    for message_name, fields in _SCHEMA.items():
        message = proto.message_type.add(name=message_name)
        for name, number, kind, label, *type_name in fields:
            field = message.field.add(name=name, number=number, type=kind, label=label)
            if type_name:
                field.type_name = type_name[0]
    return proto


@functools.cache
def message_classes():
    """(Model, Weights) message classes, in a private pool so no other model.proto can clash."""
    pool = descriptor_pool.DescriptorPool()
    pool.Add(schema())
    return (message_factory.GetMessageClass(pool.FindMessageTypeByName("Model")),
            message_factory.GetMessageClass(pool.FindMessageTypeByName("Weights")))


def layer_names(layers) -> list[str]:
    """Keras 2 names a Sequential model's Dense layers dense_1, dense_2, ..."""
    return [f"dense_{i + 1}" for i in range(len(layers))]


def model_config(layers) -> dict:
    """What Keras 2.1.2 stores as `model_config`: {'class_name': 'Sequential', 'config': [layers]}."""
    config = []
    for i, (name, (kernel, _)) in enumerate(zip(layer_names(layers), layers)):
        layer = {"name": name, "trainable": True}
        if i == 0:
            layer.update(batch_input_shape=[None, int(kernel.shape[0])], dtype="float32")
        layer.update(
            units=int(kernel.shape[1]),
            activation="softmax" if i == len(layers) - 1 else "relu",
            use_bias=True,
            kernel_initializer={"class_name": "VarianceScaling",
                                "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
            bias_initializer={"class_name": "Zeros", "config": {}},
            kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
            kernel_constraint=None, bias_constraint=None,
        )
        config.append({"class_name": "Dense", "config": layer})
    return {"class_name": "Sequential", "config": config}


def encode(layers) -> bytes:
    """The serialized Model message for layers = [(kernel [in, out], bias [out]), ...]."""
    Model, _ = message_classes()
    blobs = []
    model = Model(name=MODEL_NAME, keras_version=KERAS_VERSION, backend=KERAS_BACKEND,
                  model_config=json.dumps(model_config(layers)))
    for name, (kernel, bias) in zip(layer_names(layers), layers):
        for param, value in (("kernel", kernel), ("bias", bias)):
            data = np.ascontiguousarray(value, dtype="<f4").tobytes()
            blobs.append(data)
            model.model_weights.add(layer_name=name, weight_name=f"{name}/{param}:0",
                                    shape=list(value.shape), type="float32", data=data)
    model.id = str(uuid.uuid5(ID_NAMESPACE, hashlib.sha256(b"".join(blobs)).hexdigest()))
    return model.SerializeToString(deterministic=True)


def decode(data: bytes):
    """The Model message in a file we (or anyone) wrote: for checks and tests."""
    Model, _ = message_classes()
    return Model.FromString(data)


def weights_of(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(kernel, bias), ...] back from a decoded Model, in layer order."""
    arrays = {w.weight_name: np.frombuffer(w.data, dtype="<f4").reshape(tuple(w.shape))
              for w in model.model_weights}
    names = [layer["config"]["name"] for layer in json.loads(model.model_config)["config"]]
    return [(arrays[f"{n}/kernel:0"], arrays[f"{n}/bias:0"]) for n in names]


def write_model(layers, folder: Path) -> None:
    """Write model.bin into folder (the Framework.write_model contract)."""
    (Path(folder) / MODEL_FILE).write_bytes(encode(layers))

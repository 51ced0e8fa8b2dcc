"""tf_keras (Keras 2) builders of every non-MLP model kind, with seeded weights.

Imported only inside the converting subprocess (models/tfjs_converter.py) and the native
TensorFlow worker: it imports TensorFlow. The TF.js converter reads Keras 2 models only
(docs/ENVIRONMENT.md), so everything here is built with `tf_keras`, never Keras 3.

* `cnn`: the TF.js MNIST example's convolutional network (tfjs-examples/mnist, 2018: conv 5x5 ->
  max-pool 2 -> conv 5x5 -> max-pool 2 -> flatten -> dense softmax, 6 layers), every convolution
  with `width` filters. `depth` counts the Keras layers (the input layer not counted): depth 6 is the
  example itself; each layer above 6 is one more Conv2D (3x3, 'same' padding, `width` filters, ReLU)
  inserted after the second max-pool (on the 4x4 feature maps), before flatten. He-normal kernels;
  the extra convolutions start near the identity (DELTA_NOISE).
* `lstm`: the TF.js text-generation example's model (tfjs-examples/lstm-text-generation):
  `depth` stacked LSTM layers of `width` units (all but the last return sequences) on one-hot
  characters [SEQUENCE_LENGTH, vocabulary], then dense softmax over the vocabulary.
* `keras:<Name>`: `tf_keras.applications.<Name>(weights=None)` (ImageNet head, 1000 classes,
  softmax), input `width` x `width` x 3.

Weights: Keras's own initializers under `tf_keras.utils.set_random_seed(seed)`, then every bias,
BatchNormalization beta/gamma and moving statistic gets a small seeded perturbation (numpy), so a
runtime that drops a bias or ignores the moving statistics fails the output check. The weights are
made once per (kind, depth, width, seed) and cached with the converted model (artifacts.py), so the
browser and native TensorFlow always load the same numbers.
"""
from __future__ import annotations

import numpy as np

# Perturbation of biases / BatchNorm parameters (added to Keras's initial values).
PERTURBATION = 0.05
# The TF.js example's initializer is varianceScaling (scale 1, fan-in); with ReLU that halves the
# activations' variance at every layer. He initialisation (scale 2) keeps it.
CNN_INITIALIZER = "he_normal"
# A plain stack of 21 more ReLU convolutions (depth 27) maps every digit to nearly the same output at
# initialisation, whatever the variance: the loss then sits at ln 10 and a few SGD steps cannot lower
# it. The extra 3x3 convolutions therefore start as the identity (delta initialisation: the centre tap
# is the identity matrix, after Xiao et al. 2018) plus this fraction of He-normal noise, so that a deep
# CNN trains like the 6-layer example. Timing does not depend on the values.
DELTA_NOISE = 0.1


def build(kind: str, depth: int, width: int, seed: int, input_shape: tuple, classes: int):
    """The tf_keras model of `kind`, its weights seeded."""
    import tf_keras

    tf_keras.backend.clear_session()
    tf_keras.utils.set_random_seed(seed)
    if kind == "cnn":
        model = build_cnn(depth, width, input_shape, classes)
    elif kind == "lstm":
        model = build_lstm(depth, width, input_shape, classes)
    elif kind.startswith("keras:"):
        model = build_application(kind.split(":", 1)[1], width)
    else:
        raise ValueError(f"no Keras builder for model kind {kind!r}")
    perturb(model, seed)
    return model


def build_cnn(depth: int, width: int, input_shape: tuple, classes: int):
    from tf_keras import Sequential, layers

    model = Sequential(name=f"cnn_{depth}x{width}")
    model.add(layers.InputLayer(input_shape=input_shape))
    model.add(layers.Conv2D(width, 5, activation="relu", kernel_initializer=CNN_INITIALIZER))
    model.add(layers.MaxPooling2D(2, strides=2))
    model.add(layers.Conv2D(width, 5, activation="relu", kernel_initializer=CNN_INITIALIZER))
    model.add(layers.MaxPooling2D(2, strides=2))
    for _ in range(depth - 6):
        model.add(layers.Conv2D(width, 3, padding="same", activation="relu", kernel_initializer=CNN_INITIALIZER))
        kernel, bias = model.layers[-1].get_weights()
        kernel = DELTA_NOISE * kernel
        kernel[1, 1] += np.eye(width, dtype=kernel.dtype)
        model.layers[-1].set_weights([kernel, bias])
    model.add(layers.Flatten())
    model.add(layers.Dense(classes, activation="softmax", kernel_initializer=CNN_INITIALIZER))
    return model


def build_lstm(depth: int, width: int, input_shape: tuple, classes: int):
    from tf_keras import Sequential, layers

    model = Sequential(name=f"lstm_{depth}x{width}")
    model.add(layers.InputLayer(input_shape=input_shape))
    for i in range(depth):
        model.add(layers.LSTM(width, return_sequences=i < depth - 1))
    model.add(layers.Dense(classes, activation="softmax"))
    return model


def build_application(name: str, size: int):
    import tf_keras

    constructor = getattr(tf_keras.applications, name)
    return constructor(weights=None, input_shape=(size, size, 3))


def preprocess(name: str, images: np.ndarray) -> np.ndarray:
    """The application's own `preprocess_input` (caffe / tf / torch modes), float32."""
    import tf_keras

    module = {"VGG16": "vgg16", "VGG19": "vgg19", "ResNet50": "resnet50", "MobileNet": "mobilenet",
              "MobileNetV2": "mobilenet_v2", "DenseNet121": "densenet", "DenseNet169": "densenet",
              "NASNetLarge": "nasnet", "Xception": "xception", "InceptionV3": "inception_v3",
              "InceptionResNetV2": "inception_resnet_v2"}[name]
    return np.asarray(getattr(tf_keras.applications, module).preprocess_input(images.astype(np.float32).copy()),
                      dtype=np.float32)


def perturb(model, seed: int) -> None:
    """Small seeded changes to biases and BatchNorm parameters (see the module's docstring)."""
    rng = np.random.default_rng([seed, 20190513])
    values = []
    for weight, value in zip(model.weights, model.get_weights()):
        name = weight.name.split("/")[-1].split(":")[0]
        if name in ("bias", "beta", "moving_mean"):
            value = value + rng.uniform(-PERTURBATION, PERTURBATION, value.shape).astype(value.dtype)
        elif name in ("gamma", "moving_variance"):
            value = value * rng.uniform(1 - PERTURBATION, 1 + PERTURBATION, value.shape).astype(value.dtype)
        values.append(value)
    model.set_weights(values)


def parameter_counts(model) -> dict:
    """Trainable / total parameters, as `summary()` counts them (the paper's Table 4 column)."""
    trainable = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    total = int(model.count_params())
    return {"params_trainable": trainable, "params_total": total, "layers": len(model.layers)}


FLOPS_METHOD = ("TensorFlow profiler float_operation of the frozen batch-1 inference graph "
                "(tf.function -> convert_variables_to_constants_v2 -> tf.compat.v1.profiler; "
                "a multiply-add counts 2)")


LSTM_FLOPS_METHOD = ("analytic: the profiler counts the LSTM's time loop (a while loop) once, not per step; "
                     "per LSTM layer 2 x 4 x units x (inputs + units) per time step x 40 steps, plus "
                     "2 x units x vocabulary for the dense layer (a multiply-add counts 2; gates' "
                     "element-wise work left out)")


def lstm_inference_flops(model) -> int:
    """FLOPs of one batch-1 forward pass of the LSTM character model (LSTM_FLOPS_METHOD)."""
    steps = model.input_shape[1]
    total = 0
    for layer in model.layers:
        kernel = layer.get_weights()[0]  # LSTM: [inputs, 4 x units]; Dense: [inputs, outputs]
        if type(layer).__name__ == "LSTM":
            units = layer.units
            total += 2 * 4 * units * (kernel.shape[0] + units) * steps
        else:
            total += 2 * kernel.shape[0] * kernel.shape[1]
    return int(total)


def inference_flops(model) -> int | None:
    """FLOPs of one batch-1 forward pass (FLOPS_METHOD); None where the profiler gives nothing."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    spec = tf.TensorSpec([1, *model.input_shape[1:]], tf.float32)
    concrete = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    frozen = convert_variables_to_constants_v2(concrete)
    graph = frozen.graph
    with graph.as_default():
        options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        options["output"] = "none"
        info = tf.compat.v1.profiler.profile(graph=graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op",
                                             options=options)
    return int(info.total_float_ops) if info is not None else None

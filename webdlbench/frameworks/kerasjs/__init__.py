"""Keras.js 1.0.3 (Leon Chen): inference only, on the CPU or in WebGL2 (its `gpu: true` mode)."""
from webdlbench.frameworks import Framework
from webdlbench.frameworks.kerasjs import writer

_BUNDLE = ("keras-js/dist/keras.min.js",)

FRAMEWORK = Framework(
    name="kerasjs",
    title="Keras.js",
    npm_package="keras-js",
    # Keras.js has one switch, Model({gpu}); with gpu it runs WebGL2 fragment shaders.
    backends={"cpu": ("infer",), "webgl": ("infer",)},
    scripts={"cpu": _BUNDLE, "webgl": _BUNDLE},
    model_format=(f"protobuf (Keras.js model.proto) holding a Keras {writer.KERAS_VERSION} Sequential "
                  "config and float32 weights named like dense_1/kernel:0, written by webdlbench's Python writer"),
    notes=("Inference only: Keras.js cannot train or save; the paper converted Keras models, webdlbench writes "
           "the same protobuf from the shared weights. webgl = Keras.js gpu mode (WebGL2); the output layer is "
           "read back inside predict (readPixels)."),
    write_model=writer.write_model,
    model_entry=writer.MODEL_FILE,
)

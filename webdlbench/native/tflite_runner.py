"""Native TFLite (LiteRT, PyPI `ai-edge-litert`): RQ4's image classifier from the .tflite file that
LiteRT.js runs in the page (models/webai/image.py writes it with TensorFlow's TFLite converter).
Its adapter is native/webai_image.py's TfliteClassifier; the interpreter is imported only there."""
from __future__ import annotations

from webdlbench.native import NativeRuntime

RUNTIME = NativeRuntime(
    name="tflite",
    title="TFLite (LiteRT)",
    python_module="ai_edge_litert",
    backends={"cpu": ("classify",)},
    notes="RQ4 only (task classify): ai_edge_litert.interpreter.Interpreter(num_threads = spec.threads), its "
          "default XNNPACK delegate, one invoke() per image, the output copied out",
    adapter="webdlbench.native.webai_image:TfliteClassifier",
    distributions=("ai-edge-litert",),
    model_format="TFLite flatbuffer (.tflite), written by TensorFlow's TFLiteConverter",
)

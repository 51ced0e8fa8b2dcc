"""Mind 1.0.1 (stevenmiller888/mind): not on npm any more; built from the authors' source at setup.

Mind's network has no biases and one activation (sigmoid or htan) on every layer, the output
included: it cannot compute the study's ReLU + softmax MLP. Training is checked as everywhere
(the loss must fall); its inference outputs are checked against `reference_forward` below, the
same function computed in numpy from the same weights, not against `mlp.forward`.
"""
from __future__ import annotations

import numpy as np

from webdlbench.frameworks import Framework
from webdlbench.frameworks.mind.bundle import MindBundle

# Mind's options: 'sigmoid', or anything else, which means htan (tanh, Mind's default). Sigmoid
# outputs lie in (0, 1) like the one-hot targets, and Mind's own README example uses it.
ACTIVATOR = "sigmoid"


def reference_forward(layers, x: np.ndarray, activator: str = ACTIVATOR) -> np.ndarray:
    """What Mind computes from our weights: act(... act(x W0) ... W_L), biases dropped, float64."""
    act = (lambda v: 1.0 / (1.0 + np.exp(-v))) if activator == "sigmoid" else np.tanh
    h = np.asarray(x, dtype=np.float64)
    for kernel, _bias in layers:
        h = act(h @ kernel.astype(np.float64))
    return h


FRAMEWORK = Framework(
    name="mind",
    title="Mind",
    npm_package="node-mind",
    backends={"cpu": ("train", "infer")},
    scripts={"cpu": ()},  # the page loads /userlib/mind.js: the bundle built at setup, or --lib mind=PATH
    model_format=("JSON: {activator, hiddenLayers, weights: mind.download()} (Mind's own download/upload of "
                  "its node-matrix weight matrices)"),
    notes=("Not on npm: built at setup from the authors' source (../shared/vendor/mind: Mind 1.0.1, htan, "
           "htan-prime) with its other dependencies from npm, by esbuild; `--lib mind=PATH` runs another build "
           "(any script defining a global Mind). Pure JavaScript on nested arrays of doubles (node-matrix): cpu "
           "only, no GPU or wasm backend, no threads. Mind is vectorized: one batch is one learn(64 examples) "
           "with iterations 1, a full-batch gradient step. Its cost is the squared error 1/2 sum (y - output)^2 "
           "summed over the examples (no cross-entropy), so its learningRate is the study's rate / batch; the "
           "loss recorded is the mean squared error Mind emits with its 'data' event. Mind updates each layer "
           "before back-propagating through it (the deltas of lower layers use the already-updated weights "
           "above), a small departure from the exact gradient. Mind has no biases and applies its activator "
           "(sigmoid here; htan is the other) to every layer, the output included: ReLU and softmax do not "
           "exist in it, so it computes a different function from the same weights; its outputs are checked "
           "against mind.reference_forward (sigmoid layers without biases, numpy float64), which Mind "
           "matches to ~1e-16."),
    options={"activator": ACTIVATOR},
    model_entry="model.json",
    user_bundle=True,
    local_build=MindBundle(),
    reference=reference_forward,
)

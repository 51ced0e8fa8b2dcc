"""Mind (stevenmiller888/mind): not on npm any more; a user-supplied bundle (--lib mind=PATH).

Mind's network has no biases and one activation (sigmoid or htan) on every layer, the output
included: it cannot compute the study's ReLU + softmax MLP. Training is checked as everywhere
(the loss must fall); its inference outputs equal `reference_forward` below, not `mlp.forward`.
"""
from __future__ import annotations

import numpy as np

from webdlbench.frameworks import Framework

ACTIVATOR = "sigmoid"  # Mind's options: 'sigmoid' or anything else, which means htan (tanh)


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
    adapter="mind.js",
    backends={"cpu": ("train", "infer")},
    scripts={"cpu": ()},  # the page loads /userlib/mind.js, the file given with --lib mind=PATH
    model_format="JSON: {options, weights: mind.download()} (Mind's download/upload of its weight matrices)",
    notes=("User-supplied bundle: it must define a global `Mind` (e.g. `browserify index.js -s Mind` on "
           "stevenmiller888/mind, the mathjs version with the hiddenLayers option). Mind is vectorized: one "
           "batch is one learn() call with iterations 1, a full-batch gradient step (learning rate / batch, as "
           "Mind sums over the examples); the loss is the mean squared error Mind emits with its 'data' event. "
           "Mind has no biases and applies its activator (sigmoid here) to every layer, the output "
           "included: ReLU and softmax do not exist in it, so its inference outputs differ from the study's "
           "reference by design; they equal mind.reference_forward (sigmoid layers without biases)."),
    options={"activator": ACTIVATOR},
    model_entry="model.json",
    user_bundle=True,
    reference=reference_forward,
    unavailable_reason="not on npm (node-mind is gone); pass --lib mind=PATH to a bundle of stevenmiller888/mind",
)

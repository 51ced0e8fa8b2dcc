"""synaptic 1.1.4 (architecture-free networks): Architect.Perceptron, cpu only, per-sample updates."""
from webdlbench.frameworks import Framework

FRAMEWORK = Framework(
    name="synaptic",
    title="synaptic",
    npm_package="synaptic",
    backends={"cpu": ("train", "infer")},
    scripts={"cpu": ("synaptic/dist/synaptic.min.js",)},
    model_format="JSON: JSON.stringify(network.toJSON()) (synaptic's own serializer: every neuron and connection)",
    notes=("A batch is 64 online updates: synaptic updates per sample (network.activate then "
           "network.propagate, one weight update each). Hidden neurons squash with Neuron.squash.RELU; synaptic "
           "has no softmax, so output neurons use IDENTITY and the adapter applies softmax to their 10 values "
           "(in predict, inside the timed call) and trains softmax + cross-entropy through propagate's target "
           "(target' = one-hot - softmax + output, so synaptic's output error target' - output is the "
           "cross-entropy gradient); the loss is the cross-entropy of synaptic's outputs. Very slow: budgets "
           "(time_budget_s) cut pages short and the batches reached are kept."),
)

"""brain.js 1.6.1: NeuralNetwork (cpu, per-sample updates) and its gpu.js twin NeuralNetworkGPU (webgl).

brain.js 1.x applies one activation to every layer, output included, and has no softmax: the cpu
adapter subclasses NeuralNetwork so that the last layer is dense + softmax (see the adapter and
docs/frameworks.md); hidden layers, backpropagation and weight updates are brain.js's own code.
"""
from webdlbench.frameworks import Framework

FRAMEWORK = Framework(
    name="brainjs",
    title="brain.js",
    npm_package="brain.js",
    backends={"cpu": ("train", "infer"), "webgl": ("train",)},
    scripts={
        "cpu": ("brain.js/browser.min.js",),
        # GPU mode breaks in the minified build ("'t' : no matching overloaded function found").
        "webgl": ("brain.js/browser.js",),
    },
    model_format="JSON: JSON.stringify(net.toJSON()) (brain.js's own serializer; one JSON object per weight row)",
    notes=("A batch is 64 online updates: brain.js 1.x trains per sample, so one timed batch is "
           "net.train(64 samples, {iterations: 1}), which updates the weights after every sample; the loss "
           "is the training error it reports (mean squared error of the outputs). brain.js has no softmax: "
           "the cpu model is a NeuralNetwork subclass whose output layer is dense + softmax (hidden layers, "
           "backpropagation and updates are brain.js's); momentum is 1e-12 because brain.js refuses 0. "
           "webgl: stock NeuralNetworkGPU (browser.js, gpu.js mode 'webgl') with sigmoid on every layer, output "
           "included: its relu kernels do not compile in 1.6.1 (gpu.js: 'Unknown ast type : "
           "ConditionalExpression'), and its kernels have no softmax; train only."),
    # momentum: brain.js validates 0 < momentum < 1, so plain SGD is approximated by 1e-12.
    # gpu_activation: the only activations whose gpu.js kernels compile in brain.js 1.6.1 are
    # sigmoid and tanh (relu and leaky-relu use ?: which gpu.js 1.x cannot translate).
    options={"momentum": 1e-12, "gpu_activation": "sigmoid"},
)

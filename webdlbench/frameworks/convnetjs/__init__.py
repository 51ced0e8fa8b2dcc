"""ConvNetJS 0.3 (Karpathy): pure JavaScript, cpu only."""
from webdlbench.frameworks import Framework

FRAMEWORK = Framework(
    name="convnetjs",
    title="ConvNetJS",
    npm_package="convnetjs",
    backends={"cpu": ("train", "infer")},
    scripts={"cpu": ("convnetjs/build/convnet-min.js",)},
    model_format="JSON: JSON.stringify(net.toJSON())",
    notes="Training: convnetjs.Trainer (SGD) updates once every 64 per-sample calls, i.e. one batch.",
)

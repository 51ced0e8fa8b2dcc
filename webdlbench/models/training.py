"""Training policy: the SGD learning rate of a training spec, the same in the page and natively
(both sides do plain SGD on the same weights and batches), and what one training step costs.

Each model kind names its rate rule (models/kinds.py, `ModelKind.learning_rate_rule`): one of the
functions below, (base, depth, width) -> rate."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webdlbench.models.kinds import ModelKind

LEARNING_RATE = 0.1  # plain SGD; large enough that the loss falls visibly within a few batches
CNN_REFERENCE_FILTERS = 8  # the TF.js MNIST example's first convolution: the CNN's rate is `base` there
CNN_EXAMPLE_LAYERS = 5     # the example's layers before its sixth: depth 6 is one "convolution step"
# One SGD step costs the forward pass plus two products of the same size (the gradients of the
# weights and of the layer's input): 3 x forward per sample (analysis/peak.py's FLOP rule).
TRAIN_FORWARD_MULTIPLE = 3


def base_rate(base: float, depth: int, width: int) -> float:
    """`base` whatever the size (the LSTM, and the Keras applications, which never train here)."""
    return base


def rate_per_root_depth(base: float, depth: int, width: int) -> float:
    """The MLP: base / sqrt(depth). Every hidden layer's step adds to the change of the output,
    and at the full rate the loss of the 8 x 256 MLP spiked near batch 20 (in every framework) and
    the 16 x 256 one did not fall in 3 batches; with the scaled rate the loss fell over 4, 6, 10 and
    23 batches at every depth 1-16 x width 64-512 of paper-gap-dnn (PyTorch, same weights and batches)."""
    return base / math.sqrt(depth)


def rate_per_filters_and_convolutions(base: float, depth: int, width: int) -> float:
    """The CNN: `base` at the TF.js example's own size (8 filters, 6 layers) and proportionally less
    with more filters and more convolutions: a convolution's weight gradient sums over every
    position of its feature map and the dense layer's fan-in is 16 x width, so a fixed rate
    overshoots at width 200-800 (seen: the loss rose from 2.4 to 8.4 at 0.1 with 200 filters, to 4.3
    at 0.01 with 800), and the near-identity extra layers (keras_models.DELTA_NOISE) add up their
    steps (to 10.4 at 0.004, depth 27 x 200). With this rate the training check passed on the first
    three batches at every size tried (6x8, 6x200, 6x800, 9x400, 15x400, 27x200, 27x800)."""
    return base * CNN_REFERENCE_FILTERS / width / (depth - CNN_EXAMPLE_LAYERS)


def learning_rate(kind: "ModelKind", depth: int, width: int, base: float = LEARNING_RATE) -> float:
    """The SGD rate of a training spec of `kind`, by the kind's own rule."""
    return kind.learning_rate_rule(base, depth, width)

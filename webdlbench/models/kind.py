"""A model kind: what `depth` and `width` mean, its data, which runtimes run it, its reference and
tolerances (the fields models/kinds.py fills in for each kind). Its own module so that packages
adding kinds (models/webai/) build on it without importing the registry that lists them."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from webdlbench.checks import OUTPUT_ATOL
from webdlbench.models import training
from webdlbench.models.datasets import DATASETS


@dataclass(frozen=True)
class ModelKind:
    name: str
    network: str                 # Table 5's row (DNN, CNN, RNN), or APPLICATION_NETWORK
    title: str
    depth_means: str
    width_means: str
    data: str                    # its data: a name in models/datasets.py (mnist, text, image)
    flat_input: bool = False     # reads each input flattened (the MLP: 784 values, not 28x28x1)
    tasks: tuple[str, ...] = ("train", "infer")
    # Where its model files come from: False, each framework builds and saves the model from our
    # weights (the MLP); True, the TF.js converter makes them once (models/artifacts.py).
    converted: bool = False
    browser_frameworks: tuple[str, ...] | None = None  # None: every framework
    native_runtimes: tuple[str, ...] | None = None     # None: every runtime
    reference: str = "numpy"     # where the reference outputs come from: numpy or tensorflow
    min_depth: int = 1
    min_width: int = 1
    fixed_depth: int | None = None    # the only depth (fixed architectures); filled in when omitted
    default_width: int | None = None  # filled in when a grid omits width
    # Output check (checks.py): |output - reference| <= output_atol + output_rtol * |reference| per
    # output (numpy.allclose's rule; the MLP keeps the absolute 1e-4 against float64 numpy). For the
    # converted kinds the reference is TensorFlow's float32: softmax outputs range from ~1e-3 (the
    # near-uniform guesses of randomly initialised networks: 1000 or 96 classes) to ~1 (saturated);
    # a relative tolerance keeps the check as strict for the small ones as for the large ones.
    output_atol: float = OUTPUT_ATOL
    output_rtol: float = 0.0
    # (base, depth, width) -> the SGD rate of a training spec (models/training.py)
    learning_rate_rule: Callable[[float, int, int], float] = training.base_rate
    # (depth, width) -> FLOPs of one sample's forward pass, counted from the shape (analysis/peak.py);
    # None: the converter counts them and each result records them in its model facts
    forward_flops: Callable[[int, int], int] | None = None

    def input_shape(self, depth: int, width: int) -> tuple[int, ...]:
        """One input's shape: its data's sample, flattened for a kind that reads it flat."""
        shape = DATASETS[self.data].sample_shape(width)
        return (math.prod(shape),) if self.flat_input else shape

    def classes(self) -> int:
        return DATASETS[self.data].classes()

    def problem(self, depth: int, width: int) -> str:
        """'' when (depth, width) is a model of this kind, else what is wrong, in one phrase."""
        if self.fixed_depth is not None and depth != self.fixed_depth:
            return f"{self.name} has one architecture: depth must be {self.fixed_depth} (or left out)"
        if depth < self.min_depth:
            return f"{self.name} needs depth >= {self.min_depth} ({self.depth_means})"
        if width < self.min_width:
            return f"{self.name} needs width >= {self.min_width} ({self.width_means})"
        return ""

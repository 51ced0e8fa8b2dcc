"""Today's web-AI stack (RQ4): model kinds of the transformer era, made locally with their real
architectures and the official exporters, measured on today's runtimes against native.

| kind | network | depth | width | what runs |
|---|---|---|---|---|
| encoder:bert-tiny | Transformer encoder | layers (2, fixed) | sequence length (tokens) | BERT-Tiny geometry: hidden 128, 2 heads |
| encoder:MiniLM-L6 | Transformer encoder | layers (6, fixed) | sequence length (tokens) | MiniLM-L6 geometry: hidden 384, 12 heads |

An encoder's task is `embed`: one sequence of `width` token ids (batch 1, no padding) in, its
mean-pooled last hidden state out. Weights are random (seeded) — no hub download exists here, and
timing does not depend on weight values — but the architecture, the tokenizer (WordPiece, trained
here on a local corpus: corpus.py) and the ONNX file (optimum's exporter) are the real ones, so
transformers.js, ONNX Runtime Web, ONNX Runtime and PyTorch (transformers) all run the same files.
How a model is made: build.py (a subprocess); where it is cached: artifacts.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The registry (models/kinds.py) lists these kinds beside its own; they build on its ModelKind.
from webdlbench.models.kind import ModelKind

ENCODER_NETWORK = "Transformer encoder"
# Tasks of this family (spec.TASKS has them too): what the page and native worker run for them.
TASKS = ("embed",)
# The output check of `embed`: every embedding's cosine similarity with PyTorch's (fp32, same
# weights and ids) at least this (the bar; seen here: 0.99999994 for ONNX Runtime).
MIN_COSINE = 0.999
# Runtimes that run these kinds, browser and native (everything else: unsupported, with why).
BROWSER_RUNTIMES = ("transformersjs", "onnxruntime_web")
NATIVE_RUNTIMES = ("pytorch", "onnxruntime")


@dataclass(frozen=True)
class Geometry:
    """A BERT-family encoder's shape (the fields of transformers.BertConfig)."""

    layers: int
    hidden: int
    heads: int
    intermediate: int
    max_positions: int = 512


@dataclass(frozen=True)
class WebAIKind(ModelKind):
    """A model kind of RQ4: made by build.py, not by the TF.js converter."""

    family: str = "encoder"
    geometry: Geometry = field(default=Geometry(2, 128, 2, 512))

    @property
    def max_width(self) -> int:
        return self.geometry.max_positions

    def problem(self, depth: int, width: int) -> str:
        found = super().problem(depth, width)
        if found:
            return found
        if width > self.max_width:
            return f"{self.name} takes at most {self.max_width} tokens (width is the sequence length)"
        return ""


def _encoder(name: str, title: str, geometry: Geometry) -> WebAIKind:
    return WebAIKind(
        name=name, network=ENCODER_NETWORK, title=title,
        depth_means=f"{geometry.layers}: transformer layers (one fixed architecture)",
        width_means="sequence length in tokens (batch 1, no padding)", data="text-ids",
        tasks=TASKS, browser_frameworks=BROWSER_RUNTIMES, native_runtimes=NATIVE_RUNTIMES,
        reference="pytorch", min_width=4, fixed_depth=geometry.layers, default_width=128,
        family="encoder", geometry=geometry)


KINDS: dict[str, WebAIKind] = {k.name: k for k in (
    # BERT-Tiny (Turc et al. 2019): the smallest published BERT; here the CI-sized encoder.
    _encoder("encoder:bert-tiny", "BERT-Tiny encoder (2 layers, hidden 128)", Geometry(2, 128, 2, 512)),
    # all-MiniLM-L6-v2's geometry: the sentence-embedding model web developers reach for first.
    _encoder("encoder:MiniLM-L6", "MiniLM-L6 encoder (6 layers, hidden 384)", Geometry(6, 384, 12, 1536)),
)}


def owns(kind: ModelKind) -> bool:
    """True for the kinds of this package (their files and replicates are made here)."""
    return isinstance(kind, WebAIKind)


def unsupported_reason(kind: WebAIKind, who: str, runtime: str) -> str:
    """'' when `who` (a browser framework or a native runtime) runs this kind, else why not."""
    allowed = BROWSER_RUNTIMES if runtime == "browser" else NATIVE_RUNTIMES
    if who in allowed:
        return ""
    return (f"{who} does not run the {kind.title}: it is a transformers model exported to ONNX, which "
            f"{', '.join(allowed)} ({runtime}) load here")


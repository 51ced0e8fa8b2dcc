"""The data a model kind is fed, as both sides see it: one input's shape, the classes, the training
batches and what a page's job says about them. A kind names its data (models/kinds.py); nothing
else asks which data it is.

| data | one input | classes | training batches | added to the page's job |
|---|---|---|---|---|
| mnist | 28x28x1 digit | 10 | MNIST digits (mnist.py) | nothing: every job has the digit files |
| text | 40 one-hot characters | the corpus's vocabulary | windows of corpus.py | the token file's URL and sizes |
| image | width x width x 3 photo | 1000 (ImageNet) | none: inference only | nothing: the inputs come with the artifact |

Batch `number` (0-based) holds training examples [i*B .. (i+1)*B) modulo the training set, exactly
as the page's cursor walks it (web/harness.js), so that the page and the native worker train on the
same rows in the same order.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from webdlbench.models import corpus, mnist

if TYPE_CHECKING:
    from webdlbench.models.kinds import ModelKind

MNIST_SHAPE = (28, 28, 1)  # one digit; the MLP reads it flat (784 values)
MNIST_CLASSES = 10
IMAGENET_CLASSES = 1000    # the Keras applications' head


def _no_page_data(cache_dir: Path) -> dict:
    return {}


@dataclass(frozen=True)
class Dataset:
    name: str
    sample_shape: Callable[[int], tuple[int, ...]]  # the model's width -> one input's shape
    classes: Callable[[], int]
    # (batch size, batch number) -> inputs [B, *sample_shape] and labels uint8 [B]; None: inference only
    batch: Callable[[int, int], tuple[np.ndarray, np.ndarray]] | None
    # the cache folder -> additions to the page job's `data` (URLs under /data/, files written there)
    page_data: Callable[[Path], dict] = _no_page_data


def _cursor(batch: int, number: int, count: int) -> np.ndarray:
    return (np.arange(batch) + number * batch) % count


def _mnist_batch(batch: int, number: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = mnist.load_digits()
    rows = _cursor(batch, number, mnist.TRAIN_COUNT)
    return x[rows].reshape(batch, *MNIST_SHAPE), y[rows]


def _text_batch(batch: int, number: int) -> tuple[np.ndarray, np.ndarray]:
    return corpus.windows(_cursor(batch, number, corpus.train_windows()))


def _text_page_data(cache_dir: Path) -> dict:
    path = corpus.write_tokens(Path(cache_dir))
    return {"kind": "text", "tokens": "/data/" + path.name, "vocabulary": len(corpus.vocabulary()),
            "sequence_length": corpus.SEQUENCE_LENGTH, "step": corpus.STEP, "train_count": corpus.train_windows()}


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("mnist", sample_shape=lambda width: MNIST_SHAPE, classes=lambda: MNIST_CLASSES, batch=_mnist_batch),
    Dataset("text", sample_shape=lambda width: (corpus.SEQUENCE_LENGTH, len(corpus.vocabulary())),
            classes=lambda: len(corpus.vocabulary()), batch=_text_batch, page_data=_text_page_data),
    Dataset("image", sample_shape=lambda width: (width, width, 3), classes=lambda: IMAGENET_CLASSES, batch=None),
)}


def training_batch(kind: "ModelKind", batch: int, number: int) -> tuple[np.ndarray, np.ndarray]:
    """Batch `number` of the kind's training data: inputs float32 [B, *input_shape], labels uint8 [B]."""
    data = DATASETS[kind.data]
    if data.batch is None:
        raise ValueError(f"{kind.name} has no training data (inference only)")
    x, y = data.batch(batch, number)
    return x.reshape(batch, *kind.input_shape(0, 0)), y


def page_data(kind: "ModelKind", cache_dir: Path) -> dict:
    """Additions to the page job's `data` for the kind's training loop (URLs under /data/)."""
    return DATASETS[kind.data].page_data(Path(cache_dir))

"""The text corpus of the RNN (LSTM character model), available offline.

The paper trained the TF.js text-generation example on Nietzsche's writings; that file is
downloaded at run time from a bucket and no package ships it. The same example offers four texts
(Nietzsche, Jules Verne, Shakespeare, and "TensorFlow.js code"); the last is the only one a package
we already install ships: we read the unminified TensorFlow.js Layers bundle from the npm package
`@tensorflow/tfjs-layers`, which `npm ci` installs at the exact version of package-lock.json (it is
a dependency of @tensorflow/tfjs 4.22.0), so the text is byte-for-byte the same on every machine.
It is JavaScript with its JSDoc comments (English prose). We take its first CORPUS_CHARS characters,
the size of the example's Nietzsche text (600,893 characters), so the number of training windows
is the paper's. Timing depends on the vocabulary size (the width of the one-hot input and of the
softmax) and the sequence length, which are recorded with every result.

Windows follow the example: SEQUENCE_LENGTH characters starting every STEP characters, the label is
the next character. The first TRAIN_WINDOWS windows train; the reference inputs of the inference check
are the REFERENCE_COUNT windows right after them.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from webdlbench.errors import UserError
from webdlbench.paths import NODE_MODULES

CORPUS_PACKAGE = "@tensorflow/tfjs-layers"
CORPUS_FILE = f"{CORPUS_PACKAGE}/dist/tf-layers.js"
CORPUS_CHARS = 600_893        # the length of the TF.js / Keras examples' nietzsche.txt
SEQUENCE_LENGTH = 40          # the example's sampleLen
STEP = 3                      # the example's sampleStep
REFERENCE_COUNT = 8           # held-out windows checked at inference, as the MNIST digits


@lru_cache(maxsize=1)
def load_text(node_modules: Path = NODE_MODULES) -> str:
    path = node_modules / CORPUS_FILE
    if not path.is_file():
        raise UserError(f"the RNN corpus {path} is missing: run `npm ci` in the project root")
    return path.read_text(encoding="utf-8")[:CORPUS_CHARS]


@lru_cache(maxsize=1)
def vocabulary() -> str:
    """The sorted distinct characters of the corpus (the one-hot width and the softmax width)."""
    return "".join(sorted(set(load_text())))


@lru_cache(maxsize=1)
def tokens() -> np.ndarray:
    """The corpus as uint8 indices into `vocabulary()`."""
    vocab = vocabulary()
    if len(vocab) > 256:
        raise ValueError(f"corpus vocabulary of {len(vocab)} characters does not fit uint8 tokens")
    index = {c: i for i, c in enumerate(vocab)}
    return np.fromiter((index[c] for c in load_text()), dtype=np.uint8, count=len(load_text()))


def window_count() -> int:
    return (len(tokens()) - SEQUENCE_LENGTH - 1) // STEP + 1


def train_windows() -> int:
    return window_count() - REFERENCE_COUNT


def windows(indices) -> tuple[np.ndarray, np.ndarray]:
    """One-hot inputs float32 [n, SEQUENCE_LENGTH, V] and next-character labels uint8 [n]."""
    t = tokens()
    starts = np.asarray(indices, dtype=np.int64) * STEP
    positions = starts[:, None] + np.arange(SEQUENCE_LENGTH)[None, :]
    x = np.zeros((len(starts), SEQUENCE_LENGTH, len(vocabulary())), dtype=np.float32)
    np.put_along_axis(x, t[positions][..., None].astype(np.int64), 1.0, axis=2)
    return x, t[starts + SEQUENCE_LENGTH].copy()


def reference_inputs() -> np.ndarray:
    start = train_windows()
    return windows(range(start, start + REFERENCE_COUNT))[0]


def describe() -> dict:
    """What the results record about the corpus."""
    text = load_text()
    return {"corpus": f"{CORPUS_FILE} (npm), first {len(text)} characters",
            "corpus_sha256": hashlib.sha256(text.encode()).hexdigest(), "vocabulary": len(vocabulary()),
            "sequence_length": SEQUENCE_LENGTH, "step": STEP, "windows": window_count()}


def write_tokens(folder: Path) -> Path:
    """The token file the page fetches (uint8, one per character), written once."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(tokens().tobytes()).hexdigest()[:12]
    path = folder / f"corpus-{digest}.u8"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(tokens().tobytes())
        tmp.replace(path)
    return path

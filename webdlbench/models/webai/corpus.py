"""The text the RQ4 tokenizers are trained on and their reference inputs are cut from, offline.

No hub tokenizer can be downloaded here, so each model's tokenizer is trained with `tokenizers` on
text every install has: the README.md files of the npm packages `npm ci` installs (English prose
with code, at the exact versions of package-lock.json) and the TensorFlow.js core bundle's JSDoc
(the same kind of text the LSTM's corpus, models/corpus.py, uses). Files are read in sorted order,
so the corpus is byte-for-byte the same wherever the lockfile is; its sha256 is part of every
artifact's cache key (artifacts.py).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from webdlbench.errors import UserError
from webdlbench.paths import NODE_MODULES

# README.md files at most this deep under node_modules (a package's own, or a scoped package's).
README_DEPTH = 3
EXTRA_FILES = ("@tensorflow/tfjs-core/dist/tf-core.js",)
# Where in the corpus the reference sequences start (a fraction of its tokens): the same text for
# every length, away from the first README's boilerplate.
REFERENCE_START = 0.5


def files(node_modules: Path = NODE_MODULES) -> list[Path]:
    """The corpus files, in the order they are concatenated."""
    readmes = sorted(p for p in node_modules.glob("**/README.md")
                     if len(p.relative_to(node_modules).parts) <= README_DEPTH)
    extra = [node_modules / name for name in EXTRA_FILES]
    missing = [p for p in extra if not p.is_file()]
    if missing or not readmes:
        raise UserError(f"the tokenizer corpus ({missing[0] if missing else 'README.md files'} under "
                        f"{node_modules}) is missing: run `npm ci` in the project root")
    return [*readmes, *extra]


@lru_cache(maxsize=1)
def text(node_modules: Path = NODE_MODULES) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in files(node_modules))


def lines(node_modules: Path = NODE_MODULES) -> list[str]:
    """The corpus as the trainer reads it: its non-blank lines."""
    return [line for line in text(node_modules).splitlines() if line.strip()]


def sha256(node_modules: Path = NODE_MODULES) -> str:
    return hashlib.sha256(text(node_modules).encode()).hexdigest()

"""Which of the files a page uploaded while saving a model are the model.

A framework's serializer uploads its entry file (model.json) and, in TF.js's format, the weight
files its `weightsManifest` names. Those are the model; anything else a page sends along is not
kept, so it can neither count toward `model_file_bytes` nor be loaded by the measured pages.
"""
from __future__ import annotations

import json
import posixpath


class NoEntryFile(ValueError):
    """The page uploaded files, but not the model's entry file."""


def model_files(uploaded: dict[str, bytes], entry: str) -> dict[str, bytes]:
    """The uploaded files that make the model whose entry file is `entry`."""
    if entry not in uploaded:
        raise NoEntryFile(f"the page uploaded {', '.join(sorted(uploaded)) or 'nothing'} but not {entry}")
    wanted = {entry} | _weight_files(uploaded[entry])
    return {name: data for name, data in uploaded.items() if name in wanted}


def _weight_files(entry_bytes: bytes) -> set[str]:
    """The files a TF.js model.json's weightsManifest names (none for other formats)."""
    try:
        manifest = json.loads(entry_bytes)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return set()
    groups = manifest.get("weightsManifest") if isinstance(manifest, dict) else None
    if not isinstance(groups, list):
        return set()
    return {posixpath.normpath(path) for group in groups if isinstance(group, dict)  # "./x.bin" is x.bin
            for path in (group.get("paths") or []) if isinstance(path, str)}

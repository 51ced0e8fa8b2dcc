"""The ONNX steps the RQ4 model makers share (decoder.py, image.py, build.py): optimum's exporter
run on a transformers model folder, and the opset an ONNX file was written for. Its own module so
that the makers need not import build.py, which imports them."""
from __future__ import annotations

import shutil
from pathlib import Path


def export_into(folder: Path, out: Path, task: str) -> None:
    """optimum's exporter for `task`, with its own validation against PyTorch, run on the model
    folder; its model.onnx moved into folder/onnx/ (the rest it writes are copies of the folder's files)."""
    from optimum.exporters.onnx import main_export

    main_export(str(folder), output=str(out / "export"), task=task, do_validation=True, local_files_only=True)
    (folder / "onnx").mkdir()
    (out / "export" / "model.onnx").replace(folder / "onnx" / "model.onnx")
    shutil.rmtree(out / "export")


def onnx_opset(path: Path) -> int:
    """The default-domain opset an ONNX file imports (its weights are not read)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))

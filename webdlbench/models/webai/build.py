"""Making an RQ4 model, in a subprocess of its own (`python -m webdlbench.models.webai.build`, a JSON
job on stdin; artifacts.py starts it): transformers, tokenizers, optimum and torch are imported
here only, never by the sweep itself.

Three actions:
  model      train the tokenizer on the local corpus (corpus.py), build the architecture with seeded
             random weights, save it as transformers does (config.json, model.safetensors, the
             tokenizer files) and export it with optimum's ONNX exporter (onnx/model.onnx, checked
             by the exporter against PyTorch); writes manifest.json with the model's facts
  reference  for one sequence length: an encoder's REFERENCE_COUNT token-id sequences cut from the
             corpus (ids.i32) and PyTorch's fp32 mean-pooled embeddings of them (reference.f32); a
             decoder's prompt (ids.i32) and PyTorch's greedy generation from it (tokens.i32:
             decoder.py)
  gguf       a decoder's GGUF file of a weight type (f32, q8_0), by llama.cpp's own converter
             (gguf_converter.py fetches it)
  onnx_type  an encoder's ONNX file in another weight type (q8: ONNX Runtime's dynamic int8
             quantisation; fp16: ONNX Runtime's float16 converter, inputs and outputs kept as they are)
  forced     a quantised decoder's check: PyTorch fp32 forced along each generation a runtime
             made (decoder.forced_top1), its top-1 tokens into forced.json
An image classifier's `model` action makes its files and its reference at once (image.py).

A failure is written to failure.json with the library's own words (the spec's outcome).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from webdlbench.models import artifacts as converted  # versions(), as the converted kinds record them
from webdlbench.models.webai.exporters import onnx_opset

# Environment the libraries need here: no TensorFlow import by transformers, no hub access.
LIBRARY_ENVIRONMENT = {"USE_TF": "0", "TRANSFORMERS_NO_TF": "1", "HF_HUB_OFFLINE": "1",
                       "TOKENIZERS_PARALLELISM": "false"}
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# The vocabulary size of the real MiniLM/BERT WordPiece; the trainer stops earlier when the corpus
# has no more merges to offer (the manifest records the size reached).
TARGET_VOCABULARY = 30522
REFERENCE_COUNT = 4  # sequences per length whose embeddings are checked (as the MNIST digits)
VERSIONED = ("torch", "transformers", "tokenizers", "sentencepiece", "optimum", "optimum-onnx", "onnx", "onnxruntime")
# An image classifier's makers besides (models/webai/image.py); the text models' keys leave them out.
IMAGE_VERSIONED = (*VERSIONED, "tensorflow-cpu", "tf-keras", "tensorflowjs", "tf2onnx")


def main() -> int:
    job = json.loads(sys.stdin.read())
    out = Path(job["out"])
    os.environ.update(LIBRARY_ENVIRONMENT)
    try:
        {"model": make_model, "reference": make_reference, "gguf": make_gguf, "forced": make_forced,
         "onnx_type": make_onnx_type}[job["action"]](job, out)
    except Exception as exc:  # the library's own words are the outcome; stderr keeps the trace
        traceback.print_exc()
        (out / "failure.json").write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
    return 0


def train_tokenizer():
    """A BERT WordPiece tokenizer trained on the local corpus, as transformers' fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    from webdlbench.models.webai import corpus

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(corpus.lines(), trainers.WordPieceTrainer(
        vocab_size=TARGET_VOCABULARY, special_tokens=SPECIAL_TOKENS, show_progress=False))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tokenizer.decoder = decoders.WordPiece()
    return BertTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                             sep_token="[SEP]", mask_token="[MASK]", model_max_length=512)


def make_model(job: dict, out: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    from webdlbench.models.webai import corpus
    from webdlbench.models.webai.kinds import KINDS

    kind = KINDS[job["kind"]]
    if kind.family == "image":
        from webdlbench.models.webai import image

        facts = image.make_model(kind, job, out)
        manifest = {"kind": kind.name, "seed": job["seed"], "width": job["width"], "family": kind.family,
                    "facts": facts, "versions": converted.versions(IMAGE_VERSIONED)}
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        return
    if kind.family == "decoder":
        from webdlbench.models.webai import decoder

        facts = decoder.make_model(kind, job["seed"], out)
        manifest = {"kind": kind.name, "seed": job["seed"], "family": kind.family, "facts": facts,
                    "versions": converted.versions(VERSIONED)}
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        return
    geometry = kind.geometry
    started = time.perf_counter()
    tokenizer = train_tokenizer()
    tokenizer_s = time.perf_counter() - started
    torch.manual_seed(job["seed"])
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=geometry.hidden, num_hidden_layers=geometry.layers,
                        num_attention_heads=geometry.heads, intermediate_size=geometry.intermediate,
                        max_position_embeddings=geometry.max_positions)
    model = BertModel(config).eval()  # with its pooler, as the published checkpoints: loads with no new weights
    folder = out / "model"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    started = time.perf_counter()
    onnx_files = export_onnx(folder, out / "export")
    export_s = time.perf_counter() - started
    (folder / "onnx").mkdir()
    (out / "export" / "model.onnx").replace(folder / "onnx" / "model.onnx")
    shutil.rmtree(out / "export")  # the rest: copies of the model folder's own files
    manifest = {
        "kind": kind.name, "seed": job["seed"], "family": kind.family,
        "facts": {"parameters": int(sum(p.numel() for p in model.parameters())),
                  "encoder_parameters": int(sum(p.numel() for n, p in model.named_parameters() if not n.startswith("pooler"))),
                  "vocabulary": len(tokenizer), "layers": geometry.layers, "hidden": geometry.hidden,
                  "heads": geometry.heads, "intermediate": geometry.intermediate,
                  "max_positions": geometry.max_positions, "onnx_opset": onnx_opset(folder / "onnx" / "model.onnx"),
                  "onnx_outputs": onnx_files, "exporter": "optimum.exporters.onnx (task feature-extraction)",
                  "tokenizer": f"WordPiece trained here by tokenizers on {len(corpus.files())} local files",
                  "corpus_sha256": corpus.sha256(), "tokenizer_s": tokenizer_s, "export_s": export_s},
        "versions": converted.versions(VERSIONED),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


def export_onnx(folder: Path, out: Path) -> list[str]:
    """optimum's exporter, with its own validation against PyTorch; the files it wrote."""
    from optimum.exporters.onnx import main_export

    main_export(str(folder), output=str(out), task="feature-extraction", do_validation=True,
                local_files_only=True)
    return sorted(p.name for p in out.iterdir())


def reference_ids(tokenizer, length: int, count: int = REFERENCE_COUNT) -> np.ndarray:
    """`count` sequences of exactly `length` ids: [CLS], consecutive corpus tokens, [SEP]."""
    from webdlbench.models.webai import corpus

    lines = corpus.lines()
    body = length - 2
    tokens: list[int] = []
    for line in lines[int(len(lines) * corpus.REFERENCE_START):]:
        tokens += tokenizer(line, add_special_tokens=False)["input_ids"]
        if len(tokens) >= count * body:
            break
    if len(tokens) < count * body:
        raise ValueError(f"the corpus has too few tokens for {count} sequences of {length}")
    rows = [[tokenizer.cls_token_id, *tokens[i * body:(i + 1) * body], tokenizer.sep_token_id] for i in range(count)]
    return np.asarray(rows, dtype=np.int32)


def make_gguf(job: dict, out: Path) -> None:
    from webdlbench.models.webai import decoder

    facts = decoder.make_gguf(Path(job["model_dir"]), out, Path(job["converter"]), job.get("weight_type", "f32"))
    (out / "gguf.json").write_text(json.dumps(facts))


def make_onnx_type(job: dict, out: Path) -> None:
    """The exported onnx/model.onnx in another weight type, as out/<file_name>, and its facts."""
    import onnx

    source, target, weight_type = Path(job["onnx_file"]), out / job["file_name"], job["weight_type"]
    started = time.perf_counter()
    if weight_type == "q8":  # what transformers.js's q8 files are: weights int8, activations quantised at run time
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        how = "onnxruntime.quantization.quantize_dynamic (weights QInt8, per tensor)"
    elif weight_type == "fp16":
        from onnxruntime.transformers.float16 import convert_float_to_float16

        onnx.save(convert_float_to_float16(onnx.load(source), keep_io_types=True), target)
        how = "onnxruntime.transformers.float16.convert_float_to_float16 (keep_io_types: float32 in and out)"
    else:
        raise ValueError(f"no ONNX weight type {weight_type!r}")
    ops = sorted({node.op_type for node in onnx.load(target).graph.node})
    (out / "onnx_type.json").write_text(json.dumps({
        "weight_type": weight_type, "file": job["file_name"], "bytes": target.stat().st_size, "made_by": how,
        "op_types": ops, "seconds": time.perf_counter() - started, "versions": converted.versions(("onnx", "onnxruntime"))}))


def make_forced(job: dict, out: Path) -> None:
    from webdlbench.models.webai import decoder

    tops = decoder.forced_top1(Path(job["model_dir"]), job["ids"], job["sequences"])
    (out / "forced.json").write_text(json.dumps({"top1": tops, "source": "pytorch fp32 forced decoding"}))


def make_reference(job: dict, out: Path) -> None:
    import torch
    from transformers import AutoTokenizer, BertModel

    if job.get("family") == "decoder":
        from webdlbench.models.webai import decoder

        decoder.make_reference(Path(job["model_dir"]), job["width"], job["generated"], out)
        return
    folder = Path(job["model_dir"])
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = reference_ids(tokenizer, job["width"])
    torch.set_num_threads(1)
    model = BertModel.from_pretrained(folder).eval()
    with torch.inference_mode():
        rows = [mean_pooled(model, torch, row) for row in ids]
    ids.astype("<i4").tofile(out / "ids.i32")
    np.asarray(rows, dtype="<f4").tofile(out / "reference.f32")
    (out / "reference.json").write_text(json.dumps({"count": len(ids), "length": int(ids.shape[1]),
                                                    "hidden": len(rows[0]), "source": "pytorch fp32"}))


def mean_pooled(model, torch, ids: np.ndarray) -> np.ndarray:
    """PyTorch's embedding of one sequence: the mask-weighted mean of the last hidden state."""
    input_ids = torch.tensor(np.asarray(ids, dtype=np.int64)[None, :])
    mask = torch.ones_like(input_ids)
    hidden = model(input_ids=input_ids, attention_mask=mask, token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    return pooled[0].numpy()


if __name__ == "__main__":
    sys.exit(main())

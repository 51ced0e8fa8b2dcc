"""Making an RQ4 decoder (a Llama LLM), inside build.py's subprocess: the tokenizer, the model in
three files (transformers' own, optimum's ONNX export with its KV cache, llama.cpp's GGUF), and the
reference generation every runtime's tokens must equal.

* Tokenizer: SentencePiece BPE (as Llama's), trained here on the local corpus (corpus.py) with
  `byte_fallback=False` — a byte token in the output crashes wllama's generation — and saved as
  transformers' LlamaTokenizerFast (tokenizer.json for transformers.js, tokenizer.model for GGUF).
* Weights: seeded random with `initializer_range` INIT_RANGE instead of Llama's 0.02. At 0.02 a
  random Llama's greedy output collapses to one token repeated 128 times, which any runtime would
  "match"; at INIT_RANGE it produces ~128 distinct tokens whose top-2 logits are 1e-2 apart at the
  closest (recorded with the reference), far above float32's differences between runtimes.
* The reference: PyTorch's `generate` (greedy, min_new_tokens = max_new_tokens: EOS masked) from a
  prompt of BOS + corpus tokens.
"""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np

INIT_RANGE = 0.2
TARGET_VOCABULARY = 32000  # Llama 2's and llama2.c's stories models'
BOS, EOS, UNK = 1, 2, 0
# The llama.cpp converter runs in its own process (its gguf-py must not meet another gguf).
CONVERT_TIMEOUT_S = 1200


def train_tokenizer(folder: Path):
    import sentencepiece as spm
    from transformers import LlamaTokenizerFast

    from webdlbench.models.webai import corpus

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus.lines()), model_writer=model, vocab_size=TARGET_VOCABULARY, model_type="bpe",
        byte_fallback=False, character_coverage=1.0, bos_id=BOS, eos_id=EOS, unk_id=UNK, pad_id=-1,
        num_threads=1, max_sentence_length=100_000, hard_vocab_limit=False, minloglevel=2)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.model").write_bytes(model.getvalue())
    # add_prefix_space: the leading "▁" SentencePiece (and so llama.cpp) puts before the first word;
    # without it transformers' fast tokenizer gives another first id than the GGUF runtimes.
    return LlamaTokenizerFast(vocab_file=str(folder / "tokenizer.model"), legacy=False, add_prefix_space=True,
                              add_bos_token=True, add_eos_token=False)


def make_model(kind, seed: int, out: Path) -> dict:
    """Tokenizer, weights, transformers' files and the ONNX export into out/model; the facts."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    from webdlbench.models.webai import corpus

    geometry = kind.geometry
    folder = out / "model"
    started = time.perf_counter()
    tokenizer = train_tokenizer(folder)
    tokenizer_s = time.perf_counter() - started
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=geometry.hidden, intermediate_size=geometry.intermediate,
                         num_hidden_layers=geometry.layers, num_attention_heads=geometry.heads,
                         num_key_value_heads=geometry.heads, max_position_embeddings=geometry.max_positions,
                         bos_token_id=BOS, eos_token_id=EOS, tie_word_embeddings=True, initializer_range=INIT_RANGE)
    model = LlamaForCausalLM(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    GenerationConfig(bos_token_id=BOS, eos_token_id=EOS).save_pretrained(folder)
    started = time.perf_counter()
    from webdlbench.models.webai.exporters import export_into

    export_into(folder, out, "text-generation-with-past")
    return {"parameters": int(sum(p.numel() for p in model.parameters())), "vocabulary": len(tokenizer),
            "layers": geometry.layers, "hidden": geometry.hidden, "heads": geometry.heads,
            "intermediate": geometry.intermediate, "max_positions": geometry.max_positions,
            "initializer_range": INIT_RANGE, "tied_embeddings": True,
            "exporter": "optimum.exporters.onnx (task text-generation-with-past: one model.onnx with its KV cache)",
            "tokenizer": f"SentencePiece BPE (byte_fallback off) trained here on {len(corpus.files())} local files",
            "corpus_sha256": corpus.sha256(), "tokenizer_s": tokenizer_s, "export_s": time.perf_counter() - started}


def make_gguf(model_dir: Path, out: Path, converter: Path, weight_type: str = "f32") -> dict:
    """llama.cpp's converter, to this weight type (its --outtype: f32, q8_0), into
    out/model-<type>.gguf; what it says when it fails."""
    target = out / f"model-{weight_type}.gguf"
    from webdlbench import subprocesses

    env = subprocesses.python_environment()  # build.main has set the libraries' environment already
    started = time.perf_counter()
    done = subprocesses.run_python_sync([str(converter), str(model_dir), "--outtype", weight_type, "--outfile", str(target)],
                                        env, CONVERT_TIMEOUT_S)
    if done.timed_out:
        raise RuntimeError(f"llama.cpp's convert_hf_to_gguf.py took over {CONVERT_TIMEOUT_S} s")
    if done.returncode != 0 or not target.is_file():
        raise RuntimeError(f"llama.cpp's convert_hf_to_gguf.py {done.how}: {done.stderr_tail(1500)}")
    version = (converter.parent / "VERSION").read_text().strip() if (converter.parent / "VERSION").is_file() else "?"
    return {"gguf": target.name, "gguf_type": weight_type, "gguf_converter": f"convert_hf_to_gguf.py from {version}",
            "gguf_s": time.perf_counter() - started}


def prompt(tokenizer, length: int) -> tuple[str, np.ndarray]:
    """A prompt of `length` ids — BOS, then corpus text — and its text, which every tokenizer must
    turn back into the same ids: the corpus with its whitespace runs collapsed (llama.cpp and
    SentencePiece tokenize those alike), cut where decoding and encoding again round-trips."""
    from webdlbench.models.webai import corpus

    lines = corpus.lines()
    words = " ".join(" ".join(line.split()) for line in lines[int(len(lines) * corpus.REFERENCE_START):][:2000])
    tokens = tokenizer(words, add_special_tokens=False)["input_ids"]
    for start in range(len(tokens) - length):
        body = tokens[start:start + length - 1]
        text = tokenizer.decode(body)
        if tokenizer(text, add_special_tokens=False)["input_ids"] == body:
            return text, np.asarray([BOS, *body], dtype=np.int32)
    raise ValueError(f"no stretch of the corpus gives a prompt of {length} tokens that round-trips")


def make_reference(model_dir: Path, length: int, generated: int, out: Path) -> None:
    """PyTorch's greedy generation from the prompt, with the top-2 logit gaps along the way."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    import sentencepiece as spm

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    text, ids = prompt(tokenizer, length)
    own = [BOS, *spm.SentencePieceProcessor(model_file=str(model_dir / "tokenizer.model")).encode(text)]
    if own != ids.tolist():  # the GGUF runtimes tokenize the text as SentencePiece does
        raise ValueError("transformers' tokenizer and SentencePiece's give different ids for the prompt")
    torch.set_num_threads(1)
    model = LlamaForCausalLM.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        input_ids = torch.from_numpy(ids.astype(np.int64))[None, :]
        result = model.generate(input_ids, attention_mask=torch.ones_like(input_ids), do_sample=False,
                                max_new_tokens=generated, min_new_tokens=generated, output_scores=True,
                                return_dict_in_generate=True, pad_token_id=EOS)
    tokens = result.sequences[0, len(ids):].numpy().astype(np.int32)
    gaps = [float(torch.topk(s[0].float(), 2).values.diff().abs()[0]) for s in result.scores]
    ids.astype("<i4").tofile(out / "ids.i32")
    (out / "prompt.txt").write_text(text)  # what runtimes that take text (wllama) are given
    tokens.astype("<i4").tofile(out / "tokens.i32")
    (out / "reference.json").write_text(json.dumps({
        "count": 1, "length": int(len(ids)), "generated": int(len(tokens)), "source": "pytorch fp32 generate (greedy)",
        "eos": EOS, "min_top2_gap": min(gaps), "distinct_tokens": int(len(set(tokens.tolist())))}))


def forced_top1(model_dir: Path, ids: list[int], sequences: list[list[int]]) -> list[list[int]]:
    """PyTorch fp32 forced along each sequence: the prompt and the sequence but its last token in,
    the top-1 token (EOS masked, as every generation here) after the prompt and after each prefix
    out — what the fp32 model would have chosen where the sequence's runtime chose its token."""
    import torch
    from transformers import LlamaForCausalLM

    torch.set_num_threads(1)
    model = LlamaForCausalLM.from_pretrained(model_dir).eval()
    tops = []
    with torch.inference_mode():
        for sequence in sequences:
            input_ids = torch.tensor([list(ids) + list(sequence[:-1])], dtype=torch.int64)
            logits = model(input_ids=input_ids).logits[0, len(ids) - 1:].float()
            logits[:, EOS] = -float("inf")
            tops.append([int(t) for t in logits.argmax(-1)])
    return tops

"""The output checks of RQ4's tasks, against PyTorch's reference (build.py, decoder.py). Each can
fail on real data, and says where.

embed     every embedding of every replicate — both visits' outputs and the first inference — has
          a cosine similarity of at least MIN_COSINE with PyTorch's. The reference sequences' own
          embeddings are less alike than that (cross_input_max_cosine, recorded), so an embedding
          of the wrong input fails.
          A quantised encoder's file (q8, fp16) is held to less: each embedding's cosine with
          PyTorch's fp32 one must exceed the largest cosine between two reference inputs' fp32
          embeddings (nearer its own input's than to another's); its cosine is reported.
generate  every generation of every replicate (warm-up included) is exactly PyTorch's greedy
          tokens, all GENERATED_TOKENS of them (fp32): fewer tokens, or one token different, fails
          with the first position where it differs.
generate, a quantised decoder (kinds.py): its greedy tokens may leave fp32's, and no two builds of
          llama.cpp round its 8-bit arithmetic alike, so no exact sequence is expected. Instead
          PyTorch's fp32 model is forced along every generation the runtime made (the prompt and
          the generation fed in) and its top-1 token (EOS masked) read at every position: the
          share of positions where the runtime chose fp32's token — top-1 agreement under forced
          decoding — must be at least MIN_QUANTISED_TOP1 (another model or prompt agrees at
          chance); every generation must still have all GENERATED_TOKENS. The agreement, and how
          many greedy tokens equal fp32's before the first difference, are reported.
classify  every image's class outputs of every replicate equal the native reference's (Keras's for
          MobileNetV2, PyTorch's for ViT) within the kind's tolerance: |out - ref| <= atol +
          rtol |ref| for every class (kinds.py says why each). The reference outputs of two
          different images differ by far more (cross_input_min_max_abs, recorded with the reference),
          so the output of the wrong image, layout or preprocessing fails.
embed, classify: an output with a NaN or an infinity, or an embedding of zeros, fails before any
          comparison: its cosine is undefined and NaN compares false, so it would otherwise pass
          (ORT Web's WebGPU fp16 encoder "passed" with a minimum cosine of 1.0 this way).
"""
from __future__ import annotations

import numpy as np

from webdlbench.models.webai.kinds import MIN_COSINE, MIN_QUANTISED_TOP1


def cosines(outputs, reference: np.ndarray) -> np.ndarray:
    got = np.asarray(outputs, dtype=np.float64)
    want = reference[: len(got)]
    return (got * want).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))


def _output_sets(replies: list[dict]) -> list[list]:
    """Every output list of every replicate: the warm visit's, the cold visit's, the first one."""
    sets = []
    for reply in replies:
        sets += [reply.get("outputs") or [], reply.get("cold_outputs", reply.get("outputs")) or [],
                 [reply.get("warmup_output") or []]]
    return sets


def _unusable(outputs: np.ndarray, what: str, zeros_fail: bool) -> str | None:
    """Why these outputs cannot be compared at all, or None: NaN or infinity anywhere, or (for an
    embedding, whose direction is what is checked) a row of zeros."""
    bad = ~np.isfinite(outputs)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        return f"{what} {row} has {outputs[row, col]} at position {col} ({int(bad.sum())} values not finite)"
    if zeros_fail:
        empty = np.flatnonzero(~outputs.any(axis=1))
        if empty.size:
            return f"{what} {empty[0]} is all zeros ({empty.size} of {len(outputs)}): no direction to compare"
    return None


def check_embeddings(replies: list[dict], reference: np.ndarray, quantised: bool = False) -> dict:
    """Cosine similarity with PyTorch's embeddings; a quantised file's must only be nearer its own
    input's than any two inputs' embeddings are to each other (module docstring)."""
    worst, max_abs = 1.0, 0.0
    for outputs in _output_sets(replies):
        shapes = {len(row) for row in outputs}
        if not outputs or shapes != {reference.shape[1]}:
            return {"passed": False, "reason": f"embeddings of lengths {sorted(shapes) or 'none'}, the reference "
                                               f"{reference.shape[1]}"}
        got = np.asarray(outputs, dtype=np.float64)
        unusable = _unusable(got, "embedding", zeros_fail=True)
        if unusable:
            return {"passed": False, "reason": unusable, "replicates_checked": len(replies)}
        worst = min(worst, float(np.min(cosines(got, reference))))
        max_abs = max(max_abs, float(np.max(np.abs(got - reference[: len(got)]))))
    normed = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    cross = normed @ normed.T
    cross_max = float(np.max(cross[~np.eye(len(cross), dtype=bool)])) if len(cross) > 1 else None
    if quantised and cross_max is None:
        return {"passed": False, "reason": "one reference input: no second input's embedding to be nearer than"}
    required = cross_max if quantised else MIN_COSINE
    check = {"passed": worst > required if quantised else worst >= required, "min_cosine": worst,
             "min_cosine_required": required, "max_abs_error": max_abs, "replicates_checked": len(replies),
             "cross_input_max_cosine": cross_max}
    if not check["passed"]:
        check["reason"] = (f"an embedding's cosine similarity with PyTorch's fp32 one is {worst:.6f}, no nearer than "
                           f"two different inputs' embeddings ({cross_max:.6f})" if quantised else
                           f"an embedding's cosine similarity with PyTorch's is {worst:.6f} (< {MIN_COSINE})")
    return check


def check_generations(replies: list[dict], reference: np.ndarray) -> dict:
    """Every generation equals PyTorch's greedy tokens, all of them (module docstring)."""
    want = [int(t) for t in reference[0]]
    generations = 0
    for outputs in _output_sets(replies):
        for got in outputs:
            generations += 1
            got = [int(t) for t in got]
            if got == want:
                continue
            if len(got) < len(want) and got == want[:len(got)]:
                return {"passed": False, "reason": f"generated {len(got)} tokens, {len(want)} asked (EOS ignored)",
                        "tokens_expected": len(want)}
            where = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            return {"passed": False, "tokens_expected": len(want), "first_difference": where,
                    "reason": f"token {where} of a generation is {got[where] if where < len(got) else 'missing'}, "
                              f"PyTorch's greedy token is {want[where] if where < len(want) else 'none'} "
                              f"({len(got)} tokens generated)"}
    return {"passed": generations > 0, "generations_checked": generations, "tokens_each": len(want),
            "replicates_checked": len(replies),
            **({} if generations else {"reason": "no generation to check"})}


def generations(replies: list[dict]) -> list[list[int]]:
    """Every distinct generation of every replicate (warm-up and cold visits included), in order."""
    seen = {}
    for outputs in _output_sets(replies):
        for got in outputs:
            seen.setdefault(tuple(int(t) for t in got), None)
    return [list(g) for g in seen]


def check_quantised_generations(replies: list[dict], reference: np.ndarray, fp32_top1: dict) -> dict:
    """A quantised decoder's generations: full length, and top-1 agreement with PyTorch's fp32
    model forced along each (`fp32_top1`: generation tuple -> fp32's top-1 at each position;
    module docstring)."""
    want = [int(t) for t in reference[0]]
    agreements, prefixes = [], []
    for got in generations(replies):
        if len(got) != len(want):
            return {"passed": False, "tokens_expected": len(want),
                    "reason": f"generated {len(got)} tokens, {len(want)} asked (EOS ignored)"}
        top = fp32_top1.get(tuple(got))
        if not isinstance(top, list) or len(top) != len(got):
            return {"passed": False, "reason": "no fp32 forced decoding of a generation to compare with"}
        agreements.append(float(np.mean([a == b for a, b in zip(got, top)])))
        prefixes.append(next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), len(want)))
    if not agreements:
        return {"passed": False, "reason": "no generation to check"}
    worst = min(agreements)
    check = {"passed": worst >= MIN_QUANTISED_TOP1, "top1_agreement": worst, "top1_agreements": agreements,
             "min_top1_agreement": MIN_QUANTISED_TOP1, "greedy_tokens_equal": min(prefixes),
             "distinct_generations": len(agreements), "tokens_each": len(want), "replicates_checked": len(replies),
             "forced_by": "pytorch fp32"}
    if not check["passed"]:
        check["reason"] = (f"at {1 - worst:.1%} of {len(want)} positions a generation's token is not PyTorch fp32's "
                           f"top-1 under forced decoding (agreement {worst:.1%} < {MIN_QUANTISED_TOP1:.0%}: not "
                           f"the same model or input)")
    return check


def check_classes(replies: list[dict], reference: np.ndarray, kind) -> dict:
    """Every image's outputs within the kind's tolerance of the reference's (module docstring);
    whether every top-1 class agrees is recorded beside it."""
    atol, rtol = kind.output_atol, kind.output_rtol
    worst_abs, images, top1 = 0.0, 0, True
    for outputs in _output_sets(replies):
        shapes = {len(row) for row in outputs}
        if not outputs or shapes != {reference.shape[1]}:
            return {"passed": False, "reason": f"outputs of lengths {sorted(shapes) or 'none'}, the reference "
                                               f"{reference.shape[1]}"}
        got = np.asarray(outputs, dtype=np.float64)
        unusable = _unusable(got, "image", zeros_fail=False)
        if unusable:
            return {"passed": False, "reason": unusable, "atol": atol, "rtol": rtol}
        want = reference[: len(got)]
        error = np.abs(got - want)
        excess = error - (atol + rtol * np.abs(want))
        images += len(got)
        worst_abs = max(worst_abs, float(np.max(error)))
        top1 = top1 and bool((got.argmax(1) == want.argmax(1)).all())
        if np.max(excess) > 0:
            image, cls = np.unravel_index(np.argmax(excess), excess.shape)
            return {"passed": False, "max_abs_error": worst_abs, "atol": atol, "rtol": rtol,
                    "reason": f"class {cls} of image {image} is {got[image, cls]:.8g}, the reference's "
                              f"{want[image, cls]:.8g} (tolerance {atol:g} + {rtol:g} x |reference|)"}
    return {"passed": images > 0, "max_abs_error": worst_abs, "atol": atol, "rtol": rtol, "top1_agrees": top1,
            "images_checked": images, "replicates_checked": len(replies),
            **({} if images else {"reason": "no output to check"})}

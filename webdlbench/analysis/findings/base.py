"""What every finding's rule shares: verdicts and how parts combine, the data a rule reads, number
formatting, which rows are ok, model classes, and what kind of GPU a backend ran on."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from webdlbench.analysis import compare, gap, paper
from webdlbench.analysis.findings.rules import FILL, LINKS, RULES
from webdlbench.analysis.stats import fmt
from webdlbench.software_gpu import webgl_is_software, webgpu_is_software
from webdlbench.spec import HEADLINE

HOLDS, DIFFERS, NOT_TESTED = "holds", "differs", "not tested here"
PARTLY, INCONCLUSIVE = "partly tested", "inconclusive"
VERDICTS = (HOLDS, PARTLY, DIFFERS, INCONCLUSIVE, NOT_TESTED)
GPU_BACKENDS = ("webgl", "webgpu", "gpu")
MORE_REPLICATES = "more replicates (raise the suite's `replicates`/`max_replicates`, or its `precision`)"
# Model classes (the paper's claims are per class where it measured several): Table 5's network
# types, and the pre-trained architectures of Table 4 / Figure 5.
PRETRAINED = "pre-trained"
CLASS_NAMES = {"DNN": "MLPs", "CNN": "CNNs", "RNN": "LSTMs", PRETRAINED: "pre-trained models"}


@dataclass(frozen=True)
class Evidence:
    text: str
    link: str = ""   # the report anchor (table or figure) the numbers come from


@dataclass
class Part:
    verdict: str
    how: str
    fill: str = ""   # when not tested / inconclusive: what would decide it (default: the finding's suite)


@dataclass
class Finding:
    number: int
    name: str
    claim: str
    rule: str
    verdict: str
    how: str
    evidence: list[Evidence] = field(default_factory=list)
    fill: str = ""
    link: str = ""


@dataclass
class FindingData:
    """What one environment measured: its summary frame (stats.summary_frame rows, browser and
    native), the replicate medians behind it (compare.replicate_medians: the unit of every test),
    the browser's fingerprint, and the stored survey facts (None when none) with the survey's time."""

    summary: pd.DataFrame
    fingerprint: dict = field(default_factory=dict)
    survey: dict | None = None
    replicates: pd.DataFrame | None = None
    survey_time: float | None = None

    def __post_init__(self):
        self.lookup = compare.Replicates(self.replicates)


def combine(parts: list[Part]) -> tuple[str, str]:
    """The finding's verdict from its parts, and the parts' explanations. A claim is a conjunction:
    any part that differs makes it differ; it holds only when every part holds; a holding part
    beside parts not tested or undecided makes it partly tested, never holds."""
    verdicts = [p.verdict for p in parts]
    if DIFFERS in verdicts:
        verdict = DIFFERS
    elif verdicts and all(v == HOLDS for v in verdicts):
        verdict = HOLDS
    elif HOLDS in verdicts:
        verdict = PARTLY
    elif INCONCLUSIVE in verdicts:
        verdict = INCONCLUSIVE
    else:
        verdict = NOT_TESTED
    return verdict, " ".join(p.how for p in parts)


def tally(supports: int, contradicts: int, total: int) -> str:
    """A part's verdict from units (specs, pairs, series) each of which supports the claim,
    contradicts it, or is undecided: holds when more than half support it, differs when at least
    half contradict it, inconclusive otherwise; not tested without units."""
    if total == 0:
        return NOT_TESTED
    if 2 * supports > total:
        return HOLDS
    if 2 * contradicts >= total:
        return DIFFERS
    return INCONCLUSIVE


def counted(supports: int, contradicts: int, total: int, yes: str, no: str) -> str:
    """'3 of 5 yes, 1 of 5 no, 1 undecided' for a part's explanation."""
    undecided = total - supports - contradicts
    text = f"{supports} of {total} {yes}, {contradicts} {no}"
    return text + (f", {undecided} undecided" if undecided else "")


def finding(number: int, parts: list[Part], evidence: list[Evidence]) -> Finding:
    claim = paper.TABLE6[number - 1]
    verdict, how = combine(parts)
    fills = [p.fill or (MORE_REPLICATES if p.verdict == INCONCLUSIVE else FILL[number])
             for p in parts if p.verdict in (NOT_TESTED, INCONCLUSIVE)]
    return Finding(number, claim.name, claim.finding, RULES[number], verdict, how, evidence,
                   fill="; ".join(dict.fromkeys(fills)), link=LINKS[number])


# -- formatting -----------------------------------------------------------------------------------------
def ci_text(row, unit: str = "ms") -> str:
    """'4.20 ms (95% CI 4.10–4.30, 5 replicates)' from a summary row (n samples where the row has
    no replicate count)."""
    replicates = row.get("replicates") if hasattr(row, "get") else None
    counted_as = (f"{int(replicates)} replicate{'s' * (int(replicates) != 1)}"
                  if replicates is not None and not pd.isna(replicates) else f"n = {int(row['n'])}")
    return f"{fmt(row['median'])} {unit} (95% CI {fmt(row['ci_low'])}–{fmt(row['ci_high'])}, {counted_as})"


def label(row) -> str:
    fw = str(row["framework"])
    return f"{fw} (native)/{row['backend']}" if row.get("runtime") == "native" else f"{fw}/{row['backend']}"


# -- rows ---------------------------------------------------------------------------------------------
def ok_rows(summary: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    rows = summary[(summary["outcome"] == "ok") & (summary["n"] > 0)]
    return rows if metric is None else rows[rows["metric"] == metric]


def headline(summary: pd.DataFrame) -> pd.DataFrame:
    rows = ok_rows(summary)
    return rows[rows["metric"] == rows["task"].map(HEADLINE)]


def is_pretrained(model: str) -> bool:
    """A pre-trained architecture (Table 4, Figure 5, e.g. keras:MobileNetV2): any model whose
    network type (analysis/gap.py) is not one of Table 5's factor networks (DNN, CNN, RNN)."""
    return gap.NETWORK_TYPES.get(model, model) not in paper.TABLE5


def model_class(model: str) -> str:
    """DNN, CNN, RNN (Table 5's network types) or pre-trained."""
    return PRETRAINED if is_pretrained(model) else gap.NETWORK_TYPES[model]


# -- GPUs -----------------------------------------------------------------------------------------------
# Renderer words of integrated graphics (sharing the CPU's memory) and of standalone cards.
INTEGRATED_WORDS = ("intel(r) uhd", "intel(r) hd", "intel uhd", "intel hd", "iris", "apple", "mali", "adreno",
                    "powervr", "radeon(tm) graphics", "radeon graphics", "tegra", "videocore")
STANDALONE_WORDS = ("nvidia", "geforce", "quadro", "radeon rx", "radeon pro", "instinct", "intel(r) arc",
                    "intel arc")
INTEGRATED, STANDALONE, SOFTWARE, UNKNOWN = "integrated", "standalone", "software", "unknown"


def hardware_gpu(fingerprint: dict, backend: str) -> tuple[bool, str]:
    """(the backend runs on a hardware GPU, what the fingerprint says)."""
    if backend == "webgpu":
        adapter = fingerprint.get("webgpu_adapter")
        if not adapter:
            return False, "no WebGPU adapter"
        text = f"WebGPU adapter {adapter.get('vendor') or '?'} / {adapter.get('architecture') or '?'}"
        software = webgpu_is_software(fingerprint)
        return (not software), text + (" (software fallback)" if software else "")
    renderer = str(fingerprint.get("webgl_renderer") or "")
    if not renderer:
        return False, "no WebGL renderer recorded"
    software = webgl_is_software(fingerprint)
    return (not software), f"WebGL renderer {renderer}" + (" (software)" if software else "")


def gpu_kind(fingerprint: dict, backend: str) -> tuple[str, str]:
    """(integrated / standalone / software / unknown, what the fingerprint says) for a GPU backend:
    software when it is no hardware GPU; otherwise from the adapter's own type where the browser
    reports one, else from the renderer's words (Intel UHD/Iris, Apple, Mali, Adreno … are
    integrated; NVIDIA, Radeon RX/Pro, Intel Arc are standalone)."""
    hardware, text = hardware_gpu(fingerprint, backend)
    if not hardware:
        return SOFTWARE, text
    adapter = fingerprint.get("webgpu_adapter") or {}
    reported = str(adapter.get("type") or "").lower()
    if "integrated" in reported:
        return INTEGRATED, f"{text} (the adapter says: {adapter['type']})"
    if "discrete" in reported:
        return STANDALONE, f"{text} (the adapter says: {adapter['type']})"
    words = f"{fingerprint.get('webgl_renderer') or ''} {adapter.get('vendor') or ''}".lower()
    if any(w in words for w in INTEGRATED_WORDS):
        return INTEGRATED, f"{text} (integrated graphics)"
    if any(w in words for w in STANDALONE_WORDS):
        return STANDALONE, f"{text} (a standalone card)"
    return UNKNOWN, f"{text} (integrated or standalone: not known)"


def gpu_rows(rows: pd.DataFrame, fingerprint: dict, kinds: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """The rows whose backend ran on a GPU of one of `kinds`, and what each backend ran on."""
    keep, said = [], []
    for backend in sorted(rows["backend"].unique()):
        kind, text = gpu_kind(fingerprint, backend)
        said.append(f"{backend}: {text}")
        if kind in kinds:
            keep.append(backend)
    return rows[rows["backend"].isin(keep)], said


def native_reference(native: pd.DataFrame) -> pd.DataFrame:
    """Per configuration, TensorFlow's row if there is one, else the first other native framework's."""
    order = native.assign(_pref=(native["framework"] != "tensorflow").astype(int))
    keys = ["model", "task", "depth", "width", "batch", "seed"]
    return order.sort_values(["_pref", "framework", "threads"]).drop_duplicates(keys).drop(columns="_pref")


def side(row: dict, suffix: str) -> dict:
    """The median, CI and counts of the other side of a merged pair (columns with `suffix`)."""
    keys = ["median", "ci_low", "ci_high", "n", "replicates"]
    return {k: row[k + suffix] for k in keys if k + suffix in row}

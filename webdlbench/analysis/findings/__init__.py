"""The paper's eight findings (Table 6) judged from measurements: one module per finding (or pair of
findings), each rule stated in words in `rules.RULES` and applied to the summary frame and the
replicate medians of one environment (the browser's results plus native results from the same
machine). Pure functions; no I/O.

Every judgement returns a `Finding`: the paper's claim, the rule, a verdict — holds, partly tested
(a holding part beside parts not tested or undecided), differs, inconclusive (data present, tests
undecided) or not tested here — how the data led there, and the numbers that bear on it, each
linked to the report's table or figure it comes from. Comparisons are tests between sets of
replicates (analysis/compare.py), never two medians side by side.
"""
from __future__ import annotations

from webdlbench.analysis.findings.base import (DIFFERS, HOLDS, INCONCLUSIVE, NOT_TESTED, PARTLY, VERDICTS, Evidence,
                                               Finding, FindingData, Part, ci_text, combine, fmt, gpu_kind,
                                               hardware_gpu, is_pretrained, model_class, tally)
from webdlbench.analysis.findings.complexity import judge_model_complexity
from webdlbench.analysis.findings.encoding import judge_file_encoding
from webdlbench.analysis.findings.gpu import judge_gpu_vs_native_cpu, judge_gpu_vs_native_gpu
from webdlbench.analysis.findings.loading import judge_model_loading
from webdlbench.analysis.findings.resources import judge_resources
from webdlbench.analysis.findings.rules import FILL, LINKS, RULES
from webdlbench.analysis.findings.stack import judge_call_stack
from webdlbench.analysis.findings.support import framework_capabilities, judge_task_support, last_publish

__all__ = ["DIFFERS", "HOLDS", "INCONCLUSIVE", "NOT_TESTED", "PARTLY", "VERDICTS", "Evidence", "Finding", "FindingData",
           "Part", "FILL", "LINKS", "RULES", "ci_text", "combine", "fmt", "framework_capabilities", "gpu_kind",
           "hardware_gpu", "is_pretrained", "judge_all", "last_publish", "model_class", "tally"]


def judge_all(data: FindingData, formats: dict[str, str]) -> list[Finding]:
    """The eight findings of Table 6, in order."""
    return [judge_task_support(data), judge_model_complexity(data), judge_model_loading(data),
            judge_gpu_vs_native_gpu(data), judge_gpu_vs_native_cpu(data), judge_file_encoding(data, formats),
            judge_call_stack(data), judge_resources(data)]

"""RQ3, the gap between the browser and native (paper §5): pre-trained models (Table 4, Figure 5),
then the factor analysis (Table 5, Figure 6), the ratio tables and the GEMM-peak efficiency."""
from __future__ import annotations

from webdlbench.report.data import ReportData
from webdlbench.report.document import Part
from webdlbench.report.sections import gap, pretrained


def part(data: ReportData) -> Part:
    ratios = gap.all_ratios(data)
    return Part("rq3", "RQ3: How big is the gap between the browser and native?",
                "Paper §5: TensorFlow.js against native TensorFlow (and here also PyTorch and ONNX Runtime) on the "
                "same machine, the same weights and the same inputs.",
                [pretrained.table4_section(data), pretrained.figure5_section(data), gap.table5_section(data, ratios),
                 gap.figure6_section(data), gap.ratios_section(data, ratios), gap.peak_section(data)])

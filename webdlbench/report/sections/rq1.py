"""RQ1, what the frameworks offer (paper §3): Table 1 from the survey stored with
`webdlbench survey --store`, the paper's values beside (or, without a survey, alone)."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from webdlbench.analysis import paper, survey
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Part, Section, Table

PAPER_ROWS = {  # the paper's row keys and labels, in its order
    "stars": "GitHub stars", "contributor": "Main contributor", "last_commit": "Last commit date",
    "status": "Status", "training": "Support for training", "DNN": "Network type DNN", "CNN": "Network type CNN",
    "RNN": "Network type RNN", "layers": "Layer types", "activations": "Activation types",
    "optimizers": "Optimizer types", "gpu": "GPU acceleration (WebGL)", "documents": "Documents", "demos": "Demos",
    "import_tensorflow": "Imports models from TensorFlow", "import_keras": "Imports models from Keras",
    "import_caffe_pytorch": "Imports models from Caffe & PyTorch", "save": "API to save a model",
    "load": "API to load a model", "node": "Runs in Node.js", "size": "Library size",
}


def part(data: ReportData) -> Part:
    return Part("rq1", "RQ1: What do the frameworks offer?",
                "Paper §3: the features each JavaScript framework provides, probed on this machine.",
                [table1_section(data)])


def table1_section(data: ReportData) -> Section:
    section = Section("table1", "Table 1: framework characteristics")
    if not data.survey:
        section.empty = ("No survey stored: run `webdlbench survey --store STORE` (the store this report reads) to "
                         "regenerate this table here. The paper's values are shown alone until then.")
        frame = paper_table()
        section.files["table1_paper.csv"] = frame.reset_index()
        section.tables.append(_table(frame, caption=f"As printed in the paper ({paper.TABLE1_SOURCE}, as of "
                                                    "Nov. 2018)"))
        return section
    facts = data.survey["facts"]
    frame = survey.build_table(facts)
    taken = datetime.fromtimestamp(data.survey["created_at"], timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section.about = (f"Survey {data.survey['survey_id']}, taken {taken}: probe pages, tiny specs through the real "
                     "pipeline and `node -e` (method per row in the tooltip and table1_survey.csv). Where the paper's "
                     f"value ({paper.TABLE1_SOURCE}) differs from ours it follows, marked '2018:'; rows that cannot be "
                     "measured offline show the paper's values, labelled as such.")
    section.files["table1_survey.csv"] = frame.reset_index()
    section.tables.append(_table(frame, caption="Measured here beside the paper (source column says which)"))
    return section


def paper_table() -> pd.DataFrame:
    names = survey.column_order(paper.TABLE1)
    records = [{"row": label, **{survey_title(n): paper.TABLE1[n].get(key, "") for n in names},
                "source": survey.PAPER_LABEL, "method": "as printed"} for key, label in PAPER_ROWS.items()]
    return pd.DataFrame.from_records(records).set_index("row")


def survey_title(name: str) -> str:
    from webdlbench.frameworks import FRAMEWORKS
    return FRAMEWORKS[name].title if name in FRAMEWORKS else name


def _table(frame: pd.DataFrame, caption: str) -> Table:
    frameworks = [c for c in frame.columns if c not in ("source", "method")]
    rows = [[Cell(label, title=str(row["method"])), *(str(row[c]) for c in frameworks), str(row["source"])]
            for label, row in frame.iterrows()]
    return Table(["Characteristic", *frameworks, "Source"], ["text"] * (len(frameworks) + 2), rows, caption=caption)

"""The paper's Table 6 re-judged: for each finding, the claim, the rule, and per environment the
verdict computed by analysis/findings.py with the numbers behind it."""
from __future__ import annotations

import pandas as pd

from webdlbench.analysis import findings, paper
from webdlbench.frameworks import FRAMEWORKS
from webdlbench.report.data import ReportData
from webdlbench.report.document import Cell, Part, Section, Table

VERDICT_CLASS = {findings.HOLDS: "holds", findings.DIFFERS: "differs", findings.NOT_TESTED: "untested",
                 findings.PARTLY: "partly", findings.INCONCLUSIVE: "inconclusive"}


def judged(data: ReportData) -> dict[str, list[findings.Finding]]:
    """Environment label -> the eight findings judged on that environment's data."""
    formats = {name: fw.model_format for name, fw in FRAMEWORKS.items()}
    facts = data.survey["facts"] if data.survey else None
    taken = data.survey["created_at"] if data.survey else None
    if not data.views:
        return {"": findings.judge_all(findings.FindingData(data.summary, {}, facts, None, taken), formats)}
    return {v.label: findings.judge_all(findings.FindingData(v.summary, v.fingerprint, facts, v.replicates, taken),
                                        formats) for v in data.views}


def part(data: ReportData, results: dict[str, list[findings.Finding]], names: dict[str, str]) -> Part:
    """The Table 6 part; `names` turns a section key of the evidence into its title ("fig1" -> "Figure 1")."""
    section = Section("table6", "Table 6: the paper's findings, judged from this data",
                      about="Each finding as the paper stated it (Table 6, §6), the rule that judges it (computed by "
                            "webdlbench/analysis/findings/, never written by hand), and what the data says: holds, "
                            "partly tested (a part holds, another was not tested or not decided), differs (and how), "
                            "inconclusive (measured, but the tests between replicates did not decide: more replicates "
                            "would), or not tested here (and which suite would test it).")
    labels = list(results)
    described = {v.label: v.description for v in data.views}
    overview = [[Cell(f"{f.number}. {f.name}", link=f"finding{f.number}"),
                 *(Cell(results[label][i].verdict, link=f"finding{f.number}") for label in labels)]
                for i, f in enumerate(results[labels[0]])]
    section.tables.append(Table(["Finding", *(f"Verdict @{label}" if label else "Verdict" for label in labels)],
                                ["text"] * (len(labels) + 1), overview))
    records = []
    for i, claim in enumerate(paper.TABLE6):
        block = {"number": claim.number, "name": claim.name, "claim": claim.finding, "implication": claim.implication,
                 "stakeholder": claim.stakeholder, "rule": results[labels[0]][i].rule, "results": []}
        for label in labels:
            f = results[label][i]
            named = label if len(labels) > 1 else ""  # one environment: the page's header already says which
            block["results"].append({"env": named, "description": described.get(label, ""), "verdict": f.verdict,
                                     "css": VERDICT_CLASS[f.verdict], "how": f.how, "fill": f.fill,
                                     "evidence": [{"text": e.text, "link": e.link, "name": names.get(e.link, e.link)}
                                                  for e in f.evidence]})
            records.append({"environment": label, "number": f.number, "name": f.name, "verdict": f.verdict,
                            "how": f.how, "fill": f.fill, "rule": f.rule,
                            "evidence": " | ".join(e.text for e in f.evidence)})
        section.blocks.append(block)
    section.files["findings.csv"] = pd.DataFrame(records)
    return Part("findings", "Findings (paper Table 6)", "", [section])

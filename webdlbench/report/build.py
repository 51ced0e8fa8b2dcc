"""`webdlbench report`: the answer first (every option ranked per task and model, with a
recommendation), then the paper's tables and figures regenerated from a store and its findings
re-judged, written as one self-contained index.html (figures as data: URIs, CSS, a table sorter and
the table of contents inline), report.md, and the data behind every table and figure as CSV
(figures as PNG). No machine path appears in any of it (redact.py)."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import markupsafe
import pandas as pd

from webdlbench.analysis.findings import VERDICTS
from webdlbench.errors import UserError
from webdlbench.report import data as report_data
from webdlbench.report.document import Part, md_cell
from webdlbench.report.redact import redact, redact_frame
from webdlbench.report.sections import answer, experience, findings, method, rq1, rq2, rq3, rq4

TEMPLATES = Path(__file__).parent / "templates"
# Tables longer than this start folded in the HTML (a click shows them); Markdown shows every row.
LONG_TABLE_ROWS = 24
PAPER = "Ma et al., “Moving Deep Learning into Web Browser: How Far Can We Go?” (WWW ’19)"
PAPER_GROUP = "The paper, re-judged"
BEYOND_GROUP = "Beyond the paper"
METHOD_GROUP = "How it was measured"


def build_parts(data: report_data.ReportData, judged: dict, grouped: dict) -> list[Part]:
    """The report's parts: the answer first, then the paper's in its order (RQ1, RQ2, RQ3, Table 6),
    then RQ4 (today's web-AI stack, beyond the paper), then environment and method."""
    paper = [rq1.part(data), rq2.part(data), rq3.part(data)]
    closing = method.part(data)
    names = {s.key: s.title.split(":")[0] for p in [*paper, closing] for s in p.sections}  # "fig1" -> "Figure 1"
    paper.append(findings.part(data, judged, names))
    for part in paper:
        part.group = PAPER_GROUP
    closing.group = METHOD_GROUP
    today = rq4.part(data)
    beyond = experience.part(data)
    today.group = beyond.group = BEYOND_GROUP
    return [answer.part(data, grouped), *paper, today, beyond, closing]


def glance(judged: dict) -> list[str]:
    """One line per environment: how many of the paper's findings hold, differ, or were not tested."""
    lines = []
    for label, found in judged.items():
        counts = Counter(f.verdict for f in found)
        text = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
        lines.append(f"{'@' + label + ': ' if label else ''}{text}")
    return lines


def build_report(store_path: Path | str, out_dir: Path | str, pool_runs: bool = False) -> Path:
    """Write out_dir/index.html, report.md, figure PNGs and the CSV behind each; returns index.html.
    A spec measured in several runs counts its latest run only, unless `pool_runs`."""
    out_dir = Path(out_dir)
    data = report_data.load(store_path, pool_runs)
    judged = findings.judged(data)
    grouped = {view.label: answer.view_groups(data, view) for view in data.views}
    parts = build_parts(data, judged, grouped)
    context = {"parts": parts, "store": Path(store_path).name, "paper": PAPER, "glance": glance(judged),
               "banners": answer.banners(data, grouped), "paper_group": PAPER_GROUP,
               "long_table": LONG_TABLE_ROWS,
               "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "environments": [f"{e.label}: {e.description}" for e in data.environments],
               "suites": sorted(set(data.runs["suite"])) if not data.runs.empty else [],
               "results": len(data.results), "samples": len(data.samples)}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for section in (s for p in parts for s in p.sections):
            for name, content in section.files.items():
                target = out_dir / name
                if isinstance(content, bytes):
                    target.write_bytes(content)
                else:
                    _csv(content, target)
        env = _jinja()
        (out_dir / "report.md").write_text(env.get_template("report.md.j2").render(context))
        index = out_dir / "index.html"
        index.write_text(env.get_template("index.html.j2").render(context))
    except OSError as exc:
        raise UserError(f"cannot write the report to {out_dir} ({exc.strerror or exc}): "
                        "give a writable output directory") from None
    return index


def _csv(frame: pd.DataFrame, target: Path) -> None:
    # Dict cells (info, checks) would print as Python reprs: CSV readers get JSON-free plain columns only.
    plain = frame[[c for c in frame.columns if not frame[c].map(lambda v: isinstance(v, (dict, list))).any()]]
    redact_frame(plain).to_csv(target, index=False)


def _jinja() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=jinja2.select_autoescape(["html.j2"]), trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, finalize=_finalize)
    env.filters["md"] = md_cell
    env.filters["code"] = _code
    return env


def _finalize(value):
    """Every value a template prints, with machine paths shown as file names (Markup stays Markup)."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(redact(str(value)))
    return redact(value) if isinstance(value, str) else value


def _code(text) -> markupsafe.Markup:
    """Escaped text whose `backticked` parts become <code> in the HTML, as they do in Markdown."""
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))
